//! The limits `run` and `serve` hold handlers and pages to, as flags.

use std::time::Duration;

use clap::Args;
use handlebox_pipeline::{Budget, DEFAULT_MAX_EVENTS};
use handlebox_sandbox::{Limits, MAX_MEMORY_BYTES};

/// Largest `--memory-mib`: see [`MAX_MEMORY_BYTES`].
pub const MAX_MEMORY_MIB: u64 = (MAX_MEMORY_BYTES >> 20) as u64;

/// Limits of each handler call and of each page as a whole.
#[derive(Debug, Clone, Args)]
pub struct LimitArgs {
    /// Each handler call's deadline, in milliseconds.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=60_000))]
    pub deadline_ms: u64,
    /// Each page's memory cap, in MiB (at most 256, so that one allocation
    /// cannot outlast a deadline).
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u64).range(8..=MAX_MEMORY_MIB))]
    pub memory_mib: u64,
    /// Each page's time budget, in milliseconds: no handler runs past it,
    /// a handler that spends half of it is stopped for the page, and the
    /// events left when it is spent are listed with a `timeout` error.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=600_000))]
    pub page_time_ms: u64,
    /// Each page's output budget, in KiB of Result JSON: the events left
    /// when it is spent are listed with an `output` error.
    #[arg(long, default_value_t = 4096, value_parser = clap::value_parser!(u64).range(1..=1_048_576))]
    pub page_output_kib: u64,
    /// Events processed per page; further events are listed with a
    /// warning, not processed.
    #[arg(long, default_value_t = DEFAULT_MAX_EVENTS)]
    pub max_events: usize,
}

impl LimitArgs {
    /// The sandbox's limits of each call and each page's memory.
    pub fn limits(&self) -> Limits {
        Limits {
            deadline: Duration::from_millis(self.deadline_ms),
            memory_bytes: (self.memory_mib as usize) << 20,
            ..Limits::default()
        }
    }

    /// Each page's budget.
    pub fn budget(&self) -> Budget {
        Budget {
            time: Duration::from_millis(self.page_time_ms),
            output_bytes: (self.page_output_kib as usize) << 10,
        }
    }
}
