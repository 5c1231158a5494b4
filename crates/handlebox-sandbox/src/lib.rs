//! Runs SegmentStream handler functions in a sandbox.
//!
//! Handlers are JavaScript; they run in the Boa engine compiled to
//! WebAssembly, inside wasmtime, which enforces a deadline per call (epoch
//! interruption) and a memory cap per page. A trap costs one instance, never
//! the process.
//!
//! The flow, top to bottom:
//! - [`Sandbox`] holds the wasmtime engine and the compiled guest module
//!   (cached on disk, see [`SandboxConfig::cache_dir`]). One per process.
//! - [`HandlerSet`] is a set of [`HandlerSpec`]s compiled once, into an
//!   instance whose changed memory becomes the project's image; it is
//!   `Send + Sync` and serves any number of pages at once.
//! - [`PageWorld`] is one page's isolated JavaScript world (one instance started
//!   from the project's image, like a browser tab): the page's data enters
//!   it once, then [`PageWorld::run_event`] runs an event's plan of [`Step`]s in
//!   one request and returns an [`EventOutcome`], and [`PageWorld::call`] runs
//!   one handler on an event or product and returns a [`CallOutcome`]. A
//!   handler whose calls trapped [`STRIKES`] times is not run again on the
//!   page.
//!
//! ```no_run
//! use handlebox_sandbox::{HandlerSpec, PageContext, HandlerSet, Sandbox, SandboxConfig};
//! let sandbox = Sandbox::new(SandboxConfig::default())?;
//! let spot = HandlerSpec::variable("spot", "return _digitalData('website.redesign') ? 'redesign' : 'old';");
//! let project = HandlerSet::compile(&sandbox, vec![spot]).map_err(|e| e.to_string())?;
//! let mut page = project.open_page(&PageContext::default())?;
//! let outcome = page.call(0, &serde_json::json!({"name": "Viewed Page"}))?;
//! assert_eq!(outcome.value, Some(serde_json::json!("old")));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod budget;
mod cache;
mod config;
mod error;
mod handler_set;
mod host;
mod image;
mod input;
mod instance;
mod locale_data;
mod sandbox;
mod snapshot;
mod world;

pub use budget::{Cost, PageBudget};
pub use config::{Limits, MAX_MEMORY_BYTES, SandboxConfig};
pub use error::{CompileErrors, SandboxError};
pub use handlebox_protocol::{
    DEFAULT_LANGUAGE, ErrorInfo, ErrorKind, HandlerCheck, LogLine, NULL_IN_JSON, PageContext,
    SetFailure, SourceForm, Step, finish_json, null_in_json,
};
pub use handler_set::{HandlerRole, HandlerSet, HandlerSpec, Scope};
pub use host::MAX_GROWTH_BYTES;
pub use sandbox::Sandbox;
pub use world::{CallOutcome, EventOutcome, PageWorld, PlanCall, STRIKES};
