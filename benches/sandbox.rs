//! The sandbox's per-call costs: one handler call on a warm page, a fresh
//! page (isolated state) plus one call, a product-scope handler over 20
//! products one call at a time, and the same as one event plan (one guest
//! request for the 20 calls). Inputs come from `fixtures/`.

use criterion::{Criterion, criterion_group, criterion_main};
use handlebox_pipeline::Page;
use handlebox_sandbox::{HandlerSet, HandlerSpec, Sandbox, SandboxConfig, Scope, Step};
use serde_json::{Value, json};

const PAGE: &str = include_str!("../fixtures/pages/thank-you.json");
const SPOT: &str = include_str!("../fixtures/project/handlers/spot.js");
const PRODUCT_ID: &str = include_str!("../fixtures/project/handlers/product-id-by-region.js");

fn setup() -> (HandlerSet, Page, Value) {
    let sandbox = Sandbox::new(SandboxConfig::default()).expect("sandbox");
    let project = HandlerSet::compile(
        &sandbox,
        vec![
            HandlerSpec::variable("spot", SPOT),
            HandlerSpec::variable("product id", PRODUCT_ID).with_scope(Scope::Product),
        ],
    )
    .expect("handlers compile");
    let page = Page::parse(PAGE).expect("fixture page");
    let event = json!({
        "name": "Completed Transaction",
        "category": "Ecommerce",
        "transaction": page.digital_data["transaction"].clone(),
    });
    (project, page, event)
}

fn sandbox(c: &mut Criterion) {
    let (project, page, event) = setup();
    let data = page.sandbox_data();

    let mut warm = project.open_page(&data).expect("page");
    c.bench_function("spot call on a warm page", |b| {
        b.iter(|| warm.call(0, &event).expect("call"))
    });

    c.bench_function("fresh page + spot call", |b| {
        b.iter(|| {
            let mut page = project.open_page(&data).expect("page");
            page.call(0, &event).expect("call")
        })
    });

    let products: Vec<Value> = (0..20)
        .map(|i| json!({"id": format!("sku-{i}"), "name": "Red Shoes", "unitSalePrice": 2990, "categoryId": "c-10"}))
        .collect();
    let mut page = project.open_page(&data).expect("page");
    c.bench_function("product handler over 20 products, one call each", |b| {
        b.iter(|| {
            for product in &products {
                page.call(1, product).expect("call");
            }
        })
    });

    let listing = json!({"name": "Viewed Product Listing", "listing": {"items": products}});
    let plan = [
        Step::Variable {
            handler: 0,
            prop: "spot".to_owned(),
            event: String::new(),
        },
        Step::ProductVariable {
            handler: 1,
            prop: "id".to_owned(),
        },
    ];
    c.bench_function("event plan: spot + product handler over 20 products", |b| {
        b.iter(|| page.run_event(&plan, &listing).expect("plan"))
    });
}

criterion_group!(benches, sandbox);
criterion_main!(benches);
