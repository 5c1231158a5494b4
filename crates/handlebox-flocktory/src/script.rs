//! Flocktory's calls as the JavaScript a browser runs (`window.flocktory`),
//! safe to paste inside an HTML `<script>`.

use std::fmt::Write as _;

use serde_json::Value;

/// One browser statement per call, safe to paste inside a `<script>`.
pub fn statement(call: &Value) -> String {
    match call.as_array().map(Vec::as_slice) {
        Some([command, arg]) if command == "push" => {
            format!("window.flocktory.push({});", script_safe(&arg.to_string()))
        }
        Some([Value::String(command)])
            if command
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_') =>
        {
            format!("window.flocktory.{command}();")
        }
        _ => format!(
            "/* unrecognised call {} */",
            script_safe(&call.to_string()).replace("*/", "*\\/")
        ),
    }
}

/// JSON text made safe inside an HTML `<script>` and as JavaScript: `</`
/// cannot close the script, `<!--` cannot open a comment, and U+2028 and
/// U+2029 (line breaks to JavaScript, not to JSON) are escaped. These only
/// occur inside JSON strings, where the escapes mean the same characters.
fn script_safe(json: &str) -> String {
    json.replace("</", "<\\/")
        .replace("<!--", "<\\u0021--")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// A page's calls as the script a browser would run: the loader, the
/// queue, one statement per call.
pub fn page(loader: Option<&str>, calls: &[Value]) -> String {
    let mut out = String::new();
    match loader {
        Some(loader) => {
            let loader = script_safe(loader).replace(['\n', '\r'], " ");
            let _ = writeln!(out, "// loader, as an async script: {loader}");
            out.push_str("window.flocktory = window.flocktory || [];\n");
        }
        None => out.push_str("// Flocktory never started on this page: no loader, no calls.\n"),
    }
    for call in calls {
        out.push_str(&statement(call));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn calls_become_browser_statements() {
        assert_eq!(
            statement(&json!(["push", ["addData", {"user": {}}]])),
            "window.flocktory.push([\"addData\",{\"user\":{}}]);"
        );
        assert_eq!(statement(&json!(["reInit"])), "window.flocktory.reInit();");
    }

    #[test]
    fn statements_cannot_break_out_of_a_script() {
        let call = json!(["push", ["addData", {"title": "</script><script>alert(1)</script> <!-- \u{2028}\u{2029}"}]]);
        let line = statement(&call);
        assert_eq!(
            line,
            r#"window.flocktory.push(["addData",{"title":"<\/script><script>alert(1)<\/script> <\u0021-- \u2028\u2029"}]);"#
        );
        assert!(!line.contains("</") && !line.contains('\u{2028}'));
        assert_eq!(statement(&json!(["reInit"])), "window.flocktory.reInit();");
        let odd = statement(&json!(["x();alert(1)//"]));
        assert!(odd.starts_with("/* unrecognised call"), "{odd}");
        let closing = statement(&json!([1, "*/alert(1)/*"]));
        assert_eq!(closing.matches("*/").count(), 1, "{closing}");
    }
}
