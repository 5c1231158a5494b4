//! The playground's JSON routes. Each runs in the sandbox on a blocking
//! thread; bad input is a `400` with `{"error": {"code", "message"}}` that
//! says what and where, as the ingest server answers.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use handlebox_pipeline::{ConfigFile, Page, config};
use serde::Deserialize;
use serde_json::{Value, json};

use super::Playground;
use crate::error::CliError;
use crate::eval::{self, Question, ScopeArg};
use crate::files;
use crate::render::{Format, Printer};

/// How long a request waits for the playground to have room before it is
/// answered `503`.
const WAIT_FOR_ROOM: std::time::Duration = std::time::Duration::from_secs(10);

/// Largest request body: a page of 1 MiB, its config and the handler.
pub const BODY_LIMIT: usize = 3 << 20;

/// The fixtures' pages the playground offers to start from, by name.
const FIXTURES: [(&str, &str); 7] = [
    ("thank-you", files::DEMO_PAGE),
    (
        "home-anonymous",
        include_str!("../../fixtures/pages/home-anonymous.json"),
    ),
    ("product", include_str!("../../fixtures/pages/product.json")),
    (
        "listing-24",
        include_str!("../../fixtures/pages/listing-24.json"),
    ),
    ("cart", include_str!("../../fixtures/pages/cart.json")),
    (
        "staff-order",
        include_str!("../../fixtures/pages/staff-order.json"),
    ),
    (
        "product-browser",
        include_str!("../../fixtures/pages/product-browser.json"),
    ),
];

/// `GET /v1/project`: the config the page opens on, the names its handlers
/// go by, and the fixtures' pages.
pub async fn project(State(playground): State<Arc<Playground>>) -> Response {
    let handlers = match config::integrations(playground.config.clone()) {
        Ok(configs) => config::handler_names(&configs),
        Err(_) => Vec::new(),
    };
    let fixtures: Vec<Value> = FIXTURES
        .iter()
        .map(|(name, text)| {
            json!({
                "name": name,
                "page": serde_json::from_str::<Value>(text).unwrap_or(Value::Null),
            })
        })
        .collect();
    Json(json!({
        "name": playground.name,
        "config": playground.config,
        "handlers": handlers,
        "fixtures": fixtures,
    }))
    .into_response()
}

/// The body of `POST /v1/eval`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvalBody {
    /// The handler's text.
    handler: String,
    /// `event` (default) or `product`, for a handler run alone.
    #[serde(default)]
    scope: Option<String>,
    /// The event, by name or index (a number or a numeric string).
    #[serde(default)]
    event: Option<Value>,
    /// Which product of the event, for product handlers.
    #[serde(default)]
    product: usize,
    /// The page.
    page: Value,
    /// Run the handler alone as this integration's override.
    #[serde(default)]
    r#override: Option<String>,
    /// A config whose handler `name` the text replaces, run with its
    /// options as `eval --config C --handler NAME` runs it.
    #[serde(default)]
    config: Option<Value>,
    /// The config's handler (`spot`, `override`, …).
    #[serde(default)]
    name: Option<String>,
}

/// `POST /v1/eval`: the handler where the pipeline runs it, answered as
/// `eval --format json` prints it.
pub async fn eval(
    State(playground): State<Arc<Playground>>,
    body: Result<Json<EvalBody>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Json(body) = match body {
        Ok(body) => body,
        Err(rejection) => return bad_request(rejection.body_text()),
    };
    let room = playground.clone();
    blocking(&room, move || {
        let page =
            Page::from_value(body.page).map_err(|e| CliError::Input(format!("page: {e}")))?;
        let scope = match body.scope.as_deref() {
            None | Some("event") => ScopeArg::Event,
            Some("product") => ScopeArg::Product,
            Some(other) => {
                return Err(CliError::Input(format!(
                    "scope: {other:?} is neither \"event\" nor \"product\""
                )));
            }
        };
        let event = match body.event {
            None | Some(Value::Null) => None,
            Some(Value::String(name)) if name.is_empty() => None,
            Some(Value::String(name)) => Some(name),
            Some(Value::Number(index)) => Some(index.to_string()),
            Some(other) => {
                return Err(CliError::Input(format!(
                    "event: {other} is neither a name nor an index"
                )));
            }
        };
        let config = match (body.config, &body.name) {
            (Some(config), Some(_)) => Some((inline_config(config)?, "the config".to_owned())),
            (None, Some(_)) => return Err(CliError::Input("name: needs a config".to_owned())),
            (Some(_), None) => {
                return Err(CliError::Input(
                    "config: needs the name of its handler to run (\"name\")".to_owned(),
                ));
            }
            (None, None) => None,
        };
        let question = Question {
            given: Some((body.handler, "the editor".to_owned())),
            config,
            handler: body.name,
            scope: Some(scope),
            event,
            product: body.product,
            r#override: body.r#override.filter(|name| !name.is_empty()),
            deadline_ms: 50,
        };
        let answer = eval::answer(&playground.sandbox, &question, &page)?;
        let mut value = eval::as_json(&answer.outcome);
        if let Value::Object(map) = &mut value {
            map.insert("target".to_owned(), Value::String(answer.target));
        }
        Ok(Json(value).into_response())
    })
    .await
}

/// The body of `POST /v1/run`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunBody {
    /// The config, every handler as text.
    config: Value,
    /// The page.
    page: Value,
}

/// `POST /v1/run`: the page through the config; the Result, or with
/// `?format=js` the calls as `run --format js` prints them.
pub async fn run(
    State(playground): State<Arc<Playground>>,
    query: Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>,
    body: Result<Json<RunBody>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Json(body) = match body {
        Ok(body) => body,
        Err(rejection) => return bad_request(rejection.body_text()),
    };
    let Query(query) = match query {
        Ok(query) => query,
        Err(rejection) => return bad_request(rejection.body_text()),
    };
    let format = match query.get("format").map(String::as_str) {
        None | Some("json") => Format::Json,
        Some("js") => Format::Js,
        Some(other) => return bad_request(format!("format: {other:?} is neither json nor js")),
    };
    let room = playground.clone();
    blocking(&room, move || {
        let page =
            Page::from_value(body.page).map_err(|e| CliError::Input(format!("page: {e}")))?;
        let file = inline_config(body.config)?;
        let pipeline = files::pipeline(&playground.sandbox, &file, "the config")?;
        let result = pipeline.process(&page);
        Ok(match format {
            Format::Js => (
                [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
                Printer {
                    format,
                    config: &file,
                }
                .render(&result),
            )
                .into_response(),
            _ => Json(result).into_response(),
        })
    })
    .await
}

/// A config sent by the page. Its handlers must be text: a `{"file": …}`
/// reference is refused, never read (the page must not read the server's
/// files).
fn inline_config(value: Value) -> Result<ConfigFile, CliError> {
    let configs =
        config::integrations(value.clone()).map_err(|e| CliError::Input(format!("config: {e}")))?;
    Ok(ConfigFile {
        json: value,
        configs,
        files: Vec::new(),
    })
}

/// Runs `work` on a blocking thread once the playground has room for it
/// (else, after [`WAIT_FOR_ROOM`], `503`); its errors as the server words
/// them.
async fn blocking(
    playground: &Playground,
    work: impl FnOnce() -> Result<Response, CliError> + Send + 'static,
) -> Response {
    // The page sends three requests per run: wait for room a while.
    let room = tokio::time::timeout(WAIT_FOR_ROOM, playground.running.clone().acquire_owned());
    let Ok(Ok(_room)) = room.await else {
        return busy();
    };
    match tokio::task::spawn_blocking(work).await {
        Ok(Ok(response)) => response,
        Ok(Err(CliError::Input(message))) => bad_request(message),
        Ok(Err(CliError::Sandbox(handlebox_sandbox::SandboxError::Busy { .. }))) => busy(),
        Ok(Err(other)) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            other.to_string(),
        ),
        Err(_) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the request failed (a bug: please report it)",
        ),
    }
}

fn busy() -> Response {
    let mut response = error(
        StatusCode::SERVICE_UNAVAILABLE,
        "busy",
        "the playground is running other requests; try again",
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
    response
}

fn bad_request(message: impl Into<String>) -> Response {
    error(StatusCode::BAD_REQUEST, "bad_request", message)
}

/// `{"error": {"code", "message"}}` with `status`.
pub fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    (
        status,
        Json(json!({"error": {"code": code, "message": message.into()}})),
    )
        .into_response()
}
