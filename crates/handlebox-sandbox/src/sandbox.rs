//! The process-wide part: the wasmtime engine configured for limits, the
//! compiled guest, the instance pool and the epoch ticker that drives every
//! deadline.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use wasmtime::{
    Enabled, Engine, InstanceAllocationStrategy, InstancePre, Linker, OptLevel,
    PoolingAllocationConfig,
};

use crate::budget::TICK;
use crate::cache::{self, ModuleSource};
use crate::host::{self, HostState};
use crate::instance::Instance;
use crate::{SandboxConfig, SandboxError};

/// Memory a page's slot keeps resident when the page ends: with Linux's
/// `PAGEMAP_SCAN` (kernel 6.7+), wasmtime copies back only the pages the page
/// wrote, up to this many bytes, instead of unmapping them, so the next page
/// in the slot does not fault them in again.
const KEEP_RESIDENT: usize = 16 << 20;

/// The engine and compiled guest, shared by every project and page.
///
/// Cheap to clone; `Send + Sync`. Build one per process: building compiles
/// (or loads from the disk cache) the guest module.
#[derive(Clone)]
pub struct Sandbox {
    inner: Arc<Inner>,
}

struct Inner {
    engine: Engine,
    pre: InstancePre<HostState>,
    config: SandboxConfig,
    module_source: ModuleSource,
    snapshot: bool,
    cache_warning: Option<String>,
    stop_ticker: Arc<AtomicBool>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.stop_ticker.store(true, Ordering::Relaxed);
    }
}

impl Sandbox {
    /// Builds the engine, loads or compiles the guest and starts the ticker.
    pub fn new(config: SandboxConfig) -> Result<Self, SandboxError> {
        if config.limits.memory_bytes > crate::MAX_MEMORY_BYTES {
            return Err(SandboxError::Limit(format!(
                "a page's memory cap of {} MiB is more than the most a page may have, {} MiB",
                config.limits.memory_bytes >> 20,
                crate::MAX_MEMORY_BYTES >> 20
            )));
        }
        let engine = Engine::new(&engine_config(&config))
            .map_err(|e| SandboxError::Engine(e.to_string()))?;
        let cache_dir = config.resolved_cache_dir();
        let mut linker = Linker::new(&engine);
        host::add_wasi(&mut linker).map_err(|e| SandboxError::Engine(e.to_string()))?;
        host::add_calls(&mut linker).map_err(|e| SandboxError::Engine(e.to_string()))?;
        let loaded = cache::load(
            &engine,
            cache_dir.as_deref(),
            &linker,
            config.limits.memory_bytes,
        )?;
        let pre = linker
            .instantiate_pre(&loaded.module)
            .map_err(|e| SandboxError::Engine(format!("linking the guest: {e}")))?;
        let stop_ticker = Arc::new(AtomicBool::new(false));
        spawn_ticker(engine.clone(), stop_ticker.clone())?;
        Ok(Self {
            inner: Arc::new(Inner {
                engine,
                pre,
                config,
                module_source: loaded.source,
                snapshot: loaded.snapshot,
                cache_warning: loaded.warning.map(|w| w.to_string()),
                stop_ticker,
            }),
        })
    }

    /// The configuration this sandbox was built with.
    pub fn config(&self) -> &SandboxConfig {
        &self.inner.config
    }

    /// Whether the guest came from the disk cache (`true`) or was compiled.
    pub fn loaded_from_cache(&self) -> bool {
        self.inner.module_source == ModuleSource::Cached
    }

    /// Why the disk cache or the snapshot could not be used, if so.
    pub fn cache_warning(&self) -> Option<&str> {
        self.inner.cache_warning.as_deref()
    }

    /// Whether pages start from the prepared snapshot (the JavaScript world
    /// already built) rather than building it themselves.
    pub fn uses_snapshot(&self) -> bool {
        self.inner.snapshot
    }

    pub(crate) fn instantiate(&self) -> Result<Instance, SandboxError> {
        Instance::new(
            &self.inner.engine,
            &self.inner.pre,
            self.inner.config.limits.memory_bytes,
            self.inner.config.max_open_pages,
            !self.inner.snapshot,
        )
    }
}

fn engine_config(config: &SandboxConfig) -> wasmtime::Config {
    let mut engine = wasmtime::Config::new();
    engine.epoch_interruption(true);
    // A trap's wasm backtrace is never shown, and walking a deep guest
    // stack (100,000 nested elements of a hostile page's HTML) costs the
    // host seconds after the call has already stopped.
    engine.wasm_backtrace_max_frames(None);
    engine.consume_fuel(config.count_fuel);
    engine.cranelift_opt_level(OptLevel::Speed);
    // For profiling: `perf` names the guest's functions from
    // /tmp/perf-PID.map.
    if std::env::var_os("HANDLEBOX_PERFMAP").is_some() {
        engine.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
    let pages = config.max_open_pages.max(1);
    let mut pool = PoolingAllocationConfig::default();
    pool.total_memories(pages)
        .total_tables(pages)
        .total_core_instances(pages)
        .max_memory_size(config.limits.memory_bytes.next_multiple_of(64 << 10))
        .linear_memory_keep_resident(KEEP_RESIDENT)
        .table_keep_resident(64 << 10)
        .pagemap_scan(Enabled::Auto);
    engine.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    engine
}

fn spawn_ticker(engine: Engine, stop: Arc<AtomicBool>) -> Result<(), SandboxError> {
    thread::Builder::new()
        .name("handlebox-epoch".to_owned())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                thread::sleep(TICK);
                engine.increment_epoch();
            }
        })
        .map(drop)
        .map_err(|e| SandboxError::Engine(format!("cannot start the deadline ticker: {e}")))
}
