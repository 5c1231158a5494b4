//! Every page recorded from the reference library (digital-data-manager
//! 1.2.262) must produce the same calls, call for call, the same loader (or
//! none where the reference loaded none), and the errors the reference logged.
//! The cases live in `fixtures/conformance/`, a copy of
//! `../shared/conformance/` that this test keeps in step when both exist.

use std::path::PathBuf;

use handlebox_flocktory::FlocktoryKind;
use handlebox_pipeline::js::same;
use handlebox_pipeline::{HandlerErrorResult, IntegrationConfig, Page, PageResult, Pipeline};
use handlebox_sandbox::{Sandbox, SandboxConfig};
use serde_json::{Map, Value, json};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn cases() -> Value {
    let path = root().join("fixtures/conformance/flocktory-reference.json");
    let text = std::fs::read_to_string(&path).expect("the conformance fixture");
    let shared = root().join("../shared/conformance/flocktory-reference.json");
    if let Ok(upstream) = std::fs::read_to_string(&shared) {
        assert!(
            upstream == text,
            "{} differs from {}: copy the new recording into fixtures/",
            shared.display(),
            path.display()
        );
    }
    serde_json::from_str(&text).expect("conformance JSON")
}

fn page_of(case: &Value, default_url: &str) -> Page {
    let digital_data = case["digitalData"].clone();
    let url = case
        .get("url")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| {
            digital_data
                .get("page")
                .and_then(|p| p.get("url"))
                .and_then(Value::as_str)
                .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
                .unwrap_or(default_url)
                .to_owned()
        });
    let mut page = Map::new();
    page.insert("digitalData".into(), digital_data);
    page.insert("url".into(), json!(url));
    for key in ["cookies", "globals", "dataLayer"] {
        if let Some(value) = case.get(key) {
            page.insert(key.into(), value.clone());
        }
    }
    Page::from_value(Value::Object(page)).expect("a valid page")
}

/// What the reference logged (`errors`) against what Handlebox reported.
/// The reference's wording is V8's, so each logged line is matched by its
/// substance: an override's error by the override, the event and the error's
/// type; each distinct error inside the reference's own code by a warning
/// of its own that says the reference throws there. A page where the
/// reference logged nothing must give no handler error and no such warning.
fn errors_differ(id: &str, case: &Value, result: &PageResult) -> Vec<String> {
    let mut failures = Vec::new();
    let logged: Vec<&str> = case["errors"]
        .as_array()
        .map(|errors| errors.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let handler_errors: Vec<(&str, &HandlerErrorResult)> = result
        .events
        .iter()
        .flat_map(|e| e.errors.iter().map(move |error| (e.name.as_str(), error)))
        .collect();
    let throw_warnings: Vec<&String> = result
        .events
        .iter()
        .flat_map(|e| &e.warnings)
        .filter(|w| w.contains("the reference throws"))
        .collect();
    if logged.is_empty() {
        if !handler_errors.is_empty() || !throw_warnings.is_empty() {
            failures.push(format!(
                "{id}: the reference logged no error, Handlebox reported {handler_errors:?} {throw_warnings:?}"
            ));
        }
        return failures;
    }
    let mut in_library: Vec<&str> = logged
        .iter()
        .copied()
        .filter(|line| !line.starts_with("function override error for "))
        .collect();
    in_library.dedup();
    if in_library.len() > throw_warnings.len() {
        failures.push(format!(
            "{id}: the reference logged {in_library:?}; Handlebox warned only {throw_warnings:?}"
        ));
    }
    for line in logged {
        let found = match line.strip_prefix("function override error for ") {
            Some(rest) => {
                let (target, error) = rest
                    .split_once(" in integration Flocktory: ")
                    .unwrap_or((rest, ""));
                let error_type = error.split(':').next().unwrap_or_default();
                let (handler, event) = match target.strip_prefix("event ") {
                    Some(event) => ("overrideFunctions.event", Some(event)),
                    None => ("overrideFunctions.product", None),
                };
                handler_errors.iter().any(|(name, e)| {
                    e.handler.contains(handler)
                        && event.is_none_or(|event| *name == event)
                        && e.message.starts_with(error_type)
                })
            }
            None => !throw_warnings.is_empty(),
        };
        if !found {
            failures.push(format!(
                "{id}: the reference logged {line:?}; Handlebox reported {handler_errors:?} {throw_warnings:?}"
            ));
        }
    }
    failures
}

#[test]
fn every_recorded_page_makes_the_same_calls() {
    let all = cases();
    let default_url = all["defaultUrl"]
        .as_str()
        .unwrap_or("https://www.example.com/");
    let sandbox = Sandbox::new(SandboxConfig {
        // A cache for this target directory's tests, never the user's own.
        cache_dir: Some(std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("module-cache")),
        ..SandboxConfig::default()
    })
    .expect("sandbox");
    let cases = all["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 146);
    let mut failures = Vec::new();
    for case in cases {
        let id = case["id"].as_str().unwrap_or("?");
        let options = case["options"].as_object().cloned().unwrap_or_default();
        let config = vec![IntegrationConfig {
            name: "Flocktory".into(),
            options,
        }];
        let pipeline = match Pipeline::new(&sandbox, config, &[&FlocktoryKind]) {
            Ok(pipeline) => pipeline,
            Err(e) => {
                failures.push(format!("{id}: config refused: {e}"));
                continue;
            }
        };
        let result = pipeline.process(&page_of(case, default_url));
        let calls = Value::Array(result.calls.clone());
        if !same(&calls, &case["expected"]) {
            failures.push(format!(
                "{id}: calls differ\n  expected {}\n  actual   {}",
                case["expected"], calls
            ));
        }
        let loader = case["loaderSrc"].as_str();
        if result.loader.as_deref() != loader {
            failures.push(format!(
                "{id}: loader {:?}, expected {loader:?}",
                result.loader
            ));
        }
        failures.extend(errors_differ(id, case, &result));
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
