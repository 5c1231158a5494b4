//! A configured project: integrations built from a config, handlers checked
//! and compiled once, every problem reported with its integration and
//! option. How one page runs through it is in [`crate::page_run`].

use std::time::Duration;

use handlebox_sandbox::{Project, Sandbox, SandboxError, Step};

use crate::config::{self, IntegrationConfig};
use crate::integration::{Integration, IntegrationKind, OptionProblem};
use crate::{PageInput, PageResult};

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
    pub(crate) project: Option<Project>,
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
        let (pipeline, report) = build(sandbox, configs, kinds)?;
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
        build(sandbox, configs, kinds).map(|(_, report)| report)
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
        page: PageInput,
    ) -> Result<PageResult, tokio::task::JoinError> {
        tokio::task::spawn_blocking(move || self.process(&page)).await
    }
}

fn build(
    sandbox: &Sandbox,
    configs: Vec<IntegrationConfig>,
    kinds: &[&dyn IntegrationKind],
) -> Result<(Option<Pipeline>, CheckReport), SandboxError> {
    let mut report = CheckReport::default();
    let mut specs = Vec::new();
    let mut owners: Vec<(String, String)> = Vec::new();
    let mut integrations = Vec::new();
    let problem = |integration: &str, p: OptionProblem| ConfigProblem {
        integration: integration.to_owned(),
        option: p.option,
        message: p.message,
        line: p.line,
        column: p.column,
    };
    for config in configs {
        let Some(kind) = kinds.iter().find(|k| k.name() == config.name) else {
            report.warnings.push(ConfigProblem {
                integration: config.name.clone(),
                option: String::new(),
                message: "unknown integration, skipped".to_owned(),
                line: None,
                column: None,
            });
            continue;
        };
        let before = specs.len();
        let handlers = match config::handler_options(&config.name, &config.options, &mut specs) {
            Ok(mut handlers) => {
                report.warnings.extend(
                    std::mem::take(&mut handlers.warnings)
                        .into_iter()
                        .map(|p| problem(&config.name, p)),
                );
                Some(handlers)
            }
            Err(problems) => {
                report
                    .errors
                    .extend(problems.into_iter().map(|p| problem(&config.name, p)));
                None
            }
        };
        for spec in &specs[before..] {
            let option = spec
                .label
                .strip_prefix(&format!("{} ", config.name))
                .unwrap_or(&spec.label);
            let option = option.split(" (").next().unwrap_or(option);
            let option = if option.starts_with("eventEnrichments") {
                format!("{option}.handler")
            } else {
                option.to_owned()
            };
            owners.push((config.name.clone(), option));
        }
        match kind.configure(&config.options) {
            Ok(configured) => {
                report.warnings.extend(
                    configured
                        .warnings
                        .into_iter()
                        .map(|p| problem(&config.name, p)),
                );
                if let Some(handlers) = handlers {
                    integrations.push(Active {
                        integration: configured.integration,
                        plan: handlers.plan(),
                    });
                }
            }
            Err(problems) => {
                report
                    .errors
                    .extend(problems.into_iter().map(|p| problem(&config.name, p)));
            }
        }
    }
    let (project, results) = if specs.is_empty() {
        (None, Vec::new())
    } else {
        let (project, results) = Project::build(sandbox, specs)?;
        (Some(project), results)
    };
    for (i, error) in results.into_iter().enumerate() {
        if let Some(error) = error {
            let (integration, option) = owners[i].clone();
            report.errors.push(ConfigProblem {
                integration,
                option,
                message: error.message,
                line: error.line,
                column: error.column,
            });
        }
    }
    if !report.errors.is_empty() {
        return Ok((None, report));
    }
    let warnings = report.warnings.iter().map(ToString::to_string).collect();
    Ok((
        Some(Pipeline {
            integrations,
            project,
            warnings,
            max_events: DEFAULT_MAX_EVENTS,
            budget: Budget::default(),
        }),
        report,
    ))
}
