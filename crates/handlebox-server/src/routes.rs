//! The HTTP surface. Every answer to an accepted page is a Result (`200`)
//! or an error body `{"error": {"code", "message"}}`; a page is never
//! answered with nothing.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use handlebox_pipeline::{PageInput, PageResult};
use serde_json::{Value, json};

use crate::AppState;
use crate::metrics::{ErrorLabels, ProjectLabels, RequestLabels, RouteLabels};
use crate::projects::DEFAULT;

/// The server's routes, with request metrics and logs around them.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/v1/process", post(process_default))
        .route("/v1/projects/{id}/process", post(process_project))
        .route("/v1/admin/reload", post(reload))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .layer(DefaultBodyLimit::max(state.body_limit))
        .with_state(state)
}

/// `{"error": {"code", "message"}}` with `status`.
pub fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    (
        status,
        Json(json!({"error": {"code": code, "message": message.into()}})),
    )
        .into_response()
}

/// The route pattern of a path, for metrics and logs.
fn route_of(path: &str) -> &'static str {
    match path {
        "/v1/process" => "/v1/process",
        "/v1/admin/reload" => "/v1/admin/reload",
        "/healthz" => "/healthz",
        "/metrics" => "/metrics",
        p if p.starts_with("/v1/projects/") && p.ends_with("/process") => {
            "/v1/projects/{id}/process"
        }
        _ => "other",
    }
}

async fn observe(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = route_of(request.uri().path());
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let seconds = started.elapsed().as_secs_f64();
    state
        .metrics
        .requests
        .get_or_create(&RequestLabels {
            route: route.to_owned(),
            status,
        })
        .inc();
    state
        .metrics
        .request_seconds
        .get_or_create(&RouteLabels {
            route: route.to_owned(),
        })
        .observe(seconds);
    tracing::info!(%method, route, status, micros = (seconds * 1e6) as u64, "request");
    response
}

async fn process_default(
    State(state): State<Arc<AppState>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    process(state, DEFAULT.to_owned(), body).await
}

async fn process_project(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    process(state, id, body).await
}

async fn process(
    state: Arc<AppState>,
    id: String,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!(
                    "the body is larger than the limit of {} bytes",
                    state.body_limit
                ),
            );
        }
        Err(rejection) => return error(StatusCode::BAD_REQUEST, "bad_body", rejection.body_text()),
    };
    let value: Value = match serde_json::from_slice(&body) {
        Ok(value) => value,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                "bad_json",
                format!("the body is not valid JSON: {e}"),
            );
        }
    };
    let page = match PageInput::from_value(value) {
        Ok(page) => page,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                "bad_page",
                format!("the body is not a page: {e}"),
            );
        }
    };
    let Some(project) = state.projects().get(&id) else {
        let message = if id == DEFAULT {
            "no default project is configured; use /v1/projects/{id}/process".to_owned()
        } else {
            format!("no project {id:?}")
        };
        return error(StatusCode::NOT_FOUND, "unknown_project", message);
    };
    let Some(ticket) = state.pool.admit() else {
        let mut response = error(
            StatusCode::SERVICE_UNAVAILABLE,
            "overloaded",
            "too much work is queued; retry shortly",
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return response;
    };
    state.metrics.queue_depth.set(state.pool.queue_depth());
    let worker_state = state.clone();
    let share = project.share.clone();
    let outcome = ticket
        .run(share, move || {
            let result = project.pipeline.process(&page);
            let failed = result.events.iter().any(|e| !e.errors.is_empty());
            if failed && let Some(dir) = &worker_state.dead_letter {
                match crate::dead_letter::save(dir, &project.id, &body) {
                    Ok(path) => tracing::info!(project = %project.id, path = %path.display(), "dead letter saved"),
                    Err(e) => tracing::error!(project = %project.id, error = %e, "dead letter not saved"),
                }
            }
            let body = serde_json::to_vec(&result);
            (result, body)
        })
        .await;
    state.metrics.queue_depth.set(state.pool.queue_depth());
    match outcome {
        Ok((result, Ok(body))) => {
            record(&state, &id, &result);
            ([(header::CONTENT_TYPE, "application/json")], body).into_response()
        }
        Ok((_, Err(e))) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("the result could not be encoded: {e}"),
        ),
        Err(e) => {
            tracing::error!(project = %id, error = %e, "page processing failed");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                format!("processing the page failed: {e}"),
            )
        }
    }
}

fn record(state: &AppState, project: &str, result: &PageResult) {
    let metrics = &state.metrics;
    let labels = ProjectLabels {
        project: project.to_owned(),
    };
    metrics.pages.get_or_create(&labels).inc();
    metrics
        .events
        .get_or_create(&labels)
        .inc_by(result.events.len() as u64);
    metrics
        .handler_calls
        .get_or_create(&labels)
        .inc_by(result.stats.handler_micros.len() as u64);
    for micros in &result.stats.handler_micros {
        metrics.handler_seconds.observe(*micros as f64 / 1e6);
    }
    for event in &result.events {
        for e in &event.errors {
            metrics
                .handler_errors
                .get_or_create(&ErrorLabels {
                    project: project.to_owned(),
                    kind: e.kind.to_owned(),
                })
                .inc();
            tracing::warn!(
                project,
                event = %event.name,
                handler = %e.handler,
                kind = e.kind,
                message = %e.message,
                "handler error"
            );
        }
    }
}

async fn reload(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
) -> Response {
    if !peer.ip().is_loopback() {
        return error(
            StatusCode::FORBIDDEN,
            "forbidden",
            "reload is only accepted from loopback",
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
        format!("no route for {} {}", request.method(), request.uri().path()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_labelled_by_pattern() {
        assert_eq!(
            route_of("/v1/projects/shop/process"),
            "/v1/projects/{id}/process"
        );
        assert_eq!(route_of("/v1/process"), "/v1/process");
        assert_eq!(route_of("/etc/passwd"), "other");
    }
}
