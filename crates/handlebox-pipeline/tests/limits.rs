//! A handler that keeps hitting its limits costs a page at most two
//! deadlines; every later event still reports it, and still goes out.

use handlebox_pipeline::{Configured, Integration, IntegrationPage, OptionProblem, Tracked};
use handlebox_pipeline::{IntegrationConfig, IntegrationKind, Page, Pipeline};
use handlebox_sandbox::{Sandbox, SandboxConfig};
use serde_json::{Map, Value, json};

/// An integration that sends one call per event, named after the event.
struct Echo;

impl IntegrationKind for Echo {
    fn name(&self) -> &'static str {
        "Echo"
    }

    fn configure(&self, _: &Map<String, Value>) -> Result<Configured, Vec<OptionProblem>> {
        Ok(Configured {
            integration: Box::new(Echo),
            warnings: Vec::new(),
        })
    }
}

impl Integration for Echo {
    fn name(&self) -> &str {
        "Echo"
    }

    fn loader(&self) -> Option<String> {
        None
    }

    fn enrichable_props(&self, _: &str) -> Vec<&'static str> {
        Vec::new()
    }

    fn page(&self) -> Box<dyn IntegrationPage + '_> {
        Box::new(EchoPage)
    }
}

struct EchoPage;

impl IntegrationPage for EchoPage {
    fn track(&mut self, event: &Value) -> Tracked {
        Tracked {
            calls: vec![json!(["push", [event["name"], {}]])],
            warnings: Vec::new(),
        }
    }
}

/// A sandbox whose module cache is this target directory's, never the
/// user's own.
fn sandbox() -> Sandbox {
    Sandbox::new(SandboxConfig {
        cache_dir: Some(std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("module-cache")),
        ..SandboxConfig::default()
    })
    .expect("sandbox")
}

#[test]
fn a_handler_over_its_limits_twice_is_not_run_again_on_the_page() {
    let sandbox = sandbox();
    let options = json!({"eventEnrichments": [
        {"prop": "spot", "handler": "while (true) {}"},
        {"prop": "fine", "handler": "return event.name.length;"}
    ]});
    let config = vec![IntegrationConfig {
        name: "Echo".into(),
        options: options.as_object().cloned().unwrap_or_default(),
    }];
    let pipeline = Pipeline::new(&sandbox, config, &[&Echo]).expect("pipeline");
    let events: Vec<Value> = (0..6)
        .map(|i| json!({"name": format!("Event {i}")}))
        .collect();
    let mut all = vec![json!({"name": "Viewed Page"})];
    all.extend(events);
    let page = Page::from_value(json!({"events": all})).expect("page");
    let result = pipeline.process(&page);
    assert_eq!(result.events.len(), 7);
    assert_eq!(result.calls.len(), 7, "every event still goes out");
    let messages: Vec<&str> = result
        .events
        .iter()
        .map(|e| e.errors[0].message.as_str())
        .collect();
    assert!(
        messages[..2]
            .iter()
            .all(|m| m.starts_with("time limit exceeded")),
        "{messages:?}"
    );
    assert!(
        messages[2..]
            .iter()
            .all(|m| m.starts_with("not run: this handler exceeded its limits 2 times")),
        "{messages:?}"
    );
    assert!(
        result.events.iter().all(|e| e.variables.len() == 1),
        "the other handler runs on every event"
    );
}

#[test]
fn digital_data_is_sent_again_only_when_an_event_changed_it() {
    let sandbox = sandbox();
    let options = json!({"eventEnrichments": [
        {"prop": "seen", "handler": "return [_digitalData('user.isSubscribed'), _digitalData('user.hasTransacted')];"}
    ]});
    let config = vec![IntegrationConfig {
        name: "Echo".into(),
        options: options.as_object().cloned().unwrap_or_default(),
    }];
    let pipeline = Pipeline::new(&sandbox, config, &[&Echo]).expect("pipeline");
    let cart = json!({"lineItems": [{"product": {"id": "a"}, "quantity": 1}]});
    let mut events = vec![json!({"name": "Viewed Page"}); 5];
    events.extend([
        json!({"name": "Subscribed", "user": {"email": "a@b.c"}}),
        json!({"name": "Completed Transaction"}),
        json!({"name": "Completed Transaction"}),
        json!({"name": "Updated Cart", "cart": cart}),
        json!({"name": "Viewed Page"}),
    ]);
    let page = Page::from_value(json!({"version": "1.1.3", "cart": cart, "events": events}))
        .expect("page");
    let result = pipeline.process(&page);
    let seen: Vec<Value> = result
        .events
        .iter()
        .map(|e| e.variables[0].value.clone())
        .collect();
    assert_eq!(seen[4], json!([null, null]));
    assert_eq!(seen[6], json!([true, null]), "Subscribed's change is seen");
    assert_eq!(seen[7], json!([true, true]), "and the transaction's");
    assert_eq!(seen[9], json!([true, true]));
    // Once after Subscribed, once after the first transaction: repeated
    // Viewed Pages, the second transaction and an unchanged cart change
    // nothing.
    assert_eq!(result.stats.digital_data_updates, 2);
}

#[test]
fn compiled_projects_are_shared_across_threads() {
    fn shared<T: Send + Sync>() {}
    shared::<Pipeline>();
    shared::<handlebox_sandbox::HandlerSet>();
    shared::<handlebox_sandbox::Sandbox>();
    fn sent<T: Send>() {}
    sent::<handlebox_sandbox::PageWorld>();
}

#[test]
fn events_past_the_page_limit_are_reported_not_processed() {
    let sandbox = sandbox();
    let config = vec![IntegrationConfig {
        name: "Echo".into(),
        options: Map::new(),
    }];
    let pipeline = Pipeline::new(&sandbox, config, &[&Echo])
        .expect("pipeline")
        .with_max_events(3);
    let events: Vec<Value> = (0..5)
        .map(|i| json!({"name": format!("Event {i}")}))
        .collect();
    let page = Page::from_value(json!({"events": events})).expect("page");
    let result = pipeline.process(&page);
    assert_eq!(
        result.events.len(),
        6,
        "the default Viewed Page and all five events"
    );
    assert_eq!(result.calls.len(), 3);
    let skipped: Vec<Option<usize>> = result.events[3..].iter().map(|e| e.index).collect();
    assert_eq!(skipped, [Some(2), Some(3), Some(4)]);
    assert!(result.events[3..].iter().all(|e| e.dropped
        && e.warnings[0].starts_with("not processed: the page has more than 3 events")));
}

#[test]
fn a_trace_that_does_not_fit_the_output_budget_is_left_out_not_the_results() {
    let sandbox = sandbox();
    let options = json!({"eventEnrichments": [{"prop": "spot", "handler": "return 'x';"}]});
    let config = || {
        vec![IntegrationConfig {
            name: "Echo".into(),
            options: options.as_object().cloned().unwrap_or_default(),
        }]
    };
    let big = "b".repeat(8 << 10);
    let page = Page::from_value(json!({"digitalData": {
        "filler": big,
        "events": [{"name": "Viewed Page"}, {"name": "Viewed Product"}]
    }}))
    .expect("page");
    let traced = Pipeline::new(&sandbox, config(), &[&Echo])
        .expect("pipeline")
        .with_trace(true);
    let event = &traced.process(&page).events[0];
    assert_eq!(event.trace.len(), 1);
    assert_eq!(event.trace[0].calls[0].changed, ["spot"]);
    assert_eq!(event.trace[0].after_variables["spot"], json!("x"));

    let tight = || handlebox_pipeline::Budget {
        output_bytes: 4 << 10,
        ..handlebox_pipeline::Budget::default()
    };
    let traced = Pipeline::new(&sandbox, config(), &[&Echo])
        .expect("pipeline")
        .with_trace(true)
        .with_budget(tight())
        .process(&page);
    let untraced = Pipeline::new(&sandbox, config(), &[&Echo])
        .expect("pipeline")
        .with_budget(tight())
        .process(&page);
    assert_eq!(traced.events.len(), 2);
    for (event, plain) in traced.events.iter().zip(&untraced.events) {
        assert!(
            event.trace.is_empty(),
            "the 8 KiB digitalData does not fit 4 KiB"
        );
        assert!(
            event
                .warnings
                .iter()
                .any(|w| w.starts_with("trace left out: the page's traces pass")),
            "{:?}",
            event.warnings
        );
        assert_eq!(
            event.variables, plain.variables,
            "a trace never changes the results"
        );
        assert_eq!(event.calls, plain.calls);
        assert!(event.errors.is_empty(), "{:?}", event.errors);
    }
    assert_eq!(traced.calls, untraced.calls);
}
