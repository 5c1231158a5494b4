//! Every error kind, with its line and column in the handler's own text.

mod common;

use common::{compile_error, run, run_spec, sandbox};
use handlebox_sandbox::{ErrorKind, HandlerSet, HandlerSpec, PageContext, SandboxError};
use serde_json::json;

#[test]
fn syntax_error_in_body_form_is_placed_in_the_body() {
    let error = compile_error(HandlerSpec::variable("spot", "var a = 1;\nreturn a +;"));
    assert_eq!(error.kind, ErrorKind::Syntax);
    assert_eq!((error.line, error.column), (Some(2), Some(11)));
    assert!(
        error.message.starts_with("SyntaxError"),
        "{}",
        error.message
    );
}

#[test]
fn syntax_error_in_function_form_is_placed_in_the_function() {
    let error = compile_error(HandlerSpec::variable(
        "spot",
        "function (event) {\n  return event.;\n}",
    ));
    assert_eq!(error.kind, ErrorKind::Syntax);
    assert_eq!((error.line, error.column), (Some(2), Some(16)));
}

#[test]
fn unterminated_body_is_placed_at_its_end() {
    let error = compile_error(HandlerSpec::variable("spot", "if (x) {\n  return 1;"));
    assert_eq!(error.kind, ErrorKind::Syntax);
    assert_eq!(error.line, Some(2));
}

#[test]
fn a_body_cannot_close_the_wrapper() {
    let error = compile_error(HandlerSpec::variable(
        "escape",
        "return 1; }); globalThis.owned = true; (function () {",
    ));
    assert_eq!(error.kind, ErrorKind::Syntax);
    assert_eq!(error.line, Some(1));
}

#[test]
fn every_broken_handler_of_a_project_is_reported() {
    let specs = vec![
        HandlerSpec::variable("good", "return 1"),
        HandlerSpec::variable("bad one", "return ("),
        HandlerSpec::variable("bad two", "function (e) { return }}"),
    ];
    let Err(SandboxError::Compile(errors)) = HandlerSet::compile(sandbox(), specs) else {
        panic!("must not compile");
    };
    let labels: Vec<_> = errors.errors.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(labels, ["bad one", "bad two"]);
}

#[test]
fn thrown_error_is_placed_where_it_was_thrown() {
    let outcome = run("var x = event.id;\nif (x) {\n    throw new Error('no ' + x);\n}");
    let error = outcome.error.unwrap();
    assert_eq!(error.kind, ErrorKind::Thrown);
    assert_eq!(error.message, "Error: no 7");
    assert_eq!((error.line, error.column), (Some(3), Some(11)));
}

#[test]
fn type_error_in_function_form_is_placed() {
    let outcome = run("function (event) {\n  return event.user.email;\n}");
    let error = outcome.error.unwrap();
    assert_eq!(error.kind, ErrorKind::Thrown);
    assert!(error.message.starts_with("TypeError"), "{}", error.message);
    assert_eq!(error.line, Some(2));
}

#[test]
fn thrown_non_errors_are_reported_as_text() {
    let error = run("throw 'plain text';").error.unwrap();
    assert_eq!(
        (error.kind, error.message.as_str()),
        (ErrorKind::Thrown, "plain text")
    );
}

#[test]
fn browser_only_helpers_are_unsupported() {
    for source in [
        "return this.fetch('/api')",
        "return _fetch('/api')",
        "this.loadPixel('x')",
    ] {
        let error = run(source).error.unwrap();
        assert_eq!(error.kind, ErrorKind::Unsupported, "{source}");
        assert!(
            error.message.contains("not available in the sandbox"),
            "{}",
            error.message
        );
        assert_eq!(error.line, Some(1), "{source}");
    }
}

#[test]
fn a_promise_result_is_unsupported() {
    for source in [
        "return Promise.resolve(1)",
        "async function (event) { return 1; }",
        "return import('/etc/passwd')",
    ] {
        let error = run(source).error.unwrap();
        assert_eq!(error.kind, ErrorKind::Unsupported, "{source}");
        assert_eq!(
            error.message,
            "async handlers are not supported for event variables"
        );
    }
}

#[test]
fn unconvertible_results_are_output_errors() {
    for source in [
        "var a = {}; a.self = a; return a;",
        "return 10n;",
        "return {n: 1n};",
    ] {
        let error = run(source).error.unwrap();
        assert_eq!(error.kind, ErrorKind::Output, "{source}");
    }
}

#[test]
fn oversized_results_are_output_errors() {
    let error = run("return 'x'.repeat(300 * 1024);").error.unwrap();
    assert_eq!(error.kind, ErrorKind::Output);
    assert!(
        error.message.contains("more than the limit"),
        "{}",
        error.message
    );
}

#[test]
fn deep_or_huge_input_is_refused() {
    let mut deep = json!(1);
    for _ in 0..100 {
        deep = json!({"a": deep});
    }
    let error = run_spec(HandlerSpec::variable("x", "return 1"), deep)
        .error
        .unwrap();
    assert_eq!(error.kind, ErrorKind::Input);
    assert!(
        error.message.contains("deeper than 64"),
        "{}",
        error.message
    );

    let huge = json!({"blob": "x".repeat(2 << 20)});
    let error = run_spec(HandlerSpec::variable("x", "return 1"), huge)
        .error
        .unwrap();
    assert_eq!(error.kind, ErrorKind::Input);

    let project =
        HandlerSet::compile(sandbox(), vec![HandlerSpec::variable("x", "return 1")]).unwrap();
    let page = PageContext {
        digital_data: json!({"blob": "x".repeat(2 << 20)}),
        ..PageContext::default()
    };
    assert!(matches!(
        project.open_page(&page),
        Err(SandboxError::Input(_))
    ));
}

#[test]
fn calling_a_missing_handler_is_an_error_not_a_panic() {
    let project =
        HandlerSet::compile(sandbox(), vec![HandlerSpec::variable("x", "return 1")]).unwrap();
    let mut page = project.open_page(&PageContext::default()).unwrap();
    assert!(matches!(
        page.call(3, &json!({})),
        Err(SandboxError::NoSuchHandler { index: 3, count: 1 })
    ));
}
