//! The playground through the real binary: its JSON routes, the page it
//! serves, `serve --playground`, and the page itself in headless Chromium
//! (`tests/chrome/playground.js`, driven by playwright-core), whose saved
//! test `handlebox test` then passes.

mod support;

use std::process::Command;

use serde_json::{Value, json};
use support::{Server, fixture, handlebox, root, stdout, temp_dir};

const SPOT: &str =
    "if (_digitalData('website.redesign')) {\n  return 'redesign';\n} else {\n  return 'old';\n}\n";

fn page() -> Value {
    serde_json::from_str(&fixture("fixtures/pages/thank-you.json")).expect("page")
}

fn demo() -> Value {
    serde_json::from_str(&fixture("fixtures/configs/demo.json")).expect("config")
}

fn post(server: &Server, path: &str, body: &Value) -> support::Response {
    server.request("POST", path, body.to_string().as_bytes())
}

#[test]
fn eval_and_run_answer_as_the_command_line_does() {
    let server = Server::start_command("playground", &[]);
    let project = server.request("GET", "/v1/project", b"").json();
    assert_eq!(project["name"], "the built-in demo config");
    assert_eq!(project["handlers"], json!(["spot"]));
    assert_eq!(project["fixtures"][0]["name"], "thank-you");
    assert_eq!(project["config"], demo());

    let answer = post(
        &server,
        "/v1/eval",
        &json!({"handler": SPOT, "page": page(), "config": demo(), "name": "spot"}),
    );
    assert_eq!(answer.status, 200, "{}", answer.text());
    let answer = answer.json();
    assert_eq!(answer["value"], "redesign");
    assert_eq!(answer["target"], "event \"Viewed Page\" (event #0)");
    let cli = handlebox(&[
        "eval",
        "--config",
        "fixtures/configs/demo.json",
        "--handler",
        "spot",
        "--format",
        "json",
    ]);
    let cli: Value = serde_json::from_slice(&cli.stdout).expect("eval JSON");
    assert_eq!(answer["value"], cli["value"]);
    assert_eq!(answer["logs"], cli["logs"]);

    let broken = post(
        &server,
        "/v1/eval",
        &json!({"handler": "var x = 1;\nreturn x +;\n", "page": page(), "event": 1}),
    )
    .json();
    assert_eq!(broken["error"]["kind"], "syntax");
    assert_eq!(broken["error"]["line"], 2);
    assert_eq!(broken["error"]["column"], 11);

    let result = post(
        &server,
        "/v1/run",
        &json!({"config": demo(), "page": page()}),
    );
    assert_eq!(result.status, 200);
    let result = result.json();
    let cli = handlebox(&[
        "run",
        "--config",
        "fixtures/configs/demo.json",
        "--page",
        "fixtures/pages/thank-you.json",
        "--format",
        "json",
    ]);
    let cli: Value = serde_json::from_slice(&cli.stdout).expect("run JSON");
    assert_eq!(result["calls"], cli["calls"]);
    let js = post(
        &server,
        "/v1/run?format=js",
        &json!({"config": demo(), "page": page()}),
    );
    let cli = handlebox(&[
        "run",
        "--config",
        "fixtures/configs/demo.json",
        "--page",
        "fixtures/pages/thank-you.json",
        "--format",
        "js",
    ]);
    assert_eq!(js.text(), stdout(&cli));
}

#[test]
fn bad_requests_say_what_and_files_are_never_read() {
    let server = Server::start_command("playground", &[]);
    let cases: [(&str, Value, &str); 5] = [
        (
            "/v1/eval",
            json!({"page": page()}),
            "missing field `handler`",
        ),
        (
            "/v1/eval",
            json!({"handler": "return 1", "page": {"events": 3}}),
            "page: $.events: must be an array",
        ),
        (
            "/v1/eval",
            json!({"handler": "return 1", "page": page(), "scope": "cart"}),
            "scope: \"cart\" is neither",
        ),
        (
            "/v1/run",
            json!({"config": demo(), "page": page(), "extra": 1}),
            "unknown field `extra`",
        ),
        (
            "/v1/run",
            json!({"config": {"integrations": {"Flocktory": {"siteId": "1", "eventEnrichments": [{"prop": "x", "handler": {"file": "Cargo.toml"}}]}}}, "page": page()}),
            "eventEnrichments[0].handler",
        ),
    ];
    for (path, body, expected) in cases {
        let answer = post(&server, path, &body);
        assert_eq!(answer.status, 400, "{path} {body}: {}", answer.text());
        let message = answer.json()["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(message.contains(expected), "{path}: {message}");
        assert!(
            !message.contains("[workspace]"),
            "a file's text leaked: {message}"
        );
    }
    let page = server.request("GET", "/", b"");
    assert_eq!(page.status, 200);
    assert!(page.text().contains("data-testid=\"save-test\""));
    let script = server.request("GET", "/playground.js", b"");
    assert_eq!(script.status, 200);
    assert!(
        !script.text().contains("http://") || !script.text().contains("cdn"),
        "no request to another host"
    );
}

#[test]
fn serve_adds_the_playground_only_when_asked() {
    let plain = Server::start(&[]);
    assert_eq!(plain.request("GET", "/playground", b"").status, 404);
    assert_eq!(
        post(
            &plain,
            "/v1/eval",
            &json!({"handler": "return 1", "page": page()})
        )
        .status,
        404
    );
    drop(plain);
    let with = Server::start(&["--playground"]);
    assert_eq!(with.request("GET", "/playground", b"").status, 200);
    let answer = post(
        &with,
        "/v1/eval",
        &json!({"handler": "return 1 + 1", "page": page()}),
    )
    .json();
    assert_eq!(answer["value"], 2);
    assert_eq!(
        with.post_file("/v1/process", "fixtures/pages/thank-you.json")
            .status,
        200
    );
}

/// The page in headless Chromium: the demo's `spot`, a syntax error marked
/// at its line, the thank-you page's `postcheckout`, the case kept in the
/// link, and a saved test that `handlebox test` passes.
#[test]
fn the_page_works_in_chromium() {
    let chrome = root().join("tests/chrome");
    assert!(
        chrome.join("node_modules/playwright-core").is_dir(),
        "tests/chrome has no node_modules: run `bash .ci/test`, which installs Chromium, Node and the test's packages"
    );
    // The shop project: an override, `spot` and a product variable.
    let server = Server::start_command("playground", &["--config", "fixtures/project"]);
    let out = temp_dir("playground-browser");
    let run = Command::new("node")
        .arg(chrome.join("playground.js"))
        .arg(format!("http://{}/", server.addr))
        .arg(&out)
        .output()
        .expect("node runs");
    let report = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{report}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let report: Value = serde_json::from_str(report.trim()).expect("the script's report");
    assert_eq!(report["value"], "\"redesign\"");
    assert!(
        report["error"]
            .as_str()
            .unwrap()
            .contains("line 2, column 11"),
        "{report}"
    );
    assert_eq!(report["markedLine"], 2);
    assert!(
        report["calls"]
            .as_str()
            .unwrap()
            .contains("\"postcheckout\""),
        "{report}"
    );
    assert_eq!(report["fromLink"], SPOT.trim_end());

    let saved = out.join("spot.test.json");
    let test = handlebox(&["test", "--format", "pretty", saved.to_str().unwrap()]);
    assert_eq!(test.status.code(), Some(0), "{}", stdout(&test));
    assert!(
        stdout(&test).ends_with("1 passed, 0 failed\n"),
        "{}",
        stdout(&test)
    );

    let screenshot = out.join("playground.png");
    assert!(
        std::fs::metadata(&screenshot)
            .map(|m| m.len() > 10_000)
            .unwrap_or(false)
    );
    if std::env::var_os("HANDLEBOX_BLESS").is_some() {
        std::fs::copy(&screenshot, root().join("docs/playground.png"))
            .expect("the README's screenshot");
    }
}
