//! `Updated Cart`: the reference compares the new cart with
//! `digitalData.cart` and fires `Added Product` and `Removed Product` itself.

use serde_json::{Value, json};

use crate::js;

/// A cart line's identity: product id (as a string) and `skuCode`.
fn key(line: &Value) -> (String, Option<Value>) {
    let product = line.get("product");
    (
        js::string(product.and_then(|p| p.get("id"))),
        product.and_then(|p| p.get("skuCode")).cloned(),
    )
}

fn quantity(line: &Value) -> f64 {
    line.get("quantity").and_then(Value::as_f64).unwrap_or(0.0)
}

fn lines(cart: &Value) -> Vec<&Value> {
    cart.get("lineItems")
        .and_then(Value::as_array)
        .map(|items| items.iter().filter(|l| l.is_object()).collect())
        .unwrap_or_default()
}

fn event(name: &str, line: &Value, amount: f64) -> Value {
    let amount = if amount.fract() == 0.0 {
        json!(amount as i64)
    } else {
        json!(amount)
    };
    json!({"name": name, "product": line.get("product").cloned().unwrap_or(Value::Null), "quantity": amount})
}

/// The events an `Updated Cart` from `old` to `new` fires, in the
/// reference's order: new lines, raised quantities, removed lines, lowered
/// quantities.
pub fn changes(old: &Value, new: &Value) -> Vec<Value> {
    let (old, new) = (lines(old), lines(new));
    fn find<'a>(list: &[&'a Value], line: &Value) -> Option<&'a Value> {
        list.iter().find(|l| key(l) == key(line)).copied()
    }
    let mut added = Vec::new();
    let mut raised = Vec::new();
    let mut removed = Vec::new();
    let mut lowered = Vec::new();
    for line in &new {
        match find(&old, line) {
            None => added.push(event("Added Product", line, quantity(line))),
            Some(before) if quantity(line) > quantity(before) => raised.push(event(
                "Added Product",
                line,
                quantity(line) - quantity(before),
            )),
            Some(before) if quantity(line) < quantity(before) => lowered.push(event(
                "Removed Product",
                line,
                quantity(before) - quantity(line),
            )),
            Some(_) => {}
        }
    }
    for line in &old {
        if find(&new, line).is_none() {
            removed.push(event("Removed Product", line, quantity(line)));
        }
    }
    added
        .into_iter()
        .chain(raised)
        .chain(removed)
        .chain(lowered)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_then_raised_then_removed_then_lowered() {
        let old = json!({"lineItems": [
            {"product": {"id": "a"}, "quantity": 1},
            {"product": {"id": "b"}, "quantity": 2},
            {"product": {"id": "c"}, "quantity": 5}
        ]});
        let new = json!({"lineItems": [
            {"product": {"id": "a"}, "quantity": 3},
            {"product": {"id": "d"}, "quantity": 1},
            {"product": {"id": "c"}, "quantity": 4}
        ]});
        let summary: Vec<_> = changes(&old, &new)
            .iter()
            .map(|e| format!("{} {} {}", e["name"], e["product"]["id"], e["quantity"]))
            .collect();
        assert_eq!(
            summary,
            [
                "\"Added Product\" \"d\" 1",
                "\"Added Product\" \"a\" 2",
                "\"Removed Product\" \"b\" 2",
                "\"Removed Product\" \"c\" 1"
            ]
        );
    }

    #[test]
    fn sku_codes_tell_lines_apart() {
        let old = json!({"lineItems": [{"product": {"id": "a", "skuCode": "S"}, "quantity": 1}]});
        let new = json!({"lineItems": [{"product": {"id": "a", "skuCode": "M"}, "quantity": 1}]});
        assert_eq!(changes(&old, &new).len(), 2);
        assert!(changes(&new, &new).is_empty());
    }
}
