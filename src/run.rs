//! `handlebox run` and `handlebox demo`: a page through a project, printed
//! as the Result JSON, as the JavaScript a browser would run, or for people.

use std::path::PathBuf;
use std::process::ExitCode;
use std::thread;

use clap::Args;
use handlebox_sandbox::{Sandbox, SandboxConfig};

use crate::error::CliError;
use crate::files;
use crate::format::chosen;
use crate::limits::LimitArgs;
use crate::render::{Format, Printer};
use crate::replay::{self, Pages};

/// Arguments of `handlebox run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The project config (SegmentStream's export), or a project directory
    /// holding `config.json` with handlers as `.js` files.
    #[arg(long)]
    config: PathBuf,
    /// The page: a bare `digitalData` or `{digitalData, url, cookies, …}`;
    /// or many pages: an NDJSON file (`*.ndjson`, `*.jsonl`, one page a
    /// line) or a directory (every `*.json` page in it, in name order).
    #[arg(long)]
    page: PathBuf,
    /// Output format (default: pretty on a terminal; otherwise json for one
    /// page, ndjson for many).
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Pages processed at once, for many pages (default: the CPUs).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=1024))]
    jobs: Option<u16>,
    /// Show, per event and integration, what the handlers saw: the
    /// enriched `digitalData`, the event as they received it, what each call
    /// changed, the event after the overrides and after the variables (in
    /// the JSON: each event's `trace`).
    #[arg(long)]
    trace: bool,
    /// Exit 1 when a handler failed (by default, handler errors are part of
    /// the Result and the exit status is 0).
    #[arg(long)]
    strict: bool,
    #[command(flatten)]
    limits: LimitArgs,
}

/// Arguments of `handlebox demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Output format (default: pretty on a terminal, json otherwise).
    #[arg(long, value_enum)]
    format: Option<Format>,
}

/// Runs `handlebox run`.
pub fn run(args: RunArgs) -> Result<ExitCode, CliError> {
    if args.trace && args.format == Some(Format::Js) {
        return Err(CliError::Input(
            "--trace shows in the pretty, json and ndjson formats; js prints only the browser's calls"
                .to_owned(),
        ));
    }
    let (config, name) = files::read_config(Some(&args.config))?;
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
        let pipeline = files::pipeline(&sandbox, &config, &name)?
            .with_budget(args.limits.budget())
            .with_max_events(args.limits.max_events)
            .with_trace(args.trace);
        let printer = Printer {
            format: chosen(args.format, Format::Pretty, Format::Ndjson),
            config: &config,
        };
        return replay::replay(&pipeline, pages, jobs, printer, args.strict);
    }
    let page = files::read_page(Some(&args.page))?;
    let sandbox = Sandbox::new(SandboxConfig {
        limits: args.limits.limits(),
        ..SandboxConfig::default()
    })?;
    let pipeline = files::pipeline(&sandbox, &config, &name)?
        .with_budget(args.limits.budget())
        .with_max_events(args.limits.max_events)
        .with_trace(args.trace);
    let result = pipeline.process(&page);
    let printer = Printer {
        format: chosen(args.format, Format::Pretty, Format::Json),
        config: &config,
    };
    print!("{}", printer.render(&result));
    let errors = result.events.iter().map(|e| e.errors.len()).sum::<usize>();
    if args.strict && errors > 0 {
        let first = result
            .events
            .iter()
            .find_map(|e| e.errors.first().map(|error| (e, error)))
            .map(|(event, error)| {
                format!(
                    "; the first: {} on {:?}: {}",
                    error.handler, event.name, error.message
                )
            })
            .unwrap_or_default();
        eprintln!("handlebox: {errors} handler errors (--strict){first}");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `handlebox demo`: the seed example on built-in data.
pub fn demo(args: DemoArgs) -> Result<ExitCode, CliError> {
    let (config, name) = files::read_config(None)?;
    let page = files::read_page(None)?;
    let sandbox = Sandbox::new(SandboxConfig::default())?;
    let pipeline = files::pipeline(&sandbox, &config, &name)?;
    let result = pipeline.process(&page);
    let printer = Printer {
        format: chosen(args.format, Format::Pretty, Format::Json),
        config: &config,
    };
    if printer.format == Format::Pretty {
        println!(
            "Handlebox demo: Flocktory (siteId 4242, postCheckout, exchange on Completed Transaction \
             and Viewed Thank You Page, event variable `spot` from digitalData.website.redesign) \
             on a thank-you page where the user has just paid.\n"
        );
    }
    print!("{}", printer.render(&result));
    Ok(ExitCode::SUCCESS)
}
