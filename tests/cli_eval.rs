//! `handlebox eval` through the real binary: formats, exit statuses and the
//! one-line errors for unusable input.

mod support;

use std::process::Output;

use serde_json::{Value, json};
use support::{handlebox, stderr, stdout};

fn json_of(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

#[test]
fn spot_on_the_built_in_page() {
    let out = handlebox(&[
        "eval",
        "--file",
        "fixtures/project/handlers/spot.js",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let result = json_of(&out);
    assert_eq!(result["value"], json!("redesign"));
    assert_eq!(result["undefined"], json!(false));
    assert_eq!(result["error"], Value::Null);
    assert!(result["cost"]["micros"].as_u64().unwrap() > 0);
    assert!(result["cost"]["memoryBytes"].as_u64().unwrap() > 1 << 20);
}

#[test]
fn pretty_output_shows_value_and_cost() {
    let out = handlebox(&[
        "eval",
        "--file",
        "fixtures/project/handlers/spot.js",
        "--format",
        "pretty",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("value     \"redesign\""), "{text}");
    assert!(text.contains("MiB memory"), "{text}");
}

#[test]
fn undefined_and_console_output() {
    let out = handlebox(&[
        "eval",
        "--code",
        "console.info('seen', event.name)",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let result = json_of(&out);
    assert_eq!(result["value"], Value::Null);
    assert_eq!(result["undefined"], json!(true));
    assert_eq!(
        result["logs"],
        json!([{"level": "info", "message": "seen Viewed Page"}])
    );
}

#[test]
fn product_scope_on_a_chosen_event_with_fuel() {
    let out = handlebox(&[
        "eval",
        "--file",
        "fixtures/project/handlers/product-id-by-region.js",
        "--scope",
        "product",
        "--event",
        "Completed Transaction",
        "--product",
        "1",
        "--fuel",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let result = json_of(&out);
    assert_eq!(result["value"], json!("sku-2_msk"));
    assert!(result["cost"]["fuel"].as_u64().unwrap() > 0);
}

#[test]
fn override_shows_the_changed_event() {
    let page = r#"{"digitalData": {"events": [{"name": "Completed Transaction", "user": {"email": "qa@shop.example"}}]}}"#;
    let path = support::write(
        &support::temp_dir("eval-override"),
        "staff-order.json",
        page,
    );
    let out = handlebox(&[
        "eval",
        "--file",
        "fixtures/project/handlers/ignore-internal-traffic.js",
        "--override",
        "Flocktory",
        "--page",
        path.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json_of(&out)["value"]["ignore"], json!(true));
}

#[test]
fn a_throwing_handler_exits_1_with_its_position() {
    let out = handlebox(&[
        "eval",
        "--file",
        "fixtures/project/handlers/broken-null-user.js",
        "--page",
        "fixtures/pages/home-anonymous.json",
        "--format",
        "pretty",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("error     thrown at line 1, column 24: TypeError"),
        "{text}"
    );
    assert!(text.contains("1 | var email = event.user.email;"), "{text}");
}

#[test]
fn syntax_errors_and_timeouts_exit_1() {
    let out = handlebox(&[
        "eval",
        "--code",
        "var a = 1;\nreturn a +;",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let error = &json_of(&out)["error"];
    assert_eq!(
        (error["kind"].as_str(), error["line"].as_u64()),
        (Some("syntax"), Some(2))
    );

    let out = handlebox(&[
        "eval",
        "--code",
        "while (true) {}",
        "--deadline-ms",
        "20",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json_of(&out)["error"]["kind"], json!("timeout"));
}

#[test]
fn unusable_input_exits_2_with_one_line() {
    let cases: [(&[&str], &str); 5] = [
        (
            &["eval", "--file", "no/such/handler.js"],
            "cannot read handler file no/such/handler.js",
        ),
        (
            &["eval", "--code", "1", "--page", "Cargo.toml"],
            "Cargo.toml is not valid JSON",
        ),
        (
            &["eval", "--code", "1", "--event", "Bought Nothing"],
            "no event named \"Bought Nothing\"",
        ),
        (
            &[
                "eval",
                "--code",
                "1",
                "--scope",
                "product",
                "--page",
                "fixtures/pages/home-anonymous.json",
            ],
            "no event of this page has products",
        ),
        (&["eval"], "--file"),
    ];
    for (args, expected) in cases {
        let out = handlebox(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert!(err.contains(expected), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        if args.len() > 1 {
            assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        }
    }
}

#[test]
fn a_snippet_sees_the_page_as_run_enriches_it() {
    let out = handlebox(&[
        "eval",
        "--code",
        "return [_digitalData('user'), _digitalData('page'), _digitalData('cart')]",
        "--page",
        "fixtures/pages/home-anonymous.json",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let value = &json_of(&out)["value"];
    assert!(value[0]["anonymousId"].is_string(), "{value}");
    assert_eq!(value[1]["path"], json!("/"), "{value}");
    assert_eq!(value[1]["type"], json!("home"), "{value}");
    assert_eq!(
        value[2],
        json!({"lineItems": [], "subtotal": 0, "total": 0})
    );
}

#[test]
fn an_override_sees_the_event_as_enriched_from_digital_data() {
    // The docs' example: the user is in digitalData, not in the event.
    let out = handlebox(&[
        "eval",
        "--override",
        "Flocktory",
        "--file",
        "fixtures/project/handlers/ignore-internal-traffic.js",
        "--page",
        "fixtures/pages/staff-order.json",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let value = &json_of(&out)["value"];
    assert_eq!(value["user"]["email"], json!("qa@shop.example"), "{value}");
    assert_eq!(value["ignore"], json!(true), "{value}");
}

#[test]
fn a_config_handler_runs_with_the_configs_options_where_the_pipeline_runs_it() {
    let domain_page = r#"{"digitalData": {"user": {"email": "anna@corp.example"}, "events": [{"name": "Viewed Page"}]}, "url": "https://shop.example/"}"#;
    let dir = support::temp_dir("eval-config");
    let page = support::write(&dir, "corp.json", domain_page);
    let mut config: Value =
        serde_json::from_str(&support::fixture("fixtures/configs/shop.json")).unwrap();
    config["integrations"][0]["options"]["internalDomain"] = json!("corp.example");
    let config_path = support::write(&dir, "corp-config.json", &config.to_string());
    let out = handlebox(&[
        "eval",
        "--config",
        config_path.to_str().unwrap(),
        "--handler",
        "override",
        "--page",
        page.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        json_of(&out)["value"]["ignore"],
        json!(true),
        "this.getOption('internalDomain') is the config's"
    );

    let spot = handlebox(&[
        "eval",
        "--config",
        "fixtures/configs/shop.json",
        "--handler",
        "spot",
        "--event",
        "Completed Transaction",
        "--format",
        "json",
    ]);
    assert_eq!(spot.status.code(), Some(0), "{}", stderr(&spot));
    assert_eq!(json_of(&spot)["value"], json!("redesign"));

    let product = handlebox(&[
        "eval",
        "--config",
        "fixtures/configs/shop.json",
        "--handler",
        "id",
        "--event",
        "Completed Transaction",
        "--product",
        "1",
        "--format",
        "pretty",
    ]);
    let text = stdout(&product);
    assert_eq!(product.status.code(), Some(0), "{text}");
    assert!(
        text.contains("on transaction.lineItems[1].product of \"Completed Transaction\""),
        "{text}"
    );
}

#[test]
fn a_config_handler_can_be_tried_with_new_text() {
    let out = handlebox(&[
        "eval",
        "--config",
        "fixtures/configs/shop.json",
        "--handler",
        "spot",
        "--code",
        "return this.getOption ? 'has options' : _digitalData('website.regionId');",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json_of(&out)["value"], json!("msk"));
    let broken = handlebox(&[
        "eval",
        "--config",
        "fixtures/configs/shop.json",
        "--handler",
        "spot",
        "--code",
        "return 'a' +;",
        "--format",
        "json",
    ]);
    assert_eq!(broken.status.code(), Some(1));
    let error = &json_of(&broken)["error"];
    assert_eq!(
        (error["kind"].as_str(), error["line"].as_u64()),
        (Some("syntax"), Some(1))
    );
    let missing = handlebox(&[
        "eval",
        "--config",
        "fixtures/configs/shop.json",
        "--handler",
        "nope",
    ]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("has no handler \"nope\" (it has: spot, id, override)"),
        "{}",
        stderr(&missing)
    );
}

#[test]
fn an_error_in_a_nested_function_is_placed_in_it_with_its_caller() {
    let out = handlebox(&[
        "eval",
        "--code",
        "function domain(email) {\n  return email.split('@')[1].length;\n}\nreturn domain(event.missing);",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let error = &json_of(&out)["error"];
    assert_eq!(error["line"], json!(2), "{error}");
    assert!(
        error["message"]
            .as_str()
            .unwrap_or_default()
            .ends_with("(in domain, called from line 4, column 14)"),
        "{error}"
    );
}

#[test]
fn a_prop_two_handlers_have_is_named_by_its_option() {
    let dir = support::temp_dir("eval-ambiguous");
    let config = support::write(
        &dir,
        "twice.json",
        r#"{"integrations": {"Flocktory": {"siteId": "1", "eventEnrichments": [
            {"prop": "spot", "event": "Viewed Page", "handler": "return 'first';"},
            {"prop": "spot", "event": "Completed Transaction", "handler": "return 'second';"}]}}}"#,
    );
    let path = config.to_str().unwrap();
    let out = handlebox(&["eval", "--config", path, "--handler", "spot"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("several handlers have \"spot\" (Flocktory eventEnrichments[0], Flocktory eventEnrichments[1])"),
        "{}",
        stderr(&out)
    );
    let second = handlebox(&[
        "eval",
        "--config",
        path,
        "--handler",
        "eventEnrichments[1]",
        "--format",
        "json",
    ]);
    assert_eq!(second.status.code(), Some(0), "{}", stderr(&second));
    assert_eq!(json_of(&second)["value"], json!("second"));
}

#[test]
fn an_event_is_chosen_by_name_or_by_its_index_in_the_page() {
    for event in ["Completed Transaction", "1"] {
        let out = handlebox(&[
            "eval",
            "--code",
            "return event.name",
            "--event",
            event,
            "--format",
            "json",
        ]);
        assert_eq!(out.status.code(), Some(0), "{event}: {}", stderr(&out));
        assert_eq!(
            json_of(&out)["value"],
            json!("Completed Transaction"),
            "{event}"
        );
    }
}
