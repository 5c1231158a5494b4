//! Checks on JSON going into the sandbox: size and nesting are capped before
//! anything reaches the guest, with an error that says where the limit was hit.

use handlebox_protocol::{ErrorInfo, ErrorKind};
use serde_json::Value;
use serde_json::value::RawValue;

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

/// Refuses `values` when any is too deep or, together, they are too large;
/// measures without building the JSON text.
pub(crate) fn check(values: &[&Value], what: &str, limits: &Limits) -> Result<(), ErrorInfo> {
    let mut counter = ByteCounter(0);
    for value in values {
        check_depth(value, what, limits)?;
        serde_json::to_writer(&mut counter, value)
            .map_err(|e| refuse(format!("{what} cannot be encoded: {e}")))?;
    }
    check_size(counter.0, what, limits)
}

/// Counts the bytes written to it.
struct ByteCounter(usize);

impl std::io::Write for ByteCounter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn check_depth(value: &Value, what: &str, limits: &Limits) -> Result<(), ErrorInfo> {
    match too_deep(value, limits.max_input_depth, &mut vec![]) {
        Some(path) => Err(refuse(format!(
            "{what} is nested deeper than {} levels (at {path})",
            limits.max_input_depth
        ))),
        None => Ok(()),
    }
}

fn check_size(bytes: usize, what: &str, limits: &Limits) -> Result<(), ErrorInfo> {
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
    fn checks_parts_together_without_encoding_them() {
        let limits = Limits {
            max_input_bytes: 20,
            ..Limits::default()
        };
        let (a, b) = (json!({"a": "0123456"}), json!(["0123456"]));
        assert!(check(&[&a], "the page", &limits).is_ok());
        let err = check(&[&a, &b], "the page", &limits).unwrap_err();
        assert!(
            err.message.starts_with("the page is 26 bytes"),
            "{}",
            err.message
        );
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
