//! A page's Result as `run`, `demo` and the replay print it: JSON, NDJSON,
//! the browser's JavaScript, or pretty text for people.

use std::fmt::Write as _;

use clap::ValueEnum;
use handlebox_flocktory::script;
use handlebox_pipeline::trace::IntegrationTrace;
use handlebox_pipeline::{ConfigFile, EventResult, PageResult};

/// How a Result is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// The Result: loader, every call, and per event its calls, variables,
    /// errors, warnings and console lines.
    Json,
    /// The `window.flocktory` calls a browser would run.
    Js,
    /// What ran, what each variable became, what failed and where.
    Pretty,
    /// One line of Result JSON per page, with `"page"` (its line or file)
    /// added: the format of many pages.
    Ndjson,
}

/// How Results are printed: the format, and the config they came from, so
/// that pretty text places a handler's error in its file when it has one.
#[derive(Debug, Clone, Copy)]
pub struct Printer<'a> {
    /// The format.
    pub format: Format,
    /// The config whose pipeline made the Results.
    pub config: &'a ConfigFile,
}

impl Printer<'_> {
    /// `result` in this printer's format.
    pub fn render(&self, result: &PageResult) -> String {
        render(result, self.format, self.config)
    }
}

/// The Result in `format`.
fn render(result: &PageResult, format: Format, config: &ConfigFile) -> String {
    match format {
        Format::Json => {
            let mut text = serde_json::to_string_pretty(result).unwrap_or_else(|e| {
                format!(
                    "{{\"error\": {{\"code\": \"encode\", \"message\": {:?}}}}}",
                    e.to_string()
                )
            });
            text.push('\n');
            text
        }
        Format::Ndjson => {
            let mut text = serde_json::to_string(result).unwrap_or_else(|e| {
                format!(
                    "{{\"error\": {{\"code\": \"encode\", \"message\": {:?}}}}}",
                    e.to_string()
                )
            });
            text.push('\n');
            text
        }
        Format::Js => javascript(result),
        Format::Pretty => pretty(result, config),
    }
}

fn javascript(result: &PageResult) -> String {
    script::page(result.loader.as_deref(), &result.calls)
}

fn pretty(result: &PageResult, config: &ConfigFile) -> String {
    let mut out = String::new();
    match &result.loader {
        Some(loader) => {
            let _ = writeln!(out, "loader  {loader}");
        }
        None => out.push_str("loader  none: Flocktory never started on this page\n"),
    }
    for warning in &result.warnings {
        let _ = writeln!(out, "warning {warning}");
    }
    for event in &result.events {
        out.push('\n');
        event_block(&mut out, event, config);
    }
    let _ = writeln!(
        out,
        "\n{} in all",
        crate::format::count(result.calls.len(), "call")
    );
    out
}

fn event_block(out: &mut String, event: &EventResult, config: &ConfigFile) {
    let origin = match (event.index, &event.source) {
        (Some(i), None) => format!("#{i}"),
        (Some(i), Some(source)) => format!("from {source} #{i}"),
        (None, Some(source)) => format!("added by the {source}"),
        (None, None) => String::new(),
    };
    let name = if event.name.is_empty() {
        "(no name)"
    } else {
        &event.name
    };
    let _ = writeln!(
        out,
        "{name} {origin}{}",
        if event.dropped { " — dropped" } else { "" }
    );
    for variable in &event.variables {
        let target = variable
            .product
            .as_deref()
            .map(|p| format!("{p}."))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  variable {target}{} = {}",
            variable.prop, variable.value
        );
    }
    for call in &event.calls {
        let _ = writeln!(out, "  call     {}", script::statement(call));
    }
    for error in &event.errors {
        let place = config.place(&error.handler, error.line, error.column);
        let _ = writeln!(
            out,
            "  error    {}: {}{place}: {}",
            error.handler,
            error.kind.as_str(),
            error.message
        );
    }
    for log in &event.logs {
        let _ = writeln!(
            out,
            "  console  {} {}: {}",
            log.handler, log.level, log.message
        );
    }
    for warning in &event.warnings {
        let _ = writeln!(out, "  warning  {warning}");
    }
    for trace in &event.trace {
        trace_block(out, trace);
    }
}

/// What one integration's handlers saw and changed on an event.
fn trace_block(out: &mut String, trace: &IntegrationTrace) {
    let _ = writeln!(out, "  trace    {}", trace.integration);
    let _ = writeln!(out, "    digitalData      {}", trace.digital_data);
    let _ = writeln!(out, "    received         {}", trace.received);
    for call in &trace.calls {
        let target = call
            .product
            .as_deref()
            .map(|p| format!(" on {p}"))
            .unwrap_or_default();
        let did = if !call.ran {
            "did not run".to_owned()
        } else if call.untraced {
            "ran; the event could not be traced after it".to_owned()
        } else if call.changed.is_empty() {
            "changed nothing".to_owned()
        } else {
            format!("changed {}", call.changed.join(", "))
        };
        let _ = writeln!(out, "    {}{target}: {did}", call.handler);
    }
    let _ = writeln!(out, "    after overrides  {}", trace.after_overrides);
    let _ = writeln!(out, "    after variables  {}", trace.after_variables);
}
