//! How a config becomes a [`Pipeline`]: each integration configured by its
//! kind, its handler options read, every handler of the config compiled
//! once in one project, and every problem reported at the integration and
//! option it came from, in config order.

use handlebox_sandbox::{HandlerCheck, HandlerSet, Sandbox, SandboxError};

use crate::config::{self, Finding, IntegrationConfig};
use crate::integration::{IntegrationKind, OptionProblem};
use crate::pipeline::{Active, Budget, DEFAULT_MAX_EVENTS, Pipeline};

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

impl Pipeline {
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
}

/// One integration of the config, read but not yet compiled.
struct Read {
    /// Its name in the config.
    name: String,
    /// Warnings and handlers to report, in config order.
    findings: Vec<Finding>,
    /// Options that stop the project from being built.
    problems: Vec<OptionProblem>,
    /// The configured integration, when it can run.
    active: Option<Active>,
}

/// Builds the pipeline of `configs` (none when there is an error) and the
/// report of everything found.
fn build(
    sandbox: &Sandbox,
    configs: Vec<IntegrationConfig>,
    kinds: &[&dyn IntegrationKind],
) -> Result<(Option<Pipeline>, CheckReport), SandboxError> {
    let mut specs = Vec::new();
    let reads: Vec<Read> = configs
        .into_iter()
        .map(|config| read(config, kinds, &mut specs))
        .collect();
    let (handlers, checks) = if specs.is_empty() {
        (None, Vec::new())
    } else {
        let (handlers, checks) = HandlerSet::build(sandbox, specs)?;
        (Some(handlers), checks)
    };
    let (report, integrations) = report(reads, &checks);
    if !report.errors.is_empty() {
        return Ok((None, report));
    }
    let pipeline = Pipeline {
        integrations,
        handlers,
        warnings: report.warnings.iter().map(ToString::to_string).collect(),
        max_events: DEFAULT_MAX_EVENTS,
        budget: Budget::default(),
        trace: false,
    };
    Ok((Some(pipeline), report))
}

/// Reads one integration's entry: its kind configures it, its handler
/// options add their handlers to `specs`.
fn read(
    config: IntegrationConfig,
    kinds: &[&dyn IntegrationKind],
    specs: &mut Vec<handlebox_sandbox::HandlerSpec>,
) -> Read {
    let Some(kind) = kinds.iter().find(|k| k.name() == config.name) else {
        return Read {
            name: config.name,
            findings: vec![Finding::Warning(OptionProblem::new(
                "",
                "unknown integration, skipped",
            ))],
            problems: Vec::new(),
            active: None,
        };
    };
    let mut handlers = config::handler_options(&config.name, &config.options, specs);
    let mut findings = std::mem::take(&mut handlers.findings);
    let mut problems = std::mem::take(&mut handlers.problems);
    let runs = problems.is_empty();
    let active = match kind.configure(&config.options) {
        Ok(configured) => {
            findings.extend(configured.warnings.into_iter().map(Finding::Warning));
            runs.then(|| Active {
                integration: configured.integration,
                plan: handlers.plan(),
            })
        }
        Err(more) => {
            problems.extend(more);
            None
        }
    };
    Read {
        name: config.name,
        findings,
        problems,
        active,
    }
}

/// Places what compiling found at the options the handlers came from;
/// errors of handlers come after the options' errors, in handler order.
fn report(reads: Vec<Read>, checks: &[HandlerCheck]) -> (CheckReport, Vec<Active>) {
    let mut report = CheckReport::default();
    let mut handler_errors = Vec::new();
    let mut integrations = Vec::new();
    for read in reads {
        let name = read.name.as_str();
        for finding in read.findings {
            match finding {
                Finding::Warning(problem) => {
                    report.warnings.push(ConfigProblem::new(name, problem));
                }
                Finding::Handler { handler, option } => {
                    let Some(check) = checks.get(handler) else {
                        continue;
                    };
                    report.warnings.extend(check.warnings.iter().map(|warning| {
                        ConfigProblem::new(name, OptionProblem::new(option.clone(), warning))
                    }));
                    if let Some(error) = &check.error {
                        handler_errors.push(ConfigProblem {
                            integration: name.to_owned(),
                            option,
                            message: error.message.clone(),
                            line: error.line,
                            column: error.column,
                        });
                    }
                }
            }
        }
        report.errors.extend(
            read.problems
                .into_iter()
                .map(|problem| ConfigProblem::new(name, problem)),
        );
        integrations.extend(read.active);
    }
    report.errors.extend(handler_errors);
    (report, integrations)
}
