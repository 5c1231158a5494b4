//! `handlebox pack`: a project directory's config with every handler file
//! inlined, the single JSON the admin panel imports; refused when the
//! config has an error.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use handlebox_sandbox::{Sandbox, SandboxConfig};

use crate::error::CliError;
use crate::files;

/// Arguments of `handlebox pack`.
#[derive(Debug, Args)]
pub struct PackArgs {
    /// The project: a directory holding `config.json`, or a config file
    /// whose handlers are `{"file": "handlers/spot.js"}`.
    #[arg(long)]
    config: PathBuf,
    /// Write the config there instead of to stdout.
    #[arg(long, short)]
    output: Option<PathBuf>,
}

/// Whether writing `output` would overwrite the config read from `config`.
fn is_the_config(output: &std::path::Path, config: &std::path::Path) -> bool {
    let config = handlebox_pipeline::ConfigFile::path_of(config);
    match (output.canonicalize(), config.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Runs `handlebox pack`; exit 1 when the config has an error.
pub fn run(args: PackArgs) -> Result<ExitCode, CliError> {
    let sandbox = Sandbox::new(SandboxConfig::default())?;
    let (config, name, report) = files::check_config(&sandbox, &args.config)?;
    for problem in &report.warnings {
        eprintln!("warning: {}", config.describe(problem));
    }
    if !report.errors.is_empty() {
        for problem in &report.errors {
            eprintln!("error: {}", config.describe(problem));
        }
        eprintln!(
            "{name}: not packed: {}",
            crate::format::count(report.errors.len(), "error")
        );
        return Ok(ExitCode::from(1));
    }
    let mut text = serde_json::to_string_pretty(&config.json)
        .map_err(|e| CliError::Input(format!("{name} cannot be written as JSON: {e}")))?;
    text.push('\n');
    match &args.output {
        Some(path) if is_the_config(path, &args.config) => {
            return Err(CliError::Input(format!(
                "--output {} is the project's own config; write the packed config elsewhere",
                path.display()
            )));
        }
        Some(path) => {
            std::fs::write(path, text)
                .map_err(|e| CliError::Input(format!("cannot write {}: {e}", path.display())))?;
            eprintln!(
                "{name}: {} handler files packed into {}",
                config.files.len(),
                path.display()
            );
        }
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}
