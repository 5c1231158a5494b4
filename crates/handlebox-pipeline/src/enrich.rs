//! What the reference does to `digitalData` and to events before any
//! integration sees them: defaults and page facts before each `Viewed Page`,
//! user facts after `Subscribed` and `Completed Transaction`, legacy renames,
//! and the common enrichment of products and transactions.

use std::collections::HashMap;

use percent_encoding::percent_decode_str;
use serde_json::{Map, Value, json};
use url::Url;

use crate::{Page, event_name, js};

/// `Viewed Product Category` → `Viewed Product Listing`, `Searched` →
/// `Searched Products`; other names unchanged.
pub fn renamed(name: &str) -> &str {
    match name {
        "Viewed Product Category" => "Viewed Product Listing",
        "Searched" => "Searched Products",
        other => other,
    }
}

/// Edits of `digitalData` that remember whether anything changed, so that
/// the sandbox is sent `digitalData` again only then.
#[derive(Default)]
struct Edits {
    changed: bool,
}

impl Edits {
    /// The object at `key`, made an empty one when it is missing or not an
    /// object.
    fn object<'a>(
        &mut self,
        dd: &'a mut Map<String, Value>,
        key: &str,
    ) -> &'a mut Map<String, Value> {
        let slot = dd.entry(key.to_owned()).or_insert(Value::Null);
        if !slot.is_object() {
            *slot = json!({});
            self.changed = true;
        }
        match slot {
            Value::Object(map) => map,
            _ => unreachable!("replaced by an object above"),
        }
    }

    /// Sets `key` to `value` when its value is falsy, as the reference's
    /// `if (!user.email)` and `page.path || …` do.
    fn fill(&mut self, map: &mut Map<String, Value>, key: &str, value: Value) {
        if !js::truthy(map.get(key)) {
            self.put(map, key, value);
        }
    }

    /// Sets `key` to `value`.
    fn put(&mut self, map: &mut Map<String, Value>, key: &str, value: Value) {
        if map.get(key) != Some(&value) {
            map.insert(key.to_owned(), value);
            self.changed = true;
        }
    }
}

/// Enriches `digitalData` as the reference does before each `Viewed Page`.
/// `uuid` gives `user.anonymousId` when it is missing. Returns whether
/// anything changed.
pub fn before_viewed_page(
    dd: &mut Map<String, Value>,
    page: &Page,
    uuid: impl FnOnce() -> String,
) -> bool {
    let mut edits = Edits::default();
    for key in ["website", "page", "user", "context"] {
        edits.object(dd, key);
    }
    if dd.get("cart").is_none_or(Value::is_null) {
        edits.put(
            dd,
            "cart",
            json!({"lineItems": [], "subtotal": 0, "total": 0}),
        );
    }
    let confirmation = dd
        .get("page")
        .and_then(|p| p.get("type"))
        .is_some_and(|t| t == "confirmation");
    if confirmation && dd.get("transaction").is_none_or(Value::is_null) {
        edits.put(dd, "transaction", json!({}));
    }

    let location = Location::of(&page.url);
    let page_map = edits.object(dd, "page");
    edits.fill(page_map, "path", json!(location.path));
    edits.fill(page_map, "queryString", json!(location.query));
    edits.fill(page_map, "hash", json!(percent_decode(&location.hash)));
    edits.fill(page_map, "url", json!(percent_decode(&page.url)));
    edits.fill(page_map, "referrer", json!(page.referrer));
    edits.fill(page_map, "title", json!(page.title));

    let context = edits.object(dd, "context");
    if !page.user_agent.is_empty() {
        edits.fill(context, "userAgent", json!(page.user_agent));
    }
    if context.get("campaign").is_none()
        && let Some(campaign) = campaign(&location.query)
    {
        edits.put(context, "campaign", campaign);
    }

    let user = edits.object(dd, "user");
    if user.get("isReturning").is_none() {
        edits.put(user, "isReturning", json!(false));
    }
    match user.get("isLoggedIn") {
        Some(logged_in) if js::truthy(Some(logged_in)) => {
            edits.fill(user, "everLoggedIn", json!(true));
        }
        Some(_) if user.get("everLoggedIn").is_none() => {
            edits.put(user, "everLoggedIn", json!(false));
        }
        _ => {}
    }
    if !js::truthy(user.get("anonymousId")) {
        edits.put(user, "anonymousId", json!(uuid()));
    }

    legacy_listing(dd, &mut edits);
    edits.changed
}

/// `digitalData.version` below 1.1.0 / 1.1.1: listing ids from older fields.
fn legacy_listing(dd: &mut Map<String, Value>, edits: &mut Edits) {
    let Some(version) = dd.get("version").and_then(Value::as_str).map(parse_version) else {
        return;
    };
    if version < [1, 1, 0] {
        let category = dd
            .get("page")
            .filter(|p| p.get("type").is_some_and(|t| t == "category"))
            .and_then(|p| p.get("categoryId"))
            .cloned();
        if let (Some(category), Some(Value::Object(listing))) = (category, dd.get_mut("listing")) {
            edits.put(listing, "categoryId", category);
        }
    }
    if version < [1, 1, 1] {
        let mut with_list_id = |list: &mut Value| {
            if let Value::Object(list) = list
                && list.get("listId").is_none()
                && let Some(name) = list.get("listName").cloned()
            {
                edits.put(list, "listId", name);
            }
        };
        if let Some(listing) = dd.get_mut("listing") {
            with_list_id(listing);
        }
        match dd.get_mut("recommendation") {
            Some(Value::Array(lists)) => lists.iter_mut().for_each(with_list_id),
            Some(list) => with_list_id(list),
            None => {}
        }
    }
}

/// `"1.1.3"` → `[1, 1, 3]`; missing parts are 0.
pub fn parse_version(text: &str) -> [u64; 3] {
    let mut parts = text
        .trim()
        .split('.')
        .map(|p| p.trim().parse::<u64>().unwrap_or(0));
    [
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    ]
}

/// What the reference remembers in `digitalData.user` after an event; each
/// field is set only where it is falsy (`if (!user.email && email)`).
/// Returns whether anything changed.
pub fn after_event(dd: &mut Map<String, Value>, event: &Value, now: &str) -> bool {
    let mut edits = Edits::default();
    match event_name(event) {
        "Subscribed" => {
            let email = event.get("user").and_then(|u| u.get("email")).cloned();
            let user = edits.object(dd, "user");
            edits.fill(user, "isSubscribed", json!(true));
            if let Some(email) = email.filter(|e| js::truthy(Some(e))) {
                edits.fill(user, "email", email);
            }
        }
        "Completed Transaction" => {
            let user = edits.object(dd, "user");
            edits.fill(user, "hasTransacted", json!(true));
            edits.fill(user, "lastTransactionDate", json!(now));
        }
        _ => {}
    }
    edits.changed
}

/// The common enrichment: a product given by id is merged with the catalogue
/// product of that id; `Viewed Product Detail` and `Completed Transaction`
/// take the page's product and transaction when they have none.
pub fn common(event: &mut Value, dd: &Map<String, Value>, catalogue: &Catalogue) {
    let name = event_name(event).to_owned();
    let Some(fields) = event.as_object_mut() else {
        return;
    };
    match fields.get("product").cloned() {
        Some(Value::String(_) | Value::Number(_)) => {
            let id = fields.get("product").cloned().unwrap_or_default();
            let product = catalogue
                .find(dd, &id, None)
                .unwrap_or_else(|| json!({"id": id}));
            fields.insert("product".into(), product);
        }
        Some(Value::Object(given)) => {
            if let Some(id) = given.get("id").filter(|id| !id.is_null())
                && let Some(Value::Object(mut found)) = catalogue.find(dd, id, given.get("skuCode"))
            {
                found.extend(given);
                fields.insert("product".into(), Value::Object(found));
            }
        }
        _ => {}
    }
    let missing =
        |fields: &Map<String, Value>, key: &str| fields.get(key).is_none_or(Value::is_null);
    if name == "Viewed Product Detail"
        && missing(fields, "product")
        && let Some(product) = dd.get("product")
    {
        fields.insert("product".into(), product.clone());
    }
    if name == "Completed Transaction"
        && missing(fields, "transaction")
        && let Some(transaction) = dd.get("transaction")
    {
        fields.insert("transaction".into(), transaction.clone());
    }
}

/// Where the catalogue's products are in a `digitalData`, by id (as a
/// string) and by id and `skuCode`: `product`, then the items of `listing`,
/// `recommendation`, `wishlist`, then the cart's line items, in that order.
/// Built once per `digitalData`, so that finding an event's product costs a
/// lookup, not a scan of the catalogue on every event.
#[derive(Debug, Default)]
pub struct Catalogue {
    by_id: HashMap<String, Place>,
    by_id_and_sku: HashMap<(String, String), Place>,
}

/// Where one catalogue product is.
#[derive(Debug, Clone, Copy)]
enum Place {
    /// `digitalData.product`.
    Product,
    /// `items[at]` of the list `list` (or of its `many`-th list, when it
    /// holds several).
    Item {
        list: &'static str,
        many: Option<usize>,
        at: usize,
    },
    /// The product of `cart.lineItems[at]`.
    CartLine(usize),
}

impl Place {
    fn resolve(self, dd: &Map<String, Value>) -> Option<&Value> {
        match self {
            Place::Product => dd.get("product"),
            Place::Item { list, many, at } => {
                let list = dd.get(list)?;
                let list = match many {
                    Some(i) => list.get(i)?,
                    None => list,
                };
                list.get("items")?.get(at)
            }
            Place::CartLine(at) => dd.get("cart")?.get("lineItems")?.get(at)?.get("product"),
        }
    }
}

/// A `skuCode` as text, for the index.
fn sku_key(sku: &Value) -> String {
    sku.to_string()
}

impl Catalogue {
    /// The catalogue of `dd`.
    pub fn of(dd: &Map<String, Value>) -> Self {
        let mut catalogue = Self::default();
        let mut add = |place: Place| {
            let Some(candidate) = place.resolve(dd) else {
                return;
            };
            let Some(id) = candidate.get("id") else {
                return;
            };
            let id = js::string(Some(id));
            if let Some(sku) = candidate.get("skuCode") {
                catalogue
                    .by_id_and_sku
                    .entry((id.clone(), sku_key(sku)))
                    .or_insert(place);
            }
            catalogue.by_id.entry(id).or_insert(place);
        };
        add(Place::Product);
        let items = |list: &Value| {
            list.get("items")
                .and_then(Value::as_array)
                .map_or(0, Vec::len)
        };
        for list in ["listing", "recommendation", "wishlist"] {
            // One list, or several (`recommendation` usually is).
            let lists: Vec<(Option<usize>, usize)> = match dd.get(list) {
                Some(Value::Array(many)) => many
                    .iter()
                    .enumerate()
                    .map(|(i, one)| (Some(i), items(one)))
                    .collect(),
                Some(one) => vec![(None, items(one))],
                None => Vec::new(),
            };
            for (many, count) in lists {
                for at in 0..count {
                    add(Place::Item { list, many, at });
                }
            }
        }
        let lines = dd
            .get("cart")
            .and_then(|c| c.get("lineItems"))
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        for at in 0..lines {
            add(Place::CartLine(at));
        }
        catalogue
    }

    /// The first catalogue product with `id` (compared as strings), and with
    /// `sku` as its `skuCode` when the event gives one.
    fn find(&self, dd: &Map<String, Value>, id: &Value, sku: Option<&Value>) -> Option<Value> {
        let id = js::string(Some(id));
        let place = match sku {
            Some(sku) => self.by_id_and_sku.get(&(id, sku_key(sku))),
            None => self.by_id.get(&id),
        }?;
        place.resolve(dd).cloned()
    }
}

/// The pieces of the page URL the reference reads from `location`, as a
/// browser gives them (`pathname`, `search`, `hash`: empty when bare).
struct Location {
    path: String,
    query: String,
    hash: String,
}

impl Location {
    fn of(url: &str) -> Self {
        let with_mark = |mark: char, part: Option<&str>| {
            part.filter(|p| !p.is_empty())
                .map_or_else(String::new, |p| format!("{mark}{p}"))
        };
        match Url::parse(url) {
            Ok(url) => Location {
                path: url.path().to_owned(),
                query: with_mark('?', url.query()),
                hash: with_mark('#', url.fragment()),
            },
            Err(_) => Location {
                path: "/".to_owned(),
                query: String::new(),
                hash: String::new(),
            },
        }
    }
}

/// `%xx` sequences decoded where the result is UTF-8; else the text as is.
pub fn percent_decode(text: &str) -> String {
    percent_decode_str(text)
        .decode_utf8()
        .map_or_else(|_| text.to_owned(), |decoded| decoded.into_owned())
}

/// The query string's parameters as the reference's `queryString.parse`
/// reads them (`utmParams` first turns every `?` into `&`): keys as
/// written, each value decoded as `decodeURIComponent` decodes it (`+` is a
/// space; a malformed value stays as written), the last of a repeated key
/// wins, and a key without `=` has no value.
fn query_params(query: &str) -> HashMap<&str, Option<String>> {
    query
        .trim_start_matches('?')
        .split(['&', '?'])
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let mut parts = pair.split('=');
            let key = parts.next().unwrap_or_default();
            let value = parts.next().map(|raw| {
                let spaced = raw.replace('+', " ");
                decode_uri_component(&spaced).unwrap_or(spaced)
            });
            (key, value)
        })
        .collect()
}

/// `decodeURIComponent(text)`, or `None` where it throws (a `%` without two
/// hex digits, or bytes that are not UTF-8).
fn decode_uri_component(text: &str) -> Option<String> {
    let mut escapes = text.split('%').skip(1);
    if escapes.any(|after| {
        after
            .get(..2)
            .is_none_or(|hex| !hex.chars().all(|c| c.is_ascii_hexdigit()))
    }) {
        return None;
    }
    percent_decode_str(text)
        .decode_utf8()
        .ok()
        .map(|decoded| decoded.into_owned())
}

/// `context.campaign` from the query string's `utm_*` parameters; click ids
/// imply a source and `cpc`.
fn campaign(query: &str) -> Option<Value> {
    let params = query_params(query);
    let param = |name: &str| {
        params
            .get(name)
            .cloned()
            .flatten()
            .filter(|v| !v.is_empty())
    };
    let mut source = param("utm_source");
    let mut medium = param("utm_medium");
    for (click_id, implied) in [
        ("gclid", "google"),
        ("yclid", "yandex"),
        ("ymclid", "yandex_market"),
    ] {
        if param(click_id).is_some() {
            source = Some(implied.to_owned());
            medium = Some("cpc".to_owned());
        }
    }
    let name = param("utm_campaign");
    if source.is_none() && medium.is_none() && name.is_none() {
        return None;
    }
    Some(js::object([
        ("name", name.map(Value::from)),
        ("source", source.map(Value::from)),
        ("medium", medium.map(Value::from)),
        ("term", param("utm_term").map(Value::from)),
        ("content", param("utm_content").map(Value::from)),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(url: &str) -> Page {
        Page {
            url: url.to_owned(),
            ..Page::default()
        }
    }

    #[test]
    fn query_parameters_are_read_as_the_reference_reads_them() {
        let params = query_params(
            "?utm_source=a&utm_source=b%20c&utm_medium=x+y&bad=%zz&half=%E0%A4&flag?utm_term=t",
        );
        assert_eq!(
            params["utm_source"].as_deref(),
            Some("b c"),
            "the last wins"
        );
        assert_eq!(params["utm_medium"].as_deref(), Some("x y"));
        assert_eq!(
            params["bad"].as_deref(),
            Some("%zz"),
            "malformed stays as written"
        );
        assert_eq!(
            params["half"].as_deref(),
            Some("%E0%A4"),
            "not UTF-8 stays as written"
        );
        assert_eq!(params["flag"], None);
        assert_eq!(
            params["utm_term"].as_deref(),
            Some("t"),
            "a later ? starts a pair"
        );
    }

    #[test]
    fn viewed_page_fills_defaults_and_page_facts() {
        let mut dd = Map::new();
        dd.insert("user".into(), json!({"isLoggedIn": true}));
        before_viewed_page(
            &mut dd,
            &page("https://s.example/a%20b/c?utm_source=x&gclid=1#top%21"),
            || "id-1".into(),
        );
        assert_eq!(
            dd["cart"],
            json!({"lineItems": [], "subtotal": 0, "total": 0})
        );
        assert_eq!(dd["page"]["path"], json!("/a%20b/c"));
        assert_eq!(dd["page"]["queryString"], json!("?utm_source=x&gclid=1"));
        assert_eq!(dd["page"]["hash"], json!("#top!"));
        assert_eq!(
            dd["context"]["campaign"],
            json!({"source": "google", "medium": "cpc"})
        );
        assert_eq!(dd["user"]["everLoggedIn"], json!(true));
        assert_eq!(dd["user"]["isReturning"], json!(false));
        assert_eq!(dd["user"]["anonymousId"], json!("id-1"));
        assert!(dd.get("transaction").is_none());
    }

    #[test]
    fn a_second_viewed_page_changes_nothing() {
        let mut dd = Map::new();
        dd.insert("version".into(), json!("1.0.0"));
        dd.insert("listing".into(), json!({"listName": "Shoes"}));
        let page = page("https://s.example/shoes?utm_source=x");
        assert!(before_viewed_page(&mut dd, &page, || "id-1".into()));
        let once = dd.clone();
        assert!(!before_viewed_page(&mut dd, &page, || "id-2".into()));
        assert_eq!(dd, once);
        let ct = json!({"name": "Completed Transaction"});
        assert!(after_event(&mut dd, &ct, "2026-01-01T00:00:00Z"));
        assert!(!after_event(&mut dd, &ct, "2026-01-02T00:00:00Z"));
    }

    #[test]
    fn confirmation_pages_get_a_transaction() {
        let mut dd = Map::new();
        dd.insert("page".into(), json!({"type": "confirmation"}));
        before_viewed_page(&mut dd, &page("https://s.example/"), String::new);
        assert_eq!(dd["transaction"], json!({}));
    }

    #[test]
    fn products_by_id_are_merged_with_the_catalogue() {
        let dd = json!({"listing": {"items": [{"id": 4004, "name": "Socks", "skuCode": "S"}]}});
        let dd = dd.as_object().unwrap();
        let catalogue = Catalogue::of(dd);
        let mut event = json!({"name": "Added Product", "product": "4004"});
        common(&mut event, dd, &catalogue);
        assert_eq!(event["product"]["name"], json!("Socks"));
        let mut event = json!({"name": "Added Product", "product": {"id": "4004", "name": "Mine"}});
        common(&mut event, dd, &catalogue);
        assert_eq!(
            event["product"],
            json!({"id": "4004", "name": "Mine", "skuCode": "S"})
        );
        let mut event = json!({"name": "Added Product", "product": {"id": "4004", "skuCode": "T"}});
        common(&mut event, dd, &catalogue);
        assert_eq!(event["product"], json!({"id": "4004", "skuCode": "T"}));
    }

    #[test]
    fn the_first_product_of_an_id_is_found_in_the_reference_order() {
        let dd = json!({
            "cart": {"lineItems": [{"product": {"id": 7, "from": "cart"}},
                                   {"product": {"id": "8", "skuCode": "M", "from": "cart"}}]},
            "recommendation": [{"items": [{"id": "x"}]}, {"items": [{"id": "7", "from": "recommendation"}]}],
            "listing": {"items": [{"id": 8, "skuCode": "S", "from": "listing"}]}
        });
        let dd = dd.as_object().unwrap();
        let catalogue = Catalogue::of(dd);
        let from = |id: Value, sku: Option<Value>| {
            catalogue
                .find(dd, &id, sku.as_ref())
                .map(|p| p["from"].clone())
        };
        assert_eq!(from(json!("7"), None), Some(json!("recommendation")));
        assert_eq!(from(json!(8), None), Some(json!("listing")));
        assert_eq!(from(json!("8"), Some(json!("M"))), Some(json!("cart")));
        assert_eq!(from(json!("8"), Some(json!("L"))), None);
        assert_eq!(from(json!("9"), None), None);
    }

    #[test]
    fn versions_compare_numerically() {
        assert!(parse_version("1.1.10") > parse_version("1.1.3"));
        assert_eq!(parse_version("1.1"), [1, 1, 0]);
    }
}
