//! One guest instance and the request/response exchange with it, with the
//! deadline, fuel and memory cap applied to every request. A request that
//! traps leaves the instance unusable: the caller drops it.

use std::time::Instant;

use handlebox_protocol::{CallId, ErrorInfo, ErrorKind, Request, Response, STACK_OVERFLOW};
use wasmtime::{Engine, InstancePre, Memory, Store, Trap, TypedFunc};

use crate::budget::{Budget, Cost, ticks};
use crate::host::{CallBudget, HandlerTime, HostState, MemoryLimitHit};
use crate::{SandboxError, image::Image};

/// A request that trapped: the instance is lost.
#[derive(Debug, Clone)]
pub(crate) struct Trapped {
    /// Why, as the handler's error.
    pub(crate) error: ErrorInfo,
    /// The handler call that was running, or else the one that ended last
    /// (what ran after it was left by it); `None` before any call.
    pub(crate) call: Option<CallId>,
    /// What that call cost until the trap.
    pub(crate) cost: Cost,
    /// Whether the page's time budget ran out (rather than a call's limit).
    pub(crate) page_spent: bool,
}

pub(crate) struct Instance {
    store: Store<HostState>,
    memory: Memory,
    alloc: TypedFunc<u32, u32>,
    free: TypedFunc<(u32, u32), ()>,
    handle: TypedFunc<(u32, u32), u64>,
    fuel_enabled: bool,
}

impl Instance {
    pub(crate) fn new(
        engine: &Engine,
        pre: &InstancePre<HostState>,
        memory_bytes: usize,
        pool_size: u32,
        initialize: bool,
    ) -> Result<Self, SandboxError> {
        let mut store = Store::new(engine, HostState::new(memory_bytes));
        store.limiter(|state| &mut state.limiter);
        store.epoch_deadline_trap();
        store.set_epoch_deadline(1_000);
        let fuel_enabled = store.set_fuel(u64::MAX).is_ok();
        let instance = pre.instantiate(&mut store).map_err(|e| {
            if e.downcast_ref::<wasmtime::PoolConcurrencyLimitError>()
                .is_some()
            {
                SandboxError::Busy { limit: pool_size }
            } else if store.data().limiter.hit {
                SandboxError::Engine(format!(
                    "the guest needs more than the memory limit of {memory_bytes} bytes to start"
                ))
            } else {
                SandboxError::Engine(format!("instantiating the guest: {e:#}"))
            }
        })?;
        let engine_error = |e: wasmtime::Error| SandboxError::Engine(format!("guest exports: {e}"));
        let memory = instance
            .get_memory(&mut store, "memory")
            .ok_or_else(|| SandboxError::Engine("the guest exports no memory".to_owned()))?;
        store.data_mut().memory = Some(memory);
        let alloc = instance
            .get_typed_func(&mut store, "hb_alloc")
            .map_err(engine_error)?;
        let free = instance
            .get_typed_func(&mut store, "hb_free")
            .map_err(engine_error)?;
        let handle = instance
            .get_typed_func(&mut store, "hb_handle")
            .map_err(engine_error)?;
        let mut this = Self {
            store,
            memory,
            alloc,
            free,
            handle,
            fuel_enabled,
        };
        if initialize
            && let Ok(init) = instance.get_typed_func::<(), ()>(&mut this.store, "_initialize")
        {
            init.call(&mut this.store, ())
                .map_err(|e| SandboxError::Engine(format!("initialising the guest: {e}")))?;
        }
        Ok(this)
    }

    /// Bytes of linear memory the instance has now.
    pub(crate) fn memory_bytes(&self) -> u64 {
        self.memory.data_size(&self.store) as u64
    }

    /// Writes `image` over the instance's memory: the instance then holds
    /// what the image's instance held (see [`Image`]).
    pub(crate) fn apply(&mut self, image: &Image) -> Result<(), SandboxError> {
        image.apply(&self.memory, &mut self.store)
    }

    /// The instance's linear memory, for taking an [`Image`].
    pub(crate) fn memory_data(&self) -> &[u8] {
        self.memory.data(&self.store)
    }

    /// Sends one request; `Err` is a trap, after which the instance must be
    /// dropped. The costs of the handler calls it ran are in
    /// [`Instance::take_costs`].
    pub(crate) fn request(
        &mut self,
        request: &Request,
        budget: Budget,
    ) -> Result<Response, Trapped> {
        let bytes = serde_json::to_vec(request).map_err(|e| Trapped {
            error: ErrorInfo {
                kind: ErrorKind::Input,
                message: format!("cannot encode the request: {e}"),
                line: None,
                column: None,
            },
            call: None,
            cost: Cost::default(),
            page_spent: false,
        })?;
        let state = self.store.data_mut();
        state.call_budget = CallBudget {
            deadline: budget.call,
            fuel: budget.fuel,
            fuel_enabled: self.fuel_enabled,
        };
        state.current = None;
        state.last = None;
        state.costs.clear();
        state.outside_left = budget.request;
        state.outside_since = Instant::now();
        state.page = budget.page;
        let deadline = state.within_page(budget.request);
        self.store.set_epoch_deadline(ticks(deadline));
        if self.fuel_enabled {
            let _ = self.store.set_fuel(u64::MAX);
        }
        let started = Instant::now();
        let answer = self.exchange(&bytes);
        if answer.is_ok() {
            // The work after the last call (writing the event) is its own.
            self.store.data_mut().end_outside(Instant::now());
        }
        answer.map_err(|err| {
            let state = self.store.data();
            let (running, last) = (state.current, state.last);
            let page_spent =
                state.page_bound && matches!(err.downcast_ref::<Trap>(), Some(Trap::Interrupt));
            Trapped {
                page_spent,
                error: self.classify(err, budget, running.is_some(), last.is_some()),
                call: running.map(|r| r.id).or(last),
                cost: Cost {
                    micros: running.map_or(started, |r| r.started).elapsed().as_micros() as u64,
                    memory_bytes: self.memory_bytes(),
                    fuel: None,
                },
            }
        })
    }

    /// The handlers' time accounts the next request runs with, and the
    /// last one left.
    pub(crate) fn handler_time(&mut self) -> &mut HandlerTime {
        &mut self.store.data_mut().time
    }

    /// What each handler call of the last request cost, in order.
    pub(crate) fn take_costs(&mut self) -> Vec<(CallId, Cost)> {
        std::mem::take(&mut self.store.data_mut().costs)
    }

    fn exchange(&mut self, bytes: &[u8]) -> wasmtime::Result<Response> {
        let len = u32::try_from(bytes.len())?;
        let ptr = self.alloc.call(&mut self.store, len)?;
        self.memory.write(&mut self.store, ptr as usize, bytes)?;
        let packed = self.handle.call(&mut self.store, (ptr, len))?;
        let (out_ptr, out_len) = ((packed >> 32) as u32, packed as u32);
        let data = self.memory.data(&self.store);
        let text = data
            .get(out_ptr as usize..out_ptr as usize + out_len as usize)
            .ok_or_else(|| wasmtime::Error::msg("the guest answered outside its memory"))?
            .to_vec();
        self.free.call(&mut self.store, (out_ptr, out_len))?;
        Ok(serde_json::from_slice(&text)?)
    }

    fn classify(
        &self,
        err: wasmtime::Error,
        budget: Budget,
        in_call: bool,
        after_call: bool,
    ) -> ErrorInfo {
        let memory = |message: String| ErrorInfo {
            kind: ErrorKind::Memory,
            message,
            line: None,
            column: None,
        };
        if self.store.data().limiter.hit || err.downcast_ref::<MemoryLimitHit>().is_some() {
            return memory(self.store.data().limiter.message());
        }
        let (kind, message) = match err.downcast_ref::<Trap>() {
            Some(Trap::Interrupt) if self.store.data().page_bound => (
                ErrorKind::Timeout,
                budget
                    .page
                    .map(|page| page.spent_message())
                    .unwrap_or_default(),
            ),
            Some(Trap::Interrupt) if in_call => (
                ErrorKind::Timeout,
                format!(
                    "time limit exceeded: the call ran longer than {} ms",
                    budget.call.as_millis()
                ),
            ),
            Some(Trap::Interrupt) if after_call => (
                ErrorKind::Timeout,
                format!(
                    "time limit exceeded: reading and writing the event around the calls \
                     (getters, setters, toJSON) took longer than {} ms, after this call",
                    budget.request.as_millis()
                ),
            ),
            Some(Trap::Interrupt) => (
                ErrorKind::Timeout,
                format!(
                    "time limit exceeded: preparing the page's data took longer than {} ms",
                    budget.request.as_millis()
                ),
            ),
            Some(Trap::OutOfFuel) => (
                ErrorKind::Timeout,
                format!(
                    "time limit exceeded: the call ran more than {} instructions (fuel)",
                    budget.fuel.unwrap_or(u64::MAX)
                ),
            ),
            Some(Trap::StackOverflow) => (ErrorKind::Thrown, STACK_OVERFLOW.to_owned()),
            _ => {
                let output = String::from_utf8_lossy(&self.store.data().output);
                if output.contains("memory allocation of") || output.contains("capacity overflow") {
                    return memory(format!(
                        "memory limit exceeded: the page needed more than {} MiB",
                        self.store.data().limiter_max() >> 20
                    ));
                }
                // An engine failure (a panic inside Boa, an exit): its text
                // is the engine's, about Rust code, and no use to the user.
                (
                    ErrorKind::Thrown,
                    "InternalError: the JavaScript engine failed while running this handler; \
                     the page's JavaScript state was reset"
                        .to_owned(),
                )
            }
        };
        ErrorInfo {
            kind,
            message,
            line: None,
            column: None,
        }
    }
}
