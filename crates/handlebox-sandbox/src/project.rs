//! A project: the handlers of one configuration, checked once, then used by
//! every page.

use std::sync::Arc;

use handlebox_protocol::{
    ErrorInfo, GuestLimits, HandlerSource, Request, Response, Role, SourceForm,
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
    /// Body or function form; `None` detects it (see [`detect_form`]).
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
            form: self.form.unwrap_or_else(|| detect_form(&self.source)),
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

/// Whether `source` is a whole function (`function (event) {…}`, an arrow
/// function) or a function body, judged from its first tokens.
///
/// A text that starts with `function` but goes on after the function, such as
/// a helper declaration followed by `return helper(event)`, is a body.
pub fn detect_form(source: &str) -> SourceForm {
    let text = skip_trivia(source);
    let text = text
        .strip_prefix("async")
        .filter(|rest| rest.starts_with(char::is_whitespace) || rest.starts_with('('))
        .map(skip_trivia)
        .unwrap_or(text);
    if let Some(rest) = text.strip_prefix("function")
        && !rest.starts_with(is_identifier_char)
    {
        return if ends_after_first_block(rest) {
            SourceForm::Function
        } else {
            SourceForm::Body
        };
    }
    if is_arrow(text) {
        SourceForm::Function
    } else {
        SourceForm::Body
    }
}

fn is_identifier_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

/// Drops leading white space and comments.
fn skip_trivia(mut text: &str) -> &str {
    loop {
        text = text.trim_start();
        if let Some(rest) = text.strip_prefix("//") {
            text = rest.split_once('\n').map_or("", |(_, after)| after);
        } else if let Some(rest) = text.strip_prefix("/*") {
            text = rest.split_once("*/").map_or("", |(_, after)| after);
        } else {
            return text;
        }
    }
}

/// Whether only trivia (or a `;`) follows the first `{…}` block of `text`.
fn ends_after_first_block(text: &str) -> bool {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match (quote, c) {
            (Some(_), '\\') => {
                chars.next();
            }
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'' | '`') => quote = Some(c),
            (None, '{') => depth += 1,
            (None, '}') => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    let rest = skip_trivia(&text[i + 1..]);
                    return rest.is_empty() || rest == ";";
                }
            }
            _ => {}
        }
    }
    true
}

/// `x => …`, `(a, b) => …`.
fn is_arrow(text: &str) -> bool {
    let after_params = if let Some(rest) = text.strip_prefix('(') {
        match rest.find(')') {
            Some(end) => &rest[end + 1..],
            None => return false,
        }
    } else {
        let end = text
            .find(|c: char| !is_identifier_char(c))
            .unwrap_or(text.len());
        if end == 0 {
            return false;
        }
        &text[end..]
    };
    skip_trivia(after_params).starts_with("=>")
}

/// The handlers of one configuration, checked and ready for pages.
///
/// Cheap to clone, `Send + Sync`: one project serves pages on many threads.
#[derive(Clone)]
pub struct Project {
    pub(crate) sandbox: Sandbox,
    pub(crate) handlers: Arc<[HandlerSource]>,
    pub(crate) labels: Arc<[String]>,
    /// The handlers compiled into an instance's memory; every page starts
    /// from it.
    pub(crate) image: Arc<Image>,
}

impl Project {
    /// Checks every handler and builds the project; fails with every
    /// handler that does not parse, each placed in its own text.
    pub fn compile(sandbox: &Sandbox, specs: Vec<HandlerSpec>) -> Result<Self, SandboxError> {
        let labels: Vec<String> = specs.iter().map(|s| s.label.clone()).collect();
        let (project, results) = Self::build(sandbox, specs)?;
        let errors: Vec<(String, ErrorInfo)> = labels
            .into_iter()
            .zip(results)
            .filter_map(|(label, error)| error.map(|e| (label, e)))
            .collect();
        if errors.is_empty() {
            Ok(project)
        } else {
            Err(SandboxError::Compile(CompileErrors { errors }))
        }
    }

    /// Checks every handler once and builds the project whatever the
    /// outcome; one check result per handler (`None`: it parses). A handler
    /// that does not parse fails every call with its syntax error.
    pub fn build(
        sandbox: &Sandbox,
        specs: Vec<HandlerSpec>,
    ) -> Result<(Self, Vec<Option<ErrorInfo>>), SandboxError> {
        let handlers: Arc<[HandlerSource]> = specs.iter().map(HandlerSpec::to_source).collect();
        let mut instance = sandbox.instantiate()?;
        let before = instance.memory_data().to_vec();
        let results = compile(&mut instance, sandbox, &handlers)?;
        let image = Image::diff(&before, instance.memory_data());
        let project = Self {
            sandbox: sandbox.clone(),
            handlers,
            labels: specs.into_iter().map(|s| s.label).collect(),
            image: Arc::new(image),
        };
        Ok((project, results))
    }

    /// Bytes of memory each page of this project starts with, on top of
    /// the guest's snapshot: its compiled handlers.
    pub fn image_bytes(&self) -> usize {
        self.image.bytes()
    }

    /// Parses every handler without running anything; one entry per handler,
    /// `None` when it parses.
    pub fn check(
        sandbox: &Sandbox,
        specs: &[HandlerSpec],
    ) -> Result<Vec<Option<ErrorInfo>>, SandboxError> {
        let limits = &sandbox.config().limits;
        let mut instance = sandbox.instantiate()?;
        let request = Request::Check {
            handlers: specs.iter().map(HandlerSpec::to_source).collect(),
        };
        match instance.request(&request, setup_budget(limits)) {
            Ok(Response::Checked { errors }) if errors.len() == specs.len() => Ok(errors),
            Ok(other) => Err(SandboxError::Protocol(format!(
                "unexpected answer to a check: {other:?}"
            ))),
            Err(trap) => Err(SandboxError::Open(trap.error)),
        }
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

/// Compiles `handlers` into `instance`; one result per handler.
pub(crate) fn compile(
    instance: &mut Instance,
    sandbox: &Sandbox,
    handlers: &[HandlerSource],
) -> Result<Vec<Option<ErrorInfo>>, SandboxError> {
    let limits = &sandbox.config().limits;
    let request = Request::Compile {
        handlers: handlers.to_vec(),
        limits: guest_limits(limits),
    };
    match instance.request(&request, setup_budget(limits)) {
        Ok(Response::Checked { errors }) if errors.len() == handlers.len() => Ok(errors),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_the_function_form() {
        assert_eq!(
            detect_form("function (event) { return 1 }"),
            SourceForm::Function
        );
        assert_eq!(
            detect_form("  // old export\nfunction(e){return 1};"),
            SourceForm::Function
        );
        assert_eq!(
            detect_form("async function (e) { return 1 }"),
            SourceForm::Function
        );
        assert_eq!(detect_form("event => event.name"), SourceForm::Function);
        assert_eq!(detect_form("(event) => { return 1 }"), SourceForm::Function);
    }

    #[test]
    fn detects_the_body_form() {
        assert_eq!(detect_form("return 1;"), SourceForm::Body);
        assert_eq!(detect_form("functionality();"), SourceForm::Body);
        assert_eq!(
            detect_form("function helper(x) { return x }\nreturn helper(event.id);"),
            SourceForm::Body
        );
        assert_eq!(
            detect_form("(function () { return 1 })()"),
            SourceForm::Body
        );
        assert_eq!(detect_form("if (a) { return '}' }"), SourceForm::Body);
    }
}
