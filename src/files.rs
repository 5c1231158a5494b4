//! Reading the user's files, with errors that name the file and the place.

use std::path::{Path, PathBuf};

use handlebox_flocktory::FlocktoryKind;
use handlebox_pipeline::{
    BuildError, ConfigError, ConfigFile, IntegrationKind, Page, PageError, Pipeline,
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
    let (text, name, base) = match path {
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
    };
    let file = ConfigFile::parse(&text, &base).map_err(|e| match e {
        ConfigError::Json(message) => {
            CliError::Input(format!("{name} is not valid JSON: {message}"))
        }
        shape => CliError::Input(format!("{name}: {shape}")),
    })?;
    Ok((file, name))
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
