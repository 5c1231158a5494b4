//! The messages the Handlebox host and its WebAssembly guest exchange.
//!
//! The host writes one JSON [`Request`] into guest memory and reads back one
//! JSON [`Response`]. Both sides compile this crate, so the wire format has a
//! single definition. Values that are JavaScript data (events, results) travel
//! as raw JSON text so that neither side re-encodes them.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// How the text of a handler is shaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SourceForm {
    /// The body of a function, as the admin panel stores it.
    Body,
    /// A whole `function (event) { … }` or arrow function expression.
    Function,
}

/// What a handler's `this` is, and whether it gets the helper prelude.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Role {
    /// An event variable: `this` holds the helpers; the body form gets the
    /// `_digitalData`, `_get`, … locals.
    Variable,
    /// An override function: `this` is the integration, no helpers.
    Override {
        /// Name returned by `this.getName()`.
        integration: String,
        /// Options read by `this.getOption(name)`.
        options: Map<String, Value>,
    },
}

/// One handler as the guest compiles it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HandlerSource {
    /// The handler's JavaScript text, exactly as the user wrote it.
    pub source: String,
    /// Body or function form; `None`: the guest reads it from the parse (a
    /// text that parses as one function expression is a function).
    #[serde(default)]
    pub form: Option<SourceForm>,
    /// Name of the single parameter in body form (`event` or `product`).
    pub param: String,
    /// What `this` is when the handler runs.
    pub role: Role,
}

/// The page a guest instance serves: everything the helpers can read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageContext {
    /// The page's `digitalData`, read by `_digitalData`.
    pub digital_data: Value,
    /// The page URL, read by `_queryParam`.
    pub url: String,
    /// Raw cookie values by name, read (percent-decoded) by `_cookie`.
    pub cookies: Map<String, Value>,
    /// Window globals, read by `_global`.
    pub globals: Value,
    /// The GTM `dataLayer` array, read by `_dataLayer`.
    pub data_layer: Value,
    /// `document.referrer`.
    #[serde(default)]
    pub referrer: String,
    /// `document.title`.
    #[serde(default)]
    pub title: String,
    /// `navigator.userAgent`.
    #[serde(default)]
    pub user_agent: String,
    /// `navigator.language`.
    #[serde(default = "default_language")]
    pub language: String,
    /// The page's HTML, parsed when a handler first reads the document.
    #[serde(default)]
    pub html: Option<String>,
    /// Cookies handlers wrote earlier on this page (`document.cookie = …`),
    /// in order, written again when a page opens a new instance.
    #[serde(default)]
    pub cookie_writes: Vec<String>,
    /// Why the page's `html` could not be parsed, when it could not: every
    /// read of the document then throws this.
    #[serde(default)]
    pub html_error: Option<String>,
}

/// `navigator.language` of a page that gives none.
pub const DEFAULT_LANGUAGE: &str = "en-US";

fn default_language() -> String {
    DEFAULT_LANGUAGE.to_owned()
}

/// An empty page: no data, no URL, the default language.
impl Default for PageContext {
    fn default() -> Self {
        Self {
            digital_data: Value::Null,
            url: String::new(),
            cookies: Map::new(),
            globals: Value::Null,
            data_layer: Value::Null,
            referrer: String::new(),
            title: String::new(),
            user_agent: String::new(),
            language: default_language(),
            html: None,
            cookie_writes: Vec::new(),
            html_error: None,
        }
    }
}

/// Limits the guest enforces itself (the host enforces time and memory).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GuestLimits {
    /// Largest JSON text a handler result (or changed argument) may have.
    pub max_output_bytes: usize,
    /// Most console lines kept per call; the rest are counted, not kept.
    pub max_log_lines: usize,
    /// Longest console line kept, in bytes; longer lines are cut.
    pub max_log_line_bytes: usize,
    /// Deepest JavaScript call stack, in frames.
    pub max_call_depth: usize,
}

/// The page as the guest reads it: the same JSON as [`PageContext`], with each
/// part kept as text until a handler reads it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageContextText {
    /// The page's `digitalData`.
    pub digital_data: Box<RawValue>,
    /// The page URL.
    pub url: String,
    /// Raw cookie values by name.
    pub cookies: Box<RawValue>,
    /// Window globals.
    pub globals: Box<RawValue>,
    /// The GTM `dataLayer` array.
    pub data_layer: Box<RawValue>,
    /// `document.referrer`.
    #[serde(default)]
    pub referrer: String,
    /// `document.title`.
    #[serde(default)]
    pub title: String,
    /// `navigator.userAgent`.
    #[serde(default)]
    pub user_agent: String,
    /// `navigator.language`.
    #[serde(default = "default_language")]
    pub language: String,
    /// The page's HTML.
    #[serde(default)]
    pub html: Option<String>,
    /// Cookies written earlier on this page.
    #[serde(default)]
    pub cookie_writes: Vec<String>,
    /// Why the page's `html` could not be parsed.
    #[serde(default)]
    pub html_error: Option<String>,
}

/// One step of an event's handler plan, run by [`Request::Event`] in order
/// on one JavaScript event object that every step shares, as in a browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Step {
    /// An override function called with the event.
    Override {
        /// Index of the handler in the project.
        handler: usize,
    },
    /// An override function called with each of the event's products.
    ProductOverride {
        /// Index of the handler in the project.
        handler: usize,
    },
    /// An event variable: its value is written at `prop` of the event.
    Variable {
        /// Index of the handler in the project.
        handler: usize,
        /// Where the value is written (a dot path).
        prop: String,
        /// Runs only on events of this name (after the steps before it);
        /// empty: on every event.
        event: String,
    },
    /// A product variable: its value is written at `prop` of each product.
    ProductVariable {
        /// Index of the handler in the project.
        handler: usize,
        /// Where the value is written in the product (a dot path).
        prop: String,
    },
}

impl Step {
    /// The handler the step runs.
    pub fn handler(&self) -> usize {
        match self {
            Step::Override { handler }
            | Step::ProductOverride { handler }
            | Step::Variable { handler, .. }
            | Step::ProductVariable { handler, .. } => *handler,
        }
    }
}

/// One handler call of a plan: the step, and the product for product steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CallId {
    /// Index of the step in the plan.
    pub step: usize,
    /// Index of the product among the event's products, for product steps.
    pub item: Option<usize>,
}

/// A message from the host to the guest.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Request {
    /// Compile a project's handlers into this instance's prepared world,
    /// ahead of any page (the host snapshots the instance after it);
    /// answered by [`Response::Checked`].
    Compile {
        /// The project's handlers, addressed by index from then on.
        handlers: Vec<HandlerSource>,
        /// Limits for every later call.
        limits: GuestLimits,
    },
    /// Start serving one page; answered by [`Response::Ready`].
    Open {
        /// The page, as the JSON of [`PageContext`] (read as [`PageContextText`]).
        page: Box<RawValue>,
    },
    /// Parse the page's `html` now, ahead of its handlers, so the time it
    /// takes is the page's, not a handler call's; answered by
    /// [`Response::Ready`].
    Parse,
    /// Run one handler; answered by [`Response::Called`].
    Call {
        /// The page's new `digitalData`, when it changed since the last request.
        digital_data: Option<Box<RawValue>>,
        /// Index of the handler in the project.
        handler: usize,
        /// The event or product, as JSON text.
        arg: Box<RawValue>,
    },
    /// Run an event's handler plan; answered by [`Response::Ran`].
    Event {
        /// The page's new `digitalData`, when it changed since the last request.
        digital_data: Option<Box<RawValue>>,
        /// The event, as JSON text.
        event: Box<RawValue>,
        /// The plan.
        steps: Vec<Step>,
        /// Calls not to run (they ended an earlier instance); each is
        /// answered with `ran: false`.
        skip: Vec<CallId>,
        /// Handlers not to run at all on this page; answered likewise.
        struck: Vec<usize>,
        /// Whether each record carries the event as that call left it.
        #[serde(default)]
        trace: bool,
    },
}

/// Category of a handler failure; the names are part of the public Result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ErrorKind {
    /// The handler's text does not parse.
    Syntax,
    /// The handler threw.
    Thrown,
    /// The call ran past its deadline.
    Timeout,
    /// The page ran past its memory cap (or its call stack limit).
    Memory,
    /// The handler used something the sandbox does not offer.
    Unsupported,
    /// The result could not be converted or is too large.
    Output,
    /// The input data was refused.
    Input,
}

impl ErrorKind {
    /// The kind's name as it appears in results.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Syntax => "syntax",
            ErrorKind::Thrown => "thrown",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Memory => "memory",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Output => "output",
            ErrorKind::Input => "input",
        }
    }
}

/// A handler failure, positioned in the handler's own text (1-based).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorInfo {
    /// What went wrong.
    pub kind: ErrorKind,
    /// The message, for example `TypeError: cannot read property 'x' of undefined`.
    pub message: String,
    /// Line in the handler's text, when known.
    pub line: Option<u32>,
    /// Column in the handler's text, when known.
    pub column: Option<u32>,
}

/// `syntax error at line 2, column 5: SyntaxError: …`, without a position when
/// there is none.
impl fmt::Display for ErrorInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(line), Some(column)) => write!(
                f,
                "{} error at line {line}, column {column}: {}",
                self.kind.as_str(),
                self.message
            ),
            _ => write!(f, "{} error: {}", self.kind.as_str(), self.message),
        }
    }
}

/// What parsing one handler found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandlerCheck {
    /// Why it does not parse or compile; `None` when it does.
    pub error: Option<ErrorInfo>,
    /// What parses but cannot work as intended, e.g. a browser-only helper.
    pub warnings: Vec<String>,
    /// Whether the handler may read the page's document (it names
    /// `document`, `window`, `self`, `globalThis` or `domQuery`): pages
    /// with `html` then parse it when they open, under the page's budget.
    #[serde(default)]
    pub reads_document: bool,
}

/// One captured `console` call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    /// `log`, `info`, `warn`, `error` or `debug`.
    pub level: String,
    /// The arguments, formatted and joined by spaces.
    pub message: String,
}

/// Where writing a variable's value threw, as it throws in the reference
/// (a step through `null` or a primitive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetFailure {
    /// The path written, from the event, e.g. `user.spot`.
    pub path: String,
    /// The part of it that was `null` or not an object ("the event" for the root).
    pub at: String,
}

/// One handler call of a plan, in the order the calls ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallRecord {
    /// Which call this is.
    pub id: CallId,
    /// Where the product is in the event (`transaction.lineItems[0].product`),
    /// for product steps.
    pub product: Option<String>,
    /// Whether it ran: `false` for calls the request said to skip.
    pub ran: bool,
    /// A variable's value as JSON text; `None` when `undefined`.
    pub value: Option<String>,
    /// What the handler wrote to the console.
    pub logs: Vec<LogLine>,
    /// Console lines beyond the limit, counted but not kept.
    pub dropped_logs: usize,
    /// Why the call failed, if it did.
    pub error: Option<ErrorInfo>,
    /// Where writing the value threw, if it did.
    pub set_failure: Option<SetFailure>,
    /// The event as JSON text after this call, when the request asked for
    /// a trace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
}

/// A message from the guest to the host.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Response {
    /// Parse or compile result per handler, in request order.
    Checked {
        /// One entry per handler.
        handlers: Vec<HandlerCheck>,
    },
    /// The request was carried out.
    Ready,
    /// The outcome of one call.
    Called {
        /// The result as `JSON.stringify` wrote it; `None` when `undefined`.
        /// Text rather than raw JSON, so that a `null` result stays `Some`.
        value: Option<String>,
        /// The argument after the call, as JSON text, for override functions.
        arg: Option<String>,
        /// What the handler wrote to the console.
        logs: Vec<LogLine>,
        /// Console lines beyond the limit, counted but not kept.
        dropped_logs: usize,
        /// Why the call failed, if it did.
        error: Option<ErrorInfo>,
    },
    /// The outcome of an event's plan.
    Ran {
        /// The event after every step.
        event: Box<RawValue>,
        /// Every call, in the order they ran.
        calls: Vec<CallRecord>,
        /// What the handlers wrote to `document.cookie`, in order.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        cookies_set: Vec<String>,
    },
    /// The request itself could not be carried out.
    Refused {
        /// What was wrong with it.
        error: ErrorInfo,
    },
}

/// The reference's handler helpers that only work in a browser: in the
/// sandbox, `this.<name>` and `_<name>` throw an `unsupported` error (the
/// guest's runtime), and checking a handler warns about them (the guest's
/// lints). One list for both.
pub const BROWSER_ONLY: [&str; 9] = [
    "fetch",
    "timeout",
    "retry",
    "loadPixel",
    "loadScript",
    "loadIframe",
    "loadLink",
    "counter",
    "counterInc",
];

/// What V8 says when the call stack is exhausted; both the guest (Boa's
/// depth limit) and the host (a wasm stack overflow) report it.
pub const STACK_OVERFLOW: &str = "RangeError: Maximum call stack size exceeded";

/// Marks a JSON string that stands for a JavaScript value `JSON.stringify`
/// writes as `null` although it is not `null`: `NaN`, `±Infinity`, an
/// invalid `Date`. The reference keeps such a value on the event (its
/// `cleanObject` drops only `null`, `undefined` and `""`) and it becomes
/// `null` only when a call is serialised, so results carry it marked until
/// then: U+FDD0 (a noncharacter, reserved by Unicode for internal use), then
/// `t` or `f` for its truthiness, then `String(value)`.
pub const NULL_IN_JSON: char = '\u{FDD0}';

/// The truthiness and `String(value)` of a marked value (see [`NULL_IN_JSON`]).
pub fn null_in_json(value: &Value) -> Option<(bool, &str)> {
    let rest = value.as_str()?.strip_prefix(NULL_IN_JSON)?;
    match rest.split_at_checked(1)? {
        ("t", text) => Some((true, text)),
        ("f", text) => Some((false, text)),
        _ => None,
    }
}

/// Replaces every marked value in `value` by `null`, as `JSON.stringify`
/// writes it: what a result looks like once it leaves the pipeline.
pub fn finish_json(value: &mut Value) {
    match value {
        Value::String(_) if null_in_json(value).is_some() => *value = Value::Null,
        Value::Array(items) => items.iter_mut().for_each(finish_json),
        Value::Object(map) => map.values_mut().for_each(finish_json),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn marked_values_read_and_finish_as_null() {
        let nan = json!(format!("{NULL_IN_JSON}fNaN"));
        let infinity = json!(format!("{NULL_IN_JSON}tInfinity"));
        assert_eq!(null_in_json(&nan), Some((false, "NaN")));
        assert_eq!(null_in_json(&infinity), Some((true, "Infinity")));
        assert_eq!(null_in_json(&json!("NaN")), None);
        assert_eq!(null_in_json(&json!(format!("{NULL_IN_JSON}"))), None);
        let mut value = json!({"spot": nan, "items": [infinity, "x"], "n": null});
        finish_json(&mut value);
        assert_eq!(
            value,
            json!({"spot": null, "items": [null, "x"], "n": null})
        );
    }
}
