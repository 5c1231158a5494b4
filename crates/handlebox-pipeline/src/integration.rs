//! What an integration (Flocktory, and later others) gives the pipeline.
//!
//! The pipeline owns everything SegmentStream does for every integration —
//! event order, enrichment, include/exclude lists, handlers, dropping; an
//! integration says which properties it wants copied from `digitalData` and
//! turns each event that reaches it into vendor calls.

use serde_json::{Map, Value};

/// A kind of integration the pipeline can configure, such as Flocktory.
pub trait IntegrationKind: Send + Sync {
    /// The integration's name as configs and `includeIntegrations` spell it.
    fn name(&self) -> &'static str;

    /// Builds the integration from its options. Problems are reported per
    /// option; warnings do not stop it.
    fn configure(&self, options: &Map<String, Value>) -> Result<Configured, Vec<OptionProblem>>;
}

/// A configured integration and the warnings its options raised.
pub struct Configured {
    /// The integration.
    pub integration: Box<dyn Integration>,
    /// Problems that do not stop it (e.g. a missing `siteId`).
    pub warnings: Vec<OptionProblem>,
}

/// A problem with one option of an integration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionProblem {
    /// The option, e.g. `siteId` or `eventEnrichments[0].handler`.
    pub option: String,
    /// What is wrong with it.
    pub message: String,
    /// Line in the handler's text, for handler options.
    pub line: Option<u32>,
    /// Column in the handler's text, for handler options.
    pub column: Option<u32>,
}

impl OptionProblem {
    /// A problem without a position.
    pub fn new(option: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            option: option.into(),
            message: message.into(),
            line: None,
            column: None,
        }
    }
}

/// A configured integration; shared by every page of a project.
pub trait Integration: Send + Sync {
    /// The integration's name.
    fn name(&self) -> &str;

    /// The script the page loads when the integration starts, if any.
    fn loader(&self) -> Option<String>;

    /// Dot-paths copied, deep, from `digitalData` into an event of this name
    /// when the event's own value is falsy.
    fn enrichable_props(&self, event_name: &str) -> Vec<&'static str>;

    /// A tracker for one page, which keeps the page's state (for example,
    /// whether a `Viewed Page` was already seen).
    fn page(&self) -> Box<dyn IntegrationPage + '_>;
}

/// One page's view of an integration.
pub trait IntegrationPage {
    /// The calls for one event that reached the integration, after every
    /// pipeline step. Malformed data costs the call it breaks and adds a
    /// warning; it never panics.
    fn track(&mut self, event: &Value) -> Tracked;
}

/// What tracking one event produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tracked {
    /// Calls in order, each `["push", payload]` or `["reInit"]`.
    pub calls: Vec<Value>,
    /// What could not be done, naming the event's malformed path.
    pub warnings: Vec<String>,
}
