//! A handler set: the handlers of one configuration, compiled once into an
//! image that every page of the project starts from.

use std::sync::Arc;

use handlebox_protocol::{
    ErrorInfo, GuestLimits, HandlerCheck, HandlerSource, Request, Response, Role, SourceForm,
};
use serde_json::{Map, Value};

use crate::budget::setup_budget;
use crate::image::Image;
use crate::instance::Instance;
use crate::{CompileErrors, Sandbox, SandboxError};

/// What a handler is called with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    /// Called with the event (parameter `event`).
    #[default]
    Event,
    /// Called with one product (parameter `product`).
    Product,
}

impl Scope {
    fn param(self) -> &'static str {
        match self {
            Scope::Event => "event",
            Scope::Product => "product",
        }
    }
}

/// Whether a handler is an event variable or an override function.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum HandlerRole {
    /// An event variable: `this` holds the helpers, the result is its value.
    #[default]
    Variable,
    /// An override function: `this` is the integration, the argument is
    /// changed in place and the result ignored.
    Override {
        /// The integration's name (`this.getName()`).
        integration: String,
        /// Its options (`this.getOption(name)`).
        options: Map<String, Value>,
    },
}

/// One handler of a project, before compilation.
#[derive(Debug, Clone, PartialEq)]
pub struct HandlerSpec {
    /// How errors name the handler, e.g. `Flocktory eventEnrichments[0] (spot)`.
    pub label: String,
    /// The JavaScript text, as written.
    pub source: String,
    /// Body or function form; `None`: the guest reads it from the parse.
    pub form: Option<SourceForm>,
    /// Event or product scope.
    pub scope: Scope,
    /// Event variable or override.
    pub role: HandlerRole,
}

impl HandlerSpec {
    /// An event-scope event variable, its form detected from the text.
    pub fn variable(label: impl Into<String>, source: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            source: source.into(),
            form: None,
            scope: Scope::Event,
            role: HandlerRole::Variable,
        }
    }

    /// The same handler with another scope.
    pub fn with_scope(mut self, scope: Scope) -> Self {
        self.scope = scope;
        self
    }

    /// The same handler as an override function of `integration`.
    pub fn as_override(
        mut self,
        integration: impl Into<String>,
        options: Map<String, Value>,
    ) -> Self {
        self.role = HandlerRole::Override {
            integration: integration.into(),
            options,
        };
        self
    }

    fn to_source(&self) -> HandlerSource {
        HandlerSource {
            source: self.source.clone(),
            form: self.form,
            param: self.scope.param().to_owned(),
            role: match &self.role {
                HandlerRole::Variable => Role::Variable,
                HandlerRole::Override {
                    integration,
                    options,
                } => Role::Override {
                    integration: integration.clone(),
                    options: options.clone(),
                },
            },
        }
    }
}

/// The handlers of one configuration, checked and ready for pages.
///
/// Cheap to clone, `Send + Sync`: one project serves pages on many threads.
#[derive(Clone)]
pub struct HandlerSet {
    pub(crate) sandbox: Sandbox,
    pub(crate) handlers: Arc<[HandlerSource]>,
    pub(crate) labels: Arc<[String]>,
    /// The handlers compiled into an instance's memory; every page starts
    /// from it.
    pub(crate) image: Arc<Image>,
    /// Whether any handler may read the page's document: a page with
    /// `html` then parses it as it opens.
    pub(crate) reads_document: bool,
}

impl HandlerSet {
    /// Checks every handler and builds the project; fails with every
    /// handler that does not parse, each placed in its own text.
    pub fn compile(sandbox: &Sandbox, specs: Vec<HandlerSpec>) -> Result<Self, SandboxError> {
        let labels: Vec<String> = specs.iter().map(|s| s.label.clone()).collect();
        let (handlers, checks) = Self::build(sandbox, specs)?;
        let errors: Vec<(String, ErrorInfo)> = labels
            .into_iter()
            .zip(checks)
            .filter_map(|(label, check)| check.error.map(|e| (label, e)))
            .collect();
        if errors.is_empty() {
            Ok(handlers)
        } else {
            Err(SandboxError::Compile(CompileErrors { errors }))
        }
    }

    /// Checks every handler once and builds the project whatever the
    /// outcome; one check per handler, with its error and its lints'
    /// warnings. A handler that does not parse fails every call with its
    /// syntax error.
    pub fn build(
        sandbox: &Sandbox,
        specs: Vec<HandlerSpec>,
    ) -> Result<(Self, Vec<HandlerCheck>), SandboxError> {
        let handlers: Arc<[HandlerSource]> = specs.iter().map(HandlerSpec::to_source).collect();
        let mut instance = sandbox.instantiate()?;
        let before = instance.memory_data().to_vec();
        let results = compile(&mut instance, sandbox, &handlers)?;
        let image = Image::diff(&before, instance.memory_data());
        let handlers = Self {
            sandbox: sandbox.clone(),
            handlers,
            labels: specs.into_iter().map(|s| s.label).collect(),
            image: Arc::new(image),
            reads_document: results.iter().any(|check| check.reads_document),
        };
        Ok((handlers, results))
    }

    /// Bytes of memory each page of this project starts with, on top of
    /// the guest's snapshot: its compiled handlers.
    pub fn image_bytes(&self) -> usize {
        self.image.bytes()
    }

    /// How many handlers the project has.
    pub fn len(&self) -> usize {
        self.handlers.len()
    }

    /// Whether the project has no handlers.
    pub fn is_empty(&self) -> bool {
        self.handlers.is_empty()
    }

    /// The label of handler `index`.
    pub fn label(&self, index: usize) -> Option<&str> {
        self.labels.get(index).map(String::as_str)
    }

    /// The sandbox this project runs in.
    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }
}

/// Compiles `handlers` into `instance`; one check per handler.
pub(crate) fn compile(
    instance: &mut Instance,
    sandbox: &Sandbox,
    handlers: &[HandlerSource],
) -> Result<Vec<HandlerCheck>, SandboxError> {
    let limits = &sandbox.config().limits;
    let request = Request::Compile {
        handlers: handlers.to_vec(),
        limits: guest_limits(limits),
    };
    match instance.request(&request, setup_budget(limits)) {
        Ok(Response::Checked { handlers: checks }) if checks.len() == handlers.len() => Ok(checks),
        Ok(Response::Refused { error }) => Err(SandboxError::Open(error)),
        Ok(other) => Err(SandboxError::Protocol(format!(
            "unexpected answer to compiling the handlers: {other:?}"
        ))),
        Err(trap) => Err(SandboxError::Open(trap.error)),
    }
}

/// The limits the guest holds every call to.
fn guest_limits(limits: &crate::Limits) -> GuestLimits {
    GuestLimits {
        max_output_bytes: limits.max_output_bytes,
        max_log_lines: limits.max_log_lines,
        max_log_line_bytes: 4096,
        max_call_depth: limits.max_call_depth,
    }
}
