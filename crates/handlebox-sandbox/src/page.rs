//! One page: an instance of its own, the page's data, and calls to handlers.
//!
//! A call that traps (deadline, memory cap, engine crash) ends that
//! instance; the page opens a fresh one with its current data on the next
//! call, so one bad handler costs its own result and the page's JavaScript
//! state, never the other handlers' results.

use std::time::Instant;

use handlebox_protocol::{ErrorInfo, ErrorKind, LogLine, PageData, Request, Response};
use serde_json::Value;

use crate::instance::{Budget, Instance, Spent};
use crate::project::setup_deadline;
use crate::{Project, SandboxError, input};

/// What one call cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cost {
    /// Wall-clock time of the call, in microseconds.
    pub micros: u64,
    /// The page's linear memory after the call, in bytes.
    pub memory_bytes: u64,
    /// Instructions counted as fuel, when the sandbox counts fuel.
    pub fuel: Option<u64>,
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

impl CallOutcome {
    fn failed(error: ErrorInfo, cost: Cost) -> Self {
        Self {
            error: Some(error),
            cost,
            ..Self::default()
        }
    }
}

/// One page's isolated JavaScript world. `Send`, not shared: one page is
/// served by one thread at a time.
pub struct Page {
    project: Project,
    data: PageData,
    instance: Option<Instance>,
    /// Instances this page has used; more than one after a trap.
    opened: u32,
}

impl Page {
    pub(crate) fn open(project: Project, data: PageData) -> Result<Self, SandboxError> {
        let limits = &project.sandbox.config().limits;
        let cookies = Value::Object(data.cookies.clone());
        let parts = [
            &data.digital_data,
            &cookies,
            &data.globals,
            &data.data_layer,
        ];
        input::check(&parts, "the page", limits).map_err(SandboxError::Input)?;
        let mut page = Self {
            project,
            data,
            instance: None,
            opened: 0,
        };
        page.instance()?;
        Ok(page)
    }

    /// The label of handler `index`, for messages.
    pub fn label(&self, index: usize) -> Option<&str> {
        self.project.label(index)
    }

    /// How many instances this page has used (1, plus one per trap).
    pub fn instances_used(&self) -> u32 {
        self.opened
    }

    fn instance(&mut self) -> Result<&mut Instance, SandboxError> {
        if self.instance.is_none() {
            let sandbox = &self.project.sandbox;
            let limits = &sandbox.config().limits;
            let mut instance = sandbox.instantiate()?;
            let request = Request::Open {
                handlers: self.project.handlers.to_vec(),
                page: Box::new(self.data.clone()),
                limits: self.project.guest_limits(),
            };
            let budget = Budget {
                deadline: setup_deadline(limits.deadline),
                fuel: None,
            };
            match instance.request(&request, budget) {
                Ok((Response::Ready, _)) => {}
                Ok((Response::Refused { error }, _)) => return Err(SandboxError::Open(error)),
                Ok((other, _)) => {
                    return Err(SandboxError::Protocol(format!(
                        "unexpected answer to opening a page: {other:?}"
                    )));
                }
                Err(trap) => return Err(SandboxError::Open(trap)),
            }
            self.opened += 1;
            self.instance = Some(instance);
        }
        self.instance
            .as_mut()
            .ok_or_else(|| SandboxError::Protocol("no instance".to_owned()))
    }

    /// Replaces the page's `digitalData`, for the handlers that run next.
    pub fn set_digital_data(&mut self, digital_data: Value) -> Result<(), SandboxError> {
        let limits = &self.project.sandbox.config().limits;
        let value =
            input::encode(&digital_data, "digitalData", limits).map_err(SandboxError::Input)?;
        let budget = Budget {
            deadline: setup_deadline(limits.deadline),
            fuel: None,
        };
        self.data.digital_data = digital_data;
        let instance = self.instance()?;
        match instance.request(&Request::SetDigitalData { value }, budget) {
            Ok((Response::Ready, _)) => Ok(()),
            Ok((Response::Refused { error }, _)) => Err(SandboxError::Input(error)),
            Ok((other, _)) => Err(SandboxError::Protocol(format!(
                "unexpected answer to new digitalData: {other:?}"
            ))),
            Err(_) => {
                // The new data is kept; the next call opens a fresh instance with it.
                self.instance = None;
                Ok(())
            }
        }
    }

    /// Runs handler `index` on `arg` (an event or a product).
    ///
    /// `Err` only for misuse (no such handler) or when no instance can be
    /// had; everything the handler does wrong is in the outcome's `error`.
    pub fn call(&mut self, index: usize, arg: &Value) -> Result<CallOutcome, SandboxError> {
        let count = self.project.len();
        if index >= count {
            return Err(SandboxError::NoSuchHandler { index, count });
        }
        let limits = self.project.sandbox.config().limits.clone();
        let started = Instant::now();
        let cost = |spent: Spent, memory_bytes: u64| Cost {
            micros: started.elapsed().as_micros() as u64,
            memory_bytes,
            fuel: spent.fuel,
        };
        let arg = match input::encode(arg, "the argument", &limits) {
            Ok(arg) => arg,
            Err(error) => return Ok(CallOutcome::failed(error, cost(Spent::default(), 0))),
        };
        let instance = self.instance()?;
        let budget = Budget {
            deadline: limits.deadline,
            fuel: limits.fuel,
        };
        let request = Request::Call {
            handler: index,
            arg,
        };
        match instance.request(&request, budget) {
            Ok((response, spent)) => {
                let memory = instance.memory_bytes();
                Ok(outcome(response, cost(spent, memory)))
            }
            Err(trap) => {
                let memory = instance.memory_bytes();
                self.instance = None;
                Ok(CallOutcome {
                    trapped: true,
                    ..CallOutcome::failed(trap, cost(Spent::default(), memory))
                })
            }
        }
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
                    .map_err(|e| ErrorInfo {
                        kind: ErrorKind::Output,
                        message: format!("the result is not valid JSON: {e}"),
                        line: None,
                        column: None,
                    })
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
