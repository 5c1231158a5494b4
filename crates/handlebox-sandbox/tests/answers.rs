//! Answers the sandbox must give as a browser gives them, found by trying
//! to break it, and a seeded generator of JavaScript programs that must
//! never make the engine fail (panic) instead of answering.

mod common;

use common::{run, sandbox, value};
use handlebox_sandbox::{ErrorKind, HandlerSet, HandlerSpec, finish_json};
use serde_json::{Value, json};

#[test]
fn an_inconsistent_comparator_sorts_somehow() {
    let code = "var a = []; for (var i = 0; i < 300; i++) a.push(i);\n\
                a.sort(function () { return Math.random() - 0.5; });\n\
                return a.slice().sort(function (x, y) { return x - y; }).length === 300 && a.length";
    assert_eq!(value(code), Some(json!(300)));
    let typed = "var t = new Float64Array(100); for (var i = 0; i < 100; i++) t[i] = i;\n\
                 t.sort(function () { return Math.random() - 0.5; }); return t.length";
    assert_eq!(value(typed), Some(json!(100)));
}

#[test]
fn sorting_follows_the_specification() {
    assert_eq!(
        value("return [3, 1, undefined, 10, , 2].sort()"),
        Some(json!([1, 10, 2, 3, null, null]))
    );
    assert_eq!(
        value("var a = [3, , 1]; a.sort(); return [a.length, 2 in a, a[0], a[1]]"),
        Some(json!([3, false, 1, 3]))
    );
    assert_eq!(
        value(
            "return [{k: 1, v: 'a'}, {k: 0, v: 'b'}, {k: 1, v: 'c'}, {k: 0, v: 'd'}].sort(function (x, y) { return x.k - y.k; }).map(function (o) { return o.v; }).join('')"
        ),
        Some(json!("bdac"))
    );
    assert_eq!(
        value(
            "var a = [3, 1, 2]; var b = a.toSorted(function (x, y) { return y - x; }); return [a, b]"
        ),
        Some(json!([[3, 1, 2], [3, 2, 1]]))
    );
    assert_eq!(
        value("return Array.prototype.sort.call({0: 'b', 1: 'a', length: 2})"),
        Some(json!({"0": "a", "1": "b", "length": 2}))
    );
    assert_eq!(
        value("return Array.from(new Int8Array([3, -1, 2]).sort())"),
        Some(json!([-1, 2, 3]))
    );
    let bad = run("return [1, 2].sort(1)");
    assert_eq!(bad.error.map(|e| e.kind), Some(ErrorKind::Thrown));
    assert_eq!(
        value("return [].sort.name + [].sort.length"),
        Some(json!("sort1"))
    );
    assert_eq!(
        value("Array = null; Object = null; return [3, 1, 2].sort()"),
        Some(json!([1, 2, 3])),
        "the sort keeps its own built-ins"
    );
}

#[test]
fn an_undefined_name_is_placed_at_the_name() {
    let error = run("var region = 1;\nreturn regoin + 1")
        .error
        .expect("fails");
    assert_eq!(error.kind, ErrorKind::Thrown);
    assert_eq!(error.message, "ReferenceError: regoin is not defined");
    assert_eq!((error.line, error.column), (Some(2), Some(8)));
    let error = run("return nope").error.expect("fails");
    assert_eq!((error.line, error.column), (Some(1), Some(8)));
}

#[test]
fn a_disguised_promise_is_still_unsupported() {
    let error = run(
        "Object.defineProperty(Promise, Symbol.hasInstance, {value: function () { return false; }});\n\
         return Promise.resolve(1)",
    )
    .error
    .expect("fails");
    assert_eq!(error.kind, ErrorKind::Unsupported);
}

#[test]
fn a_lone_surrogate_is_a_value_not_an_error() {
    assert_eq!(value("return '\\ud800'"), Some(json!("\u{fffd}")));
    assert_eq!(
        value("return {a: 'x\\udc00y', b: '\\\\ud800', c: '\\ud83d\\ude00'}"),
        Some(json!({"a": "x\u{fffd}y", "b": "\\ud800", "c": "\u{1F600}"}))
    );
}

#[test]
fn deep_recursion_reads_as_a_range_error_at_its_line() {
    let error =
        run("function f(n) { return f(n + 1) }\ntry { f(0) } catch (e) { return 'caught' }")
            .error
            .expect("fails");
    assert_eq!(error.kind, ErrorKind::Thrown);
    assert_eq!(
        error.message,
        "RangeError: Maximum call stack size exceeded"
    );
    assert_eq!(error.line, Some(1));
}

#[test]
fn values_json_writes_as_null_stay_marked_until_finished() {
    let mut returned =
        value("return {a: NaN, b: -Infinity, c: new Date(NaN), d: null, e: 1}").expect("a value");
    assert_ne!(returned["a"], Value::Null);
    finish_json(&mut returned);
    assert_eq!(
        returned,
        json!({"a": null, "b": null, "c": null, "d": null, "e": 1})
    );
    assert_eq!(value("return [null, 1]"), Some(json!([null, 1])));
}

/// A small deterministic generator (xorshift), so a failure names its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

/// An expression over the engine's built-ins, with values that stress them
/// (holes, NaN, negative zero, surrogates, getters, proxies).
fn expression(rng: &mut Rng, depth: u32) -> String {
    const ATOMS: &[&str] = &[
        "0",
        "-0",
        "1",
        "-1",
        "NaN",
        "Infinity",
        "2147483648",
        "1e21",
        "'a'",
        "''",
        "'\\ud800'",
        "'🙂'",
        "null",
        "undefined",
        "true",
        "[]",
        "[3, , 1]",
        "{}",
        "{a: 1, b: [2]}",
        "new Date(NaN)",
        "new Date(0)",
        "/a+/g",
        "Symbol('s')",
        "[1, 2, 3]",
        "new Uint8Array(4)",
        "new Map([[1, 2]])",
        "new Set([1])",
        "new Proxy({}, {get: function () { return 1; }})",
        "({get x() { return Math.random(); }, length: 3})",
        "'abc'.repeat(3)",
        "function (a, b) { return Math.random() - 0.5; }",
        "Object.create(null)",
    ];
    const CALLS: &[&str] = &[
        "[X, Y, X].sort(Y)",
        "[X, Y].sort(function (a, b) { return Math.random() - 0.5; })",
        "Array.from({length: 25}, function () { return X; }).sort(function () { return Y; })",
        "JSON.stringify(X)",
        "JSON.parse(JSON.stringify([X]) || '0')",
        "String(X).split(Y)",
        "String(X).replace(/./g, Y)",
        "[X].concat(Y).flat(Infinity)",
        "Object.keys(X)",
        "Object.assign({}, X)",
        "Array.prototype.slice.call(X, Y)",
        "[X, Y].join(X)",
        "Math.max(X, Y)",
        "parseInt(X, Y)",
        "Number(X).toFixed(2)",
        "String(X).padStart(5, Y)",
        "[X, Y].indexOf(X)",
        "new Array(3).fill(X).reverse()",
        "[X, Y].map(String)",
        "String(X).localeCompare(Y)",
        "encodeURIComponent(String(X))",
        "typeof X",
        "(X) + (Y)",
        "(X) == (Y)",
        "[X, Y].toSorted()",
        "Array.from(new Set([X, Y, X]))",
        "new RegExp(String(X).slice(0, 3) || 'x').test(Y)",
        "Object.entries(X || {}).length",
        "structuredClone === undefined",
        "Reflect.ownKeys(Object(X))",
        "[X, Y].at(-1)",
        "String(X).normalize()",
        "new Date(X).toISOString",
        "BigInt(1) + BigInt(2)",
    ];
    if depth == 0 || rng.next().is_multiple_of(3) {
        return rng.pick(ATOMS).to_owned();
    }
    let x = expression(rng, depth - 1);
    let y = expression(rng, depth - 1);
    rng.pick(CALLS).replace('X', &x).replace('Y', &y)
}

#[test]
fn generated_programs_never_make_the_engine_fail() {
    let project = HandlerSet::compile(
        sandbox(),
        vec![HandlerSpec::variable(
            "generated",
            "var r = []; for (var i = 0; i < event.programs.length; i++) {\n\
               try { r.push(typeof eval(event.programs[i])); } catch (e) { r.push('threw'); }\n\
             }\nreturn r.length",
        )],
    )
    .expect("compiles");
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    for batch in 0..60 {
        let programs: Vec<String> = (0..10).map(|_| expression(&mut rng, 3)).collect();
        let mut page = project.open_page(&common::page()).expect("page opens");
        let outcome = page
            .call(0, &json!({"name": "Viewed Page", "programs": programs}))
            .expect("call runs");
        // Every program runs inside try/catch: only the deadline or the
        // memory cap may end the call, never the engine itself.
        let failed = outcome
            .error
            .as_ref()
            .filter(|e| !matches!(e.kind, ErrorKind::Timeout | ErrorKind::Memory));
        assert!(
            failed.is_none(),
            "batch {batch}: {failed:?}\nprograms: {programs:#?}"
        );
    }
}

#[test]
fn a_fresh_page_shows_nothing_of_the_world_being_prepared() {
    // The snapshot's world has run a warm-up script; none of it shows.
    // The global object's own keys are the page's: its `digitalData`,
    // `dataLayer`, `location` and window globals, as in a browser.
    assert_eq!(
        value("return [Object.keys(globalThis), typeof RegExp.$1, /a/g.lastIndex, typeof warmUp];"),
        Some(json!([
            ["digitalData", "dataLayer", "location", "settings"],
            "undefined",
            0,
            "undefined"
        ]))
    );
}
