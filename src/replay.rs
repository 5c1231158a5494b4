//! `handlebox run --page MANY`: a day of captured pages, or a dead-letter
//! directory, through one project, `--jobs` pages at a time, each page's
//! Result printed in input order.
//!
//! `jobs` threads each read a page, process it and print whatever Results
//! are next in input order (no thread hands pages to another, so one job
//! runs on one thread alone). Pages read but not yet printed are bounded
//! (a few per job), so memory stays flat however long the input is and
//! however slow one page is.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use handlebox_pipeline::{Page, PageError, PageResult, Pipeline};
use serde_json::{Value, json};

use crate::error::CliError;
use crate::render::{Format, Printer};

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
#[derive(Debug, Default)]
struct Totals {
    pages: usize,
    events: usize,
    errors: usize,
    bad: usize,
}

/// The input, read one page at a time by whichever worker is free.
struct Input {
    pages: Pages,
    /// Files not read yet, or the open NDJSON file.
    files: std::vec::IntoIter<PathBuf>,
    lines: Option<BufReader<File>>,
    line: u64,
    next: usize,
    error: Option<CliError>,
}

impl Input {
    fn open(pages: Pages) -> Result<Self, CliError> {
        let (files, lines) = match &pages {
            Pages::Files(files) => (files.clone().into_iter(), None),
            Pages::Lines(path) => {
                let file = File::open(path).map_err(|e| {
                    CliError::Input(format!("cannot read the pages {}: {e}", path.display()))
                })?;
                (Vec::new().into_iter(), Some(BufReader::new(file)))
            }
        };
        Ok(Self {
            pages,
            files,
            lines,
            line: 0,
            next: 0,
            error: None,
        })
    }

    /// The next page, or `None` at the end (or after a read error, kept in
    /// `error`).
    fn next(&mut self) -> Option<Item> {
        let (label, text) = match &self.pages {
            Pages::Files(_) => {
                let file = self.files.next()?;
                let name = file
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let text = match std::fs::metadata(&file) {
                    Ok(meta) if meta.len() > MAX_LINE_BYTES as u64 => Err(format!(
                        "the file is {} bytes, more than the {MAX_LINE_BYTES} bytes a page may have",
                        meta.len()
                    )),
                    _ => std::fs::read_to_string(&file).map_err(|e| format!("cannot read it: {e}")),
                };
                (Label::File(name), text)
            }
            Pages::Lines(path) => loop {
                let reader = self.lines.as_mut()?;
                self.line += 1;
                let line = match next_line(reader) {
                    Ok(Some(line)) => line,
                    Ok(None) => return None,
                    Err(e) => {
                        self.error = Some(CliError::Input(format!(
                            "cannot read {} at line {}: {e}",
                            path.display(),
                            self.line
                        )));
                        self.lines = None;
                        return None;
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
                break (Label::Line(self.line), text);
            },
        };
        let index = self.next;
        self.next += 1;
        Some(Item { index, label, text })
    }
}

/// Results waiting for the ones before them, and what was printed.
struct Output {
    /// The index of the next Result to print.
    next: usize,
    /// Whether stdout was closed (`| head`): nothing more is read.
    closed: bool,
    waiting: BTreeMap<usize, Done>,
    totals: Totals,
    progress: Option<Instant>,
}

/// Processes every page of `pages` with `pipeline` and prints each Result;
/// exit 1 for a bad page, or with `strict` for a handler error.
pub fn replay(
    pipeline: &Pipeline,
    pages: Pages,
    jobs: usize,
    printer: Printer<'_>,
    strict: bool,
) -> Result<ExitCode, CliError> {
    if printer.format == Format::Json {
        return Err(CliError::Input(
            "--format json prints one page; use --format ndjson (the default for many pages)"
                .to_owned(),
        ));
    }
    let jobs = jobs.max(1);
    let started = Instant::now();
    let input = Mutex::new(Input::open(pages)?);
    let output = Mutex::new(Output {
        next: 0,
        closed: false,
        waiting: BTreeMap::new(),
        totals: Totals::default(),
        progress: std::io::stderr().is_terminal().then(Instant::now),
    });
    let printed = Condvar::new();
    let limit = jobs * IN_FLIGHT_PER_JOB;
    thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| work(pipeline, &input, &output, &printed, limit, printer, started));
        }
    });
    let _ = std::io::stdout().flush();
    let totals = output.into_inner().map(|o| o.totals).unwrap_or_default();
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
    if let Some(error) = input.into_inner().ok().and_then(|i| i.error) {
        return Err(error);
    }
    Ok(if totals.bad > 0 || (strict && totals.errors > 0) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Reads, processes and prints pages until the input ends. A worker waits
/// before reading while more than `limit` pages are ahead of the printed
/// ones, so one slow page cannot make the others pile up in memory.
fn work(
    pipeline: &Pipeline,
    input: &Mutex<Input>,
    output: &Mutex<Output>,
    printed: &Condvar,
    limit: usize,
    printer: Printer<'_>,
    started: Instant,
) {
    loop {
        let item = {
            let Ok(mut input) = input.lock() else {
                return;
            };
            let Ok(mut out) = output.lock() else {
                return;
            };
            while input.next >= out.next + limit && !out.closed {
                out = match printed.wait(out) {
                    Ok(out) => out,
                    Err(_) => return,
                };
            }
            if out.closed {
                return;
            }
            drop(out);
            input.next()
        };
        let Some(item) = item else {
            return;
        };
        let done = process(pipeline, item, printer);
        let Ok(mut out) = output.lock() else {
            return;
        };
        out.waiting.insert(done.index, done);
        print_ready(&mut out, started);
        printed.notify_all();
    }
}

/// Processes one page; a page that makes the pipeline panic (a bug) is
/// reported in its place rather than stopping the replay.
fn process(pipeline: &Pipeline, item: Item, printer: Printer<'_>) -> Done {
    let (index, label) = (item.index, item.label.clone());
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        process_page(pipeline, item, printer)
    }))
    .unwrap_or_else(|_| Done {
        index,
        text: failed_page(
            &label,
            "internal",
            "Handlebox failed on this page (a bug: please report it)",
            printer.format,
        ),
        events: 0,
        errors: 0,
        bad: true,
    })
}

fn process_page(pipeline: &Pipeline, item: Item, printer: Printer<'_>) -> Done {
    let page = item.text.and_then(|text| {
        Page::parse(&text).map_err(|e| match e {
            PageError::Json(message) => format!("not valid JSON: {message}"),
            shape => shape.to_string(),
        })
    });
    match page {
        Ok(page) => {
            let result = pipeline.process(&page);
            Done {
                index: item.index,
                text: output(&item.label, &result, printer),
                events: result.events.len(),
                errors: result.events.iter().map(|e| e.errors.len()).sum(),
                bad: false,
            }
        }
        Err(message) => Done {
            index: item.index,
            text: bad_page(&item.label, &message, printer.format),
            events: 0,
            errors: 0,
            bad: true,
        },
    }
}

/// Prints the Results that are next in input order; shows progress on a
/// terminal.
fn print_ready(out: &mut Output, started: Instant) {
    let stdout = std::io::stdout();
    let mut stdout = stdout.lock();
    while let Some(ready) = out.waiting.remove(&out.next) {
        if !out.closed && stdout.write_all(ready.text.as_bytes()).is_err() {
            out.closed = true;
        }
        out.totals.pages += 1;
        out.totals.events += ready.events;
        out.totals.errors += ready.errors;
        out.totals.bad += usize::from(ready.bad);
        out.next += 1;
    }
    if let Some(last) = out.progress
        && last.elapsed() > Duration::from_millis(200)
    {
        let _ = stdout.flush();
        let seconds = started.elapsed().as_secs_f64().max(f64::EPSILON);
        eprint!(
            "\r\x1b[K{} pages, {} events, {} handler errors ({:.0} pages/s)",
            out.totals.pages,
            out.totals.events,
            out.totals.errors,
            out.totals.pages as f64 / seconds
        );
        out.progress = Some(Instant::now());
    }
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

/// A page's Result as printed: one NDJSON line with `"page"` first, or the
/// page's rendering under a header.
fn output(label: &Label, result: &PageResult, printer: Printer<'_>) -> String {
    match printer.format {
        Format::Ndjson | Format::Json => {
            // `{"page":…,` then the Result's own fields, without copying it
            // into a map first.
            let fields = serde_json::to_string(result).unwrap_or_else(|_| "{}".to_owned());
            let rest = fields.strip_prefix('{').unwrap_or("}");
            let separator = if rest == "}" { "" } else { "," };
            format!("{{\"page\":{}{separator}{rest}\n", label.json())
        }
        Format::Js => format!("// page {}\n{}", label.describe(), printer.render(result)),
        Format::Pretty => format!("page {}\n{}\n", label.describe(), printer.render(result)),
    }
}

fn bad_page(label: &Label, message: &str, format: Format) -> String {
    failed_page(label, "bad_page", message, format)
}

/// A page that has no Result: its error, with `code`, in its place.
fn failed_page(label: &Label, code: &str, message: &str, format: Format) -> String {
    match format {
        Format::Ndjson | Format::Json => {
            let line = json!({
                "page": label.json(),
                "error": {"code": code, "message": message},
            });
            format!("{line}\n")
        }
        Format::Js => format!("// page {}: {code}: {message}\n", label.describe()),
        Format::Pretty => format!("page {}\n{code}: {message}\n\n", label.describe()),
    }
}
