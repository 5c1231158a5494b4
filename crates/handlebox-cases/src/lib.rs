//! Snippet test cases: files of cases ([`file`]), each a config, a page and
//! what must hold, run through the real pipeline and sandbox; every
//! expectation is checked on the page's typed [`PageResult`] ([`expect`]);
//! the outcome is one [`Report`] per case, for people ([`lines`],
//! [`summary`]) or programs ([`json`], [`junit`]).

pub mod expect;
pub mod file;
pub mod junit;
pub mod snapshot;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use handlebox_pipeline::{
    ConfigError, ConfigFile, IntegrationKind, Page, PageResult, Pipeline, js,
};
use handlebox_sandbox::Sandbox;
use serde_json::Value;

use file::{Case, CaseFile, Source};

/// How one case ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every expectation held.
    Pass,
    /// What went wrong, with the handlers' errors and console output.
    Fail(String),
    /// Why it was skipped.
    Skip(String),
}

/// How many cases passed, failed and were skipped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Cases that passed.
    pub passed: usize,
    /// Cases that failed.
    pub failed: usize,
    /// Cases that were skipped.
    pub skipped: usize,
}

impl Tally {
    /// Counts `reports` by outcome.
    pub fn of<'a>(reports: impl Iterator<Item = &'a Report>) -> Self {
        reports.fold(Tally::default(), |mut tally, report| {
            match report.outcome {
                Outcome::Pass => tally.passed += 1,
                Outcome::Fail(_) => tally.failed += 1,
                Outcome::Skip(_) => tally.skipped += 1,
            }
            tally
        })
    }
}

/// One case's report.
#[derive(Debug, Clone)]
pub struct Report {
    /// The test file.
    pub file: String,
    /// The case's name.
    pub name: String,
    /// How it ended.
    pub outcome: Outcome,
    /// How long it took.
    pub time: Duration,
}

/// One line per case (`PASS`, `FAIL` with its details indented, `SKIP`).
pub fn lines(reports: &[Report]) -> String {
    let mut out = String::new();
    for report in reports {
        match &report.outcome {
            Outcome::Pass => {
                let _ = writeln!(out, "PASS  {} › {}", report.file, report.name);
            }
            Outcome::Skip(reason) => {
                let _ = writeln!(out, "SKIP  {} › {} ({reason})", report.file, report.name);
            }
            Outcome::Fail(details) => {
                let _ = writeln!(out, "FAIL  {} › {}", report.file, report.name);
                for detail in details.lines() {
                    let _ = writeln!(out, "      {detail}");
                }
            }
        }
    }
    out
}

/// `N passed, M failed` (and `, K skipped` when some were).
pub fn summary(reports: &[Report]) -> String {
    let Tally {
        passed,
        failed,
        skipped,
    } = Tally::of(reports.iter());
    let mut summary = format!("{passed} passed, {failed} failed");
    if skipped > 0 {
        let _ = write!(summary, ", {skipped} skipped");
    }
    summary
}

/// The whole run as one JSON document: the tally, then each case with its
/// file, name, `outcome` (`pass`, `fail` or `skip`), `details` (why it
/// failed or was skipped, else `null`) and `millis`.
pub fn json(reports: &[Report]) -> Value {
    let Tally {
        passed,
        failed,
        skipped,
    } = Tally::of(reports.iter());
    let cases: Vec<Value> = reports
        .iter()
        .map(|report| {
            let (outcome, details) = match &report.outcome {
                Outcome::Pass => ("pass", None),
                Outcome::Fail(details) => ("fail", Some(details)),
                Outcome::Skip(reason) => ("skip", Some(reason)),
            };
            serde_json::json!({
                "file": report.file,
                "name": report.name,
                "outcome": outcome,
                "details": details,
                "millis": report.time.as_micros() as f64 / 1000.0,
            })
        })
        .collect();
    serde_json::json!({
        "passed": passed,
        "failed": failed,
        "skipped": skipped,
        "cases": cases,
    })
}

/// Runs test files; builds each config once and keeps it for later cases.
pub struct Runner<'k> {
    sandbox: Sandbox,
    kinds: &'k [&'k dyn IntegrationKind],
    pipelines: HashMap<String, Result<(Pipeline, Arc<ConfigFile>), String>>,
}

impl<'k> Runner<'k> {
    /// A runner whose configs may use the integrations of `kinds`.
    pub fn new(sandbox: Sandbox, kinds: &'k [&'k dyn IntegrationKind]) -> Self {
        Self {
            sandbox,
            kinds,
            pipelines: HashMap::new(),
        }
    }

    /// Runs every case of the file at `path` whose name contains `filter`
    /// (all without one); with `update`, writes the actual calls into its
    /// cases marked `"snapshot": true` whose calls changed, and nothing else
    /// of the file (see [`snapshot`]). A file that cannot be read is one
    /// failed report.
    pub fn file(&mut self, path: &Path, update: bool, filter: Option<&str>) -> Vec<Report> {
        let file_name = path.display().to_string();
        let file = match CaseFile::read(path) {
            Ok(file) => file,
            Err(message) => {
                return vec![Report {
                    file: file_name,
                    name: "(the file itself)".to_owned(),
                    outcome: Outcome::Fail(message),
                    time: Duration::ZERO,
                }];
            }
        };
        let mut reports = Vec::new();
        let mut updates = Vec::new();
        let mut snapshots = 0;
        let chosen = file
            .cases
            .iter()
            .filter(|case| filter.is_none_or(|f| case.name.contains(f)))
            .cloned()
            .collect::<Vec<_>>();
        for case in chosen {
            let started = Instant::now();
            let outcome = match &case.skip {
                Some(reason) => Outcome::Skip(reason.clone()),
                None => match self.result(&case.config, &case.page) {
                    Err(message) => Outcome::Fail(message),
                    Ok((result, config)) => {
                        if case.snapshot && update {
                            snapshots += 1;
                            let same = case.expect.calls.as_ref().is_some_and(|calls| {
                                calls.len() == result.calls.len()
                                    && calls.iter().zip(&result.calls).all(|(a, b)| js::same(a, b))
                            });
                            if !same {
                                updates.push(snapshot::Update {
                                    case: case.index,
                                    calls: result.calls.clone(),
                                });
                            }
                        }
                        self.judge(&case, (&result, &config), update)
                    }
                },
            };
            reports.push(Report {
                file: file_name.clone(),
                name: case.name.clone(),
                outcome,
                time: started.elapsed(),
            });
        }
        if update && snapshots > 0 && updates.is_empty() {
            eprintln!("{file_name}: nothing to update");
        } else if !updates.is_empty() {
            let written = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {file_name}: {e}"))
                .and_then(|text| snapshot::apply(&text, &updates))
                .and_then(|text| {
                    std::fs::write(path, text).map_err(|e| format!("cannot write {file_name}: {e}"))
                });
            match written {
                Ok(()) => eprintln!("updated {} snapshot(s) in {file_name}", updates.len()),
                Err(message) => reports.push(Report {
                    file: file_name,
                    name: "(saving snapshots)".to_owned(),
                    outcome: Outcome::Fail(message),
                    time: Duration::ZERO,
                }),
            }
        }
        reports
    }

    /// Checks one case's expectations on its page's Result.
    fn judge(
        &self,
        case: &Case,
        (result, config): (&PageResult, &ConfigFile),
        update: bool,
    ) -> Outcome {
        let mut expect = case.expect.clone();
        if case.snapshot && update {
            expect.calls = Some(result.calls.clone());
        }
        let mut failures = expect::check(&expect, result);
        if case.snapshot && expect.calls.is_none() {
            failures.push(
                "no snapshot recorded yet: run `handlebox test --update` to record the calls"
                    .to_owned(),
            );
        }
        if failures.is_empty() {
            Outcome::Pass
        } else {
            Outcome::Fail(with_diagnostics(failures, result, config))
        }
    }

    /// The Result of `page` through `config`, and the config read.
    fn result(
        &mut self,
        config: &Source,
        page: &Source,
    ) -> Result<(PageResult, Arc<ConfigFile>), String> {
        let key = match config {
            Source::Path(path) => path.display().to_string(),
            Source::Inline(value) => value.to_string(),
        };
        if !self.pipelines.contains_key(&key) {
            let built = read_config(config).and_then(|file| {
                Pipeline::new(&self.sandbox, file.configs.clone(), self.kinds)
                    .map(|pipeline| (pipeline, Arc::new(file.clone())))
                    .map_err(|e| format!("config {key}: {}", file.describe_error(&e)))
            });
            self.pipelines.insert(key.clone(), built);
        }
        let (pipeline, file) = match self.pipelines.get(&key) {
            Some(Ok(built)) => built,
            Some(Err(message)) => return Err(message.clone()),
            None => return Err("the config could not be loaded".to_owned()),
        };
        let page = load_json(page, "page")
            .and_then(|value| Page::from_value(value).map_err(|e| format!("page: {e}")))?;
        Ok((pipeline.process(&page), Arc::clone(file)))
    }
}

/// A config: a file or a project directory (its handlers may be `.js`
/// files beside it), or inline JSON.
fn read_config(source: &Source) -> Result<ConfigFile, String> {
    match source {
        Source::Inline(value) => ConfigFile::parse(&value.to_string(), Path::new("."))
            .map_err(|e| format!("config: {e}")),
        Source::Path(path) => {
            let file = ConfigFile::path_of(path);
            let text = std::fs::read_to_string(&file)
                .map_err(|e| format!("cannot read config file {}: {e}", file.display()))?;
            let base = file.parent().unwrap_or(Path::new("."));
            ConfigFile::parse(&text, base).map_err(|e| match e {
                ConfigError::Json(message) => {
                    format!(
                        "config file {} is not valid JSON: {message}",
                        file.display()
                    )
                }
                shape => format!("config file {}: {shape}", file.display()),
            })
        }
    }
}

fn load_json(source: &Source, what: &str) -> Result<Value, String> {
    match source {
        Source::Inline(value) => Ok(value.clone()),
        Source::Path(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {what} file {}: {e}", path.display()))?;
            serde_json::from_str(&text)
                .map_err(|e| format!("{what} file {} is not valid JSON: {e}", path.display()))
        }
    }
}

/// The failures, then every handler error (with line and column) and
/// console line of the page, so the fix is obvious.
fn with_diagnostics(failures: Vec<String>, result: &PageResult, config: &ConfigFile) -> String {
    let mut out = failures.join("\n");
    let mut notes = Vec::new();
    for event in &result.events {
        let name = event.name.as_str();
        for e in &event.errors {
            let place = config.place(&e.handler, e.line, e.column);
            notes.push(format!(
                "{name}: {} {}{place}: {}",
                e.handler,
                e.kind.as_str(),
                e.message
            ));
        }
        for log in &event.logs {
            notes.push(format!(
                "{name}: {} console.{}: {}",
                log.handler, log.level, log.message
            ));
        }
    }
    if !notes.is_empty() {
        out.push_str("\nhandlers on this page:\n  ");
        out.push_str(&notes.join("\n  "));
    }
    out
}
