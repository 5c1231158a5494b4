//! `handlebox serve` over HTTP on loopback: the same results as `handlebox
//! run`, every error status with its body, reload, graceful shutdown,
//! metrics, dead letters, and a hostile project contained.

mod support;

use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{Server, fixture, handlebox, metric, temp_dir, write};

fn run_json(config: &str, page: &str) -> Value {
    let out = handlebox(&[
        "run", "--config", config, "--page", page, "--format", "json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("run prints JSON")
}

#[test]
fn results_equal_handlebox_run() {
    let server = Server::start(&["--config", "fixtures/configs/shop.json"]);
    for page in [
        "fixtures/pages/thank-you.json",
        "fixtures/pages/home-anonymous.json",
        "fixtures/pages/browsing-50-events.json",
    ] {
        let response = server.post_file("/v1/process", page);
        assert_eq!(response.status, 200, "{page}: {}", response.text());
        assert_eq!(response.header("content-type"), Some("application/json"));
        assert_eq!(
            response.json(),
            run_json("fixtures/configs/shop.json", page),
            "{page}"
        );
    }
}

#[test]
fn recorded_reference_pages_make_the_same_calls_over_http() {
    let recording: Value =
        serde_json::from_str(&fixture("fixtures/conformance/flocktory-reference.json")).unwrap();
    let dir = temp_dir("conformance-http");
    let wanted = [
        "hand-funnel-all-on",
        "hand-ovr-both-order",
        "hand-ddm-updated-cart-v113",
        "hand-vp-spa-three-pages-user-changes",
    ];
    let cases: Vec<&Value> = recording["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| wanted.contains(&c["id"].as_str().unwrap_or_default()))
        .collect();
    assert_eq!(cases.len(), wanted.len());
    for case in &cases {
        let config = json!({"integrations": {"Flocktory": case["options"]}});
        write(
            &dir,
            &format!("{}.json", case["id"].as_str().unwrap()),
            &config.to_string(),
        );
    }
    let server = Server::start(&["--config", dir.to_str().unwrap()]);
    for case in cases {
        let id = case["id"].as_str().unwrap();
        let page = json!({"digitalData": case["digitalData"], "url": recording["defaultUrl"]});
        let response = server.request(
            "POST",
            &format!("/v1/projects/{id}/process"),
            page.to_string().as_bytes(),
        );
        assert_eq!(response.status, 200, "{id}: {}", response.text());
        assert_eq!(response.json()["calls"], case["expected"], "{id}");
    }
}

#[test]
fn every_error_status_has_a_json_body() {
    let server = Server::start(&["--body-limit", "4096"]);
    let cases: [(&str, &str, Vec<u8>, u16, &str); 6] = [
        (
            "POST",
            "/v1/process",
            b"{not json".to_vec(),
            400,
            "bad_json",
        ),
        ("POST", "/v1/process", b"[1, 2]".to_vec(), 400, "bad_page"),
        (
            "POST",
            "/v1/process",
            br#"{"digitalData": {"events": {}}}"#.to_vec(),
            400,
            "bad_page",
        ),
        (
            "POST",
            "/v1/process",
            vec![b' '; 10_000],
            413,
            "body_too_large",
        ),
        (
            "POST",
            "/v1/projects/nope/process",
            b"{}".to_vec(),
            404,
            "unknown_project",
        ),
        ("GET", "/v2/anything", Vec::new(), 404, "not_found"),
    ];
    for (method, path, body, status, code) in cases {
        let response = server.request(method, path, &body);
        assert_eq!(
            response.status,
            status,
            "{method} {path}: {}",
            response.text()
        );
        let error = &response.json()["error"];
        assert_eq!(error["code"], json!(code), "{method} {path}");
        assert!(!error["message"].as_str().unwrap_or_default().is_empty());
    }
    let bad_page = server.request("POST", "/v1/process", br#"{"digitalData": {"events": {}}}"#);
    assert!(
        bad_page.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("$.digitalData.events")
    );
    assert_eq!(server.request("GET", "/healthz", b"").status, 200);
}

#[test]
fn a_full_queue_answers_503_at_once() {
    let server = Server::start(&[
        "--config",
        "fixtures/configs/hostile.json",
        "--workers",
        "1",
        "--queue",
        "0",
        "--deadline-ms",
        "1500",
        "--page-time-ms",
        "20000",
    ]);
    let addr = server.addr;
    let page = fixture("fixtures/pages/home-anonymous.json");
    let slow =
        thread::spawn(move || support::request(addr, "POST", "/v1/process", page.as_bytes()));
    server.wait_busy(1.0);
    let refused = server.post_file("/v1/process", "fixtures/pages/home-anonymous.json");
    assert_eq!(refused.status, 503, "{}", refused.text());
    assert_eq!(refused.header("retry-after"), Some("1"));
    assert_eq!(refused.json()["error"]["code"], json!("overloaded"));
    let accepted = slow.join().unwrap();
    assert_eq!(accepted.status, 200);
    let kinds: Vec<Value> = accepted.json()["events"][0]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].clone())
        .collect();
    assert_eq!(
        kinds,
        [json!("timeout"), json!("memory")],
        "every event gets its errors"
    );
}

fn loader(server: &Server, project: &str) -> Value {
    let response = server.post_file(
        &format!("/v1/projects/{project}/process"),
        "fixtures/pages/home-anonymous.json",
    );
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()["loader"].clone()
}

#[test]
fn reload_takes_good_configs_and_keeps_serving_on_bad_ones() {
    let dir = temp_dir("reload");
    let config = |site: &str| json!({"integrations": {"Flocktory": {"siteId": site}}}).to_string();
    write(&dir, "a.json", &config("1"));
    let token = write(&dir, "admin-token", "  reload-secret\n");
    let server = Server::start(&[
        "--config",
        dir.to_str().unwrap(),
        "--admin-token-file",
        token.to_str().unwrap(),
    ]);
    let reload = || {
        support::request_with(
            server.addr,
            "POST",
            "/v1/admin/reload",
            &[("Authorization", "Bearer reload-secret")],
            b"",
        )
    };
    let unauthorized = server.request("POST", "/v1/admin/reload", b"");
    assert_eq!(unauthorized.status, 401, "{}", unauthorized.text());
    assert_eq!(
        loader(&server, "a"),
        json!("https://api.flocktory.com/v2/loader.js?site_id=1")
    );

    write(&dir, "a.json", &config("2"));
    server.signal("-HUP");
    let started = Instant::now();
    while loader(&server, "a") != json!("https://api.flocktory.com/v2/loader.js?site_id=2") {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "SIGHUP did not reload"
        );
        thread::sleep(Duration::from_millis(50));
    }

    write(
        &dir,
        "a.json",
        &fixture("fixtures/configs/broken-handler.json"),
    );
    let refused = reload();
    assert_eq!(refused.status, 422, "{}", refused.text());
    let message = refused.json()["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.contains("eventEnrichments[0].handler (line 1, column 38)"),
        "{message}"
    );
    assert!(
        message.contains("previous configs keep serving"),
        "{message}"
    );
    assert_eq!(
        loader(&server, "a"),
        json!("https://api.flocktory.com/v2/loader.js?site_id=2")
    );

    write(&dir, "a.json", &config("3"));
    write(&dir, "b.json", &config("4"));
    let accepted = reload();
    assert_eq!(accepted.status, 200);
    assert_eq!(accepted.json(), json!({"reloaded": ["a", "b"]}));
    assert_eq!(
        loader(&server, "b"),
        json!("https://api.flocktory.com/v2/loader.js?site_id=4")
    );
}

#[test]
fn a_bad_config_is_refused_at_start() {
    let out = handlebox(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--config",
        "fixtures/configs/broken-handler.json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("eventEnrichments[0].handler (line 1, column 38): SyntaxError"),
        "{err}"
    );
}

#[test]
fn sigterm_finishes_requests_in_flight_and_exits_0() {
    let mut server = Server::start(&[
        "--config",
        "fixtures/configs/hostile.json",
        "--deadline-ms",
        "1000",
        "--page-time-ms",
        "20000",
    ]);
    let addr = server.addr;
    let page = fixture("fixtures/pages/home-anonymous.json");
    let in_flight =
        thread::spawn(move || support::request(addr, "POST", "/v1/process", page.as_bytes()));
    server.wait_busy(1.0);
    server.signal("-TERM");
    let response = in_flight.join().unwrap();
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(
        response.json()["events"][0]["errors"][0]["kind"],
        json!("timeout")
    );
    assert_eq!(
        server.wait(Duration::from_secs(10)),
        Some(0),
        "{}",
        server.log()
    );
    assert!(server.log().contains("SIGTERM"));
}

#[test]
fn metrics_count_what_was_sent() {
    let server = Server::start(&[]);
    for _ in 0..3 {
        assert_eq!(
            server
                .post_file("/v1/process", "fixtures/pages/thank-you.json")
                .status,
            200
        );
    }
    assert_eq!(server.request("POST", "/v1/process", b"nope").status, 400);
    let text = server.request("GET", "/metrics", b"").text();
    let expected = [
        (
            "handlebox_http_requests_total{route=\"/v1/process\",status=\"200\"}",
            3.0,
        ),
        (
            "handlebox_http_requests_total{route=\"/v1/process\",status=\"400\"}",
            1.0,
        ),
        ("handlebox_pages_total{project=\"default\"}", 3.0),
        ("handlebox_events_total{project=\"default\"}", 9.0),
        ("handlebox_handler_calls_total{project=\"default\"}", 9.0),
        ("handlebox_handler_call_duration_seconds_count", 9.0),
        (
            "handlebox_http_request_duration_seconds_count{route=\"/v1/process\"}",
            4.0,
        ),
        ("handlebox_queue_depth", 0.0),
    ];
    for (series, value) in expected {
        assert_eq!(metric(&text, series), value, "{series}");
    }
    assert!(text.trim_end().ends_with("# EOF"));
}

#[test]
fn a_hostile_project_does_not_slow_or_break_another() {
    let dir = support::projects_dir(
        "hostile",
        &[
            ("hostile", "fixtures/configs/hostile.json"),
            ("shop", "fixtures/configs/shop.json"),
        ],
    );
    let server = Server::start(&[
        "--config",
        dir.to_str().unwrap(),
        "--workers",
        "2",
        "--deadline-ms",
        "3000",
        "--page-time-ms",
        "20000",
    ]);
    let expected = run_json(
        "fixtures/configs/shop.json",
        "fixtures/pages/thank-you.json",
    );
    let addr = server.addr;
    let attacks: Vec<_> = (0..2)
        .map(|_| {
            let page = fixture("fixtures/pages/home-anonymous.json");
            thread::spawn(move || {
                support::request(
                    addr,
                    "POST",
                    "/v1/projects/hostile/process",
                    page.as_bytes(),
                )
            })
        })
        .collect();
    server.wait_busy(1.0);
    for _ in 0..5 {
        let started = Instant::now();
        let response =
            server.post_file("/v1/projects/shop/process", "fixtures/pages/thank-you.json");
        let elapsed = started.elapsed();
        assert_eq!(response.status, 200, "{}", response.text());
        assert_eq!(response.json(), expected);
        // A shop page queued behind a hostile one would wait its 3 s deadline.
        assert!(
            elapsed < Duration::from_millis(2000),
            "the shop waited {elapsed:?}"
        );
    }
    for attack in attacks {
        let response = attack.join().unwrap();
        assert_eq!(response.status, 200);
        let errors = &response.json()["events"][0]["errors"];
        assert_eq!(errors[0]["kind"], json!("timeout"));
        assert_eq!(errors[1]["kind"], json!("memory"));
    }
    let text = server.request("GET", "/metrics", b"").text();
    assert_eq!(
        metric(
            &text,
            "handlebox_handler_errors_total{project=\"hostile\",kind=\"timeout\"}"
        ),
        2.0
    );
}

#[test]
fn dead_letters_replay_with_handlebox_run() {
    let dir = temp_dir("dead-letter");
    let dead = dir.join("dead");
    let server = Server::start(&[
        "--config",
        "fixtures/configs/throwing.json",
        "--dead-letter",
        dead.to_str().unwrap(),
    ]);
    let passing =
        br#"{"digitalData": {"user": {"email": "a@b.c"}, "events": [{"name": "Viewed Page"}]}}"#;
    let ok = server.request("POST", "/v1/process", passing);
    assert_eq!(
        ok.json()["events"][0]["variables"][0]["value"],
        json!("b.c")
    );
    let failed = server.post_file("/v1/process", "fixtures/pages/home-anonymous.json");
    assert_eq!(failed.status, 200);
    let files: Vec<_> = std::fs::read_dir(&dead)
        .expect("dead-letter dir")
        .flatten()
        .collect();
    assert_eq!(files.len(), 1, "only the failing page is kept");
    let saved = files[0].path();
    assert!(
        saved
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("default-")
    );
    let replay = run_json("fixtures/configs/throwing.json", saved.to_str().unwrap());
    assert_eq!(replay["events"], failed.json()["events"]);
}
