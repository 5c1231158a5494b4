//! The snippet test file format (`*.test.json`), read with errors that name
//! the file and the JSON path.
//!
//! ```json
//! { "config": "../configs/demo.json",
//!   "cases": [ { "name": "…", "page": "../pages/thank-you.json",
//!                "expect": { "contains": [{"command": "postcheckout", "payload": {"spot": "redesign"}}] } } ] }
//! ```

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

/// A config or a page: a path relative to the test file, or inline JSON.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A file, resolved against the test file's directory.
    Path(PathBuf),
    /// The JSON itself.
    Inline(Value),
}

/// Which event of the Result an expectation is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventRef {
    /// The event at this position of the page's `events`.
    Index(usize),
    /// The first processed event with this name.
    Name(String),
}

impl std::fmt::Display for EventRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EventRef::Index(i) => write!(f, "event #{i}"),
            EventRef::Name(name) => write!(f, "event {name:?}"),
        }
    }
}

/// A call to look for: its command (`addToCart`, `reInit`) and, optionally,
/// a JSON subset of its payload.
#[derive(Debug, Clone, PartialEq)]
pub struct CallPattern {
    /// The pushed command's name, or `reInit`.
    pub command: String,
    /// What the payload must contain.
    pub payload: Option<Value>,
}

/// The value an event variable must have on an event.
#[derive(Debug, Clone, PartialEq)]
pub struct VariableExpect {
    /// The event.
    pub event: EventRef,
    /// The variable's `prop`.
    pub prop: String,
    /// For product variables: the product's path (`product`, `transaction.lineItems[0].product`).
    pub product: Option<String>,
    /// The expected value.
    pub value: Value,
}

/// An error that must have happened on an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorExpect {
    /// The event.
    pub event: EventRef,
    /// The error kind, if it matters.
    pub kind: Option<String>,
    /// A substring of the message, if it matters.
    pub message: Option<String>,
}

/// What a case expects; every part is optional.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Expect {
    /// The full list of calls, in order.
    pub calls: Option<Vec<Value>>,
    /// The loader URL (or `null`).
    pub loader: Option<Value>,
    /// Calls that must be present.
    pub contains: Vec<CallPattern>,
    /// Calls that must be absent.
    pub excludes: Vec<CallPattern>,
    /// Event variable values.
    pub variables: Vec<VariableExpect>,
    /// Errors that must have happened.
    pub errors: Vec<ErrorExpect>,
    /// Whether no handler may fail at all.
    pub no_errors: bool,
}

/// One test case.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// Position in the file's `cases`.
    pub index: usize,
    /// Its name.
    pub name: String,
    /// The config (the case's own, else the file's).
    pub config: Source,
    /// The page.
    pub page: Source,
    /// What must hold.
    pub expect: Expect,
    /// Whether `--update` records the actual calls into `expect.calls`.
    pub snapshot: bool,
    /// Why the case is skipped, if it is.
    pub skip: Option<String>,
}

/// A test file and its cases.
#[derive(Debug, Clone)]
pub struct CaseFile {
    /// Where it was read from.
    pub path: PathBuf,
    /// The file's JSON, kept for `--update`.
    pub json: Value,
    /// Its cases.
    pub cases: Vec<Case>,
}

fn problem(path: &str, message: impl std::fmt::Display) -> String {
    format!("{path}: {message}")
}

/// Refuses a key of `object` (at `at`) that is not in `known`: a misspelt
/// key (`"expected"` for `"expect"`) would otherwise check nothing.
/// `what` names what the keys are ("a known key", "an expectation").
fn only_known(
    object: &Map<String, Value>,
    known: &[&str],
    what: &str,
    at: &str,
) -> Result<(), String> {
    match object.keys().find(|k| !known.contains(&k.as_str())) {
        Some(unknown) => Err(problem(
            &format!("{at}.{unknown}"),
            format!("is not {what} (use one of {})", known.join(", ")),
        )),
        None => Ok(()),
    }
}

impl Expect {
    /// Whether the expectation checks anything at all.
    fn checks_something(&self) -> bool {
        self.calls.is_some()
            || self.loader.is_some()
            || !self.contains.is_empty()
            || !self.excludes.is_empty()
            || !self.variables.is_empty()
            || !self.errors.is_empty()
            || self.no_errors
    }
}

fn source(value: Option<&Value>, base: &Path, at: &str) -> Result<Option<Source>, String> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(path)) => Ok(Some(Source::Path(base.join(path)))),
        Some(Value::Object(_)) => Ok(value.cloned().map(Source::Inline)),
        Some(_) => Err(problem(at, "must be a path or an inline JSON object")),
    }
}

fn event_ref(value: Option<&Value>, at: &str) -> Result<EventRef, String> {
    match value {
        Some(Value::Number(n)) => n
            .as_u64()
            .map(|i| EventRef::Index(i as usize))
            .ok_or_else(|| problem(at, "an event index must be a whole number")),
        Some(Value::String(name)) => Ok(EventRef::Name(name.clone())),
        _ => Err(problem(
            at,
            "must name the event (its name, or its index in the page's events)",
        )),
    }
}

fn optional_string(
    object: &Map<String, Value>,
    key: &str,
    at: &str,
) -> Result<Option<String>, String> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(problem(&format!("{at}.{key}"), "must be a string")),
    }
}

/// Objects of a JSON array, each with its path.
type Located<'a> = Vec<(String, &'a Map<String, Value>)>;

fn objects<'a>(value: Option<&'a Value>, at: &str) -> Result<Located<'a>, String> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let path = format!("{at}[{i}]");
                item.as_object()
                    .map(|o| (path.clone(), o))
                    .ok_or_else(|| problem(&path, "must be an object"))
            })
            .collect(),
        Some(_) => Err(problem(at, "must be an array")),
    }
}

fn patterns(value: Option<&Value>, at: &str) -> Result<Vec<CallPattern>, String> {
    objects(value, at)?
        .into_iter()
        .map(|(path, o)| {
            let command = optional_string(o, "command", &path)?
                .ok_or_else(|| problem(&format!("{path}.command"), "is missing"))?;
            Ok(CallPattern {
                command,
                payload: o.get("payload").cloned(),
            })
        })
        .collect()
}

fn expect(value: Option<&Value>, at: &str) -> Result<Expect, String> {
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return Ok(Expect::default());
    };
    let Value::Object(o) = value else {
        return Err(problem(at, "must be an object"));
    };
    only_known(
        o,
        &[
            "calls",
            "loader",
            "contains",
            "excludes",
            "variables",
            "errors",
            "noErrors",
        ],
        "an expectation",
        at,
    )?;
    let calls = match o.get("calls") {
        None | Some(Value::Null) => None,
        Some(Value::Array(calls)) => Some(calls.clone()),
        Some(_) => return Err(problem(&format!("{at}.calls"), "must be an array of calls")),
    };
    let variables = objects(o.get("variables"), &format!("{at}.variables"))?
        .into_iter()
        .map(|(path, v)| {
            Ok(VariableExpect {
                event: event_ref(v.get("event"), &format!("{path}.event"))?,
                prop: optional_string(v, "prop", &path)?
                    .ok_or_else(|| problem(&format!("{path}.prop"), "is missing"))?,
                product: optional_string(v, "product", &path)?,
                value: v
                    .get("value")
                    .cloned()
                    .ok_or_else(|| problem(&format!("{path}.value"), "is missing"))?,
            })
        })
        .collect::<Result<_, String>>()?;
    let errors = objects(o.get("errors"), &format!("{at}.errors"))?
        .into_iter()
        .map(|(path, e)| {
            Ok(ErrorExpect {
                event: event_ref(e.get("event"), &format!("{path}.event"))?,
                kind: optional_string(e, "kind", &path)?,
                message: optional_string(e, "message", &path)?,
            })
        })
        .collect::<Result<_, String>>()?;
    Ok(Expect {
        calls,
        loader: o.get("loader").cloned(),
        contains: patterns(o.get("contains"), &format!("{at}.contains"))?,
        excludes: patterns(o.get("excludes"), &format!("{at}.excludes"))?,
        variables,
        errors,
        no_errors: o.get("noErrors") == Some(&Value::Bool(true)),
    })
}

impl CaseFile {
    /// Reads and checks a test file; the error names the file and the path.
    pub fn read(path: &Path) -> Result<Self, String> {
        let name = path.display();
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {name}: {e}"))?;
        let json: Value =
            serde_json::from_str(&text).map_err(|e| format!("{name} is not valid JSON: {e}"))?;
        let base = path.parent().unwrap_or(Path::new("."));
        let fail = |message: String| format!("{name}: {message}");
        let Value::Object(top) = &json else {
            return Err(fail(problem(
                "$",
                "a test file is an object with \"cases\"",
            )));
        };
        only_known(top, &["config", "cases"], "a known key", "$").map_err(fail)?;
        let default_config = source(top.get("config"), base, "$.config").map_err(fail)?;
        let Some(Value::Array(cases)) = top.get("cases") else {
            return Err(fail(problem("$.cases", "must be an array of cases")));
        };
        if cases.is_empty() {
            return Err(fail(problem(
                "$.cases",
                "is empty: a test file needs at least one case",
            )));
        }
        let mut read = Vec::new();
        for (index, case) in cases.iter().enumerate() {
            let at = format!("$.cases[{index}]");
            let Value::Object(case) = case else {
                return Err(fail(problem(&at, "must be an object")));
            };
            only_known(
                case,
                &["name", "config", "page", "expect", "snapshot", "skip"],
                "a known key",
                &at,
            )
            .map_err(fail)?;
            let name = optional_string(case, "name", &at)
                .map_err(fail)?
                .unwrap_or_else(|| format!("case {index}"));
            let config = source(case.get("config"), base, &format!("{at}.config"))
                .map_err(fail)?
                .or_else(|| default_config.clone())
                .ok_or_else(|| {
                    fail(problem(
                        &format!("{at}.config"),
                        "no config for this case or the file",
                    ))
                })?;
            let page = source(case.get("page"), base, &format!("{at}.page"))
                .map_err(fail)?
                .ok_or_else(|| fail(problem(&format!("{at}.page"), "is missing")))?;
            let skip = match case.get("skip") {
                None | Some(Value::Null) | Some(Value::Bool(false)) => None,
                Some(Value::Bool(true)) => Some("skipped".to_owned()),
                Some(Value::String(reason)) => Some(reason.clone()),
                Some(_) => {
                    return Err(fail(problem(
                        &format!("{at}.skip"),
                        "must be true or a reason",
                    )));
                }
            };
            let expect = expect(case.get("expect"), &format!("{at}.expect")).map_err(fail)?;
            let snapshot = case.get("snapshot") == Some(&Value::Bool(true));
            if !snapshot && skip.is_none() && !expect.checks_something() {
                return Err(fail(problem(
                    &format!("{at}.expect"),
                    format!(
                        "case {name:?} expects nothing, so it could never fail (give calls, \
                         loader, contains, excludes, variables, errors or noErrors, or \
                         \"snapshot\": true)"
                    ),
                )));
            }
            read.push(Case {
                index,
                name,
                config,
                page,
                expect,
                snapshot,
                skip,
            });
        }
        Ok(CaseFile {
            path: path.to_owned(),
            json,
            cases: read,
        })
    }

    /// Records `calls` as the expected calls of case `index` (for `--update`).
    pub fn record(&mut self, index: usize, calls: Vec<Value>) {
        if let Some(Value::Object(case)) = self.json.get_mut("cases").and_then(|c| c.get_mut(index))
        {
            let expect = case
                .entry("expect")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(expect) = expect {
                expect.insert("calls".into(), Value::Array(calls));
            }
        }
    }

    /// Writes the file back, pretty-printed.
    pub fn save(&self) -> Result<(), String> {
        let mut text = serde_json::to_string_pretty(&self.json).map_err(|e| e.to_string())?;
        text.push('\n');
        std::fs::write(&self.path, text)
            .map_err(|e| format!("cannot write {}: {e}", self.path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(value: Value) -> Result<CaseFile, String> {
        let dir = std::env::temp_dir().join(format!("handlebox-model-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{}.test.json", value.to_string().len()));
        std::fs::write(&path, value.to_string()).unwrap();
        CaseFile::read(&path)
    }

    #[test]
    fn reads_cases_with_file_defaults() {
        let file = read(json!({"config": "c.json", "cases": [
            {"name": "a", "page": {"events": []}, "expect": {"variables": [{"event": "Viewed Page", "prop": "spot", "value": "old"}]}},
            {"page": "p.json", "snapshot": true, "skip": "later"}
        ]}))
        .unwrap();
        assert_eq!(file.cases.len(), 2);
        assert!(matches!(&file.cases[0].config, Source::Path(p) if p.ends_with("c.json")));
        assert_eq!(
            file.cases[0].expect.variables[0].event,
            EventRef::Name("Viewed Page".into())
        );
        assert_eq!(file.cases[1].name, "case 1");
        assert_eq!(file.cases[1].skip.as_deref(), Some("later"));
    }

    #[test]
    fn shape_errors_name_the_path() {
        let err = read(json!({"cases": [{"page": {}, "config": {}, "expect": {"call": []}}]}))
            .unwrap_err();
        assert!(
            err.contains("$.cases[0].expect.call: is not an expectation"),
            "{err}"
        );
        let err = read(json!({"cases": [{"page": {}, "expect": {"noErrors": true}}]})).unwrap_err();
        assert!(err.contains("$.cases[0].config: no config"), "{err}");
    }

    #[test]
    fn cases_that_could_never_fail_are_refused() {
        let err = read(json!({"config": {}, "cases": [
            {"name": "typo", "page": {}, "expected": {"calls": []}}
        ]}))
        .unwrap_err();
        assert!(
            err.contains("$.cases[0].expected: is not a known key"),
            "{err}"
        );
        let err = read(json!({"config": {}, "cases": [{"name": "idle", "page": {}}]})).unwrap_err();
        assert!(
            err.contains("$.cases[0].expect: case \"idle\" expects nothing"),
            "{err}"
        );
        let err =
            read(json!({"config": {}, "cases": [{"name": "empty", "page": {}, "expect": {}}]}))
                .unwrap_err();
        assert!(err.contains("case \"empty\" expects nothing"), "{err}");
        let err = read(json!({"config": {}, "cases": []})).unwrap_err();
        assert!(err.contains("$.cases: is empty"), "{err}");
        let err =
            read(json!({"config": {}, "case": [], "cases": [{"page": {}, "snapshot": true}]}))
                .unwrap_err();
        assert!(err.contains("$.case: is not a known key"), "{err}");
        assert!(read(json!({"config": {}, "cases": [{"page": {}, "snapshot": true}]})).is_ok());
    }
}
