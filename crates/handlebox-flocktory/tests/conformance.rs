//! Every page recorded from the reference library (digital-data-manager
//! 1.2.262) must produce the same calls, call for call, and the same loader.
//! The cases live in `fixtures/conformance/`, a copy of
//! `../shared/conformance/` that this test keeps in step when both exist.

use std::path::PathBuf;

use handlebox_flocktory::FlocktoryKind;
use handlebox_pipeline::js::same;
use handlebox_pipeline::{IntegrationConfig, PageInput, Pipeline};
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

fn page_of(case: &Value, default_url: &str) -> PageInput {
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
    PageInput::from_value(Value::Object(page)).expect("a valid page")
}

#[test]
fn every_recorded_page_makes_the_same_calls() {
    let all = cases();
    let default_url = all["defaultUrl"]
        .as_str()
        .unwrap_or("https://www.example.com/");
    let sandbox = Sandbox::new(SandboxConfig::default()).expect("sandbox");
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
        if let Some(loader) = case["loaderSrc"].as_str()
            && result.loader.as_deref() != Some(loader)
        {
            failures.push(format!(
                "{id}: loader {:?}, expected {loader:?}",
                result.loader
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
