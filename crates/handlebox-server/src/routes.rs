//! The HTTP surface. Every answer to an accepted page is a Result (`200`)
//! or an error body `{"error": {"code", "message"}}`, for every status the
//! server gives (`404`, `405`, `408`, `413`, `503`, …); a page is never
//! answered with nothing. A page whose client goes away is cancelled at its
//! next event or handler call.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, MatchedPath, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use handlebox_pipeline::{PAGE, Page, PageResult};
use handlebox_sandbox::ErrorKind;
use serde_json::{Value, json};
use tower_http::LatencyUnit;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::metrics::{RequestLabels, RouteLabels};
use crate::projects::DEFAULT;
use crate::{AppState, LogText};

/// The server's routes, with request metrics and logs around them.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/v1/process", post(process_default))
        .route("/v1/projects/{id}/process", post(process_project))
        .route("/v1/admin/reload", post(reload))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_failure(())
                .on_response(
                    DefaultOnResponse::new()
                        .level(Level::INFO)
                        .latency_unit(LatencyUnit::Micros),
                ),
        )
        .with_state(state)
}

/// `{"error": {"code", "message"}}` with `status`.
pub fn error(status: StatusCode, code: &'static str, message: impl Into<String>) -> Response {
    ApiError::new(status, code, message).into_response()
}

/// An error answer: its status, its code and what went wrong.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    retry_after: bool,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after: false,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(json!({"error": {"code": self.code, "message": self.message}})),
        )
            .into_response();
        if self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}

/// The route pattern that matched, for metrics and logs; `other` when
/// none did.
fn route_of(request: &Request) -> String {
    request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "other".to_owned(), |path| path.as_str().to_owned())
}

/// The span of one request in the logs: its method and route pattern
/// (never the path, which holds project ids and arbitrary text).
fn request_span(request: &Request) -> tracing::Span {
    tracing::info_span!("request", method = %request.method(), route = %route_of(request))
}

async fn observe(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = route_of(&request);
    let mut response = next.run(request).await;
    // Tell clients how long an idle connection is kept, so that they do not
    // send a request on one the server is closing.
    let idle = state.http.read_timeout.as_secs();
    if idle > 0
        && let Ok(value) = HeaderValue::from_str(&format!("timeout={idle}"))
    {
        response.headers_mut().insert("keep-alive", value);
    }
    let status = response.status().as_u16();
    let seconds = started.elapsed().as_secs_f64();
    state
        .metrics
        .requests
        .get_or_create(&RequestLabels {
            route: route.clone(),
            status,
        })
        .inc();
    state
        .metrics
        .request_seconds
        .get_or_create(&RouteLabels { route })
        .observe(seconds);
    response
}

async fn process_default(State(state): State<Arc<AppState>>, body: Body) -> Response {
    process(state, DEFAULT.to_owned(), body)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn process_project(
    State(state): State<Arc<AppState>>,
    id: Result<Path<String>, axum::extract::rejection::PathRejection>,
    body: Body,
) -> Response {
    let result = match id {
        Ok(Path(id)) => process(state, id, body).await,
        Err(rejection) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_path",
            rejection.body_text(),
        )),
    };
    result.unwrap_or_else(IntoResponse::into_response)
}

/// Reads the body within the read timeout and the size limit.
async fn read_body(state: &AppState, body: Body) -> Result<Bytes, ApiError> {
    let limit = state.body_limit;
    let timeout = state.http.read_timeout;
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("the body is larger than the limit of {limit} bytes"),
        )
    };
    match tokio::time::timeout(timeout, axum::body::to_bytes(body, limit)).await {
        Err(_) => Err(ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "body_timeout",
            format!("the body did not arrive within {} ms", timeout.as_millis()),
        )),
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(e)) if is_length_limit(&e) => Err(too_large()),
        Ok(Err(e)) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_body",
            format!("the body could not be read: {e}"),
        )),
    }
}

fn is_length_limit(error: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if e.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = e.source();
    }
    false
}

/// Sets its flag when dropped: the request's future was dropped before the
/// page finished, so its client went away.
struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

async fn process(state: Arc<AppState>, id: String, body: Body) -> Result<Response, ApiError> {
    let body = read_body(&state, body).await?;
    let value: Value = serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_json",
            format!("the body is not valid JSON: {e}"),
        )
    })?;
    let page = Page::from_value(value).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_page",
            format!("the body is not a page: {e}"),
        )
    })?;
    let project = state.projects().get(&id).ok_or_else(|| {
        let message = if id == DEFAULT {
            "no default project is configured; use /v1/projects/{id}/process".to_owned()
        } else {
            format!("no project {id:?}")
        };
        ApiError::new(StatusCode::NOT_FOUND, "unknown_project", message)
    })?;
    let ticket = state.pool.admit(&project.lane).ok_or_else(|| ApiError {
        retry_after: true,
        ..ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "overloaded",
            format!("project {id:?} has too much work queued; retry shortly"),
        )
    })?;
    state.metrics.queue_depth.set(state.pool.queue_depth());
    let cancelled = Arc::new(AtomicBool::new(false));
    let _cancel_on_drop = CancelOnDrop(cancelled.clone());
    let worker_state = state.clone();
    let outcome = ticket
        .run(move || {
            let result = project.pipeline.process_until(&page, &cancelled);
            if cancelled.load(Ordering::Relaxed) {
                tracing::info!(project = %project.id, "page cancelled: its client went away");
                return None;
            }
            let failed = result.events.iter().any(|e| !e.errors.is_empty());
            if failed && let Some(letters) = &worker_state.dead_letters {
                match letters.save(&project.id, &body) {
                    Ok(path) => {
                        tracing::info!(project = %project.id, path = ?path.display(), "dead letter saved");
                    }
                    Err(e) => {
                        tracing::error!(project = %project.id, error = %LogText(&e.to_string()), "dead letter not saved");
                    }
                }
            }
            let body = serde_json::to_vec(&result);
            Some((result, body))
        })
        .await;
    state.metrics.queue_depth.set(state.pool.queue_depth());
    match outcome {
        Ok(Some((result, Ok(body)))) => {
            record(&state, &id, &result);
            Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
        }
        Ok(Some((_, Err(e)))) => Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("the result could not be encoded: {e}"),
        )),
        Ok(None) => Err(ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "cancelled",
            "the request was cancelled",
        )),
        Err(e) => {
            tracing::error!(project = %LogText(&id), error = %LogText(&e.to_string()), "page processing failed");
            Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                format!("processing the page failed: {e}"),
            ))
        }
    }
}

fn record(state: &AppState, project: &str, result: &PageResult) {
    state.metrics.record(project, result);
    // One log line per distinct error of the page, with the events it hit:
    // a handler stopped for the page, or a spent budget, repeats the same
    // error on every later event.
    let mut distinct: HashMap<(&str, ErrorKind, &str), (&str, usize)> = HashMap::new();
    let mut order = Vec::new();
    for event in &result.events {
        for e in &event.errors {
            let key = (e.handler.as_str(), e.kind, e.message.as_str());
            let (_, events) = distinct.entry(key).or_insert_with(|| {
                order.push(key);
                (event.name.as_str(), 0)
            });
            *events += 1;
        }
    }
    for key in order {
        let (handler, kind, message) = key;
        let (first_event, events) = distinct[&key];
        tracing::warn!(
            project,
            event = %LogText(first_event),
            events,
            handler = %LogText(handler),
            kind = kind.as_str(),
            error = %LogText(message),
            "{}",
            if handler == PAGE { "events not processed" } else { "handler error" }
        );
    }
}

async fn reload(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    if !peer.ip().is_loopback() {
        return error(
            StatusCode::FORBIDDEN,
            "forbidden",
            "reload is only accepted from loopback",
        );
    }
    let Some(token) = &state.admin_token else {
        return error(
            StatusCode::FORBIDDEN,
            "forbidden",
            "reloading over HTTP is off: start the server with --admin-token-file (or send SIGHUP)",
        );
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if !given.is_some_and(|given| same_secret(given.as_bytes(), token.as_bytes())) {
        return error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "reload needs the admin token: Authorization: Bearer <token>",
        );
    }
    match state.reload().await {
        Ok(ids) => Json(json!({"reloaded": ids})).into_response(),
        Err(e) => error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_config",
            format!("{e}; the previous configs keep serving"),
        ),
    }
}

/// Compares two secrets in time that depends on their lengths only.
fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    given.len() == expected.len()
        && given
            .iter()
            .zip(expected)
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0
}

async fn healthz(State(state): State<Arc<AppState>>) -> Response {
    Json(json!({"status": "ok", "projects": state.projects().ids()})).into_response()
}

async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    state.metrics.queue_depth.set(state.pool.queue_depth());
    state.metrics.busy_workers.set(state.pool.busy() as i64);
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.encode(),
    )
        .into_response()
}

async fn not_found(request: Request) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "not_found",
        format!(
            "no route for {} {:?}",
            request.method(),
            request.uri().path()
        ),
    )
}

async fn method_not_allowed(request: Request) -> Response {
    let allow = match route_of(&request).as_str() {
        "/healthz" | "/metrics" => "GET, HEAD",
        _ => "POST",
    };
    let mut response = error(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!(
            "{} is not allowed on {:?}; use {allow}",
            request.method(),
            request.uri().path()
        ),
    );
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret(b"s3cret", b"s3cret"));
        assert!(!same_secret(b"s3cre", b"s3cret"));
        assert!(!same_secret(b"s3creT", b"s3cret"));
        assert!(!same_secret(b"", b"s3cret"));
    }
}
