//! Engine and parser errors to [`ErrorInfo`], placed in the handler's own text.

use boa_engine::JsNativeErrorKind;
use boa_engine::error::{EngineError, RuntimeLimitError};
use boa_engine::parser::Error as ParseError;
use boa_engine::{Context, JsError, JsValue, js_string};
use handlebox_protocol::{ErrorInfo, ErrorKind, STACK_OVERFLOW};

use crate::v8;

/// Lines the wrapper puts before the handler's first line.
pub(crate) const LINE_OFFSET: u32 = 1;

/// An error about the data the host sent, with no position.
pub(crate) fn input(message: String) -> ErrorInfo {
    ErrorInfo {
        kind: ErrorKind::Input,
        message,
        line: None,
        column: None,
    }
}

/// A call the host refused to start: its handler spent its share of the
/// page's time, or the page was cancelled.
pub(crate) fn not_run() -> ErrorInfo {
    ErrorInfo {
        kind: ErrorKind::Timeout,
        message: "not run: the page stopped this handler".to_owned(),
        line: None,
        column: None,
    }
}

/// A parser error; `line_offset` is how many lines precede the handler's text.
pub(crate) fn syntax(err: &ParseError, line_offset: u32, source: &str) -> ErrorInfo {
    let (line, column) = match err {
        ParseError::Expected { span, .. } | ParseError::Unexpected { span, .. } => {
            (span.start().line_number(), span.start().column_number())
        }
        ParseError::General { position, .. } => (position.line_number(), position.column_number()),
        ParseError::Lex {
            err: boa_engine::parser::lexer::Error::Syntax(_, position),
        } => (position.line_number(), position.column_number()),
        _ => end_of(source, line_offset),
    };
    let message = strip_position(&err.to_string());
    let (line, column) = clamp(line.saturating_sub(line_offset), column, source);
    ErrorInfo {
        kind: ErrorKind::Syntax,
        message: format!("SyntaxError: {message}"),
        line,
        column,
    }
}

/// A handler that parses, but only by closing the function it is wrapped in.
pub(crate) fn escaped(line: u32, column: u32, source: &str) -> ErrorInfo {
    let (line, column) = clamp(line.saturating_sub(LINE_OFFSET), column, source);
    ErrorInfo {
        kind: ErrorKind::Syntax,
        message: "SyntaxError: unexpected text after the end of the handler's function \
                  (an unbalanced '}' or ')')"
            .to_owned(),
        line: line.or(Some(1)),
        column: column.or(Some(1)),
    }
}

/// An error raised while compiling the wrapper (early errors the parser
/// leaves to the compiler).
pub(crate) fn compile(err: &JsError, path: &str, source: &str) -> ErrorInfo {
    let text = err.to_string();
    let (line, column) = position_in(&text, path)
        .map(|(line, column)| clamp(line.saturating_sub(LINE_OFFSET), column, source))
        .unwrap_or((None, None));
    ErrorInfo {
        kind: ErrorKind::Syntax,
        message: strip_position(text.lines().next().unwrap_or_default()),
        line,
        column,
    }
}

/// An error a handler's call ended with.
///
/// `wrapped` is the handler's text as it was compiled, `source` as its
/// author wrote it.
pub(crate) fn runtime(
    err: JsError,
    path: &str,
    (source, wrapped): (&str, &str),
    unsupported: bool,
    context: &mut Context,
) -> ErrorInfo {
    let text = err.to_string();
    let raw = position_in(&text, path);
    let (mut line, mut column) = raw
        .map(|(line, column)| clamp(line.saturating_sub(LINE_OFFSET), column, source))
        .unwrap_or((None, None));
    // V8's words for the common type errors, placed at the expression.
    let mut reworded = None;
    if let Some(native) = err.as_native()
        && matches!(native.kind(), JsNativeErrorKind::Type)
        && let Some((at_line, at_column)) = raw
        && let Some((message, at)) = v8::reword(native.message(), wrapped, at_line, at_column)
    {
        (line, column) = clamp(
            at.line_number().saturating_sub(LINE_OFFSET),
            at.column_number(),
            source,
        );
        reworded = Some(format!("TypeError: {message}"));
    }
    // Boa places a failed name lookup at the start of the enclosing
    // function, not at the name: find the name in the handler's syntax.
    if let Some(native) = err.as_native()
        && matches!(native.kind(), JsNativeErrorKind::Reference)
        && let Some(name) = native.message().strip_suffix(" is not defined")
        && let Some(at) = v8::name_position(wrapped, name, LINE_OFFSET)
    {
        (line, column) = clamp(
            at.line_number().saturating_sub(LINE_OFFSET),
            at.column_number(),
            source,
        );
    }
    if let Some(engine) = err.as_engine() {
        let (kind, message) = match engine {
            // A browser throws a catchable RangeError here; Boa's limit
            // cannot be caught, so the handler ends with it, as an uncaught
            // RangeError ends it in a browser.
            EngineError::RuntimeLimit(RuntimeLimitError::Recursion)
            | EngineError::RuntimeLimit(RuntimeLimitError::StackSize) => {
                (ErrorKind::Thrown, STACK_OVERFLOW.to_owned())
            }
            other => (ErrorKind::Thrown, format!("internal engine error: {other}")),
        };
        return ErrorInfo {
            kind,
            message,
            line,
            column,
        };
    }
    let message = match (reworded, err.as_native()) {
        (Some(message), _) => message,
        (None, Some(native)) => join_name(&native_name(native.kind()), native.message()),
        (None, None) => describe(err.as_opaque().cloned().unwrap_or_default(), context),
    } + &stack_note(&text, path, source);
    ErrorInfo {
        kind: if unsupported {
            ErrorKind::Unsupported
        } else {
            ErrorKind::Thrown
        },
        message,
        line,
        column,
    }
}

/// `Name: message` for error objects, `String(value)` for anything else.
pub(crate) fn describe(value: JsValue, context: &mut Context) -> String {
    if let Some(object) = value.as_object() {
        let name = object
            .get(js_string!("name"), context)
            .ok()
            .and_then(|v| v.as_string())
            .map(|s| s.to_std_string_escaped());
        let message = object
            .get(js_string!("message"), context)
            .ok()
            .and_then(|v| v.as_string())
            .map(|s| s.to_std_string_escaped());
        if let (Some(name), Some(message)) = (&name, &message) {
            return join_name(name, message);
        }
    }
    value
        .to_string(context)
        .map(|s| s.to_std_string_escaped())
        .unwrap_or_else(|_| "uncaught exception".to_owned())
}

/// The constructor name JavaScript shows for a native error (Boa displays
/// `URIError` as `UriError`).
fn native_name(kind: &JsNativeErrorKind) -> String {
    match kind {
        JsNativeErrorKind::Uri => "URIError".to_owned(),
        other => other.to_string(),
    }
}

fn join_name(name: &str, message: &str) -> String {
    if message.is_empty() {
        name.to_owned()
    } else {
        format!("{name}: {message}")
    }
}

/// Where an engine error happened in the handler `path`: its innermost
/// frame there (the backtrace's first `at … (path:line:column)`), else the
/// position on the message's own line.
fn position_in(text: &str, path: &str) -> Option<(u32, u32)> {
    frames(text, path)
        .first()
        .map(|(_, line, column)| (*line, *column))
        .or_else(|| {
            let first = text.lines().next()?;
            let marker = format!("({path}:");
            let at = first.find(&marker)?;
            parse_position(&first[at + marker.len()..])
        })
}

/// The backtrace's frames in the handler `path`, innermost first: the
/// function's name (`<main>` for the handler itself) and the wrapper's
/// line and column.
fn frames<'t>(text: &'t str, path: &str) -> Vec<(&'t str, u32, u32)> {
    let marker = format!(" ({path}:");
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let frame = line.trim_start().strip_prefix("at ")?;
            let at = frame.find(&marker)?;
            let (line, column) = parse_position(&frame[at + marker.len()..])?;
            Some((&frame[..at], line, column))
        })
        .collect()
}

/// `line:column)` to numbers.
fn parse_position(rest: &str) -> Option<(u32, u32)> {
    let end = rest.find(')')?;
    let (line, column) = rest[..end].split_once(':')?;
    Some((line.parse().ok()?, column.parse().ok()?))
}

/// ` (called from line L, column C; …)` for an error inside a nested
/// function: where each outer frame of the handler called the next.
fn stack_note(text: &str, path: &str, source: &str) -> String {
    let frames = frames(text, path);
    if frames.len() < 2 {
        return String::new();
    }
    // Deep recursion: the callers nearest the error are what helps.
    let calls: Vec<String> = frames[1..]
        .iter()
        .take(5)
        .filter_map(|(name, line, column)| {
            let (Some(line), Some(column)) =
                clamp(line.saturating_sub(LINE_OFFSET), *column, source)
            else {
                return None;
            };
            let from = if *name == "<main>" {
                String::new()
            } else {
                format!(" in {name}")
            };
            Some(format!("line {line}, column {column}{from}"))
        })
        .collect();
    let inner = frames[0].0;
    format!(" (in {inner}, called from {})", calls.join("; from "))
}

/// Keeps a position inside the handler's text: the wrapper's closing line
/// maps to the end of the last line.
fn clamp(line: u32, column: u32, source: &str) -> (Option<u32>, Option<u32>) {
    if line == 0 {
        return (None, None);
    }
    let lines = source.split('\n').count() as u32;
    if line > lines {
        let (last, end) = end_of(source, 0);
        return (Some(last), Some(end));
    }
    (Some(line), Some(column))
}

/// Line and column just past the end of `source`, plus `line_offset`.
fn end_of(source: &str, line_offset: u32) -> (u32, u32) {
    let last = source.rsplit('\n').next().unwrap_or_default();
    (
        source.split('\n').count() as u32 + line_offset,
        last.chars().count() as u32 + 1,
    )
}

/// Drops Boa's trailing " at line N, col M" from a message.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_innermost_frame_of_the_handler() {
        let text =
            "TypeError: x (handler-2:9:1)\n    at f (handler-2:7:3)\n    at <main> (handler-2:9:1)";
        assert_eq!(position_in(text, "handler-2"), Some((7, 3)));
        assert_eq!(
            stack_note(text, "handler-2", "a\nb\nc\nd\ne\nf\ng\nh\ni"),
            " (in f, called from line 8, column 1)"
        );
        let alone = "TypeError: x (handler-2:4:5)\n    at <main> (handler-2:4:5)";
        assert_eq!(position_in(alone, "handler-2"), Some((4, 5)));
        assert_eq!(stack_note(alone, "handler-2", "a\nb\nc\nd"), "");
        assert_eq!(position_in(text, "handler-1"), None);
    }

    #[test]
    fn positions_past_the_text_land_on_its_end() {
        assert_eq!(clamp(3, 1, "a\nbc"), (Some(2), Some(3)));
        assert_eq!(clamp(0, 4, "a"), (None, None));
    }
}
