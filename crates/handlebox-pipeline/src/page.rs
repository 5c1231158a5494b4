//! The page contract of `interfaces.md`: a bare `digitalData` object, or
//! `{digitalData, url, cookies, globals, dataLayer, referrer, title,
//! userAgent}`. Every shape error names the path it is about.

use handlebox_sandbox::PageContext;
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::{Map, Value};
use url::Url;

use crate::json_error::{JsonError, shape};

/// The URL a page gets when neither the page nor `digitalData.page.url`
/// gives an absolute http(s) one (the reference's test default).
pub const DEFAULT_URL: &str = "https://www.example.com/";

/// A page file or request body that is not JSON or not a page.
pub type PageError = JsonError;

/// One page as given to the pipeline.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Page {
    /// The page's `digitalData`, with its `events` array.
    pub digital_data: Map<String, Value>,
    /// The page URL, resolved (see [`Page::from_value`]).
    pub url: String,
    /// Raw cookie values by name.
    pub cookies: Map<String, Value>,
    /// Window globals.
    pub globals: Map<String, Value>,
    /// The GTM `dataLayer`.
    pub data_layer: Vec<Value>,
    /// `document.referrer`.
    pub referrer: String,
    /// `document.title`.
    pub title: String,
    /// `navigator.userAgent`.
    pub user_agent: String,
    /// `navigator.language`, when the page gives one.
    pub language: Option<String>,
    /// The page's HTML, when the page gives it.
    pub html: Option<String>,
}

impl Page {
    /// Reads a page from JSON text.
    pub fn parse(text: &str) -> Result<Self, PageError> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| PageError::Json(e.to_string()))?;
        Self::from_value(value)
    }

    /// Reads a page from a JSON value: `{digitalData, …}` when it has a
    /// `digitalData` key, else a bare `digitalData`. The URL is `url`, else
    /// `digitalData.page.url` when that is an absolute http(s) URL, else
    /// [`DEFAULT_URL`].
    pub fn from_value(value: Value) -> Result<Self, PageError> {
        let Value::Object(top) = value else {
            return Err(shape("$", "a page must be a JSON object"));
        };
        let (mut page, dd_path) = if top.contains_key("digitalData") {
            (Self::wrapped(top)?, "$.digitalData")
        } else {
            let page = Page {
                digital_data: top,
                ..Page::default()
            };
            (page, "$")
        };
        match page.digital_data.get("events") {
            None | Some(Value::Array(_)) => {}
            Some(_) => return Err(shape(&format!("{dd_path}.events"), "must be an array")),
        }
        if page.url.is_empty() {
            page.url = page
                .digital_data
                .get("page")
                .and_then(|p| p.get("url"))
                .and_then(Value::as_str)
                .filter(|u| http_url(u).is_ok())
                .unwrap_or(DEFAULT_URL)
                .to_owned();
        }
        Ok(page)
    }

    /// Reads `{digitalData, url, …}`; an unknown key is an error (a typo
    /// such as `cookie` would otherwise be lost without a word).
    fn wrapped(mut top: Map<String, Value>) -> Result<Self, PageError> {
        // The page's data is moved out as it is: read through serde, every
        // value of it would be built again.
        let digital_data = match top.remove("digitalData") {
            Some(Value::Object(map)) => map,
            other => {
                let value = other.unwrap_or(Value::Null);
                return Err(wrong_type::<Map<String, Value>>("digitalData", value));
            }
        };
        let cookies = take_object(&mut top, "cookies")?.unwrap_or_default();
        let globals = take_object(&mut top, "globals")?.unwrap_or_default();
        let data_layer = take_array(&mut top, "dataLayer")?.unwrap_or_default();
        let file: PageFile = serde_path_to_error::deserialize(Value::Object(top)).map_err(|e| {
            let path = match e.path().to_string() {
                root if root == "." => "$".to_owned(),
                path => format!("$.{path}"),
            };
            shape(&path, e.into_inner().to_string())
        })?;
        if let Some((name, _)) = cookies.iter().find(|(_, v)| !v.is_string()) {
            return Err(shape(
                &format!("$.cookies.{name}"),
                "a cookie value must be a string",
            ));
        }
        let url = file.url.unwrap_or_default();
        if !url.is_empty()
            && let Err(why) = http_url(&url)
        {
            return Err(shape(
                "$.url",
                format!("{url:?} is not an absolute http(s) URL: {why}"),
            ));
        }
        Ok(Page {
            digital_data,
            url,
            cookies,
            globals,
            data_layer,
            referrer: file.referrer.unwrap_or_default(),
            title: file.title.unwrap_or_default(),
            user_agent: file.user_agent.unwrap_or_default(),
            language: file.language,
            html: file.html,
        })
    }

    /// The page's events, in page order.
    pub fn events(&self) -> &[Value] {
        self.digital_data
            .get("events")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// What the sandbox's helpers read for this page.
    pub fn sandbox_data(&self) -> PageContext {
        PageContext {
            digital_data: Value::Object(self.digital_data.clone()),
            url: self.url.clone(),
            cookies: self.cookies.clone(),
            globals: Value::Object(self.globals.clone()),
            data_layer: Value::Array(self.data_layer.clone()),
            referrer: self.referrer.clone(),
            title: self.title.clone(),
            user_agent: self.user_agent.clone(),
            language: self
                .language
                .clone()
                .unwrap_or_else(|| handlebox_sandbox::DEFAULT_LANGUAGE.to_owned()),
            html: self.html.clone(),
            cookie_writes: Vec::new(),
            html_error: None,
        }
    }
}

/// The wrapped page as JSON has it; `null` is the same as absent. The
/// page's data (`digitalData`, `cookies`, `globals`, `dataLayer`) is taken
/// out before (see [`take_object`]); its names are here for the error that lists
/// the keys a page may have.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PageFile {
    #[serde(rename = "digitalData")]
    _digital_data: Option<IgnoredAny>,
    url: Option<String>,
    #[serde(rename = "cookies")]
    _cookies: Option<IgnoredAny>,
    #[serde(rename = "globals")]
    _globals: Option<IgnoredAny>,
    #[serde(rename = "dataLayer")]
    _data_layer: Option<IgnoredAny>,
    referrer: Option<String>,
    title: Option<String>,
    user_agent: Option<String>,
    language: Option<String>,
    html: Option<String>,
}

/// Moves the object at `key` out of `top` as it is (`null` is absent);
/// another type is serde's error at `$.key`.
fn take_object(
    top: &mut Map<String, Value>,
    key: &str,
) -> Result<Option<Map<String, Value>>, PageError> {
    match top.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map)),
        Some(other) => Err(wrong_type::<Map<String, Value>>(key, other)),
    }
}

/// Moves the array at `key` out of `top` as it is (`null` is absent).
fn take_array(top: &mut Map<String, Value>, key: &str) -> Result<Option<Vec<Value>>, PageError> {
    match top.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => Ok(Some(items)),
        Some(other) => Err(wrong_type::<Vec<Value>>(key, other)),
    }
}

/// Serde's error for `value` at `$.key` where a `T` belongs.
fn wrong_type<T: serde::de::DeserializeOwned>(key: &str, value: Value) -> PageError {
    let message = serde_json::from_value::<T>(value)
        .err()
        .map_or_else(|| "has the wrong type".to_owned(), |e| e.to_string());
    shape(&format!("$.{key}"), message)
}

/// `Ok` when `url` is an absolute http or https URL, else why not.
fn http_url(url: &str) -> Result<(), String> {
    match Url::parse(url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => Ok(()),
        Ok(parsed) => Err(format!("the scheme is {:?}", parsed.scheme())),
        Err(e) => Err(e.to_string()),
    }
}

/// The products of an event, as handlers.md lists them: `product`; else every
/// `listing.items[]`; else every `cart.lineItems[].product`; else every
/// `transaction.lineItems[].product`; else `listItem.product` or every
/// `listItems[].product`. Each with the path it was found at.
pub fn products_of(event: &Value) -> Vec<(String, &Value)> {
    if let Some(product) = event.get("product").filter(|p| p.is_object()) {
        return vec![("product".to_owned(), product)];
    }
    let each = |list: &str, items: &str, inner: Option<&str>| -> Vec<(String, &Value)> {
        let Some(items_value) = event
            .get(list)
            .and_then(|l| l.get(items))
            .and_then(Value::as_array)
        else {
            return Vec::new();
        };
        items_value
            .iter()
            .enumerate()
            .filter_map(|(i, item)| match inner {
                Some(key) => item
                    .get(key)
                    .filter(|p| p.is_object())
                    .map(|p| (format!("{list}.{items}[{i}].{key}"), p)),
                None => item
                    .is_object()
                    .then(|| (format!("{list}.{items}[{i}]"), item)),
            })
            .collect()
    };
    for found in [
        each("listing", "items", None),
        each("cart", "lineItems", Some("product")),
        each("transaction", "lineItems", Some("product")),
    ] {
        if !found.is_empty() {
            return found;
        }
    }
    if let Some(product) = event
        .get("listItem")
        .and_then(|l| l.get("product"))
        .filter(|p| p.is_object())
    {
        return vec![("listItem.product".to_owned(), product)];
    }
    event
        .get("listItems")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| {
                    item.get("product")
                        .filter(|p| p.is_object())
                        .map(|p| (format!("listItems[{i}].product"), p))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// An event's `name`, or `""` when it has none or it is not a string (as
/// the reference compares names).
pub fn event_name(event: &Value) -> &str {
    event
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bare_digital_data_takes_its_url_from_the_page() {
        let page =
            Page::from_value(json!({"page": {"url": "https://a.example/x?y=1"}, "events": []}))
                .unwrap();
        assert_eq!(page.url, "https://a.example/x?y=1");
        let page = Page::from_value(json!({"page": {"url": "/relative"}})).unwrap();
        assert_eq!(page.url, DEFAULT_URL);
    }

    #[test]
    fn wrapped_page_reads_every_field() {
        let page = Page::from_value(json!({
            "digitalData": {"events": [{"name": "Viewed Page"}]},
            "url": "https://shop.example/?utm_source=x",
            "cookies": {"_ga": "GA1"}, "globals": {"a": 1}, "dataLayer": [{}],
            "referrer": "https://ref.example/", "title": "Thanks", "userAgent": "UA"
        }))
        .unwrap();
        assert_eq!(page.events().len(), 1);
        assert_eq!(page.url, "https://shop.example/?utm_source=x");
        assert_eq!(
            (page.title.as_str(), page.user_agent.as_str()),
            ("Thanks", "UA")
        );
    }

    #[test]
    fn shape_errors_name_the_path() {
        let err = Page::from_value(json!({"digitalData": {}, "cookies": {"_ga": 1}})).unwrap_err();
        assert_eq!(
            err.to_string(),
            "$.cookies._ga: a cookie value must be a string"
        );
        let err = Page::from_value(json!({"events": {}})).unwrap_err();
        assert_eq!(err.to_string(), "$.events: must be an array");
        assert!(matches!(Page::parse("{"), Err(PageError::Json(_))));
        assert!(Page::from_value(json!([1])).is_err());
        let err = Page::from_value(json!({"digitalData": {}, "title": 3})).unwrap_err();
        assert_eq!(
            err.to_string(),
            "$.title: invalid type: integer `3`, expected a string"
        );
        let err = Page::from_value(json!({"digitalData": null})).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("$.digitalData: invalid type: null"),
            "{err}"
        );
    }

    #[test]
    fn a_wrapped_page_refuses_unknown_keys_and_relative_urls() {
        let err = Page::from_value(json!({"digitalData": {}, "cookie": {}})).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("$.cookie: unknown field `cookie`, expected one of"),
            "{err}"
        );
        let err = Page::from_value(json!({"digitalData": {}, "url": "/thank-you"})).unwrap_err();
        assert_eq!(
            err.to_string(),
            "$.url: \"/thank-you\" is not an absolute http(s) URL: relative URL without a base"
        );
        let page =
            Page::from_value(json!({"digitalData": {}, "language": "ru-RU", "html": "<p>x</p>"}))
                .unwrap();
        assert_eq!(page.language.as_deref(), Some("ru-RU"));
        assert_eq!(page.html.as_deref(), Some("<p>x</p>"));
    }

    #[test]
    fn products_follow_the_reference_order() {
        let event = json!({"listing": {"items": [{"id": 1}, {"id": 2}]}, "cart": {"lineItems": [{"product": {"id": 3}}]}});
        let ids: Vec<_> = products_of(&event)
            .iter()
            .map(|(_, p)| p["id"].clone())
            .collect();
        assert_eq!(ids, [json!(1), json!(2)]);
        let event =
            json!({"transaction": {"lineItems": [{"product": {"id": "a"}}, {"quantity": 1}]}});
        let found = products_of(&event);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, "transaction.lineItems[0].product");
        assert!(products_of(&json!({"name": "Viewed Page"})).is_empty());
    }
}
