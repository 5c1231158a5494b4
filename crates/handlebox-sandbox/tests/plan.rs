//! An event's handler plan in one request ([`PageWorld::run_event`]): the steps
//! share one event object, each call is reported in order with its own
//! cost, a trap costs only its own call, and strikes stop a hostile handler.

mod common;

use common::{page, sandbox};
use handlebox_sandbox::{
    ErrorKind, EventOutcome, HandlerSet, HandlerSpec, PageWorld, STRIKES, Scope, Step,
};
use serde_json::{Map, Value, json};

fn project(specs: Vec<HandlerSpec>) -> HandlerSet {
    HandlerSet::compile(sandbox(), specs).expect("handlers compile")
}

fn open(project: &HandlerSet) -> PageWorld {
    project.open_page(&page()).expect("page opens")
}

fn variable(handler: usize, prop: &str) -> Step {
    Step::Variable {
        handler,
        prop: prop.to_owned(),
        event: String::new(),
    }
}

fn product_variable(handler: usize, prop: &str) -> Step {
    Step::ProductVariable {
        handler,
        prop: prop.to_owned(),
    }
}

fn errors(outcome: &EventOutcome) -> Vec<Option<ErrorKind>> {
    outcome
        .calls
        .iter()
        .map(|c| c.outcome.error.as_ref().map(|e| e.kind))
        .collect()
}

fn transaction_event() -> Value {
    json!({
        "name": "Completed Transaction",
        "user": {"email": "anna@example.com"},
        "transaction": {"lineItems": [
            {"product": {"id": "sku-1"}, "quantity": 1},
            {"product": {"id": "sku-2"}, "quantity": 2},
            {"note": "no product here"},
            {"product": {"id": "sku-3"}, "quantity": 1}
        ]}
    })
}

#[test]
fn steps_share_one_event_in_the_reference_order() {
    let project = project(vec![
        HandlerSpec::variable(
            "override",
            "function (event) { event.seenBy = [this.getName()]; event.user.email = 'x@' + this.getOption('domain'); }",
        )
        .as_override("Flocktory", {
            let mut options = Map::new();
            options.insert("domain".into(), json!("shop.example"));
            options
        }),
        HandlerSpec::variable("spot", "return _digitalData('website.redesign') ? 'redesign' : 'old';"),
        HandlerSpec::variable("sees spot", "event.seenBy.push('sees spot'); return event.spot + '!';"),
        HandlerSpec::variable("region id", "return product.id + '_' + _digitalData('website.regionId');")
            .with_scope(Scope::Product),
    ]);
    let mut page = open(&project);
    let steps = [
        Step::Override { handler: 0 },
        variable(1, "spot"),
        variable(2, "echo"),
        product_variable(3, "id"),
    ];
    let outcome = page
        .run_event(&steps, &transaction_event())
        .expect("plan runs");
    assert_eq!(errors(&outcome), vec![None; 6]);
    let event = &outcome.event;
    assert_eq!(event["user"]["email"], "x@shop.example");
    assert_eq!(event["spot"], "redesign");
    assert_eq!(event["echo"], "redesign!");
    assert_eq!(event["seenBy"], json!(["Flocktory", "sees spot"]));
    let ids: Vec<&Value> = [0, 1, 3]
        .iter()
        .map(|i| &event["transaction"]["lineItems"][i]["product"]["id"])
        .collect();
    assert_eq!(ids, ["sku-1_spb", "sku-2_spb", "sku-3_spb"]);
    let products: Vec<Option<&str>> = outcome.calls[3..]
        .iter()
        .map(|c| c.product.as_deref())
        .collect();
    assert_eq!(
        products,
        [
            Some("transaction.lineItems[0].product"),
            Some("transaction.lineItems[1].product"),
            Some("transaction.lineItems[3].product"),
        ]
    );
    assert_eq!(outcome.calls[1].outcome.value, Some(json!("redesign")));
    assert!(outcome.calls.iter().all(|c| c.ran));
}

#[test]
fn a_variable_filtered_by_event_name_reads_the_name_after_the_override() {
    let project = project(vec![
        HandlerSpec::variable("rename", "function (event) { event.name = 'Renamed'; }")
            .as_override("Flocktory", Map::new()),
        HandlerSpec::variable("only renamed", "return 1;"),
        HandlerSpec::variable("only original", "return 2;"),
    ]);
    let mut page = open(&project);
    let steps = [
        Step::Override { handler: 0 },
        Step::Variable {
            handler: 1,
            prop: "a".into(),
            event: "Renamed".into(),
        },
        Step::Variable {
            handler: 2,
            prop: "b".into(),
            event: "Viewed Page".into(),
        },
    ];
    let outcome = page
        .run_event(&steps, &json!({"name": "Viewed Page"}))
        .expect("plan runs");
    assert_eq!(
        outcome.calls.len(),
        2,
        "the filtered-out variable is not called"
    );
    assert_eq!(outcome.event, json!({"name": "Renamed", "a": 1}));
}

#[test]
fn writing_through_null_is_reported_where_the_reference_throws() {
    let project = project(vec![HandlerSpec::variable("v", "return 5;")]);
    let mut page = open(&project);
    let outcome = page
        .run_event(
            &[variable(0, "user.score")],
            &json!({"name": "x", "user": null}),
        )
        .expect("plan runs");
    let failure = outcome.calls[0].set_failure.as_ref().expect("a failure");
    assert_eq!(
        (failure.path.as_str(), failure.at.as_str()),
        ("user.score", "user")
    );
    assert_eq!(outcome.calls[0].outcome.value, None);
    assert_eq!(outcome.event, json!({"name": "x", "user": null}));
    let outcome = page
        .run_event(
            &[variable(0, "a.b[0]")],
            &json!({"name": "x", "a": {"b": []}}),
        )
        .expect("plan runs");
    assert!(outcome.calls[0].set_failure.is_none());
    assert_eq!(outcome.event["a"]["b"], json!([5]));
}

#[test]
fn a_value_that_is_the_event_itself_is_written_as_a_copy() {
    let project = project(vec![HandlerSpec::variable("self", "return event;")]);
    let mut page = open(&project);
    let outcome = page
        .run_event(&[variable(0, "copy")], &json!({"name": "x"}))
        .expect("plan runs");
    assert_eq!(outcome.calls[0].outcome.error, None);
    assert_eq!(outcome.event, json!({"name": "x", "copy": {"name": "x"}}));
}

#[test]
fn an_event_left_unconvertible_fails_the_last_call_and_goes_on_unchanged() {
    let project = project(vec![
        HandlerSpec::variable("cycle", "function (event) { event.self = event; }")
            .as_override("Flocktory", Map::new()),
        HandlerSpec::variable("spot", "return 'redesign';"),
    ]);
    let mut page = open(&project);
    let input = json!({"name": "Viewed Page"});
    let outcome = page
        .run_event(
            &[Step::Override { handler: 0 }, variable(1, "spot")],
            &input,
        )
        .expect("plan runs");
    assert_eq!(outcome.event, input);
    assert_eq!(errors(&outcome), [None, Some(ErrorKind::Output)]);
    assert_eq!(
        outcome.calls[1].outcome.value, None,
        "its value was not kept"
    );
}

#[test]
fn a_trap_costs_its_own_call_and_the_plan_finishes_on_a_fresh_instance() {
    let project = project(vec![
        HandlerSpec::variable(
            "counter",
            "globalThis.n = (globalThis.n || 0) + 1; return globalThis.n;",
        ),
        HandlerSpec::variable(
            "loops on sku-2",
            "if (product.id === 'sku-2') { while (true) {} } return 'ok';",
        )
        .with_scope(Scope::Product),
        HandlerSpec::variable("after", "return 'after';"),
    ]);
    let mut page = open(&project);
    let steps = [
        variable(0, "n"),
        product_variable(1, "checked"),
        variable(2, "later"),
    ];
    let outcome = page
        .run_event(&steps, &transaction_event())
        .expect("plan runs");
    assert_eq!(
        errors(&outcome),
        [None, None, Some(ErrorKind::Timeout), None, None]
    );
    let trapped: Vec<bool> = outcome.calls.iter().map(|c| c.outcome.trapped).collect();
    assert_eq!(trapped, [false, false, true, false, false]);
    let deadline = sandbox().config().limits.deadline.as_micros() as u64;
    let cost = outcome.calls[2].outcome.cost.micros;
    assert!(cost + 1_000 >= deadline && cost < 2 * deadline, "{cost} µs");
    let event = &outcome.event;
    assert_eq!(event["n"], 1, "only the run that finished is reported");
    assert_eq!(event["later"], "after");
    let lines = &event["transaction"]["lineItems"];
    assert_eq!(lines[0]["product"]["checked"], "ok");
    assert_eq!(lines[1]["product"].get("checked"), None);
    assert_eq!(lines[3]["product"]["checked"], "ok");
    assert_eq!(page.instances_used(), 2);
}

#[test]
fn a_handler_stops_running_after_its_strikes() {
    let project = project(vec![
        HandlerSpec::variable("loops", "while (true) {}"),
        HandlerSpec::variable("fine", "return 1;"),
    ]);
    let mut page = open(&project);
    let steps = [variable(0, "a"), variable(1, "b")];
    for _ in 0..STRIKES {
        let outcome = page
            .run_event(&steps, &json!({"name": "x"}))
            .expect("plan runs");
        assert_eq!(errors(&outcome), [Some(ErrorKind::Timeout), None]);
        assert!(outcome.calls[0].outcome.trapped);
    }
    let outcome = page
        .run_event(&steps, &json!({"name": "x"}))
        .expect("plan runs");
    assert_eq!(errors(&outcome), [Some(ErrorKind::Timeout), None]);
    let stopped = &outcome.calls[0];
    assert!(!stopped.ran && !stopped.outcome.trapped);
    assert!(
        stopped
            .outcome
            .error
            .as_ref()
            .is_some_and(|e| e.message.starts_with("not run")),
        "{:?}",
        stopped.outcome.error
    );
    assert_eq!(outcome.event, json!({"name": "x", "b": 1}));
    assert_eq!(page.instances_used(), 1 + STRIKES);
    let single = page.call(0, &json!({})).expect("call");
    assert!(
        single
            .error
            .is_some_and(|e| e.message.starts_with("not run"))
    );
}

#[test]
fn every_page_starts_from_the_projects_compiled_image() {
    let project = project(vec![HandlerSpec::variable(
        "leaks?",
        "var seen = globalThis.seen || 0; globalThis.seen = seen + 1; Object.prototype.polluted = true; return seen;",
    )]);
    assert!(project.image_bytes() > 0, "compiling changed the instance");
    for _ in 0..3 {
        let mut page = open(&project);
        let outcome = page
            .run_event(&[variable(0, "seen")], &json!({"name": "x"}))
            .expect("plan runs");
        assert_eq!(
            outcome.event["seen"], 0,
            "nothing crosses from the page before"
        );
        let again = page
            .run_event(&[variable(0, "seen")], &json!({"name": "x"}))
            .expect("plan runs");
        assert_eq!(again.event["seen"], 1, "state lasts for the page");
    }
}

#[test]
fn new_digital_data_reaches_the_next_plan() {
    let project = project(vec![HandlerSpec::variable(
        "flag",
        "return _digitalData('user.isSubscribed');",
    )]);
    let mut page = open(&project);
    let outcome = page
        .run_event(&[variable(0, "flag")], &json!({"name": "x"}))
        .expect("plan runs");
    assert_eq!(outcome.event.get("flag"), None, "undefined is not written");
    page.set_digital_data(&json!({"user": {"isSubscribed": true}}))
        .expect("accepted");
    let outcome = page
        .run_event(&[variable(0, "flag")], &json!({"name": "x"}))
        .expect("plan runs");
    assert_eq!(outcome.event["flag"], true);
}

#[test]
fn work_a_handler_leaves_behind_is_charged_to_it_and_bounded() {
    // The override leaves a getter that never returns; finding the products
    // runs it outside any call. It costs the request's own budget once, is
    // charged to the override, and the plan finishes without it.
    let project = project(vec![
        HandlerSpec::variable(
            "trap",
            "function (event) { Object.defineProperty(event, 'product', {enumerable: true, get: function () { for (;;) {} }}); }",
        )
        .as_override("Flocktory", Map::new()),
        HandlerSpec::variable("id", "return product.id;").with_scope(Scope::Product),
    ]);
    let mut page = open(&project);
    let event = json!({"name": "Viewed Product Detail", "product": {"id": "p1"}});
    let started = std::time::Instant::now();
    let outcome = page
        .run_event(
            &[Step::Override { handler: 0 }, product_variable(1, "seen")],
            &event,
        )
        .expect("plan runs");
    assert!(started.elapsed() < std::time::Duration::from_secs(3));
    let first = outcome.calls[0]
        .outcome
        .error
        .as_ref()
        .expect("the override is charged");
    assert_eq!(first.kind, ErrorKind::Timeout);
    assert!(
        first.message.contains("after this call"),
        "{}",
        first.message
    );
    assert_eq!(outcome.event["product"]["seen"], "p1");
}

#[test]
fn output_limits_hold_for_huge_and_deep_values() {
    let project = project(vec![
        HandlerSpec::variable("sparse", "var a = []; a.length = 4294967295; return a;"),
        HandlerSpec::variable(
            "deep",
            "var o = event; for (var i = 0; i < 200; i++) { o = o.x = {}; } return 1;",
        ),
        HandlerSpec::variable(
            "to json",
            "var a = [1]; a.toJSON = function () { return 'x'; }; return a;",
        ),
    ]);
    let mut page = open(&project);
    let outcome = page
        .run_event(&[variable(0, "a")], &json!({"name": "x"}))
        .expect("plan runs");
    let error = outcome.calls[0].outcome.error.as_ref().expect("an error");
    assert_eq!(error.kind, ErrorKind::Output, "{error:?}");
    assert!(!outcome.calls[0].outcome.trapped);
    let input = json!({"name": "x"});
    let outcome = page
        .run_event(&[variable(1, "b")], &input)
        .expect("plan runs");
    assert_eq!(outcome.event, input, "the event goes on as it came");
    assert_eq!(errors(&outcome), [Some(ErrorKind::Output)]);
    let outcome = page
        .run_event(&[variable(2, "c")], &json!({"name": "x"}))
        .expect("plan runs");
    assert_eq!(outcome.event["c"], "x", "an array's own toJSON is used");
}

#[test]
fn only_what_the_events_json_has_are_products() {
    let project = project(vec![
        HandlerSpec::variable(
            "hide",
            "function (event) { Object.defineProperty(event, 'product', {value: {id: 'hidden'}, enumerable: false}); event.listing = {items: [, new Date(0), {id: 'l2'}]}; }",
        )
        .as_override("Flocktory", Map::new()),
        HandlerSpec::variable("id", "return product.id;").with_scope(Scope::Product),
        HandlerSpec::variable("symbol path", "return _digitalData(Symbol('x'));"),
    ]);
    let mut page = open(&project);
    let outcome = page
        .run_event(
            &[
                Step::Override { handler: 0 },
                product_variable(1, "seen"),
                variable(2, "s"),
            ],
            &json!({"name": "x"}),
        )
        .expect("plan runs");
    let products: Vec<Option<&str>> = outcome.calls[1..outcome.calls.len() - 1]
        .iter()
        .map(|c| c.product.as_deref())
        .collect();
    assert_eq!(products, [Some("listing.items[2]")]);
    assert_eq!(
        outcome.calls.last().and_then(|c| c.outcome.error.clone()),
        None
    );
}
