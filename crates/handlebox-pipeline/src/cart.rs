//! `Updated Cart`: the reference compares the new cart with
//! `digitalData.cart` and fires `Added Product` and `Removed Product` itself.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher, RandomState};
use std::io;

use serde_json::{Value, json};

use crate::js;

/// A cart line's identity: its product id as a string, and a fixed-size
/// digest of its `skuCode`'s JSON (keyed at random per diff, so collisions
/// cannot be prepared in advance). Computed once per line; lines whose keys
/// match are then compared by value, so a collision cannot merge two lines.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    id: String,
    sku: Option<u64>,
}

/// One line of a cart, with its key.
struct Line<'a> {
    line: &'a Value,
    key: Key,
}

impl<'a> Line<'a> {
    fn new(line: &'a Value, hasher: &RandomState) -> Self {
        let product = line.get("product");
        let key = Key {
            id: js::string(product.and_then(|p| p.get("id"))),
            sku: product
                .and_then(|p| p.get("skuCode"))
                .map(|sku| digest(sku, hasher)),
        };
        Self { line, key }
    }

    fn sku(&self) -> Option<&'a Value> {
        self.line.get("product").and_then(|p| p.get("skuCode"))
    }

    fn same(&self, other: &Line<'_>) -> bool {
        self.key == other.key && self.sku() == other.sku()
    }
}

/// Feeds JSON text to a hasher without keeping it.
struct HashWriter<H>(H);

impl<H: Hasher> io::Write for HashWriter<H> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.write(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn digest(value: &Value, hasher: &RandomState) -> u64 {
    let mut writer = HashWriter(hasher.build_hasher());
    // Writing into a hasher cannot fail.
    let _ = serde_json::to_writer(&mut writer, value);
    writer.0.finish()
}

/// The lines of a cart, and the first line of each key.
struct Lines<'a> {
    lines: Vec<Line<'a>>,
    first: HashMap<Key, usize>,
}

impl<'a> Lines<'a> {
    fn of(cart: &'a Value, hasher: &RandomState) -> Self {
        let lines: Vec<Line<'a>> = cart
            .get("lineItems")
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter(|l| l.is_object())
                    .map(|l| Line::new(l, hasher))
                    .collect()
            })
            .unwrap_or_default();
        let mut first = HashMap::with_capacity(lines.len());
        for (i, line) in lines.iter().enumerate() {
            first.entry(line.key.clone()).or_insert(i);
        }
        Self { lines, first }
    }

    /// The first line that is `line`'s product, as the reference's linear
    /// search finds it.
    fn find(&self, line: &Line<'_>) -> Option<&'a Value> {
        let at = *self.first.get(&line.key)?;
        let found = &self.lines[at];
        if found.same(line) {
            return Some(found.line);
        }
        // Same digest, different skuCode: rare enough to search.
        self.lines.iter().find(|l| l.same(line)).map(|l| l.line)
    }
}

fn quantity(line: &Value) -> f64 {
    line.get("quantity").and_then(Value::as_f64).unwrap_or(0.0)
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
/// quantities. Linear in the carts' size: each line's key is computed once.
pub fn changes(old: &Value, new: &Value) -> Vec<Value> {
    let hasher = RandomState::new();
    let (old, new) = (Lines::of(old, &hasher), Lines::of(new, &hasher));
    let mut added = Vec::new();
    let mut raised = Vec::new();
    let mut removed = Vec::new();
    let mut lowered = Vec::new();
    for line in &new.lines {
        let now = quantity(line.line);
        match old.find(line) {
            None => added.push(event("Added Product", line.line, now)),
            Some(before) if now > quantity(before) => {
                raised.push(event("Added Product", line.line, now - quantity(before)));
            }
            Some(before) if now < quantity(before) => {
                lowered.push(event("Removed Product", line.line, quantity(before) - now));
            }
            Some(_) => {}
        }
    }
    for line in &old.lines {
        if new.find(line).is_none() {
            removed.push(event("Removed Product", line.line, quantity(line.line)));
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

    #[test]
    fn the_first_line_of_a_product_is_the_one_compared() {
        let old = json!({"lineItems": [
            {"product": {"id": 1}, "quantity": 2},
            {"product": {"id": "1"}, "quantity": 9}
        ]});
        let new = json!({"lineItems": [{"product": {"id": "1"}, "quantity": 3}]});
        let summary: Vec<_> = changes(&old, &new)
            .iter()
            .map(|e| format!("{} {}", e["name"], e["quantity"]))
            .collect();
        assert_eq!(summary, ["\"Added Product\" 1"]);
    }

    #[test]
    fn large_carts_are_compared_by_key() {
        let lines = |from: usize| -> Value {
            let items: Vec<Value> = (from..from + 4000)
                .map(|i| json!({"product": {"id": i, "skuCode": [i, "x"]}, "quantity": 1}))
                .collect();
            json!({ "lineItems": items })
        };
        let events = changes(&lines(0), &lines(4000));
        assert_eq!(events.len(), 8000);
        assert_eq!(events[0]["name"], json!("Added Product"));
        assert_eq!(events[4000]["name"], json!("Removed Product"));
        assert!(changes(&lines(0), &lines(0)).is_empty());
    }
}
