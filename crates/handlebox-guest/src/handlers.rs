//! Handler text to JavaScript functions.
//!
//! Both source forms are wrapped so that the handler's first line becomes
//! line 2 of the wrapper and its columns stay as written; every position the
//! parser or the engine reports is moved back by [`LINE_OFFSET`]. A body is
//! first parsed on its own as a `FunctionBody`, so text such as
//! `}); evil(); (function () {` is a syntax error, not a way out of the wrapper.

use std::path::Path;

use boa_engine::ast::scope::Scope;
use boa_engine::ast::{Expression, Spanned, Statement, StatementListItem};
use boa_engine::interner::Interner;
use boa_engine::parser::{Parser, Source};
use boa_engine::{Context, JsValue, Script};
use handlebox_protocol::{ErrorInfo, HandlerSource, Role, SourceForm};

use crate::errors::{self, LINE_OFFSET};

/// The admin panel's prelude for event variables, minus its line feed.
const PRELUDE: &str = "var _digitalData = this.digitalData, _get = this.get, _queryParam = this.queryParam, _cookie = this.cookie, _global = this.global, _dataLayer = this.dataLayer;";

/// The script whose value is the handler's function.
fn wrap(handler: &HandlerSource) -> String {
    match handler.form {
        SourceForm::Body => {
            let prelude = match handler.role {
                Role::Variable => PRELUDE,
                Role::Override { .. } => "",
            };
            format!(
                "(function ({}) {{{prelude}\n{}\n}})",
                handler.param, handler.source
            )
        }
        SourceForm::Function => format!("(\n{}\n)", handler.source),
    }
}

/// Parses a handler without running it; `None` when it is valid.
pub(crate) fn check(handler: &HandlerSource, interner: &mut Interner) -> Option<ErrorInfo> {
    if !is_identifier(&handler.param) {
        return Some(errors::input(format!(
            "parameter name {:?} is not an identifier",
            handler.param
        )));
    }
    if handler.form == SourceForm::Body {
        let mut parser = Parser::new(Source::from_bytes(handler.source.as_bytes()));
        if let Err(err) = parser.parse_function_body(interner, false, false) {
            return Some(errors::syntax(&err, 0, &handler.source));
        }
    }
    let wrapped = wrap(handler);
    let mut parser = Parser::new(Source::from_bytes(wrapped.as_bytes()));
    match parser.parse_script(&Scope::new_global(), interner) {
        Err(err) => Some(errors::syntax(&err, LINE_OFFSET, &handler.source)),
        Ok(script) => single_function(script.statements().statements(), handler)
            .err()
            .map(|(line, column)| errors::escaped(line, column, &handler.source)),
    }
}

/// Checks that the wrapper parsed as one parenthesized function and nothing
/// else: a handler that closes the wrapper's parenthesis or brace early
/// would otherwise run code outside its function. `Err` holds where the
/// wrapper's first statement ended, in wrapper coordinates.
fn single_function(items: &[StatementListItem], handler: &HandlerSource) -> Result<(), (u32, u32)> {
    let first = match items.first() {
        Some(StatementListItem::Statement(statement)) => match statement.as_ref() {
            Statement::Expression(expression) => Some(expression),
            _ => None,
        },
        _ => None,
    };
    let Some(first) = first else {
        return Err((LINE_OFFSET + 1, 1));
    };
    let is_function = match first {
        Expression::Parenthesized(inner) => match (handler.form, inner.expression()) {
            (SourceForm::Body, Expression::FunctionExpression(_)) => true,
            (SourceForm::Body, _) => false,
            (
                SourceForm::Function,
                Expression::FunctionExpression(_)
                | Expression::ArrowFunction(_)
                | Expression::AsyncArrowFunction(_)
                | Expression::AsyncFunctionExpression(_)
                | Expression::GeneratorExpression(_)
                | Expression::AsyncGeneratorExpression(_),
            ) => true,
            (SourceForm::Function, _) => false,
        },
        _ => false,
    };
    if is_function && items.len() == 1 {
        Ok(())
    } else {
        let end = first.span().end();
        Err((end.line_number(), end.column_number()))
    }
}

/// Parses every handler; one entry per handler, `None` when it is valid.
pub(crate) fn check_all(handlers: &[HandlerSource]) -> Vec<Option<ErrorInfo>> {
    let mut interner = Interner::default();
    handlers.iter().map(|h| check(h, &mut interner)).collect()
}

/// Compiles a handler in `context` and returns its function.
///
/// `path` names the handler in engine backtraces, so that errors can be
/// placed in its text.
pub(crate) fn compile(
    handler: &HandlerSource,
    path: &str,
    context: &mut Context,
) -> Result<JsValue, ErrorInfo> {
    if let Some(error) = check(handler, context.interner_mut()) {
        return Err(error);
    }
    let wrapped = wrap(handler);
    let source = Source::from_bytes(wrapped.as_bytes()).with_path(Path::new(path));
    let script = Script::parse(source, None, context)
        .map_err(|err| errors::compile(&err, path, &handler.source))?;
    let value = script
        .evaluate(context)
        .map_err(|err| errors::compile(&err, path, &handler.source))?;
    if value.is_callable() {
        Ok(value)
    } else {
        Err(errors::input(
            "the handler's text is not a function expression".to_owned(),
        ))
    }
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}
