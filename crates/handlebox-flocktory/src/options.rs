//! Flocktory's settings, read from the integration's options with the
//! reference's defaults; a wrong type is a problem that names the option.

use handlebox_pipeline::OptionProblem;
use handlebox_pipeline::js;
use serde_json::{Map, Value};

/// Flocktory's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// `siteId` as the loader URL writes it (`"undefined"` when missing).
    pub site_id: String,
    /// Whether `Completed Transaction` sends `postcheckout`.
    pub post_checkout: bool,
    /// Whether exchange trigger events send `exchange`.
    pub exchange: bool,
    /// The events that trigger `exchange`.
    pub exchange_triggers: Vec<String>,
}

fn boolean(
    options: &Map<String, Value>,
    key: &str,
    default: bool,
    problems: &mut Vec<OptionProblem>,
) -> bool {
    match options.get(key) {
        None | Some(Value::Null) => default,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            problems.push(OptionProblem::new(
                key,
                format!("must be true or false, not {other}"),
            ));
            default
        }
    }
}

impl Options {
    /// Reads the options; `Ok` carries warnings, `Err` every problem.
    pub fn read(
        options: &Map<String, Value>,
    ) -> Result<(Self, Vec<OptionProblem>), Vec<OptionProblem>> {
        let mut problems = Vec::new();
        let mut warnings = Vec::new();
        let site_id = match options.get("siteId") {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(Value::Number(n)) => js::number(n),
            None | Some(Value::Null) | Some(Value::String(_)) => {
                warnings.push(OptionProblem::new(
                    "siteId",
                    "is missing: the loader URL gets site_id=undefined, as in the reference",
                ));
                match options.get("siteId") {
                    Some(Value::String(s)) => s.clone(),
                    _ => "undefined".to_owned(),
                }
            }
            Some(other) => {
                problems.push(OptionProblem::new(
                    "siteId",
                    format!("must be a string, not {other}"),
                ));
                String::new()
            }
        };
        let post_checkout = boolean(options, "postCheckout", true, &mut problems);
        boolean(options, "preCheckout", false, &mut problems);
        let exchange = boolean(options, "exchange", false, &mut problems);
        let mut exchange_triggers = match options.get("exchangeTriggerEvent") {
            None | Some(Value::Null) => vec!["Completed Transaction".to_owned()],
            Some(Value::String(name)) => vec![name.clone()],
            Some(other) => {
                problems.push(OptionProblem::new(
                    "exchangeTriggerEvent",
                    format!("must be an event name, not {other}"),
                ));
                Vec::new()
            }
        };
        match options.get("exchangeTriggerEvents") {
            None | Some(Value::Null) => {}
            Some(Value::Array(names)) => {
                match names.iter().map(Value::as_str).collect::<Option<Vec<_>>>() {
                    Some(names) => {
                        exchange_triggers = names.into_iter().map(str::to_owned).collect()
                    }
                    None => problems.push(OptionProblem::new(
                        "exchangeTriggerEvents",
                        "must be an array of event names",
                    )),
                }
            }
            Some(_) => problems.push(OptionProblem::new(
                "exchangeTriggerEvents",
                "must be an array of event names",
            )),
        }
        for name in &exchange_triggers {
            if let Some(warning) = handlebox_pipeline::lint::event_name(name) {
                warnings.push(OptionProblem::new("exchangeTriggerEvent", warning));
            }
        }
        if problems.is_empty() {
            Ok((
                Options {
                    site_id,
                    post_checkout,
                    exchange,
                    exchange_triggers,
                },
                warnings,
            ))
        } else {
            Err(problems)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(v: Value) -> Result<(Options, Vec<OptionProblem>), Vec<OptionProblem>> {
        Options::read(v.as_object().unwrap())
    }

    #[test]
    fn defaults_follow_the_reference() {
        let (o, warnings) = read(json!({"siteId": "123"})).unwrap();
        assert!(warnings.is_empty());
        assert_eq!(o.site_id, "123");
        assert!(o.post_checkout && !o.exchange);
        assert_eq!(o.exchange_triggers, ["Completed Transaction"]);
    }

    #[test]
    fn a_missing_site_id_is_a_warning() {
        let (o, warnings) = read(json!({})).unwrap();
        assert_eq!(o.site_id, "undefined");
        assert_eq!(warnings[0].option, "siteId");
        assert_eq!(read(json!({"siteId": 42})).unwrap().0.site_id, "42");
    }

    #[test]
    fn the_list_form_of_triggers_wins() {
        let (o, _) = read(json!({"siteId": "1", "exchangeTriggerEvent": "A", "exchangeTriggerEvents": ["B", "C"]})).unwrap();
        assert_eq!(o.exchange_triggers, ["B", "C"]);
    }

    #[test]
    fn wrong_types_are_problems_naming_the_option() {
        let problems =
            read(json!({"siteId": true, "exchange": "yes", "exchangeTriggerEvents": [1]}))
                .unwrap_err();
        let names: Vec<_> = problems.iter().map(|p| p.option.as_str()).collect();
        assert_eq!(names, ["siteId", "exchange", "exchangeTriggerEvents"]);
    }
}
