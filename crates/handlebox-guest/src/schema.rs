//! `this.validate`'s check: a value against a JSON Schema, through the
//! `jsonschema` crate (no remote references: nothing leaves the sandbox).

use boa_engine::object::builtins::JsArray;
use boa_engine::{Context, JsNativeError, JsResult, JsString, JsValue};
use serde_json::Value;

use crate::json::text;

/// `schemaErrors(schema, value)`: the JSON texts of a schema and a value;
/// gives one `path: message` line per way the value breaks the schema
/// (none when it is valid), or throws a `TypeError` when the schema is not
/// a valid JSON Schema.
pub(crate) fn schema_errors(
    _this: &JsValue,
    args: &[JsValue],
    context: &mut Context,
) -> JsResult<JsValue> {
    let read = |index: usize, what: &str| -> JsResult<Value> {
        let source = args
            .get(index)
            .and_then(JsValue::as_string)
            .map(|s| text(&s))
            .unwrap_or_else(|| "null".to_owned());
        serde_json::from_str(&source).map_err(|e| {
            JsNativeError::typ()
                .with_message(format!("the {what} is not JSON: {e}"))
                .into()
        })
    };
    let schema = read(0, "schema")?;
    let value = read(1, "value")?;
    let lines = errors(&schema, &value).map_err(|message| {
        JsNativeError::typ()
            .with_message(format!("the schema is not a valid JSON Schema: {message}"))
    })?;
    let lines = lines
        .iter()
        .map(|line| JsValue::from(JsString::from(line.as_str())));
    Ok(JsArray::from_iter(lines, context).into())
}

/// Each error of `value` against `schema`, as `path: message`, the path a
/// JSON pointer (`/` for the value itself).
fn errors(schema: &Value, value: &Value) -> Result<Vec<String>, String> {
    let validator = jsonschema::validator_for(schema).map_err(|e| e.to_string())?;
    Ok(validator
        .iter_errors(value)
        .map(|error| {
            let path = error.instance_path().to_string();
            let path = if path.is_empty() {
                "/".to_owned()
            } else {
                path
            };
            format!("{path}: {error}")
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::errors;

    #[test]
    fn each_error_is_a_line_with_its_path() {
        let schema = json!({
            "type": "object",
            "required": ["email"],
            "properties": {"email": {"type": "string"}, "age": {"type": "integer"}}
        });
        assert_eq!(errors(&schema, &json!({"email": "a@b.c"})), Ok(vec![]));
        let lines = errors(&schema, &json!({"age": "x"})).unwrap();
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(lines.iter().any(|l| l.starts_with("/age: ")), "{lines:?}");
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("/: ") && l.contains("email")),
            "{lines:?}"
        );
        assert!(errors(&json!({"type": 12}), &json!(1)).is_err());
    }
}
