//! Errors of the sandbox itself (as opposed to a handler's failure, which is
//! an [`ErrorInfo`] inside a [`CallOutcome`](crate::CallOutcome)).

use std::fmt;
use std::path::PathBuf;

use handlebox_protocol::ErrorInfo;

/// The sandbox could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// The wasmtime engine or the guest module could not be set up.
    #[error("cannot set up the WebAssembly engine: {0}")]
    Engine(String),
    /// A limit outside what the sandbox can hold (see
    /// [`MAX_MEMORY_BYTES`](crate::MAX_MEMORY_BYTES)).
    #[error("invalid limit: {0}")]
    Limit(String),
    /// The on-disk module cache could not be used (compilation still works).
    #[error("module cache at {path}: {message}")]
    Cache {
        /// The cache file or directory.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// Every instance of the pool is in use.
    #[error("too many pages open at once (the limit is {limit})")]
    Busy {
        /// The configured [`SandboxConfig::max_open_pages`](crate::SandboxConfig::max_open_pages).
        limit: u32,
    },
    /// The page's data was refused (too large, too deep, not an object).
    #[error("{0}")]
    Input(ErrorInfo),
    /// A handler index that the project does not have.
    #[error("the project has no handler number {index} (it has {count})")]
    NoSuchHandler {
        /// The index asked for.
        index: usize,
        /// How many handlers there are.
        count: usize,
    },
    /// The guest answered something the host did not expect.
    #[error("the sandbox guest misbehaved: {0}")]
    Protocol(String),
    /// Handlers of a project that do not compile.
    #[error("{0}")]
    Compile(CompileErrors),
    /// The guest could not set up the page (its runtime trapped or failed).
    #[error("the page could not be opened: {0}")]
    Open(ErrorInfo),
}

/// Handlers of a project that do not compile, each with its label.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct CompileErrors {
    /// `(label, error)` for every handler that failed, in project order.
    pub errors: Vec<(String, ErrorInfo)>,
}

impl fmt::Display for CompileErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (label, error)) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{label}: {error}")?;
        }
        Ok(())
    }
}
