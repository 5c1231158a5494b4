//! The server's routes, errors and metrics in process: the router answers
//! requests through `tower::ServiceExt::oneshot`, with no socket. Signals
//! and the real process are tested through the binary (`tests/server.rs`).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use handlebox_flocktory::FlocktoryKind;
use handlebox_pipeline::Budget;
use handlebox_sandbox::{Sandbox, SandboxConfig};
use handlebox_server::{AppState, HttpLimits, ServerConfig, Source, routes};
use serde_json::Value;
use tower::ServiceExt;

/// The admin token the tests' servers require for reloads.
const TOKEN: &str = "test-admin-token";

fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn state(source: Source, body_limit: usize) -> Arc<AppState> {
    let sandbox = Sandbox::new(SandboxConfig {
        // A cache for this target directory's tests, never the user's own.
        cache_dir: Some(std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("module-cache")),
        ..SandboxConfig::default()
    })
    .expect("sandbox");
    let config = ServerConfig {
        source,
        kinds: vec![&FlocktoryKind],
        workers: 2,
        queue: 8,
        project_workers: 1,
        body_limit,
        max_events: 1000,
        budget: Budget::default(),
        dead_letter: None,
        admin_token: Some(TOKEN.to_owned()),
        http: HttpLimits::default(),
    };
    AppState::new(config, sandbox).expect("the configs load")
}

fn shop() -> Arc<AppState> {
    state(
        Source::File(root().join("fixtures/configs/shop.json")),
        1 << 20,
    )
}

/// Sends one request from `peer`; the status and the body as JSON (or text).
async fn send(state: &Arc<AppState>, request: Request<Body>, peer: &str) -> (StatusCode, Value) {
    let mut request = request;
    let peer: SocketAddr = peer.parse().expect("address");
    request.extensions_mut().insert(ConnectInfo(peer));
    let response = routes::router(state.clone())
        .oneshot(request)
        .await
        .expect("the router answers");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 16 << 20)
        .await
        .expect("a body");
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (status, body)
}

fn post(path: &str, body: impl Into<Body>) -> Request<Body> {
    Request::post(path)
        .header(header::CONTENT_TYPE, "application/json")
        .body(body.into())
        .expect("request")
}

fn get(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).expect("request")
}

const LOCAL: &str = "127.0.0.1:40000";

#[tokio::test]
async fn a_page_in_its_result_out() {
    let state = shop();
    let page = std::fs::read(root().join("fixtures/pages/thank-you.json")).unwrap();
    let (status, result) = send(&state, post("/v1/process", page), LOCAL).await;
    assert_eq!(status, StatusCode::OK, "{result}");
    assert!(
        result["loader"]
            .as_str()
            .is_some_and(|l| l.starts_with("https://api.flocktory.com/v2/loader.js?site_id="))
    );
    let commands: Vec<&str> = result["calls"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c[1][0].as_str())
        .collect();
    assert!(commands.contains(&"postcheckout"), "{commands:?}");
    assert_eq!(result["events"].as_array().map(Vec::len), Some(3));
}

#[tokio::test]
async fn every_error_has_its_status_and_code() {
    let state = state(
        Source::File(root().join("fixtures/configs/demo.json")),
        4096,
    );
    let cases = [
        (
            post("/v1/process", "{not json"),
            StatusCode::BAD_REQUEST,
            "bad_json",
        ),
        (
            post("/v1/process", "[1, 2]"),
            StatusCode::BAD_REQUEST,
            "bad_page",
        ),
        (
            post("/v1/process", vec![b' '; 8192]),
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
        ),
        (
            post("/v1/projects/nope/process", "{}"),
            StatusCode::NOT_FOUND,
            "unknown_project",
        ),
        (get("/v2/elsewhere"), StatusCode::NOT_FOUND, "not_found"),
        (
            Request::builder()
                .method("OPTIONS")
                .uri("/v1/process")
                .body(Body::empty())
                .unwrap(),
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
        (
            get("/v1/process"),
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
        (
            post("/v1/projects/%FF/process", "{}"),
            StatusCode::BAD_REQUEST,
            "bad_path",
        ),
    ];
    for (request, status, code) in cases {
        let path = request.uri().to_string();
        let (got, body) = send(&state, request, LOCAL).await;
        assert_eq!(got, status, "{path}: {body}");
        assert_eq!(body["error"]["code"], code, "{path}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{path}: {body}"
        );
    }
}

fn reload(token: Option<&str>) -> Request<Body> {
    let mut request = Request::builder().method("POST").uri("/v1/admin/reload");
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    request.body(Body::empty()).unwrap()
}

#[tokio::test]
async fn reload_needs_loopback_and_the_admin_token() {
    let state = shop();
    let (status, body) = send(&state, reload(Some(TOKEN)), "203.0.113.7:5000").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    for wrong in [None, Some("guess"), Some("test-admin-toke")] {
        let (status, body) = send(&state, reload(wrong), LOCAL).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{wrong:?}: {body}");
        assert_eq!(body["error"]["code"], "unauthorized");
    }
    let (status, body) = send(&state, reload(Some(TOKEN)), LOCAL).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["reloaded"], serde_json::json!(["default"]));
}

#[tokio::test]
async fn health_and_metrics_count_what_happened() {
    let state = shop();
    let (status, health) = send(&state, get("/healthz"), LOCAL).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(health["status"], "ok");
    let page = std::fs::read(root().join("fixtures/pages/thank-you.json")).unwrap();
    send(&state, post("/v1/process", page), LOCAL).await;
    send(&state, post("/v1/process", "{not json"), LOCAL).await;
    send(&state, post("/v1/projects/shop/process", "{}"), LOCAL).await;
    send(&state, get("/etc/passwd"), LOCAL).await;
    let (status, text) = send(&state, get("/metrics"), LOCAL).await;
    assert_eq!(status, StatusCode::OK);
    let text = text.as_str().expect("metrics are text").to_owned();
    let expected = [
        (
            "handlebox_http_requests_total{route=\"/v1/process\",status=\"200\"}",
            1.0,
        ),
        (
            "handlebox_http_requests_total{route=\"/v1/process\",status=\"400\"}",
            1.0,
        ),
        (
            "handlebox_http_requests_total{route=\"/v1/projects/{id}/process\",status=\"404\"}",
            1.0,
        ),
        (
            "handlebox_http_requests_total{route=\"other\",status=\"404\"}",
            1.0,
        ),
        ("handlebox_pages_total{project=\"default\"}", 1.0),
        ("handlebox_events_total{project=\"default\"}", 3.0),
        ("handlebox_queue_depth", 0.0),
    ];
    for (series, want) in expected {
        let got: Option<f64> = text
            .lines()
            .find_map(|l| l.strip_prefix(series))
            .and_then(|rest| rest.trim().parse().ok());
        assert_eq!(got, Some(want), "{series} in\n{text}");
    }
}
