//! `handlebox test` through the real binary: the example suite, the
//! deliberately failing case's diff and exit status, `--update`, JUnit
//! output, and the docs that show these files.

mod support;

use serde_json::{Value, json};
use support::{handlebox, root, stderr, stdout, temp_dir, write};

fn last_line(text: &str) -> &str {
    text.trim_end().lines().last().unwrap_or_default()
}

#[test]
fn the_example_suite_passes() {
    let out = handlebox(&["test", "--format", "pretty", "fixtures/tests"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert_eq!(last_line(&text), "8 passed, 0 failed");
    assert!(text.contains(
        "PASS  fixtures/tests/spot.test.json › spot is \"redesign\" on the redesigned site"
    ));
}

const FAILING_LINES: [&str; 2] = [
    "FAIL  fixtures/failing-tests/spot-wrong.test.json › spot is \"old\" on the redesigned site (wrong on purpose)",
    "      event \"Viewed Page\": variable spot is \"redesign\", expected \"old\"",
];

#[test]
fn a_failing_case_shows_its_diff_and_exits_1() {
    let out = handlebox(&["test", "--format", "pretty", "fixtures/failing-tests"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    for line in FAILING_LINES {
        assert!(text.lines().any(|l| l == line), "{line:?} not in\n{text}");
    }
    assert!(text.contains(
        "missing call: postcheckout with {\"spot\":\"old\"}; the postcheckout calls were:"
    ));
    assert_eq!(last_line(&text), "0 passed, 1 failed");
}

#[test]
fn failing_cases_show_handler_errors_with_their_place() {
    let dir = temp_dir("test-diagnostics");
    let config = root().join("fixtures/configs/throwing.json");
    let page = root().join("fixtures/pages/home-anonymous.json");
    let file = write(
        &dir,
        "noisy.test.json",
        &json!({"config": config, "cases": [{"name": "expects no errors", "page": page, "expect": {"noErrors": true}}]})
            .to_string(),
    );
    let out = handlebox(&["test", "--format", "pretty", file.to_str().unwrap()]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(text.contains("handlers on this page:"), "{text}");
    assert!(
        text.contains("Viewed Page: Flocktory eventEnrichments[0] (spot) thrown at line 1, column"),
        "{text}"
    );
}

#[test]
fn every_kind_of_expectation_can_fail() {
    let dir = temp_dir("test-each-kind-fails");
    let config = root().join("fixtures/configs/demo.json");
    let page = root().join("fixtures/pages/thank-you.json");
    let wrong = [
        ("calls", json!({"calls": []})),
        (
            "loader",
            json!({"loader": "https://api.flocktory.com/v2/loader.js?site_id=1"}),
        ),
        (
            "contains",
            json!({"contains": [{"command": "trackItemView"}]}),
        ),
        (
            "excludes",
            json!({"excludes": [{"command": "postcheckout"}]}),
        ),
        (
            "errors",
            json!({"errors": [{"event": 0, "kind": "timeout"}]}),
        ),
        (
            "variables",
            json!({"variables": [{"event": "Viewed Page", "prop": "spot", "value": "old"}]}),
        ),
    ];
    let cases: Vec<Value> = wrong
        .iter()
        .map(|(name, expect)| json!({"name": name, "page": page, "expect": expect}))
        .collect();
    let file = write(
        &dir,
        "wrong.test.json",
        &json!({"config": config, "cases": cases}).to_string(),
    );
    let out = handlebox(&["test", "--format", "pretty", file.to_str().unwrap()]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    for (name, _) in wrong {
        assert!(
            text.lines()
                .any(|l| l.starts_with("FAIL") && l.ends_with(&format!("› {name}"))),
            "{name} did not fail:\n{text}"
        );
    }
    assert_eq!(last_line(&text), "0 passed, 6 failed");
}

#[test]
fn files_that_could_never_fail_are_errors_naming_file_case_and_key() {
    let dir = temp_dir("test-never-fails");
    let config = root().join("fixtures/configs/demo.json");
    let page = root().join("fixtures/pages/thank-you.json");
    let files = [
        (
            "typo.test.json",
            json!({"config": config, "cases": [{"name": "typo", "page": page, "expected": {"calls": []}}]}),
            "$.cases[0].expected: unknown field `expected`, expected one of `name`",
        ),
        (
            "idle.test.json",
            json!({"config": config, "cases": [{"name": "idle", "page": page}]}),
            "$.cases[0].expect: case \"idle\" expects nothing",
        ),
        (
            "empty.test.json",
            json!({"config": config, "cases": []}),
            "$.cases: is empty",
        ),
    ];
    for (name, content, message) in files {
        let file = write(&dir, name, &content.to_string());
        let out = handlebox(&["test", "--format", "pretty", file.to_str().unwrap()]);
        let text = format!("{}{}", stdout(&out), String::from_utf8_lossy(&out.stderr));
        assert_ne!(out.status.code(), Some(0), "{name} passed:\n{text}");
        assert!(
            text.contains(name) && text.contains(message),
            "{name}: {message:?} not in\n{text}"
        );
        assert!(
            !text.contains(" 0 failed"),
            "{name} counted as passing:\n{text}"
        );
    }
}

#[test]
fn update_records_snapshots_that_later_runs_check() {
    let dir = temp_dir("test-update");
    let config = root().join("fixtures/configs/demo.json");
    let page = root().join("fixtures/pages/thank-you.json");
    let file = write(
        &dir,
        "snap.test.json",
        &json!({"config": config, "cases": [
            {"name": "recorded", "page": page, "snapshot": true},
            {"name": "later", "page": page, "skip": "not written yet"}
        ]})
        .to_string(),
    );
    let path = file.to_str().unwrap();
    let before = handlebox(&["test", "--format", "pretty", path]);
    assert_eq!(before.status.code(), Some(1));
    assert!(stdout(&before).contains("no snapshot recorded yet"));

    let written = std::fs::read_to_string(&file).unwrap();
    let update = handlebox(&["test", "--format", "pretty", "--update", path]);
    assert_eq!(update.status.code(), Some(0), "{}", stdout(&update));
    assert_eq!(last_line(&stdout(&update)), "1 passed, 0 failed, 1 skipped");
    let updated = std::fs::read_to_string(&file).unwrap();
    let later = r#"{"name":"later","page":"#;
    assert!(
        written.contains(later) && updated.contains(later),
        "the other case keeps its layout:\n{updated}"
    );
    assert!(
        updated.starts_with(&written[..written.find("\"snapshot\"").unwrap()]),
        "{updated}"
    );
    let again = handlebox(&["test", "--format", "pretty", "--update", path]);
    assert_eq!(again.status.code(), Some(0));
    assert!(
        stderr(&again).contains("snap.test.json: nothing to update"),
        "{}",
        stderr(&again)
    );
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        updated,
        "the file is untouched"
    );
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let run = handlebox(&[
        "run",
        "--config",
        config.to_str().unwrap(),
        "--page",
        page.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let result: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(saved["cases"][0]["expect"]["calls"], result["calls"]);

    assert_eq!(
        handlebox(&["test", "--format", "pretty", path])
            .status
            .code(),
        Some(0)
    );
    let mut tampered = saved.clone();
    tampered["cases"][0]["expect"]["calls"][0][1][1]["user"]["name"] = json!("Someone Else");
    std::fs::write(&file, tampered.to_string()).unwrap();
    let after = handlebox(&["test", "--format", "pretty", path]);
    assert_eq!(after.status.code(), Some(1));
    assert!(
        stdout(&after)
            .contains("calls[0][1][1].user.name: expected \"Someone Else\", got \"Anna Petrova\""),
        "{}",
        stdout(&after)
    );
}

#[test]
fn junit_has_one_testcase_per_case_and_failures_with_messages() {
    let out = handlebox(&[
        "test",
        "--format",
        "junit",
        "fixtures/tests",
        "fixtures/failing-tests",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let xml = stdout(&out);
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"handlebox\" tests=\"9\" failures=\"1\""), "{xml}");
    assert_eq!(xml.matches("<testcase ").count(), 9);
    assert_eq!(xml.matches("<testsuite ").count(), 5);
    assert_eq!(xml.matches("</testsuite>").count(), 5);
    assert_eq!(
        xml.matches("<failure message=\"event &quot;Viewed Page&quot;")
            .count()
            + xml.matches("<failure message=\"missing call").count(),
        1
    );
    assert!(xml.contains("classname=\"fixtures/failing-tests/spot-wrong.test.json\""));
    assert!(xml.trim_end().ends_with("</testsuites>"));
    assert_eq!(
        last_line(&String::from_utf8_lossy(&out.stderr)),
        "8 passed, 1 failed"
    );
}

#[test]
fn broken_test_files_fail_clearly() {
    let dir = temp_dir("test-broken");
    let file = write(
        &dir,
        "bad.test.json",
        r#"{"cases": [{"page": {}, "config": {}, "expect": {"call": []}}]}"#,
    );
    let out = handlebox(&["test", "--format", "pretty", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out)
            .contains("$.cases[0].expect.call: unknown field `call`, expected one of `calls`"),
        "{}",
        stdout(&out)
    );
    let missing = handlebox(&["test", "--format", "pretty", "no/such/dir"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot read no/such/dir"));
}

#[test]
fn check_flags_what_cannot_work_on_the_server() {
    let out = handlebox(&[
        "check",
        "--format",
        "pretty",
        "--config",
        "fixtures/configs/lint.json",
    ]);
    let text = stdout(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "warnings do not fail a check: {text}"
    );
    for expected in [
        "warning: Flocktory option eventEnrichments[0].handler: uses setTimeout, which a handler cannot do",
        "warning: Flocktory option eventEnrichments[1].event: \"Viewed Product Category\" never matches",
        "warning: Flocktory option eventEnrichments[2].handler: has no return statement",
        "warning: Flocktory option overrideFunctions.event: uses _loadPixel",
        "warning: Flocktory option exchangeTriggerEvent: \"Viewed Product Category\" never matches",
    ] {
        assert!(text.contains(expected), "{expected:?} not in\n{text}");
    }
    assert_eq!(
        last_line(&text),
        "fixtures/configs/lint.json: 0 errors, 5 warnings"
    );
}

#[test]
fn docs_show_the_fixtures_as_they_are() {
    let doc = std::fs::read_to_string(root().join("docs/integrators.md")).unwrap();
    let mut shown = 0;
    for (at, _) in doc.match_indices("<!-- fixture: ") {
        let rest = &doc[at + "<!-- fixture: ".len()..];
        let path = &rest[..rest.find(" -->").unwrap()];
        let block = &rest[rest.find("```").unwrap()..];
        let body_start = block.find('\n').unwrap() + 1;
        let body = &block[body_start..body_start + block[body_start..].find("```").unwrap()];
        let file =
            std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(
            body.trim_end(),
            file.trim_end(),
            "docs/integrators.md shows an old {path}"
        );
        shown += 1;
    }
    assert_eq!(shown, 6);
    for line in FAILING_LINES {
        assert!(
            doc.contains(line.trim_start()),
            "the docs' failing output lacks {line:?}"
        );
    }
    for text in [
        doc,
        std::fs::read_to_string(root().join("README.md")).unwrap(),
    ] {
        for (at, _) in text.match_indices("fixtures/") {
            let path: String = text[at..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || "/-_.".contains(*c))
                .collect();
            let path = path.trim_end_matches('.');
            assert!(
                root().join(path).exists(),
                "a document names {path}, which does not exist"
            );
        }
    }
}

#[test]
fn filter_runs_the_cases_whose_name_contains_it() {
    let out = handlebox(&[
        "test",
        "--format",
        "pretty",
        "fixtures/tests",
        "--filter",
        "spot is",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let text = stdout(&out);
    assert_eq!(last_line(&text), "2 passed, 0 failed", "{text}");
    assert!(text.contains("spot is \"old\" on the old site"), "{text}");
    let none = handlebox(&[
        "test",
        "--format",
        "pretty",
        "fixtures/tests",
        "--filter",
        "no such case",
    ]);
    assert_eq!(none.status.code(), Some(2));
    assert!(
        stderr(&none).contains("no case's name contains \"no such case\""),
        "{}",
        stderr(&none)
    );
}

/// A shell command line of the docs as arguments: words split at spaces,
/// `"…"` kept whole, `\` line continuations joined.
fn words(command: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    for c in command.replace("\\\n", " ").chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

#[test]
fn docs_sample_outputs_are_what_the_commands_print() {
    let doc = std::fs::read_to_string(root().join("docs/integrators.md")).unwrap();
    let mut samples = 0;
    for (at, _) in doc.match_indices("```sh\n") {
        let rest = &doc[at + "```sh\n".len()..];
        let end = rest.find("```\n").expect("a closed block");
        let Some(output) = rest[end + 4..].strip_prefix("\n```text\n") else {
            continue;
        };
        let command = rest[..end].trim_end();
        let expected = &output[..output.find("```\n").expect("a closed output block")];
        let mut args = words(command);
        assert_eq!(args.remove(0), "handlebox", "{command}");
        if !args.iter().any(|a| a == "--format") {
            args.extend(["--format".to_owned(), "pretty".to_owned()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = handlebox(&args);
        let actual = stdout(&out);
        let costless = |text: &str| -> Vec<String> {
            text.lines()
                .map(|line| match line.strip_prefix("cost      ") {
                    Some(cost) => format!(
                        "cost      … ms{}",
                        &cost[cost.find(" ms").unwrap_or(0) + 3..]
                    ),
                    None => line.to_owned(),
                })
                .collect()
        };
        assert_eq!(
            costless(&actual),
            costless(expected),
            "docs/integrators.md shows an old output of `{command}`"
        );
        samples += 1;
    }
    assert_eq!(samples, 5, "the docs' sample outputs");
}
