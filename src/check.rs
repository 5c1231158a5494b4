//! `handlebox check`: every problem of a config, nothing run.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use handlebox_pipeline::{ConfigProblem, Pipeline};
use handlebox_sandbox::{Sandbox, SandboxConfig};

use crate::error::CliError;
use crate::files;

/// Arguments of `handlebox check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The project config to check.
    #[arg(long)]
    config: PathBuf,
}

fn line(severity: &str, problem: &ConfigProblem) -> String {
    format!("{severity}: {problem}")
}

/// Runs `handlebox check`; exit 1 when there is an error.
pub fn run(args: CheckArgs) -> Result<ExitCode, CliError> {
    let (configs, name) = files::read_config(Some(&args.config))?;
    let sandbox = Sandbox::new(SandboxConfig::default())?;
    let report = Pipeline::check(&sandbox, configs, &files::kinds())?;
    for problem in &report.errors {
        println!("{}", line("error", problem));
    }
    for problem in &report.warnings {
        println!("{}", line("warning", problem));
    }
    println!(
        "{name}: {} errors, {} warnings",
        report.errors.len(),
        report.warnings.len()
    );
    Ok(if report.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
