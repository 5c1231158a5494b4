//! Checks on JSON going into the sandbox: size and nesting are capped before
//! anything reaches the guest, with an error that says where the limit was hit.

use handlebox_protocol::{ErrorInfo, ErrorKind};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::Limits;

/// Encodes `value` for the guest, refusing it when it is too deep or too large.
///
/// `what` names the value in the error ("the event", "digitalData").
pub(crate) fn encode(
    value: &Value,
    what: &str,
    limits: &Limits,
) -> Result<Box<RawValue>, ErrorInfo> {
    check_depth(value, what, limits)?;
    let raw = serde_json::value::to_raw_value(value)
        .map_err(|e| refuse(format!("{what} cannot be encoded: {e}")))?;
    check_size(raw.get().len(), what, limits)?;
    Ok(raw)
}

/// Encodes a JSON object given as its map, as [`encode`] does.
pub(crate) fn encode_map(
    map: &Map<String, Value>,
    what: &str,
    limits: &Limits,
) -> Result<Box<RawValue>, ErrorInfo> {
    let max = limits.max_input_depth;
    if max == 0 || map.values().any(|v| deeper_than(v, max - 1)) {
        return encode(&Value::Object(map.clone()), what, limits);
    }
    let raw = serde_json::value::to_raw_value(map)
        .map_err(|e| refuse(format!("{what} cannot be encoded: {e}")))?;
    check_size(raw.get().len(), what, limits)?;
    Ok(raw)
}

fn check_depth(value: &Value, what: &str, limits: &Limits) -> Result<(), ErrorInfo> {
    if !deeper_than(value, limits.max_input_depth) {
        return Ok(());
    }
    match too_deep(value, limits.max_input_depth, &mut vec![]) {
        Some(path) => Err(refuse(format!(
            "{what} is nested deeper than {} levels (at {path})",
            limits.max_input_depth
        ))),
        None => Ok(()),
    }
}

/// Refuses JSON of `bytes` bytes when that is over the input limit.
pub(crate) fn check_size(bytes: usize, what: &str, limits: &Limits) -> Result<(), ErrorInfo> {
    if bytes > limits.max_input_bytes {
        return Err(refuse(format!(
            "{what} is {bytes} bytes of JSON, more than the limit of {} bytes",
            limits.max_input_bytes
        )));
    }
    Ok(())
}

fn refuse(message: String) -> ErrorInfo {
    ErrorInfo {
        kind: ErrorKind::Input,
        message,
        line: None,
        column: None,
    }
}

/// Whether `value` holds an array or object `max` levels down (the limit
/// [`too_deep`] names), found without allocating.
fn deeper_than(value: &Value, max: usize) -> bool {
    match value {
        Value::Array(items) => max == 0 || items.iter().any(|v| deeper_than(v, max - 1)),
        Value::Object(map) => max == 0 || map.values().any(|v| deeper_than(v, max - 1)),
        _ => false,
    }
}

/// The path of the first value nested deeper than `max` levels, if any.
fn too_deep(value: &Value, max: usize, path: &mut Vec<String>) -> Option<String> {
    let children: Box<dyn Iterator<Item = (String, &Value)>> = match value {
        Value::Array(items) => {
            Box::new(items.iter().enumerate().map(|(i, v)| (format!("[{i}]"), v)))
        }
        Value::Object(map) => Box::new(map.iter().map(|(k, v)| (format!(".{k}"), v))),
        _ => return None,
    };
    if path.len() >= max {
        return Some(format!("${}", path.concat()));
    }
    for (step, child) in children {
        path.push(step);
        if let Some(found) = too_deep(child, max, path) {
            return Some(found);
        }
        path.pop();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn refuses_deep_nesting_and_names_the_path() {
        let limits = Limits {
            max_input_depth: 2,
            ..Limits::default()
        };
        assert!(encode(&json!({"a": {"b": 1}}), "the event", &limits).is_ok());
        let err = encode(&json!({"a": {"b": [1]}}), "the event", &limits).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Input);
        assert!(err.message.contains("at $.a.b"), "{}", err.message);
    }

    #[test]
    fn maps_are_checked_as_objects() {
        let limits = Limits {
            max_input_depth: 2,
            ..Limits::default()
        };
        let map = |v: Value| v.as_object().cloned().unwrap();
        let raw = encode_map(&map(json!({"a": {"b": 1}})), "the cookies", &limits).unwrap();
        assert_eq!(raw.get(), r#"{"a":{"b":1}}"#);
        let err = encode_map(&map(json!({"a": {"b": [1]}})), "the cookies", &limits).unwrap_err();
        assert!(err.message.contains("at $.a.b"), "{}", err.message);
        assert!(!deeper_than(&json!({"a": {"b": 1}}), 2));
        assert!(deeper_than(&json!({"a": {"b": []}}), 2));
    }

    #[test]
    fn refuses_large_input() {
        let limits = Limits {
            max_input_bytes: 10,
            ..Limits::default()
        };
        let err = encode(&json!({"text": "0123456789"}), "digitalData", &limits).unwrap_err();
        assert!(
            err.message.starts_with("digitalData is 21 bytes"),
            "{}",
            err.message
        );
    }
}
