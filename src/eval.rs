//! `handlebox eval`: one handler, one event or product, everything it did.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, ValueEnum};
use handlebox_pipeline::{Page, event_name, products_of};
use handlebox_sandbox::{
    CallOutcome, ErrorInfo, HandlerSet, HandlerSpec, Limits, Sandbox, SandboxConfig, SandboxError,
    Scope, finish_json,
};
use serde_json::{Map, Value, json};

use crate::error::CliError;
use crate::{files, report};

/// Arguments of `handlebox eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// A file holding the handler (body or function form).
    #[arg(long, conflicts_with = "code", required_unless_present = "code")]
    file: Option<PathBuf>,
    /// The handler's text.
    #[arg(long)]
    code: Option<String>,
    /// Call the handler with the event, or with one of its products.
    #[arg(long, value_enum, default_value_t = ScopeArg::Event)]
    scope: ScopeArg,
    /// The name of the page's event to use (default: its first event).
    #[arg(long)]
    event: Option<String>,
    /// Which product of the event, with `--scope product` (from 0).
    #[arg(long, default_value_t = 0)]
    product: usize,
    /// A page file (default: the built-in thank-you page).
    #[arg(long)]
    page: Option<PathBuf>,
    /// Run the handler as an override function of this integration: its
    /// value is then the event (or product) as the override left it.
    #[arg(long, value_name = "INTEGRATION")]
    r#override: Option<String>,
    /// Output for people or one JSON object.
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Count fuel (instructions) and show it in the cost.
    #[arg(long)]
    fuel: bool,
    /// The call's deadline, in milliseconds.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=60_000))]
    deadline_ms: u64,
    /// The page's memory cap, in MiB (at most 256).
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u64).range(8..=crate::limits::MAX_MEMORY_MIB))]
    memory_mib: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ScopeArg {
    Event,
    Product,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Json,
    Pretty,
}

/// Runs `handlebox eval`; exit 1 when the handler fails.
pub fn run(args: EvalArgs) -> Result<ExitCode, CliError> {
    let (source, name) = match (&args.file, &args.code) {
        (Some(path), _) => (
            files::read_text(path, "handler file")?,
            path.display().to_string(),
        ),
        (None, Some(code)) => (code.clone(), "--code".to_owned()),
        (None, None) => return Err(CliError::Input("give --file or --code".to_owned())),
    };
    let page = files::read_page(args.page.as_deref())?;
    let (arg, target) = pick_argument(&page, &args)?;
    let scope = match args.scope {
        ScopeArg::Event => Scope::Event,
        ScopeArg::Product => Scope::Product,
    };
    let mut spec = HandlerSpec::variable(name.clone(), source.clone()).with_scope(scope);
    if let Some(integration) = &args.r#override {
        spec = spec.as_override(integration.clone(), Map::new());
    }
    let sandbox = Sandbox::new(SandboxConfig {
        limits: Limits {
            deadline: Duration::from_millis(args.deadline_ms),
            memory_bytes: (args.memory_mib as usize) << 20,
            ..Limits::default()
        },
        count_fuel: args.fuel,
        ..SandboxConfig::default()
    })?;
    let outcome = match HandlerSet::compile(&sandbox, vec![spec]) {
        Ok(project) => project.open_page(&page.sandbox_data())?.call(0, &arg)?,
        Err(SandboxError::Compile(errors)) => CallOutcome {
            error: errors.errors.into_iter().next().map(|(_, e)| e),
            ..CallOutcome::default()
        },
        Err(other) => return Err(other.into()),
    };
    let mut outcome = if args.r#override.is_some() {
        CallOutcome {
            value: outcome.arg.clone(),
            ..outcome
        }
    } else {
        outcome
    };
    if let Some(value) = &mut outcome.value {
        finish_json(value);
    }
    let format = args.format.unwrap_or(if std::io::stdout().is_terminal() {
        Format::Pretty
    } else {
        Format::Json
    });
    match format {
        Format::Json => println!("{}", as_json(&outcome)),
        Format::Pretty => print!("{}", pretty(&outcome, &source, &name, &target)),
    }
    Ok(if outcome.error.is_some() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The event (or product) the handler is called with, and words for it.
fn pick_argument(page: &Page, args: &EvalArgs) -> Result<(Value, String), CliError> {
    let events = page.events();
    let event = match &args.event {
        Some(name) => events
            .iter()
            .find(|e| event_name(e) == name)
            .cloned()
            .ok_or_else(|| {
                let names: Vec<_> = events
                    .iter()
                    .map(event_name)
                    .filter(|name| !name.is_empty())
                    .collect();
                CliError::Input(format!(
                    "the page has no event named {name:?} (it has: {})",
                    if names.is_empty() {
                        "none".to_owned()
                    } else {
                        names.join(", ")
                    }
                ))
            })?,
        None => events
            .first()
            .cloned()
            .unwrap_or_else(|| json!({"name": "Viewed Page"})),
    };
    let event_name = match event_name(&event) {
        "" => "unnamed event".to_owned(),
        name => name.to_owned(),
    };
    if args.scope == ScopeArg::Event {
        return Ok((event, format!("event {event_name:?}")));
    }
    let event = with_page_products(event, page);
    let products = products_of(&event);
    match products.get(args.product) {
        Some((path, product)) => Ok(((*product).clone(), format!("{path} of {event_name:?}"))),
        None => Err(CliError::Input(format!(
            "event {event_name:?} has {} products; there is no product {}",
            products.len(),
            args.product
        ))),
    }
}

/// An event without products of its own takes the page's transaction or
/// cart, as the pipeline's enrichment would for the usual events.
fn with_page_products(mut event: Value, page: &Page) -> Value {
    if products_of(&event).is_empty()
        && let Some(object) = event.as_object_mut()
    {
        for key in ["product", "transaction", "cart", "listing"] {
            if let Some(value) = page.digital_data.get(key) {
                object.entry(key).or_insert_with(|| value.clone());
            }
        }
    }
    event
}

fn error_json(error: &ErrorInfo) -> Value {
    json!({
        "kind": error.kind.as_str(),
        "message": error.message,
        "line": error.line,
        "column": error.column,
    })
}

fn as_json(outcome: &CallOutcome) -> Value {
    json!({
        "value": outcome.value,
        "undefined": outcome.value.is_none() && outcome.error.is_none(),
        "logs": outcome.logs.iter().map(|l| json!({"level": l.level, "message": l.message})).collect::<Vec<_>>(),
        "droppedLogs": outcome.dropped_logs,
        "error": outcome.error.as_ref().map(error_json),
        "cost": {
            "micros": outcome.cost.micros,
            "memoryBytes": outcome.cost.memory_bytes,
            "fuel": outcome.cost.fuel,
        },
    })
}

fn pretty(outcome: &CallOutcome, source: &str, name: &str, target: &str) -> String {
    let mut out = format!("handler   {name} on {target}\n");
    if outcome.error.is_none() {
        let value = match &outcome.value {
            Some(value) => value.to_string(),
            None => "undefined (nothing is written)".to_owned(),
        };
        out.push_str(&format!("value     {value}\n"));
    }
    report::logs(&mut out, &outcome.logs, outcome.dropped_logs);
    if let Some(error) = &outcome.error {
        report::error(&mut out, error, source);
    }
    report::cost(&mut out, &outcome.cost);
    out
}
