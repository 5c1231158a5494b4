//! Settings of a [`Sandbox`](crate::Sandbox): limits per call and per page,
//! and how the engine is built.

use std::path::PathBuf;
use std::time::Duration;

/// The largest memory cap a page may have: 256 MiB. Zeroing or copying one
/// allocation is a single WebAssembly instruction, which a deadline cannot
/// interrupt. Fresh memory costs most (its pages fault in, ≈ 0.55 ms per
/// MiB here), and one growth is held to
/// [`MAX_GROWTH_BYTES`](crate::MAX_GROWTH_BYTES); the cap bounds what an
/// allocation could reuse of memory a page freed (already resident, so
/// zeroed at memory speed).
pub const MAX_MEMORY_BYTES: usize = 256 << 20;

/// Limits every page and call is held to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock time one handler call may take (default 50 ms).
    pub deadline: Duration,
    /// Memory one page's instance may use, in bytes (default 32 MiB, at
    /// most [`MAX_MEMORY_BYTES`]).
    pub memory_bytes: usize,
    /// Largest JSON input (a `digitalData`, an event), in bytes (default 1 MiB).
    pub max_input_bytes: usize,
    /// Deepest nesting of JSON input (default 64 levels).
    pub max_input_depth: usize,
    /// Largest JSON result of one call, in bytes (default 256 KiB).
    pub max_output_bytes: usize,
    /// Deepest JavaScript call stack, in frames (default 400).
    pub max_call_depth: usize,
    /// Console lines kept per call (default 100); the rest are counted.
    pub max_log_lines: usize,
    /// Instructions one call may run, counted as wasmtime fuel; `None`
    /// leaves only the deadline (default). Needs [`SandboxConfig::count_fuel`].
    pub fuel: Option<u64>,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            deadline: Duration::from_millis(50),
            memory_bytes: 32 << 20,
            max_input_bytes: 1 << 20,
            max_input_depth: 64,
            max_output_bytes: 256 << 10,
            max_call_depth: 400,
            max_log_lines: 100,
            fuel: None,
        }
    }
}

/// How a [`Sandbox`](crate::Sandbox) is built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxConfig {
    /// Limits for every page.
    pub limits: Limits,
    /// Count fuel (a deterministic instruction count) and report it in
    /// [`Cost::fuel`](crate::Cost::fuel); costs about 15% speed.
    pub count_fuel: bool,
    /// Where the compiled guest is cached between runs. `None` uses
    /// `$HANDLEBOX_CACHE_DIR`, else `$XDG_CACHE_HOME/handlebox`, else
    /// `~/.cache/handlebox`; set [`SandboxConfig::disk_cache`] to `false` to
    /// compile in memory only.
    pub cache_dir: Option<PathBuf>,
    /// Whether to use the on-disk cache at all.
    pub disk_cache: bool,
    /// Pages that may be open at once; instances come from a pool of this
    /// size (default 128). Opening one more fails with
    /// [`SandboxError::Busy`](crate::SandboxError::Busy).
    pub max_open_pages: u32,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            limits: Limits::default(),
            count_fuel: false,
            cache_dir: None,
            disk_cache: true,
            max_open_pages: 128,
        }
    }
}

impl SandboxConfig {
    /// The directory the compiled guest is cached in, if any.
    pub fn resolved_cache_dir(&self) -> Option<PathBuf> {
        if !self.disk_cache {
            return None;
        }
        if let Some(dir) = &self.cache_dir {
            return Some(dir.clone());
        }
        let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        if let Some(dir) = var("HANDLEBOX_CACHE_DIR") {
            return Some(dir.into());
        }
        if let Some(dir) = var("XDG_CACHE_HOME") {
            return Some(PathBuf::from(dir).join("handlebox"));
        }
        var("HOME").map(|home| PathBuf::from(home).join(".cache/handlebox"))
    }
}
