//! `handlebox run --page MANY`: a day of captured pages, or a dead-letter
//! directory, through one project, `--jobs` pages at a time, each page's
//! Result printed in input order.
//!
//! One thread reads pages, `jobs` threads process them, and the calling
//! thread prints them in order. Pages read but not yet printed are bounded
//! (a few per job), so memory stays flat however long the input is and
//! however slow one page is.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc::{Receiver, SyncSender, channel, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use handlebox_pipeline::{PageError, PageInput, PageResult, Pipeline};
use serde_json::{Map, Value, json};

use crate::error::CliError;
use crate::run::{Format, render};

/// Longest NDJSON line read as a page; longer lines are reported, not read.
const MAX_LINE_BYTES: usize = 16 << 20;

/// Pages in flight per job: read, being processed, or waiting to be printed.
const IN_FLIGHT_PER_JOB: usize = 4;

/// Where many pages come from.
#[derive(Debug)]
pub enum Pages {
    /// One page per line (`*.ndjson`, `*.jsonl`).
    Lines(PathBuf),
    /// One page per `*.json` file, in name order.
    Files(Vec<PathBuf>),
}

impl Pages {
    /// The pages at `path`, or `None` when `path` is one page's file.
    pub fn at(path: &Path) -> Result<Option<Self>, CliError> {
        if path.is_dir() {
            let entries = std::fs::read_dir(path).map_err(|e| {
                CliError::Input(format!("cannot read the directory {}: {e}", path.display()))
            })?;
            let mut files = Vec::new();
            for entry in entries {
                let entry = entry.map_err(|e| {
                    CliError::Input(format!("cannot read the directory {}: {e}", path.display()))
                })?;
                let file = entry.path();
                if file.extension().is_some_and(|e| e == "json") && file.is_file() {
                    files.push(file);
                }
            }
            files.sort();
            return Ok(Some(Pages::Files(files)));
        }
        let lines = path
            .extension()
            .is_some_and(|e| e == "ndjson" || e == "jsonl");
        Ok(lines.then(|| Pages::Lines(path.to_owned())))
    }
}

/// Which page a Result belongs to: its line (from 1) or its file name.
#[derive(Debug, Clone)]
enum Label {
    Line(u64),
    File(String),
}

impl Label {
    fn json(&self) -> Value {
        match self {
            Label::Line(line) => json!(line),
            Label::File(name) => json!(name),
        }
    }

    fn describe(&self) -> String {
        match self {
            Label::Line(line) => format!("line {line}"),
            Label::File(name) => name.clone(),
        }
    }
}

/// One page read from the input: its text, or why it could not be read.
struct Item {
    index: usize,
    label: Label,
    text: Result<String, String>,
}

/// One page done: what to print, and what to count.
struct Done {
    index: usize,
    text: String,
    events: usize,
    errors: usize,
    bad: bool,
}

/// Totals of a replay.
#[derive(Default)]
struct Totals {
    pages: usize,
    events: usize,
    errors: usize,
    bad: usize,
}

/// Processes every page of `pages` with `pipeline` and prints each Result.
pub fn replay(
    pipeline: &Pipeline,
    pages: Pages,
    jobs: usize,
    format: Format,
) -> Result<ExitCode, CliError> {
    if format == Format::Json {
        return Err(CliError::Input(
            "--format json prints one page; use --format ndjson (the default for many pages)"
                .to_owned(),
        ));
    }
    let jobs = jobs.max(1);
    let started = Instant::now();
    let (work_tx, work_rx) = sync_channel::<Item>(jobs);
    let (done_tx, done_rx) = channel::<Done>();
    let (token_tx, token_rx) = sync_channel::<()>(jobs * IN_FLIGHT_PER_JOB);
    for _ in 0..jobs * IN_FLIGHT_PER_JOB {
        let _ = token_tx.send(());
    }
    let work_rx = Arc::new(Mutex::new(work_rx));
    let mut totals = Totals::default();
    let read_error = thread::scope(|scope| {
        let reader = scope.spawn(move || read(pages, &work_tx, &token_rx));
        for _ in 0..jobs {
            let work_rx = Arc::clone(&work_rx);
            let done_tx = done_tx.clone();
            scope.spawn(move || work(pipeline, &work_rx, &done_tx, format));
        }
        drop(done_tx);
        print_in_order(&done_rx, &token_tx, &mut totals, started);
        reader.join().unwrap_or_else(|_| {
            Err(CliError::Input("the page reader stopped unexpectedly".to_owned()))
        })
    });
    let seconds = started.elapsed().as_secs_f64();
    let rate = if seconds > 0.0 {
        totals.pages as f64 / seconds
    } else {
        0.0
    };
    if std::io::stderr().is_terminal() {
        eprint!("\r\x1b[K");
    }
    eprintln!(
        "{} pages, {} events, {} handler errors in {seconds:.2} s ({rate:.0} pages/s)",
        totals.pages, totals.events, totals.errors
    );
    read_error?;
    Ok(if totals.bad > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Reads pages in order, each after a place in flight is free.
fn read(pages: Pages, work: &SyncSender<Item>, tokens: &Receiver<()>) -> Result<(), CliError> {
    let mut index = 0;
    let mut send = |label: Label, text: Result<String, String>| -> bool {
        if tokens.recv().is_err() {
            return false;
        }
        let item = Item { index, label, text };
        index += 1;
        work.send(item).is_ok()
    };
    match pages {
        Pages::Files(files) => {
            for file in files {
                let name = file
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let text = std::fs::read_to_string(&file).map_err(|e| format!("cannot read it: {e}"));
                if !send(Label::File(name), text) {
                    break;
                }
            }
        }
        Pages::Lines(path) => {
            let file = File::open(&path).map_err(|e| {
                CliError::Input(format!("cannot read the pages {}: {e}", path.display()))
            })?;
            let mut reader = BufReader::new(file);
            let mut number = 0u64;
            loop {
                number += 1;
                let line = match next_line(&mut reader) {
                    Ok(Some(line)) => line,
                    Ok(None) => break,
                    Err(e) => {
                        return Err(CliError::Input(format!(
                            "cannot read {} at line {number}: {e}",
                            path.display()
                        )));
                    }
                };
                let text = match line {
                    Line::Text(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => continue,
                    Line::Text(bytes) => {
                        String::from_utf8(bytes).map_err(|e| format!("the line is not UTF-8: {e}"))
                    }
                    Line::TooLong(bytes) => Err(format!(
                        "the line is {bytes} bytes, more than the {MAX_LINE_BYTES} bytes a page may have"
                    )),
                };
                if !send(Label::Line(number), text) {
                    break;
                }
            }
        }
    }
    Ok(())
}

/// A line of the input.
enum Line {
    Text(Vec<u8>),
    /// A line over [`MAX_LINE_BYTES`], skipped; its length.
    TooLong(usize),
}

/// The next line, without its line feed; `None` at the end.
fn next_line(reader: &mut impl BufRead) -> std::io::Result<Option<Line>> {
    let mut line = Vec::new();
    let read = reader
        .by_ref()
        .take(MAX_LINE_BYTES as u64 + 1)
        .read_until(b'\n', &mut line)?;
    if read == 0 {
        return Ok(None);
    }
    if line.last() == Some(&b'\n') {
        line.pop();
        return Ok(Some(Line::Text(line)));
    }
    if line.len() <= MAX_LINE_BYTES {
        return Ok(Some(Line::Text(line)));
    }
    let mut skipped = line.len();
    loop {
        let buffer = reader.fill_buf()?;
        if buffer.is_empty() {
            break;
        }
        match buffer.iter().position(|&b| b == b'\n') {
            Some(end) => {
                skipped += end;
                reader.consume(end + 1);
                break;
            }
            None => {
                let length = buffer.len();
                skipped += length;
                reader.consume(length);
            }
        }
    }
    Ok(Some(Line::TooLong(skipped)))
}

/// Processes pages until the input ends.
fn work(
    pipeline: &Pipeline,
    items: &Mutex<Receiver<Item>>,
    done: &std::sync::mpsc::Sender<Done>,
    format: Format,
) {
    loop {
        let item = match items.lock() {
            Ok(items) => items.recv(),
            Err(_) => return,
        };
        let Ok(item) = item else {
            return;
        };
        let page = item.text.and_then(|text| {
            PageInput::parse(&text).map_err(|e| match e {
                PageError::Json(message) => format!("not valid JSON: {message}"),
                shape => shape.to_string(),
            })
        });
        let finished = match page {
            Ok(page) => {
                let result = pipeline.process(&page);
                Done {
                    index: item.index,
                    text: output(&item.label, &result, format),
                    events: result.events.len(),
                    errors: result.events.iter().map(|e| e.errors.len()).sum(),
                    bad: false,
                }
            }
            Err(message) => Done {
                index: item.index,
                text: bad_page(&item.label, &message, format),
                events: 0,
                errors: 0,
                bad: true,
            },
        };
        if done.send(finished).is_err() {
            return;
        }
    }
}

/// A page's Result as printed: one NDJSON line with `"page"` first, or the
/// page's rendering under a header.
fn output(label: &Label, result: &PageResult, format: Format) -> String {
    match format {
        Format::Ndjson | Format::Json => {
            let mut line = Map::new();
            line.insert("page".to_owned(), label.json());
            if let Ok(Value::Object(fields)) = serde_json::to_value(result) {
                line.extend(fields);
            }
            let mut text = Value::Object(line).to_string();
            text.push('\n');
            text
        }
        Format::Js => format!("// page {}\n{}", label.describe(), render(result, format)),
        Format::Pretty => format!("page {}\n{}\n", label.describe(), render(result, format)),
    }
}

fn bad_page(label: &Label, message: &str, format: Format) -> String {
    match format {
        Format::Ndjson | Format::Json => {
            let line = json!({
                "page": label.json(),
                "error": {"code": "bad_page", "message": message},
            });
            format!("{line}\n")
        }
        Format::Js => format!("// page {}: bad_page: {message}\n", label.describe()),
        Format::Pretty => format!("page {}\nbad_page: {message}\n\n", label.describe()),
    }
}

/// Prints results in input order as they arrive, handing a place in flight
/// back for each; shows progress on a terminal.
fn print_in_order(
    done: &Receiver<Done>,
    tokens: &SyncSender<()>,
    totals: &mut Totals,
    started: Instant,
) {
    let progress = std::io::stderr().is_terminal();
    let mut last_progress = Instant::now();
    let mut waiting = BTreeMap::new();
    let mut next = 0;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for finished in done {
        waiting.insert(finished.index, finished);
        while let Some(ready) = waiting.remove(&next) {
            let _ = out.write_all(ready.text.as_bytes());
            totals.pages += 1;
            totals.events += ready.events;
            totals.errors += ready.errors;
            totals.bad += usize::from(ready.bad);
            next += 1;
            let _ = tokens.try_send(());
        }
        if progress && last_progress.elapsed() > Duration::from_millis(200) {
            let _ = out.flush();
            let seconds = started.elapsed().as_secs_f64();
            eprint!(
                "\r\x1b[K{} pages, {} events, {} handler errors ({:.0} pages/s)",
                totals.pages,
                totals.events,
                totals.errors,
                totals.pages as f64 / seconds.max(f64::EPSILON)
            );
            last_progress = Instant::now();
        }
    }
    let _ = out.flush();
}
