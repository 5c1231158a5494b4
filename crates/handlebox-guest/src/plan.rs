//! An event's handler plan: the override, the product overrides, the event
//! variables and the product variables, run in one request on one JavaScript
//! event object that every step shares, as the browser shares it. Each call
//! is reported as a [`CallRecord`], in the order the calls ran; the event
//! comes back once, as JSON text, after the last step.

use boa_engine::JsValue;
use handlebox_protocol::{CallId, CallRecord, ErrorInfo, ErrorKind, Response, SetFailure, Step};

use crate::world::{Invoked, World};

/// What the request asked not to run.
pub(crate) struct Skips<'a> {
    /// Calls that ended an earlier instance.
    pub(crate) calls: &'a [CallId],
    /// Handlers stopped for the rest of the page.
    pub(crate) handlers: &'a [usize],
}

impl Skips<'_> {
    fn skips(&self, id: CallId, handler: usize) -> bool {
        self.handlers.contains(&handler) || self.calls.contains(&id)
    }
}

/// Runs `steps` on the event in `text`.
pub(crate) fn run(world: &mut World, text: &str, steps: &[Step], skips: &Skips<'_>) -> Response {
    let mut event = match world.parse_arg(text) {
        Ok(event) => event,
        Err(error) => return Response::Refused { error },
    };
    // Handlers together may add at most one value's limit to the event.
    let limit = text.len() + world.max_output_bytes();
    let mut last_good = text.to_owned();
    let mut calls = Vec::new();
    for (index, step) in steps.iter().enumerate() {
        let first_call = calls.len();
        let result = match step {
            Step::Override { handler } => {
                let id = CallId {
                    step: index,
                    item: None,
                };
                calls.push(call(world, *handler, &event, id, None, skips).0);
                Ok(())
            }
            Step::Variable {
                handler,
                prop,
                event: only,
            } => {
                if !only.is_empty() && event_name(world, &event) != *only {
                    continue;
                }
                let id = CallId {
                    step: index,
                    item: None,
                };
                let target = event.clone();
                calls.push(variable(world, *handler, &target, &mut event, prop, id, None, skips));
                Ok(())
            }
            Step::ProductOverride { handler } | Step::ProductVariable { handler, .. } => {
                products(world, &event).map(|products| {
                    for (item, (path, product)) in products.into_iter().enumerate() {
                        let id = CallId {
                            step: index,
                            item: Some(item),
                        };
                        let record = match step {
                            Step::ProductVariable { prop, .. } => {
                                let at = format!("{path}.{prop}");
                                variable(world, *handler, &product, &mut event, &at, id, Some(path), skips)
                            }
                            _ => call(world, *handler, &product, id, Some(path), skips).0,
                        };
                        calls.push(record);
                    }
                })
            }
        };
        if let Err(error) = result {
            return Response::Refused { error };
        }
        let changed_by_override = matches!(
            step,
            Step::Override { .. } | Step::ProductOverride { .. }
        ) && calls.len() > first_call;
        if changed_by_override {
            // An override that leaves the event unconvertible (a cycle, a
            // BigInt, too large) is undone, and its call says why.
            let error = match world.stringify_within(event.clone(), "the changed event", limit) {
                Ok(Some(text)) => {
                    last_good = text;
                    None
                }
                Ok(None) => Some(output("the changed event is not an object")),
                Err(error) => Some(error),
            };
            if let Some(error) = error {
                {
                    blame(&mut calls, error);
                    event = match world.parse_arg(&last_good) {
                        Ok(event) => event,
                        Err(error) => return Response::Refused { error },
                    };
                }
            }
        }
    }
    let event = match world.stringify_within(event, "the event after its handlers", limit) {
        Ok(Some(text)) => text,
        Ok(None) | Err(_) if calls.iter().any(|c| c.ran) => {
            blame(
                &mut calls,
                output("the event after its handlers cannot be converted to JSON"),
            );
            last_good
        }
        Ok(None) | Err(_) => last_good,
    };
    Response::Ran { event, calls }
}

/// Runs one call unless it is skipped; the record, and the returned value.
fn call(
    world: &mut World,
    handler: usize,
    arg: &JsValue,
    id: CallId,
    product: Option<String>,
    skips: &Skips<'_>,
) -> (CallRecord, Option<JsValue>) {
    if skips.skips(id, handler) {
        return (
            CallRecord {
                id,
                product,
                ran: false,
                value: None,
                logs: Vec::new(),
                dropped_logs: 0,
                error: None,
                set_failure: None,
            },
            None,
        );
    }
    let Invoked {
        result,
        logs,
        dropped_logs,
    } = world.invoke(handler, arg, id);
    let (value, error) = match result {
        Ok(value) => (Some(value), None),
        Err(error) => (None, Some(error)),
    };
    (
        CallRecord {
            id,
            product,
            ran: true,
            value: None,
            logs,
            dropped_logs,
            error,
            set_failure: None,
        },
        value,
    )
}

/// Runs a variable on `arg` and writes its value at `at` of `event`.
#[allow(clippy::too_many_arguments)]
fn variable(
    world: &mut World,
    handler: usize,
    arg: &JsValue,
    event: &mut JsValue,
    at: &str,
    id: CallId,
    product: Option<String>,
    skips: &Skips<'_>,
) -> CallRecord {
    let (mut record, value) = call(world, handler, arg, id, product, skips);
    let Some(value) = value else {
        return record;
    };
    match world.stringify(value.clone(), "the returned value") {
        Ok(Some(text)) => {
            // An object is written as its JSON copy, so that a handler that
            // returns the event itself does not make it a cycle.
            let written = if value.is_object() {
                match world.parse_arg(&text) {
                    Ok(copy) => copy,
                    Err(error) => {
                        record.error = Some(error);
                        return record;
                    }
                }
            } else {
                value
            };
            let path: JsValue = boa_engine::js_string!(at).into();
            match world.runtime_call("setPath", &[event.clone(), path, written]) {
                Ok(failure) if failure.is_undefined() => {}
                Ok(failure) => {
                    let part = |world: &mut World, i: &str| {
                        world
                            .get(&failure, i)
                            .ok()
                            .and_then(|v| v.as_string().map(|s| s.to_std_string_escaped()))
                            .unwrap_or_default()
                    };
                    record.set_failure = Some(SetFailure {
                        path: part(world, "0"),
                        at: part(world, "1"),
                    });
                }
                Err(error) => record.error = Some(error),
            }
            if record.set_failure.is_none() && record.error.is_none() {
                record.value = Some(text);
            }
        }
        Ok(None) => {}
        Err(error) => record.error = Some(error),
    }
    record
}

/// The event's products, each with its path.
fn products(world: &mut World, event: &JsValue) -> Result<Vec<(String, JsValue)>, ErrorInfo> {
    let list = world.runtime_call("productsOf", std::slice::from_ref(event))?;
    let length = world.get(&list, "length")?.as_number().unwrap_or(0.0) as usize;
    let mut found = Vec::with_capacity(length);
    for i in 0..length {
        let pair = world.get(&list, &i.to_string())?;
        let path = world
            .get(&pair, "0")?
            .as_string()
            .map(|s| s.to_std_string_escaped())
            .unwrap_or_default();
        found.push((path, world.get(&pair, "1")?));
    }
    Ok(found)
}

fn event_name(world: &mut World, event: &JsValue) -> String {
    world
        .runtime_call("eventName", std::slice::from_ref(event))
        .ok()
        .and_then(|name| name.as_string().map(|s| s.to_std_string_escaped()))
        .unwrap_or_default()
}

/// Puts `error` on the last call that ran and has none.
fn blame(calls: &mut [CallRecord], error: ErrorInfo) {
    if let Some(last) = calls.iter_mut().rev().find(|c| c.ran) {
        if last.error.is_none() {
            last.error = Some(error);
        }
        last.value = None;
    }
}

fn output(message: &str) -> ErrorInfo {
    ErrorInfo {
        kind: ErrorKind::Output,
        message: message.to_owned(),
        line: None,
        column: None,
    }
}
