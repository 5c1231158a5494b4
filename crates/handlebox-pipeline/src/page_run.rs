//! How one page runs through a [`Pipeline`].
//!
//! Per page: events in the reference's order (the first `Viewed Page` first,
//! or a default one); per event, for every integration, on a copy of the
//! event: include/exclude lists, common and integration enrichment, override
//! functions, event variables, dropping, then the integration's calls. The
//! sandbox page is opened only when a handler first runs, and sees
//! `digitalData` as the reference has enriched it at that moment; it is
//! sent `digitalData` again only when an event changed it.
//!
//! The page as a whole is held to the pipeline's [`Budget`]: its time (the
//! sandbox stops any call at the page's deadline, and the host checks it
//! before each event) and the size of its Result. Once either is spent, or
//! the caller cancels, each remaining event is listed with an error.

use std::collections::VecDeque;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use handlebox_sandbox::{
    ErrorKind, HandlerSet, PageBudget, PageContext, PageWorld, PlanCall, Step, finish_json,
};
use serde_json::{Map, Value, json};

use crate::integration::IntegrationPage;
use crate::pipeline::{Budget, Pipeline};
use crate::result::{EventResult, HandlerErrorResult, LogResult, PageResult, VariableResult};
use crate::trace::{IntegrationTrace, TraceCall, changed_paths};
use crate::{Page, cart, clock, enrich, event_name, js};

const VIEWED_PAGE: &str = "Viewed Page";

impl Pipeline {
    /// Runs one page and returns every call and what happened to each event.
    pub fn process(&self, page: &Page) -> PageResult {
        run(self, page, &Arc::new(AtomicBool::new(false)))
    }

    /// [`Pipeline::process`], stopping at the next event or handler call
    /// once `cancelled` is set (its client went away): the events left are
    /// listed with an error, as for a spent budget.
    pub fn process_until(&self, page: &Page, cancelled: &Arc<AtomicBool>) -> PageResult {
        run(self, page, cancelled)
    }
}

/// Runs `input` through `pipeline`, until `cancelled` is set.
fn run(pipeline: &Pipeline, input: &Page, cancelled: &Arc<AtomicBool>) -> PageResult {
    PageRun::new(pipeline, input, cancelled).run()
}

/// What a page's errors name as their handler when the page as a whole,
/// not one handler, is the reason (a spent budget, a cancelled request).
pub const PAGE: &str = "page";

/// An event waiting to run, with where it came from.
struct Pending {
    event: Value,
    index: Option<usize>,
    source: Option<&'static str>,
}

/// The state of one page while it runs.
struct PageRun<'p> {
    pipeline: &'p Pipeline,
    input: &'p Page,
    /// What the sandbox's helpers read: the page's `digitalData` as
    /// enriched so far, and its context.
    data: PageContext,
    /// The page's sandbox instance, opened at the first handler call (or
    /// why it could not be).
    world: Option<Result<PageWorld, String>>,
    /// Whether an event changed `digitalData` since the world last saw it.
    dd_changed: bool,
    trackers: Vec<(Box<dyn IntegrationPage + 'p>, bool)>,
    result: PageResult,
    now: String,
    /// The page's time budget, running since the page started.
    time: PageBudget,
    /// Bytes of Result JSON the events have produced so far.
    output: usize,
    /// Bytes of trace JSON so far, held to a budget of their own.
    traced: usize,
    /// Where the products of `digitalData` are, until it changes.
    catalogue: Option<enrich::Catalogue>,
    cancelled: &'p Arc<AtomicBool>,
}

impl<'p> PageRun<'p> {
    fn new(pipeline: &'p Pipeline, input: &'p Page, cancelled: &'p Arc<AtomicBool>) -> Self {
        let trackers = pipeline
            .integrations
            .iter()
            .map(|a| (a.integration.page(), false))
            .collect();
        Self {
            pipeline,
            input,
            data: input.sandbox_data(),
            world: None,
            dd_changed: false,
            trackers,
            result: PageResult {
                warnings: pipeline.warnings.clone(),
                ..PageResult::default()
            },
            now: clock::now_iso(),
            time: PageBudget::from_now(pipeline.budget.time),
            output: 0,
            traced: 0,
            catalogue: None,
            cancelled,
        }
    }

    fn budget(&self) -> Budget {
        self.pipeline.budget
    }

    /// Why no more events run on this page, if none do.
    fn stopped(&self) -> Option<HandlerErrorResult> {
        if self.cancelled.load(Ordering::Relaxed) {
            return Some(page_error(
                ErrorKind::Timeout,
                "not processed: the request was cancelled (its client went away)".to_owned(),
            ));
        }
        if self.time.spent() {
            return Some(page_error(
                ErrorKind::Timeout,
                format!("not processed: {}", self.time.spent_message()),
            ));
        }
        let limit = self.budget().output_bytes;
        (self.output >= limit).then(|| {
            page_error(
                ErrorKind::Output,
                format!("not processed: the page's output budget of {limit} bytes is spent"),
            )
        })
    }

    /// Counts `out` against the output budget; when it does not fit, its
    /// calls, variables, logs and warnings are left out and say so.
    fn charge_output(&mut self, out: &mut EventResult, calls_before: usize) {
        let limit = self.budget().output_bytes;
        let trace = std::mem::take(&mut out.trace);
        // The event's calls appear twice in the Result: in it and in `calls`.
        let size = json_size(&*out) + json_size(&out.calls);
        if self.output.saturating_add(size) <= limit {
            self.output += size;
            if !trace.is_empty() {
                // Traces have a budget of their own, as large as the
                // page's: a trace never changes what the page's events get.
                let traced = json_size(&trace);
                if self.traced.saturating_add(traced) <= limit {
                    self.traced += traced;
                    out.trace = trace;
                } else {
                    out.warnings.push(format!(
                        "trace left out: the page's traces pass their budget of {limit} bytes"
                    ));
                }
            }
            return;
        }
        self.result.calls.truncate(calls_before);
        out.calls.clear();
        out.variables.clear();
        out.logs.clear();
        out.warnings.clear();
        out.errors = vec![page_error(
            ErrorKind::Output,
            format!(
                "left out: this event's {size} bytes of calls, variables, errors and logs pass \
                 the page's output budget of {limit} bytes"
            ),
        )];
        self.output = limit;
    }

    fn run(mut self) -> PageResult {
        let events = self.input.events();
        let first_view = events.iter().position(|e| event_name(e) == VIEWED_PAGE);
        let mut queue = VecDeque::new();
        match first_view {
            Some(i) => queue.push_back(Pending {
                event: events[i].clone(),
                index: Some(i),
                source: None,
            }),
            None => queue.push_back(Pending {
                event: json!({"name": VIEWED_PAGE, "source": "DDManager SDK"}),
                index: None,
                source: Some("pipeline"),
            }),
        }
        for (i, event) in events.iter().enumerate() {
            if Some(i) != first_view {
                queue.push_back(Pending {
                    event: event.clone(),
                    index: Some(i),
                    source: None,
                });
            }
        }
        let mut processed = 0;
        while let Some(pending) = queue.pop_front() {
            if processed >= self.pipeline.max_events {
                self.result
                    .events
                    .push(not_processed(pending, self.pipeline.max_events));
                continue;
            }
            if let Some(error) = self.stopped() {
                self.result.events.push(unprocessed(pending, error));
                continue;
            }
            processed += 1;
            let generated = self.event(pending);
            for event in generated.into_iter().rev() {
                queue.push_front(event);
            }
        }
        self.result
    }

    /// `digitalData`, to change it: its catalogue is built again when next
    /// needed.
    fn dd_map(&mut self) -> &mut Map<String, Value> {
        self.catalogue = None;
        if !self.data.digital_data.is_object() {
            self.data.digital_data = json!({});
        }
        match &mut self.data.digital_data {
            Value::Object(map) => map,
            _ => unreachable!("made an object above"),
        }
    }

    /// Runs one event; returns the events it generated (`Updated Cart`).
    fn event(&mut self, pending: Pending) -> Vec<Pending> {
        let mut out = EventResult {
            index: pending.index,
            source: pending.source.map(str::to_owned),
            ..EventResult::default()
        };
        let calls_before = self.result.calls.len();
        let mut event = pending.event;
        if !event.is_object() {
            out.dropped = true;
            out.warnings.push(format!(
                "{} is not an object; it was skipped",
                describe_index(pending.index)
            ));
            self.result.events.push(out);
            return Vec::new();
        }
        if let Some(Value::String(name)) = event.get_mut("name") {
            let new = enrich::renamed(name);
            if new != name {
                *name = new.to_owned();
            }
        }
        let name = event_name(&event).to_owned();
        out.name = name.clone();
        if name == VIEWED_PAGE {
            let input = self.input;
            self.dd_changed |= enrich::before_viewed_page(self.dd_map(), input, clock::uuid_v4);
        }
        let generated = if name == "Updated Cart" {
            self.updated_cart(&event, &mut out, pending.index)
        } else {
            Vec::new()
        };
        for i in 0..self.pipeline.integrations.len() {
            self.integration_event(i, &event, &mut out);
        }
        let now = self.now.clone();
        if matches!(name.as_str(), "Subscribed" | "Completed Transaction") {
            self.dd_changed |= enrich::after_event(self.dd_map(), &event, &now);
        }
        self.charge_output(&mut out, calls_before);
        self.result.events.push(out);
        generated
    }

    fn updated_cart(
        &mut self,
        event: &Value,
        out: &mut EventResult,
        index: Option<usize>,
    ) -> Vec<Pending> {
        let Some(new_cart) = event.get("cart").filter(|c| c.is_object()) else {
            return Vec::new();
        };
        let version = self
            .data
            .digital_data
            .get("version")
            .and_then(Value::as_str)
            .map(enrich::parse_version);
        if version.is_none_or(|v| v < [1, 1, 3]) {
            out.warnings.push(
                "Updated Cart: digitalData.version is missing or below 1.1.3, so no Added Product \
                 or Removed Product events are generated (the reference throws here)"
                    .to_owned(),
            );
            return Vec::new();
        }
        let old_cart = self
            .data
            .digital_data
            .get("cart")
            .cloned()
            .unwrap_or_default();
        let changes = cart::changes(&old_cart, new_cart);
        if old_cart != *new_cart {
            self.dd_map().insert("cart".into(), new_cart.clone());
            self.dd_changed = true;
        }
        changes
            .into_iter()
            .map(|event| Pending {
                event,
                index,
                source: Some("Updated Cart"),
            })
            .collect()
    }

    fn integration_event(&mut self, i: usize, event: &Value, out: &mut EventResult) {
        let pipeline = self.pipeline;
        let active = &pipeline.integrations[i];
        let integration = active.integration.name();
        if let Some(reason) = excluded(event, integration) {
            out.warnings
                .push(format!("not sent to {integration}: {reason}"));
            return;
        }
        let mut copy = event.clone();
        if let Value::Object(dd) = &self.data.digital_data {
            let catalogue = self
                .catalogue
                .get_or_insert_with(|| enrich::Catalogue::of(dd));
            enrich::common(&mut copy, dd, catalogue);
        }
        let name = event_name(&copy).to_owned();
        for path in active.integration.enrichable_props(&name) {
            if let Err(throws) = copy_falsy(&mut copy, &self.data.digital_data, path) {
                out.warnings.push(format!(
                    "{name}: {throws}; the reference throws while enriching it, so {integration} gets nothing for this event"
                ));
                return;
            }
        }
        let mut trace = self.pipeline.trace.then(|| IntegrationTrace {
            integration: integration.to_owned(),
            digital_data: self.data.digital_data.clone(),
            received: copy.clone(),
            calls: Vec::new(),
            after_overrides: Value::Null,
            after_variables: Value::Null,
        });
        self.run_plan(&active.plan, &mut copy, out, trace.as_mut());
        if let Some(mut trace) = trace {
            trace.after_overrides = trace
                .calls
                .iter()
                .rev()
                .find(|c| c.is_override())
                .map_or_else(|| trace.received.clone(), |c| c.event.clone());
            trace.after_variables = copy.clone();
            out.trace.push(trace);
        }
        let final_name = event_name(&copy).to_owned();
        let ignored = copy.get("ignore") == Some(&Value::Bool(true));
        if final_name.is_empty() || ignored {
            out.dropped = true;
            out.warnings.push(format!(
                "dropped before {integration}: {}",
                if ignored {
                    "ignore is true"
                } else {
                    "it has no name"
                }
            ));
            return;
        }
        out.name = final_name.clone();
        let (tracker, started) = &mut self.trackers[i];
        if !*started {
            if final_name != VIEWED_PAGE {
                out.warnings.push(format!(
                    "not sent to {integration}: it starts on the first Viewed Page that reaches it, and none has yet"
                ));
                return;
            }
            *started = true;
            if self.result.loader.is_none() {
                self.result.loader = active.integration.loader();
            }
        }
        let mut tracked = tracker.track(&copy);
        tracked.calls.iter_mut().for_each(finish_json);
        self.result.calls.extend(tracked.calls.iter().cloned());
        out.calls.extend(tracked.calls);
        out.warnings.extend(tracked.warnings);
    }

    /// Runs the integration's handler plan on `event`, in the page's
    /// sandbox, and records what each call did on `out`.
    fn run_plan(
        &mut self,
        plan: &[Step],
        event: &mut Value,
        out: &mut EventResult,
        mut trace: Option<&mut IntegrationTrace>,
    ) {
        let pipeline = self.pipeline;
        let Some(handlers) = pipeline.handlers.as_ref() else {
            return;
        };
        if plan.is_empty() {
            return;
        }
        let labels: Vec<String> = plan
            .iter()
            .map(|step| {
                handlers
                    .label(step.handler())
                    .unwrap_or("handler")
                    .to_owned()
            })
            .collect();
        if let Some(error) = self.stopped() {
            out.errors
                .extend(labels.into_iter().map(|handler| HandlerErrorResult {
                    handler,
                    ..error.clone()
                }));
            return;
        }
        let ran = self
            .world(handlers)
            .and_then(|world| world.run_event(plan, event).map_err(|e| e.to_string()));
        match ran {
            Ok(outcome) => {
                let mut before = trace.is_some().then(|| event.clone());
                *event = outcome.event;
                out.cookies_set.extend(outcome.cookies_set);
                for mut call in outcome.calls {
                    let (Some(step), Some(label)) = (plan.get(call.step), labels.get(call.step))
                    else {
                        continue;
                    };
                    if let (Some(trace), Some(previous)) = (trace.as_deref_mut(), before.as_mut()) {
                        let snapshot = call.event.take();
                        let changed = snapshot
                            .as_ref()
                            .map(|after| changed_paths(previous, after))
                            .unwrap_or_default();
                        let untraced = snapshot.is_none();
                        let after = snapshot.unwrap_or_else(|| previous.clone());
                        trace.calls.push(TraceCall {
                            handler: label.clone(),
                            product: call.product.clone(),
                            ran: call.ran,
                            changed,
                            untraced,
                            step: Some(step.clone()),
                            outcome: call.outcome.clone(),
                            event: after.clone(),
                        });
                        *previous = after;
                    }
                    self.record(step, label.clone(), call, out);
                }
            }
            Err(message) => {
                let errors = labels
                    .into_iter()
                    .map(|label| self.sandbox_failure(label, &message));
                out.errors.extend(errors);
            }
        }
    }

    /// The page's world: opened on first use, held to the page's budget and
    /// cancel flag, and given `digitalData` again when an event changed it.
    fn world(&mut self, handlers: &HandlerSet) -> Result<&mut PageWorld, String> {
        if self.world.is_none() {
            self.dd_changed = false;
        }
        let opened = self.world.get_or_insert_with(|| {
            handlers
                .open_page(&self.data)
                .map(|mut world| {
                    world.set_budget(self.time);
                    world.set_cancel(self.cancelled.clone());
                    world.set_trace(self.pipeline.trace);
                    world
                })
                .map_err(|e| e.to_string())
        });
        let world = opened.as_mut().map_err(|message| message.clone())?;
        if self.dd_changed {
            self.dd_changed = false;
            self.result.stats.digital_data_updates += 1;
            world
                .set_digital_data(&self.data.digital_data)
                .map_err(|e| e.to_string())?;
        }
        Ok(world)
    }

    /// The error of a call the sandbox could not run: the page's time
    /// budget when it is spent (reopening an instance after a trap ran out
    /// of time), else the sandbox's message.
    fn sandbox_failure(&self, handler: String, message: &str) -> HandlerErrorResult {
        if self.time.spent() {
            HandlerErrorResult {
                handler,
                ..page_error(ErrorKind::Timeout, self.time.spent_message())
            }
        } else {
            sandbox_error(&handler, message.to_owned())
        }
    }

    /// Records one call of a plan on `out`: its console, its error, and the
    /// value a variable wrote (or why writing it threw).
    fn record(&mut self, step: &Step, label: String, call: PlanCall, out: &mut EventResult) {
        let outcome = call.outcome;
        if call.ran {
            self.result.stats.handler_micros.push(outcome.cost.micros);
        }
        out.logs.extend(outcome.logs.iter().map(|l| LogResult {
            handler: label.clone(),
            level: l.level.clone(),
            message: l.message.clone(),
        }));
        if let Some(error) = &outcome.error {
            out.errors.push(HandlerErrorResult {
                handler: label,
                kind: error.kind,
                message: error.message.clone(),
                line: error.line,
                column: error.column,
            });
        }
        let (scope, prop) = match step {
            Step::Variable { prop, .. } => ("event", prop),
            Step::ProductVariable { prop, .. } => ("product", prop),
            Step::Override { .. } | Step::ProductOverride { .. } => return,
        };
        if let Some(failure) = call.set_failure {
            let throws = js::Throws {
                path: failure.path,
                at: failure.at,
            };
            out.warnings
                .push(format!("{scope} variable {prop}: {throws}"));
        } else if let Some(mut value) = outcome.value {
            finish_json(&mut value);
            out.variables.push(VariableResult {
                scope,
                prop: prop.clone(),
                product: call.product,
                value,
            });
        }
    }
}

fn sandbox_error(handler: &str, message: String) -> HandlerErrorResult {
    HandlerErrorResult {
        handler: handler.to_owned(),
        kind: ErrorKind::Input,
        message: format!("the sandbox could not run this handler: {message}"),
        line: None,
        column: None,
    }
}

/// An error of the page as a whole, not of one handler.
fn page_error(kind: ErrorKind, message: String) -> HandlerErrorResult {
    HandlerErrorResult {
        handler: PAGE.to_owned(),
        kind,
        message,
        line: None,
        column: None,
    }
}

/// The report of an event that was not processed: where it came from and
/// its name, dropped, nothing else yet.
fn left_out(pending: Pending) -> EventResult {
    EventResult {
        index: pending.index,
        name: event_name(&pending.event).to_owned(),
        source: pending.source.map(str::to_owned),
        dropped: true,
        ..EventResult::default()
    }
}

/// The report of an event the page's budget or cancellation left out.
fn unprocessed(pending: Pending, error: HandlerErrorResult) -> EventResult {
    EventResult {
        errors: vec![error],
        ..left_out(pending)
    }
}

/// Bytes of `value` as JSON, without writing it anywhere.
fn json_size(value: &impl serde::Serialize) -> usize {
    struct Count(usize);
    impl io::Write for Count {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    // Counting cannot fail; a value serde cannot write counts what it wrote.
    let _ = serde_json::to_writer(&mut count, value);
    count.0
}

/// The report of an event past the page's limit.
fn not_processed(pending: Pending, max: usize) -> EventResult {
    EventResult {
        warnings: vec![format!(
            "not processed: the page has more than {max} events, the most one page may have"
        )],
        ..left_out(pending)
    }
}

fn describe_index(index: Option<usize>) -> String {
    match index {
        Some(i) => format!("event {i}"),
        None => "a generated event".to_owned(),
    }
}

/// Why an event's `includeIntegrations`/`excludeIntegrations` keep it from
/// `integration`, if they do.
fn excluded(event: &Value, integration: &str) -> Option<String> {
    let include = event.get("includeIntegrations");
    let exclude = event.get("excludeIntegrations");
    let names = |list: &Value| {
        list.as_array()
            .is_some_and(|l| l.iter().any(|n| n.as_str() == Some(integration)))
    };
    match (include, exclude) {
        (None, None) => None,
        (Some(_), Some(_)) => {
            Some("it has both includeIntegrations and excludeIntegrations".to_owned())
        }
        (Some(list), None) if !list.is_array() => {
            Some("includeIntegrations is not an array".to_owned())
        }
        (None, Some(list)) if !list.is_array() => {
            Some("excludeIntegrations is not an array".to_owned())
        }
        (Some(list), None) if !names(list) => {
            Some(format!("includeIntegrations does not name {integration}"))
        }
        (None, Some(list)) if names(list) => {
            Some(format!("excludeIntegrations names {integration}"))
        }
        _ => None,
    }
}

/// Step 4: when the event's value at `path` is falsy, the value of
/// `digitalData` at `path` (when it has one) is copied in, deep.
fn copy_falsy(event: &mut Value, dd: &Value, path: &str) -> Result<(), js::Throws> {
    if js::truthy(js::get(event, path)?) {
        return Ok(());
    }
    match js::get(dd, path)? {
        Some(value) => js::set(event, path, value.clone()),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn include_and_exclude_lists() {
        let f = "Flocktory";
        assert_eq!(excluded(&json!({}), f), None);
        assert_eq!(
            excluded(&json!({"includeIntegrations": ["Flocktory"]}), f),
            None
        );
        assert_eq!(
            excluded(&json!({"excludeIntegrations": ["Criteo"]}), f),
            None
        );
        assert!(excluded(&json!({"includeIntegrations": []}), f).is_some());
        assert!(excluded(&json!({"includeIntegrations": "Flocktory"}), f).is_some());
        assert!(excluded(&json!({"excludeIntegrations": ["Flocktory"]}), f).is_some());
        assert!(excluded(&json!({"includeIntegrations": ["flocktory"]}), f).is_some());
        assert!(
            excluded(
                &json!({"includeIntegrations": [f], "excludeIntegrations": []}),
                f
            )
            .is_some()
        );
    }

    #[test]
    fn falsy_values_are_filled_and_null_parents_throw() {
        let dd = json!({"user": {"email": "a@b.c", "isLoggedIn": true}});
        let mut event = json!({"user": {"isLoggedIn": false}});
        copy_falsy(&mut event, &dd, "user.isLoggedIn").unwrap();
        copy_falsy(&mut event, &dd, "user.email").unwrap();
        copy_falsy(&mut event, &dd, "user.firstName").unwrap();
        assert_eq!(
            event,
            json!({"user": {"isLoggedIn": true, "email": "a@b.c"}})
        );
        let mut event = json!({"user": null});
        assert!(copy_falsy(&mut event, &dd, "user.email").is_err());
    }
}
