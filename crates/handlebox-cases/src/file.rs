//! The snippet test file format (`*.test.json`), read by serde with every
//! unknown key refused (a misspelt `"expected"` would otherwise check
//! nothing) and errors that name the file and the JSON path.
//!
//! ```json
//! { "config": "../configs/demo.json",
//!   "cases": [ { "name": "…", "page": "../pages/thank-you.json",
//!                "expect": { "contains": [{"command": "postcheckout", "payload": {"spot": "redesign"}}] } } ] }
//! ```

use std::path::{Path, PathBuf};

use handlebox_sandbox::ErrorKind;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// A config or a page: a path relative to the test file, or inline JSON.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A file, resolved against the test file's directory.
    Path(PathBuf),
    /// The JSON itself.
    Inline(Value),
}

/// A source as the file writes it: a path not yet resolved, or JSON.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "Value")]
struct SourceText(Source);

impl TryFrom<Value> for SourceText {
    type Error = &'static str;

    fn try_from(value: Value) -> Result<Self, Self::Error> {
        match value {
            Value::String(path) => Ok(Self(Source::Path(PathBuf::from(path)))),
            Value::Object(_) => Ok(Self(Source::Inline(value))),
            _ => Err("must be a path or an inline JSON object"),
        }
    }
}

impl SourceText {
    fn resolve(self, base: &Path) -> Source {
        match self.0 {
            Source::Path(path) => Source::Path(base.join(path)),
            inline => inline,
        }
    }
}

/// Which event of the Result an expectation is about.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "Value")]
pub enum EventRef {
    /// The event at this position of the page's `events`.
    Index(usize),
    /// The first processed event with this name.
    Name(String),
}

impl TryFrom<Value> for EventRef {
    type Error = &'static str;

    fn try_from(value: Value) -> Result<Self, Self::Error> {
        match value {
            Value::Number(n) => n
                .as_u64()
                .and_then(|i| usize::try_from(i).ok())
                .map(EventRef::Index)
                .ok_or("an event index must be a whole number"),
            Value::String(name) => Ok(EventRef::Name(name)),
            _ => Err("must name the event (its name, or its index in the page's events)"),
        }
    }
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
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallPattern {
    /// The pushed command's name, or `reInit`.
    pub command: String,
    /// What the payload must contain (`null` included); absent: anything.
    #[serde(default, deserialize_with = "some")]
    pub payload: Option<Value>,
}

/// The value an event variable must have on an event.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariableExpect {
    /// The event.
    pub event: EventRef,
    /// The variable's `prop`.
    pub prop: String,
    /// For product variables: the product's path (`product`, `transaction.lineItems[0].product`).
    pub product: Option<String>,
    /// The expected value (`null` included).
    #[serde(deserialize_with = "present")]
    pub value: Value,
}

/// An error that must have happened on an event.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorExpect {
    /// The event.
    pub event: EventRef,
    /// The error kind, if it matters.
    pub kind: Option<ErrorKind>,
    /// A substring of the message, if it matters.
    pub message: Option<String>,
}

/// What a case expects; every part is optional.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Expect {
    /// The full list of calls, in order.
    pub calls: Option<Vec<Value>>,
    /// The loader URL, or `null` for none; absent when it does not matter.
    #[serde(default, deserialize_with = "some")]
    pub loader: Option<Value>,
    /// Calls that must be present.
    #[serde(default, deserialize_with = "list")]
    pub contains: Vec<CallPattern>,
    /// Calls that must be absent.
    #[serde(default, deserialize_with = "list")]
    pub excludes: Vec<CallPattern>,
    /// Event variable values.
    #[serde(default, deserialize_with = "list")]
    pub variables: Vec<VariableExpect>,
    /// Errors that must have happened.
    #[serde(default, deserialize_with = "list")]
    pub errors: Vec<ErrorExpect>,
    /// Whether no handler may fail at all (`null` is `false`).
    #[serde(default, deserialize_with = "flag")]
    pub no_errors: bool,
}

/// Any JSON value, `null` included, for a field that must be present.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
    Value::deserialize(d)
}

/// Any JSON value, `null` included, as `Some`: absent is `None` (through
/// `#[serde(default)]`), `null` is `Some(Value::Null)`.
fn some<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

/// A list; `null` is an empty one.
fn list<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    Option::<Vec<T>>::deserialize(d).map(Option::unwrap_or_default)
}

/// A flag; `null` is `false`.
fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Option::<bool>::deserialize(d).map(Option::unwrap_or_default)
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

/// `skip`: `true`, `false` or the reason.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "Value")]
struct Skip(Option<String>);

impl TryFrom<Value> for Skip {
    type Error = &'static str;

    fn try_from(value: Value) -> Result<Self, Self::Error> {
        match value {
            Value::Bool(false) => Ok(Skip(None)),
            Value::Bool(true) => Ok(Skip(Some("skipped".to_owned()))),
            Value::String(reason) => Ok(Skip(Some(reason))),
            _ => Err("must be true or a reason"),
        }
    }
}

/// The file as JSON has it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileText {
    config: Option<SourceText>,
    cases: Vec<CaseText>,
}

/// One case as JSON has it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseText {
    name: Option<String>,
    config: Option<SourceText>,
    page: SourceText,
    expect: Option<Expect>,
    snapshot: Option<bool>,
    skip: Option<Skip>,
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
    /// Its cases.
    pub cases: Vec<Case>,
}

impl CaseFile {
    /// Reads and checks a test file; the error names the file and the path.
    pub fn read(path: &Path) -> Result<Self, String> {
        let name = path.display();
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {name}: {e}"))?;
        let json: Value =
            serde_json::from_str(&text).map_err(|e| format!("{name} is not valid JSON: {e}"))?;
        let base = path.parent().unwrap_or(Path::new("."));
        let cases =
            cases(&json, base).map_err(|(at, message)| format!("{name}: {at}: {message}"))?;
        Ok(CaseFile {
            path: path.to_owned(),
            cases,
        })
    }
}

/// The cases of a file's JSON; `Err` holds the JSON path and the problem.
fn cases(json: &Value, base: &Path) -> Result<Vec<Case>, (String, String)> {
    let file: FileText = serde_path_to_error::deserialize(json).map_err(|e| {
        let at = match e.path().to_string() {
            root if root == "." => "$".to_owned(),
            path => format!("$.{path}"),
        };
        (at, e.into_inner().to_string())
    })?;
    if file.cases.is_empty() {
        return Err((
            "$.cases".to_owned(),
            "is empty: a test file needs at least one case".to_owned(),
        ));
    }
    let default_config = file.config.map(|c| c.resolve(base));
    file.cases
        .into_iter()
        .enumerate()
        .map(|(index, case)| {
            let at = format!("$.cases[{index}]");
            let name = case.name.unwrap_or_else(|| format!("case {index}"));
            let config = case
                .config
                .map(|c| c.resolve(base))
                .or_else(|| default_config.clone())
                .ok_or_else(|| {
                    (
                        format!("{at}.config"),
                        "no config for this case or the file".to_owned(),
                    )
                })?;
            let expect = case.expect.unwrap_or_default();
            let snapshot = case.snapshot.unwrap_or(false);
            let skip = case.skip.and_then(|s| s.0);
            if !snapshot && skip.is_none() && !expect.checks_something() {
                return Err((
                    format!("{at}.expect"),
                    format!(
                        "case {name:?} expects nothing, so it could never fail (give calls, \
                         loader, contains, excludes, variables, errors or noErrors, or \
                         \"snapshot\": true)"
                    ),
                ));
            }
            Ok(Case {
                index,
                name,
                config,
                page: case.page.resolve(base),
                expect,
                snapshot,
                skip,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(value: Value) -> Result<Vec<Case>, String> {
        cases(&value, Path::new("tests")).map_err(|(at, message)| format!("{at}: {message}"))
    }

    #[test]
    fn reads_cases_with_file_defaults() {
        let cases = read(json!({"config": "c.json", "cases": [
            {"name": "a", "page": {"events": []}, "expect": {"variables": [{"event": "Viewed Page", "prop": "spot", "value": "old"}]}},
            {"page": "p.json", "snapshot": true, "skip": "later"}
        ]}))
        .unwrap();
        assert_eq!(cases.len(), 2);
        assert_eq!(cases[0].config, Source::Path(PathBuf::from("tests/c.json")));
        assert_eq!(
            cases[0].expect.variables[0].event,
            EventRef::Name("Viewed Page".into())
        );
        assert_eq!(cases[1].name, "case 1");
        assert_eq!(cases[1].page, Source::Path(PathBuf::from("tests/p.json")));
        assert_eq!(cases[1].skip.as_deref(), Some("later"));
    }

    #[test]
    fn null_is_a_value_to_expect() {
        let cases = read(json!({"config": {}, "cases": [{"page": {}, "expect": {
            "loader": null,
            "variables": [{"event": 0, "prop": "spot", "value": null}]
        }}]}))
        .unwrap();
        assert_eq!(cases[0].expect.loader, Some(Value::Null));
        assert_eq!(cases[0].expect.variables[0].value, Value::Null);
        let cases = read(json!({"config": {}, "cases": [{"page": {}, "expect": {
            "contains": [{"command": "reInit", "payload": null}], "excludes": null, "noErrors": null
        }}]}))
        .unwrap();
        assert_eq!(cases[0].expect.contains[0].payload, Some(Value::Null));
        assert!(cases[0].expect.excludes.is_empty() && !cases[0].expect.no_errors);
    }

    #[test]
    fn shape_errors_name_the_path() {
        let err = read(json!({"cases": [{"page": {}, "config": {}, "expect": {"call": []}}]}))
            .unwrap_err();
        assert!(
            err.starts_with(
                "$.cases[0].expect.call: unknown field `call`, expected one of `calls`"
            ),
            "{err}"
        );
        let err = read(json!({"cases": [{"page": {}, "expect": {"noErrors": true}}]})).unwrap_err();
        assert_eq!(
            err,
            "$.cases[0].config: no config for this case or the file"
        );
        let err =
            read(json!({"config": {}, "cases": [{"page": 3, "snapshot": true}]})).unwrap_err();
        assert_eq!(
            err,
            "$.cases[0].page: must be a path or an inline JSON object"
        );
        let err = read(json!({"config": {}, "cases": [{"page": {}, "expect": {
            "errors": [{"event": 1.5}]
        }}]}))
        .unwrap_err();
        assert_eq!(
            err,
            "$.cases[0].expect.errors[0].event: an event index must be a whole number"
        );
        let err = read(json!({"config": {}, "cases": [{"page": {}, "expect": {
            "errors": [{"event": 0, "kind": "thrwn"}]
        }}]}))
        .unwrap_err();
        assert!(
            err.starts_with("$.cases[0].expect.errors[0].kind: unknown variant `thrwn`"),
            "{err}"
        );
    }

    #[test]
    fn cases_that_could_never_fail_are_refused() {
        let err = read(json!({"config": {}, "cases": [
            {"name": "typo", "page": {}, "expected": {"calls": []}}
        ]}))
        .unwrap_err();
        assert!(
            err.starts_with("$.cases[0].expected: unknown field `expected`"),
            "{err}"
        );
        let err = read(json!({"config": {}, "cases": [{"name": "idle", "page": {}}]})).unwrap_err();
        assert!(
            err.starts_with("$.cases[0].expect: case \"idle\" expects nothing"),
            "{err}"
        );
        let err =
            read(json!({"config": {}, "cases": [{"name": "empty", "page": {}, "expect": {}}]}))
                .unwrap_err();
        assert!(err.contains("case \"empty\" expects nothing"), "{err}");
        let err = read(json!({"config": {}, "cases": []})).unwrap_err();
        assert!(err.starts_with("$.cases: is empty"), "{err}");
        let err =
            read(json!({"config": {}, "case": [], "cases": [{"page": {}, "snapshot": true}]}))
                .unwrap_err();
        assert!(err.starts_with("$.case: unknown field `case`"), "{err}");
        assert!(read(json!({"config": {}, "cases": [{"page": {}, "snapshot": true}]})).is_ok());
    }
}
