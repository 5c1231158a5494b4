//! Checking a case's expectations against a page's Result, with messages a
//! person can act on: what was missing, what was extra, the first path where
//! expected and actual differ.

use handlebox_pipeline::js::same;
use handlebox_pipeline::{EventResult, HandlerErrorResult, PageResult};
use serde_json::Value;

use crate::file::{CallPattern, EventRef, Expect};

/// Whether `actual` has everything `pattern` has (objects: these keys with
/// matching values; arrays: the same length, element by element).
pub fn contains(pattern: &Value, actual: &Value) -> bool {
    match (pattern, actual) {
        (Value::Object(p), Value::Object(a)) => p
            .iter()
            .all(|(k, v)| a.get(k).is_some_and(|w| contains(v, w))),
        (Value::Array(p), Value::Array(a)) => {
            p.len() == a.len() && p.iter().zip(a).all(|(p, a)| contains(p, a))
        }
        _ => same(pattern, actual),
    }
}

/// The first path where `expected` and `actual` differ, with both values.
pub fn first_difference(
    expected: &Value,
    actual: &Value,
    path: &str,
) -> Option<(String, String, String)> {
    let show = |v: Option<&Value>| v.map_or("nothing".to_owned(), Value::to_string);
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (key, value) in e {
                let here = format!("{path}.{key}");
                match a.get(key) {
                    Some(other) => {
                        if let Some(found) = first_difference(value, other, &here) {
                            return Some(found);
                        }
                    }
                    None => return Some((here, value.to_string(), "nothing".to_owned())),
                }
            }
            a.iter()
                .find(|(key, _)| !e.contains_key(*key))
                .map(|(key, value)| {
                    (
                        format!("{path}.{key}"),
                        "nothing".to_owned(),
                        value.to_string(),
                    )
                })
        }
        (Value::Array(e), Value::Array(a)) => {
            for i in 0..e.len().max(a.len()) {
                let here = format!("{path}[{i}]");
                match (e.get(i), a.get(i)) {
                    (Some(x), Some(y)) => {
                        if let Some(found) = first_difference(x, y, &here) {
                            return Some(found);
                        }
                    }
                    (x, y) => return Some((here, show(x), show(y))),
                }
            }
            None
        }
        _ if same(expected, actual) => None,
        _ => Some((path.to_owned(), expected.to_string(), actual.to_string())),
    }
}

/// A call's command: the pushed name, or `reInit`.
pub fn command(call: &Value) -> Option<&str> {
    match call.as_array().map(Vec::as_slice) {
        Some([push, payload]) if push == "push" => payload.get(0).and_then(Value::as_str),
        Some([single]) => single.as_str(),
        _ => None,
    }
}

fn payload(call: &Value) -> Option<&Value> {
    call.get(1).and_then(|p| p.get(1))
}

fn matches(pattern: &CallPattern, call: &Value) -> bool {
    command(call) == Some(pattern.command.as_str())
        && pattern
            .payload
            .as_ref()
            .is_none_or(|p| payload(call).is_some_and(|actual| contains(p, actual)))
}

fn describe(pattern: &CallPattern) -> String {
    match &pattern.payload {
        Some(payload) => format!("{} with {payload}", pattern.command),
        None => pattern.command.clone(),
    }
}

fn find_event<'a>(result: &'a PageResult, event: &EventRef) -> Option<&'a EventResult> {
    match event {
        EventRef::Index(i) => result.events.iter().find(|e| e.index == Some(*i)),
        EventRef::Name(name) => result.events.iter().find(|e| e.name == *name),
    }
}

/// An error as the Result's JSON writes it.
fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|e| format!("(not encodable: {e})"))
}

/// Every way `result` falls short of `expect`.
pub fn check(expect: &Expect, result: &PageResult) -> Vec<String> {
    let mut failures = Vec::new();
    let calls = &result.calls;
    if let Some(expected) = &expect.calls {
        failures.extend(compare_calls(expected, calls));
    }
    let loader = Value::from(result.loader.clone());
    if let Some(expected) = &expect.loader
        && !same(expected, &loader)
    {
        failures.push(format!("loader: expected {expected}, got {loader}"));
    }
    for pattern in &expect.contains {
        if !calls.iter().any(|c| matches(pattern, c)) {
            let same_command: Vec<String> = calls
                .iter()
                .filter(|c| command(c) == Some(pattern.command.as_str()))
                .map(Value::to_string)
                .collect();
            failures.push(if same_command.is_empty() {
                format!(
                    "missing call: {} (there is no {} call)",
                    describe(pattern),
                    pattern.command
                )
            } else {
                format!(
                    "missing call: {}; the {} calls were:\n      {}",
                    describe(pattern),
                    pattern.command,
                    same_command.join("\n      ")
                )
            });
        }
    }
    for pattern in &expect.excludes {
        for call in calls.iter().filter(|c| matches(pattern, c)) {
            failures.push(format!(
                "unexpected call: {call} (matches {})",
                describe(pattern)
            ));
        }
    }
    for variable in &expect.variables {
        let Some(event) = find_event(result, &variable.event) else {
            failures.push(format!("{}: no such event was processed", variable.event));
            continue;
        };
        let found = event.variables.iter().find(|v| {
            v.prop == variable.prop
                && variable
                    .product
                    .as_deref()
                    .is_none_or(|p| v.product.as_deref() == Some(p))
        });
        match found {
            Some(v) if same(&v.value, &variable.value) => {}
            Some(v) => failures.push(format!(
                "{}: variable {} is {}, expected {}",
                variable.event, variable.prop, v.value, variable.value
            )),
            None => failures.push(format!(
                "{}: variable {} was not set (expected {})",
                variable.event, variable.prop, variable.value
            )),
        }
    }
    for error in &expect.errors {
        let Some(event) = find_event(result, &error.event) else {
            failures.push(format!("{}: no such event was processed", error.event));
            continue;
        };
        let hit = event.errors.iter().any(|e: &HandlerErrorResult| {
            error.kind.is_none_or(|k| e.kind == k)
                && error
                    .message
                    .as_deref()
                    .is_none_or(|m| e.message.contains(m))
        });
        if !hit {
            failures.push(format!(
                "{}: no error{}{} (its errors: {})",
                error.event,
                error
                    .kind
                    .map(|k| format!(" of kind {}", k.as_str()))
                    .unwrap_or_default(),
                error
                    .message
                    .as_deref()
                    .map(|m| format!(" containing {m:?}"))
                    .unwrap_or_default(),
                if event.errors.is_empty() {
                    "none".to_owned()
                } else {
                    json(&event.errors)
                }
            ));
        }
    }
    if expect.no_errors {
        for event in &result.events {
            for e in &event.errors {
                failures.push(format!("unexpected error on {:?}: {}", event.name, json(e)));
            }
        }
    }
    failures
}

/// Missing calls, extra calls and the first difference of two call lists.
fn compare_calls(expected: &[Value], actual: &[Value]) -> Vec<String> {
    let expected_value = Value::Array(expected.to_vec());
    let actual_value = Value::Array(actual.to_vec());
    let Some((path, want, got)) = first_difference(&expected_value, &actual_value, "calls") else {
        return Vec::new();
    };
    let mut out = vec![format!("{path}: expected {want}, got {got}")];
    let mut unmatched: Vec<&Value> = actual.iter().collect();
    let mut missing = Vec::new();
    for call in expected {
        match unmatched.iter().position(|c| same(c, call)) {
            Some(at) => {
                unmatched.remove(at);
            }
            None => missing.push(call.to_string()),
        }
    }
    if !missing.is_empty() {
        out.push(format!(
            "missing calls:\n      {}",
            missing.join("\n      ")
        ));
    }
    if !unmatched.is_empty() {
        let extra: Vec<String> = unmatched.iter().map(|c| c.to_string()).collect();
        out.push(format!("extra calls:\n      {}", extra.join("\n      ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn subsets_match_by_keys_and_numbers_as_numbers() {
        assert!(contains(
            &json!({"item": {"id": "a"}}),
            &json!({"item": {"id": "a", "count": 1}})
        ));
        assert!(contains(&json!({"n": 1}), &json!({"n": 1.0})));
        assert!(!contains(
            &json!({"item": {"id": "b"}}),
            &json!({"item": {"id": "a"}})
        ));
    }

    #[test]
    fn the_first_difference_has_a_path() {
        let diff = first_difference(
            &json!([["push", ["a", {"x": 1}]]]),
            &json!([["push", ["a", {"x": 2}]]]),
            "calls",
        );
        assert_eq!(
            diff,
            Some((
                "calls[0][1][1].x".to_owned(),
                "1".to_owned(),
                "2".to_owned()
            ))
        );
        let diff = first_difference(&json!([1]), &json!([1, 2]), "calls");
        assert_eq!(
            diff,
            Some(("calls[1]".to_owned(), "nothing".to_owned(), "2".to_owned()))
        );
    }

    #[test]
    fn call_lists_report_missing_and_extra() {
        let failures = compare_calls(
            &[json!(["reInit"]), json!(["push", ["a", {}]])],
            &[json!(["push", ["a", {}]]), json!(["push", ["b", {}]])],
        );
        assert_eq!(failures.len(), 3, "{failures:?}");
        assert!(failures[1].contains("[\"reInit\"]"));
        assert!(failures[2].contains("\"b\""));
    }

    #[test]
    fn commands_of_calls() {
        assert_eq!(
            command(&json!(["push", ["addToCart", {}]])),
            Some("addToCart")
        );
        assert_eq!(command(&json!(["reInit"])), Some("reInit"));
    }
}
