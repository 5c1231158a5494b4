//! Handlers kept as files. Integrators keep snippets in git as `.js` files
//! and review them as code; a config in a project directory names them,
//! `"handler": {"file": "handlers/spot.js"}` (or `"overrideFunctions":
//! {"event": {"file": …}}`), relative to the config. Reading the config
//! puts each file's text in its place, so that the rest of Handlebox sees
//! the config the admin panel imports; `handlebox pack` writes that config.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::config::{self, ConfigError, IntegrationConfig};
use crate::json_error::shape;
use crate::{BuildError, ConfigProblem};

/// The file a project directory's config is in.
pub const CONFIG_FILE: &str = "config.json";

/// The largest handler file read, in bytes.
pub const MAX_HANDLER_FILE_BYTES: u64 = 1 << 20;

/// The most bytes of handler files one config may read in all.
pub const MAX_CONFIG_FILES_BYTES: usize = 16 << 20;

/// A handler option whose text came from a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandlerFile {
    /// The integration, e.g. `Flocktory`.
    pub integration: String,
    /// The option, e.g. `eventEnrichments[0].handler`.
    pub option: String,
    /// The file, as the config names it joined to the config's directory.
    pub path: PathBuf,
}

/// A config read from its file, with its handler files in place.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigFile {
    /// The config as the admin panel imports it: every handler inline.
    pub json: Value,
    /// Its integrations.
    pub configs: Vec<IntegrationConfig>,
    /// Where each handler kept as a file came from.
    pub files: Vec<HandlerFile>,
}

/// A handler option naming a file that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unread {
    /// The integration, e.g. `Flocktory`.
    pub integration: String,
    /// The option, e.g. `eventEnrichments[0].handler`.
    pub option: String,
    /// Why, with the JSON path of the reference.
    pub error: ConfigError,
}

impl ConfigFile {
    /// The config file of `path`: itself, or [`CONFIG_FILE`] in a project
    /// directory.
    pub fn path_of(path: &Path) -> PathBuf {
        if path.is_dir() {
            path.join(CONFIG_FILE)
        } else {
            path.to_owned()
        }
    }

    /// A config's text whose handler files are relative to `base`; fails
    /// naming every handler file that cannot be read.
    pub fn parse(text: &str, base: &Path) -> Result<Self, ConfigError> {
        let (file, unread) = Self::parse_all(text, base)?;
        match <[Unread; 1]>::try_from(unread) {
            Ok([one]) => Err(one.error),
            Err(unread) if unread.is_empty() => Ok(file),
            Err(unread) => Err(ConfigError::Several(
                unread.into_iter().map(|u| u.error).collect(),
            )),
        }
    }

    /// A config's text, with every handler file that cannot be read listed
    /// beside it instead of failing; those handlers are left empty. For
    /// `check`, which reports them with the config's other problems.
    pub fn parse_all(text: &str, base: &Path) -> Result<(Self, Vec<Unread>), ConfigError> {
        let mut json: Value =
            serde_json::from_str(text).map_err(|e| ConfigError::Json(e.to_string()))?;
        let (files, unread) = inline(&mut json, base);
        let configs = config::integrations(json.clone())?;
        Ok((
            Self {
                json,
                configs,
                files,
            },
            unread,
        ))
    }

    /// The file of the handler option `problem` is about, when it is kept
    /// as one.
    pub fn file_of_problem(&self, problem: &ConfigProblem) -> Option<&Path> {
        self.files
            .iter()
            .find(|f| f.integration == problem.integration && f.option == problem.option)
            .map(|f| f.path.as_path())
    }

    /// Where a handler error happened, as messages say it after the kind:
    /// ` at handlers/spot.js line 2, column 8` for a handler kept as a file,
    /// ` at line 2, column 8` for one inline, ` in handlers/spot.js` when
    /// there is no line; empty when nothing is known.
    pub fn place(&self, label: &str, line: Option<u32>, column: Option<u32>) -> String {
        let file = self.file_of(label);
        match (line, column, file) {
            (Some(line), Some(column), Some(file)) => {
                format!(" at {} line {line}, column {column}", file.display())
            }
            (Some(line), Some(column), None) => format!(" at line {line}, column {column}"),
            (_, _, Some(file)) => format!(" in {}", file.display()),
            _ => String::new(),
        }
    }

    /// The file of the handler whose Result label is `label` (e.g.
    /// `Flocktory eventEnrichments[0] (spot)`), when it is kept as one.
    pub fn file_of(&self, label: &str) -> Option<&Path> {
        self.files
            .iter()
            .find(|f| f.has_label(label))
            .map(|f| f.path.as_path())
    }

    /// `problem` as a person reads it: a handler's line and column are in
    /// its file when it has one.
    pub fn describe(&self, problem: &ConfigProblem) -> String {
        match self.file_of_problem(problem) {
            None => problem.to_string(),
            Some(path) => {
                let mut out = format!(
                    "{} option {} ({}",
                    problem.integration,
                    problem.option,
                    path.display()
                );
                if let (Some(line), Some(column)) = (problem.line, problem.column) {
                    out.push_str(&format!(" line {line}, column {column}"));
                }
                out.push_str(&format!("): {}", problem.message));
                out
            }
        }
    }

    /// Why a pipeline could not be built, each problem placed by
    /// [`ConfigFile::describe`].
    pub fn describe_error(&self, error: &BuildError) -> String {
        match error {
            BuildError::Invalid(problems) => problems
                .iter()
                .map(|p| self.describe(p))
                .collect::<Vec<_>>()
                .join("; "),
            other => other.to_string(),
        }
    }
}

impl HandlerFile {
    /// Whether the Result labels this handler `label`: an event variable
    /// as `Flocktory eventEnrichments[0] (spot)`, an override as
    /// `Flocktory overrideFunctions.event`.
    pub fn has_label(&self, label: &str) -> bool {
        let option = self.option.trim_end_matches(".handler");
        let Some(rest) = label
            .strip_prefix(self.integration.as_str())
            .and_then(|rest| rest.strip_prefix(' '))
            .and_then(|rest| rest.strip_prefix(option))
        else {
            return false;
        };
        rest.is_empty() || (option != self.option && rest.starts_with(" ("))
    }
}

/// Replaces every handler option of `json` given as `{"file": "…"}` by the
/// text of that file, read relative to `base`: where each came from, and
/// the references that could not be read (left as empty handlers).
pub fn inline(json: &mut Value, base: &Path) -> (Vec<HandlerFile>, Vec<Unread>) {
    let mut files = Vec::new();
    let mut unread = Vec::new();
    let mut total = 0;
    let Some(integrations) = json.get_mut("integrations") else {
        return (files, unread);
    };
    let entries: Vec<(String, String, &mut Value)> = match integrations {
        Value::Object(map) => map
            .iter_mut()
            .map(|(name, options)| (name.clone(), format!("$.integrations.{name}"), options))
            .collect(),
        Value::Array(list) => list
            .iter_mut()
            .enumerate()
            .filter_map(|(i, entry)| {
                let name = entry.get("name")?.as_str()?.to_owned();
                let options = entry.get_mut("options")?;
                Some((name, format!("$.integrations[{i}].options"), options))
            })
            .collect(),
        _ => Vec::new(),
    };
    for (integration, at, options) in entries {
        for (option, slot) in handler_slots(options) {
            match read_into(slot, base, &integration, &option, &at, &mut total) {
                Ok(file) => files.extend(file),
                Err(error) => {
                    if let Value::Object(reference) = slot
                        && let Some(Value::String(name)) = reference.get("file")
                    {
                        files.push(HandlerFile {
                            integration: integration.clone(),
                            option: option.clone(),
                            path: base.join(name),
                        });
                    }
                    *slot = Value::String(String::new());
                    unread.push(Unread {
                        integration: integration.clone(),
                        option,
                        error,
                    });
                }
            }
        }
    }
    (files, unread)
}

/// The handler options of an integration's `options`, each with its name.
fn handler_slots(options: &mut Value) -> Vec<(String, &mut Value)> {
    let mut slots = Vec::new();
    let Some(options) = options.as_object_mut() else {
        return slots;
    };
    for (key, value) in options.iter_mut() {
        match (key.as_str(), value) {
            ("eventEnrichments", Value::Array(entries)) => {
                for (i, entry) in entries.iter_mut().enumerate() {
                    if let Some(slot) = entry.get_mut("handler") {
                        slots.push((format!("eventEnrichments[{i}].handler"), slot));
                    }
                }
            }
            ("overrideFunctions", Value::Object(overrides)) => {
                for (key, slot) in overrides.iter_mut() {
                    if key == "event" || key == "product" {
                        slots.push((format!("overrideFunctions.{key}"), slot));
                    }
                }
            }
            _ => {}
        }
    }
    slots
}

/// Puts the text of the file `slot` names in its place, counting its bytes
/// in `total`; `None` when the slot holds text already.
fn read_into(
    slot: &mut Value,
    base: &Path,
    integration: &str,
    option: &str,
    at: &str,
    total: &mut usize,
) -> Result<Option<HandlerFile>, ConfigError> {
    let Value::Object(reference) = slot else {
        return Ok(None);
    };
    let here = format!("{at}.{option}");
    let name = match (reference.get("file"), reference.len()) {
        (Some(Value::String(name)), 1) => name.clone(),
        _ => {
            return Err(shape(
                &here,
                "a handler is its text, or {\"file\": \"path/to/handler.js\"}",
            ));
        }
    };
    if *total > MAX_CONFIG_FILES_BYTES {
        return Err(shape(
            &format!("{here}.file"),
            format!(
                "not read: the config's handler files before it pass {} MiB in all",
                MAX_CONFIG_FILES_BYTES >> 20
            ),
        ));
    }
    let text = read_confined(base, &name).map_err(|why| shape(&format!("{here}.file"), why))?;
    *total += text.len();
    if *total > MAX_CONFIG_FILES_BYTES {
        return Err(shape(
            &format!("{here}.file"),
            format!(
                "the config's handler files pass {} MiB in all",
                MAX_CONFIG_FILES_BYTES >> 20
            ),
        ));
    }
    *slot = Value::String(text);
    Ok(Some(HandlerFile {
        integration: integration.to_owned(),
        option: option.to_owned(),
        path: base.join(name),
    }))
}

/// The text of the file `name` names under `base`: a regular file, inside
/// `base` once links are followed, at most [`MAX_HANDLER_FILE_BYTES`].
fn read_confined(base: &Path, name: &str) -> Result<String, String> {
    let relative = Path::new(name);
    if relative.is_absolute() {
        return Err(format!("{name:?} must be relative to the config"));
    }
    let path = base.join(relative);
    let cannot = |e: std::io::Error| format!("cannot read {}: {e}", path.display());
    let root = base.canonicalize().map_err(cannot)?;
    let real = path.canonicalize().map_err(cannot)?;
    if !real.starts_with(&root) {
        return Err(format!(
            "{name:?} is outside the config's directory {}",
            root.display()
        ));
    }
    // Before opening it: opening a FIFO would wait for a writer forever.
    if !std::fs::metadata(&real).map_err(cannot)?.is_file() {
        return Err(format!("{} is not a file", path.display()));
    }
    let file = std::fs::File::open(&real).map_err(cannot)?;
    let mut text = String::new();
    file.take(MAX_HANDLER_FILE_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(cannot)?;
    if text.len() as u64 > MAX_HANDLER_FILE_BYTES {
        return Err(format!(
            "{} has more than {MAX_HANDLER_FILE_BYTES} bytes, the most a handler file may have",
            path.display()
        ));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn file_handlers_are_read_in_place_in_either_config_form() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(dir.path().join("handlers")).unwrap();
        std::fs::write(dir.path().join("handlers/spot.js"), "return 'x';\n").unwrap();
        for mut config in [
            json!({"integrations": {"Flocktory": {"eventEnrichments": [{"prop": "spot", "handler": {"file": "handlers/spot.js"}}]}}}),
            json!({"integrations": [{"name": "Flocktory", "options": {"eventEnrichments": [{"prop": "spot", "handler": {"file": "handlers/spot.js"}}]}}]}),
        ] {
            let (files, unread) = inline(&mut config, dir.path());
            assert!(unread.is_empty(), "{unread:?}");
            assert_eq!(files.len(), 1);
            assert_eq!(files[0].option, "eventEnrichments[0].handler");
            assert!(
                config
                    .to_string()
                    .contains("\"handler\":\"return 'x';\\n\""),
                "{config}"
            );
        }
    }

    #[test]
    fn bad_references_say_where() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut missing =
            json!({"integrations": {"F": {"overrideFunctions": {"event": {"file": "nope.js"}}}}});
        let err = inline(&mut missing, dir.path()).1[0].error.to_string();
        assert!(
            err.starts_with("$.integrations.F.overrideFunctions.event.file: cannot read "),
            "{err}"
        );
        let mut absolute = json!({"integrations": {"F": {"overrideFunctions": {"event": {"file": "/etc/passwd"}}}}});
        let err = inline(&mut absolute, dir.path()).1[0].error.to_string();
        assert!(err.contains("must be relative to the config"), "{err}");
        let project = dir.path().join("project");
        std::fs::create_dir(&project).unwrap();
        std::fs::write(dir.path().join("secret.js"), "return 1").unwrap();
        std::os::unix::fs::symlink("/dev/zero", project.join("zero.js")).unwrap();
        std::fs::create_dir(project.join("dir.js")).unwrap();
        let fifo = std::process::Command::new("mkfifo")
            .arg(project.join("pipe.js"))
            .status();
        assert!(fifo.is_ok_and(|s| s.success()), "mkfifo");
        for (name, why) in [
            ("pipe.js", "is not a file"),
            ("../secret.js", "is outside the config's directory"),
            ("zero.js", "is outside the config's directory"),
            ("dir.js", "is not a file"),
        ] {
            let mut config =
                json!({"integrations": {"F": {"overrideFunctions": {"event": {"file": name}}}}});
            let err = inline(&mut config, &project).1[0].error.to_string();
            assert!(err.contains(why), "{name}: {err}");
        }
        std::fs::write(
            project.join("big.js"),
            vec![b' '; (MAX_HANDLER_FILE_BYTES + 1) as usize],
        )
        .unwrap();
        let mut big =
            json!({"integrations": {"F": {"overrideFunctions": {"event": {"file": "big.js"}}}}});
        let err = inline(&mut big, &project).1[0].error.to_string();
        assert!(err.contains("the most a handler file may have"), "{err}");
        let mut odd =
            json!({"integrations": {"F": {"overrideFunctions": {"event": {"path": "x.js"}}}}});
        let err = inline(&mut odd, dir.path()).1[0].error.to_string();
        assert!(err.contains("a handler is its text, or {\"file\""), "{err}");
    }

    #[test]
    fn every_unreadable_file_is_named_and_its_handler_left_empty() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("ok.js"), "return 1;").unwrap();
        let text = json!({"integrations": {"Flocktory": {
            "eventEnrichments": [
                {"prop": "a", "handler": {"file": "a.js"}},
                {"prop": "b", "handler": {"file": "ok.js"}},
            ],
            "overrideFunctions": {"event": {"file": "c.js"}},
        }}})
        .to_string();
        let err = ConfigFile::parse(&text, dir.path())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("eventEnrichments[0].handler.file: cannot read")
                && err.contains(
                    "; $.integrations.Flocktory.overrideFunctions.event.file: cannot read"
                ),
            "{err}"
        );
        let (file, unread) = ConfigFile::parse_all(&text, dir.path()).unwrap();
        let options: Vec<&str> = unread.iter().map(|u| u.option.as_str()).collect();
        assert_eq!(
            options,
            ["eventEnrichments[0].handler", "overrideFunctions.event"]
        );
        assert_eq!(
            file.json["integrations"]["Flocktory"]["eventEnrichments"][0]["handler"],
            ""
        );
        assert_eq!(
            file.json["integrations"]["Flocktory"]["eventEnrichments"][1]["handler"],
            "return 1;"
        );
        assert_eq!(
            file.files.len(),
            3,
            "unread files keep their place for messages"
        );
    }

    #[test]
    fn a_file_is_found_by_the_label_its_handler_has_in_the_result() {
        let file = |option: &str| HandlerFile {
            integration: "Flocktory".to_owned(),
            option: option.to_owned(),
            path: PathBuf::from("handlers/x.js"),
        };
        let spot = file("eventEnrichments[1].handler");
        assert!(spot.has_label("Flocktory eventEnrichments[1] (spot)"));
        assert!(!spot.has_label("Flocktory eventEnrichments[11] (spot)"));
        assert!(!spot.has_label("Flocktory eventEnrichments[1]x"));
        assert!(!spot.has_label("Other eventEnrichments[1] (spot)"));
        let over = file("overrideFunctions.event");
        assert!(over.has_label("Flocktory overrideFunctions.event"));
        assert!(!over.has_label("Flocktory overrideFunctions.event (x)"));
        assert!(!over.has_label("Flocktory overrideFunctions.product"));
    }
}
