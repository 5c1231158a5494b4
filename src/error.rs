//! Errors that end a command: unusable input (exit 2) or a sandbox that
//! cannot start.

use std::process::ExitCode;

/// Why a command could not run.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Input that cannot be used: a missing file, bad JSON, an unknown event.
    #[error("{0}")]
    Input(String),
    /// The sandbox could not be set up.
    #[error("the sandbox could not start: {0}")]
    Sandbox(#[from] handlebox_sandbox::SandboxError),
}

impl CliError {
    /// Exit status 2: the run could not be attempted.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(2)
    }
}
