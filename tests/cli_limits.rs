//! The sandbox's limits, pinned through `handlebox eval` with bounds that
//! catch a regression: a runaway call or allocation ends within twice its deadline (read
//! from the call's own cost, not from the test's clock), the memory cap is
//! where the docs say, and the call depth allows ordinary recursion.
//! The timing checks share one test so that they do not run side by side.

mod support;

use serde_json::Value;
use support::handlebox;

/// `handlebox eval --code CODE EXTRA… --format json`, as JSON.
fn eval(code: &str, extra: &[&str]) -> Value {
    let mut args = vec!["eval", "--code", code, "--format", "json"];
    args.extend_from_slice(extra);
    let out = handlebox(&args);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{code}: stdout is not JSON ({e}): {} {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn kind(result: &Value) -> Option<&str> {
    result["error"]["kind"].as_str()
}

#[test]
fn runaway_calls_and_allocations_end_within_twice_their_deadline() {
    no_allocation_outlasts_the_deadline_at_the_largest_memory_cap();
    for (deadline_ms, flags) in [
        (50, vec![]),
        (5, vec!["--deadline-ms", "5"]),
        (500, vec!["--deadline-ms", "500"]),
    ] {
        for code in [
            "while (true) {}",
            "try { for (;;) {} } catch (e) { return 1 }",
        ] {
            let result = eval(code, &flags);
            assert_eq!(kind(&result), Some("timeout"), "{code}: {result}");
            let micros = result["cost"]["micros"].as_u64().expect("cost.micros");
            // The deadline is counted in 1 ms epoch ticks, so the first
            // tick may come up to 1 ms early.
            assert!(
                micros + 1_000 >= deadline_ms * 1_000,
                "{code} stopped after {micros} µs, before its {deadline_ms} ms deadline"
            );
            assert!(
                micros <= 2 * deadline_ms * 1_000,
                "{code} ran {micros} µs against a {deadline_ms} ms deadline"
            );
        }
    }
}

/// A handler that holds `mib` MiB in typed arrays of 4 MiB (one allocation
/// may take at most 16 MiB).
fn holding(mib: u32) -> String {
    format!(
        "var held = []; for (var i = 0; i < {mib} / 4; i++) held.push(new Uint8Array(4 << 20));\n\
         return held.length * 4 * 1024 * 1024"
    )
}

#[test]
fn the_memory_cap_is_32_mib_unless_raised() {
    let fits = eval(&holding(24), &[]);
    assert_eq!(
        fits["error"],
        Value::Null,
        "24 MiB under the default: {fits}"
    );
    assert_eq!(fits["value"], 24 << 20);
    let over = eval(&holding(40), &[]);
    assert_eq!(
        kind(&over),
        Some("memory"),
        "40 MiB under the default: {over}"
    );

    let raised = ["--memory-mib", "64"];
    let fits = eval(&holding(40), &raised);
    assert_eq!(fits["error"], Value::Null, "40 MiB under 64: {fits}");
    let over = eval(&holding(80), &raised);
    assert_eq!(kind(&over), Some("memory"), "80 MiB under 64: {over}");
}

/// Zeroing fresh memory is one WebAssembly instruction a deadline cannot
/// interrupt: one allocation may take at most 16 MiB, and the cap at most
/// 256 MiB, so that no allocation outlasts a 50 ms deadline.
fn no_allocation_outlasts_the_deadline_at_the_largest_memory_cap() {
    let largest = ["--memory-mib", "256"];
    let one = eval(
        "var a = new Uint8Array(250 << 20); return a.length",
        &largest,
    );
    assert_eq!(kind(&one), Some("memory"), "{one}");
    assert!(
        one["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("more than the 16 MiB an allocation may take")),
        "{one}"
    );
    let fits = eval(
        "var a = new Uint8Array(15 << 20); return a.length",
        &largest,
    );
    assert_eq!(fits["value"], 15 << 20, "{fits}");
    let many = eval(
        "var held = []; while (true) held.push(new Uint8Array(15 << 20));",
        &largest,
    );
    assert!(matches!(kind(&many), Some("memory" | "timeout")), "{many}");
    for result in [&one, &many] {
        let micros = result["cost"]["micros"].as_u64().expect("cost.micros");
        assert!(micros <= 100_000, "{micros} µs against a 50 ms deadline");
    }
    let out = support::handlebox(&["eval", "--code", "return 1", "--memory-mib", "4096"]);
    assert_eq!(out.status.code(), Some(2), "a cap past 256 MiB is refused");
}

#[test]
fn recursion_300_deep_works_and_past_the_limit_is_a_range_error() {
    let recurse =
        |depth: u32| format!("function f(n) {{ return n ? 1 + f(n - 1) : 0 }}\nreturn f({depth})");
    let fits = eval(&recurse(300), &[]);
    assert_eq!(fits["error"], Value::Null, "{fits}");
    assert_eq!(fits["value"], 300);
    let deep = eval(&recurse(100_000), &[]);
    assert_eq!(kind(&deep), Some("thrown"), "{deep}");
    assert_eq!(
        deep["error"]["message"],
        "RangeError: Maximum call stack size exceeded"
    );
    assert_eq!(deep["error"]["line"], 1, "{deep}");
}
