//! A snapshot of the guest with its JavaScript world already built.
//!
//! Building a Boa context costs milliseconds per page; a snapshot moves that
//! cost to the first start. The guest is instrumented by Wizer, run once on
//! this host (with the same WASI stubs as every page) up to `hb_prepare`,
//! and its memory and globals are written out as a new module, which every
//! page then instantiates copy-on-write.
//!
//! What the snapshot freezes: anything `hb_prepare` computed, including
//! `HashMap` seeds; `Math.random` is seeded on first use, after the page
//! starts, from the host's random source.

use wasmtime::{Engine, Instance, Linker, Module, Store, Val};
use wasmtime_wizer::{InstanceState, SnapshotVal, ValType, Wizer};

use crate::SandboxError;
use crate::host::HostState;

/// The guest export that builds the world before the snapshot.
const PREPARE: &str = "hb_prepare";

struct Prepared<'a> {
    store: &'a mut Store<HostState>,
    instance: Instance,
    missing: Option<String>,
}

impl InstanceState for Prepared<'_> {
    async fn global_get(&mut self, name: &str, _type: ValType) -> SnapshotVal {
        match self
            .instance
            .get_global(&mut *self.store, name)
            .map(|g| g.get(&mut *self.store))
        {
            Some(Val::I32(x)) => SnapshotVal::I32(x),
            Some(Val::I64(x)) => SnapshotVal::I64(x),
            Some(Val::F32(x)) => SnapshotVal::F32(x),
            Some(Val::F64(x)) => SnapshotVal::F64(x),
            Some(Val::V128(x)) => SnapshotVal::V128(x.as_u128()),
            _ => {
                self.missing = Some(format!("global {name}"));
                SnapshotVal::I32(0)
            }
        }
    }

    async fn memory_contents(&mut self, name: &str, contents: impl FnOnce(&[u8]) + Send) {
        match self.instance.get_memory(&mut *self.store, name) {
            Some(memory) => contents(memory.data(&*self.store)),
            None => {
                self.missing = Some(format!("memory {name}"));
                contents(&[]);
            }
        }
    }
}

/// The guest with its world built, as a new WebAssembly module.
pub(crate) fn prepared_wasm(
    engine: &Engine,
    linker: &Linker<HostState>,
    guest: &[u8],
    memory_bytes: usize,
) -> Result<Vec<u8>, SandboxError> {
    let fail = |what: &str, e: &dyn std::fmt::Display| {
        SandboxError::Engine(format!("snapshot: {what}: {e}"))
    };
    let mut wizer = Wizer::new();
    wizer.init_func(PREPARE);
    let (cx, instrumented) = wizer
        .instrument(guest)
        .map_err(|e| fail("instrumenting the guest", &e))?;
    let module = Module::new(engine, &instrumented).map_err(|e| fail("compiling the guest", &e))?;
    let mut store = Store::new(engine, HostState::new(memory_bytes));
    store.limiter(|state| &mut state.limiter);
    store.set_epoch_deadline(u64::MAX / 2);
    let _ = store.set_fuel(u64::MAX);
    let instance = linker
        .instantiate(&mut store, &module)
        .map_err(|e| fail("instantiating the guest", &e))?;
    for export in ["_initialize", PREPARE] {
        if let Ok(func) = instance.get_typed_func::<(), ()>(&mut store, export) {
            func.call(&mut store, ())
                .map_err(|e| fail(&format!("running {export}"), &e))?;
        }
    }
    let mut state = Prepared {
        store: &mut store,
        instance,
        missing: None,
    };
    // Wizer's snapshot reads a live instance: nothing in it waits.
    let snapshot = pollster::block_on(wizer.snapshot(&cx, &mut state))
        .map_err(|e| fail("writing the snapshot", &e))?;
    if let Some(missing) = state.missing {
        return Err(SandboxError::Engine(format!(
            "snapshot: the instance has no {missing}"
        )));
    }
    Ok(snapshot)
}
