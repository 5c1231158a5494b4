//! The projects a server serves: one config file (project `default`), a
//! directory of `*.json` configs (one project per file, named by its stem),
//! or the built-in demo. Every project is compiled before any is served.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use handlebox_pipeline::handler_files::CONFIG_FILE;
use handlebox_pipeline::{Budget, ConfigFile, IntegrationKind, Pipeline};
use handlebox_sandbox::Sandbox;

use crate::pool::Lane;

/// The project `/v1/process` serves.
pub const DEFAULT: &str = "default";

/// Where configs come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// A config given as text (the built-in demo), served as `default`.
    Text {
        /// What to call it in messages.
        name: String,
        /// The config.
        text: String,
    },
    /// One config file, served as `default`.
    File(PathBuf),
    /// A directory of projects: each `*.json` config, and each directory
    /// holding a `config.json` (a project directory), named by its stem.
    Dir(PathBuf),
}

impl Source {
    /// A config file, a project directory (holding `config.json`), or a
    /// directory of projects, whichever `path` is.
    pub fn from_path(path: PathBuf) -> Self {
        if !path.is_dir() {
            Source::File(path)
        } else if path.join(CONFIG_FILE).is_file() {
            Source::File(path.join(CONFIG_FILE))
        } else {
            Source::Dir(path)
        }
    }
}

/// A config that could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", if project.is_empty() { String::new() } else { format!("project {project}: ") })]
pub struct LoadError {
    /// The project (empty when the problem is the source as a whole).
    pub project: String,
    /// What is wrong, naming the file, integration and option.
    pub message: String,
}

/// One compiled project.
pub struct Project {
    /// Its id, as in `/v1/projects/{id}/process`.
    pub id: String,
    /// Where its config came from.
    pub origin: String,
    /// The compiled pipeline.
    pub pipeline: Pipeline,
    /// Its part of the worker pool: its share of the workers and its queue.
    pub lane: Lane,
}

/// Every project being served, by id.
#[derive(Default)]
pub struct Projects {
    by_id: BTreeMap<String, Arc<Project>>,
}

impl Projects {
    /// The project `id`, if served.
    pub fn get(&self, id: &str) -> Option<Arc<Project>> {
        self.by_id.get(id).cloned()
    }

    /// The ids served, sorted.
    pub fn ids(&self) -> Vec<String> {
        self.by_id.keys().cloned().collect()
    }
}

/// What every project is held to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProjectLimits {
    /// Pages of one project running at once.
    pub share: usize,
    /// Pages of one project waiting for a worker.
    pub queue: usize,
    /// Events processed per page.
    pub max_events: usize,
    /// What each page may cost as a whole.
    pub budget: Budget,
}

/// Loads and compiles every project of `source`; fails on the first bad one.
pub fn load(
    source: &Source,
    sandbox: &Sandbox,
    kinds: &[&'static dyn IntegrationKind],
    limits: ProjectLimits,
) -> Result<Projects, LoadError> {
    let mut projects = Projects::default();
    let files: Vec<(String, PathBuf, String)> = match source {
        Source::Text { name, text } => {
            vec![(DEFAULT.to_owned(), PathBuf::from(name), text.clone())]
        }
        Source::File(path) => vec![(DEFAULT.to_owned(), path.clone(), read(path)?)],
        Source::Dir(dir) => {
            let mut files = Vec::new();
            let entries = std::fs::read_dir(dir).map_err(|e| LoadError {
                project: String::new(),
                message: format!("cannot read config directory {}: {e}", dir.display()),
            })?;
            for entry in entries.flatten() {
                let mut path = entry.path();
                if path.is_dir() && path.join(CONFIG_FILE).is_file() {
                    path = path.join(CONFIG_FILE);
                    let id = entry.file_name().to_string_lossy().into_owned();
                    check_id(&id, &path)?;
                    files.push((id, path.clone(), read(&path)?));
                    continue;
                }
                if path.extension().is_none_or(|e| e != "json") {
                    continue;
                }
                let id = path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                check_id(&id, &path)?;
                files.push((id, path.clone(), read(&path)?));
            }
            if files.is_empty() {
                return Err(LoadError {
                    project: String::new(),
                    message: format!("no *.json configs in {}", dir.display()),
                });
            }
            files
        }
    };
    let mut seen = std::collections::BTreeSet::new();
    for (id, path, _) in &files {
        if !seen.insert(id.clone()) {
            return Err(LoadError {
                project: id.clone(),
                message: format!(
                    "{}: another config in the directory is project {id:?} too",
                    path.display()
                ),
            });
        }
    }
    for (id, path, text) in files {
        let origin = path.display().to_string();
        let fail = |message: String| LoadError {
            project: id.clone(),
            message: format!("{origin}: {message}"),
        };
        let base = path.parent().unwrap_or(Path::new("."));
        let config = ConfigFile::parse(&text, base).map_err(|e| fail(e.to_string()))?;
        let pipeline = Pipeline::new(sandbox, config.configs.clone(), kinds)
            .map_err(|e| fail(config.describe_error(&e)))?
            .with_max_events(limits.max_events)
            .with_budget(limits.budget);
        for warning in pipeline.warnings() {
            tracing::warn!(project = %id, warning = %crate::LogText(warning), "config warning");
        }
        projects.by_id.insert(
            id.clone(),
            Arc::new(Project {
                lane: Lane::new(&id, limits.share, limits.queue),
                id,
                origin,
                pipeline,
            }),
        );
    }
    Ok(projects)
}

/// A project id is its file's stem or its directory's name: letters,
/// digits, `-` and `_`.
fn check_id(id: &str, path: &Path) -> Result<(), LoadError> {
    if !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Ok(());
    }
    Err(LoadError {
        project: id.to_owned(),
        message: format!(
            "{}: a project id may only have letters, digits, '-' and '_'",
            path.display()
        ),
    })
}

fn read(path: &Path) -> Result<String, LoadError> {
    std::fs::read_to_string(path).map_err(|e| LoadError {
        project: String::new(),
        message: format!("cannot read config file {}: {e}", path.display()),
    })
}
