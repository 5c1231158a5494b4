//! `handlebox check`: every problem of a config, nothing run.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use handlebox_pipeline::{ConfigFile, ConfigProblem};
use handlebox_sandbox::{Sandbox, SandboxConfig};
use serde_json::{Value, json};

use crate::error::CliError;
use crate::files;
use crate::format::{chosen, count};

/// Arguments of `handlebox check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The project config to check (a file, or a project directory with
    /// `config.json`).
    #[arg(long)]
    config: PathBuf,
    /// Output format (default: pretty on a terminal, json otherwise):
    /// `json` is one object `{"config", "errors", "warnings"}`, each problem
    /// `{"integration", "option", "file", "line", "column", "message"}`.
    #[arg(long, value_enum)]
    format: Option<Format>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Json,
    Pretty,
}

/// Runs `handlebox check`; exit 1 when there is an error.
pub fn run(args: CheckArgs) -> Result<ExitCode, CliError> {
    let sandbox = Sandbox::new(SandboxConfig::default())?;
    let (config, name, report) = files::check_config(&sandbox, &args.config)?;
    match chosen(args.format, Format::Pretty, Format::Json) {
        Format::Pretty => {
            for problem in &report.errors {
                println!("error: {}", config.describe(problem));
            }
            for problem in &report.warnings {
                println!("warning: {}", config.describe(problem));
            }
            println!(
                "{name}: {}, {}",
                count(report.errors.len(), "error"),
                count(report.warnings.len(), "warning")
            );
        }
        Format::Json => {
            let list = |problems: &[ConfigProblem]| -> Vec<Value> {
                problems.iter().map(|p| problem(&config, p)).collect()
            };
            let document = json!({
                "config": name,
                "errors": list(&report.errors),
                "warnings": list(&report.warnings),
            });
            println!("{document:#}");
        }
    }
    Ok(if report.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// One problem as JSON; `file` is the handler's file in a project
/// directory, else `null`.
fn problem(config: &ConfigFile, problem: &ConfigProblem) -> Value {
    let file = config
        .file_of_problem(problem)
        .map(|path| path.display().to_string());
    json!({
        "integration": problem.integration,
        "option": problem.option,
        "file": file,
        "line": problem.line,
        "column": problem.column,
        "message": problem.message,
    })
}
