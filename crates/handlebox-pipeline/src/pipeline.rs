//! A configured project: its integrations and their handlers, compiled
//! once. How a config becomes one is in [`crate::build`]; how one page runs
//! through it, in [`crate::page_run`].

use std::time::Duration;

use handlebox_sandbox::{HandlerSet, Step};

use crate::integration::Integration;
#[cfg(feature = "tokio")]
use crate::{Page, PageResult};

/// A configured integration and its handlers.
pub(crate) struct Active {
    pub(crate) integration: Box<dyn Integration>,
    /// Its handlers, in the order they run on each event.
    pub(crate) plan: Vec<Step>,
}

/// A compiled project: integrations configured, handlers compiled once.
/// `Send + Sync`; one pipeline processes pages from many threads.
pub struct Pipeline {
    pub(crate) integrations: Vec<Active>,
    pub(crate) handlers: Option<HandlerSet>,
    pub(crate) warnings: Vec<String>,
    pub(crate) max_events: usize,
    pub(crate) budget: Budget,
    pub(crate) trace: bool,
}

/// Events processed per page by default; see [`Pipeline::with_max_events`].
pub const DEFAULT_MAX_EVENTS: usize = 1000;

/// What one page may cost as a whole, however it is built: past either
/// limit, every remaining event is listed with an error that names the
/// budget (kind `timeout` or `output`) instead of being processed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Wall-clock time of the whole page (default 1 s). No handler call
    /// runs past it, and a handler whose calls add up to more than half of
    /// it is not run again on the page.
    pub time: Duration,
    /// Bytes of Result JSON the page's events may produce (default 4 MiB).
    pub output_bytes: usize,
}

impl Default for Budget {
    fn default() -> Self {
        Self {
            time: Duration::from_secs(1),
            output_bytes: 4 << 20,
        }
    }
}

impl Pipeline {
    /// Processes at most `max` events per page (counting those the pipeline
    /// adds); each further event is reported with a warning, not processed.
    pub fn with_max_events(mut self, max: usize) -> Self {
        self.max_events = max;
        self
    }

    /// Holds every page to `budget` instead of [`Budget::default`].
    pub fn with_budget(mut self, budget: Budget) -> Self {
        self.budget = budget;
        self
    }

    /// With `trace`, every event of every page carries what its handlers
    /// saw and changed ([`crate::trace`]), counted in the output budget.
    pub fn with_trace(mut self, trace: bool) -> Self {
        self.trace = trace;
        self
    }

    /// The budget every page is held to.
    pub fn budget(&self) -> Budget {
        self.budget
    }

    /// The plan step of the handler labelled `label` (see
    /// [`crate::config::handler_slot`]).
    pub fn step_of(&self, label: &str) -> Option<&Step> {
        let handlers = self.handlers.as_ref()?;
        self.integrations
            .iter()
            .flat_map(|active| &active.plan)
            .find(|step| handlers.label(step.handler()) == Some(label))
    }

    /// Config warnings the project runs with.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// [`Pipeline::process`] on tokio's blocking pool, so that JavaScript
    /// never runs on the reactor threads.
    #[cfg(feature = "tokio")]
    pub async fn process_async(
        self: std::sync::Arc<Self>,
        page: Page,
    ) -> Result<PageResult, tokio::task::JoinError> {
        tokio::task::spawn_blocking(move || self.process(&page)).await
    }
}
