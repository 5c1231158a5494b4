//! The Result of `interfaces.md`: the loader, every call of the page in
//! order, and per event what happened to it.

use handlebox_sandbox::ErrorKind;

use crate::trace::IntegrationTrace;
use serde::Serialize;
use serde_json::Value;

/// Everything one page produced.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PageResult {
    /// The loader script URL, or `null` when the integration never started.
    pub loader: Option<String>,
    /// Every call of the page, in order.
    pub calls: Vec<Value>,
    /// One entry per processed event, in processing order.
    pub events: Vec<EventResult>,
    /// Problems of the page or the project that belong to no event.
    pub warnings: Vec<String>,
    /// What running the page cost, for metrics; not part of the JSON.
    #[serde(skip)]
    pub stats: PageStats,
}

/// Counts and timings of one page's handler calls.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageStats {
    /// Wall-clock microseconds of every handler call, in order.
    pub handler_micros: Vec<u64>,
    /// Times `digitalData` was sent to the sandbox again after the page
    /// opened (only after an event changed it).
    pub digital_data_updates: u32,
}

/// What happened to one event.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EventResult {
    /// Position in the page's `events`; `null` for an event the pipeline
    /// made (the default `Viewed Page`), the parent's for events an
    /// `Updated Cart` generated.
    pub index: Option<usize>,
    /// The event's name after renames and overrides.
    pub name: String,
    /// Where the event came from when the page did not list it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Whether the event was dropped (no name, or `ignore: true`).
    pub dropped: bool,
    /// The calls this event made.
    pub calls: Vec<Value>,
    /// Event variables applied, with their values.
    pub variables: Vec<VariableResult>,
    /// Handler errors.
    pub errors: Vec<HandlerErrorResult>,
    /// What the pipeline or the integration could not do for this event.
    pub warnings: Vec<String>,
    /// Console output of the handlers that ran on this event.
    pub logs: Vec<LogResult>,
    /// What handlers wrote to `document.cookie` on this event, in order:
    /// later reads on the page see it, the visitor's browser does not.
    #[serde(rename = "cookiesSet", skip_serializing_if = "Vec::is_empty")]
    pub cookies_set: Vec<String>,
    /// What each integration's handlers saw and changed, when the page is
    /// traced (see [`crate::trace`]); absent otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub trace: Vec<IntegrationTrace>,
}

/// One event variable's value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VariableResult {
    /// `event` or `product`.
    pub scope: &'static str,
    /// Where the value was written.
    pub prop: String,
    /// For product scope: the product's path in the event.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// The value written.
    pub value: Value,
}

/// One handler failure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HandlerErrorResult {
    /// Which handler, e.g. `Flocktory eventEnrichments[0] (spot)`.
    pub handler: String,
    /// What kind of failure: `syntax`, `thrown`, `timeout`, `memory`,
    /// `unsupported`, `output` or `input` in the JSON.
    pub kind: ErrorKind,
    /// What went wrong.
    pub message: String,
    /// Line in the handler's own text.
    pub line: Option<u32>,
    /// Column in the handler's own text.
    pub column: Option<u32>,
}

/// One console line of a handler.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogResult {
    /// Which handler wrote it.
    pub handler: String,
    /// `log`, `info`, `warn`, `error` or `debug`.
    pub level: String,
    /// The text.
    pub message: String,
}
