//! A configured project: integrations built from a config, handlers checked
//! and compiled once, every problem reported with its integration and
//! option. How one page runs through it is in [`crate::page_run`].

use std::time::Duration;

use handlebox_sandbox::{HandlerSet, Sandbox, SandboxError, Step};

use crate::build;
use crate::config::IntegrationConfig;
use crate::integration::{Integration, IntegrationKind, OptionProblem};
use crate::{Page, PageResult};

/// A problem of a config, naming the integration and the option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// The integration, e.g. `Flocktory`.
    pub integration: String,
    /// The option, e.g. `eventEnrichments[0].handler`; empty for the
    /// integration as a whole.
    pub option: String,
    /// What is wrong.
    pub message: String,
    /// Line in the handler's text, for handler options.
    pub line: Option<u32>,
    /// Column in the handler's text, for handler options.
    pub column: Option<u32>,
}

impl ConfigProblem {
    /// `problem` of one of `integration`'s options.
    pub fn new(integration: &str, problem: OptionProblem) -> Self {
        Self {
            integration: integration.to_owned(),
            option: problem.option,
            message: problem.message,
            line: problem.line,
            column: problem.column,
        }
    }
}

impl std::fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.integration)?;
        if !self.option.is_empty() {
            write!(f, " option {}", self.option)?;
        }
        if let (Some(line), Some(column)) = (self.line, self.column) {
            write!(f, " (line {line}, column {column})")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Why a project could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// Options that are wrong, and handlers that do not compile.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<ConfigProblem>),
    /// The sandbox could not check the handlers.
    #[error("{0}")]
    Sandbox(#[from] SandboxError),
}

/// Everything `check` finds in a config, without running anything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// Problems that stop the project from being built.
    pub errors: Vec<ConfigProblem>,
    /// Problems it runs with (unknown integrations, a missing `siteId`).
    pub warnings: Vec<ConfigProblem>,
}

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

    /// The budget every page is held to.
    pub fn budget(&self) -> Budget {
        self.budget
    }

    /// Configures every integration of `configs` that `kinds` knows and
    /// compiles every handler; fails with every problem found.
    pub fn new(
        sandbox: &Sandbox,
        configs: Vec<IntegrationConfig>,
        kinds: &[&dyn IntegrationKind],
    ) -> Result<Self, BuildError> {
        let (pipeline, report) = build::build(sandbox, configs, kinds)?;
        match pipeline {
            Some(pipeline) if report.errors.is_empty() => Ok(pipeline),
            _ => Err(BuildError::Invalid(report.errors)),
        }
    }

    /// Every problem of a config, errors and warnings, nothing run.
    pub fn check(
        sandbox: &Sandbox,
        configs: Vec<IntegrationConfig>,
        kinds: &[&dyn IntegrationKind],
    ) -> Result<CheckReport, SandboxError> {
        build::build(sandbox, configs, kinds).map(|(_, report)| report)
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
