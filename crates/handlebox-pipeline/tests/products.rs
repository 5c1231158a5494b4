//! The guest finds an event's products itself (it runs product variables on
//! them); `products_of` finds them on the host (for `eval`). Both follow
//! handlers.md's list, and this test holds them to the same answer.

use handlebox_pipeline::products_of;
use handlebox_sandbox::{
    HandlerSet, HandlerSpec, PageContext, Sandbox, SandboxConfig, Scope, Step,
};
use serde_json::{Value, json};

fn events() -> Vec<Value> {
    let product = |id: &str| json!({"id": id});
    vec![
        json!({"name": "Viewed Product Detail", "product": product("p"), "listing": {"items": [product("l")]}}),
        json!({"name": "Viewed Product Detail", "product": "not an object", "listing": {"items": [product("l0"), 3, product("l2")]}}),
        json!({"name": "Viewed Product Listing", "listing": {"items": []}, "cart": {"lineItems": [{"product": product("c")}]}}),
        json!({"name": "Viewed Cart", "cart": {"lineItems": [{"product": product("c0")}, {"product": [1]}, {"quantity": 1}, {"product": product("c3")}]}}),
        json!({"name": "Completed Transaction", "cart": {"lineItems": []}, "transaction": {"lineItems": [{"product": product("t")}]}}),
        json!({"name": "Clicked Product", "listItem": {"product": product("i")}, "listItems": [{"product": product("x")}]}),
        json!({"name": "Viewed Campaign", "listItem": {"product": null}, "listItems": [{"product": product("x0")}, {"product": product("x1")}]}),
        json!({"name": "Viewed Page", "listing": {"items": "not a list"}, "cart": null}),
        json!({"name": "Viewed Page"}),
    ]
}

#[test]
fn guest_and_host_find_the_same_products() {
    let sandbox = Sandbox::new(SandboxConfig {
        cache_dir: Some(std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("module-cache")),
        ..SandboxConfig::default()
    })
    .expect("sandbox");
    let spec = HandlerSpec::variable("id", "return product.id;").with_scope(Scope::Product);
    let project = HandlerSet::compile(&sandbox, vec![spec]).expect("compiles");
    let mut page = project.open_page(&PageContext::default()).expect("page");
    let steps = [Step::ProductVariable {
        handler: 0,
        prop: "seen".to_owned(),
    }];
    for event in events() {
        let outcome = page.run_event(&steps, &event).expect("plan runs");
        let guest: Vec<(String, Value)> = outcome
            .calls
            .iter()
            .map(|call| {
                let path = call.product.clone().unwrap_or_default();
                (path, call.outcome.value.clone().unwrap_or_default())
            })
            .collect();
        let host: Vec<(String, Value)> = products_of(&event)
            .into_iter()
            .map(|(path, product)| (path, product["id"].clone()))
            .collect();
        assert_eq!(guest, host, "{event}");
    }
}
