//! Static checks on handler options, for `handlebox check`: what parses but
//! cannot work on the server, found without running anything.

use handlebox_sandbox::{BROWSER_ONLY, SourceForm, detect_form};

use crate::enrich;

/// The text with comments removed and string contents blanked, so that
/// words are only found in code.
pub fn code_only(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut chars = source.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut last = ' ';
                for c in chars.by_ref() {
                    if last == '*' && c == '/' {
                        break;
                    }
                    last = c;
                }
                out.push(' ');
            }
            '\'' | '"' | '`' => {
                out.push(c);
                while let Some(inner) = chars.next() {
                    if inner == '\\' {
                        chars.next();
                    } else if inner == c {
                        break;
                    }
                }
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

/// Whether `word` occurs in `code` as a whole identifier.
fn has_word(code: &str, word: &str) -> bool {
    code.match_indices(word).any(|(at, _)| {
        let before = code[..at].chars().next_back();
        let after = code[at + word.len()..].chars().next();
        before.is_none_or(|c| !is_word_char(c)) && after.is_none_or(|c| !is_word_char(c))
    })
}

/// Warnings about one handler's text. `variable` is true for event
/// variables (whose value is what they return).
pub fn handler(source: &str, variable: bool) -> Vec<String> {
    let code = code_only(source);
    let mut warnings = Vec::new();
    for helper in BROWSER_ONLY {
        let underscored = format!("_{helper}");
        let uses_this = code
            .match_indices(&format!("this.{helper}"))
            .any(|(at, _)| {
                code[at + 5 + helper.len()..]
                    .chars()
                    .next()
                    .is_none_or(|c| !is_word_char(c))
            });
        if uses_this || has_word(&code, &underscored) {
            warnings.push(format!(
                "uses {}, which only works in a browser: in the sandbox it throws",
                if uses_this {
                    format!("this.{helper}")
                } else {
                    underscored
                }
            ));
        }
    }
    if variable && !has_word(&code, "return") && !is_expression_arrow(&code) {
        warnings.push(
            "has no return statement: its value is always undefined, so the variable is never written"
                .to_owned(),
        );
    }
    warnings
}

/// `event => event.x`: an arrow function whose body is an expression.
fn is_expression_arrow(code: &str) -> bool {
    detect_form(code) == SourceForm::Function
        && code
            .split_once("=>")
            .is_some_and(|(_, body)| !body.trim_start().starts_with('{'))
}

/// A warning when an event-name filter names an event the pipeline renames
/// before comparing, so that it never matches.
pub fn event_name(name: &str) -> Option<String> {
    let new = enrich::renamed(name);
    (new != name).then(|| {
        format!("{name:?} never matches: the pipeline renames that event to {new:?} before comparing names")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_only_helpers_are_flagged_in_code_not_in_text() {
        let warnings = handler("var p = this.domQuery('.price'); return _fetch(p);", true);
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(handler("// this.fetch is gone\nreturn 'this.fetch';", true).is_empty());
        assert!(handler("return this.fetcher();", true).is_empty());
    }

    #[test]
    fn event_variables_without_return_are_flagged() {
        assert_eq!(handler("event.spot = 'x';", true).len(), 1);
        assert!(
            handler("event.spot = 'x';", false).is_empty(),
            "overrides return nothing"
        );
        assert!(handler("event => event.name", true).is_empty());
        assert_eq!(handler("var s = 'return';", true).len(), 1);
    }

    #[test]
    fn renamed_event_names_are_flagged() {
        assert!(event_name("Viewed Product Category").is_some());
        assert!(event_name("Searched").is_some());
        assert!(event_name("Viewed Product Listing").is_none());
    }
}
