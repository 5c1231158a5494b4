//! Reading the user's files, with errors that name the file and the place.

use std::path::{Path, PathBuf};

use handlebox_flocktory::FlocktoryKind;
use handlebox_pipeline::{
    BuildError, CheckReport, ConfigError, ConfigFile, ConfigProblem, IntegrationKind, Page,
    PageError, Pipeline,
};
use handlebox_sandbox::Sandbox;

use crate::error::CliError;

/// The seed example's page, used when no `--page` is given.
pub const DEMO_PAGE: &str = include_str!("../fixtures/pages/thank-you.json");

/// Reads a text file.
pub fn read_text(path: &Path, what: &str) -> Result<String, CliError> {
    std::fs::read_to_string(path)
        .map_err(|e| CliError::Input(format!("cannot read {what} {}: {e}", path.display())))
}

/// Reads a page file, or the demo page when `path` is `None`.
pub fn read_page(path: Option<&Path>) -> Result<Page, CliError> {
    let (text, name) = match path {
        Some(path) => (read_text(path, "page file")?, path.display().to_string()),
        None => (DEMO_PAGE.to_owned(), "the built-in demo page".to_owned()),
    };
    Page::parse(&text).map_err(|e| match e {
        PageError::Json(message) => CliError::Input(format!("{name} is not valid JSON: {message}")),
        shape => CliError::Input(format!("{name}: {shape}")),
    })
}

/// The seed example's config, used by `demo` and by `serve` without `--config`.
pub const DEMO_CONFIG: &str = include_str!("../fixtures/configs/demo.json");

/// Reads a project config: a config file, or a project directory holding
/// `config.json` (handlers may be `.js` files beside it); the demo config
/// when `path` is `None`.
pub fn read_config(path: Option<&Path>) -> Result<(ConfigFile, String), CliError> {
    let (text, name, base) = config_text(path)?;
    let file = ConfigFile::parse(&text, &base).map_err(|e| config_error(&name, e))?;
    Ok((file, name))
}

/// Every problem of the config at `path`, nothing run: handler files that
/// cannot be read (each, in config order) and then what compiling finds
/// in the rest.
pub fn check_config(
    sandbox: &Sandbox,
    path: &Path,
) -> Result<(ConfigFile, String, CheckReport), CliError> {
    let (text, name, base) = config_text(Some(path))?;
    let (file, unread) = ConfigFile::parse_all(&text, &base).map_err(|e| config_error(&name, e))?;
    let mut report = Pipeline::check(sandbox, file.configs.clone(), &kinds())?;
    let on_unread = |p: &ConfigProblem| {
        unread
            .iter()
            .any(|u| u.integration == p.integration && u.option == p.option)
    };
    report.errors.retain(|p| !on_unread(p));
    report.warnings.retain(|p| !on_unread(p));
    let mut errors: Vec<ConfigProblem> = unread
        .into_iter()
        .map(|u| ConfigProblem {
            integration: u.integration,
            option: u.option,
            message: match u.error {
                ConfigError::Shape { message, .. } => message,
                other => other.to_string(),
            },
            line: None,
            column: None,
        })
        .collect();
    errors.append(&mut report.errors);
    report.errors = errors;
    Ok((file, name, report))
}

/// The text of the config at `path` (the demo's when `None`), the name
/// messages call it by, and the directory its handler files are under.
fn config_text(path: Option<&Path>) -> Result<(String, String, PathBuf), CliError> {
    Ok(match path {
        Some(path) => {
            let file = ConfigFile::path_of(path);
            let base = file.parent().map(Path::to_path_buf).unwrap_or_default();
            (
                read_text(&file, "config file")?,
                file.display().to_string(),
                base,
            )
        }
        None => (
            DEMO_CONFIG.to_owned(),
            "the built-in demo config".to_owned(),
            PathBuf::from("."),
        ),
    })
}

fn config_error(name: &str, error: ConfigError) -> CliError {
    match error {
        ConfigError::Json(message) => {
            CliError::Input(format!("{name} is not valid JSON: {message}"))
        }
        shape => CliError::Input(format!("{name}: {shape}")),
    }
}

/// The integrations this build of Handlebox knows.
pub fn kinds() -> [&'static dyn IntegrationKind; 1] {
    [&FlocktoryKind]
}

/// Builds the pipeline of a config; every problem is one clause of the error.
pub fn pipeline(sandbox: &Sandbox, file: &ConfigFile, name: &str) -> Result<Pipeline, CliError> {
    Pipeline::new(sandbox, file.configs.clone(), &kinds()).map_err(|e| match e {
        BuildError::Sandbox(e) => CliError::Sandbox(e),
        invalid => CliError::Input(format!("{name}: {}", file.describe_error(&invalid))),
    })
}
