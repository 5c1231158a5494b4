//! Flocktory's calls for one event, exactly as the reference builds them.
//!
//! Each builder reads the event the way the reference's code does; where
//! that code throws (a `null` on the way, a `lineItems` that is not an
//! array), the builder returns a warning instead of the call, and the
//! event's other calls are still made.

use handlebox_pipeline::js::{self, Throws};
use serde_json::{Value, json};

/// A call that could not be built, as a warning naming the event and path.
pub type Lost = String;

fn lost(event_name: &str, call: &str, detail: impl std::fmt::Display) -> Lost {
    format!("{event_name}: {detail}; the reference throws here, so Flocktory gets no {call}")
}

fn read<'a>(
    event: &'a Value,
    path: &str,
    name: &str,
    call: &str,
) -> Result<Option<&'a Value>, Lost> {
    js::get(event, path).map_err(|t: Throws| lost(name, call, t))
}

/// `String(x)`, with a warning when `x` is missing.
fn id(value: Option<&Value>, what: &str, name: &str, warnings: &mut Vec<String>) -> Value {
    if value.is_none() {
        warnings.push(format!(
            "{name}: {what} is missing, so Flocktory gets the id \"undefined\""
        ));
    }
    Value::String(js::string(value))
}

/// The user's name: `fullName`; else `firstName lastName` when both are
/// set; else `firstName`.
pub fn user_name(user: Option<&Value>) -> Option<Value> {
    let field = |key: &str| user.and_then(|u| u.get(key));
    if js::truthy(field("fullName")) {
        return field("fullName").cloned();
    }
    match (field("firstName"), field("lastName")) {
        (first, last) if js::truthy(first) && js::truthy(last) => {
            Some(json!(format!("{} {}", js::string(first), js::string(last))))
        }
        (first, _) => first.cloned(),
    }
}

/// The user's email: `email`; else the phone's digits `@unknown.email`;
/// else `userId@unknown.email`.
pub fn user_email(user: Option<&Value>) -> Option<Value> {
    let field = |key: &str| user.and_then(|u| u.get(key));
    if js::truthy(field("email")) {
        return field("email").cloned();
    }
    if js::truthy(field("phone")) {
        let digits: String = js::string(field("phone"))
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        if !digits.is_empty() {
            return Some(json!(format!("{digits}@unknown.email")));
        }
    }
    if js::truthy(field("userId")) {
        return Some(json!(format!(
            "{}@unknown.email",
            js::string(field("userId"))
        )));
    }
    None
}

/// The event's user, `{}` when it has none; `Err` when it is `null`.
fn user<'a>(event: &'a Value, name: &str, call: &str) -> Result<Option<&'a Value>, Lost> {
    match event.get("user") {
        Some(Value::Null) => Err(lost(name, call, "user is null")),
        other => Ok(other),
    }
}

fn push(command: &str, payload: Value) -> Value {
    json!(["push", [command, payload]])
}

/// `exchange`, for an exchange trigger event.
pub fn exchange(event: &Value, name: &str) -> Result<Value, Lost> {
    let user = user(event, name, "exchange")?;
    Ok(push(
        "exchange",
        js::clean(js::object([
            (
                "user",
                Some(js::object([
                    ("name", user_name(user)),
                    ("email", user_email(user)),
                ])),
            ),
            ("spot", event.get("spot").cloned()),
            ("params", Some(json!({}))),
        ])),
    ))
}

/// `addData` for a logged-in user on `Viewed Page`, if the user is logged in.
pub fn add_data(event: &Value, name: &str) -> Result<Option<Value>, Lost> {
    let user = user(event, name, "addData")?;
    if !js::truthy(user.and_then(|u| u.get("isLoggedIn"))) {
        return Ok(None);
    }
    Ok(Some(push(
        "addData",
        json!({"user": js::clean(js::object([("email", user_email(user)), ("name", user_name(user))]))}),
    )))
}

/// `updateCart` when the event's `cart.lineItems` is an array; not cleaned.
pub fn update_cart(event: &Value, name: &str) -> Result<Option<Value>, Lost> {
    let Some(Value::Array(lines)) = read(event, "cart.lineItems", name, "updateCart")? else {
        return Ok(None);
    };
    let mut items = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        if line.is_null() {
            return Err(lost(
                name,
                "updateCart",
                format!("cart.lineItems[{i}] is null"),
            ));
        }
        let field = |path: &str| read(line, path, name, "updateCart").map(|v| v.cloned());
        items.push(js::object([
            ("id", field("product.id")?),
            ("price", field("product.unitSalePrice")?),
            ("count", field("quantity")?),
        ]));
    }
    Ok(Some(push("updateCart", json!({"cart": {"items": items}}))))
}

/// `trackCategoryView` for `Viewed Product Listing`.
pub fn track_category_view(
    event: &Value,
    name: &str,
    warnings: &mut Vec<String>,
) -> Result<Value, Lost> {
    let category = read(event, "listing.categoryId", name, "trackCategoryView")?;
    let id = id(category, "listing.categoryId", name, warnings);
    Ok(push("trackCategoryView", json!({"category": {"id": id}})))
}

/// `trackItemView` for `Viewed Product Detail`.
pub fn track_item_view(
    event: &Value,
    name: &str,
    warnings: &mut Vec<String>,
) -> Result<Value, Lost> {
    let product = read(event, "product.id", name, "trackItemView")?;
    let id = id(product, "product.id", name, warnings);
    Ok(push("trackItemView", json!({"item": {"id": id}})))
}

fn quantity_or_one(event: &Value) -> Value {
    match event.get("quantity") {
        quantity if js::truthy(quantity) => quantity.cloned().unwrap_or(json!(1)),
        _ => json!(1),
    }
}

/// `addToCart` for `Added Product`.
pub fn add_to_cart(event: &Value, name: &str, warnings: &mut Vec<String>) -> Result<Value, Lost> {
    let field = |path: &str| read(event, path, name, "addToCart").map(|v| v.cloned());
    let id = id(field("product.id")?.as_ref(), "product.id", name, warnings);
    Ok(push(
        "addToCart",
        js::clean(json!({"item": js::object([
            ("id", Some(id)),
            ("price", field("product.unitSalePrice")?),
            ("count", Some(quantity_or_one(event))),
            ("brand", field("product.manufacturer")?),
            ("categoryId", field("product.categoryId")?),
        ])})),
    ))
}

/// `removeFromCart` for `Removed Product`; not cleaned.
pub fn remove_from_cart(
    event: &Value,
    name: &str,
    warnings: &mut Vec<String>,
) -> Result<Value, Lost> {
    let product = read(event, "product.id", name, "removeFromCart")?;
    let id = id(product, "product.id", name, warnings);
    Ok(push(
        "removeFromCart",
        json!({"item": {"id": id, "count": quantity_or_one(event)}}),
    ))
}

/// `postcheckout` for `Completed Transaction`.
pub fn postcheckout(event: &Value, name: &str, warnings: &mut Vec<String>) -> Result<Value, Lost> {
    let user = user(event, name, "postcheckout")?;
    let transaction = read(event, "transaction", name, "postcheckout")?;
    let field = |path: &str| {
        transaction
            .and_then(|t| js::get(t, path).ok().flatten())
            .cloned()
    };
    let items = match transaction.and_then(|t| t.get("lineItems")) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(lines)) => lines
            .iter()
            .map(|line| {
                let get = |path: &str| js::get(line, path).ok().flatten().cloned();
                js::clean(js::object([
                    (
                        "id",
                        Some(Value::String(js::string(get("product.id").as_ref()))),
                    ),
                    ("title", get("product.name")),
                    ("price", get("product.unitSalePrice")),
                    ("image", get("product.imageUrl")),
                    ("count", get("quantity")),
                ]))
            })
            .collect(),
        Some(_) => {
            return Err(lost(
                name,
                "postcheckout",
                "transaction.lineItems is not an array",
            ));
        }
    };
    let order_id = id(
        field("orderId").as_ref(),
        "transaction.orderId",
        name,
        warnings,
    );
    Ok(push(
        "postcheckout",
        js::clean(js::object([
            (
                "user",
                Some(js::object([
                    ("name", user_name(user)),
                    ("email", user_email(user)),
                ])),
            ),
            (
                "order",
                Some(js::object([
                    ("id", Some(order_id)),
                    ("price", field("total")),
                    ("items", Some(Value::Array(items))),
                ])),
            ),
            ("spot", event.get("spot").cloned()),
        ])),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_emails_fall_back_as_the_reference_does() {
        let user = json!({"firstName": "Anna", "lastName": "Petrova", "phone": "+7 (921) 555"});
        assert_eq!(user_name(Some(&user)), Some(json!("Anna Petrova")));
        assert_eq!(
            user_email(Some(&user)),
            Some(json!("7921555@unknown.email"))
        );
        let user = json!({"fullName": "A P", "firstName": "Anna", "userId": 7, "phone": "n/a"});
        assert_eq!(user_name(Some(&user)), Some(json!("A P")));
        assert_eq!(user_email(Some(&user)), Some(json!("7@unknown.email")));
        let user = json!({"lastName": "Only"});
        assert_eq!(user_name(Some(&user)), None);
        assert_eq!(user_email(None), None);
    }

    #[test]
    fn a_null_cart_line_loses_update_cart() {
        let event = json!({"cart": {"lineItems": [{"product": {"id": 1}, "quantity": 1}, null]}});
        assert!(update_cart(&event, "Viewed Page").is_err());
        let event = json!({"cart": {"lineItems": [{"quantity": 4}]}});
        let call = update_cart(&event, "Viewed Page").unwrap().unwrap();
        assert_eq!(
            call,
            json!(["push", ["updateCart", {"cart": {"items": [{"count": 4}]}}]])
        );
    }

    #[test]
    fn postcheckout_cleans_each_item_and_stringifies_ids() {
        let event = json!({"transaction": {"orderId": 17, "total": 0, "lineItems": [null, {"product": {"id": "b", "name": ""}, "quantity": 1}]}});
        let mut warnings = Vec::new();
        let call = postcheckout(&event, "Completed Transaction", &mut warnings).unwrap();
        assert_eq!(
            call,
            json!(["push", ["postcheckout", {"user": {}, "order": {"id": "17", "price": 0, "items": [{"id": "undefined"}, {"id": "b", "count": 1}]}}]])
        );
        let event = json!({"transaction": {"lineItems": {"a": 1}}});
        assert!(postcheckout(&event, "Completed Transaction", &mut warnings).is_err());
    }

    #[test]
    fn missing_ids_become_undefined_with_a_warning() {
        let mut warnings = Vec::new();
        let call = track_item_view(&json!({}), "Viewed Product Detail", &mut warnings).unwrap();
        assert_eq!(
            call,
            json!(["push", ["trackItemView", {"item": {"id": "undefined"}}]])
        );
        assert_eq!(warnings.len(), 1);
    }
}
