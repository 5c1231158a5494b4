//! `handlebox eval`: one handler, run where the pipeline runs it (the page
//! enriched as `run` enriches it, the event at that point of the page),
//! and everything it did.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, ValueEnum};
use handlebox_pipeline::trace::TraceCall;
use handlebox_pipeline::{
    Budget, BuildError, ConfigFile, IntegrationConfig, Page, PageResult, Pipeline, config, enrich,
    event_name, js,
};
use handlebox_sandbox::{
    CallOutcome, ErrorInfo, ErrorKind, Limits, Sandbox, SandboxConfig, finish_json,
};
use serde_json::{Map, Value, json};

use crate::error::CliError;
use crate::format::chosen;
use crate::{files, report};

/// Arguments of `handlebox eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// A file holding the handler (body or function form); with
    /// `--handler`, it replaces that handler's text in the config.
    #[arg(long, conflicts_with = "code")]
    file: Option<PathBuf>,
    /// The handler's text; with `--handler`, it replaces that handler's
    /// text in the config.
    #[arg(long)]
    code: Option<String>,
    /// A project config: run its handler `--handler` with its options.
    #[arg(long, requires = "handler", conflicts_with_all = ["scope", "override"])]
    config: Option<PathBuf>,
    /// The config's handler to run: an event variable's `prop`, `override`
    /// (the event override) or `override.product`.
    #[arg(long, requires = "config")]
    handler: Option<String>,
    /// Call the handler with the event, or with one of its products
    /// (`--product`).
    #[arg(long, value_enum)]
    scope: Option<ScopeArg>,
    /// The event to use, by name or by its index in the page's events
    /// (default: the first the handler runs on).
    #[arg(long)]
    event: Option<String>,
    /// Which product of the event, for product handlers (from 0).
    #[arg(long, default_value_t = 0)]
    product: usize,
    /// A page file (default: the built-in thank-you page).
    #[arg(long)]
    page: Option<PathBuf>,
    /// Run the handler as an override function of this integration: its
    /// value is then the event (or product) as the override left it.
    #[arg(long, value_name = "INTEGRATION")]
    r#override: Option<String>,
    /// Output format (default: pretty on a terminal, json otherwise).
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

/// Whether a handler given alone is called with the event or a product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScopeArg {
    /// With the event.
    Event,
    /// With one of its products.
    Product,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Json,
    Pretty,
}

/// The prop a snippet given alone is written at (it never reaches a call:
/// eval only reports it).
const EVAL_PROP: &str = "handleboxEval";

/// The handler to run: the config it is in, where it is there (its
/// integration, option and label), its text and how to call it in messages.
struct Subject {
    configs: Vec<IntegrationConfig>,
    integration: String,
    option: String,
    label: String,
    source: String,
    title: String,
}

/// What eval runs, however it was asked: on the command line or from the
/// playground.
pub struct Question {
    /// The handler's text, and where it came from (`--file`'s path,
    /// `--code`); with `handler`, it replaces that handler's text.
    pub given: Option<(String, String)>,
    /// A config and the name messages call it by: run its handler `handler`.
    pub config: Option<(ConfigFile, String)>,
    /// The config's handler to run (a `prop`, `override`, …).
    pub handler: Option<String>,
    /// Event or product, for a handler given alone.
    pub scope: Option<ScopeArg>,
    /// The event, by name or index in the page's events.
    pub event: Option<String>,
    /// Which product of the event, for product handlers.
    pub product: usize,
    /// Run a handler given alone as this integration's override.
    pub r#override: Option<String>,
    /// The call's deadline, in milliseconds.
    pub deadline_ms: u64,
}

/// What eval found: the call's outcome, the handler's text, what to call
/// it and where it ran.
pub struct Answer {
    /// The call's value, console lines, error and cost.
    pub outcome: CallOutcome,
    /// The handler's text, for placing its error.
    pub source: String,
    /// The handler, as people name it.
    pub title: String,
    /// Where it ran, e.g. `event "Viewed Page" (event #0)`.
    pub target: String,
}

/// Runs `handlebox eval`; exit 1 when the handler fails.
pub fn run(args: EvalArgs) -> Result<ExitCode, CliError> {
    let page = files::read_page(args.page.as_deref())?;
    let given = match (&args.file, &args.code) {
        (Some(path), _) => Some((
            files::read_text(path, "handler file")?,
            path.display().to_string(),
        )),
        (None, Some(code)) => Some((code.clone(), "--code".to_owned())),
        (None, None) => None,
    };
    let config = match &args.config {
        Some(path) => Some(files::read_config(Some(path))?),
        None => None,
    };
    let question = Question {
        given,
        config,
        handler: args.handler.clone(),
        scope: args.scope,
        event: args.event.clone(),
        product: args.product,
        r#override: args.r#override.clone(),
        deadline_ms: args.deadline_ms,
    };
    let sandbox = Sandbox::new(SandboxConfig {
        limits: Limits {
            deadline: Duration::from_millis(args.deadline_ms),
            memory_bytes: (args.memory_mib as usize) << 20,
            ..Limits::default()
        },
        count_fuel: args.fuel,
        ..SandboxConfig::default()
    })?;
    let answer = answer(&sandbox, &question, &page)?;
    match chosen(args.format, Format::Pretty, Format::Json) {
        Format::Json => println!("{}", as_json(&answer.outcome)),
        Format::Pretty => print!(
            "{}",
            pretty(
                &answer.outcome,
                &answer.source,
                &answer.title,
                &answer.target
            )
        ),
    }
    Ok(if answer.outcome.error.is_some() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Runs the handler `question` names where the pipeline runs it on `page`.
pub fn answer(sandbox: &Sandbox, question: &Question, page: &Page) -> Result<Answer, CliError> {
    let subject = subject(question, page)?;
    let (outcome, target) = match build(sandbox, &subject)? {
        Ok(pipeline) => {
            let step = pipeline.step_of(&subject.label).ok_or_else(|| {
                CliError::Input(format!(
                    "{} runs on no event: its integration is not configured",
                    subject.label
                ))
            })?;
            let per_product = is_product_step(step);
            // One call may take its whole deadline on each product: the
            // page's budget must not be what stops it.
            let budget = Budget {
                time: (Duration::from_millis(question.deadline_ms) * 64)
                    .max(Duration::from_secs(1)),
                ..Budget::default()
            };
            let result = pipeline.with_budget(budget).process(page);
            let (call, target) = find_call(&result, page, &subject.label, per_product, question)?;
            (outcome_of(call), target)
        }
        Err(error) => (
            CallOutcome {
                error: Some(error),
                ..CallOutcome::default()
            },
            "no event: it does not compile".to_owned(),
        ),
    };
    Ok(Answer {
        outcome,
        source: subject.source,
        title: subject.title,
        target,
    })
}

/// The handler `args` name, in the config it runs in.
fn subject(args: &Question, page: &Page) -> Result<Subject, CliError> {
    let given = args.given.clone();
    if let (Some((config, config_name)), Some(name)) = (&args.config, &args.handler) {
        let mut configs = config.configs.clone();
        let names = match config::handler_names(&configs)[..] {
            [] => "none".to_owned(),
            ref names => names.join(", "),
        };
        let slot = config::handler_slot(&mut configs, name)
            .map_err(|why| CliError::Input(format!("{config_name}: {why}")))?
            .ok_or_else(|| {
                CliError::Input(format!(
                    "{config_name} has no handler {name:?} (it has: {names})"
                ))
            })?;
        let (source, title) = match given {
            Some((source, from)) => {
                *slot.text = Value::String(source.clone());
                let title = format!("{} {}, its text from {from}", slot.integration, slot.option);
                (source, title)
            }
            None => {
                let file = config
                    .file_of(&slot.label)
                    .map(|path| format!(" ({})", path.display()))
                    .unwrap_or_default();
                (
                    slot.text.as_str().unwrap_or_default().to_owned(),
                    format!("{} {}{file}", slot.integration, slot.option),
                )
            }
        };
        let (integration, option, label) = (slot.integration, slot.option, slot.label);
        return Ok(Subject {
            configs,
            integration,
            option,
            label,
            source,
            title,
        });
    }
    let Some((source, title)) = given else {
        return Err(CliError::Input(
            "give --file or --code, or --config and --handler".to_owned(),
        ));
    };
    let scope = match args.scope.unwrap_or(ScopeArg::Event) {
        ScopeArg::Event => "event",
        ScopeArg::Product => "product",
    };
    let (integration, options, option, label) = match &args.r#override {
        Some(integration) => {
            let key = if scope == "product" {
                "product"
            } else {
                "event"
            };
            let option = format!("overrideFunctions.{key}");
            (
                integration.clone(),
                json!({"overrideFunctions": {key: source}}),
                option.clone(),
                format!("{integration} {option}"),
            )
        }
        None => {
            // Only on the event asked for, as an event variable limited to it.
            let only = args
                .event
                .as_deref()
                .map(|wanted| {
                    let name = index_of(wanted)
                        .and_then(|i| page.events().get(i))
                        .map_or(wanted, event_name);
                    enrich::renamed(name).to_owned()
                })
                .unwrap_or_default();
            (
                "Flocktory".to_owned(),
                json!({"eventEnrichments": [{"scope": scope, "prop": EVAL_PROP, "event": only, "handler": source}]}),
                "eventEnrichments[0].handler".to_owned(),
                format!("Flocktory eventEnrichments[0] ({EVAL_PROP})"),
            )
        }
    };
    let known = files::kinds();
    if !known.iter().any(|k| k.name() == integration) {
        let names: Vec<&str> = known.iter().map(|k| k.name()).collect();
        return Err(CliError::Input(format!(
            "--override {integration:?}: not an integration Handlebox knows ({})",
            names.join(", ")
        )));
    }
    let options = match options {
        Value::Object(options) => options,
        _ => Map::new(),
    };
    Ok(Subject {
        configs: vec![IntegrationConfig {
            name: integration.clone(),
            options,
        }],
        integration,
        option,
        label,
        source,
        title,
    })
}

/// The pipeline of the subject's config; `Err` inside when the handler
/// itself does not compile (eval reports that as its outcome).
fn build(sandbox: &Sandbox, subject: &Subject) -> Result<Result<Pipeline, ErrorInfo>, CliError> {
    match Pipeline::new(sandbox, subject.configs.clone(), &files::kinds()) {
        Ok(pipeline) => Ok(Ok(pipeline.with_trace(true))),
        Err(BuildError::Invalid(problems)) => {
            let own = problems
                .iter()
                .find(|p| p.integration == subject.integration && p.option == subject.option);
            match own {
                Some(problem) => Ok(Err(ErrorInfo {
                    kind: ErrorKind::Syntax,
                    message: problem.message.clone(),
                    line: problem.line,
                    column: problem.column,
                })),
                None => Err(CliError::Input(
                    problems
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; "),
                )),
            }
        }
        Err(BuildError::Sandbox(e)) => Err(CliError::Sandbox(e)),
    }
}

/// The call of handler `label` on the event `args` asks for, and words for
/// where it ran. By default: the first of the page's own events it runs
/// on, else the first event the pipeline added.
fn find_call<'r>(
    result: &'r PageResult,
    page: &Page,
    label: &str,
    per_product: bool,
    args: &Question,
) -> Result<(&'r TraceCall, String), CliError> {
    let original_name = |index: Option<usize>| {
        index
            .and_then(|i| page.events().get(i))
            .map(event_name)
            .unwrap_or_default()
    };
    let mut named = false;
    let listed = result
        .events
        .iter()
        .filter(|e| e.index.is_some() && e.source.is_none());
    let added = result
        .events
        .iter()
        .filter(|e| e.index.is_none() || e.source.is_some());
    for event in listed.chain(added) {
        let calls: Vec<&TraceCall> = event
            .trace
            .iter()
            .flat_map(|t| &t.calls)
            .filter(|c| c.handler == label)
            .collect();
        let received = event
            .trace
            .first()
            .map_or(event.name.as_str(), |t| event_name(&t.received));
        if let Some(wanted) = &args.event {
            let by_index = index_of(wanted).is_some_and(|i| event.index == Some(i));
            if !by_index && received != wanted && original_name(event.index) != wanted {
                continue;
            }
            named = true;
        }
        let where_ = match event.index {
            Some(i) => format!("{received:?} (event #{i})"),
            None => format!("{received:?} (added by the pipeline)"),
        };
        if per_product {
            if let Some(call) = calls.get(args.product) {
                let path = call.product.as_deref().unwrap_or("product");
                return Ok((call, format!("{path} of {where_}")));
            }
            if args.event.is_some() {
                return Err(CliError::Input(format!(
                    "event {received:?} has {} products; there is no product {}",
                    calls.len(),
                    args.product
                )));
            }
            continue;
        }
        if let Some(call) = calls.first() {
            return Ok((call, format!("event {where_}")));
        }
        if args.event.is_some() {
            let why = if event.trace.is_empty() && !event.warnings.is_empty() {
                event.warnings.join("; ")
            } else {
                "an event variable may be limited to other events".to_owned()
            };
            return Err(CliError::Input(format!(
                "{label} does not run on event {received:?} ({why})"
            )));
        }
    }
    let names: Vec<&str> = page
        .events()
        .iter()
        .map(event_name)
        .filter(|name| !name.is_empty())
        .collect();
    let it_has = if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    };
    Err(CliError::Input(match &args.event {
        Some(wanted) if !named => {
            format!("the page has no event named {wanted:?} (it has: {it_has})")
        }
        _ if per_product => format!(
            "{label} runs on no product: no event of this page has products (its events: {it_has})"
        ),
        _ => format!("{label} runs on no event of this page (its events: {it_has})"),
    }))
}

/// `--event 2`: the page's event at that index.
fn index_of(event: &str) -> Option<usize> {
    event.parse().ok()
}

fn is_product_step(step: &handlebox_sandbox::Step) -> bool {
    matches!(
        step,
        handlebox_sandbox::Step::ProductOverride { .. }
            | handlebox_sandbox::Step::ProductVariable { .. }
    )
}

/// What eval reports of a call: an override's value is the event (or the
/// product) as it left it; a variable's is what it returned.
fn outcome_of(call: &TraceCall) -> CallOutcome {
    let mut outcome = call.outcome.clone();
    if call.is_override() && outcome.error.is_none() {
        outcome.value = match &call.product {
            Some(path) => js::get(&call.event, path).ok().flatten().cloned(),
            None => Some(call.event.clone()),
        };
    }
    if let Some(value) = &mut outcome.value {
        finish_json(value);
    }
    outcome
}

fn error_json(error: &ErrorInfo) -> Value {
    json!({
        "kind": error.kind.as_str(),
        "message": error.message,
        "line": error.line,
        "column": error.column,
    })
}

/// A call's outcome as `eval --format json` prints it.
pub fn as_json(outcome: &CallOutcome) -> Value {
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
