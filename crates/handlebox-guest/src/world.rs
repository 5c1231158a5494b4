//! The JavaScript world of an instance: a Boa context, the runtime of
//! helpers (`runtime.js`), the project's compiled handlers and the limits
//! every call is held to. It is built before the host's snapshot (context
//! and runtime) and before the project's image (handlers), so a page starts
//! with all of it ready.

use std::cell::RefCell;
use std::rc::Rc;

use boa_engine::object::FunctionObjectBuilder;
use boa_engine::object::builtins::{JsArray, JsPromise};
use boa_engine::property::PropertyKey;
use boa_engine::{
    Context, JsError, JsObject, JsResult, JsString, JsValue, NativeFunction, Script, Source,
    js_string,
};
use handlebox_protocol::{
    CallId, ErrorInfo, ErrorKind, GuestLimits, HandlerCheck, HandlerSource, LogLine, NULL_IN_JSON,
    Response, Role,
};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::json::text;
use crate::locale_data::HostLocaleData;
use crate::{browser, cldr_patterns, data, dom, errors, handlers, host, json, schema};

const RUNTIME_JS: &str = include_str!("runtime.js");
const BROWSER_JS: &str = include_str!("browser.js");
const INTL_JS: &str = include_str!("intl.js");

/// Console lines of the current call.
#[derive(Default)]
struct LogBuffer {
    lines: Vec<LogLine>,
    dropped: usize,
    max_lines: usize,
    max_line_bytes: usize,
}

thread_local! {
    static LOGS: RefCell<LogBuffer> = RefCell::new(LogBuffer::default());
}

fn host_log(_this: &JsValue, args: &[JsValue], _context: &mut Context) -> JsResult<JsValue> {
    let arg = |i: usize| {
        args.get(i)
            .and_then(JsValue::as_string)
            .map(|s| text(&s))
            .unwrap_or_default()
    };
    let (level, mut message) = (arg(0), arg(1));
    LOGS.with(|logs| {
        let mut logs = logs.borrow_mut();
        if logs.lines.len() >= logs.max_lines {
            logs.dropped += 1;
            return;
        }
        if message.len() > logs.max_line_bytes {
            let mut cut = logs.max_line_bytes;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
            message.push('…');
        }
        logs.lines.push(LogLine { level, message });
    });
    Ok(JsValue::undefined())
}

/// The functions of `runtime.js` the guest calls from Rust.
struct Runtime {
    object: JsValue,
    helpers: JsValue,
    /// The functions Rust calls, looked up once.
    functions: Vec<(&'static str, JsValue)>,
}

/// The functions of `runtime.js` the guest calls.
const FUNCTIONS: [&str; 6] = [
    "setPath",
    "eventName",
    "integration",
    "isUnsupported",
    "toJson",
    "revive",
];

impl Runtime {
    fn load(context: &mut Context) -> JsResult<Self> {
        let native = |f, name, context: &mut Context| -> JsValue {
            FunctionObjectBuilder::new(context.realm(), NativeFunction::from_fn_ptr(f))
                .name(js_string!(name))
                .build()
                .into()
        };
        let natives: [(&str, NativeFn); 22] = [
            ("page", data::host_page),
            ("globals", data::host_globals),
            ("digitalData", data::digital_data),
            ("digitalDataVersion", data::digital_data_version),
            ("urlParse", browser::url_parse),
            ("urlPart", browser::url_part),
            ("urlSetPart", browser::url_set_part),
            ("formParse", browser::form_parse),
            ("formSerialize", browser::form_serialize),
            ("cookieWritten", browser::cookie_written),
            ("domSelect", dom::select),
            ("domMatches", dom::matches),
            ("domFind", dom::find),
            ("domNode", dom::related),
            ("domChildren", dom::children),
            ("domAttributes", dom::attributes),
            ("domRead", dom::read),
            ("numberStyle", cldr_patterns::number_style),
            ("currencyDigits", cldr_patterns::currency_digits_of),
            ("numericDate", cldr_patterns::numeric_date_of),
            ("dateTime", cldr_patterns::date_time_of),
            ("nonFinite", cldr_patterns::non_finite_of),
        ];
        let host = JsObject::with_null_proto();
        for (name, f) in natives {
            let function = native(f, name, context);
            host.set(js_string!(name), function, true, context)?;
        }
        let parts = browser::url_parts(context);
        host.set(js_string!("urlParts"), parts, true, context)?;
        let browser = evaluate(BROWSER_JS, "browser", context)?;
        let browser = call_value(
            &browser,
            &JsValue::undefined(),
            &[host.clone().into()],
            context,
        )?;
        let intl = evaluate(INTL_JS, "intl", context)?;
        call_value(&intl, &JsValue::undefined(), &[host.into()], context)?;

        let factory = evaluate(RUNTIME_JS, "runtime", context)?;
        let log = native(host_log, "log", context);
        let digital_data = native(data::digital_data, "digitalData", context);
        let query_param = native(data::query_param, "queryParam", context);
        let schema_errors = native(schema::schema_errors, "schemaErrors", context);
        let browser_only = JsArray::from_iter(
            handlebox_protocol::BROWSER_ONLY
                .iter()
                .map(|name| JsValue::from(JsString::from(*name))),
            context,
        );
        let object = call_value(
            &factory,
            &JsValue::undefined(),
            &[
                log,
                digital_data,
                query_param,
                browser_only.into(),
                browser,
                schema_errors,
            ],
            context,
        )?;
        let helpers = get(&object, "helpers", context)?;
        let functions = FUNCTIONS
            .iter()
            .map(|name| Ok((*name, get(&object, name, context)?)))
            .collect::<JsResult<_>>()?;
        Ok(Self {
            object,
            helpers,
            functions,
        })
    }

    fn call(&self, name: &str, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
        match self.functions.iter().find(|(n, _)| *n == name) {
            Some((_, function)) => call_value(function, &self.object, args, context),
            None => {
                let function = get(&self.object, name, context)?;
                call_value(&function, &self.object, args, context)
            }
        }
    }
}

/// A native function's signature.
type NativeFn = fn(&JsValue, &[JsValue], &mut Context) -> JsResult<JsValue>;

/// Runs a script of the runtime, named `name` in stack traces.
fn evaluate(text: &str, name: &str, context: &mut Context) -> JsResult<JsValue> {
    let source = Source::from_bytes(text).with_path(std::path::Path::new(name));
    Script::parse(source, None, context)?.evaluate(context)
}

pub(crate) fn get(object: &JsValue, name: &str, context: &mut Context) -> JsResult<JsValue> {
    match object.as_object() {
        Some(object) => object.get(js_string!(name), context),
        None => Ok(JsValue::undefined()),
    }
}

fn call_value(
    function: &JsValue,
    this: &JsValue,
    args: &[JsValue],
    context: &mut Context,
) -> JsResult<JsValue> {
    match function.as_callable() {
        Some(function) => function.call(this, args, context),
        None => Err(boa_engine::JsNativeError::typ()
            .with_message("not a function")
            .into()),
    }
}

/// Common operations run once before the snapshot (see [`World::build`]),
/// inside a function so that they leave no globals. `Intl`'s locale
/// canonicalizer is built here (0.3 ms off a page's first `Intl` call); its
/// formatters are not: the data they load and drop before the snapshot
/// scatters the snapshot's heap, and every page then faulted in 16 times
/// the memory pages (13% of a typical page's time, measured).
const WARM_UP: &str = "(function () { \
    var text = 'a+b c,d%20e'; \
    /a+/i.test(text); text.replace(/[+ ]/g, '.'); text.split(','); \
    new RegExp('[?&]' + 'b' + '=([^&#]*)').exec('?b=1'); \
    decodeURIComponent('%20'); encodeURIComponent(' '); \
    [3, 1, 2].map(function (x) { return x * 2; }).filter(Boolean).join('-'); \
    JSON.stringify(JSON.parse('{\"a\":[1,2.5,\"x\"]}')); \
    Object.keys({a: 1}); String(1.5); (1234.5).toFixed(1); \
    new Date(0).toISOString(); Math.round(1.5); Intl.getCanonicalLocales('en-US'); \
})()";

/// A compiled handler, or why it did not compile.
enum Handler {
    Ready {
        source: Rc<HandlerSource>,
        /// The text compiled: the handler in its wrapper.
        wrapped: Rc<str>,
        function: JsValue,
        this: JsValue,
    },
    Broken(ErrorInfo),
}

/// What one handler call produced: its returned value or its error, its
/// JSON when asked for, and what it wrote to the console.
pub(crate) struct Invoked {
    /// The returned value, or why the call failed.
    pub(crate) result: Result<JsValue, ErrorInfo>,
    /// The JSON of the returned value (event variables), or of the argument
    /// after the call (override functions, when asked for); written before
    /// the call ends, so within its deadline.
    pub(crate) json: Option<Result<Option<String>, ErrorInfo>>,
    /// Console lines kept.
    pub(crate) logs: Vec<LogLine>,
    /// Console lines beyond the limit.
    pub(crate) dropped_logs: usize,
}

/// The instance's JavaScript world.
pub(crate) struct World {
    context: Context,
    runtime: Runtime,
    handlers: Vec<Handler>,
    limits: GuestLimits,
}

thread_local! {
    /// The world of this instance, built once (see [`World::prepare`]).
    static WORLD: RefCell<Option<World>> = const { RefCell::new(None) };
}

impl World {
    fn build() -> Result<Self, ErrorInfo> {
        let mut context = Context::builder()
            .icu_buffer_provider(HostLocaleData)
            .map_err(|e| internal(&JsError::from(e)))?
            .build()
            .map_err(|e| internal(&e))?;
        let runtime = Runtime::load(&mut context).map_err(|e| internal(&e))?;
        // The engine sets some things up on first use (the regular
        // expression engine above all: 120 µs for a page's first `/a+/`).
        // Using them here, before the snapshot, moves that cost out of
        // every page. Nothing of this stays reachable from JavaScript.
        let warm_up = Source::from_bytes(WARM_UP).with_path(std::path::Path::new("warm-up"));
        Script::parse(warm_up, None, &mut context)
            .and_then(|script| script.evaluate(&mut context))
            .map_err(|e| internal(&e))?;
        Ok(Self {
            context,
            runtime,
            handlers: Vec::new(),
            limits: GuestLimits {
                max_output_bytes: 256 << 10,
                max_log_lines: 100,
                max_log_line_bytes: 4096,
                max_call_depth: 400,
            },
        })
    }

    /// Builds the world ahead of time, so that a snapshot of the instance
    /// holds it and every page starts from it.
    pub(crate) fn prepare() {
        if let Ok(world) = Self::build() {
            WORLD.with(|slot| *slot.borrow_mut() = Some(world));
        }
    }

    /// Runs `f` on the world, building it first if no snapshot did.
    pub(crate) fn with<R>(f: impl FnOnce(&mut World) -> R) -> Result<R, ErrorInfo> {
        WORLD.with(|slot| {
            let mut slot = slot.borrow_mut();
            if slot.is_none() {
                *slot = Some(Self::build()?);
            }
            match slot.as_mut() {
                Some(world) => Ok(f(world)),
                None => Err(errors::input("the JavaScript world is missing".to_owned())),
            }
        })
    }

    /// Compiles the project's handlers (replacing any compiled before); one
    /// entry per handler. No handler code runs: compiling evaluates only the
    /// function expressions.
    pub(crate) fn compile(
        &mut self,
        sources: Vec<HandlerSource>,
        limits: GuestLimits,
    ) -> Vec<HandlerCheck> {
        self.limits = limits;
        self.context
            .runtime_limits_mut()
            .set_recursion_limit(limits.max_call_depth);
        let mut checks = Vec::with_capacity(sources.len());
        self.handlers = sources
            .into_iter()
            .enumerate()
            .map(|(index, source)| match self.compile_one(index, source) {
                Ok((handler, parsed)) => {
                    checks.push(HandlerCheck {
                        error: None,
                        warnings: parsed.warnings,
                        reads_document: parsed.reads_document,
                    });
                    handler
                }
                Err(error) => {
                    checks.push(HandlerCheck {
                        error: Some(error.clone()),
                        ..HandlerCheck::default()
                    });
                    Handler::Broken(error)
                }
            })
            .collect();
        checks
    }

    fn compile_one(
        &mut self,
        index: usize,
        source: HandlerSource,
    ) -> Result<(Handler, handlers::Parsed), ErrorInfo> {
        let handlers::Compiled {
            function,
            wrapped,
            parsed,
        } = handlers::compile(&source, &handler_path(index), &mut self.context)?;
        let this = match &source.role {
            Role::Variable => self.runtime.helpers.clone(),
            Role::Override {
                integration,
                options,
            } => {
                let options = json(&Value::Object(options.clone()), &mut self.context)?;
                let name: JsValue = js_string!(integration.as_str()).into();
                self.runtime_call("integration", &[name, options])?
            }
        };
        let handler = Handler::Ready {
            source: Rc::new(source),
            wrapped: Rc::from(wrapped),
            function,
            this,
        };
        Ok((handler, parsed))
    }

    /// Starts serving the page in `page`.
    pub(crate) fn open(&mut self, page: handlebox_protocol::PageContextText) {
        let globals = !matches!(page.globals.get().trim(), "{}" | "null" | "");
        dom::close();
        data::open(page);
        if globals {
            // A page whose globals cannot be read gets none; the helpers
            // that read them say why.
            let _ = self.runtime_call("openPage", &[]);
        }
    }

    /// Parses the page's `html` now (see [`handlebox_protocol::Request::Parse`]).
    pub(crate) fn parse_document(&mut self) {
        dom::parse_now();
    }

    /// What handlers wrote to `document.cookie` since the last call.
    pub(crate) fn take_cookie_writes(&mut self) -> Vec<String> {
        if !browser::take_cookie_note() {
            return Vec::new();
        }
        let Ok(writes) = self.runtime_call("takeCookieWrites", &[]) else {
            return Vec::new();
        };
        let Some(writes) = writes.as_object() else {
            return Vec::new();
        };
        let length = writes
            .get(js_string!("length"), &mut self.context)
            .and_then(|length| length.to_length(&mut self.context))
            .unwrap_or(0);
        (0..length)
            .filter_map(|index| writes.get(index, &mut self.context).ok())
            .filter_map(|value| value.as_string().map(|s| text(&s)))
            .collect()
    }

    /// Replaces the page's `digitalData`.
    pub(crate) fn set_digital_data(&mut self, value: Box<RawValue>) {
        data::set_digital_data(value);
    }

    /// Whether handler `index` is an override function.
    pub(crate) fn is_override(&self, index: usize) -> bool {
        matches!(
            self.handlers.get(index),
            Some(Handler::Ready { source, .. }) if matches!(source.role, Role::Override { .. })
        )
    }

    /// Calls handler `index` with `arg`; the host times the call and holds
    /// it to its deadline between [`host::call_start`] and [`host::call_end`].
    /// `changed_arg`: an override's argument is written as JSON after it.
    /// `None` when the host refused to start the call.
    pub(crate) fn invoke(
        &mut self,
        index: usize,
        arg: &JsValue,
        id: CallId,
        changed_arg: bool,
    ) -> Option<Invoked> {
        let (function, this, source, wrapped) = match self.handlers.get(index) {
            Some(Handler::Ready {
                source,
                wrapped,
                function,
                this,
            }) => (
                function.clone(),
                this.clone(),
                source.clone(),
                wrapped.clone(),
            ),
            Some(Handler::Broken(error)) => return Some(Invoked::failed(error.clone())),
            None => {
                return Some(Invoked::failed(errors::input(format!(
                    "no handler number {index}"
                ))));
            }
        };
        LOGS.with(|logs| {
            *logs.borrow_mut() = LogBuffer {
                max_lines: self.limits.max_log_lines,
                max_line_bytes: self.limits.max_log_line_bytes,
                ..LogBuffer::default()
            };
        });
        if !host::call_start(id) {
            return None;
        }
        let result = call_value(
            &function,
            &this,
            std::slice::from_ref(arg),
            &mut self.context,
        );
        let result = match result {
            Err(err) => {
                Err(self.runtime_error(err, &handler_path(index), (&source.source, &wrapped)))
            }
            // A brand check: a handler cannot disguise a Promise by
            // redefining `Promise[Symbol.hasInstance]`.
            Ok(value)
                if matches!(source.role, Role::Variable)
                    && value
                        .as_object()
                        .is_some_and(|object| JsPromise::from_object(object.clone()).is_ok()) =>
            {
                Err(ErrorInfo {
                    kind: ErrorKind::Unsupported,
                    message: "async handlers are not supported for event variables".to_owned(),
                    line: None,
                    column: None,
                })
            }
            Ok(value) => Ok(value),
        };
        let json = match (&source.role, &result) {
            (Role::Variable, Ok(value)) => {
                Some(self.stringify(value.clone(), "the returned value"))
            }
            (Role::Override { .. }, _) if changed_arg => {
                Some(self.stringify(arg.clone(), "the changed argument"))
            }
            _ => None,
        };
        host::call_end();
        let (logs, dropped_logs) = LOGS.with(|logs| {
            let mut logs = logs.borrow_mut();
            (std::mem::take(&mut logs.lines), logs.dropped)
        });
        Some(Invoked {
            result,
            json,
            logs,
            dropped_logs,
        })
    }

    /// Runs handler `index` alone on the event or product in `arg`.
    pub(crate) fn call(&mut self, index: usize, arg: &str) -> Response {
        let arg = match self.parse_arg(arg) {
            Ok(arg) => arg,
            Err(error) => return called(None, None, Invoked::failed(error)),
        };
        let id = CallId {
            step: 0,
            item: None,
        };
        let Some(mut invoked) = self.invoke(index, &arg, id, true) else {
            return called(None, None, Invoked::failed(errors::not_run()));
        };
        let json = invoked.json.take();
        if self.is_override(index) {
            // As in a browser, what an override changed before it threw stays changed.
            return match (json, &invoked.result) {
                (Some(Ok(changed)), _) => called(None, changed, invoked),
                (Some(Err(error)), Ok(_)) => {
                    called(None, None, Invoked::failed_with(error, invoked))
                }
                _ => called(None, None, invoked),
            };
        }
        match json {
            Some(Ok(text)) => called(text, None, invoked),
            Some(Err(error)) => called(None, None, Invoked::failed_with(error, invoked)),
            None => called(None, None, invoked),
        }
    }

    /// JSON text from the host as a JavaScript value, marked values revived.
    pub(crate) fn parse_arg(&mut self, text: &str) -> Result<JsValue, ErrorInfo> {
        let value = json::parse(text, &mut self.context)
            .map_err(|e| errors::input(format!("argument is not JSON: {e}")))?;
        if text.contains(NULL_IN_JSON) {
            return self.runtime_call("revive", &[value]);
        }
        Ok(value)
    }

    /// Calls the runtime's function `name`.
    pub(crate) fn runtime_call(
        &mut self,
        name: &str,
        args: &[JsValue],
    ) -> Result<JsValue, ErrorInfo> {
        self.runtime
            .call(name, args, &mut self.context)
            .map_err(|e| internal(&e))
    }

    /// `object[name]` when `object` has an own enumerable property `name`
    /// (one its JSON has); a proxy has none.
    pub(crate) fn own(
        &mut self,
        object: &JsValue,
        name: &str,
    ) -> Result<Option<JsValue>, ErrorInfo> {
        let Some(target) = object.as_object() else {
            return Ok(None);
        };
        let key: PropertyKey = js_string!(name).into();
        let descriptor = target.borrow().properties().get(&key);
        match descriptor {
            Some(d) if d.enumerable() == Some(true) && !d.is_accessor_descriptor() => {
                Ok(Some(d.value().cloned().unwrap_or_default()))
            }
            Some(d) if d.enumerable() == Some(true) => target
                .get(key, &mut self.context)
                .map(Some)
                .map_err(|e| self.thrown(e)),
            _ => Ok(None),
        }
    }

    /// An exception thrown by the page's own JavaScript (a getter), as an error.
    fn thrown(&mut self, err: JsError) -> ErrorInfo {
        ErrorInfo {
            kind: ErrorKind::Thrown,
            message: format!("reading the event threw: {}", self.describe(&err)),
            line: None,
            column: None,
        }
    }

    /// What an exception says: `Name: message` for errors, `String(value)`
    /// for anything else thrown.
    fn describe(&mut self, err: &JsError) -> String {
        match err.as_opaque() {
            Some(value) => errors::describe(value.clone(), &mut self.context),
            None => err.to_string(),
        }
    }

    /// The value of `object[name]`.
    pub(crate) fn get(&mut self, object: &JsValue, name: &str) -> Result<JsValue, ErrorInfo> {
        get(object, name, &mut self.context).map_err(|e| internal(&e))
    }

    fn runtime_error(&mut self, err: JsError, path: &str, source: (&str, &str)) -> ErrorInfo {
        let unsupported = err.as_opaque().is_some_and(|value| {
            self.runtime
                .call(
                    "isUnsupported",
                    std::slice::from_ref(value),
                    &mut self.context,
                )
                .is_ok_and(|v| v.to_boolean())
        });
        errors::runtime(err, path, source, unsupported, &mut self.context)
    }

    /// `JSON.stringify(value)`, or `None` for `undefined`, within the
    /// output limit.
    pub(crate) fn stringify(
        &mut self,
        value: JsValue,
        what: &str,
    ) -> Result<Option<String>, ErrorInfo> {
        self.stringify_within(value, what, self.limits.max_output_bytes)
    }

    /// `object[key] = value`, as a strict-mode assignment.
    pub(crate) fn set(
        &mut self,
        object: &JsValue,
        key: &str,
        value: JsValue,
    ) -> Result<(), ErrorInfo> {
        let Some(object) = object.as_object() else {
            return Err(errors::input(format!("cannot write {key} on a primitive")));
        };
        object
            .set(js_string!(key), value, true, &mut self.context)
            .map(drop)
            .map_err(|e| internal(&e))
    }

    /// The output limit for one value, in bytes.
    pub(crate) fn max_output_bytes(&self) -> usize {
        self.limits.max_output_bytes
    }

    /// `value` as JSON text when it is plain data of at most `limit` bytes
    /// (no `toJSON`, getter or other code would run to write it).
    pub(crate) fn plain_json(&self, value: &JsValue, limit: usize) -> Option<String> {
        match json::plain(value, &self.context, limit) {
            json::Plain::Text(text) => Some(text),
            json::Plain::TooLarge | json::Plain::Other => None,
        }
    }

    /// `JSON.stringify(value)`, or `None` for `undefined`, within `limit` bytes.
    pub(crate) fn stringify_within(
        &mut self,
        value: JsValue,
        what: &str,
        limit: usize,
    ) -> Result<Option<String>, ErrorInfo> {
        match json::plain(&value, &self.context, limit) {
            json::Plain::Text(text) => return Ok(Some(text)),
            json::Plain::TooLarge => {
                return Err(ErrorInfo {
                    kind: ErrorKind::Output,
                    message: format!("{what} is more than the limit of {limit} bytes of JSON"),
                    line: None,
                    column: None,
                });
            }
            json::Plain::Other => {}
        }
        let text = self
            .runtime
            .call("toJson", &[value], &mut self.context)
            .map_err(|err| {
                let message = self.describe(&err);
                ErrorInfo {
                    kind: ErrorKind::Output,
                    message: format!("{what} cannot be converted to JSON: {message}"),
                    line: None,
                    column: None,
                }
            })?;
        let Some(text) = text.as_string() else {
            return Ok(None);
        };
        within(well_formed(text.to_std_string_escaped()), what, limit).map(Some)
    }
}

impl Invoked {
    fn failed(error: ErrorInfo) -> Self {
        Self {
            result: Err(error),
            json: None,
            logs: Vec::new(),
            dropped_logs: 0,
        }
    }

    /// The same call's console, with `error` as its outcome.
    pub(crate) fn failed_with(error: ErrorInfo, invoked: Invoked) -> Self {
        Self {
            result: Err(error),
            json: None,
            ..invoked
        }
    }
}

/// `text`, unless it is longer than `limit` bytes.
fn within(text: String, what: &str, limit: usize) -> Result<String, ErrorInfo> {
    if text.len() > limit {
        return Err(ErrorInfo {
            kind: ErrorKind::Output,
            message: format!(
                "{what} is {} bytes of JSON, more than the limit of {limit} bytes",
                text.len(),
            ),
            line: None,
            column: None,
        });
    }
    Ok(text)
}

fn called(value: Option<String>, arg: Option<String>, invoked: Invoked) -> Response {
    Response::Called {
        value,
        arg,
        logs: invoked.logs,
        dropped_logs: invoked.dropped_logs,
        error: invoked.result.err(),
    }
}

/// `JSON.stringify` writes a lone surrogate as an escape (`"\ud800"`), which
/// no UTF-8 string can hold: each such escape becomes U+FFFD, as a UTF-8
/// transport would make it. Escaped backslashes (`\\ud800`) are left alone.
fn well_formed(text: String) -> String {
    if !text.contains("\\ud") {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(at) = rest.find('\\') {
        out.push_str(&rest[..at]);
        let escape = &rest[at..];
        let lone = escape
            .get(2..6)
            .filter(|_| escape.as_bytes().get(1) == Some(&b'u'))
            .and_then(|hex| u16::from_str_radix(hex, 16).ok())
            .is_some_and(|unit| (0xD800..=0xDFFF).contains(&unit));
        let length = if lone || escape.as_bytes().get(1) == Some(&b'u') {
            6
        } else {
            2
        };
        let (kept, after) = escape.split_at_checked(length).unwrap_or((escape, ""));
        out.push_str(if lone { "\\ufffd" } else { kept });
        rest = after;
    }
    out.push_str(rest);
    out
}

fn handler_path(index: usize) -> String {
    format!("handler-{index}")
}

fn json(value: &Value, context: &mut Context) -> Result<JsValue, ErrorInfo> {
    JsValue::from_json(value, context).map_err(|e| errors::input(e.to_string()))
}

fn internal(err: &JsError) -> ErrorInfo {
    ErrorInfo {
        kind: ErrorKind::Thrown,
        message: format!("the sandbox runtime failed: {err}"),
        line: None,
        column: None,
    }
}

#[cfg(test)]
mod tests {
    use super::well_formed;

    #[test]
    fn lone_surrogate_escapes_become_replacement_characters() {
        assert_eq!(well_formed(r#""\ud800""#.into()), r#""\ufffd""#);
        assert_eq!(
            well_formed(r#"["a\udc00b","\u00e9"]"#.into()),
            r#"["a\ufffdb","\u00e9"]"#
        );
        assert_eq!(well_formed(r#""\\ud800""#.into()), r#""\\ud800""#);
        assert_eq!(well_formed(r#""\n\ud83d""#.into()), r#""\n\ufffd""#);
        assert_eq!(well_formed("plain".into()), "plain");
    }
}
