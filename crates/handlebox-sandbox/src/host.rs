//! What the host gives a guest instance: its store state, a memory limiter
//! that remembers when the cap was hit, the two calls that bracket each
//! handler call (so each gets its own deadline and cost inside one request),
//! and the eight WASI functions Boa imports, as stubs. There is no file
//! system, environment or network to reach: `fd_write` only captures
//! stdout/stderr text (a guest panic message), `environ_*` report nothing,
//! `poll_oneoff` is not supported.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use handlebox_protocol::CallId;
use wasmtime::{AsContextMut, Caller, Extern, Linker, ResourceLimiter};

use crate::budget::{Cost, PageBudget, ticks};
use crate::locale_data::{self, Refusal};

const WASI: &str = "wasi_snapshot_preview1";
const ERRNO_SUCCESS: i32 = 0;
const ERRNO_BADF: i32 = 8;
const ERRNO_FAULT: i32 = 21;
const ERRNO_INVAL: i32 = 28;
const ERRNO_NOTSUP: i32 = 58;

/// Most guest output (stdout + stderr) kept per instance.
const MAX_GUEST_OUTPUT: usize = 16 << 10;

/// The store's data for one instance.
pub(crate) struct HostState {
    pub(crate) limiter: MemoryLimiter,
    /// What the guest wrote to stdout or stderr (a panic message).
    pub(crate) output: Vec<u8>,
    started: Instant,
    /// The limits of each handler call in the current request.
    pub(crate) call_budget: CallBudget,
    /// The handler call running now, if any: it is the one a trap ends.
    pub(crate) current: Option<Running>,
    /// What each handler call of the current request cost, in order.
    pub(crate) costs: Vec<(CallId, Cost)>,
    /// The instance's memory, once instantiated.
    pub(crate) memory: Option<wasmtime::Memory>,
    /// Time the current request may still spend outside handler calls.
    pub(crate) outside_left: Duration,
    /// When the current stretch outside handler calls began.
    pub(crate) outside_since: Instant,
    /// The handler call that ended last in the current request: work after
    /// it (getters, setters or `toJSON` it left on the event) is its own.
    pub(crate) last: Option<CallId>,
    /// What the page may still spend in all, if it has a budget.
    pub(crate) page: Option<PageBudget>,
    /// Whether the epoch deadline set last is the page's, not the call's or
    /// the request's: a timeout then means the page's time is spent.
    pub(crate) page_bound: bool,
    /// Who pays for each handler's time on the page.
    pub(crate) time: HandlerTime,
    /// The answer to the guest's last request for locale data, until it
    /// reads it.
    pub(crate) locale_answer: Vec<u8>,
}

/// What each handler has spent on the page, and what stops it: the host
/// refuses to start a call whose handler has spent its share, or any call
/// once the page is cancelled.
#[derive(Debug, Clone, Default)]
pub(crate) struct HandlerTime {
    /// The handler of each step of the running request.
    pub(crate) step_handlers: Vec<usize>,
    /// Microseconds each handler has spent on the page: its calls, and the
    /// work it left to run after them (getters, setters, `toJSON`).
    pub(crate) spent: Vec<u64>,
    /// Microseconds one handler may spend on the page, if bounded.
    pub(crate) share: Option<u64>,
    /// Set when the page is cancelled.
    pub(crate) cancelled: Option<Arc<AtomicBool>>,
}

impl HandlerTime {
    fn handler(&self, step: usize) -> Option<usize> {
        self.step_handlers.get(step).copied()
    }

    fn charge(&mut self, step: usize, elapsed: Duration) {
        if let Some(spent) = self.handler(step).and_then(|h| self.spent.get_mut(h)) {
            *spent = spent.saturating_add(elapsed.as_micros() as u64);
        }
    }

    /// Whether the call of `step` may start.
    fn allows(&self, step: usize) -> bool {
        if self
            .cancelled
            .as_ref()
            .is_some_and(|c| c.load(Ordering::Relaxed))
        {
            return false;
        }
        let spent = self.handler(step).and_then(|h| self.spent.get(h));
        !matches!((spent, self.share), (Some(spent), Some(share)) if *spent > share)
    }
}

/// What one handler call may spend.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CallBudget {
    /// Wall-clock time of one call.
    pub(crate) deadline: Duration,
    /// Fuel of one call, when fuel is counted.
    pub(crate) fuel: Option<u64>,
    /// Whether the store counts fuel.
    pub(crate) fuel_enabled: bool,
}

/// A handler call in progress.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Running {
    pub(crate) id: CallId,
    pub(crate) started: Instant,
    fuel: u64,
}

impl HostState {
    pub(crate) fn new(memory_bytes: usize) -> Self {
        Self {
            limiter: MemoryLimiter {
                max_bytes: memory_bytes,
                hit: false,
                too_large: None,
            },
            output: Vec::new(),
            started: Instant::now(),
            call_budget: CallBudget {
                deadline: Duration::from_secs(1),
                fuel: None,
                fuel_enabled: false,
            },
            current: None,
            costs: Vec::new(),
            memory: None,
            outside_left: Duration::from_secs(1),
            outside_since: Instant::now(),
            last: None,
            page: None,
            page_bound: false,
            time: HandlerTime::default(),
            locale_answer: Vec::new(),
        }
    }

    /// Ends the stretch outside calls that began at `outside_since`: it
    /// comes off the request's outside budget, and is charged to the handler
    /// whose call ended last (what ran was left by it).
    pub(crate) fn end_outside(&mut self, now: Instant) {
        let outside = now.saturating_duration_since(self.outside_since);
        self.outside_left = self.outside_left.saturating_sub(outside);
        self.outside_since = now;
        if let Some(last) = self.last {
            self.time.charge(last.step, outside);
        }
    }

    /// `limit`, cut to what is left of the page's time budget; remembers
    /// which of the two binds.
    pub(crate) fn within_page(&mut self, limit: Duration) -> Duration {
        let left = self
            .page
            .map(|page| page.deadline.saturating_duration_since(Instant::now()));
        self.page_bound = left.is_some_and(|left| left < limit);
        left.map_or(limit, |left| left.min(limit))
    }

    /// The memory cap, in bytes.
    pub(crate) fn limiter_max(&self) -> usize {
        self.limiter.max_bytes
    }
}

/// The most memory one growth may add once the instance runs: 16 MiB.
/// The first touch of fresh memory happens inside one WebAssembly
/// instruction (an allocation's zeroing or copy), which a deadline cannot
/// interrupt; 16 MiB of it takes about 9 ms on a 2-core VM.
pub const MAX_GROWTH_BYTES: usize = 16 << 20;

/// Refuses to grow memory past the cap, or by more than
/// [`MAX_GROWTH_BYTES`] at once, and remembers that it did.
pub(crate) struct MemoryLimiter {
    max_bytes: usize,
    /// Set once a growth was refused.
    pub(crate) hit: bool,
    /// The size of the growth refused for being too large at once, if so.
    pub(crate) too_large: Option<usize>,
}

/// The trap raised when a page asks for more memory than it may have.
#[derive(Debug, thiserror::Error)]
#[error("memory limit of {0} bytes exceeded")]
pub(crate) struct MemoryLimitHit(pub(crate) usize);

impl MemoryLimiter {
    /// Why the last growth was refused, as a handler's error message.
    pub(crate) fn message(&self) -> String {
        match self.too_large {
            Some(bytes) => format!(
                "memory limit exceeded: one allocation asked for {} MiB at once, more than the \
                 {} MiB an allocation may take",
                bytes.div_ceil(1 << 20),
                MAX_GROWTH_BYTES >> 20
            ),
            None => format!(
                "memory limit exceeded: the page needed more than {} MiB",
                self.max_bytes >> 20
            ),
        }
    }
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        // Instantiation grows from 0 to the module's initial size at once.
        let step = desired.saturating_sub(current);
        if current > 0 && step > MAX_GROWTH_BYTES {
            self.hit = true;
            self.too_large = Some(step);
            return Err(MemoryLimitHit(self.max_bytes).into());
        }
        if desired > self.max_bytes {
            self.hit = true;
            return Err(MemoryLimitHit(self.max_bytes).into());
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 1 << 20)
    }
}

/// The trap raised when the guest calls `proc_exit`.
#[derive(Debug, thiserror::Error)]
#[error("the guest exited with status {0}")]
pub(crate) struct GuestExit(pub(crate) i32);

fn memory(caller: &mut Caller<'_, HostState>) -> Option<wasmtime::Memory> {
    match caller.get_export("memory") {
        Some(Extern::Memory(memory)) => Some(memory),
        _ => None,
    }
}

fn write_bytes(caller: &mut Caller<'_, HostState>, at: i32, bytes: &[u8]) -> i32 {
    let Some(memory) = memory(caller) else {
        return ERRNO_FAULT;
    };
    match memory.write(caller, at as u32 as usize, bytes) {
        Ok(()) => ERRNO_SUCCESS,
        Err(_) => ERRNO_FAULT,
    }
}

fn read_u32(data: &[u8], at: usize) -> Option<u32> {
    let bytes = data.get(at..at + 4)?;
    Some(u32::from_le_bytes(bytes.try_into().ok()?))
}

/// Module name of the host's own imports.
const HOST: &str = "handlebox";

/// Adds the host's own imports: the two that bracket each handler call,
/// and the two that answer requests for locale data.
pub(crate) fn add_calls(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    linker.func_wrap(
        HOST,
        "call_start",
        |mut caller: Caller<'_, HostState>, step: u32, item: i32| -> i32 {
            let now = Instant::now();
            let state = caller.data_mut();
            state.end_outside(now);
            if !state.time.allows(step as usize) {
                return 1;
            }
            let budget = state.call_budget;
            let deadline = state.within_page(budget.deadline);
            let fuel = match (budget.fuel_enabled, budget.fuel) {
                (true, Some(fuel)) => {
                    let _ = caller.as_context_mut().set_fuel(fuel);
                    fuel
                }
                (true, None) => caller.as_context_mut().get_fuel().unwrap_or(0),
                (false, _) => 0,
            };
            caller.as_context_mut().set_epoch_deadline(ticks(deadline));
            caller.data_mut().current = Some(Running {
                id: CallId {
                    step: step as usize,
                    item: usize::try_from(item).ok(),
                },
                started: now,
                fuel,
            });
            0
        },
    )?;
    linker.func_wrap(HOST, "call_end", |mut caller: Caller<'_, HostState>| {
        let Some(running) = caller.data_mut().current.take() else {
            return;
        };
        let budget = caller.data().call_budget;
        let fuel = budget.fuel_enabled.then(|| {
            running
                .fuel
                .saturating_sub(caller.as_context_mut().get_fuel().unwrap_or(0))
        });
        let memory_bytes = caller
            .data()
            .memory
            .map_or(0, |m| m.data_size(&caller) as u64);
        let cost = Cost {
            micros: running.started.elapsed().as_micros() as u64,
            memory_bytes,
            fuel,
        };
        let state = caller.data_mut();
        state.costs.push((running.id, cost));
        state
            .time
            .charge(running.id.step, running.started.elapsed());
        state.last = Some(running.id);
        state.outside_since = Instant::now();
        let left = state.within_page(state.outside_left);
        if budget.fuel_enabled {
            let _ = caller.as_context_mut().set_fuel(u64::MAX);
        }
        // What the request may still spend outside calls, in all: the
        // guest cannot win time back by starting and ending calls.
        caller.as_context_mut().set_epoch_deadline(ticks(left));
    })?;
    linker.func_wrap(
        HOST,
        "locale_data",
        |mut caller: Caller<'_, HostState>, ptr: u32, len: u32| -> i32 {
            let Some(memory) = guest_memory(&mut caller) else {
                return -(Refusal::Other as i32);
            };
            // A request is a marker, a locale and attributes: a few dozen
            // bytes. A longer one is refused before anything is copied.
            let request = (len as usize <= locale_data::MAX_REQUEST)
                .then(|| {
                    memory
                        .data(&caller)
                        .get(ptr as usize..(ptr as usize).saturating_add(len as usize))
                        .map(<[u8]>::to_vec)
                })
                .flatten();
            let answer = match request {
                Some(request) => locale_data::answer(&request),
                None => Err(Refusal::InvalidRequest),
            };
            match answer.and_then(|a| {
                i32::try_from(a.len())
                    .map(|n| (a, n))
                    .map_err(|_| Refusal::Other)
            }) {
                Ok((answer, size)) => {
                    caller.data_mut().locale_answer = answer;
                    size
                }
                Err(refusal) => {
                    caller.data_mut().locale_answer.clear();
                    -(refusal as i32)
                }
            }
        },
    )?;
    linker.func_wrap(
        HOST,
        "locale_data_read",
        |mut caller: Caller<'_, HostState>, ptr: u32, len: u32| {
            let answer = std::mem::take(&mut caller.data_mut().locale_answer);
            let Some(memory) = guest_memory(&mut caller) else {
                return;
            };
            let n = answer.len().min(len as usize);
            if let Some(target) = memory
                .data_mut(&mut caller)
                .get_mut(ptr as usize..(ptr as usize).saturating_add(n))
            {
                target.copy_from_slice(&answer[..n]);
            }
        },
    )?;
    Ok(())
}

/// The calling instance's memory (also while it is being snapshotted,
/// before [`HostState::memory`] is set).
fn guest_memory(caller: &mut Caller<'_, HostState>) -> Option<wasmtime::Memory> {
    caller
        .data()
        .memory
        .or_else(|| caller.get_export("memory").and_then(Extern::into_memory))
}

/// Adds the WASI stubs to `linker`.
pub(crate) fn add_wasi(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    linker.func_wrap(
        WASI,
        "random_get",
        |mut caller: Caller<'_, HostState>, buf: i32, len: i32| -> i32 {
            let mut bytes = vec![0u8; len as u32 as usize];
            if getrandom::fill(&mut bytes).is_err() {
                return ERRNO_NOTSUP;
            }
            write_bytes(&mut caller, buf, &bytes)
        },
    )?;
    linker.func_wrap(
        WASI,
        "environ_sizes_get",
        |mut caller: Caller<'_, HostState>, count: i32, size: i32| -> i32 {
            match write_bytes(&mut caller, count, &0u32.to_le_bytes()) {
                ERRNO_SUCCESS => write_bytes(&mut caller, size, &0u32.to_le_bytes()),
                errno => errno,
            }
        },
    )?;
    linker.func_wrap(
        WASI,
        "environ_get",
        |_: Caller<'_, HostState>, _environ: i32, _buf: i32| -> i32 { ERRNO_SUCCESS },
    )?;
    linker.func_wrap(
        WASI,
        "clock_time_get",
        |mut caller: Caller<'_, HostState>, id: i32, _precision: i64, out: i32| -> i32 {
            let nanos = match id {
                0 => SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map(|d| d.as_nanos() as u64)
                    .unwrap_or(0),
                1..=3 => caller.data().started.elapsed().as_nanos() as u64,
                _ => return ERRNO_INVAL,
            };
            write_bytes(&mut caller, out, &nanos.to_le_bytes())
        },
    )?;
    linker.func_wrap(
        WASI,
        "fd_write",
        |mut caller: Caller<'_, HostState>, fd: i32, iovs: i32, count: i32, written: i32| -> i32 {
            if fd != 1 && fd != 2 {
                return ERRNO_BADF;
            }
            let Some(memory) = memory(&mut caller) else {
                return ERRNO_FAULT;
            };
            let (data, state) = memory.data_and_store_mut(&mut caller);
            let mut total = 0u32;
            for i in 0..count.max(0) as usize {
                let at = iovs as u32 as usize + i * 8;
                let (Some(ptr), Some(len)) = (read_u32(data, at), read_u32(data, at + 4)) else {
                    return ERRNO_FAULT;
                };
                let Some(chunk) = data.get(ptr as usize..ptr as usize + len as usize) else {
                    return ERRNO_FAULT;
                };
                let room = MAX_GUEST_OUTPUT.saturating_sub(state.output.len());
                state
                    .output
                    .extend_from_slice(&chunk[..chunk.len().min(room)]);
                total = total.saturating_add(len);
            }
            write_bytes(&mut caller, written, &total.to_le_bytes())
        },
    )?;
    linker.func_wrap(
        WASI,
        "poll_oneoff",
        |_: Caller<'_, HostState>, _in: i32, _out: i32, _n: i32, _events: i32| -> i32 {
            ERRNO_NOTSUP
        },
    )?;
    linker.func_wrap(
        WASI,
        "proc_exit",
        |_: Caller<'_, HostState>, code: i32| -> wasmtime::Result<()> {
            Err(GuestExit(code).into())
        },
    )?;
    linker.func_wrap(WASI, "sched_yield", |_: Caller<'_, HostState>| -> i32 {
        ERRNO_SUCCESS
    })?;
    Ok(())
}
