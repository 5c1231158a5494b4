//! `handlebox run --page MANY` through the real binary: NDJSON and
//! directories, one Result line per page in input order with its `"page"`,
//! bad pages reported in place, the summary line, and the same output
//! whatever `--jobs` is.

mod support;

use std::path::Path;
use std::process::Output;

use serde_json::Value;
use support::{handlebox, root, stderr, temp_dir};

const SHOP: &str = "fixtures/configs/shop.json";

fn page(name: &str) -> String {
    let text = std::fs::read_to_string(root().join("fixtures/pages").join(name)).expect("fixture");
    let value: Value = serde_json::from_str(&text).expect("fixture JSON");
    value.to_string()
}

fn lines(output: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is JSON"))
        .collect()
}

fn run(pages: &Path, extra: &[&str]) -> Output {
    let pages = pages.to_str().expect("UTF-8 path");
    let mut args = vec!["run", "--config", SHOP, "--page", pages];
    args.extend_from_slice(extra);
    handlebox(&args)
}

#[test]
fn ndjson_pages_come_back_in_order_with_bad_lines_in_place() {
    let dir = temp_dir("replay-ndjson");
    let file = dir.join("day.ndjson");
    let text = [
        page("thank-you.json"),
        page("home-anonymous.json"),
        String::new(),
        "{not json".to_owned(),
        page("listing-24.json"),
        r#"{"digitalData": []}"#.to_owned(),
        page("cart.json"),
    ]
    .join("\n");
    std::fs::write(&file, text + "\n").expect("write pages");

    let out = run(&file, &["--jobs", "2"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "bad pages end with 1: {}",
        stderr(&out)
    );
    let results = lines(&out);
    let labels: Vec<&Value> = results.iter().map(|r| &r["page"]).collect();
    assert_eq!(
        labels,
        [1, 2, 4, 5, 6, 7],
        "blank line 3 is skipped, numbers are lines"
    );
    assert_eq!(results[2]["error"]["code"], "bad_page");
    assert!(
        results[2]["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("not valid JSON")),
        "{}",
        results[2]
    );
    assert_eq!(results[4]["error"]["code"], "bad_page");
    for good in [0, 1, 3, 5] {
        assert!(results[good]["events"].is_array(), "{}", results[good]);
        assert!(results[good]["error"].is_null());
    }
    // The thank-you page's Result is the one `run` gives for it alone.
    let alone = handlebox(&[
        "run",
        "--config",
        SHOP,
        "--page",
        "fixtures/pages/thank-you.json",
        "--format",
        "json",
    ]);
    let mut expected: Value = serde_json::from_slice(&alone.stdout).expect("json");
    expected
        .as_object_mut()
        .expect("object")
        .insert("page".to_owned(), Value::from(1));
    assert_eq!(results[0], expected);

    let summary = stderr(&out);
    let last = summary.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("6 pages, ")
            && last.contains(" handler errors in ")
            && last.ends_with(" pages/s)"),
        "{summary}"
    );
}

#[test]
fn jobs_do_not_change_the_output() {
    let dir = temp_dir("replay-jobs");
    let file = dir.join("mixed.jsonl");
    let pages: Vec<String> = [
        "thank-you-6kb.json",
        "listing-24.json",
        "product.json",
        "cart.json",
        "home-anonymous.json",
    ]
    .iter()
    .cycle()
    .take(40)
    .map(|name| page(name))
    .collect();
    std::fs::write(&file, pages.join("\n")).expect("write pages");
    let one = run(&file, &["--jobs", "1"]);
    let four = run(&file, &["--jobs", "4", "--format", "ndjson"]);
    assert_eq!(one.status.code(), Some(0), "{}", stderr(&one));
    assert_eq!(four.status.code(), Some(0), "{}", stderr(&four));
    assert_eq!(lines(&one).len(), 40);
    assert_eq!(one.stdout, four.stdout);
}

#[test]
fn a_directory_replays_its_json_files_in_name_order() {
    let dir = temp_dir("replay-dir");
    std::fs::write(dir.join("b.json"), page("thank-you.json")).expect("write");
    std::fs::write(dir.join("a.json"), page("home-anonymous.json")).expect("write");
    std::fs::write(dir.join("c.json"), "[]").expect("write");
    std::fs::write(dir.join("notes.txt"), "not a page").expect("write");
    let out = run(&dir, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let results = lines(&out);
    let labels: Vec<&Value> = results.iter().map(|r| &r["page"]).collect();
    assert_eq!(labels, ["a.json", "b.json", "c.json"]);
    assert_eq!(results[2]["error"]["code"], "bad_page");
    assert!(
        stderr(&out)
            .lines()
            .last()
            .unwrap_or_default()
            .starts_with("3 pages, ")
    );
}

#[test]
fn many_pages_refuse_the_one_page_json_format() {
    let dir = temp_dir("replay-format");
    let file = dir.join("pages.ndjson");
    std::fs::write(&file, page("thank-you.json")).expect("write");
    let out = run(&file, &["--format", "json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("use --format ndjson"),
        "{}",
        stderr(&out)
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn an_overlong_line_is_reported_and_the_run_goes_on() {
    let dir = temp_dir("replay-long");
    let file = dir.join("pages.ndjson");
    let long = format!(
        "{{\"digitalData\": {{\"x\": \"{}\"}}}}",
        "a".repeat(17 << 20)
    );
    std::fs::write(&file, [long, page("thank-you.json")].join("\n")).expect("write");
    let out = run(&file, &["--jobs", "1"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let results = lines(&out);
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["error"]["code"], "bad_page");
    assert!(
        results[0]["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("more than the 16777216 bytes")),
        "{}",
        results[0]
    );
    assert_eq!(results[1]["page"], 2);
    assert!(results[1]["events"].is_array());
}

#[test]
fn an_overlarge_file_in_a_directory_is_reported_without_being_read() {
    let dir = temp_dir("replay-large-file");
    let big = format!(
        "{{\"digitalData\": {{\"x\": \"{}\"}}}}",
        "a".repeat(17 << 20)
    );
    std::fs::write(dir.join("a.json"), big).expect("write");
    std::fs::write(dir.join("b.json"), page("thank-you.json")).expect("write");
    let out = run(&dir, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let results = lines(&out);
    assert_eq!(results[0]["error"]["code"], "bad_page");
    assert!(
        results[0]["error"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("the file is ")),
        "{}",
        results[0]
    );
    assert!(results[1]["events"].is_array());
}

#[test]
fn a_reader_that_stops_early_stops_the_replay() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let dir = temp_dir("replay-closed");
    let file = dir.join("many.ndjson");
    let one = page("thank-you.json");
    std::fs::write(&file, vec![one.as_str(); 3000].join("\n")).expect("write");
    let mut child = Command::new(support::binary())
        .env("HANDLEBOX_CACHE_DIR", support::module_cache())
        .args(["run", "--config", SHOP, "--jobs", "1", "--page"])
        .arg(&file)
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("a first line");
    assert!(first.starts_with("{\"page\":1,"), "{first}");
    // The pipe is closed here; the replay notices at its next write.
    let out = child.wait_with_output().expect("exits");
    let summary = String::from_utf8_lossy(&out.stderr);
    let pages: usize = summary
        .lines()
        .last()
        .and_then(|l| l.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("a summary line");
    assert!(pages < 3000, "it stopped reading: {summary}");
}
