//! The helpers and source forms of handlers.md, each against the page in
//! `common::page()`.

mod common;

use common::{page, run, run_spec, sandbox, value};
use handlebox_sandbox::{ErrorKind, HandlerSet, HandlerSpec, Scope, SourceForm};
use serde_json::{Map, json};

#[test]
fn spot_example_from_the_flocktory_docs() {
    let spot = "if (_digitalData('website.redesign')) {\n  return 'redesign';\n} else {\n  return 'old';\n}";
    assert_eq!(value(spot), Some(json!("redesign")));
}

#[test]
fn digital_data_returns_deep_copies_and_paths() {
    assert_eq!(
        value("return _digitalData('user.segments[1]')"),
        Some(json!("new"))
    );
    assert_eq!(
        value("return this.digitalData('website.regionId')"),
        Some(json!("spb"))
    );
    assert_eq!(value("return _digitalData('user.missing.deeper')"), None);
    let copy = "var u = _digitalData('user'); u.email = 'x'; return _digitalData('user.email')";
    assert_eq!(value(copy), Some(json!("anna@example.com")));
}

#[test]
fn get_takes_own_properties_only() {
    assert_eq!(
        value("return _get({a: {b: [1, {c: 2}]}}, 'a.b[1].c')"),
        Some(json!(2))
    );
    assert_eq!(value("return _get({a: {}}, 'a.toString')"), None);
    assert_eq!(
        value("return this.get(event, 'name')"),
        Some(json!("Viewed Page"))
    );
    assert_eq!(value("return _get({a: undefined}, 'a.b')"), None);
}

#[test]
fn query_param_reads_the_query_string_only() {
    assert_eq!(
        value("return _queryParam('utm_source')"),
        Some(json!("mail"))
    );
    assert_eq!(value("return _queryParam('q')"), Some(json!("red shoes!")));
    assert_eq!(value("return _queryParam('absent')"), Some(json!("")));
    assert_eq!(
        value("return _queryParam('x')"),
        Some(json!("")),
        "x=1 is after the #"
    );
    let outcome = run("return _queryParam('bad')");
    let error = outcome.error.expect("a malformed escape throws");
    assert_eq!(error.kind, ErrorKind::Thrown);
    assert!(error.message.starts_with("URIError"), "{}", error.message);
}

#[test]
fn cookie_global_and_data_layer() {
    assert_eq!(value("return _cookie('_ga')"), Some(json!("GA1.2.3")));
    assert_eq!(
        value("return _cookie('city')"),
        Some(json!("Saint Petersburg"))
    );
    assert_eq!(value("return _cookie('none')"), None);
    assert_eq!(
        value("return _global('settings.currency')"),
        Some(json!("RUB"))
    );
    assert_eq!(
        value("return this.global('settings.mobile_app')"),
        Some(json!(false))
    );
    assert_eq!(
        value("return _dataLayer('pageType')"),
        Some(json!("confirmation"))
    );
    assert_eq!(value("return _dataLayer('event')"), Some(json!("gtm.load")));
    assert_eq!(value("return _dataLayer('nothing')"), None);
}

#[test]
fn console_is_captured_with_levels() {
    let outcome = run("console.log('a', 1, {b: [2]}); console.warn('careful'); return 1");
    let lines: Vec<_> = outcome
        .logs
        .iter()
        .map(|l| format!("{}: {}", l.level, l.message))
        .collect();
    assert_eq!(lines, ["log: a 1 {\"b\":[2]}", "warn: careful"]);
}

#[test]
fn console_output_is_capped_and_counted() {
    let outcome = run("for (var i = 0; i < 150; i++) console.log(i); return 1");
    assert_eq!(outcome.logs.len(), 100);
    assert_eq!(outcome.dropped_logs, 50);
}

#[test]
fn results_are_converted_as_json_stringify_does() {
    let mut nan = value("return NaN").expect("a marked value");
    handlebox_sandbox::finish_json(&mut nan);
    assert_eq!(nan, json!(null));
    assert_eq!(
        value("return new Date(0)"),
        Some(json!("1970-01-01T00:00:00.000Z"))
    );
    assert_eq!(
        value("return {a: 1, f: function () {}, u: undefined}"),
        Some(json!({"a": 1}))
    );
    assert_eq!(
        value("return [undefined, function () {}]"),
        Some(json!([null, null]))
    );
    assert_eq!(
        value("return {toJSON: function () { return 'custom'; }}"),
        Some(json!("custom"))
    );
    assert_eq!(value("return function () {}"), None);
    assert_eq!(value("return Symbol('s')"), None);
    assert_eq!(value("return undefined"), None);
    assert_eq!(value("return 0.1 + 0.2"), Some(json!(0.30000000000000004)));
}

#[test]
fn function_form_and_arrows() {
    assert_eq!(
        value(
            "function (event) { return event.name + ' ' + this.digitalData('website.regionId'); }"
        ),
        Some(json!("Viewed Page spb"))
    );
    assert_eq!(value("event => event.id * 2"), Some(json!(14)));
    assert_eq!(
        value("(event) => { return typeof _digitalData; }"),
        Some(json!("undefined"))
    );
}

#[test]
fn the_form_is_read_from_the_parse_with_comments_regexes_and_a_trailing_semicolon() {
    assert_eq!(value("function (e) { // }\n return e.id }"), Some(json!(7)));
    assert_eq!(
        value("function (e) { return /}/.test('}') }"),
        Some(json!(true))
    );
    assert_eq!(
        value("// exported\nfunction (e) { return e.id };"),
        Some(json!(7))
    );
}

#[test]
fn body_form_may_start_with_a_function_declaration() {
    let source = "function suffix(id) { return id + '_spb'; }\nreturn suffix(event.id);";
    assert_eq!(value(source), Some(json!("7_spb")));
}

#[test]
fn explicit_form_overrides_detection() {
    let mut spec = HandlerSpec::variable("f", "return 5");
    spec.form = Some(SourceForm::Body);
    assert_eq!(run_spec(spec, json!({})).value, Some(json!(5)));
}

#[test]
fn product_scope_gets_the_product() {
    let spec = HandlerSpec::variable(
        "id",
        "return product.id + '_' + _digitalData('website.regionId');",
    )
    .with_scope(Scope::Product);
    let outcome = run_spec(spec, json!({"id": "sku-1", "name": "Red Shoes"}));
    assert_eq!(outcome.value, Some(json!("sku-1_spb")));
}

#[test]
fn overrides_change_their_argument_and_see_the_integration() {
    let mut options = Map::new();
    options.insert("siteId".into(), json!("123"));
    let spec = HandlerSpec::variable(
        "override",
        "event.ignore = event.name === 'Viewed Page';\nevent.site = this.getOption('siteId') + '@' + this.getName();",
    )
    .as_override("Flocktory", options);
    let outcome = run_spec(spec, json!({"name": "Viewed Page"}));
    assert_eq!(outcome.error, None);
    assert_eq!(
        outcome.arg,
        Some(json!({"name": "Viewed Page", "ignore": true, "site": "123@Flocktory"}))
    );
    assert_eq!(outcome.value, None, "an override's return value is ignored");
}

#[test]
fn overrides_get_no_helpers() {
    let spec = HandlerSpec::variable("override", "event.x = _digitalData('website');")
        .as_override("Flocktory", Map::new());
    let error = run_spec(spec, json!({}))
        .error
        .expect("no _digitalData in overrides");
    assert_eq!(error.kind, ErrorKind::Thrown);
    assert!(
        error.message.starts_with("ReferenceError"),
        "{}",
        error.message
    );
    assert_eq!(error.line, Some(1));
}

#[test]
fn handlers_of_one_page_share_state_like_a_browser_tab() {
    let specs = vec![HandlerSpec::variable(
        "a",
        "globalThis.seen = (globalThis.seen || 0) + 1; return seen;",
    )];
    let project = HandlerSet::compile(sandbox(), specs).unwrap();
    let mut page = project.open_page(&page()).unwrap();
    assert_eq!(page.call(0, &json!({})).unwrap().value, Some(json!(1)));
    assert_eq!(page.call(0, &json!({})).unwrap().value, Some(json!(2)));
    let mut other = project.open_page(&common::page()).unwrap();
    assert_eq!(other.call(0, &json!({})).unwrap().value, Some(json!(1)));
}

#[test]
fn new_digital_data_is_seen_by_later_calls() {
    let project = HandlerSet::compile(
        sandbox(),
        vec![HandlerSpec::variable(
            "a",
            "return _digitalData('user.isSubscribed')",
        )],
    )
    .unwrap();
    let mut page = project.open_page(&page()).unwrap();
    assert_eq!(page.call(0, &json!({})).unwrap().value, None);
    page.set_digital_data(&json!({"user": {"isSubscribed": true}}))
        .unwrap();
    assert_eq!(page.call(0, &json!({})).unwrap().value, Some(json!(true)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_entry_runs_pages_off_the_reactor() {
    let project = HandlerSet::compile(
        sandbox(),
        vec![HandlerSpec::variable("a", "return event.n * 2")],
    )
    .unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|n| {
            let project = project.clone();
            tokio::spawn(async move {
                project
                    .with_page(page(), move |page| page.call(0, &json!({"n": n})))
                    .await
            })
        })
        .collect();
    for (n, task) in tasks.into_iter().enumerate() {
        let outcome = task.await.unwrap().unwrap().unwrap();
        assert_eq!(outcome.value, Some(json!(n * 2)));
    }
}

#[test]
fn an_override_that_throws_keeps_what_it_changed_before() {
    let spec = HandlerSpec::variable(
        "override",
        "event.first = 1;\nevent.second = event.missing.deep;",
    )
    .as_override("Flocktory", Map::new());
    let outcome = run_spec(spec, json!({"name": "Added Product"}));
    assert_eq!(outcome.error.map(|e| e.line), Some(Some(2)));
    assert_eq!(
        outcome.arg,
        Some(json!({"name": "Added Product", "first": 1}))
    );
}

#[test]
fn pages_start_from_the_prepared_snapshot() {
    assert_eq!(sandbox().cache_warning(), None);
    assert!(sandbox().uses_snapshot());
    let first = run("return Math.random()").value.unwrap();
    let second = run("return Math.random()").value.unwrap();
    assert_ne!(
        first, second,
        "Math.random is seeded per page, not frozen in the snapshot"
    );
}
