//! The error of a JSON document (a page, a config) that is not JSON or does
//! not have the expected shape; the shape error names the JSON path.

/// A JSON document that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsonError {
    /// The text is not JSON.
    #[error("not valid JSON: {0}")]
    Json(String),
    /// A value has the wrong type or is missing; `path` is where, e.g.
    /// `$.cookies._ga` or `$.integrations[1].options`.
    #[error("{path}: {message}")]
    Shape {
        /// Where the problem is.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// Several shape errors, each with its path, joined by `; `.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Several(Vec<JsonError>),
}

/// A shape error at `path`.
pub(crate) fn shape(path: &str, message: impl Into<String>) -> JsonError {
    JsonError::Shape {
        path: path.to_owned(),
        message: message.into(),
    }
}
