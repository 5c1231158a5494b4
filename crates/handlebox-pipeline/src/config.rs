//! The project config as SegmentStream exports it — `{"integrations": {name:
//! options}}` or `{"integrations": [{name, options}]}` — and the handler
//! options every integration may carry (`eventEnrichments`,
//! `overrideFunctions`).

use handlebox_sandbox::{HandlerSpec, Scope, Step};
use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::integration::OptionProblem;
use crate::json_error::{JsonError, shape};
use crate::lint;

/// One integration's entry in a config.
#[derive(Debug, Clone, PartialEq)]
pub struct IntegrationConfig {
    /// Its name, e.g. `Flocktory`.
    pub name: String,
    /// Its options, as exported.
    pub options: Map<String, Value>,
}

/// A config file that is not JSON or not a project config.
pub type ConfigError = JsonError;

/// Reads the integrations of a config, in config order.
pub fn parse(text: &str) -> Result<Vec<IntegrationConfig>, ConfigError> {
    let value: Value = serde_json::from_str(text).map_err(|e| ConfigError::Json(e.to_string()))?;
    integrations(value)
}

/// Reads the integrations of a config given as a JSON value. Keys other
/// than `integrations` are left alone: exports may carry metadata.
pub fn integrations(value: Value) -> Result<Vec<IntegrationConfig>, ConfigError> {
    if !value.is_object() {
        return Err(shape(
            "$",
            "a config must be a JSON object with \"integrations\"",
        ));
    }
    let config: ConfigText = serde_path_to_error::deserialize(value).map_err(|e| {
        let path = match e.path().to_string() {
            root if root == "." => "$".to_owned(),
            path => format!("$.{path}"),
        };
        shape(&path, e.into_inner().to_string())
    })?;
    Ok(config.integrations.0)
}

/// A config as JSON has it.
#[derive(Deserialize)]
struct ConfigText {
    integrations: Integrations,
}

/// `integrations` in either form: `{name: options}` or
/// `[{"name", "options"}]`; `null` options are none.
struct Integrations(Vec<IntegrationConfig>);

/// One entry of the list form; other keys (an export's metadata) are left
/// alone.
#[derive(Deserialize)]
struct Entry {
    name: String,
    options: Option<Map<String, Value>>,
}

impl<'de> Deserialize<'de> for Integrations {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(IntegrationsVisitor)
    }
}

struct IntegrationsVisitor;

impl<'de> Visitor<'de> for IntegrationsVisitor {
    type Value = Integrations;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an object {name: options} or an array [{\"name\", \"options\"}]")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Integrations, A::Error> {
        let mut list = Vec::new();
        while let Some((name, options)) = map.next_entry::<String, Option<Map<String, Value>>>()? {
            list.push(IntegrationConfig {
                name,
                options: options.unwrap_or_default(),
            });
        }
        Ok(Integrations(list))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Integrations, A::Error> {
        let mut list = Vec::new();
        while let Some(entry) = seq.next_element::<Entry>()? {
            list.push(IntegrationConfig {
                name: entry.name,
                options: entry.options.unwrap_or_default(),
            });
        }
        Ok(Integrations(list))
    }
}

/// A handler of a config, found by name.
#[derive(Debug)]
pub struct HandlerSlot<'a> {
    /// Its integration, e.g. `Flocktory`.
    pub integration: String,
    /// Its option, e.g. `eventEnrichments[0].handler`.
    pub option: String,
    /// The label its calls and errors carry in the Result.
    pub label: String,
    /// The option's value: the handler's text, to read or replace.
    pub text: &'a mut Value,
}

/// The names [`handler_slot`] takes for the handlers of `configs`, in
/// config order: each event variable's `prop` (`eventEnrichments[N]`
/// without one), `override` and `override.product`.
pub fn handler_names(configs: &[IntegrationConfig]) -> Vec<String> {
    let mut names = Vec::new();
    for config in configs {
        if let Some(Value::Array(entries)) = config.options.get("eventEnrichments") {
            for (i, entry) in entries.iter().enumerate() {
                match entry.get("prop").and_then(Value::as_str) {
                    Some(prop) => names.push(prop.to_owned()),
                    None => names.push(format!("eventEnrichments[{i}]")),
                }
            }
        }
        if let Some(overrides) = config.options.get("overrideFunctions") {
            for (key, name) in [("event", "override"), ("product", "override.product")] {
                if overrides.get(key).is_some_and(|text| !text.is_null()) {
                    names.push(name.to_owned());
                }
            }
        }
    }
    names
}

/// The handler `name` names in `configs`: an event variable by its `prop`
/// (refused when several have it) or as `eventEnrichments[N]`, `override`
/// (the event override) or `override.product`. `Ok(None)` when none.
pub fn handler_slot<'a>(
    configs: &'a mut [IntegrationConfig],
    name: &str,
) -> Result<Option<HandlerSlot<'a>>, String> {
    // (config, entry) of each event variable the name fits.
    let mut found: Vec<(usize, usize)> = Vec::new();
    for (c, config) in configs.iter().enumerate() {
        if let Some(Value::Array(entries)) = config.options.get("eventEnrichments") {
            for (i, entry) in entries.iter().enumerate() {
                let prop = entry.get("prop").and_then(Value::as_str);
                if prop == Some(name) || name == format!("eventEnrichments[{i}]") {
                    found.push((c, i));
                }
            }
        }
    }
    if found.len() > 1 {
        let options: Vec<String> = found
            .iter()
            .map(|(c, i)| format!("{} eventEnrichments[{i}]", configs[*c].name))
            .collect();
        return Err(format!(
            "several handlers have {name:?} ({}): name one as eventEnrichments[N]",
            options.join(", ")
        ));
    }
    if let Some(&(c, i)) = found.first() {
        let config = &mut configs[c];
        let integration = config.name.clone();
        let entry = config
            .options
            .get_mut("eventEnrichments")
            .and_then(|entries| entries.get_mut(i));
        let Some(entry) = entry else {
            return Ok(None);
        };
        let prop = entry
            .get("prop")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let label = format!("{integration} eventEnrichments[{i}] ({prop})");
        return Ok(entry.get_mut("handler").map(|text| HandlerSlot {
            integration,
            option: format!("eventEnrichments[{i}].handler"),
            label,
            text,
        }));
    }
    let key = match name {
        "override" => "event",
        "override.product" => "product",
        _ => return Ok(None),
    };
    for config in configs.iter_mut() {
        let integration = config.name.clone();
        if let Some(text) = config
            .options
            .get_mut("overrideFunctions")
            .and_then(|o| o.get_mut(key))
            .filter(|text| !text.is_null())
        {
            let option = format!("overrideFunctions.{key}");
            return Ok(Some(HandlerSlot {
                label: format!("{integration} {option}"),
                integration,
                option,
                text,
            }));
        }
    }
    Ok(None)
}

/// One event variable of an integration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrichment {
    /// Event or product scope.
    pub scope: Scope,
    /// Where the value is written.
    pub prop: String,
    /// Only for events of this name (event scope); empty for all.
    pub event: String,
    /// The handler's index in the project.
    pub handler: usize,
}

/// The handlers of one integration, as indices into the project.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HandlerOptions {
    /// Event variables, in config order.
    pub enrichments: Vec<Enrichment>,
    /// `overrideFunctions.event`.
    pub override_event: Option<usize>,
    /// `overrideFunctions.product`.
    pub override_product: Option<usize>,
    /// What to report about the options, in config order.
    pub findings: Vec<Finding>,
    /// Options that are wrong: the integration cannot run.
    pub problems: Vec<OptionProblem>,
}

/// Something to report about an integration's handler options, in the
/// order of the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// A warning found while reading the options (see [`crate::lint`]).
    Warning(OptionProblem),
    /// Handler `handler` of the project came from `option`: its syntax
    /// error and its lints' warnings are reported there once it is compiled.
    Handler {
        /// The handler's index in the project.
        handler: usize,
        /// The option it came from, e.g. `eventEnrichments[0].handler`.
        option: String,
    },
}

impl HandlerOptions {
    /// The order the reference runs them in, as one plan per event: the
    /// event override, the product override on each product, the event
    /// variables (each only on events of its name, if it has one), then the
    /// product variables on each product.
    pub fn plan(&self) -> Vec<Step> {
        let mut steps = Vec::new();
        if let Some(handler) = self.override_event {
            steps.push(Step::Override { handler });
        }
        if let Some(handler) = self.override_product {
            steps.push(Step::ProductOverride { handler });
        }
        for e in self.enrichments.iter().filter(|e| e.scope == Scope::Event) {
            steps.push(Step::Variable {
                handler: e.handler,
                prop: e.prop.clone(),
                event: e.event.clone(),
            });
        }
        for e in self
            .enrichments
            .iter()
            .filter(|e| e.scope == Scope::Product)
        {
            steps.push(Step::ProductVariable {
                handler: e.handler,
                prop: e.prop.clone(),
            });
        }
        steps
    }
}

/// Reads `eventEnrichments` and `overrideFunctions` of `integration`,
/// appending their handlers to `specs`. Handlers read before a problem
/// stay in `specs` and in the findings, so that their own errors are
/// reported too.
pub fn handler_options(
    integration: &str,
    options: &Map<String, Value>,
    specs: &mut Vec<HandlerSpec>,
) -> HandlerOptions {
    let mut found = HandlerOptions::default();
    match options.get("eventEnrichments") {
        None | Some(Value::Null) => {}
        Some(Value::Array(entries)) => {
            for (i, entry) in entries.iter().enumerate() {
                match enrichment(integration, i, entry, specs) {
                    Ok(e) => {
                        if let Some(warning) = lint::event_name(&e.event) {
                            found.findings.push(Finding::Warning(OptionProblem::new(
                                format!("eventEnrichments[{i}].event"),
                                warning,
                            )));
                        }
                        found.findings.push(Finding::Handler {
                            handler: e.handler,
                            option: format!("eventEnrichments[{i}].handler"),
                        });
                        found.enrichments.push(e);
                    }
                    Err(p) => found.problems.push(p),
                }
            }
        }
        Some(_) => found
            .problems
            .push(OptionProblem::new("eventEnrichments", "must be an array")),
    }
    match options.get("overrideFunctions") {
        None | Some(Value::Null) => {}
        Some(Value::Object(overrides)) => {
            for (key, scope) in [("event", Scope::Event), ("product", Scope::Product)] {
                let option = format!("overrideFunctions.{key}");
                match overrides.get(key) {
                    None | Some(Value::Null) => {}
                    Some(Value::String(source)) if source.trim().is_empty() => {}
                    Some(Value::String(source)) => {
                        let spec = HandlerSpec::variable(
                            format!("{integration} {option}"),
                            source.clone(),
                        )
                        .with_scope(scope)
                        .as_override(integration, options.clone());
                        specs.push(spec);
                        let handler = specs.len() - 1;
                        found.findings.push(Finding::Handler { handler, option });
                        match scope {
                            Scope::Event => found.override_event = Some(handler),
                            Scope::Product => found.override_product = Some(handler),
                        }
                    }
                    Some(_) => found
                        .problems
                        .push(OptionProblem::new(option, "must be a string of JavaScript")),
                }
            }
        }
        Some(_) => found.problems.push(OptionProblem::new(
            "overrideFunctions",
            "must be an object {\"event\", \"product\"}",
        )),
    }
    found
}

fn enrichment(
    integration: &str,
    i: usize,
    entry: &Value,
    specs: &mut Vec<HandlerSpec>,
) -> Result<Enrichment, OptionProblem> {
    let option = format!("eventEnrichments[{i}]");
    let problem =
        |field: &str, message: &str| OptionProblem::new(format!("{option}.{field}"), message);
    let Value::Object(entry) = entry else {
        return Err(OptionProblem::new(
            option,
            "must be an object {scope, prop, event, handler}",
        ));
    };
    let scope = match entry.get("scope") {
        None | Some(Value::Null) => Scope::Event,
        Some(Value::String(s)) if s == "event" || s.is_empty() => Scope::Event,
        Some(Value::String(s)) if s == "product" => Scope::Product,
        Some(_) => return Err(problem("scope", "must be \"event\" or \"product\"")),
    };
    let prop = match entry.get("prop") {
        Some(Value::String(prop)) if is_dot_path(prop) => prop.clone(),
        Some(Value::String(prop)) => {
            return Err(problem(
                "prop",
                &format!("{prop:?} is not a dot-path such as \"spot\" or \"user.email\""),
            ));
        }
        _ => return Err(problem("prop", "must be a string")),
    };
    let event = match entry.get("event") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(event)) => event.clone(),
        Some(_) => return Err(problem("event", "must be a string")),
    };
    let Some(Value::String(source)) = entry.get("handler") else {
        return Err(problem("handler", "must be a string of JavaScript"));
    };
    specs.push(
        HandlerSpec::variable(format!("{integration} {option} ({prop})"), source.clone())
            .with_scope(scope),
    );
    Ok(Enrichment {
        scope,
        prop,
        event,
        handler: specs.len() - 1,
    })
}

/// `spot`, `user.email`, `transaction.lineItems[0].quantity`.
pub fn is_dot_path(path: &str) -> bool {
    let identifier = |s: &str| {
        let mut chars = s.chars();
        chars
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
            && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '$')
    };
    !path.is_empty()
        && path.split('.').all(|step| {
            let (name, indices) = step
                .split_once('[')
                .map_or((step, ""), |(n, rest)| (n, rest));
            identifier(name)
                && (indices.is_empty()
                    || indices.strip_suffix(']').is_some_and(|inner| {
                        inner
                            .split("][")
                            .all(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
                    }))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn both_config_forms() {
        let map = parse(r#"{"integrations": {"Flocktory": {"siteId": "1"}}}"#).unwrap();
        let list =
            parse(r#"{"integrations": [{"name": "Flocktory", "options": {"siteId": "1"}}]}"#)
                .unwrap();
        assert_eq!(map, list);
        assert_eq!(map[0].options["siteId"], json!("1"));
    }

    #[test]
    fn shape_errors_say_where() {
        let err = parse(r#"{"integrations": [{"name": "F", "options": 3}]}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "$.integrations[0].options: invalid type: integer `3`, expected a map"
        );
        let err = parse(r#"{"integrations": {"Flocktory": "123"}}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "$.integrations.Flocktory: invalid type: string \"123\", expected a map"
        );
        let err = parse(r#"{"integrations": [{"options": {}}]}"#).unwrap_err();
        assert_eq!(err.to_string(), "$.integrations[0]: missing field `name`");
        assert!(matches!(parse("{"), Err(ConfigError::Json(_))));
        assert_eq!(
            parse("{}").unwrap_err().to_string(),
            "$: missing field `integrations`"
        );
        assert_eq!(
            parse(r#"{"integrations": 3}"#).unwrap_err().to_string(),
            "$.integrations: invalid type: integer `3`, expected an object {name: options} or an array [{\"name\", \"options\"}]"
        );
    }

    #[test]
    fn handler_options_become_labelled_specs() {
        let options = json!({
            "eventEnrichments": [{"scope": "event", "prop": "spot", "event": "", "handler": "return 1"}],
            "overrideFunctions": {"event": "event.x = 1;", "product": ""}
        });
        let mut specs = Vec::new();
        let found = handler_options("Flocktory", options.as_object().unwrap(), &mut specs);
        assert!(found.problems.is_empty(), "{:?}", found.problems);
        assert_eq!(specs[0].label, "Flocktory eventEnrichments[0] (spot)");
        assert_eq!(specs[1].label, "Flocktory overrideFunctions.event");
        assert_eq!(
            (found.override_event, found.override_product),
            (Some(1), None)
        );
        assert_eq!(
            found.findings,
            [
                Finding::Handler {
                    handler: 0,
                    option: "eventEnrichments[0].handler".to_owned()
                },
                Finding::Handler {
                    handler: 1,
                    option: "overrideFunctions.event".to_owned()
                },
            ]
        );
    }

    #[test]
    fn bad_props_are_named() {
        let options = json!({"eventEnrichments": [{"prop": "user..email", "handler": "return 1"}]});
        let found = handler_options("F", options.as_object().unwrap(), &mut Vec::new());
        assert_eq!(found.problems[0].option, "eventEnrichments[0].prop");
    }

    #[test]
    fn dot_paths() {
        for good in [
            "spot",
            "user.email",
            "transaction.lineItems[0].quantity",
            "a[1][2]",
        ] {
            assert!(is_dot_path(good), "{good}");
        }
        for bad in ["", "a..b", "a.", "1a", "a[x]", "a[]", "a b"] {
            assert!(!is_dot_path(bad), "{bad}");
        }
    }
}
