//! An event's handler plan: the override, the product overrides, the event
//! variables and the product variables, run in one request on one JavaScript
//! event object that every step shares, as the browser shares it. Each call
//! is reported as a [`CallRecord`], in the order the calls ran; the event
//! comes back once, as JSON text, after the last step.

use boa_engine::JsValue;
use handlebox_protocol::{CallId, CallRecord, ErrorInfo, ErrorKind, Response, SetFailure, Step};
use serde_json::value::RawValue;

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

/// The calls of a plan so far; with a trace, each record gets the event as
/// its call left it, while the plan's snapshots stay within their budget.
struct Records {
    calls: Vec<CallRecord>,
    /// Bytes of snapshots the plan may still return; `None`: no trace.
    trace: Option<usize>,
}

impl Records {
    /// Adds `record`, with the event's snapshot when tracing. A snapshot is
    /// written only from plain data (never by calling a handler's `toJSON`
    /// or getters, which would run code a page without a trace does not
    /// run); an event that is not plain data, or one past the budget, has
    /// none.
    fn push(&mut self, world: &World, event: &JsValue, mut record: CallRecord) {
        if let Some(left) = self.trace.as_mut()
            && let Some(text) = world.plain_json(event, *left)
        {
            *left -= text.len();
            record.event = Some(text);
        }
        self.calls.push(record);
    }
}

/// Bytes of event snapshots one traced plan may return.
const TRACE_BYTES: usize = 1 << 20;

/// Runs `steps` on the event in `text`; with `trace`, every record carries
/// the event after its call.
pub(crate) fn run(
    world: &mut World,
    text: &str,
    steps: &[Step],
    skips: &Skips<'_>,
    trace: bool,
) -> Response {
    let event = match world.parse_arg(text) {
        Ok(event) => event,
        Err(error) => return Response::Refused { error },
    };
    // Handlers together may add at most one value's limit to the event.
    let limit = text.len() + world.max_output_bytes();
    let mut records = Records {
        calls: Vec::new(),
        trace: trace.then_some(TRACE_BYTES),
    };
    for (index, step) in steps.iter().enumerate() {
        let id = CallId {
            step: index,
            item: None,
        };
        match step {
            Step::Override { handler } => {
                let record = call(world, *handler, &event, id, None, skips).0;
                records.push(world, &event, record);
            }
            Step::Variable {
                handler,
                prop,
                event: only,
            } => {
                if only.is_empty() || event_name(world, &event) == *only {
                    let target = Target::Event { prop };
                    let record = variable(world, *handler, &event, &event, target, id, skips);
                    records.push(world, &event, record);
                }
            }
            Step::ProductOverride { handler } | Step::ProductVariable { handler, .. } => {
                let products = match products(world, &event) {
                    Ok(products) => products,
                    Err(error) => {
                        // Finding the products threw (a getter left on the
                        // event): this step fails, the others go on.
                        let mut record = record(id, None);
                        record.ran = true;
                        record.error = Some(error);
                        records.push(world, &event, record);
                        continue;
                    }
                };
                for (item, (path, product)) in products.into_iter().enumerate() {
                    let id = CallId {
                        step: index,
                        item: Some(item),
                    };
                    let record = match step {
                        Step::ProductVariable { prop, .. } => {
                            let target = Target::Product {
                                object: &product,
                                path: &path,
                                prop,
                            };
                            let mut record =
                                variable(world, *handler, &product, &event, target, id, skips);
                            record.product = Some(path);
                            record
                        }
                        _ => call(world, *handler, &product, id, Some(path), skips).0,
                    };
                    records.push(world, &event, record);
                }
            }
        }
    }
    let mut calls = records.calls;
    // A handler that leaves the event unconvertible (a cycle, a BigInt, too
    // large) has its call fail, and the event goes on as it came in.
    let event = match world.stringify_within(event, "the event after its handlers", limit) {
        Ok(Some(text)) => text,
        Ok(None) => {
            blame(
                &mut calls,
                output("the event after its handlers is not an object"),
            );
            text.to_owned()
        }
        Err(error) => {
            blame(&mut calls, error);
            text.to_owned()
        }
    };
    let cookies_set = world.take_cookie_writes();
    match RawValue::from_string(event) {
        Ok(event) => Response::Ran {
            event,
            calls,
            cookies_set,
        },
        Err(e) => Response::Refused {
            error: output(&format!("the event after its handlers is not JSON: {e}")),
        },
    }
}

/// The record of call `id` before it runs.
fn record(id: CallId, product: Option<String>) -> CallRecord {
    CallRecord {
        id,
        product,
        ran: false,
        value: None,
        logs: Vec::new(),
        dropped_logs: 0,
        error: None,
        set_failure: None,
        event: None,
    }
}

/// A call's returned value and its JSON (`None`: `undefined`).
type Returned = (JsValue, Option<String>);

/// Runs one call unless it is skipped; the record, and what it returned.
fn call(
    world: &mut World,
    handler: usize,
    arg: &JsValue,
    id: CallId,
    product: Option<String>,
    skips: &Skips<'_>,
) -> (CallRecord, Option<Returned>) {
    let mut record = record(id, product);
    if skips.skips(id, handler) {
        return (record, None);
    }
    let Some(Invoked {
        result,
        json,
        logs,
        dropped_logs,
    }) = world.invoke(handler, arg, id, false)
    else {
        // The host stopped the handler (its share of the page's time is
        // spent, or the page was cancelled): the call did not run.
        return (record, None);
    };
    record.ran = true;
    record.logs = logs;
    record.dropped_logs = dropped_logs;
    match (result, json) {
        (Ok(value), Some(Ok(text))) => (record, Some((value, text))),
        (Ok(value), None) => (record, Some((value, None))),
        (Ok(_), Some(Err(error))) | (Err(error), _) => {
            record.error = Some(error);
            (record, None)
        }
    }
}

/// Where a variable's value is written.
#[derive(Clone, Copy)]
enum Target<'a> {
    /// At `prop` of the event.
    Event { prop: &'a str },
    /// At `prop` of the product `object`, found at `path` in the event.
    Product {
        object: &'a JsValue,
        path: &'a str,
        prop: &'a str,
    },
}

/// Runs a variable on `arg` and writes its value at `target`.
fn variable(
    world: &mut World,
    handler: usize,
    arg: &JsValue,
    event: &JsValue,
    target: Target<'_>,
    id: CallId,
    skips: &Skips<'_>,
) -> CallRecord {
    let (mut record, returned) = call(world, handler, arg, id, None, skips);
    let Some((value, Some(text))) = returned else {
        return record;
    };
    // An object is written as its JSON copy, so that a handler that returns
    // the event itself does not make it a cycle.
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
    match write(world, event, target, written) {
        Ok(None) => record.value = Some(text),
        Ok(Some(failure)) => record.set_failure = Some(failure),
        Err(error) => record.error = Some(error),
    }
    record
}

/// Writes `value` at `target`; `Some` where the reference would throw.
fn write(
    world: &mut World,
    event: &JsValue,
    target: Target<'_>,
    value: JsValue,
) -> Result<Option<SetFailure>, ErrorInfo> {
    let (root, path) = match target {
        Target::Event { prop } if is_key(prop) => {
            return world.set(event, prop, value).map(|()| None);
        }
        Target::Product { object, prop, .. } if is_key(prop) => {
            return world.set(object, prop, value).map(|()| None);
        }
        Target::Event { prop } => (event, prop.to_owned()),
        Target::Product { path, prop, .. } => (event, format!("{path}.{prop}")),
    };
    let path_value: JsValue = boa_engine::js_string!(path.as_str()).into();
    let failure = world.runtime_call("setPath", &[root.clone(), path_value, value])?;
    if failure.is_undefined() {
        return Ok(None);
    }
    let mut part = |i: &str| -> Result<String, ErrorInfo> {
        Ok(world
            .get(&failure, i)?
            .as_string()
            .map(|s| s.to_std_string_escaped())
            .unwrap_or_default())
    };
    Ok(Some(SetFailure {
        path: part("0")?,
        at: part("1")?,
    }))
}

/// Whether `prop` is one key, not a path (`a.b`, `a[0]`).
fn is_key(prop: &str) -> bool {
    !prop.is_empty() && !prop.contains(['.', '[', ']'])
}

/// The products of an event, as handlers.md lists them, each with its path:
/// `product`; else every `listing.items[]`; else every
/// `cart.lineItems[].product`; else every `transaction.lineItems[].product`;
/// else `listItem.product` or every `listItems[].product`. Only own
/// properties count, as only they are in the event's JSON.
fn products(world: &mut World, event: &JsValue) -> Result<Vec<(String, JsValue)>, ErrorInfo> {
    if let Some(product) = world.own(event, "product")?.filter(is_record) {
        return Ok(vec![("product".to_owned(), product)]);
    }
    for (list, items, inner) in [
        ("listing", "items", None),
        ("cart", "lineItems", Some("product")),
        ("transaction", "lineItems", Some("product")),
    ] {
        let found = match world.own(event, list)?.filter(is_record) {
            Some(container) => each(world, &container, items, inner, &format!("{list}.{items}"))?,
            None => Vec::new(),
        };
        if !found.is_empty() {
            return Ok(found);
        }
    }
    if let Some(list_item) = world.own(event, "listItem")?.filter(is_record)
        && let Some(product) = world.own(&list_item, "product")?.filter(is_record)
    {
        return Ok(vec![("listItem.product".to_owned(), product)]);
    }
    each(world, event, "listItems", Some("product"), "listItems")
}

/// The records in the array at `container[items]` (or their `inner`
/// record), each with its path under `prefix`.
fn each(
    world: &mut World,
    container: &JsValue,
    items: &str,
    inner: Option<&str>,
    prefix: &str,
) -> Result<Vec<(String, JsValue)>, ErrorInfo> {
    let Some(values) = world
        .own(container, items)?
        .filter(|v| v.as_object().is_some_and(|o| o.is_array()))
    else {
        return Ok(Vec::new());
    };
    let length = world.get(&values, "length")?.as_number().unwrap_or(0.0) as usize;
    let mut found = Vec::new();
    for i in 0..length {
        // A hole is `null` in JSON, not a product.
        let Some(item) = world.own(&values, &i.to_string())? else {
            continue;
        };
        if !is_record(&item) {
            continue;
        }
        match inner {
            None => found.push((format!("{prefix}[{i}]"), item)),
            Some(key) => {
                if let Some(product) = world.own(&item, key)?.filter(is_record) {
                    found.push((format!("{prefix}[{i}].{key}"), product));
                }
            }
        }
    }
    Ok(found)
}

/// An object JSON writes as an object: an ordinary one (not an array, a
/// function, a `Date`, a `Map`, a proxy).
fn is_record(value: &JsValue) -> bool {
    value.as_object().is_some_and(|o| o.is_ordinary())
}

fn event_name(world: &mut World, event: &JsValue) -> String {
    world
        .runtime_call("eventName", std::slice::from_ref(event))
        .ok()
        .and_then(|name| name.as_string().map(|s| crate::json::text(&s)))
        .unwrap_or_default()
}

/// Puts `error` on the last call that ran (unless it has one); no value
/// stays written, since the event goes on as it came in.
fn blame(calls: &mut [CallRecord], error: ErrorInfo) {
    calls.iter_mut().for_each(|call| call.value = None);
    if let Some(last) = calls.iter_mut().rev().find(|c| c.ran)
        && last.error.is_none()
    {
        last.error = Some(error);
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
