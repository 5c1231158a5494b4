//! JavaScript's rules applied to JSON values, as the reference library sees
//! its data: a missing key is `undefined`; truthiness; `String(x)`; reading
//! a dot-path throws through `null` (as `null.x` does) but not through
//! `undefined`; `cleanObject`. Values a handler produced that JSON writes
//! as `null` (`NaN`, `Infinity`) arrive marked (see
//! [`handlebox_sandbox::NULL_IN_JSON`]): `clean` keeps them, `truthy` and
//! `string` see the JavaScript value.

use handlebox_sandbox::null_in_json;
use serde_json::{Map, Value};

/// A read or write that throws in the reference (`null.email`), with the
/// path where it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Throws {
    /// The path being read or written, e.g. `user.email`.
    pub path: String,
    /// The part of it that was `null` or not an object, e.g. `user`.
    pub at: String,
}

impl std::fmt::Display for Throws {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot use {} because {} is null", self.path, self.at)
    }
}

/// Splits `a.b[0].c` into `["a", "b", "0", "c"]`.
pub fn steps(path: &str) -> Vec<String> {
    path.replace('[', ".")
        .replace(']', "")
        .split('.')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// JavaScript truthiness of an optional (missing = `undefined`) value.
pub fn truthy(value: Option<&Value>) -> bool {
    if let Some((truthy, _)) = value.and_then(null_in_json) {
        return truthy;
    }
    match value {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(_) | Value::Object(_)) => true,
    }
}

fn child<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    match value {
        Value::Object(map) => map.get(key),
        Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => None,
    }
}

/// The value at `path`: `Ok(None)` for `undefined` (a missing key, or a step
/// through `undefined` or a primitive), `Err` where the reference throws
/// (a step through `null`).
pub fn get<'a>(root: &'a Value, path: &str) -> Result<Option<&'a Value>, Throws> {
    let parts = steps(path);
    let mut current = root;
    for (i, key) in parts.iter().enumerate() {
        if current.is_null() {
            return Err(Throws {
                path: path.to_owned(),
                at: parts[..i].join("."),
            });
        }
        match child(current, key) {
            Some(next) => current = next,
            None => return Ok(None),
        }
    }
    Ok(Some(current))
}

/// Writes `value` at `path`, creating missing objects on the way. A step
/// through `null` or a primitive throws, as it does in the reference.
pub fn set(root: &mut Value, path: &str, value: Value) -> Result<(), Throws> {
    let parts = steps(path);
    let Some((last, parents)) = parts.split_last() else {
        return Ok(());
    };
    let throws = |i: usize| Throws {
        path: path.to_owned(),
        at: if i == 0 {
            "the event".to_owned()
        } else {
            parts[..i].join(".")
        },
    };
    let mut current = root;
    for (i, key) in parents.iter().enumerate() {
        current = match current {
            Value::Object(map) => map
                .entry(key.clone())
                .or_insert_with(|| Value::Object(Map::new())),
            Value::Array(items) => match key.parse::<usize>().ok().and_then(|k| items.get_mut(k)) {
                Some(item) => item,
                None => return Err(throws(i)),
            },
            _ => return Err(throws(i)),
        };
    }
    match current {
        Value::Object(map) => {
            map.insert(last.clone(), value);
            Ok(())
        }
        Value::Array(items) => match last.parse::<usize>().ok() {
            Some(k) if k < items.len() => {
                items[k] = value;
                Ok(())
            }
            Some(k) if k == items.len() => {
                items.push(value);
                Ok(())
            }
            _ => Err(throws(parents.len())),
        },
        _ => Err(throws(parents.len())),
    }
}

/// `String(x)`; `None` is `undefined`.
pub fn string(value: Option<&Value>) -> String {
    if let Some((_, text)) = value.and_then(null_in_json) {
        return text.to_owned();
    }
    match value {
        None => "undefined".to_owned(),
        Some(Value::Null) => "null".to_owned(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Number(n)) => number(n),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::Null => String::new(),
                other => string(Some(other)),
            })
            .collect::<Vec<_>>()
            .join(","),
        Some(Value::Object(_)) => "[object Object]".to_owned(),
    }
}

/// A JSON number as JavaScript's `Number.prototype.toString` writes it.
pub fn number(n: &serde_json::Number) -> String {
    /// Integers up to 2^53 are exact in a JavaScript number.
    const EXACT: u64 = 1 << 53;
    if n.as_i64().is_some_and(|i| i.unsigned_abs() <= EXACT)
        || n.as_u64().is_some_and(|u| u <= EXACT)
    {
        return n.to_string();
    }
    ryu_js::Buffer::new()
        .format(n.as_f64().unwrap_or(f64::NAN))
        .to_owned()
}

/// The reference's `cleanObject`: drops keys whose value is `null` or `""`
/// (missing keys are already absent), recursively; inside arrays such an
/// element becomes `null`. Empty objects stay.
pub fn clean(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !is_blank(v))
                .map(|(k, v)| (k, clean(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|v| if is_blank(&v) { Value::Null } else { clean(v) })
                .collect(),
        ),
        other => other,
    }
}

fn is_blank(value: &Value) -> bool {
    matches!(value, Value::Null) || value.as_str() == Some("")
}

/// JSON equality where numbers compare as numbers (`2990` equals `2990.0`),
/// as JavaScript compares them.
pub fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// Builds an object from `(key, value)` pairs, leaving out `undefined`
/// (`None`) values as `JSON.stringify` does.
pub fn object<const N: usize>(pairs: [(&str, Option<Value>); N]) -> Value {
    Value::Object(
        pairs
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v)))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_throw_through_null_only() {
        let v = json!({"user": null, "cart": {"lineItems": [{"id": 1}]}, "s": "text"});
        assert_eq!(get(&v, "cart.lineItems[0].id").unwrap(), Some(&json!(1)));
        assert_eq!(get(&v, "missing.deep").unwrap(), None);
        assert_eq!(get(&v, "s.length").unwrap(), None);
        let err = get(&v, "user.email").unwrap_err();
        assert_eq!((err.path.as_str(), err.at.as_str()), ("user.email", "user"));
    }

    #[test]
    fn writes_create_objects_and_refuse_primitives() {
        let mut v = json!({"s": "x", "items": [{}]});
        set(&mut v, "user.email", json!("a@b.c")).unwrap();
        set(&mut v, "items[0].q", json!(2)).unwrap();
        assert_eq!(v["user"]["email"], json!("a@b.c"));
        assert_eq!(v["items"][0]["q"], json!(2));
        assert!(set(&mut v, "s.x", json!(1)).is_err());
    }

    #[test]
    fn values_null_in_json_keep_their_javascript_meaning() {
        let nan = json!(format!("{}fNaN", handlebox_sandbox::NULL_IN_JSON));
        let infinity = json!(format!("{}tInfinity", handlebox_sandbox::NULL_IN_JSON));
        assert!(!truthy(Some(&nan)));
        assert!(truthy(Some(&infinity)));
        assert_eq!(string(Some(&nan)), "NaN");
        assert_eq!(string(Some(&infinity)), "Infinity");
        assert_eq!(
            clean(json!({"spot": nan, "gone": null})),
            json!({"spot": nan})
        );
    }

    #[test]
    fn string_follows_javascript() {
        assert_eq!(string(None), "undefined");
        assert_eq!(string(Some(&json!(null))), "null");
        assert_eq!(string(Some(&json!(4004))), "4004");
        assert_eq!(string(Some(&json!(199.5))), "199.5");
        assert_eq!(string(Some(&json!(1e21))), "1e+21");
        assert_eq!(string(Some(&json!(2.0))), "2");
        assert_eq!(string(Some(&json!(1.5e-7))), "1.5e-7");
        assert_eq!(string(Some(&json!(0.000001))), "0.000001");
        assert_eq!(
            string(Some(&json!(123456789012345680000.0))),
            "123456789012345680000"
        );
        assert_eq!(string(Some(&json!(-0.0))), "0");
        assert_eq!(
            string(Some(&json!(12345678901234567890u64))),
            "12345678901234567000"
        );
        assert_eq!(
            string(Some(&json!(-9007199254740993i64))),
            "-9007199254740992"
        );
        assert_eq!(string(Some(&json!([1, null, "a"]))), "1,,a");
        assert_eq!(string(Some(&json!({}))), "[object Object]");
    }

    #[test]
    fn clean_drops_blank_values_recursively() {
        let v = clean(
            json!({"a": 1, "b": null, "c": "", "d": {"e": ""}, "f": [null, "", 0, {"g": null}]}),
        );
        assert_eq!(v, json!({"a": 1, "d": {}, "f": [null, null, 0, {}]}));
    }

    #[test]
    fn truthiness() {
        assert!(!truthy(None));
        assert!(!truthy(Some(&json!(0))));
        assert!(!truthy(Some(&json!(""))));
        assert!(truthy(Some(&json!("yes"))));
        assert!(truthy(Some(&json!({}))));
    }
}
