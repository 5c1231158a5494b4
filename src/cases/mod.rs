//! `handlebox test PATH…`: snippet test cases, run through the real
//! pipeline and sandbox, reported per case and closed by `N passed, M failed`.

mod expect;
mod junit;
mod model;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, ValueEnum};
use handlebox_pipeline::{PageInput, Pipeline, config};
use handlebox_sandbox::{Sandbox, SandboxConfig};
use serde_json::Value;

use crate::error::CliError;
use crate::files;
use model::{CaseFile, Source};

/// Arguments of `handlebox test`.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// Test files, or directories searched for `*.test.json`.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Record the actual calls into cases marked `"snapshot": true`.
    #[arg(long)]
    update: bool,
    /// `pretty` for people; `junit` prints JUnit XML on stdout (the
    /// per-case lines then go to stderr).
    #[arg(long, value_enum, default_value_t = TestFormat::Pretty)]
    format: TestFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum TestFormat {
    Pretty,
    Junit,
}

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
    pub seconds: f64,
}

/// Runs `handlebox test`; exit 0 only when every case passes.
pub fn run(args: TestArgs) -> Result<ExitCode, CliError> {
    let mut paths = Vec::new();
    for path in &args.paths {
        collect(path, &mut paths)?;
    }
    if paths.is_empty() {
        return Err(CliError::Input(format!(
            "no *.test.json files under {}",
            args.paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let sandbox = Sandbox::new(SandboxConfig::default())?;
    let mut runner = Runner {
        sandbox,
        pipelines: HashMap::new(),
    };
    let mut reports = Vec::new();
    for path in paths {
        reports.extend(runner.file(&path, args.update));
    }
    let mut lines = String::new();
    for report in &reports {
        line(&mut lines, report);
    }
    let Tally {
        passed,
        failed,
        skipped,
    } = Tally::of(reports.iter());
    let mut summary = format!("{passed} passed, {failed} failed");
    if skipped > 0 {
        let _ = write!(summary, ", {skipped} skipped");
    }
    match args.format {
        TestFormat::Pretty => print!("{lines}\n{summary}\n"),
        TestFormat::Junit => {
            eprint!("{lines}\n{summary}\n");
            print!("{}", junit::render(&reports));
        }
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), CliError> {
    if path.is_file() {
        out.push(path.to_owned());
        return Ok(());
    }
    let entries = std::fs::read_dir(path)
        .map_err(|e| CliError::Input(format!("cannot read {}: {e}", path.display())))?;
    let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for entry in entries {
        if entry.is_dir() {
            collect(&entry, out)?;
        } else if entry.to_string_lossy().ends_with(".test.json") {
            out.push(entry);
        }
    }
    Ok(())
}

fn line(out: &mut String, report: &Report) {
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

struct Runner {
    sandbox: Sandbox,
    pipelines: HashMap<String, Result<Pipeline, String>>,
}

impl Runner {
    fn file(&mut self, path: &Path, update: bool) -> Vec<Report> {
        let file_name = path.display().to_string();
        let mut file = match CaseFile::read(path) {
            Ok(file) => file,
            Err(message) => {
                return vec![Report {
                    file: file_name,
                    name: "(the file itself)".to_owned(),
                    outcome: Outcome::Fail(message),
                    seconds: 0.0,
                }];
            }
        };
        let mut reports = Vec::new();
        let mut recorded = 0;
        for case in file.cases.clone() {
            let started = Instant::now();
            let outcome = match &case.skip {
                Some(reason) => Outcome::Skip(reason.clone()),
                None => match self.result(&case.config, &case.page) {
                    Err(message) => Outcome::Fail(message),
                    Ok(result) => {
                        let mut expect = case.expect.clone();
                        let actual_calls = result["calls"].as_array().cloned().unwrap_or_default();
                        if case.snapshot && update {
                            file.record(case.index, actual_calls.clone());
                            expect.calls = Some(actual_calls);
                            recorded += 1;
                        }
                        let mut failures = expect::check(&expect, &result);
                        if case.snapshot && expect.calls.is_none() {
                            failures.push(
                                "no snapshot recorded yet: run `handlebox test --update` to record the calls"
                                    .to_owned(),
                            );
                        }
                        if failures.is_empty() {
                            Outcome::Pass
                        } else {
                            Outcome::Fail(with_diagnostics(failures, &result))
                        }
                    }
                },
            };
            reports.push(Report {
                file: file_name.clone(),
                name: case.name.clone(),
                outcome,
                seconds: started.elapsed().as_secs_f64(),
            });
        }
        if recorded > 0 {
            match file.save() {
                Ok(()) => eprintln!("updated {recorded} snapshot(s) in {file_name}"),
                Err(message) => reports.push(Report {
                    file: file_name,
                    name: "(saving snapshots)".to_owned(),
                    outcome: Outcome::Fail(message),
                    seconds: 0.0,
                }),
            }
        }
        reports
    }

    /// The Result of `page` through `config`, as JSON.
    fn result(&mut self, config: &Source, page: &Source) -> Result<Value, String> {
        let key = match config {
            Source::Path(path) => path.display().to_string(),
            Source::Inline(value) => value.to_string(),
        };
        if !self.pipelines.contains_key(&key) {
            let built = load_json(config, "config").and_then(|value| {
                let configs =
                    config::integrations(value).map_err(|e| format!("config {key}: {e}"))?;
                Pipeline::new(&self.sandbox, configs, &files::kinds())
                    .map_err(|e| format!("config {key}: {e}"))
            });
            self.pipelines.insert(key.clone(), built);
        }
        let pipeline = match self.pipelines.get(&key) {
            Some(Ok(pipeline)) => pipeline,
            Some(Err(message)) => return Err(message.clone()),
            None => return Err("the config could not be loaded".to_owned()),
        };
        let page = load_json(page, "page")
            .and_then(|value| PageInput::from_value(value).map_err(|e| format!("page: {e}")))?;
        serde_json::to_value(pipeline.process(&page))
            .map_err(|e| format!("the result could not be encoded: {e}"))
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
fn with_diagnostics(failures: Vec<String>, result: &Value) -> String {
    let mut out = failures.join("\n");
    let mut notes = Vec::new();
    for event in result["events"].as_array().into_iter().flatten() {
        let name = event["name"].as_str().unwrap_or("(no name)");
        for e in event["errors"].as_array().into_iter().flatten() {
            let place = match (e["line"].as_u64(), e["column"].as_u64()) {
                (Some(line), Some(column)) => format!(" at line {line}, column {column}"),
                _ => String::new(),
            };
            notes.push(format!(
                "{name}: {} {}{place}: {}",
                e["handler"].as_str().unwrap_or("handler"),
                e["kind"].as_str().unwrap_or("error"),
                e["message"].as_str().unwrap_or("")
            ));
        }
        for log in event["logs"].as_array().into_iter().flatten() {
            notes.push(format!(
                "{name}: {} console.{}: {}",
                log["handler"].as_str().unwrap_or("handler"),
                log["level"].as_str().unwrap_or("log"),
                log["message"].as_str().unwrap_or("")
            ));
        }
    }
    if !notes.is_empty() {
        out.push_str("\nhandlers on this page:\n  ");
        out.push_str(&notes.join("\n  "));
    }
    out
}
