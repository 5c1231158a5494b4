//! SegmentStream's event pipeline around the Handlebox sandbox.
//!
//! Data flows one way: a [`Page`] (read by [`page`]) runs through a
//! [`Pipeline`] built from a project config ([`config`]) and the
//! [`IntegrationKind`]s the caller offers; every event is enriched
//! ([`enrich`], [`cart`]), passed through the project's handlers in the
//! sandbox, and handed to each integration, which answers with its calls.
//! The outcome is a [`PageResult`] ([`result`]).

mod build;
pub mod cart;
mod clock;
pub mod config;
pub mod enrich;
pub mod handler_files;
pub mod integration;
pub mod js;
mod json_error;
pub mod lint;
pub mod page;
mod page_run;
mod pipeline;
pub mod result;
pub mod trace;

pub use build::{BuildError, CheckReport, ConfigProblem};
pub use config::{ConfigError, IntegrationConfig};
pub use handler_files::{ConfigFile, HandlerFile, Unread};
pub use integration::{
    Configured, Integration, IntegrationKind, IntegrationPage, OptionProblem, Tracked,
};
pub use json_error::JsonError;
pub use page::{Page, PageError, event_name, products_of};
pub use page_run::PAGE;
pub use pipeline::{Budget, DEFAULT_MAX_EVENTS, Pipeline};
pub use result::{
    EventResult, HandlerErrorResult, LogResult, PageResult, PageStats, VariableResult,
};
