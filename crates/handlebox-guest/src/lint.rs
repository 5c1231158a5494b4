//! Lints: what parses but cannot work as the author meant, found in the
//! handler's syntax tree without running anything. `handlebox check` shows
//! them next to the handler's option.

use std::ops::ControlFlow;

use boa_engine::ast::expression::Identifier;
use boa_engine::ast::expression::access::{
    PropertyAccess, PropertyAccessField, SimplePropertyAccess,
};
use boa_engine::ast::expression::literal::ObjectMethodDefinition;
use boa_engine::ast::expression::operator::Assign;
use boa_engine::ast::expression::operator::assign::AssignTarget;
use boa_engine::ast::function::{
    ArrowFunction, AsyncArrowFunction, AsyncFunctionDeclaration, AsyncFunctionExpression,
    AsyncGeneratorDeclaration, AsyncGeneratorExpression, ClassDeclaration, ClassExpression,
    FunctionBody, FunctionDeclaration, FunctionExpression, GeneratorDeclaration,
    GeneratorExpression,
};
use boa_engine::ast::statement::Return;
use boa_engine::ast::visitor::{VisitWith, Visitor};
use boa_engine::ast::{Expression, Script};
use boa_engine::interner::{Interner, Sym};
use handlebox_protocol::BROWSER_ONLY;

/// The warnings about one parsed handler; `function` is its function in
/// `script`, `variable` whether it is an event variable (whose value is
/// what it returns).
pub(crate) fn warnings(
    script: &Script,
    function: &Expression,
    variable: bool,
    interner: &Interner,
) -> Vec<String> {
    let mut uses = Uses {
        interner,
        this: [false; BROWSER_ONLY.len()],
        underscored: [false; BROWSER_ONLY.len()],
        refused: Vec::new(),
    };
    let _ = script.visit_with(&mut uses);
    let mut warnings: Vec<String> = BROWSER_ONLY
        .iter()
        .enumerate()
        .filter_map(|(i, helper)| {
            let used = if uses.this[i] {
                format!("this.{helper}")
            } else if uses.underscored[i] {
                format!("_{helper}")
            } else {
                return None;
            };
            Some(format!(
                "uses {used}, which only works in a browser: in the sandbox it throws"
            ))
        })
        .collect();
    for used in uses.refused {
        warnings.push(format!(
            "uses {used}, which a handler cannot do in the sandbox: it throws there"
        ));
    }
    if variable && body(function).is_some_and(|body| !returns(body)) {
        warnings.push(
            "has no return statement: its value is always undefined, so the variable is never written"
                .to_owned(),
        );
    }
    warnings
}

/// Whether the handler names what can reach the page's document:
/// `document`, `window`, `self`, `globalThis`, `_domQuery` or `domQuery`
/// (as a property, `this.domQuery`). Anything else cannot.
pub(crate) fn reads_document(script: &Script, interner: &Interner) -> bool {
    script
        .visit_with(&mut DocumentReads { interner })
        .is_break()
}

/// Stops at the first name that can reach the page's document.
struct DocumentReads<'i> {
    interner: &'i Interner,
}

impl DocumentReads<'_> {
    fn reaches(&self, sym: Sym) -> bool {
        let name = self
            .interner
            .resolve(sym)
            .and_then(|name| name.utf8())
            .unwrap_or_default();
        matches!(
            name,
            "document" | "window" | "self" | "globalThis" | "_domQuery" | "domQuery"
        )
    }
}

impl<'ast> Visitor<'ast> for DocumentReads<'_> {
    type BreakTy = ();

    fn visit_identifier(&mut self, node: &'ast Identifier) -> ControlFlow<()> {
        if self.reaches(node.sym()) {
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }

    fn visit_simple_property_access(
        &mut self,
        node: &'ast SimplePropertyAccess,
    ) -> ControlFlow<()> {
        if let PropertyAccessField::Const(field) = node.field()
            && self.reaches(field.sym())
        {
            return ControlFlow::Break(());
        }
        node.visit_with(self)
    }
}

/// The body of a function expression (an arrow's expression body is a
/// `return` statement in it).
fn body(function: &Expression) -> Option<&FunctionBody> {
    match function {
        Expression::FunctionExpression(f) => Some(f.body()),
        Expression::ArrowFunction(f) => Some(f.body()),
        Expression::AsyncArrowFunction(f) => Some(f.body()),
        Expression::AsyncFunctionExpression(f) => Some(f.body()),
        Expression::GeneratorExpression(f) => Some(f.body()),
        Expression::AsyncGeneratorExpression(f) => Some(f.body()),
        _ => None,
    }
}

/// Whether `body` has a `return` of its own (not one of a nested function).
fn returns(body: &FunctionBody) -> bool {
    body.visit_with(&mut Returns).is_break()
}

/// Browser globals that throw in the sandbox: network and timers.
const REFUSED_GLOBALS: [&str; 10] = [
    "fetch",
    "XMLHttpRequest",
    "WebSocket",
    "EventSource",
    "Image",
    "setTimeout",
    "setInterval",
    "setImmediate",
    "requestAnimationFrame",
    "requestIdleCallback",
];

/// Which browser-only helpers the code names, as `this.<name>` or
/// `_<name>`, and which refused browser APIs it uses (network, timers,
/// navigation), in the order first seen.
struct Uses<'i> {
    interner: &'i Interner,
    this: [bool; BROWSER_ONLY.len()],
    underscored: [bool; BROWSER_ONLY.len()],
    refused: Vec<String>,
}

impl Uses<'_> {
    fn name(&self, sym: Sym) -> &str {
        self.interner
            .resolve(sym)
            .and_then(|name| name.utf8())
            .unwrap_or_default()
    }

    fn refuse(&mut self, what: String) {
        if !self.refused.contains(&what) {
            self.refused.push(what);
        }
    }

    /// Whether `expression` is `location`, `window.location` or
    /// `document.location`.
    fn is_location(&self, expression: &Expression) -> bool {
        match expression {
            Expression::Identifier(name) => self.name(name.sym()) == "location",
            Expression::PropertyAccess(PropertyAccess::Simple(access)) => {
                matches!(access.field(), PropertyAccessField::Const(f) if self.name(f.sym()) == "location")
                    && matches!(access.target(), Expression::Identifier(t)
                        if matches!(self.name(t.sym()), "window" | "document" | "self"))
            }
            _ => false,
        }
    }

    fn helper(&self, sym: Sym) -> Option<usize> {
        let name = self.interner.resolve(sym)?.utf8()?;
        BROWSER_ONLY.iter().position(|helper| *helper == name)
    }
}

impl<'ast> Visitor<'ast> for Uses<'_> {
    type BreakTy = ();

    fn visit_simple_property_access(
        &mut self,
        node: &'ast SimplePropertyAccess,
    ) -> ControlFlow<Self::BreakTy> {
        if let (Expression::This(_), PropertyAccessField::Const(field)) =
            (node.target(), node.field())
            && let Some(i) = self.helper(field.sym())
        {
            self.this[i] = true;
        }
        if let PropertyAccessField::Const(field) = node.field() {
            let field = self.name(field.sym()).to_owned();
            if matches!(field.as_str(), "assign" | "replace" | "reload")
                && self.is_location(node.target())
            {
                self.refuse(format!("location.{field}"));
            }
            if field == "sendBeacon" {
                self.refuse("navigator.sendBeacon".to_owned());
            }
            if REFUSED_GLOBALS.contains(&field.as_str())
                && matches!(node.target(), Expression::Identifier(t) if self.name(t.sym()) == "window")
            {
                self.refuse(field);
            }
        }
        node.visit_with(self)
    }

    fn visit_assign(&mut self, node: &'ast Assign) -> ControlFlow<Self::BreakTy> {
        match node.lhs() {
            AssignTarget::Identifier(name) if self.name(name.sym()) == "location" => {
                self.refuse("location = …".to_owned());
            }
            AssignTarget::Access(PropertyAccess::Simple(access)) => {
                let whole = Expression::PropertyAccess(PropertyAccess::Simple(access.clone()));
                if self.is_location(&whole) {
                    self.refuse("location = …".to_owned());
                } else if self.is_location(access.target())
                    && let PropertyAccessField::Const(field) = access.field()
                {
                    let field = self.name(field.sym()).to_owned();
                    self.refuse(format!("location.{field} = …"));
                }
            }
            _ => {}
        }
        node.visit_with(self)
    }

    fn visit_identifier(&mut self, node: &'ast Identifier) -> ControlFlow<Self::BreakTy> {
        let name = self
            .interner
            .resolve(node.sym())
            .and_then(|name| name.utf8());
        if let Some(rest) = name.and_then(|name| name.strip_prefix('_'))
            && let Some(i) = BROWSER_ONLY.iter().position(|helper| *helper == rest)
        {
            self.underscored[i] = true;
        }
        if let Some(name) = name
            && REFUSED_GLOBALS.contains(&name)
        {
            self.refuse(name.to_owned());
        }
        ControlFlow::Continue(())
    }
}

/// Stops at the first `return` of a function, skipping nested functions,
/// methods and classes, whose returns are their own.
struct Returns;

impl<'ast> Visitor<'ast> for Returns {
    type BreakTy = ();

    fn visit_return(&mut self, _: &'ast Return) -> ControlFlow<()> {
        ControlFlow::Break(())
    }
    fn visit_function_expression(&mut self, _: &'ast FunctionExpression) -> ControlFlow<()> {
        ControlFlow::Continue(())
    }
    fn visit_function_declaration(&mut self, _: &'ast FunctionDeclaration) -> ControlFlow<()> {
        ControlFlow::Continue(())
    }
    fn visit_arrow_function(&mut self, _: &'ast ArrowFunction) -> ControlFlow<()> {
        ControlFlow::Continue(())
    }
    fn visit_async_arrow_function(&mut self, _: &'ast AsyncArrowFunction) -> ControlFlow<()> {
        ControlFlow::Continue(())
    }
    fn visit_async_function_expression(
        &mut self,
        _: &'ast AsyncFunctionExpression,
    ) -> ControlFlow<()> {
        ControlFlow::Continue(())
    }
    fn visit_async_function_declaration(
        &mut self,
        _: &'ast AsyncFunctionDeclaration,
    ) -> ControlFlow<()> {
        ControlFlow::Continue(())
    }
    fn visit_generator_expression(&mut self, _: &'ast GeneratorExpression) -> ControlFlow<()> {
        ControlFlow::Continue(())
    }
    fn visit_generator_declaration(&mut self, _: &'ast GeneratorDeclaration) -> ControlFlow<()> {
        ControlFlow::Continue(())
    }
    fn visit_async_generator_expression(
        &mut self,
        _: &'ast AsyncGeneratorExpression,
    ) -> ControlFlow<()> {
        ControlFlow::Continue(())
    }
    fn visit_async_generator_declaration(
        &mut self,
        _: &'ast AsyncGeneratorDeclaration,
    ) -> ControlFlow<()> {
        ControlFlow::Continue(())
    }
    fn visit_class_expression(&mut self, _: &'ast ClassExpression) -> ControlFlow<()> {
        ControlFlow::Continue(())
    }
    fn visit_class_declaration(&mut self, _: &'ast ClassDeclaration) -> ControlFlow<()> {
        ControlFlow::Continue(())
    }
    fn visit_object_method_definition(
        &mut self,
        _: &'ast ObjectMethodDefinition,
    ) -> ControlFlow<()> {
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use handlebox_protocol::{HandlerSource, Role, SourceForm};

    use crate::handlers::check;

    fn lint(source: &str, role: Role) -> Vec<String> {
        let handler = HandlerSource {
            source: source.to_owned(),
            form: None,
            param: "event".to_owned(),
            role,
        };
        let mut interner = Default::default();
        check(&handler, &mut interner)
            .map(|parsed| parsed.warnings)
            .unwrap_or_else(|e| panic!("{source:?} does not parse: {e}"))
    }

    fn variable(source: &str) -> Vec<String> {
        lint(source, Role::Variable)
    }

    fn form(source: &str) -> SourceForm {
        let handler = HandlerSource {
            source: source.to_owned(),
            form: None,
            param: "event".to_owned(),
            role: Role::Variable,
        };
        check(&handler, &mut Default::default())
            .map(|parsed| parsed.form)
            .unwrap_or_else(|e| panic!("{source:?} does not parse: {e}"))
    }

    #[test]
    fn browser_only_helpers_are_flagged_in_code_not_in_text() {
        let warnings = variable("var p = this.domQuery('.price'); return _fetch(p);");
        assert_eq!(
            warnings,
            ["uses _fetch, which only works in a browser: in the sandbox it throws"]
        );
        assert!(variable("return _domQuery('.price').length;").is_empty());
        assert!(variable("// this.fetch is gone\nreturn 'this.fetch';").is_empty());
        assert!(variable("return this.fetcher();").is_empty());
        assert!(variable("return /this.fetch()/.test(event.name);").is_empty());
    }

    #[test]
    fn handlers_that_may_read_the_document_are_known() {
        let reads = |source: &str| {
            let handler = HandlerSource {
                source: source.to_owned(),
                form: None,
                param: "event".to_owned(),
                role: Role::Variable,
            };
            check(&handler, &mut Default::default())
                .unwrap()
                .reads_document
        };
        assert!(reads("return document.title"));
        assert!(reads("return window['docu' + 'ment']"));
        assert!(reads("return this.domQuery('.x')"));
        assert!(reads("return _domQuery('.x')"));
        assert!(!reads(
            "return _digitalData('website.redesign') ? 'a' : 'b'"
        ));
        assert!(!reads("var s = 'document'; return s"));
    }

    #[test]
    fn network_timers_and_navigation_are_flagged() {
        let warnings = variable(
            "setTimeout(function () {}, 1); window.fetch('/x'); location.href = '/a'; \
             window.location = '/b'; document.location.assign('/c'); navigator.sendBeacon('/d'); \
             new Image(); return location.pathname + document.location.href;",
        );
        let says = |what: &str| {
            format!("uses {what}, which a handler cannot do in the sandbox: it throws there")
        };
        assert_eq!(
            warnings,
            [
                says("setTimeout"),
                says("fetch"),
                says("location.href = …"),
                says("location = …"),
                says("location.assign"),
                says("navigator.sendBeacon"),
                says("Image"),
            ]
        );
        assert!(variable("var url = new URL(location.href); return url.search;").is_empty());
    }

    #[test]
    fn event_variables_without_a_return_of_their_own_are_flagged() {
        let none = [
            "has no return statement: its value is always undefined, so the variable is never written",
        ];
        assert_eq!(variable("event.spot = 'x';"), none);
        assert_eq!(variable("var s = 'return';"), none);
        assert_eq!(
            variable("event.items.forEach(function (i) { return i.id; });"),
            none
        );
        assert_eq!(variable("event.x = { get v() { return 1 } };"), none);
        assert_eq!(variable("event.x = { m() { return 1 } };"), none);
        assert!(variable("event => event.name").is_empty());
        assert!(variable("if (event.x) { return 1 }").is_empty());
        let override_ = Role::Override {
            integration: "Flocktory".to_owned(),
            options: Default::default(),
        };
        assert!(
            lint("event.spot = 'x';", override_).is_empty(),
            "overrides return nothing"
        );
    }

    #[test]
    fn the_form_is_what_the_text_parses_as() {
        for function in [
            "function (event) { return 1 }",
            "  // old export\nfunction(e){return 1};",
            "async function (e) { return 1 }",
            "event => event.name",
            "(event) => { return 1 }",
            "function (e) { // }\n return 1 }",
            "function (e) { return /}/.test(e.name) }",
        ] {
            assert_eq!(form(function), SourceForm::Function, "{function:?}");
        }
        for body in [
            "return 1;",
            "functionality();",
            "function helper(x) { return x }\nreturn helper(event.id);",
            "(function () { return 1 })()",
            "if (a) { return '}' }",
            "event.x = 1",
        ] {
            assert_eq!(form(body), SourceForm::Body, "{body:?}");
        }
    }
}
