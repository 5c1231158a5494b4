//! Two rules of the reference library (digital-data-manager 1.2.262) that
//! the recorded pages touch only at one point each, covered here case by
//! case:
//!
//! - A handler's value is set on the event as a JavaScript value
//!   (`if (value !== undefined) setProp(event, prop, value)`), and
//!   `cleanObject` drops only `undefined`, `null` and `""`: values that JSON
//!   writes as `null` (`NaN`, `±Infinity`, an invalid `Date`) stay on the
//!   event and reach the call as `null`; `String()` and `||` see the
//!   JavaScript value.
//! - After `Subscribed` and `Completed Transaction`, a field of
//!   `digitalData.user` is set only where it is falsy
//!   (`if (!user.email && email)`), and the event's email only when it is
//!   truthy.

use std::sync::OnceLock;

use handlebox_flocktory::FlocktoryKind;
use handlebox_pipeline::{IntegrationConfig, Page, PageResult, Pipeline};
use handlebox_sandbox::{Sandbox, SandboxConfig};
use serde_json::{Map, Value, json};

fn sandbox() -> &'static Sandbox {
    static SANDBOX: OnceLock<Sandbox> = OnceLock::new();
    SANDBOX.get_or_init(|| {
        Sandbox::new(SandboxConfig {
            // A cache for this target directory's tests, never the user's own.
            cache_dir: Some(std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("module-cache")),
            ..SandboxConfig::default()
        })
        .expect("sandbox")
    })
}

fn process(options: Value, digital_data: Value) -> PageResult {
    let options: Map<String, Value> = serde_json::from_value(options).expect("options object");
    let config = vec![IntegrationConfig {
        name: "Flocktory".into(),
        options,
    }];
    let pipeline = Pipeline::new(sandbox(), config, &[&FlocktoryKind]).expect("config");
    let page = Page::from_value(json!({
        "digitalData": digital_data,
        "url": "https://shop.example/thank-you"
    }))
    .expect("page");
    pipeline.process(&page)
}

/// The payload of the first pushed `command`.
fn pushed<'a>(result: &'a PageResult, command: &str) -> &'a Value {
    result
        .calls
        .iter()
        .find(|call| call[0] == "push" && call[1][0] == command)
        .map(|call| &call[1][1])
        .unwrap_or_else(|| panic!("no {command} call in {:?}", result.calls))
}

fn variable(prop: &str, handler: &str) -> Value {
    json!({"scope": "event", "prop": prop, "event": "", "handler": handler})
}

fn transaction_page() -> Value {
    json!({
        "page": {"type": "confirmation"},
        "user": {"email": "anna@example.com"},
        "transaction": {"orderId": "A-1", "total": 100,
            "lineItems": [{"product": {"id": "p1", "unitSalePrice": 100}, "quantity": 1}]},
        "events": [{"name": "Viewed Page"}, {"name": "Completed Transaction"}]
    })
}

#[test]
fn nan_and_infinity_from_a_handler_reach_the_calls_as_null() {
    for returned in ["NaN", "Infinity", "-Infinity", "new Date(NaN)"] {
        let options = json!({"siteId": "1", "exchange": true,
            "eventEnrichments": [variable("spot", &format!("return {returned};"))]});
        let result = process(options, transaction_page());
        assert_eq!(
            pushed(&result, "postcheckout").get("spot"),
            Some(&Value::Null),
            "{returned}"
        );
        assert_eq!(
            pushed(&result, "exchange").get("spot"),
            Some(&Value::Null),
            "{returned}"
        );
        let spot = result.events[1].variables.iter().find(|v| v.prop == "spot");
        assert_eq!(spot.map(|v| &v.value), Some(&Value::Null), "{returned}");
    }
}

#[test]
fn a_null_from_a_handler_is_cleaned_away() {
    let options = json!({"siteId": "1",
        "eventEnrichments": [variable("spot", "return null;")]});
    let result = process(options, transaction_page());
    assert_eq!(pushed(&result, "postcheckout").get("spot"), None);
}

#[test]
fn inside_objects_nan_stays_and_blanks_go() {
    let options = json!({"siteId": "1",
        "eventEnrichments": [variable("spot", "return {a: NaN, b: null, c: ''};")]});
    let result = process(options, transaction_page());
    assert_eq!(
        pushed(&result, "postcheckout").get("spot"),
        Some(&json!({"a": null}))
    );
}

#[test]
fn string_and_or_see_the_javascript_value() {
    let options = json!({"siteId": "1",
        "eventEnrichments": [variable("transaction.orderId", "return NaN;"),
                             variable("transaction.total", "return Infinity;")]});
    let result = process(options, transaction_page());
    let order = &pushed(&result, "postcheckout")["order"];
    assert_eq!(order["id"], "NaN");
    assert_eq!(order.get("price"), Some(&Value::Null));

    for (returned, count) in [("Infinity", Value::Null), ("NaN", json!(1))] {
        let options = json!({"siteId": "1", "eventEnrichments": [
            {"scope": "event", "prop": "quantity", "event": "Added Product",
             "handler": format!("return {returned};")}]});
        let page = json!({"events": [{"name": "Viewed Page"},
            {"name": "Added Product", "product": {"id": "p1"}}]});
        let result = process(options, page);
        assert_eq!(
            pushed(&result, "addToCart")["item"].get("count"),
            Some(&count),
            "{returned}"
        );
    }
}

#[test]
fn a_later_handler_sees_the_number_not_its_json() {
    let options = json!({"siteId": "1", "eventEnrichments": [
        variable("spot", "return NaN;"),
        variable("seen", "return typeof event.spot + ':' + String(event.spot);")]});
    let result = process(options, transaction_page());
    let seen = result.events[1].variables.iter().find(|v| v.prop == "seen");
    assert_eq!(seen.map(|v| &v.value), Some(&json!("number:NaN")));
}

/// A page: `Viewed Page`, `Subscribed` with `email`, `Completed
/// Transaction`, with `user` as `digitalData.user`; the `spot` handler
/// shows what the transaction saw of `digitalData.user.<field>`.
fn subscribed_page(user: Value, email: Value, field: &str) -> PageResult {
    let mut page = transaction_page();
    page["user"] = user;
    page["events"] = json!([{"name": "Viewed Page"},
        {"name": "Subscribed", "user": {"email": email}},
        {"name": "Completed Transaction"}]);
    let options = json!({"siteId": "1", "eventEnrichments": [
        {"scope": "event", "prop": "spot", "event": "Completed Transaction",
         "handler": format!("var v = _digitalData('user.{field}'); return v === undefined ? 'undefined' : String(v);")}]});
    process(options, page)
}

#[test]
fn subscribed_fills_a_falsy_email_only_with_a_truthy_one() {
    for blank in [json!(""), json!(false), json!(0), json!(null)] {
        let result = subscribed_page(json!({"email": blank}), json!("new@example.com"), "email");
        assert_eq!(
            pushed(&result, "postcheckout")["user"]["email"],
            "new@example.com",
            "digitalData.user.email {blank}"
        );
    }
    let result = subscribed_page(
        json!({"email": "old@example.com"}),
        json!("new@example.com"),
        "email",
    );
    assert_eq!(
        pushed(&result, "postcheckout")["user"]["email"],
        "old@example.com"
    );
    for blank in [json!(""), json!(null)] {
        let result = subscribed_page(json!({}), blank.clone(), "email");
        assert_eq!(
            pushed(&result, "postcheckout")["spot"],
            "undefined",
            "Subscribed with email {blank}"
        );
    }
}

#[test]
fn flags_and_dates_are_set_only_where_falsy() {
    let result = subscribed_page(json!({"isSubscribed": 1}), json!("a@b.c"), "isSubscribed");
    assert_eq!(pushed(&result, "postcheckout")["spot"], "1");
    let result = subscribed_page(json!({"isSubscribed": 0}), json!("a@b.c"), "isSubscribed");
    assert_eq!(pushed(&result, "postcheckout")["spot"], "true");

    let mut page = transaction_page();
    page["user"] = json!({"lastTransactionDate": "", "hasTransacted": "yes"});
    page["events"] = json!([{"name": "Viewed Page"}, {"name": "Completed Transaction"},
        {"name": "Completed Transaction"}]);
    let options = json!({"siteId": "1", "eventEnrichments": [
        variable("spot", "return _digitalData('user.lastTransactionDate') + '|' + _digitalData('user.hasTransacted');")]});
    let result = process(options, page);
    let spots: Vec<&str> = result
        .calls
        .iter()
        .filter(|c| c[1][0] == "postcheckout")
        .filter_map(|c| c[1][1]["spot"].as_str())
        .collect();
    assert_eq!(spots.len(), 2, "{:?}", result.calls);
    assert_eq!(spots[0], "|yes");
    let (date, flag) = spots[1].split_once('|').expect("two parts");
    assert!(date.ends_with('Z') && date.contains('T'), "{date}");
    assert_eq!(flag, "yes");
}
