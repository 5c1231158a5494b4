//! Memory bombs must not grow the process: each page's memory is capped by
//! wasmtime and returned when the instance goes. Alone in its own test binary
//! so that no other test's allocations blur the measurement.

mod common;

use common::run;
use handlebox_sandbox::ErrorKind;

fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

#[test]
fn memory_bombs_leave_the_process_flat() {
    let bomb = "var a = []; while (true) a.push(new Float64Array(1 << 20));";
    assert_eq!(run(bomb).error.unwrap().kind, ErrorKind::Memory);
    let before = resident_bytes();
    for _ in 0..20 {
        assert_eq!(run(bomb).error.unwrap().kind, ErrorKind::Memory);
    }
    let grown = resident_bytes().saturating_sub(before);
    // Twenty bombs of 32 MiB each: without the cap and the pool returning
    // memory, the process would hold hundreds of MiB more.
    assert!(
        grown < 96 << 20,
        "resident memory grew by {} MiB",
        grown >> 20
    );
}
