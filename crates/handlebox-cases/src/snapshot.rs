//! `handlebox test --update`: the recorded calls written into a test file's
//! text where they belong, and nothing else changed — the file's layout,
//! key order and the other cases stay as their author wrote them.

use std::collections::BTreeMap;

use serde_json::Value;
use serde_json::value::RawValue;

/// One case's new expected calls.
pub struct Update {
    /// The case's position in `cases`.
    pub case: usize,
    /// The calls to expect.
    pub calls: Vec<Value>,
}

/// `text` with each update's calls as its case's `expect.calls`: the old
/// array replaced, or the key added to `expect` (or `expect` added to the
/// case), indented as the lines around it.
pub fn apply(text: &str, updates: &[Update]) -> Result<String, String> {
    let top: BTreeMap<String, &RawValue> =
        serde_json::from_str(text).map_err(|e| format!("not a test file: {e}"))?;
    let cases: Vec<&RawValue> = match top.get("cases") {
        Some(raw) => serde_json::from_str(raw.get()).map_err(|e| format!("$.cases: {e}"))?,
        None => return Err("$.cases is missing".to_owned()),
    };
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    for update in updates {
        let Some(case) = cases.get(update.case) else {
            return Err(format!("$.cases[{}] is missing", update.case));
        };
        edits.push(edit(text, case, &update.calls, update.case)?);
    }
    edits.sort_by_key(|(start, _, _)| std::cmp::Reverse(*start));
    let mut out = text.to_owned();
    for (start, end, replacement) in edits {
        out.replace_range(start..end, &replacement);
    }
    Ok(out)
}

/// The edit that makes `case` expect `calls`.
fn edit(
    text: &str,
    case: &RawValue,
    calls: &[Value],
    index: usize,
) -> Result<(usize, usize, String), String> {
    let fields: BTreeMap<String, &RawValue> = serde_json::from_str(case.get())
        .map_err(|e| format!("$.cases[{index}] is not an object: {e}"))?;
    let expect = match fields.get("expect") {
        Some(null) if null.get() == "null" => {
            let start = offset(text, null.get());
            let value = layout(
                &serde_json::json!({"calls": calls}),
                text,
                start,
                null.get(),
            );
            return Ok((start, start + null.get().len(), value));
        }
        Some(expect) => expect,
        None => {
            let value = serde_json::json!({"calls": calls});
            return Ok(append(text, case.get(), "expect", &value));
        }
    };
    let fields: BTreeMap<String, &RawValue> = serde_json::from_str(expect.get())
        .map_err(|e| format!("$.cases[{index}].expect is not an object: {e}"))?;
    let calls = Value::Array(calls.to_vec());
    match fields.get("calls") {
        Some(old) => {
            let start = offset(text, old.get());
            let value = layout(&calls, text, start, expect.get());
            Ok((start, start + old.get().len(), value))
        }
        None => Ok(append(text, expect.get(), "calls", &calls)),
    }
}

/// The edit that adds `"key": value` as the last key of `object` (a slice
/// of `text`), laid out as the object is.
fn append(text: &str, object: &str, key: &str, value: &Value) -> (usize, usize, String) {
    let open = offset(text, object);
    let close = open + object.len() - 1;
    let last = text[..close].trim_end().len();
    let empty = last == open + 1;
    let comma = if empty { "" } else { "," };
    let insert = if object.contains('\n') {
        let inner = if empty {
            format!("{}  ", indent_at(text, open))
        } else {
            indent_at(text, last)
        };
        let value = serde_json::to_string_pretty(value)
            .unwrap_or_else(|_| value.to_string())
            .replace('\n', &format!("\n{inner}"));
        let close_indent = if empty {
            format!("\n{}", indent_at(text, open))
        } else {
            String::new()
        };
        format!("{comma}\n{inner}\"{key}\": {value}{close_indent}")
    } else {
        format!("{comma}\"{key}\":{value}", value = value)
    };
    (last, last, insert)
}

/// `value` written as the JSON around it is: on one line inside an object
/// written on one line, else pretty, its later lines indented as the line
/// at `at`.
fn layout(value: &Value, text: &str, at: usize, around: &str) -> String {
    if !around.contains('\n') {
        return value.to_string();
    }
    let pretty = serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string());
    pretty.replace('\n', &format!("\n{}", indent_at(text, at)))
}

/// Where `part` (a slice of `text`) starts in it.
fn offset(text: &str, part: &str) -> usize {
    (part.as_ptr() as usize).saturating_sub(text.as_ptr() as usize)
}

/// The white space the line holding byte `at` starts with.
fn indent_at(text: &str, at: usize) -> String {
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    text[line_start..]
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn update(case: usize) -> Update {
        Update {
            case,
            calls: vec![json!(["reInit"])],
        }
    }

    #[test]
    fn only_the_calls_change_and_the_layout_stays() {
        let text = "{\n  \"config\": \"c.json\",\n  \"cases\": [\n    {\n      \"name\": \"a\",\n      \"page\": \"p.json\",\n      \"snapshot\": true,\n      \"expect\": {\"calls\": [1, 2]}\n    },\n    {\"name\": \"b\", \"page\": \"p.json\", \"snapshot\": true}\n  ]\n}\n";
        let out = apply(text, &[update(0), update(1)]).unwrap();
        let untouched = &text[..text.find("[1, 2]").unwrap()];
        assert!(out.starts_with(untouched), "{out}");
        assert!(
            out.contains("\"expect\": {\"calls\": [[\"reInit\"]]}\n    },"),
            "an expect on one line stays on one line: {out}"
        );
        assert!(
            out.contains(
                "{\"name\": \"b\", \"page\": \"p.json\", \"snapshot\": true,\"expect\":{\"calls\":[[\"reInit\"]]}}"
            ),
            "{out}"
        );
        let read: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(read["cases"][0]["expect"]["calls"], json!([["reInit"]]));
        assert_eq!(read["cases"][1]["expect"]["calls"], json!([["reInit"]]));
        assert_eq!(read["cases"][1]["name"], json!("b"));
    }

    #[test]
    fn a_case_written_over_lines_gets_its_expect_as_its_last_key() {
        let text = "{\n  \"cases\": [\n    {\n      \"page\": \"p.json\",\n      \"snapshot\": true\n    }\n  ]\n}\n";
        let out = apply(text, &[update(0)]).unwrap();
        assert_eq!(
            out,
            "{\n  \"cases\": [\n    {\n      \"page\": \"p.json\",\n      \"snapshot\": true,\n      \"expect\": {\n        \"calls\": [\n          [\n            \"reInit\"\n          ]\n        ]\n      }\n    }\n  ]\n}\n"
        );
    }

    #[test]
    fn calls_join_an_expect_that_has_other_keys() {
        let text = r#"{"cases": [{"page": {}, "snapshot": true, "expect": {"noErrors": true}}, {"page": {}, "snapshot": true, "expect": {}}, {"page": {}, "snapshot": true, "expect": null}]}"#;
        let out = apply(text, &[update(0), update(1), update(2)]).unwrap();
        let read: Value = serde_json::from_str(&out).unwrap();
        for case in 0..3 {
            assert_eq!(
                read["cases"][case]["expect"]["calls"],
                json!([["reInit"]]),
                "{out}"
            );
        }
        assert_eq!(read["cases"][0]["expect"]["noErrors"], json!(true));
    }
}
