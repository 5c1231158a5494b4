//! `handlebox run`, `check` and `demo` through the real binary: each format,
//! exit statuses, and one-line errors for unusable input.

mod support;

use serde_json::{Value, json};
use support::{handlebox, stderr, stdout};

const SHOP: &str = "fixtures/configs/shop.json";
const THANK_YOU: &str = "fixtures/pages/thank-you.json";

#[test]
fn demo_shows_spot_as_redesign() {
    let out = handlebox(&["demo", "--format", "pretty"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("variable spot = \"redesign\""), "{text}");
    assert!(text.contains("\"postcheckout\""), "{text}");
    assert!(
        text.contains("loader  https://api.flocktory.com/v2/loader.js?site_id=4242"),
        "{text}"
    );

    let out = handlebox(&["demo", "--format", "json"]);
    let result: Value = serde_json::from_slice(&out.stdout).expect("json");
    let exchanges: Vec<_> = result["calls"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c[1][0] == "exchange")
        .collect();
    assert_eq!(
        exchanges.len(),
        2,
        "Completed Transaction and Viewed Thank You Page"
    );
    assert!(exchanges.iter().all(|c| c[1][1]["spot"] == "redesign"));
}

#[test]
fn run_json_is_the_result_of_the_interfaces() {
    let out = handlebox(&[
        "run", "--config", SHOP, "--page", THANK_YOU, "--format", "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let result: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        result["loader"],
        json!("https://api.flocktory.com/v2/loader.js?site_id=4242")
    );
    let events = result["events"].as_array().unwrap();
    assert_eq!(events.len(), 3);
    assert_eq!(events[0]["index"], json!(0));
    assert_eq!(events[0]["name"], json!("Viewed Page"));
    assert_eq!(events[0]["dropped"], json!(false));
    assert_eq!(
        events[0]["variables"][0],
        json!({"scope": "event", "prop": "spot", "value": "redesign"})
    );
    let postcheckout = &events[1]["calls"][1][1][1];
    assert_eq!(
        postcheckout["order"]["items"][0]["id"],
        json!("sku-1_msk"),
        "product variable applied"
    );
    assert_eq!(
        result["warnings"],
        json!(["Google Analytics: unknown integration, skipped"])
    );
    let flat: Vec<Value> = events
        .iter()
        .flat_map(|e| e["calls"].as_array().unwrap().clone())
        .collect();
    assert_eq!(
        result["calls"],
        Value::Array(flat),
        "calls is the events' calls in order"
    );
}

#[test]
fn run_js_prints_browser_statements() {
    let out = handlebox(&[
        "run", "--config", SHOP, "--page", THANK_YOU, "--format", "js",
    ]);
    let text = stdout(&out);
    let lines: Vec<_> = text.lines().collect();
    assert_eq!(lines[1], "window.flocktory = window.flocktory || [];");
    assert!(
        lines[2].starts_with("window.flocktory.push([\"addData\","),
        "{text}"
    );
    assert_eq!(lines.len(), 2 + 4);
}

#[test]
fn run_js_is_safe_to_paste_into_a_script_element() {
    let hostile = "</script><script>alert(1)</script><!-- \u{2028}\u{2029}";
    let page = json!({"digitalData": {
        "user": {"isLoggedIn": true, "email": "a@b.c", "firstName": hostile},
        "events": [{"name": "Viewed Page"}]
    }});
    let dir = support::temp_dir("run-js-safe");
    let path = support::write(&dir, "page.json", &page.to_string());
    let out = handlebox(&[
        "run",
        "--config",
        SHOP,
        "--page",
        path.to_str().unwrap(),
        "--format",
        "js",
    ]);
    let text = stdout(&out);
    assert!(text.contains("alert(1)"), "the name is there: {text}");
    for unsafe_text in ["</", "<!--", "\u{2028}", "\u{2029}"] {
        assert!(!text.contains(unsafe_text), "{unsafe_text:?} in {text}");
    }
}

#[test]
fn run_pretty_shows_errors_with_their_place() {
    let out = handlebox(&[
        "run",
        "--config",
        SHOP,
        "--page",
        "fixtures/pages/home-anonymous.json",
        "--format",
        "pretty",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(text.contains("Viewed Page #0"), "{text}");
    assert!(text.contains("variable spot = \"old\""), "{text}");
}

#[test]
fn handler_errors_are_reported_not_fatal() {
    let config = support::write(
        &support::temp_dir("run-throws"),
        "throws.json",
        r#"{"integrations": {"Flocktory": {"siteId": "1", "eventEnrichments": [
            {"prop": "spot", "handler": "var u = event.user;\nreturn u.email;"}]}}}"#,
    );
    let out = handlebox(&[
        "run",
        "--config",
        config.to_str().unwrap(),
        "--page",
        "fixtures/pages/home-anonymous.json",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let result: Value = serde_json::from_slice(&out.stdout).unwrap();
    let error = &result["events"][0]["errors"][0];
    assert_eq!(
        error["handler"],
        json!("Flocktory eventEnrichments[0] (spot)")
    );
    assert_eq!(error["kind"], json!("thrown"));
    assert_eq!(
        (error["line"].as_u64(), error["column"].is_u64()),
        (Some(2), true)
    );
    assert_eq!(
        result["calls"].as_array().unwrap().len(),
        1,
        "the event still goes through"
    );
    let strict = |page: &str| {
        handlebox(&[
            "run",
            "--config",
            config.to_str().unwrap(),
            "--page",
            page,
            "--format",
            "json",
            "--strict",
        ])
    };
    let failed = strict("fixtures/pages/home-anonymous.json");
    assert_eq!(failed.status.code(), Some(1), "--strict: a handler failed");
    assert!(
        stderr(&failed).contains("handlebox: 1 handler errors (--strict); the first: Flocktory eventEnrichments[0] (spot) on \"Viewed Page\": TypeError"),
        "{}",
        stderr(&failed)
    );
    assert_eq!(
        serde_json::from_slice::<Value>(&failed.stdout).unwrap(),
        result,
        "the same Result"
    );
    let clean = handlebox(&[
        "run", "--config", SHOP, "--page", THANK_YOU, "--format", "json", "--strict",
    ]);
    assert_eq!(clean.status.code(), Some(0), "no handler failed");
}

#[test]
fn check_reports_every_problem() {
    let out = handlebox(&[
        "check",
        "--format",
        "pretty",
        "--config",
        "fixtures/configs/broken-handler.json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains(
            "error: Flocktory option eventEnrichments[0].handler (line 1, column 38): SyntaxError"
        ),
        "{text}"
    );
    let out = handlebox(&["check", "--format", "pretty", "--config", SHOP]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("warning: Google Analytics: unknown integration, skipped"));
}

#[test]
fn unusable_input_exits_2_with_one_line() {
    let cases: [(&[&str], &str); 5] = [
        (
            &["run", "--config", "missing.json", "--page", THANK_YOU],
            "cannot read config file missing.json",
        ),
        (
            &["run", "--config", "Cargo.toml", "--page", THANK_YOU],
            "Cargo.toml is not valid JSON",
        ),
        (
            &["run", "--config", SHOP, "--page", "README.md"],
            "README.md is not valid JSON",
        ),
        (
            &[
                "run",
                "--config",
                "fixtures/configs/broken-handler.json",
                "--page",
                THANK_YOU,
            ],
            "eventEnrichments[0].handler (line 1, column 38): SyntaxError",
        ),
        (
            &["check", "--config", "fixtures/pages/thank-you.json"],
            "$: missing field `integrations`",
        ),
    ];
    for (args, expected) in cases {
        let out = handlebox(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stdout(&out));
        let err = stderr(&out);
        assert!(err.contains(expected), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
    }
}

#[test]
fn trace_shows_what_each_handler_saw_and_changed() {
    let out = handlebox(&[
        "run", "--config", SHOP, "--page", THANK_YOU, "--trace", "--format", "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let result: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let purchase = result["events"]
        .as_array()
        .and_then(|events| events.iter().find(|e| e["name"] == "Completed Transaction"))
        .expect("the purchase");
    let trace = &purchase["trace"][0];
    assert_eq!(trace["integration"], "Flocktory");
    assert_eq!(trace["digitalData"]["website"]["redesign"], true);
    assert_eq!(
        trace["received"]["user"]["email"],
        "anna.petrova@example.com"
    );
    assert!(trace["received"].get("spot").is_none());
    let calls = trace["calls"].as_array().expect("calls");
    let spot = calls
        .iter()
        .find(|c| c["handler"] == "Flocktory eventEnrichments[0] (spot)")
        .expect("the spot call");
    assert_eq!(spot["changed"], json!(["spot"]));
    let ids: Vec<&Value> = calls
        .iter()
        .filter(|c| c["handler"] == "Flocktory eventEnrichments[1] (id)")
        .map(|c| &c["changed"])
        .collect();
    assert_eq!(
        ids,
        [
            &json!(["transaction.lineItems[0].product.id"]),
            &json!(["transaction.lineItems[1].product.id"]),
            &json!(["transaction.lineItems[2].product.id"]),
        ]
    );
    assert_eq!(trace["afterOverrides"], trace["received"]);
    assert_eq!(trace["afterVariables"]["spot"], "redesign");
    assert_eq!(
        trace["afterVariables"]["transaction"]["lineItems"][0]["product"]["id"],
        "sku-1_msk"
    );

    let js = handlebox(&[
        "run", "--config", SHOP, "--page", THANK_YOU, "--trace", "--format", "js",
    ]);
    assert_eq!(js.status.code(), Some(2));
    assert!(stderr(&js).contains("--trace shows in the pretty, json and ndjson formats"));

    let untraced = handlebox(&[
        "run", "--config", SHOP, "--page", THANK_YOU, "--format", "json",
    ]);
    assert!(!String::from_utf8_lossy(&untraced.stdout).contains("\"trace\""));

    let pretty = handlebox(&[
        "run", "--config", SHOP, "--page", THANK_YOU, "--trace", "--format", "pretty",
    ]);
    let text = String::from_utf8_lossy(&pretty.stdout);
    assert!(text.contains("  trace    Flocktory\n"), "{text}");
    assert!(
        text.contains("    Flocktory eventEnrichments[0] (spot): changed spot\n"),
        "{text}"
    );
    assert!(
        text.contains("    Flocktory overrideFunctions.event: changed nothing\n"),
        "{text}"
    );
}

#[test]
fn an_override_that_drops_the_event_is_named_in_the_trace() {
    let page = r#"{"digitalData": {"user": {"email": "qa@shop.example"}, "events": [{"name": "Viewed Page"}]}, "url": "https://shop.example/"}"#;
    let path = support::write(&support::temp_dir("run-trace-ignore"), "staff.json", page);
    let out = handlebox(&[
        "run",
        "--config",
        SHOP,
        "--page",
        path.to_str().unwrap(),
        "--trace",
        "--format",
        "json",
    ]);
    let result: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let event = &result["events"][0];
    assert_eq!(event["dropped"], true);
    let calls = &event["trace"][0]["calls"];
    assert_eq!(calls[0]["handler"], "Flocktory overrideFunctions.event");
    assert_eq!(calls[0]["changed"], json!(["ignore"]));
    assert_eq!(event["trace"][0]["afterOverrides"]["ignore"], true);
}

#[test]
fn every_command_prints_json_when_stdout_is_not_a_terminal() {
    let runs: [&[&str]; 5] = [
        &["demo"],
        &["run", "--config", SHOP, "--page", THANK_YOU],
        &["eval", "--code", "return 1"],
        &["check", "--config", SHOP],
        &["test", "fixtures/tests"],
    ];
    for args in runs {
        let out = handlebox(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        let value: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?} did not print JSON ({e}): {}", stdout(&out)));
        assert!(value.is_object(), "{args:?}: {value}");
    }
    let test = handlebox(&["test", "fixtures/tests"]);
    let report: Value = serde_json::from_slice(&test.stdout).unwrap();
    assert_eq!(report["passed"], 8);
    assert_eq!(report["cases"][0]["outcome"], "pass");
    assert_eq!(
        stderr(&test).trim_end().lines().last(),
        Some("8 passed, 0 failed"),
        "the closing line still ends the output people see"
    );
    let check: Value =
        serde_json::from_slice(&handlebox(&["check", "--config", SHOP]).stdout).unwrap();
    assert_eq!(check["errors"], json!([]));
    assert_eq!(check["warnings"][0]["integration"], "Google Analytics");
    let many = handlebox(&["run", "--config", SHOP, "--page", "fixtures/pages"]);
    let first = stdout(&many)
        .lines()
        .next()
        .map(str::to_owned)
        .unwrap_or_default();
    let line: Value = serde_json::from_str(&first).expect("ndjson for many pages");
    assert!(line["page"].is_string(), "{line}");
    for command in ["demo", "run", "eval", "check", "test"] {
        let help = stdout(&handlebox(&[command, "--help"]));
        assert!(
            help.contains("default: pretty on a terminal"),
            "{command} --help does not say its default format: {help}"
        );
    }
}
