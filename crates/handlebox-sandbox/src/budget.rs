//! What handler calls, requests and pages may spend, and what a call cost:
//! the units every deadline is counted in. The host's functions, the
//! instance and the page all read them; this module reads none of them.

use std::time::{Duration, Instant};

/// How often the engine's epoch advances; deadlines are counted in ticks.
pub(crate) const TICK: Duration = Duration::from_millis(1);

/// Ticks of the engine's epoch that cover `deadline`.
pub(crate) fn ticks(deadline: Duration) -> u64 {
    (deadline.as_micros().div_ceil(TICK.as_micros()) as u64).max(1)
}

/// What one call cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cost {
    /// Wall-clock time of the call, in microseconds.
    pub micros: u64,
    /// The page's linear memory after the call, in bytes.
    pub memory_bytes: u64,
    /// Instructions counted as fuel, when the sandbox counts fuel.
    pub fuel: Option<u64>,
}

/// What a page may spend in all, over every request it makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageBudget {
    /// When the page's time is up: no call or request runs past it.
    pub deadline: Instant,
    /// The whole budget, for messages and for the share one handler may
    /// spend (half of it).
    pub time: Duration,
}

impl PageBudget {
    /// A budget of `time` from now.
    pub fn from_now(time: Duration) -> Self {
        let now = Instant::now();
        Self {
            // A budget too large for the clock is as good as none.
            deadline: now
                .checked_add(time)
                .unwrap_or_else(|| now + Duration::from_secs(86_400 * 365)),
            time,
        }
    }

    /// Whether the page's time is up.
    pub fn spent(&self) -> bool {
        Instant::now() >= self.deadline
    }

    /// The message of an error for work the budget cut short.
    pub fn spent_message(&self) -> String {
        format!(
            "time limit exceeded: the page's time budget of {} ms is spent",
            self.time.as_millis()
        )
    }

    /// Time one handler may spend on the page before it is stopped.
    pub(crate) fn handler_share(&self) -> Duration {
        self.time / 2
    }
}

/// What a request is allowed to spend: each handler call its deadline
/// and fuel, the work around the calls its own deadline.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget {
    /// Wall-clock time of one handler call.
    pub(crate) call: Duration,
    /// Fuel of one handler call, when fuel is counted.
    pub(crate) fuel: Option<u64>,
    /// Wall-clock time of the request outside handler calls.
    pub(crate) request: Duration,
    /// The page's budget, which no call or request runs past.
    pub(crate) page: Option<PageBudget>,
}

/// Time allowed for setting up a page or checking handlers, which costs
/// more than one call.
pub(crate) fn setup_deadline(call: Duration) -> Duration {
    (call * 10).max(Duration::from_secs(1))
}

/// The budget of a request that runs no handler.
pub(crate) fn setup_budget(limits: &crate::Limits) -> Budget {
    Budget {
        call: limits.deadline,
        fuel: limits.fuel,
        request: setup_deadline(limits.deadline),
        page: None,
    }
}
