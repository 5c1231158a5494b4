//! Shared set-up for the sandbox's integration tests: one sandbox per test
//! binary (compiling the guest is the slow part), and one-line ways to run a
//! handler on an event.

#![allow(dead_code)]

use std::sync::OnceLock;

use handlebox_sandbox::{
    CallOutcome, HandlerSet, HandlerSpec, PageContext, Sandbox, SandboxConfig, SandboxError,
};
use serde_json::{Value, json};

/// The sandbox shared by every test of this binary.
pub fn sandbox() -> &'static Sandbox {
    static SANDBOX: OnceLock<Sandbox> = OnceLock::new();
    SANDBOX.get_or_init(|| {
        Sandbox::new(SandboxConfig {
            // A cache for this target directory's tests, never the user's own.
            cache_dir: Some(std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("module-cache")),
            ..SandboxConfig::default()
        })
        .expect("sandbox builds")
    })
}

/// A page like the seed example: a thank-you page with a redesign flag.
pub fn page() -> PageContext {
    let mut cookies = serde_json::Map::new();
    cookies.insert("_ga".into(), json!("GA1.2.3"));
    cookies.insert("city".into(), json!("Saint%20Petersburg"));
    PageContext {
        digital_data: json!({
            "website": {"redesign": true, "regionId": "spb"},
            "page": {"type": "confirmation"},
            "user": {"email": "anna@example.com", "segments": ["vip", "new"]},
            "events": []
        }),
        url: "https://shop.example/thank-you?utm_source=mail&q=red+shoes%21&bad=%E0%A4%A#frag?x=1"
            .into(),
        cookies,
        globals: json!({"settings": {"mobile_app": false, "currency": "RUB"}}),
        data_layer: json!([
            {"event": "gtm.js", "pageType": "home"},
            {"event": "purchase", "pageType": "confirmation"},
            {"event": "gtm.load"}
        ]),
        ..PageContext::default()
    }
}

/// Compiles one handler and runs it once on `arg` in a fresh `page()`.
pub fn run_spec(spec: HandlerSpec, arg: Value) -> CallOutcome {
    let project = HandlerSet::compile(sandbox(), vec![spec]).expect("handler compiles");
    let mut page = project.open_page(&page()).expect("page opens");
    page.call(0, &arg).expect("call runs")
}

/// Runs an event-variable handler on a `Viewed Page` event.
pub fn run(source: &str) -> CallOutcome {
    run_spec(
        HandlerSpec::variable("test", source),
        json!({"name": "Viewed Page", "id": 7}),
    )
}

/// The value of a handler that must succeed.
pub fn value(source: &str) -> Option<Value> {
    let outcome = run(source);
    assert_eq!(outcome.error, None, "handler failed: {source}");
    outcome.value
}

/// The compile errors of one handler that must not compile.
pub fn compile_error(spec: HandlerSpec) -> handlebox_sandbox::ErrorInfo {
    match HandlerSet::compile(sandbox(), vec![spec]) {
        Err(SandboxError::Compile(errors)) => errors.errors[0].1.clone(),
        Err(other) => panic!("unexpected error: {other}"),
        Ok(_) => panic!("the handler compiled"),
    }
}
