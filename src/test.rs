//! `handlebox test PATH…`: finds the test files and prints what
//! `handlebox-cases` reports, closed by `N passed, M failed`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use handlebox_cases::{Runner, Tally, junit};
use handlebox_sandbox::{Sandbox, SandboxConfig};

use crate::error::CliError;
use crate::files;
use crate::format::chosen;

/// Arguments of `handlebox test`.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// Test files, or directories searched for `*.test.json`.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Record the actual calls into cases marked `"snapshot": true`.
    #[arg(long)]
    update: bool,
    /// Run only the cases whose name contains this text.
    #[arg(long, value_name = "TEXT")]
    filter: Option<String>,
    /// Output format (default: pretty on a terminal, json otherwise).
    /// `json` prints `{"passed", "failed", "skipped", "cases": [{"file",
    /// "name", "outcome", "details", "millis"}]}` and `junit` JUnit XML on
    /// stdout; with either, the per-case lines and the closing `N passed, M
    /// failed` go to stderr.
    #[arg(long, value_enum)]
    format: Option<TestFormat>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum TestFormat {
    Json,
    Pretty,
    Junit,
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
    let kinds = files::kinds();
    let mut runner = Runner::new(sandbox, &kinds);
    let mut reports = Vec::new();
    for path in paths {
        reports.extend(runner.file(&path, args.update, args.filter.as_deref()));
    }
    if reports.is_empty() {
        return Err(CliError::Input(format!(
            "no case's name contains {:?}",
            args.filter.as_deref().unwrap_or_default()
        )));
    }
    let lines = handlebox_cases::lines(&reports);
    let summary = handlebox_cases::summary(&reports);
    match chosen(args.format, TestFormat::Pretty, TestFormat::Json) {
        TestFormat::Pretty => print!("{lines}\n{summary}\n"),
        TestFormat::Json => {
            println!("{:#}", handlebox_cases::json(&reports));
            eprint!("{lines}\n{summary}\n");
        }
        TestFormat::Junit => {
            print!("{}", junit::render(&reports));
            eprint!("{lines}\n{summary}\n");
        }
    }
    Ok(if Tally::of(reports.iter()).failed == 0 {
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
