//! Lints: what parses but cannot work as the author meant, found in the
//! handler's syntax tree without running anything. `handlebox check` shows
//! them next to the handler's option.

use std::ops::ControlFlow;

use boa_engine::ast::expression::Identifier;
use boa_engine::ast::expression::access::{PropertyAccessField, SimplePropertyAccess};
use boa_engine::ast::expression::literal::ObjectMethodDefinition;
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
    if variable && body(function).is_some_and(|body| !returns(body)) {
        warnings.push(
            "has no return statement: its value is always undefined, so the variable is never written"
                .to_owned(),
        );
    }
    warnings
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

/// Which browser-only helpers the code names, as `this.<name>` or `_<name>`.
struct Uses<'i> {
    interner: &'i Interner,
    this: [bool; BROWSER_ONLY.len()],
    underscored: [bool; BROWSER_ONLY.len()],
}

impl Uses<'_> {
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
            [
                "uses this.domQuery, which only works in a browser: in the sandbox it throws",
                "uses _fetch, which only works in a browser: in the sandbox it throws",
            ]
        );
        assert!(variable("// this.fetch is gone\nreturn 'this.fetch';").is_empty());
        assert!(variable("return this.fetcher();").is_empty());
        assert!(variable("return /this.fetch()/.test(event.name);").is_empty());
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
