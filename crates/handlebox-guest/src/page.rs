//! One page's JavaScript world: a Boa context, the runtime of helpers, the
//! page's data and its handlers, compiled on first use.

use std::cell::RefCell;
use std::rc::Rc;

use boa_engine::object::FunctionObjectBuilder;
use boa_engine::object::builtins::JsPromise;
use boa_engine::{Context, JsError, JsResult, JsValue, NativeFunction, Script, Source, js_string};
use handlebox_protocol::{
    ErrorInfo, ErrorKind, GuestLimits, HandlerSource, LogLine, NULL_IN_JSON, PageData, Response,
    Role,
};
use serde_json::Value;

use crate::{errors, handlers};

const RUNTIME_JS: &str = include_str!("runtime.js");

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
    /// A context with the runtime loaded, made before a snapshot is taken
    /// (see [`prepare`]); the next page takes it instead of building one.
    static PREPARED: RefCell<Option<(Context, Runtime)>> = const { RefCell::new(None) };
}

/// Builds a context with the runtime loaded.
fn world() -> Result<(Context, Runtime), ErrorInfo> {
    let mut context = Context::default();
    let runtime = Runtime::load(&mut context).map_err(|e| internal(&e, &mut context))?;
    Ok((context, runtime))
}

/// Builds the context and runtime ahead of time, so that a snapshot of the
/// instance holds them and every page starts from a ready world.
pub(crate) fn prepare() {
    if let Ok(prepared) = world() {
        PREPARED.with(|slot| *slot.borrow_mut() = Some(prepared));
    }
}

fn host_log(_this: &JsValue, args: &[JsValue], _context: &mut Context) -> JsResult<JsValue> {
    let text = |i: usize| {
        args.get(i)
            .and_then(JsValue::as_string)
            .map(|s| s.to_std_string_escaped())
            .unwrap_or_default()
    };
    let (level, mut message) = (text(0), text(1));
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
}

impl Runtime {
    fn load(context: &mut Context) -> JsResult<Self> {
        let source = Source::from_bytes(RUNTIME_JS).with_path(std::path::Path::new("runtime"));
        let factory = Script::parse(source, None, context)?.evaluate(context)?;
        let log =
            FunctionObjectBuilder::new(context.realm(), NativeFunction::from_fn_ptr(host_log))
                .name(js_string!("log"))
                .build();
        let object = call_value(&factory, &JsValue::undefined(), &[log.into()], context)?;
        let helpers = get(&object, "helpers", context)?;
        Ok(Self { object, helpers })
    }

    fn call(&self, name: &str, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
        let function = get(&self.object, name, context)?;
        call_value(&function, &self.object, args, context)
    }
}

fn get(object: &JsValue, name: &str, context: &mut Context) -> JsResult<JsValue> {
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

/// What one call produced: the value, the argument after an override, and
/// the error, if any (an override that throws still hands back its changes).
#[derive(Default)]
struct Ran {
    value: Option<String>,
    arg: Option<String>,
    error: Option<ErrorInfo>,
}

enum Slot {
    Source(HandlerSource),
    Ready {
        source: Rc<HandlerSource>,
        function: JsValue,
        this: JsValue,
    },
    Broken(ErrorInfo),
}

/// The guest's state for one page.
pub(crate) struct Page {
    context: Context,
    runtime: Runtime,
    handlers: Vec<Slot>,
    limits: GuestLimits,
}

impl Page {
    /// Builds a fresh context for `page`; handlers compile on first call.
    pub(crate) fn open(
        handlers: Vec<HandlerSource>,
        page: &PageData,
        limits: GuestLimits,
    ) -> Result<Self, ErrorInfo> {
        let (mut context, runtime) = match PREPARED.with(|slot| slot.borrow_mut().take()) {
            Some(prepared) => prepared,
            None => world()?,
        };
        context
            .runtime_limits_mut()
            .set_recursion_limit(limits.max_call_depth);
        let args = [
            json(&page.digital_data, &mut context)?,
            js_string!(page.url.as_str()).into(),
            json(&Value::Object(page.cookies.clone()), &mut context)?,
            json(&page.globals, &mut context)?,
            json(&page.data_layer, &mut context)?,
        ];
        runtime
            .call("setPage", &args, &mut context)
            .map_err(|e| internal(&e, &mut context))?;
        Ok(Self {
            context,
            runtime,
            handlers: handlers.into_iter().map(Slot::Source).collect(),
            limits,
        })
    }

    /// Replaces the page's `digitalData`.
    pub(crate) fn set_digital_data(&mut self, text: &str) -> Result<(), ErrorInfo> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| errors::input(format!("digitalData is not JSON: {e}")))?;
        let value = json(&value, &mut self.context)?;
        self.runtime
            .call("setDigitalData", &[value], &mut self.context)
            .map_err(|e| internal(&e, &mut self.context))?;
        Ok(())
    }

    /// Runs handler `index` on the event or product in `arg`.
    pub(crate) fn call(&mut self, index: usize, arg: &str) -> Response {
        LOGS.with(|logs| {
            *logs.borrow_mut() = LogBuffer {
                max_lines: self.limits.max_log_lines,
                max_line_bytes: self.limits.max_log_line_bytes,
                ..LogBuffer::default()
            };
        });
        let outcome = self.run(index, arg);
        let (lines, dropped) = LOGS.with(|logs| {
            let mut logs = logs.borrow_mut();
            (std::mem::take(&mut logs.lines), logs.dropped)
        });
        let ran = outcome.unwrap_or_else(|error| Ran {
            error: Some(error),
            ..Ran::default()
        });
        Response::Called {
            value: ran.value,
            arg: ran.arg,
            logs: lines,
            dropped_logs: dropped,
            error: ran.error,
        }
    }

    fn run(&mut self, index: usize, arg: &str) -> Result<Ran, ErrorInfo> {
        let (function, this, source) = self.prepare(index)?;
        let path = handler_path(index);
        let arg_value: Value = serde_json::from_str(arg)
            .map_err(|e| errors::input(format!("argument is not JSON: {e}")))?;
        let mut arg_value = json(&arg_value, &mut self.context)?;
        if arg.contains(NULL_IN_JSON) {
            arg_value = self
                .runtime
                .call("revive", &[arg_value], &mut self.context)
                .map_err(|e| internal(&e, &mut self.context))?;
        }
        let result = call_value(
            &function,
            &this,
            std::slice::from_ref(&arg_value),
            &mut self.context,
        );
        let result = match result {
            Ok(result) => result,
            Err(err) => {
                let error = self.runtime_error(err, &path, &source.source);
                // As in a browser, what an override changed before it threw stays changed.
                let arg = match source.role {
                    Role::Override { .. } => self
                        .stringify(arg_value, "the changed argument")
                        .ok()
                        .flatten(),
                    Role::Variable => None,
                };
                return Ok(Ran {
                    value: None,
                    arg,
                    error: Some(error),
                });
            }
        };
        match source.role {
            Role::Variable => {
                // A brand check: a handler cannot disguise a Promise by
                // redefining `Promise[Symbol.hasInstance]`.
                let promise = result
                    .as_object()
                    .is_some_and(|object| JsPromise::from_object(object.clone()).is_ok());
                if promise {
                    return Err(ErrorInfo {
                        kind: ErrorKind::Unsupported,
                        message: "async handlers are not supported for event variables".to_owned(),
                        line: None,
                        column: None,
                    });
                }
                Ok(Ran {
                    value: self.stringify(result, "the returned value")?,
                    ..Ran::default()
                })
            }
            Role::Override { .. } => Ok(Ran {
                arg: self.stringify(arg_value, "the changed argument")?,
                ..Ran::default()
            }),
        }
    }

    /// The handler's function and `this`, compiling it on first use.
    fn prepare(
        &mut self,
        index: usize,
    ) -> Result<(JsValue, JsValue, Rc<HandlerSource>), ErrorInfo> {
        let Some(slot) = self.handlers.get_mut(index) else {
            return Err(errors::input(format!("no handler number {index}")));
        };
        if let Slot::Source(source) = slot {
            let source = source.clone();
            let compiled = handlers::compile(&source, &handler_path(index), &mut self.context)
                .and_then(|function| {
                    let this = match &source.role {
                        Role::Variable => self.runtime.helpers.clone(),
                        Role::Override {
                            integration,
                            options,
                        } => {
                            let options = json(&Value::Object(options.clone()), &mut self.context)?;
                            let name: JsValue = js_string!(integration.as_str()).into();
                            self.runtime
                                .call("integration", &[name, options], &mut self.context)
                                .map_err(|e| internal(&e, &mut self.context))?
                        }
                    };
                    Ok((function, this))
                });
            self.handlers[index] = match compiled {
                Ok((function, this)) => Slot::Ready {
                    source: Rc::new(source),
                    function,
                    this,
                },
                Err(error) => Slot::Broken(error),
            };
        }
        match &self.handlers[index] {
            Slot::Ready {
                source,
                function,
                this,
            } => Ok((function.clone(), this.clone(), source.clone())),
            Slot::Broken(error) => Err(error.clone()),
            Slot::Source(_) => Err(errors::input(format!("handler {index} did not compile"))),
        }
    }

    fn runtime_error(&mut self, err: JsError, path: &str, source: &str) -> ErrorInfo {
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

    /// `JSON.stringify(value)`, or `None` for `undefined`, within the size cap.
    fn stringify(&mut self, value: JsValue, what: &str) -> Result<Option<String>, ErrorInfo> {
        let text = self
            .runtime
            .call("toJson", &[value], &mut self.context)
            .map_err(|err| {
                let message = match err.as_opaque() {
                    Some(v) => errors::describe(v.clone(), &mut self.context),
                    None => err.to_string(),
                };
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
        let text = well_formed(text.to_std_string_escaped());
        if text.len() > self.limits.max_output_bytes {
            return Err(ErrorInfo {
                kind: ErrorKind::Output,
                message: format!(
                    "{what} is {} bytes of JSON, more than the limit of {} bytes",
                    text.len(),
                    self.limits.max_output_bytes
                ),
                line: None,
                column: None,
            });
        }
        Ok(Some(text))
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

fn internal(err: &JsError, _context: &mut Context) -> ErrorInfo {
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
