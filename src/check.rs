//! `handlebox check`: every problem of a config, nothing run.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use handlebox_pipeline::Pipeline;
use handlebox_sandbox::{Sandbox, SandboxConfig};

use crate::error::CliError;
use crate::files;

/// Arguments of `handlebox check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The project config to check (a file, or a project directory with
    /// `config.json`).
    #[arg(long)]
    config: PathBuf,
}

/// Runs `handlebox check`; exit 1 when there is an error.
pub fn run(args: CheckArgs) -> Result<ExitCode, CliError> {
    let (config, name) = files::read_config(Some(&args.config))?;
    let sandbox = Sandbox::new(SandboxConfig::default())?;
    let report = Pipeline::check(&sandbox, config.configs.clone(), &files::kinds())?;
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
    Ok(if report.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `1 error`, `2 errors`, `0 warnings`.
pub(crate) fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
