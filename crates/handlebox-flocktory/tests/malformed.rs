//! Malformed pages of every kind must never panic the pipeline, and every
//! event of a page must come out with its calls, errors or warnings. The
//! pages are generated from a fixed seed, so a failure reproduces.

use handlebox_flocktory::FlocktoryKind;
use handlebox_pipeline::{Page, Pipeline, config};
use handlebox_sandbox::{Sandbox, SandboxConfig};
use serde_json::{Map, Value, json};

/// A small deterministic generator (xorshift64*).
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const NAMES: [&str; 14] = [
    "Viewed Page",
    "Viewed Product Detail",
    "Viewed Product Listing",
    "Viewed Product Category",
    "Added Product",
    "Removed Product",
    "Completed Transaction",
    "Updated Cart",
    "Subscribed",
    "Viewed Thank You Page",
    "Searched",
    "",
    "Custom",
    "Viewed Cart",
];
const KEYS: [&str; 18] = [
    "product",
    "listing",
    "cart",
    "transaction",
    "user",
    "lineItems",
    "items",
    "id",
    "quantity",
    "unitSalePrice",
    "email",
    "isLoggedIn",
    "categoryId",
    "orderId",
    "total",
    "spot",
    "skuCode",
    "ignore",
];

/// Any JSON value, biased towards the shapes the pipeline reads.
fn value(r: &mut Random, depth: usize) -> Value {
    match r.below(if depth > 3 { 6 } else { 9 }) {
        0 => Value::Null,
        1 => json!(r.below(2) == 0),
        2 => json!(r.below(5) as i64 - 1),
        3 => json!(0.5 + r.below(1000) as f64),
        4 => json!(*r.pick(&["", "sku-1", "4004", "x@y.z", "+7 (999) 1", "Anna"])),
        5 => json!([]),
        6 => Value::Array((0..r.below(4)).map(|_| value(r, depth + 1)).collect()),
        _ => object(r, depth + 1),
    }
}

fn object(r: &mut Random, depth: usize) -> Value {
    let mut map = Map::new();
    for _ in 0..r.below(5) {
        map.insert((*r.pick(&KEYS)).to_owned(), value(r, depth));
    }
    Value::Object(map)
}

fn event(r: &mut Random) -> Value {
    if r.below(12) == 0 {
        return value(r, 3);
    }
    let mut event = object(r, 1);
    if let Value::Object(map) = &mut event {
        map.insert("name".into(), json!(*r.pick(&NAMES)));
        if r.below(5) == 0 {
            map.insert("includeIntegrations".into(), value(r, 3));
        }
        if r.below(5) == 0 {
            map.insert("excludeIntegrations".into(), json!(["Flocktory"]));
        }
    }
    event
}

fn page(r: &mut Random) -> Value {
    let mut dd = match object(r, 1) {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    if r.below(3) == 0 {
        dd.insert(
            "version".into(),
            json!(*r.pick(&["1.1.3", "1.0.0", "x", ""])),
        );
    }
    let events: Vec<Value> = (0..1 + r.below(8)).map(|_| event(r)).collect();
    dd.insert("events".into(), Value::Array(events));
    json!({"digitalData": dd, "url": *r.pick(&["https://s.example/?utm_source=a&gclid=1#x", "not a url", ""])})
}

#[test]
fn random_malformed_pages_never_panic_and_lose_no_event() {
    let sandbox = Sandbox::new(SandboxConfig {
        // A cache for this target directory's tests, never the user's own.
        cache_dir: Some(std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("module-cache")),
        ..SandboxConfig::default()
    })
    .expect("sandbox");
    let configs =
        config::parse(include_str!("../../../fixtures/configs/shop.json")).expect("config");
    let with_handlers = Pipeline::new(&sandbox, configs, &[&FlocktoryKind]).expect("pipeline");
    let options = json!({"siteId": "1", "exchange": true, "exchangeTriggerEvents": ["Added Product", "Subscribed"]});
    let plain = Pipeline::new(
        &sandbox,
        vec![handlebox_pipeline::IntegrationConfig {
            name: "Flocktory".into(),
            options: options.as_object().cloned().unwrap_or_default(),
        }],
        &[&FlocktoryKind],
    )
    .expect("pipeline");
    let mut r = Random(0x5eed_1234_abcd_ef01);
    let (mut calls, mut warnings) = (0, 0);
    for round in 0..400 {
        let json = page(&mut r);
        let Ok(input) = Page::from_value(json.clone()) else {
            continue;
        };
        let pipeline = if round % 4 == 0 {
            &with_handlers
        } else {
            &plain
        };
        let result = pipeline.process(&input);
        calls += result.calls.len();
        warnings += result
            .events
            .iter()
            .map(|e| e.warnings.len())
            .sum::<usize>();
        let listed: Vec<usize> = result.events.iter().filter_map(|e| e.index).collect();
        for index in 0..input.events().len() {
            assert!(
                listed.contains(&index),
                "round {round}: event {index} is missing from {json}"
            );
        }
        let flat: Vec<Value> = result.events.iter().flat_map(|e| e.calls.clone()).collect();
        assert_eq!(flat, result.calls, "round {round}: {json}");
    }
    // The generator must keep reaching the integration and its malformed paths.
    assert!(
        calls > 400 && warnings > 600,
        "{calls} calls, {warnings} warnings"
    );
}
