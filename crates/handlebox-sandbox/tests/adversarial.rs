//! Hostile handlers: each must end in the right error within a bound, and
//! leave the sandbox usable for the next call and the next page.

mod common;

use std::time::{Duration, Instant};

use common::{page, run, sandbox, value};
use handlebox_sandbox::{ErrorKind, HandlerSet, HandlerSpec};
use serde_json::json;

/// Far above the 50 ms deadline, far below "hung": the call did stop.
const BOUND: Duration = Duration::from_secs(3);

fn assert_stops(source: &str, kind: ErrorKind) {
    assert_stops_with(source, &[kind]);
}

/// For builders that may run out of time or of memory first, depending on
/// how fast they allocate.
fn assert_stops_with(source: &str, kinds: &[ErrorKind]) {
    sandbox(); // compiled (or loaded) before the clock starts
    let started = Instant::now();
    let outcome = run(source);
    let elapsed = started.elapsed();
    let error = outcome
        .error
        .unwrap_or_else(|| panic!("{source} succeeded: {:?}", outcome.value));
    assert!(
        kinds.contains(&error.kind),
        "{source}: {:?} {}",
        error.kind,
        error.message
    );
    assert!(elapsed < BOUND, "{source} took {elapsed:?}");
    if error.kind == ErrorKind::Timeout {
        // The call's own cost: it ended within twice the 50 ms deadline.
        assert!(
            outcome.cost.micros <= 100_000,
            "{source} ran {} µs against a 50 ms deadline",
            outcome.cost.micros
        );
    }
    assert_eq!(
        value("return 1 + 1"),
        Some(json!(2)),
        "the sandbox still works"
    );
}

#[test]
fn infinite_loop_times_out() {
    assert_stops("while (true) {}", ErrorKind::Timeout);
}

#[test]
fn catching_cannot_swallow_the_deadline() {
    assert_stops(
        "try { while (true) {} } catch (e) {} return 'escaped';",
        ErrorKind::Timeout,
    );
    assert_stops(
        "for (;;) { try { while (true) {} } finally { continue; } }",
        ErrorKind::Timeout,
    );
}

#[test]
fn unbounded_recursion_is_stopped() {
    for source in [
        "function f(n) { return f(n + 1) + 1; } return f(0);",
        "function f() { try { return f(); } catch (e) { return f(); } } return f();",
        "function f(a) { return [a].map(f); } return f(1);",
    ] {
        assert_stops(source, ErrorKind::Thrown);
        assert_eq!(
            run(source).error.map(|e| e.message).as_deref(),
            Some("RangeError: Maximum call stack size exceeded"),
            "{source}"
        );
    }
}

#[test]
fn catastrophic_regex_times_out() {
    assert_stops(
        "return /^(a+)+$/.test('a'.repeat(40) + '!');",
        ErrorKind::Timeout,
    );
}

#[test]
fn huge_strings_hit_the_memory_cap() {
    assert_stops(
        "return 'x'.repeat(Math.pow(2, 28)).length;",
        ErrorKind::Memory,
    );
    assert_stops(
        "try { var s = 'ab'; while (true) s += s; } catch (e) { return 'caught'; }",
        ErrorKind::Memory,
    );
}

#[test]
fn growing_arrays_hit_a_limit() {
    assert_stops(
        "var a = []; while (true) a.push(new Float64Array(1 << 20));",
        ErrorKind::Memory,
    );
    assert_stops_with(
        "var a = []; while (true) a.push(new Array(100000).fill(a.length));",
        &[ErrorKind::Memory, ErrorKind::Timeout],
    );
    assert_stops_with(
        "var a = []; try { while (true) a.push({k: a.length}); } catch (e) {} return a.length;",
        &[ErrorKind::Memory, ErrorKind::Timeout],
    );
    assert_stops_with(
        "var s = ''; while (true) s += 'x';",
        &[ErrorKind::Memory, ErrorKind::Timeout],
    );
}

#[test]
fn prototype_and_global_changes_never_reach_another_page() {
    let specs = vec![
        HandlerSpec::variable(
            "polluter",
            "Object.prototype.polluted = 'yes'; Array.prototype.extra = 1;\n\
             globalThis.leak = event.secret; JSON.stringify = function () { return '\"x\"'; };\n\
             return 1;",
        ),
        HandlerSpec::variable(
            "observer",
            "return [typeof ({}).polluted, typeof [].extra, typeof leak, JSON.stringify({a: 1})];",
        ),
    ];
    let project = HandlerSet::compile(sandbox(), specs).unwrap();
    let mut first = project.open_page(&page()).unwrap();
    assert_eq!(
        first
            .call(0, &json!({"secret": "card-4242"}))
            .unwrap()
            .value,
        Some(json!(1))
    );
    let same_page = first.call(1, &json!({})).unwrap().value.unwrap();
    assert_eq!(
        same_page[0],
        json!("string"),
        "a page shares state like a browser tab"
    );

    let mut next = project.open_page(&page()).unwrap();
    assert_eq!(
        next.call(1, &json!({})).unwrap().value,
        Some(json!(["undefined", "undefined", "undefined", "{\"a\":1}"]))
    );
}

#[test]
fn no_host_objects_are_reachable() {
    let probe = "return [typeof require, typeof process, typeof Deno, \
                 typeof WebAssembly, typeof module, \
                 typeof Function('return this')().process, typeof this.constructor.constructor('return typeof process')()];";
    let all_undefined = json!([
        "undefined",
        "undefined",
        "undefined",
        "undefined",
        "undefined",
        "undefined",
        "string"
    ]);
    let result = value(probe).unwrap();
    assert_eq!(result, all_undefined);
    assert_eq!(
        value("return this.constructor.constructor('return typeof process')()"),
        Some(json!("undefined"))
    );
    // The page's browser has these names, and each only throws.
    for source in [
        "return fetch('http://127.0.0.1/')",
        "return new XMLHttpRequest()",
        "return setTimeout(function () {}, 0)",
        "return navigator.sendBeacon('http://127.0.0.1/', 'x')",
    ] {
        let error = run(source).error.unwrap();
        assert_eq!(error.kind, ErrorKind::Unsupported, "{source}");
        assert!(
            error.message.contains("is not available in the sandbox"),
            "{source}: {}",
            error.message
        );
    }
    for source in [
        "return require('fs')",
        "return process.env",
        "return Deno.readFileSync('/etc/passwd')",
    ] {
        let error = run(source).error.unwrap();
        assert_eq!(error.kind, ErrorKind::Thrown, "{source}");
        assert!(
            error.message.starts_with("ReferenceError"),
            "{source}: {}",
            error.message
        );
    }
}

#[test]
fn eval_and_function_stay_inside() {
    assert_eq!(value("return eval('1 + 2')"), Some(json!(3)));
    assert_eq!(
        value("return new Function('a', 'return a * 2')(4)"),
        Some(json!(8))
    );
    let error = run("return eval('while (true) {}')").error.unwrap();
    assert_eq!(error.kind, ErrorKind::Timeout);
}

#[test]
fn a_trap_costs_one_instance_and_the_page_goes_on() {
    let specs = vec![
        HandlerSpec::variable("loop", "while (true) {}"),
        HandlerSpec::variable(
            "spot",
            "return _digitalData('website.redesign') ? 'redesign' : 'old';",
        ),
    ];
    let project = HandlerSet::compile(sandbox(), specs).unwrap();
    let mut page = project.open_page(&page()).unwrap();
    assert_eq!(
        page.call(0, &json!({})).unwrap().error.unwrap().kind,
        ErrorKind::Timeout
    );
    assert_eq!(
        page.call(1, &json!({})).unwrap().value,
        Some(json!("redesign"))
    );
    assert_eq!(page.instances_used(), 2);
}
