//! `handlebox serve` against clients that misbehave, on loopback: a flood
//! on one project, slow and stalled connections, a client that goes away,
//! shutdown with a stalled connection open, forged log lines, and a dead-
//! letter directory that must not grow without bound.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{Server, fixture, metric, temp_dir};

#[test]
fn a_flood_on_one_project_does_not_cost_another_its_requests() {
    let dir = support::projects_dir(
        "fair",
        &[
            ("flood", "fixtures/configs/hostile.json"),
            ("shop", "fixtures/configs/shop.json"),
        ],
    );
    let server = Server::start(&[
        "--config",
        dir.to_str().unwrap(),
        "--workers",
        "2",
        "--queue",
        "4",
        "--deadline-ms",
        "1000",
        "--page-time-ms",
        "1500",
    ]);
    let addr = server.addr;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flood: Vec<_> = (0..12)
        .map(|_| {
            let stop = stop.clone();
            let page = fixture("fixtures/pages/home-anonymous.json");
            thread::spawn(move || {
                let mut statuses = Vec::new();
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let response = support::request(
                        addr,
                        "POST",
                        "/v1/projects/flood/process",
                        page.as_bytes(),
                    );
                    statuses.push(response.status);
                    if response.status == 503 {
                        thread::sleep(Duration::from_millis(20));
                    }
                }
                statuses
            })
        })
        .collect();
    server.wait_busy(1.0);
    let expected = fixture("fixtures/pages/thank-you.json");
    let mut slowest = Duration::ZERO;
    for _ in 0..20 {
        let started = Instant::now();
        let response = server.request("POST", "/v1/projects/shop/process", expected.as_bytes());
        slowest = slowest.max(started.elapsed());
        assert_eq!(
            response.status,
            200,
            "the shop was refused: {}",
            response.text()
        );
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let statuses: Vec<u16> = flood.into_iter().flat_map(|t| t.join().unwrap()).collect();
    assert!(
        statuses.contains(&503),
        "the flood filled its own queue: {statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 503),
        "{statuses:?}"
    );
    // One flood page holds its worker for at most its 1.5 s budget.
    assert!(
        slowest < Duration::from_secs(3),
        "the shop waited {slowest:?}"
    );
}

/// Opens a connection and sends `bytes` without finishing the request.
fn stall(server: &Server, bytes: &[u8]) -> TcpStream {
    let mut stream = TcpStream::connect(server.addr).expect("connect");
    stream.write_all(bytes).expect("partial request");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    stream
}

/// Reads until the server closes `stream`; what it sent, and when.
fn until_closed(mut stream: TcpStream) -> (String, Instant) {
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    (String::from_utf8_lossy(&raw).into_owned(), Instant::now())
}

#[test]
fn slow_clients_are_cut_at_the_read_timeout_and_cannot_hold_every_connection() {
    let server = Server::start(&["--read-timeout-ms", "700", "--max-connections", "8"]);
    let started = Instant::now();
    // Headers that never end, and a body that never arrives.
    let mut stalled: Vec<TcpStream> = (0..6)
        .map(|_| {
            stall(
                &server,
                b"POST /v1/process HTTP/1.1\r\nHost: x\r\nX-Slow: 1",
            )
        })
        .collect();
    stalled.extend((0..14).map(|_| {
        stall(
            &server,
            b"POST /v1/process HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"digitalData\":",
        )
    }));
    // Twenty stalled connections against a cap of eight: a real request
    // still gets through once the read timeout frees places.
    let page = fixture("fixtures/pages/thank-you.json");
    let response = server.request("POST", "/v1/process", page.as_bytes());
    assert_eq!(response.status, 200, "{}", response.text());
    let mut body_timeouts = 0;
    for stream in stalled {
        let (answer, closed) = until_closed(stream);
        assert!(
            closed.duration_since(started) < Duration::from_secs(8),
            "a stalled connection stayed open {:?}",
            closed.duration_since(started)
        );
        if answer.starts_with("HTTP/1.1 408") {
            assert!(answer.contains("\"code\":\"body_timeout\""), "{answer}");
            body_timeouts += 1;
        }
    }
    assert_eq!(body_timeouts, 14, "each stalled body is answered 408");
}

#[test]
fn sigterm_with_a_stalled_connection_exits_within_the_drain_time() {
    let mut server = Server::start(&["--read-timeout-ms", "60000", "--drain-ms", "500"]);
    let _stalled = stall(
        &server,
        b"POST /v1/process HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{",
    );
    let _idle = stall(&server, b"GET /healthz HTTP/1.1\r\nHost: x\r\n");
    thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    server.signal("-TERM");
    assert_eq!(
        server.wait(Duration::from_secs(10)),
        Some(0),
        "{}",
        server.log()
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "shutdown took {:?}",
        started.elapsed()
    );
}

#[test]
fn a_client_that_goes_away_cancels_its_page_at_the_next_handler_call() {
    // One event, 200 products, a product variable of 45 ms: 9 s in a single
    // guest request if it ran to the end, so only a check at each handler
    // call can stop it early.
    let config = support::flocktory_config(
        "cancel",
        json!([{"scope": "product", "prop": "id", "event": "",
                "handler": support::busy_handler(45, "return product.id;")}]),
    );
    let server = Server::start(&[
        "--config",
        config.to_str().unwrap(),
        "--page-time-ms",
        "60000",
        "--deadline-ms",
        "1000",
    ]);
    let products: Vec<Value> = (0..200).map(|i| json!({"id": format!("p{i}")})).collect();
    let page = json!({"digitalData": {"events": [
        {"name": "Viewed Product Listing", "listing": {"items": products}}
    ]}})
    .to_string();
    let mut stream = TcpStream::connect(server.addr).expect("connect");
    let head = format!(
        "POST /v1/process HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
        page.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(page.as_bytes()).unwrap();
    server.wait_busy(1.0);
    let gone = Instant::now();
    drop(stream);
    server.wait_metric("handlebox_busy_workers", |busy| busy == 0.0);
    assert!(
        gone.elapsed() < Duration::from_secs(2),
        "the page ran on for {:?} after its client left",
        gone.elapsed()
    );
    assert!(server.log().contains("page cancelled"), "{}", server.log());
}

#[test]
fn page_text_cannot_forge_log_lines_and_json_logs_parse() {
    let forged = "Viewed Page\n2026-01-01T00:00:00Z INFO forged: reload done";
    let page = json!({"digitalData": {"events": [{"name": forged}]}}).to_string();
    // A handler whose error message carries the event's name.
    let config = support::flocktory_config(
        "forged-logs",
        json!([{"scope": "event", "prop": "x", "event": "", "handler": "throw new Error(event.name);"}]),
    );
    for format in ["text", "json"] {
        let server = Server::start(&["--config", config.to_str().unwrap(), "--log-format", format]);
        let response = server.request("POST", "/v1/process", page.as_bytes());
        assert_eq!(response.status, 200);
        // Wait for the request's own log line, written after the answer.
        let started = Instant::now();
        while !server.log().contains("handler error") && started.elapsed() < Duration::from_secs(10)
        {
            thread::sleep(Duration::from_millis(20));
        }
        let log = server.log();
        assert!(log.contains("handler error"), "{format}: {log}");
        for line in log.lines() {
            assert!(
                !line.starts_with("2026-01-01T00:00:00Z INFO forged"),
                "{format}: a forged line: {line}"
            );
            if format == "json" {
                let entry: Value =
                    serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
                assert!(entry["level"].is_string(), "{line}");
            }
        }
        if format == "json" {
            let errors: Vec<Value> = log
                .lines()
                .filter_map(|l| serde_json::from_str::<Value>(l).ok())
                .filter(|e| e["message"] == "handler error")
                .collect();
            assert!(!errors.is_empty(), "{log}");
        } else {
            assert!(
                log.contains(r"INFO forged: reload done"),
                "the text is kept, escaped"
            );
            assert!(
                log.contains(r#"error="Error: Viewed Page\n2026"#),
                "a quoted field: {log}"
            );
        }
    }
}

#[test]
fn dead_letters_keep_to_their_quota_are_private_and_can_leave_out_cookies() {
    let dir = temp_dir("dead-quota");
    let dead = dir.join("dead");
    let server = Server::start(&[
        "--config",
        "fixtures/configs/throwing.json",
        "--dead-letter",
        dead.to_str().unwrap(),
        "--dead-letter-max-mib",
        "1",
        "--dead-letter-omit-cookies",
    ]);
    let padding = "p".repeat(100_000);
    for i in 0..30 {
        let page =
            json!({"digitalData": {"events": [{"name": "Viewed Page"}], "note": padding, "n": i},
                          "cookies": {"session": "secret-session-id"}})
            .to_string();
        let response = server.request("POST", "/v1/process", page.as_bytes());
        assert_eq!(response.status, 200);
        assert!(
            !response.json()["events"][0]["errors"]
                .as_array()
                .unwrap()
                .is_empty()
        );
    }
    let files: Vec<_> = std::fs::read_dir(&dead).unwrap().flatten().collect();
    let total: u64 = files
        .iter()
        .map(|f| f.metadata().unwrap().len().div_ceil(4096) * 4096)
        .sum();
    assert!(total <= 1 << 20, "{total} bytes kept");
    assert!(
        (8..=10).contains(&files.len()),
        "{} files kept",
        files.len()
    );
    let mut kept: Vec<i64> = Vec::new();
    for file in &files {
        let mode = file.metadata().unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{:?}", file.path());
        let text = std::fs::read_to_string(file.path()).unwrap();
        assert!(!text.contains("secret-session-id"), "cookies were kept");
        let page: Value = serde_json::from_str(&text).unwrap();
        kept.push(page["digitalData"]["n"].as_i64().unwrap());
    }
    kept.sort_unstable();
    assert_eq!(
        kept.last(),
        Some(&29),
        "the newest pages are kept: {kept:?}"
    );
    assert!(kept[0] >= 19, "the oldest went first: {kept:?}");
}

#[test]
fn every_error_status_is_json_over_the_wire() {
    let server = Server::start(&[]);
    for (method, path, status, code) in [
        ("OPTIONS", "/v1/process", 405, "method_not_allowed"),
        ("DELETE", "/healthz", 405, "method_not_allowed"),
        ("GET", "/nowhere", 404, "not_found"),
        ("POST", "/v1/admin/reload", 403, "forbidden"),
    ] {
        let response = server.request(method, path, b"");
        assert_eq!(
            response.status,
            status,
            "{method} {path}: {}",
            response.text()
        );
        assert_eq!(response.header("content-type"), Some("application/json"));
        assert_eq!(response.json()["error"]["code"], code, "{method} {path}");
        if status == 405 {
            assert!(response.header("allow").is_some(), "{method} {path}");
        }
        // Clients learn how long an idle connection is kept (the read
        // timeout), so they do not reuse one the server is closing.
        assert_eq!(response.header("keep-alive"), Some("timeout=10"));
    }
    let text = server.request("GET", "/metrics", b"").text();
    assert_eq!(
        metric(
            &text,
            "handlebox_http_requests_total{route=\"/v1/process\",status=\"405\"}"
        ),
        1.0
    );
}
