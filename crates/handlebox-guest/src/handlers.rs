//! Handler text to JavaScript functions.
//!
//! A handler is either a function body, as the admin panel stores it, or a
//! whole function expression; when the host does not say which, the parse
//! decides: a text that parses as one function expression is a function.
//! Both forms are wrapped so that the handler's first line becomes line 2 of
//! the wrapper and its columns stay as written; every position the parser
//! or the engine reports is moved back by [`LINE_OFFSET`]. A body is first
//! parsed on its own as a `FunctionBody`, so text such as
//! `}); evil(); (function () {` is a syntax error, not a way out of the
//! wrapper.

use std::path::Path;

use boa_engine::ast::expression::literal::LiteralKind;
use boa_engine::ast::expression::operator::binary::BinaryOp;
use boa_engine::ast::scope::Scope;
use boa_engine::ast::{Expression, Spanned, Statement, StatementListItem};
use boa_engine::interner::Interner;
use boa_engine::parser::{Parser, Source};
use boa_engine::{Context, JsValue, Script};
use handlebox_protocol::{ErrorInfo, HandlerSource, Role, SourceForm};

use crate::errors::{self, LINE_OFFSET};
use crate::lint;

/// The admin panel's prelude for event variables, minus its line feed.
const PRELUDE: &str = "var _digitalData = this.digitalData, _get = this.get, _queryParam = this.queryParam, _cookie = this.cookie, _global = this.global, _dataLayer = this.dataLayer;";

/// The script whose value is the handler's function. A function is the
/// right operand of a comma, so that a trailing `;` is allowed, as it is
/// after a function in a file.
fn wrap(handler: &HandlerSource, form: SourceForm) -> String {
    match form {
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
        SourceForm::Function => format!("0,\n{}\n", handler.source),
    }
}

/// A handler that parses: its form and what its lints found.
pub(crate) struct Parsed {
    /// Body or function.
    pub(crate) form: SourceForm,
    /// The lints' warnings.
    pub(crate) warnings: Vec<String>,
    /// Whether the handler may read the page's document.
    pub(crate) reads_document: bool,
}

/// Parses a handler without running it.
pub(crate) fn check(handler: &HandlerSource, interner: &mut Interner) -> Result<Parsed, ErrorInfo> {
    if !is_identifier(&handler.param) {
        return Err(errors::input(format!(
            "parameter name {:?} is not an identifier",
            handler.param
        )));
    }
    if let Some(form) = handler.form {
        return parse(handler, form, interner);
    }
    let as_function = parse(handler, SourceForm::Function, interner);
    let Err(function_error) = as_function else {
        return as_function;
    };
    let as_body = parse(handler, SourceForm::Body, interner);
    match as_body {
        Err(body_error) if reaches_further(&function_error, &body_error) => Err(function_error),
        as_body => as_body,
    }
}

/// Whether `function` was found further into the text than `body`: the
/// reading that parsed more of the text is the one the author meant.
fn reaches_further(function: &ErrorInfo, body: &ErrorInfo) -> bool {
    let at = |e: &ErrorInfo| (e.line.unwrap_or(u32::MAX), e.column.unwrap_or(u32::MAX));
    at(function) > at(body)
}

/// Parses a handler in one form and lints it.
fn parse(
    handler: &HandlerSource,
    form: SourceForm,
    interner: &mut Interner,
) -> Result<Parsed, ErrorInfo> {
    if form == SourceForm::Body {
        let mut parser = Parser::new(Source::from_bytes(handler.source.as_bytes()));
        if let Err(err) = parser.parse_function_body(interner, false, false) {
            return Err(errors::syntax(&err, 0, &handler.source));
        }
    }
    let wrapped = wrap(handler, form);
    let mut parser = Parser::new(Source::from_bytes(wrapped.as_bytes()));
    let script = parser
        .parse_script(&Scope::new_global(), interner)
        .map_err(|err| errors::syntax(&err, LINE_OFFSET, &handler.source))?;
    let function = single_function(script.statements().statements(), form)
        .map_err(|(line, column)| errors::escaped(line, column, &handler.source))?;
    let variable = handler.role == Role::Variable;
    Ok(Parsed {
        form,
        warnings: lint::warnings(&script, function, variable, interner),
        reads_document: lint::reads_document(&script, interner),
    })
}

/// The handler's function in the wrapper, checked to be one function and
/// nothing else: a handler that closes the wrapper's parenthesis or brace
/// early would otherwise run code outside its function. `Err` holds where
/// the wrapper's first statement ended, in wrapper coordinates.
fn single_function(
    items: &[StatementListItem],
    form: SourceForm,
) -> Result<&Expression, (u32, u32)> {
    let Some(Statement::Expression(first)) = items.first().and_then(statement) else {
        return Err((LINE_OFFSET + 1, 1));
    };
    let function = match (form, first) {
        (SourceForm::Body, Expression::Parenthesized(inner)) => {
            Some(inner.expression()).filter(|f| matches!(f, Expression::FunctionExpression(_)))
        }
        (SourceForm::Function, Expression::Binary(comma))
            if comma.op() == BinaryOp::Comma
                && matches!(comma.lhs(), Expression::Literal(zero) if matches!(zero.kind(), LiteralKind::Int(0))) =>
        {
            Some(comma.rhs()).filter(|f| {
                matches!(
                    f,
                    Expression::FunctionExpression(_)
                        | Expression::ArrowFunction(_)
                        | Expression::AsyncArrowFunction(_)
                        | Expression::AsyncFunctionExpression(_)
                        | Expression::GeneratorExpression(_)
                        | Expression::AsyncGeneratorExpression(_)
                )
            })
        }
        _ => None,
    };
    let rest_empty = items[1..].iter().all(|item| {
        form == SourceForm::Function && matches!(statement(item), Some(Statement::Empty))
    });
    match function {
        Some(function) if rest_empty => Ok(function),
        _ => {
            let end = first.span().end();
            Err((end.line_number(), end.column_number()))
        }
    }
}

fn statement(item: &StatementListItem) -> Option<&Statement> {
    match item {
        StatementListItem::Statement(statement) => Some(statement.as_ref()),
        StatementListItem::Declaration(_) => None,
    }
}

/// A compiled handler.
pub(crate) struct Compiled {
    /// The handler's function.
    pub(crate) function: JsValue,
    /// The text it was compiled from: the handler in its wrapper.
    pub(crate) wrapped: String,
    /// What parsing it found.
    pub(crate) parsed: Parsed,
}

/// Compiles a handler in `context`.
///
/// `path` names the handler in engine backtraces, so that errors can be
/// placed in its text.
pub(crate) fn compile(
    handler: &HandlerSource,
    path: &str,
    context: &mut Context,
) -> Result<Compiled, ErrorInfo> {
    let parsed = check(handler, context.interner_mut())?;
    let wrapped = wrap(handler, parsed.form);
    let source = Source::from_bytes(wrapped.as_bytes()).with_path(Path::new(path));
    let script = Script::parse(source, None, context)
        .map_err(|err| errors::compile(&err, path, &handler.source))?;
    let value = script
        .evaluate(context)
        .map_err(|err| errors::compile(&err, path, &handler.source))?;
    if value.is_callable() {
        Ok(Compiled {
            function: value,
            wrapped,
            parsed,
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn error(source: &str) -> ErrorInfo {
        let handler = HandlerSource {
            source: source.to_owned(),
            form: None,
            param: "event".to_owned(),
            role: Role::Variable,
        };
        match check(&handler, &mut Interner::default()) {
            Ok(_) => panic!("{source:?} parses"),
            Err(error) => error,
        }
    }

    #[test]
    fn a_text_that_parses_neither_way_is_placed_where_its_reading_failed() {
        let in_function = error("function (e) {\n  return e.x + ;\n}");
        assert_eq!((in_function.line, in_function.column), (Some(2), Some(16)));
        let in_body = error("var a = 1;\nreturn a +;");
        assert_eq!((in_body.line, in_body.column), (Some(2), Some(11)));
    }

    #[test]
    fn a_function_followed_by_code_is_not_a_way_out() {
        let handler = HandlerSource {
            source: "e => e.x\n, evil()".to_owned(),
            form: Some(SourceForm::Function),
            param: "event".to_owned(),
            role: Role::Variable,
        };
        let escaped = check(&handler, &mut Interner::default())
            .err()
            .expect("code after the function is refused");
        assert_eq!((escaped.line, escaped.column), (Some(2), Some(9)));
        let read_as_a_body = error("e => e.x\n}); evil(); (function () {");
        assert_eq!(read_as_a_body.kind, handlebox_protocol::ErrorKind::Syntax);
    }
}
