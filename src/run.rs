//! `handlebox run` and `handlebox demo`: a page through a project, printed
//! as the Result JSON, as the JavaScript a browser would run, or for people.

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::thread;

use clap::{Args, ValueEnum};
use handlebox_pipeline::{EventResult, PageResult};
use handlebox_sandbox::{Sandbox, SandboxConfig};

use handlebox_flocktory::script;

use crate::error::CliError;
use crate::files;
use crate::limits::LimitArgs;
use crate::replay::{self, Pages};

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

/// Arguments of `handlebox run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The project config (SegmentStream's export).
    #[arg(long)]
    config: PathBuf,
    /// The page: a bare `digitalData` or `{digitalData, url, cookies, …}`;
    /// or many pages: an NDJSON file (`*.ndjson`, `*.jsonl`, one page a
    /// line) or a directory (every `*.json` page in it, in name order).
    #[arg(long)]
    page: PathBuf,
    /// Output format (default: pretty on a terminal, json otherwise; ndjson
    /// for many pages).
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Pages processed at once, for many pages (default: the CPUs).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=1024))]
    jobs: Option<u16>,
    #[command(flatten)]
    limits: LimitArgs,
}

/// Arguments of `handlebox demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Output format (default: pretty).
    #[arg(long, value_enum, default_value_t = Format::Pretty)]
    format: Format,
}

/// Runs `handlebox run`.
pub fn run(args: RunArgs) -> Result<ExitCode, CliError> {
    let (configs, name) = files::read_config(Some(&args.config))?;
    if let Some(pages) = Pages::at(&args.page)? {
        let jobs = args.jobs.map_or_else(
            || thread::available_parallelism().map_or(1, |n| n.get()),
            usize::from,
        );
        let sandbox = Sandbox::new(SandboxConfig {
            limits: args.limits.limits(),
            max_open_pages: u32::try_from(jobs * 2).unwrap_or(u32::MAX).max(8),
            ..SandboxConfig::default()
        })?;
        let pipeline = files::pipeline(&sandbox, configs, &name)?
            .with_budget(args.limits.budget())
            .with_max_events(args.limits.max_events);
        return replay::replay(
            &pipeline,
            pages,
            jobs,
            args.format.unwrap_or(Format::Ndjson),
        );
    }
    let page = files::read_page(Some(&args.page))?;
    let sandbox = Sandbox::new(SandboxConfig {
        limits: args.limits.limits(),
        ..SandboxConfig::default()
    })?;
    let pipeline = files::pipeline(&sandbox, configs, &name)?
        .with_budget(args.limits.budget())
        .with_max_events(args.limits.max_events);
    let result = pipeline.process(&page);
    let format = args.format.unwrap_or(if std::io::stdout().is_terminal() {
        Format::Pretty
    } else {
        Format::Json
    });
    print!("{}", render(&result, format));
    Ok(ExitCode::SUCCESS)
}

/// Runs `handlebox demo`: the seed example on built-in data.
pub fn demo(args: DemoArgs) -> Result<ExitCode, CliError> {
    let (configs, name) = files::read_config(None)?;
    let page = files::read_page(None)?;
    let sandbox = Sandbox::new(SandboxConfig::default())?;
    let pipeline = files::pipeline(&sandbox, configs, &name)?;
    let result = pipeline.process(&page);
    if args.format == Format::Pretty {
        println!(
            "Handlebox demo: Flocktory (siteId 4242, postCheckout, exchange on Completed Transaction \
             and Viewed Thank You Page, event variable `spot` from digitalData.website.redesign) \
             on a thank-you page where the user has just paid.\n"
        );
    }
    print!("{}", render(&result, args.format));
    Ok(ExitCode::SUCCESS)
}

/// The Result in `format`.
pub fn render(result: &PageResult, format: Format) -> String {
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
        Format::Pretty => pretty(result),
    }
}

fn javascript(result: &PageResult) -> String {
    script::page(result.loader.as_deref(), &result.calls)
}

fn pretty(result: &PageResult) -> String {
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
        event_block(&mut out, event);
    }
    let _ = writeln!(out, "\n{} calls in all", result.calls.len());
    out
}

fn event_block(out: &mut String, event: &EventResult) {
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
        let place = match (error.line, error.column) {
            (Some(line), Some(column)) => format!(" at line {line}, column {column}"),
            _ => String::new(),
        };
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
}
