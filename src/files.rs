//! Reading the user's files, with errors that name the file and the place.

use std::path::Path;

use handlebox_pipeline::{PageError, PageInput};

use crate::error::CliError;

/// The seed example's page, used when no `--page` is given.
pub const DEMO_PAGE: &str = include_str!("../fixtures/pages/thank-you.json");

/// Reads a text file.
pub fn read_text(path: &Path, what: &str) -> Result<String, CliError> {
    std::fs::read_to_string(path)
        .map_err(|e| CliError::Input(format!("cannot read {what} {}: {e}", path.display())))
}

/// Reads a page file, or the demo page when `path` is `None`.
pub fn read_page(path: Option<&Path>) -> Result<PageInput, CliError> {
    let (text, name) = match path {
        Some(path) => (read_text(path, "page file")?, path.display().to_string()),
        None => (DEMO_PAGE.to_owned(), "the built-in demo page".to_owned()),
    };
    PageInput::parse(&text).map_err(|e| match e {
        PageError::Json(message) => CliError::Input(format!("{name} is not valid JSON: {message}")),
        shape => CliError::Input(format!("{name}: {shape}")),
    })
}
