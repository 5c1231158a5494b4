//! One page: an instance of its own, the page's data, and calls to handlers,
//! one at a time ([`PageWorld::call`]) or an event's whole plan in one request
//! ([`PageWorld::run_event`]).
//!
//! A call that traps (deadline, memory cap, engine crash) ends that
//! instance; the page opens a fresh one with its current data for what is
//! left, so one bad handler costs its own result and the page's JavaScript
//! state, never the other handlers' results. A handler whose calls trapped
//! [`STRIKES`] times is not run again on the page, so one hostile handler
//! costs a page at most that many deadlines.
//!
//! A page may also have a [`PageBudget`]: no call or request runs past its
//! deadline, and a handler whose calls add up to more than half of it is
//! not run again on the page either, deadlines overrun or not.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use handlebox_protocol::{
    CallId, CallRecord, ErrorInfo, ErrorKind, LogLine, PageContext, Request, Response, SetFailure,
    Step,
};
use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::budget::{Budget, Cost, PageBudget, setup_deadline};
use crate::host::HandlerTime;
use crate::instance::{Instance, Trapped};
use crate::{HandlerSet, SandboxError, input};

/// Calls that ended their instance after which a handler is not run again
/// on the same page.
pub const STRIKES: u32 = 2;

/// What one handler has spent on the page.
#[derive(Debug, Clone, Copy, Default)]
struct Spent {
    /// Calls that ended their instance.
    traps: u32,
    /// Wall-clock time of all its calls, and of the work they left to run
    /// after them.
    micros: u64,
}

/// The outcome of one handler call. A handler's own failure is in
/// [`CallOutcome::error`]; it is not an `Err`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CallOutcome {
    /// The returned value as `JSON.stringify` converts it, except that values
    /// it writes as `null` without being `null` (`NaN`, `Infinity`, an invalid
    /// `Date`) are kept marked ([`NULL_IN_JSON`](crate::NULL_IN_JSON)) for
    /// the pipeline; [`finish_json`](crate::finish_json) turns them into
    /// `null`. `None` for `undefined`.
    pub value: Option<Value>,
    /// The argument after an override function changed it.
    pub arg: Option<Value>,
    /// What the handler wrote to the console.
    pub logs: Vec<LogLine>,
    /// Console lines beyond the limit, counted but not kept.
    pub dropped_logs: usize,
    /// Why the call failed, placed in the handler's text where possible.
    pub error: Option<ErrorInfo>,
    /// What the call cost.
    pub cost: Cost,
    /// Whether the call ended its instance (deadline, memory cap, engine
    /// failure): the page's JavaScript state was lost and the next call
    /// starts a fresh instance.
    pub trapped: bool,
}

/// One call of an event's plan.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PlanCall {
    /// Index of the step in the plan.
    pub step: usize,
    /// Where the product is in the event, for product steps
    /// (`transaction.lineItems[0].product`).
    pub product: Option<String>,
    /// Where writing a variable's value threw, as it throws in the reference.
    pub set_failure: Option<SetFailure>,
    /// Whether the handler ran: `false` for a handler stopped for the page
    /// (see [`STRIKES`]), or a plan that could not start.
    pub ran: bool,
    /// The call's outcome; `arg` is always `None` (the event is shared).
    pub outcome: CallOutcome,
    /// The event as this call left it, when the page is traced.
    pub event: Option<Value>,
}

/// What an event's plan did.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EventOutcome {
    /// The event after every step.
    pub event: Value,
    /// Every call, in the order they ran.
    pub calls: Vec<PlanCall>,
    /// What the handlers wrote to `document.cookie`, in order.
    pub cookies_set: Vec<String>,
}

impl CallOutcome {
    fn failed(error: ErrorInfo, cost: Cost) -> Self {
        Self {
            error: Some(error),
            cost,
            ..Self::default()
        }
    }
}

/// A request's answer and what each handler call in it cost.
type Answer = (Response, Vec<(CallId, Cost)>);

/// One page's isolated JavaScript world. `Send`, not shared: one page is
/// served by one thread at a time.
pub struct PageWorld {
    handlers: HandlerSet,
    /// The page as JSON, part by part, as instances receive it.
    parts: Parts,
    instance: Option<Instance>,
    /// Whether the instance has not seen the page's current `digitalData`.
    digital_data_changed: bool,
    /// Instances this page has used; more than one after a trap.
    opened: u32,
    /// What each handler has spent on the page.
    spent: Vec<Spent>,
    /// The page's budget, if it has one.
    budget: Option<PageBudget>,
    /// Set when the page is cancelled: no call starts after that.
    cancelled: Option<Arc<AtomicBool>>,
    /// Whether plans report the event after each call.
    trace: bool,
}

/// The JSON of [`PageContext`], each part encoded once (and `digitalData`
/// again when it changes); the guest reads it as `PageContextText`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Parts {
    digital_data: Box<RawValue>,
    url: String,
    cookies: Box<RawValue>,
    globals: Box<RawValue>,
    data_layer: Box<RawValue>,
    referrer: String,
    title: String,
    user_agent: String,
    language: String,
    html: Option<String>,
    /// Grows with each event's `cookiesSet`, so a fresh instance of the
    /// page sees what handlers wrote on it before.
    cookie_writes: Vec<String>,
    /// Set when parsing `html` ran past a limit: the document is then
    /// unavailable to the page's handlers, and they are told why.
    html_error: Option<String>,
}

impl Parts {
    /// Encodes `data`, refusing it when a part is too deep or all of it is
    /// too large.
    fn encode(data: &PageContext, limits: &crate::Limits) -> Result<Self, ErrorInfo> {
        let what = "the page";
        let parts = Self {
            digital_data: input::encode(&data.digital_data, what, limits)?,
            url: data.url.clone(),
            cookies: input::encode_map(&data.cookies, what, limits)?,
            globals: input::encode(&data.globals, what, limits)?,
            data_layer: input::encode(&data.data_layer, what, limits)?,
            referrer: data.referrer.clone(),
            title: data.title.clone(),
            user_agent: data.user_agent.clone(),
            language: data.language.clone(),
            html: data.html.clone(),
            cookie_writes: data.cookie_writes.clone(),
            html_error: data.html_error.clone(),
        };
        let size = [
            &parts.digital_data,
            &parts.cookies,
            &parts.globals,
            &parts.data_layer,
        ]
        .iter()
        .map(|raw| raw.get().len())
        .sum::<usize>()
            + [&parts.url, &parts.referrer, &parts.title, &parts.user_agent]
                .iter()
                .map(|text| text.len())
                .sum::<usize>()
            + parts.html.as_ref().map_or(0, String::len);
        input::check_size(size, what, limits)?;
        Ok(parts)
    }
}

impl HandlerSet {
    /// Opens an isolated page: a fresh instance that holds `data`.
    pub fn open_page(&self, data: &PageContext) -> Result<PageWorld, SandboxError> {
        PageWorld::open(self.clone(), data)
    }

    /// Opens a page on tokio's blocking pool, runs `work` on it there and
    /// returns its result, so the reactor threads never run JavaScript.
    #[cfg(feature = "tokio")]
    pub async fn with_page<F, R>(&self, data: PageContext, work: F) -> Result<R, SandboxError>
    where
        F: FnOnce(&mut PageWorld) -> R + Send + 'static,
        R: Send + 'static,
    {
        let handlers = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut page = handlers.open_page(&data)?;
            Ok(work(&mut page))
        })
        .await
        .map_err(|e| SandboxError::Protocol(format!("the page's worker failed: {e}")))?
    }
}

impl PageWorld {
    fn open(handlers: HandlerSet, data: &PageContext) -> Result<Self, SandboxError> {
        let limits = &handlers.sandbox.config().limits;
        let parts = Parts::encode(data, limits).map_err(SandboxError::Input)?;
        let spent = vec![Spent::default(); handlers.len()];
        let mut page = Self {
            handlers,
            parts,
            instance: None,
            digital_data_changed: false,
            opened: 0,
            spent,
            budget: None,
            cancelled: None,
            trace: false,
        };
        page.instance()?;
        Ok(page)
    }

    /// The label of handler `index`, for messages.
    pub fn label(&self, index: usize) -> Option<&str> {
        self.handlers.label(index)
    }

    /// Holds every later call and request of the page to `budget`.
    pub fn set_budget(&mut self, budget: PageBudget) {
        self.budget = Some(budget);
    }

    /// Once `cancelled` is set, no further handler call starts on the page
    /// (those asked for are reported as not run).
    pub fn set_cancel(&mut self, cancelled: Arc<AtomicBool>) {
        self.cancelled = Some(cancelled);
    }

    /// With `trace`, each call of [`PageWorld::run_event`] reports the
    /// event as it left it ([`PlanCall::event`]).
    pub fn set_trace(&mut self, trace: bool) {
        self.trace = trace;
    }

    /// How many instances this page has used (1, plus one per trap).
    pub fn instances_used(&self) -> u32 {
        self.opened
    }

    /// A fresh instance from the project's image, holding the page's data
    /// (its `html` parsed, when a handler may read the document).
    fn instance(&mut self) -> Result<&mut Instance, SandboxError> {
        if self.instance.is_none() {
            let mut instance = self.open_instance()?;
            if self.handlers.reads_document
                && self.parts.html.is_some()
                && self.parts.html_error.is_none()
                && let Err(trap) = instance.request(&Request::Parse, self.budget())
            {
                // The parse ended the instance: the page goes on without
                // its document, and every read of it says why.
                self.parts.html_error = Some(format!(
                    "the page's html could not be parsed: {}",
                    trap.error.message
                ));
                instance = self.open_instance()?;
            }
            self.opened += 1;
            self.digital_data_changed = false;
            self.instance = Some(instance);
        }
        self.instance
            .as_mut()
            .ok_or_else(|| SandboxError::Protocol("no instance".to_owned()))
    }

    /// A fresh instance from the project's image, opened on the page.
    fn open_instance(&self) -> Result<Instance, SandboxError> {
        let sandbox = &self.handlers.sandbox;
        let mut instance = sandbox.instantiate()?;
        instance.apply(&self.handlers.image)?;
        let page = serde_json::value::to_raw_value(&self.parts)
            .map_err(|e| SandboxError::Protocol(format!("cannot encode the page: {e}")))?;
        match instance.request(&Request::Open { page }, self.budget()) {
            Ok(Response::Ready) => Ok(instance),
            Ok(Response::Refused { error }) => Err(SandboxError::Open(error)),
            Ok(other) => Err(SandboxError::Protocol(format!(
                "unexpected answer to opening a page: {other:?}"
            ))),
            Err(trap) => Err(SandboxError::Open(trap.error)),
        }
    }

    /// Replaces the page's `digitalData`, for the handlers that run next;
    /// the instance receives it with the next call.
    pub fn set_digital_data(&mut self, digital_data: &Value) -> Result<(), SandboxError> {
        let limits = &self.handlers.sandbox.config().limits;
        self.parts.digital_data =
            input::encode(digital_data, "digitalData", limits).map_err(SandboxError::Input)?;
        self.digital_data_changed = true;
        Ok(())
    }

    /// The new `digitalData` for the next request, if the instance has not
    /// seen it (a freshly opened one has).
    fn digital_data_update(&self) -> Option<Box<RawValue>> {
        self.digital_data_changed
            .then(|| self.parts.digital_data.clone())
    }

    fn budget(&self) -> Budget {
        let limits = &self.handlers.sandbox.config().limits;
        Budget {
            call: limits.deadline,
            fuel: limits.fuel,
            request: setup_deadline(limits.deadline),
            page: self.budget,
        }
    }

    /// Why handler `index` is not run again on this page, if it is not.
    fn stopped(&self, index: usize) -> Option<ErrorInfo> {
        if self
            .cancelled
            .as_ref()
            .is_some_and(|c| c.load(Ordering::Relaxed))
        {
            return Some(timeout(
                "not run: the page was cancelled (its client went away)".to_owned(),
            ));
        }
        let spent = self.spent.get(index)?;
        let message = if spent.traps >= STRIKES {
            format!("not run: this handler exceeded its limits {STRIKES} times on this page")
        } else {
            let budget = self.budget?;
            let share = budget.handler_share();
            if spent.micros <= share.as_micros() as u64 {
                return None;
            }
            format!(
                "not run: this handler has spent {} ms on this page, more than half of the \
                 page's time budget of {} ms",
                spent.micros / 1000,
                budget.time.as_millis()
            )
        };
        Some(timeout(message))
    }

    fn struck(&self, index: usize) -> bool {
        self.stopped(index).is_some()
    }

    /// Why nothing more runs on this page, once its time budget is spent.
    fn out_of_time(&self) -> Option<ErrorInfo> {
        let budget = self.budget.filter(PageBudget::spent)?;
        Some(timeout(budget.spent_message()))
    }

    /// Adds `micros` to what handler `index` has spent.
    fn charge(&mut self, index: usize, micros: u64) {
        if let Some(spent) = self.spent.get_mut(index) {
            spent.micros = spent.micros.saturating_add(micros);
        }
    }

    /// Sends `request` (whose steps run `step_handlers`) with the handlers'
    /// time accounts, so that the host stops a handler the moment it has
    /// spent its share, and takes the accounts back; `Err(Trapped)` is a
    /// trap, after which the instance must be dropped.
    fn exchange(
        &mut self,
        request: &Request,
        step_handlers: Vec<usize>,
        budget: Budget,
    ) -> Result<Result<Answer, Trapped>, SandboxError> {
        let time = HandlerTime {
            step_handlers,
            spent: self.spent.iter().map(|s| s.micros).collect(),
            share: self.budget.map(|b| b.handler_share().as_micros() as u64),
            cancelled: self.cancelled.clone(),
        };
        let instance = self.instance()?;
        *instance.handler_time() = time;
        let answer = instance.request(request, budget);
        let costs = instance.take_costs();
        let spent = std::mem::take(&mut instance.handler_time().spent);
        for (account, micros) in self.spent.iter_mut().zip(spent) {
            account.micros = micros;
        }
        Ok(answer.map(|response| (response, costs)))
    }

    /// Drops the instance after a trap, and counts it against handler
    /// `index` unless the page's own budget ran out.
    fn trapped(&mut self, index: Option<usize>, trap: &Trapped) {
        self.instance = None;
        if let Some(i) = index {
            self.charge(i, trap.cost.micros);
            if !trap.page_spent
                && let Some(spent) = self.spent.get_mut(i)
            {
                spent.traps += 1;
            }
        }
    }

    /// Runs handler `index` on `arg` (an event or a product).
    ///
    /// `Err` only for misuse (no such handler) or when no instance can be
    /// had; everything the handler does wrong is in the outcome's `error`.
    pub fn call(&mut self, index: usize, arg: &Value) -> Result<CallOutcome, SandboxError> {
        let count = self.handlers.len();
        if index >= count {
            return Err(SandboxError::NoSuchHandler { index, count });
        }
        if let Some(error) = self.stopped(index).or_else(|| self.out_of_time()) {
            return Ok(CallOutcome::failed(error, Cost::default()));
        }
        let limits = &self.handlers.sandbox.config().limits;
        let arg = match input::encode(arg, "the argument", limits) {
            Ok(arg) => arg,
            Err(error) => return Ok(CallOutcome::failed(error, Cost::default())),
        };
        let budget = self.budget();
        self.instance()?;
        let request = Request::Call {
            digital_data: self.digital_data_update(),
            handler: index,
            arg,
        };
        match self.exchange(&request, vec![index], budget)? {
            Ok((response, costs)) => {
                let cost = costs.first().map(|(_, cost)| *cost).unwrap_or_default();
                self.digital_data_changed = false;
                let mut outcome = outcome(response, cost);
                // No cost and an error: the host refused to start the call.
                if costs.is_empty()
                    && outcome.error.is_some()
                    && let Some(reason) = self.stopped(index)
                {
                    outcome.error = Some(reason);
                }
                Ok(outcome)
            }
            Err(trap) => {
                self.trapped(trap.call.map(|_| index), &trap);
                Ok(CallOutcome {
                    trapped: true,
                    ..CallOutcome::failed(trap.error.clone(), trap.cost)
                })
            }
        }
    }

    /// Runs an event's plan: every step in order on one event object, in
    /// one request. A call that traps is answered with its error and the
    /// plan runs again on a fresh instance without it (the earlier calls run
    /// again there, and only that run is reported), so every call of the
    /// plan is in the outcome.
    pub fn run_event(
        &mut self,
        steps: &[Step],
        event: &Value,
    ) -> Result<EventOutcome, SandboxError> {
        let count = self.handlers.len();
        if let Some(step) = steps.iter().find(|s| s.handler() >= count) {
            return Err(SandboxError::NoSuchHandler {
                index: step.handler(),
                count,
            });
        }
        let original = event;
        let limits = &self.handlers.sandbox.config().limits;
        let text = match input::encode(event, "the event", limits) {
            Ok(text) => text,
            Err(error) => return Ok(every_step_failed(steps, event, &error)),
        };
        let budget = self.budget();
        let mut trapped: Vec<(CallId, Trapped)> = Vec::new();
        loop {
            if let Some(error) = self.out_of_time() {
                return Ok(every_step_failed(steps, event, &error));
            }
            self.instance()?;
            let request = Request::Event {
                digital_data: self.digital_data_update(),
                event: text.clone(),
                steps: steps.to_vec(),
                skip: trapped.iter().map(|(id, _)| *id).collect(),
                struck: (0..count).filter(|i| self.struck(*i)).collect(),
                trace: self.trace,
            };
            let step_handlers = steps.iter().map(Step::handler).collect();
            match self.exchange(&request, step_handlers, budget)? {
                Ok((
                    Response::Ran {
                        event,
                        calls,
                        cookies_set,
                    },
                    costs,
                )) => {
                    self.digital_data_changed = false;
                    self.parts.cookie_writes.extend(cookies_set.iter().cloned());
                    let mut outcome = self.event_outcome(steps, calls, &costs, &trapped);
                    outcome.cookies_set = cookies_set;
                    outcome.event = match serde_json::from_str(event.get()) {
                        Ok(changed) => changed,
                        Err(e) => {
                            // Deeper than JSON readers go, for one: the
                            // event goes on as it came, the last call says why.
                            if let Some(last) = outcome.calls.iter_mut().rev().find(|c| c.ran) {
                                last.outcome.value = None;
                                last.outcome.error.get_or_insert(ErrorInfo {
                                    kind: ErrorKind::Output,
                                    message: format!(
                                        "the event after its handlers cannot be read back: {e}"
                                    ),
                                    line: None,
                                    column: None,
                                });
                            }
                            outcome
                                .calls
                                .iter_mut()
                                .for_each(|c| c.outcome.value = None);
                            original.clone()
                        }
                    };
                    return Ok(outcome);
                }
                Ok((Response::Refused { error }, _)) => {
                    self.digital_data_changed = false;
                    return Ok(every_step_failed(steps, event, &error));
                }
                Ok((other, _)) => {
                    return Err(SandboxError::Protocol(format!(
                        "unexpected answer to an event: {other:?}"
                    )));
                }
                Err(trap) => {
                    let fresh = trap.call.filter(|id| !trapped.iter().any(|(t, _)| t == id));
                    let handler = fresh.and_then(|id| steps.get(id.step)).map(Step::handler);
                    self.trapped(handler, &trap);
                    match fresh {
                        Some(id) if !trap.page_spent => trapped.push((id, trap)),
                        _ => return Ok(every_step_failed(steps, event, &trap.error)),
                    }
                }
            }
        }
    }

    fn event_outcome(
        &self,
        steps: &[Step],
        records: Vec<CallRecord>,
        costs: &[(CallId, Cost)],
        trapped: &[(CallId, Trapped)],
    ) -> EventOutcome {
        let calls = records
            .into_iter()
            .map(|record| {
                let id = record.id;
                let outcome = if record.ran {
                    let cost = costs
                        .iter()
                        .find(|(c, _)| *c == id)
                        .map(|(_, cost)| *cost)
                        .unwrap_or_default();
                    let value = record.value.map(|text| serde_json::from_str(&text));
                    match value.transpose() {
                        Ok(value) => CallOutcome {
                            value,
                            arg: None,
                            logs: record.logs,
                            dropped_logs: record.dropped_logs,
                            error: record.error,
                            cost,
                            trapped: false,
                        },
                        Err(e) => CallOutcome::failed(not_json(&e), cost),
                    }
                } else {
                    match trapped.iter().find(|(t, _)| *t == id) {
                        Some((_, trap)) => CallOutcome {
                            trapped: true,
                            ..CallOutcome::failed(trap.error.clone(), trap.cost)
                        },
                        None => {
                            let handler = steps.get(id.step).map(Step::handler);
                            let error = handler
                                .and_then(|h| self.stopped(h))
                                .unwrap_or_else(|| timeout("not run".to_owned()));
                            CallOutcome::failed(error, Cost::default())
                        }
                    }
                };
                PlanCall {
                    step: id.step,
                    product: record.product,
                    set_failure: record.set_failure,
                    ran: record.ran || outcome.trapped,
                    outcome,
                    event: record
                        .event
                        .and_then(|text| serde_json::from_str(&text).ok()),
                }
            })
            .collect();
        EventOutcome {
            event: Value::Null,
            calls,
            cookies_set: Vec::new(),
        }
    }
}

/// The outcome of a plan that could not run: the event unchanged, and every
/// step failing with `error`.
fn every_step_failed(steps: &[Step], event: &Value, error: &ErrorInfo) -> EventOutcome {
    EventOutcome {
        event: event.clone(),
        calls: (0..steps.len())
            .map(|step| PlanCall {
                step,
                outcome: CallOutcome::failed(error.clone(), Cost::default()),
                ..PlanCall::default()
            })
            .collect(),
        cookies_set: Vec::new(),
    }
}

fn timeout(message: String) -> ErrorInfo {
    ErrorInfo {
        kind: ErrorKind::Timeout,
        message,
        line: None,
        column: None,
    }
}

fn not_json(e: &serde_json::Error) -> ErrorInfo {
    ErrorInfo {
        kind: ErrorKind::Output,
        message: format!("the result is not valid JSON: {e}"),
        line: None,
        column: None,
    }
}

fn outcome(response: Response, cost: Cost) -> CallOutcome {
    match response {
        Response::Called {
            value,
            arg,
            logs,
            dropped_logs,
            error,
        } => {
            let parse = |text: Option<String>| -> Result<Option<Value>, ErrorInfo> {
                text.map(|text| serde_json::from_str(&text))
                    .transpose()
                    .map_err(|e| not_json(&e))
            };
            let (value, arg, error) = match (parse(value), parse(arg)) {
                (Ok(value), Ok(arg)) => (value, arg, error),
                (Err(e), _) | (_, Err(e)) => (None, None, Some(e)),
            };
            CallOutcome {
                value,
                arg,
                logs,
                dropped_logs,
                error,
                cost,
                trapped: false,
            }
        }
        Response::Refused { error } => CallOutcome::failed(error, cost),
        other => CallOutcome::failed(
            ErrorInfo {
                kind: ErrorKind::Thrown,
                message: format!("the sandbox guest answered {other:?} to a call"),
                line: None,
                column: None,
            },
            cost,
        ),
    }
}
