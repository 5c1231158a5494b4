//! The mixed shop workload: pages of five kinds (home, a listing of 24
//! products, a product, a cart, a thank-you page) from `fixtures/pages/`,
//! varied from page to page (user, region, design, order), for the mixed
//! config `fixtures/configs/shop-mixed.json` (an override and four event
//! variables, one of them per product). The benches, the replay and the
//! peer scripts all run these same pages.

use serde_json::{Value, json};

/// The config the workload is measured with.
#[allow(dead_code, reason = "the mixed_pages example writes pages only")]
pub const CONFIG: &str = include_str!("../../fixtures/configs/shop-mixed.json");

/// Page templates and how many of every 20 pages are of each kind.
const TEMPLATES: [(&str, u32); 5] = [
    (include_str!("../../fixtures/pages/home-anonymous.json"), 4),
    (include_str!("../../fixtures/pages/listing-24.json"), 5),
    (include_str!("../../fixtures/pages/product.json"), 5),
    (include_str!("../../fixtures/pages/cart.json"), 3),
    (include_str!("../../fixtures/pages/thank-you-6kb.json"), 3),
];

/// A small deterministic generator (a 64-bit LCG), so that every run
/// measures the same pages.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below
    }
}

/// `count` pages, as one JSON text each.
pub fn pages(count: usize) -> Vec<String> {
    let templates: Vec<Value> = TEMPLATES
        .iter()
        .map(|(text, _)| serde_json::from_str(text).expect("fixture pages are JSON"))
        .collect();
    let cycle: Vec<usize> = TEMPLATES
        .iter()
        .enumerate()
        .flat_map(|(i, (_, weight))| std::iter::repeat_n(i, *weight as usize))
        .collect();
    let mut random = Lcg(42);
    (0..count)
        .map(|n| {
            let mut page = templates[cycle[n % cycle.len()]].clone();
            vary(&mut page, n, &mut random);
            page.to_string()
        })
        .collect()
}

fn vary(page: &mut Value, n: usize, random: &mut Lcg) {
    let Some(dd) = page.get_mut("digitalData").and_then(Value::as_object_mut) else {
        return;
    };
    let region = ["msk", "spb", "ekb"][random.next(3) as usize];
    let website = dd.entry("website").or_insert_with(|| json!({}));
    website["regionId"] = json!(region);
    website["redesign"] = json!(random.next(2) == 0);
    if let Some(user) = dd.get_mut("user").and_then(Value::as_object_mut) {
        // One visitor in ten is staff, whom the override keeps from Flocktory.
        let domain = if random.next(10) == 0 {
            "shop.example"
        } else {
            "example.com"
        };
        user.insert("userId".into(), json!(format!("u-{}", 10_000 + n)));
        user.insert("email".into(), json!(format!("visitor{n}@{domain}")));
    }
    if let Some(transaction) = dd.get_mut("transaction").and_then(Value::as_object_mut) {
        transaction.insert("orderId".into(), json!(format!("A-{}", 5_000 + n)));
    }
}
