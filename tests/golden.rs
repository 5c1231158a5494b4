//! Outputs saved before a refactor, compared byte for byte after it: `run`
//! in each format on the fixtures' configs and pages, `check` on every
//! config, `test` on the fixtures' test files, `eval` on the fixtures'
//! handlers (costs set to zero), the server's Results on the same pages,
//! and the server's Results on the 146 recorded reference pages.
//!
//! When an output is meant to change, write them again and review the diff:
//! `HANDLEBOX_BLESS=1 cargo test --test golden`.

mod support;

use std::path::PathBuf;

use serde_json::{Map, Value, json};
use support::{Server, fixture, handlebox, root, temp_dir, write};

/// The saved output `name`, or (with `HANDLEBOX_BLESS`) the place it goes.
fn golden(name: &str) -> PathBuf {
    root().join("tests/golden").join(name)
}

/// Compares `actual` with the saved output `name` (or saves it).
fn expect(name: &str, actual: &str) {
    let path = golden(name);
    if std::env::var_os("HANDLEBOX_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("golden dir");
        std::fs::write(&path, actual).expect("write golden");
        return;
    }
    let saved = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run HANDLEBOX_BLESS=1 cargo test --test golden",
            path.display()
        )
    });
    if saved != actual {
        let line = saved
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| saved.lines().count().min(actual.lines().count()));
        panic!(
            "{name} changed at line {}:\n  saved:  {}\n  now:    {}",
            line + 1,
            saved.lines().nth(line).unwrap_or("<end>"),
            actual.lines().nth(line).unwrap_or("<end>")
        );
    }
}

/// The configs every page runs through, by file stem (not `hostile`: how
/// far its handlers get depends on the machine's speed against the page's
/// budget; its own tests pin what it does).
const CONFIGS: [&str; 4] = ["demo", "shop", "shop-mixed", "throwing"];

/// The fixtures' pages, by file stem.
const PAGES: [&str; 7] = [
    "thank-you",
    "thank-you-6kb",
    "home-anonymous",
    "browsing-50-events",
    "listing-24",
    "product",
    "cart",
];

fn config_path(config: &str) -> String {
    format!("fixtures/configs/{config}.json")
}

fn page_path(page: &str) -> String {
    format!("fixtures/pages/{page}.json")
}

/// stdout, then the exit status and stderr when there is any.
fn transcript(args: &[&str]) -> String {
    let out = handlebox(args);
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let code = out.status.code().unwrap_or(-1);
    if code != 0 || !stderr.is_empty() {
        text.push_str(&format!("--- exit {code}\n{stderr}"));
    }
    text
}

#[test]
fn run_outputs_are_unchanged() {
    for config in CONFIGS {
        for page in PAGES {
            let formats: &[&str] = if config == "shop" {
                &["json", "js", "pretty"]
            } else {
                &["json"]
            };
            for format in formats {
                let text = transcript(&[
                    "run",
                    "--config",
                    &config_path(config),
                    "--page",
                    &page_path(page),
                    "--format",
                    format,
                ]);
                expect(&format!("run/{config}--{page}.{format}"), &text);
            }
        }
    }
    expect("demo.pretty", &transcript(&["demo", "--format", "pretty"]));
}

#[test]
fn check_and_test_outputs_are_unchanged() {
    for config in CONFIGS.iter().chain(&["lint", "broken-handler"]) {
        let text = transcript(&[
            "check",
            "--config",
            &config_path(config),
            "--format",
            "pretty",
        ]);
        expect(&format!("check/{config}.txt"), &text);
    }
    for dir in ["fixtures/tests", "fixtures/failing-tests"] {
        let text = transcript(&["test", dir, "--format", "pretty"]);
        let name = dir.rsplit('/').next().unwrap_or(dir);
        expect(&format!("test/{name}.txt"), &text);
    }
}

#[test]
fn eval_outputs_are_unchanged_but_for_costs() {
    let cases: [(&str, &[&str]); 4] = [
        ("spot", &["--file", "fixtures/project/handlers/spot.js"]),
        (
            "product-id-by-region",
            &[
                "--file",
                "fixtures/project/handlers/product-id-by-region.js",
                "--scope",
                "product",
                "--event",
                "Completed Transaction",
            ],
        ),
        (
            "broken-null-user",
            &[
                "--file",
                "fixtures/project/handlers/broken-null-user.js",
                "--page",
                "fixtures/pages/home-anonymous.json",
            ],
        ),
        (
            "ignore-internal-traffic",
            &[
                "--file",
                "fixtures/project/handlers/ignore-internal-traffic.js",
                "--override",
                "Flocktory",
            ],
        ),
    ];
    for (name, args) in cases {
        let mut all = vec!["eval", "--format", "json"];
        all.extend_from_slice(args);
        let out = handlebox(&all);
        let mut value: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{name}: not JSON ({e}): {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        value["cost"] = json!({"micros": 0, "memoryBytes": 0, "fuel": null});
        let text = format!(
            "{}\n--- exit {}\n",
            serde_json::to_string_pretty(&value).unwrap(),
            out.status.code().unwrap_or(-1)
        );
        expect(&format!("eval/{name}.json"), &text);
    }
}

#[test]
fn server_results_are_the_saved_run_results() {
    let projects: Vec<(&str, String)> = CONFIGS.iter().map(|c| (*c, config_path(c))).collect();
    let projects: Vec<(&str, &str)> = projects.iter().map(|(c, p)| (*c, p.as_str())).collect();
    let dir = support::projects_dir("golden-server", &projects);
    let server = Server::start(&["--config", dir.to_str().unwrap()]);
    for config in CONFIGS {
        for page in PAGES {
            let response =
                server.post_file(&format!("/v1/projects/{config}/process"), &page_path(page));
            assert_eq!(response.status, 200, "{config} {page}");
            let saved: Value = serde_json::from_str(
                &std::fs::read_to_string(golden(&format!("run/{config}--{page}.json")))
                    .expect("the run outputs are saved (run_outputs_are_unchanged)"),
            )
            .expect("saved JSON");
            assert_eq!(response.json(), saved, "{config} {page}");
        }
    }
}

/// A recorded reference case as a page, as the conformance test reads it.
fn conformance_page(case: &Value, default_url: &str) -> Value {
    let digital_data = case["digitalData"].clone();
    let url = case["url"]
        .as_str()
        .or_else(|| {
            digital_data["page"]["url"]
                .as_str()
                .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
        })
        .unwrap_or(default_url)
        .to_owned();
    let mut page = Map::new();
    page.insert("digitalData".into(), digital_data);
    page.insert("url".into(), json!(url));
    for key in ["cookies", "globals", "dataLayer"] {
        if let Some(value) = case.get(key) {
            page.insert(key.into(), value.clone());
        }
    }
    Value::Object(page)
}

#[test]
fn the_reference_pages_through_the_server_are_unchanged() {
    let all: Value =
        serde_json::from_str(&fixture("fixtures/conformance/flocktory-reference.json"))
            .expect("conformance JSON");
    let default_url = all["defaultUrl"].as_str().expect("defaultUrl");
    let cases = all["cases"].as_array().expect("cases");
    let dir = temp_dir("golden-conformance");
    let id = |i: usize| format!("case-{i:03}");
    for (i, case) in cases.iter().enumerate() {
        let config = json!({"integrations": {"Flocktory": case["options"]}});
        write(&dir, &format!("{}.json", id(i)), &config.to_string());
    }
    let server = Server::start(&["--config", dir.to_str().unwrap()]);
    let mut results = Map::new();
    for (i, case) in cases.iter().enumerate() {
        let page = conformance_page(case, default_url).to_string();
        let response = server.request(
            "POST",
            &format!("/v1/projects/{}/process", id(i)),
            page.as_bytes(),
        );
        assert_eq!(response.status, 200, "{}: {}", case["id"], response.text());
        let key = case["id"].as_str().map_or_else(|| id(i), str::to_owned);
        results.insert(key, response.json());
    }
    assert_eq!(results.len(), 146);
    let text = serde_json::to_string_pretty(&Value::Object(results)).unwrap() + "\n";
    expect("conformance-results.json", &text);
}
