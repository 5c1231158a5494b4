//! The common runtime errors in V8's words, which integrators compare with
//! Chrome's console: Boa says `cannot convert 'null' or 'undefined' to
//! object` and `not a callable function`; V8 names the property and the
//! callee. The handler's text is parsed again (only when such an error
//! happens) and the expression at the error's position is read. A name
//! that is not defined, which Boa places at its function's start, is found
//! here too.

use std::ops::ControlFlow;

use boa_engine::ast::declaration::{Binding, Variable};
use boa_engine::ast::expression::access::SimplePropertyAccess;
use boa_engine::ast::expression::access::{PropertyAccess, PropertyAccessField};
use boa_engine::ast::expression::literal::LiteralKind;
use boa_engine::ast::expression::operator::Assign;
use boa_engine::ast::expression::operator::assign::AssignTarget;
use boa_engine::ast::expression::{Call, Identifier, New};
use boa_engine::ast::scope::Scope;
use boa_engine::ast::visitor::{VisitWith, Visitor};
use boa_engine::ast::{Expression, Position, Span, Spanned};
use boa_engine::interner::Interner;
use boa_engine::parser::{Parser, Source};

/// Boa's message for reading or writing a property of `null` or `undefined`.
const NO_OBJECT: &str = "cannot convert 'null' or 'undefined' to object";
/// Boa's message for calling what is not a function.
const NOT_CALLABLE: &str = "not a callable function";
/// Boa's message for `new` on what is not a constructor.
const NOT_CONSTRUCTOR: &str = "not a constructor";

/// A V8 message, and where it places the error, for a `TypeError` whose
/// Boa message is `message`, raised at `line`, `column` of `wrapped` (the
/// handler's text as it was compiled). `None` when the expression is not
/// found there.
pub(crate) fn reword(
    message: &str,
    wrapped: &str,
    line: u32,
    column: u32,
) -> Option<(String, Position)> {
    if ![NO_OBJECT, NOT_CALLABLE, NOT_CONSTRUCTOR].contains(&message) || line == 0 || column == 0 {
        return None;
    }
    let mut interner = Interner::default();
    let mut parser = Parser::new(Source::from_bytes(wrapped.as_bytes()));
    let script = parser
        .parse_script(&Scope::new_global(), &mut interner)
        .ok()?;
    let at = Position::new(line, column);
    let mut bindings = Bindings::default();
    let _ = script.visit_with(&mut bindings);
    let mut finder = Finder {
        at,
        message,
        interner: &interner,
        bindings: &bindings,
        found: None,
    };
    let _ = script.visit_with(&mut finder);
    finder.found
}

/// Where `name` is first used as a name (not a property, an object key, a
/// string or a comment) in `wrapped`, after its first `after_line` lines
/// (the wrapper's own).
pub(crate) fn name_position(wrapped: &str, name: &str, after_line: u32) -> Option<Position> {
    let mut interner = Interner::default();
    let mut parser = Parser::new(Source::from_bytes(wrapped.as_bytes()));
    let script = parser
        .parse_script(&Scope::new_global(), &mut interner)
        .ok()?;
    let mut names = Names {
        name,
        after_line,
        interner: &interner,
        found: None,
    };
    let _ = script.visit_with(&mut names);
    names.found
}

/// Stops at the first use of a name after the wrapper's lines.
struct Names<'a> {
    name: &'a str,
    after_line: u32,
    interner: &'a Interner,
    found: Option<Position>,
}

impl<'ast> Visitor<'ast> for Names<'_> {
    type BreakTy = ();

    fn visit_identifier(&mut self, node: &'ast Identifier) -> ControlFlow<()> {
        let at = node.span().start();
        if at.line_number() > self.after_line
            && self.interner.resolve_expect(node.sym()).to_string() == self.name
        {
            self.found = Some(at);
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }
}

struct Finder<'a> {
    at: Position,
    message: &'a str,
    interner: &'a Interner,
    bindings: &'a Bindings<'a>,
    found: Option<(String, Position)>,
}

/// Each name the handler declares with `var`/`let`/`const name = value`,
/// with its value's expression, and the names assigned anywhere else:
/// a name declared once and never assigned holds what its value gave.
#[derive(Default)]
struct Bindings<'ast> {
    declared: Vec<(boa_engine::interner::Sym, Option<&'ast Expression>)>,
    assigned: Vec<boa_engine::interner::Sym>,
}

impl<'ast> Bindings<'ast> {
    /// The expression whose value `name` holds, when that is certain.
    fn value_of(&self, name: boa_engine::interner::Sym) -> Option<&'ast Expression> {
        let mut declared = self.declared.iter().filter(|(n, _)| *n == name);
        let (_, value) = declared.next()?;
        if declared.next().is_some() || self.assigned.contains(&name) {
            return None;
        }
        *value
    }
}

impl<'ast> Visitor<'ast> for Bindings<'ast> {
    type BreakTy = ();

    fn visit_variable(&mut self, node: &'ast Variable) -> ControlFlow<()> {
        if let Binding::Identifier(name) = node.binding() {
            self.declared.push((name.sym(), node.init()));
        }
        node.visit_with(self)
    }

    fn visit_assign(&mut self, node: &'ast Assign) -> ControlFlow<()> {
        if let AssignTarget::Identifier(name) = node.lhs() {
            self.assigned.push(name.sym());
        }
        node.visit_with(self)
    }
}

impl Finder<'_> {
    /// The message and place for reading `access` of `null` or `undefined`.
    fn read_failure(&self, access: &SimplePropertyAccess) -> (String, Position) {
        let value = nothing(access.target(), self.interner, self.bindings);
        match (self.field(access.field()), access.field()) {
            (Some(name), PropertyAccessField::Const(_)) => (
                format!("Cannot read properties of {value} (reading '{name}')"),
                access.field().span().start(),
            ),
            (Some(name), PropertyAccessField::Expr(_)) => (
                format!("Cannot read properties of {value} (reading '{name}')"),
                start(access.target()),
            ),
            (None, PropertyAccessField::Expr(key)) => (
                format!(
                    "Cannot read properties of {value} (reading {})",
                    self.render(key)
                ),
                start(access.target()),
            ),
            (None, PropertyAccessField::Const(_)) => (
                format!("Cannot read properties of {value}"),
                start(access.target()),
            ),
        }
    }

    /// Whether the method named by `field` always gives a value (an
    /// array, a string, a number), never `undefined` or `null`.
    fn never_nothing(&self, field: &PropertyAccessField) -> bool {
        const GIVE_VALUES: [&str; 24] = [
            "split",
            "map",
            "filter",
            "slice",
            "splice",
            "concat",
            "join",
            "toString",
            "toLowerCase",
            "toUpperCase",
            "trim",
            "trimStart",
            "trimEnd",
            "replace",
            "replaceAll",
            "substring",
            "substr",
            "padStart",
            "padEnd",
            "keys",
            "values",
            "entries",
            "querySelectorAll",
            "getElementsByClassName",
        ];
        match field {
            PropertyAccessField::Const(name) => GIVE_VALUES.contains(
                &self
                    .interner
                    .resolve_expect(name.sym())
                    .to_string()
                    .as_str(),
            ),
            PropertyAccessField::Expr(_) => false,
        }
    }

    /// `'x'` for a field V8 can name; `None` for a key only known at run time.
    fn field(&self, field: &PropertyAccessField) -> Option<String> {
        match field {
            PropertyAccessField::Const(name) => {
                Some(self.interner.resolve_expect(name.sym()).to_string())
            }
            PropertyAccessField::Expr(expression) => match expression.as_ref() {
                Expression::Literal(literal) => match literal.kind() {
                    LiteralKind::String(sym) => {
                        Some(self.interner.resolve_expect(*sym).to_string())
                    }
                    LiteralKind::Int(n) => Some(n.to_string()),
                    LiteralKind::Num(n) => Some(ryu_js::Buffer::new().format(*n).to_owned()),
                    _ => None,
                },
                _ => None,
            },
        }
    }

    /// How V8 prints an expression it names in a message: names and
    /// property paths as written, calls as `f(...)`, anything else as
    /// `(intermediate value)`.
    fn render(&self, expression: &Expression) -> String {
        match expression {
            Expression::Identifier(name) => self.interner.resolve_expect(name.sym()).to_string(),
            Expression::This(_) => "this".to_owned(),
            Expression::PropertyAccess(PropertyAccess::Simple(access)) => {
                let target = self.render(access.target());
                match access.field() {
                    PropertyAccessField::Const(name) => {
                        format!("{target}.{}", self.interner.resolve_expect(name.sym()))
                    }
                    PropertyAccessField::Expr(key) => format!("{target}[{}]", self.key(key)),
                }
            }
            Expression::Call(call) => format!("{}(...)", self.render(call.function())),
            Expression::Parenthesized(inner) => self.render(inner.expression()),
            _ => "(intermediate value)".to_owned(),
        }
    }

    fn key(&self, key: &Expression) -> String {
        match key {
            Expression::Literal(literal) => match literal.kind() {
                LiteralKind::String(sym) => format!("\"{}\"", self.interner.resolve_expect(*sym)),
                LiteralKind::Int(n) => n.to_string(),
                _ => "(intermediate value)".to_owned(),
            },
            other => self.render(other),
        }
    }
}

/// Whether `value` is what V8 would name: `null` for what is `null` by its
/// nature (a literal, a DOM lookup that found nothing, a name declared
/// once with one of those), else `undefined`.
fn nothing(target: &Expression, interner: &Interner, bindings: &Bindings<'_>) -> &'static str {
    /// Methods and properties of the page's browser that give `null`
    /// when they find nothing.
    const GIVES_NULL: [&str; 19] = [
        "querySelector",
        "getElementById",
        "closest",
        "getAttribute",
        "match",
        "exec",
        "getItem",
        "item",
        "namedItem",
        "getNamedItem",
        "parentElement",
        "parentNode",
        "nextElementSibling",
        "previousElementSibling",
        "firstElementChild",
        "lastElementChild",
        "nextSibling",
        "previousSibling",
        "get",
    ];
    let named = |field: &PropertyAccessField| match field {
        PropertyAccessField::Const(name) => {
            GIVES_NULL.contains(&interner.resolve_expect(name.sym()).to_string().as_str())
        }
        PropertyAccessField::Expr(_) => false,
    };
    let gives_null = match target {
        Expression::Literal(literal) => matches!(literal.kind(), LiteralKind::Null),
        Expression::Call(call) => matches!(
            call.function(),
            Expression::PropertyAccess(PropertyAccess::Simple(access)) if named(access.field())
        ),
        Expression::PropertyAccess(PropertyAccess::Simple(access)) => named(access.field()),
        Expression::Parenthesized(inner) => {
            return nothing(inner.expression(), interner, bindings);
        }
        Expression::Identifier(name) => {
            return match bindings.value_of(name.sym()) {
                Some(value) if !matches!(value, Expression::Identifier(_)) => {
                    nothing(value, interner, bindings)
                }
                _ => "undefined",
            };
        }
        _ => false,
    };
    if gives_null { "null" } else { "undefined" }
}

/// Where `expression` starts in the text: Boa's span of a call starts at
/// its parenthesis, so a call starts where its callee does.
fn start(expression: &Expression) -> Position {
    match expression {
        Expression::Call(call) => start(call.function()),
        Expression::PropertyAccess(PropertyAccess::Simple(access)) => start(access.target()),
        other => other.span().start(),
    }
}

fn starts_at(span: Span, at: Position) -> bool {
    span.start() == at
}

impl<'ast> Visitor<'ast> for Finder<'_> {
    type BreakTy = ();

    fn visit_assign(&mut self, node: &'ast Assign) -> ControlFlow<()> {
        if self.message == NO_OBJECT
            && let AssignTarget::Access(PropertyAccess::Simple(access)) = node.lhs()
            && (starts_at(node.span(), self.at) || starts_at(access.field().span(), self.at))
            && let Some(name) = self.field(access.field())
        {
            let value = nothing(access.target(), self.interner, self.bindings);
            self.found = Some((
                format!("Cannot set properties of {value} (setting '{name}')"),
                access.field().span().start(),
            ));
            return ControlFlow::Break(());
        }
        node.visit_with(self)
    }

    fn visit_simple_property_access(
        &mut self,
        node: &'ast SimplePropertyAccess,
    ) -> ControlFlow<()> {
        if self.message == NO_OBJECT && starts_at(node.field().span(), self.at) {
            // Boa gives a method's lookup (`email.split` in
            // `email.split('@')[1]`) no position of its own: the error is
            // placed at the next access. When the method cannot give
            // `undefined` or `null`, the lookup is what failed.
            let failed = match node.target() {
                Expression::Call(call) => match call.function() {
                    Expression::PropertyAccess(PropertyAccess::Simple(method))
                        if self.never_nothing(method.field()) =>
                    {
                        method
                    }
                    _ => node,
                },
                _ => node,
            };
            self.found = Some(self.read_failure(failed));
            return ControlFlow::Break(());
        }
        node.visit_with(self)
    }

    fn visit_call(&mut self, node: &'ast Call) -> ControlFlow<()> {
        if self.message == NOT_CALLABLE
            && (node.function().span().end() == self.at || starts_at(node.span(), self.at))
        {
            let callee = self.render(node.function());
            self.found = Some((
                format!("{callee} is not a function"),
                start(node.function()),
            ));
            return ControlFlow::Break(());
        }
        node.visit_with(self)
    }

    fn visit_new(&mut self, node: &'ast New) -> ControlFlow<()> {
        if self.message == NOT_CONSTRUCTOR
            && (starts_at(node.span(), self.at)
                || node.constructor().span().end() == self.at
                || starts_at(node.constructor().span(), self.at))
        {
            let callee = self.render(node.constructor());
            self.found = Some((
                format!("{callee} is not a constructor"),
                start(node.constructor()),
            ));
            return ControlFlow::Break(());
        }
        node.visit_with(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `code` as the body of a function, on line 2 of the text.
    fn wrapped(code: &str) -> String {
        format!("(function (event) {{\n{code}\n}})")
    }

    /// The V8 message and its column for Boa's `message` at the place of
    /// `marker` (its first character) in the function body `code`.
    fn v8(message: &str, code: &str, marker: &str) -> Option<(String, u32)> {
        let at = code.find(marker).unwrap();
        let before = &code[..at];
        let line = 2 + before.matches('\n').count() as u32;
        let column = (at - before.rfind('\n').map_or(0, |n| n + 1)) as u32 + 1;
        reword(message, &wrapped(code), line, column).map(|(text, at)| (text, at.column_number()))
    }

    #[test]
    fn undefined_names_are_found_as_names() {
        let at = |code: &str, name: &str| {
            name_position(&wrapped(code), name, 1).map(|p| (p.line_number(), p.column_number()))
        };
        assert_eq!(at("return nope", "nope"), Some((2, 8)));
        let code =
            "// regoin here\nvar s = 'regoin';\nvar o = {regoin: 1};\nreturn a.regoin + regoin";
        assert_eq!(at(code, "regoin"), Some((5, 19)));
        assert_eq!(at("return regoinal", "regoin"), None);
        assert_eq!(at("/* x */ `x` + x", "x"), Some((2, 15)));
    }

    #[test]
    fn property_reads_name_the_property() {
        let code = "var u; return u.region + 1";
        assert_eq!(
            v8(NO_OBJECT, code, "region"),
            Some((
                "Cannot read properties of undefined (reading 'region')".into(),
                17
            ))
        );
        let code = "return document.querySelector('.x').textContent";
        assert_eq!(
            v8(NO_OBJECT, code, "textContent").unwrap().0,
            "Cannot read properties of null (reading 'textContent')"
        );
        let code = "return e.split('@')[1]";
        assert_eq!(
            v8(NO_OBJECT, code, "1]"),
            Some((
                "Cannot read properties of undefined (reading 'split')".into(),
                10
            ))
        );
        let code = "var el = document.querySelector('.x');\nreturn el.textContent";
        assert_eq!(
            v8(NO_OBJECT, code, "textContent").unwrap().0,
            "Cannot read properties of null (reading 'textContent')"
        );
        let code = "var el = document.querySelector('.x');\nel = event.el;\nreturn el.textContent";
        assert_eq!(
            v8(NO_OBJECT, code, "textContent").unwrap().0,
            "Cannot read properties of undefined (reading 'textContent')"
        );
        let code = "var m = null;\nreturn m.x";
        assert_eq!(
            v8(NO_OBJECT, code, "x").unwrap().0,
            "Cannot read properties of null (reading 'x')"
        );
        let code = "return e.find(isRed)[1]";
        assert_eq!(
            v8(NO_OBJECT, code, "1]"),
            Some((
                "Cannot read properties of undefined (reading '1')".into(),
                8
            ))
        );
        let code = "return a[key].x";
        assert_eq!(
            v8(NO_OBJECT, code, "key").unwrap().0,
            "Cannot read properties of undefined (reading key)"
        );
    }

    #[test]
    fn property_writes_and_calls_read_as_in_v8() {
        let code = "var u; u.x = 1";
        assert_eq!(
            v8(NO_OBJECT, code, "u.x").unwrap().0,
            "Cannot set properties of undefined (setting 'x')"
        );
        let code = "return event.user.name.trim()()";
        let paren = code.rfind("()").unwrap() as u32 + 1;
        assert_eq!(
            reword(NOT_CALLABLE, &wrapped(code), 2, paren).unwrap().0,
            "event.user.name.trim(...) is not a function"
        );
        let code = "return Math.foo(1)";
        assert_eq!(
            v8(NOT_CALLABLE, code, "(1)"),
            Some(("Math.foo is not a function".into(), 8))
        );
        assert_eq!(reword(NO_OBJECT, &wrapped("a.b"), 0, 0), None);
        let code = "return new (1)";
        assert_eq!(
            v8(NOT_CONSTRUCTOR, code, "new").unwrap().0,
            "(intermediate value) is not a constructor"
        );
        assert_eq!(v8("other", code, "new"), None);
    }
}
