//! A project directory — `config.json` with handlers as `.js` files beside
//! it — wherever a config is accepted, and `handlebox pack` for the admin
//! panel, through the real binary and server.

mod support;

use std::path::Path;

use serde_json::Value;
use support::{Server, handlebox, stderr, stdout, temp_dir, write};

const PROJECT: &str = "fixtures/project";
const SHOP: &str = "fixtures/configs/shop.json";
const THANK_YOU: &str = "fixtures/pages/thank-you.json";

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// A copy of the fixture project at `dir`, its `spot` handler `spot`.
fn project_with_spot(dir: std::path::PathBuf, spot: &str) -> std::path::PathBuf {
    std::fs::create_dir_all(dir.join("handlers")).unwrap();
    for entry in std::fs::read_dir(Path::new(PROJECT).join("handlers")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        std::fs::copy(&path, dir.join("handlers").join(name)).unwrap();
    }
    std::fs::copy(
        Path::new(PROJECT).join("config.json"),
        dir.join("config.json"),
    )
    .unwrap();
    write(&dir.join("handlers"), "spot.js", spot);
    dir
}

#[test]
fn a_project_directory_runs_as_its_packed_config() {
    let from_dir = handlebox(&[
        "run", "--config", PROJECT, "--page", THANK_YOU, "--format", "json",
    ]);
    assert_eq!(from_dir.status.code(), Some(0), "{}", stderr(&from_dir));
    let from_file = handlebox(&[
        "run", "--config", SHOP, "--page", THANK_YOU, "--format", "json",
    ]);
    assert_eq!(json(&stdout(&from_dir)), json(&stdout(&from_file)));

    let packed = handlebox(&["pack", "--config", PROJECT]);
    assert_eq!(packed.status.code(), Some(0), "{}", stderr(&packed));
    assert_eq!(
        json(&stdout(&packed)),
        json(&support::fixture(SHOP)),
        "pack writes the config the admin panel imports"
    );

    let out = temp_dir("pack-output").join("shop.json");
    let written = handlebox(&[
        "pack",
        "--config",
        PROJECT,
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(written.status.code(), Some(0), "{}", stderr(&written));
    assert!(
        stderr(&written).contains("3 handler files packed into"),
        "{}",
        stderr(&written)
    );
    assert_eq!(
        json(&std::fs::read_to_string(&out).unwrap()),
        json(&support::fixture(SHOP))
    );
}

#[test]
fn check_and_pack_point_into_the_handler_file() {
    let dir = project_with_spot(
        temp_dir("project-broken"),
        "if (_digitalData('website.redesign')) {\n  return 'redesign' +;\n}\n",
    );
    let out = handlebox(&[
        "check",
        "--format",
        "pretty",
        "--config",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let expected = format!(
        "error: Flocktory option eventEnrichments[0].handler ({} line 2, column 22): SyntaxError",
        dir.join("handlers/spot.js").display()
    );
    assert!(stdout(&out).contains(&expected), "{}", stdout(&out));

    let packed = handlebox(&["pack", "--config", dir.to_str().unwrap()]);
    assert_eq!(packed.status.code(), Some(1));
    assert!(
        stdout(&packed).is_empty(),
        "nothing is packed: {}",
        stdout(&packed)
    );
    assert!(
        stderr(&packed).contains(&expected[7..]),
        "{}",
        stderr(&packed)
    );
    assert!(
        stderr(&packed).contains("not packed: 1 error"),
        "{}",
        stderr(&packed)
    );

    let missing = temp_dir("project-missing");
    write(
        &missing,
        "config.json",
        r#"{"integrations": {"Flocktory": {"siteId": "1", "eventEnrichments": [{"prop": "spot", "handler": {"file": "handlers/nope.js"}}]}}}"#,
    );
    let out = handlebox(&[
        "check",
        "--format",
        "pretty",
        "--config",
        missing.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "an unreadable file is a problem of the config"
    );
    let expected = format!(
        "error: Flocktory option eventEnrichments[0].handler ({}): cannot read",
        missing.join("handlers/nope.js").display()
    );
    assert!(stdout(&out).contains(&expected), "{}", stdout(&out));
}

#[test]
fn eval_and_test_take_a_project_directory() {
    let out = handlebox(&[
        "eval",
        "--config",
        PROJECT,
        "--handler",
        "spot",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json(&stdout(&out))["value"], "redesign");

    let dir = temp_dir("project-tests");
    let root = support::root();
    let file = write(
        &dir,
        "spot.test.json",
        &serde_json::json!({
            "config": root.join(PROJECT),
            "cases": [{"name": "spot from the file", "page": root.join(THANK_YOU),
                       "expect": {"variables": [{"event": "Viewed Page", "prop": "spot", "value": "redesign"}]}}]
        })
        .to_string(),
    );
    let out = handlebox(&["test", "--format", "pretty", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn the_server_serves_a_project_directory_and_projects_as_directories() {
    let server = Server::start(&["--config", PROJECT]);
    let answer = server.post_file("/v1/process", THANK_YOU);
    let body = String::from_utf8_lossy(&answer.body);
    assert_eq!(answer.status, 200, "{body}");
    assert!(
        body.contains("\"prop\":\"spot\",\"value\":\"redesign\""),
        "{body}"
    );
    drop(server);

    let projects = temp_dir("projects-with-dirs");
    project_with_spot(projects.join("shop"), "return 'from the file';\n");
    write(
        &projects,
        "demo.json",
        &support::fixture("fixtures/configs/demo.json"),
    );
    let server = Server::start(&["--config", projects.to_str().unwrap()]);
    let answer = server.post_file("/v1/projects/shop/process", THANK_YOU);
    let body = String::from_utf8_lossy(&answer.body);
    assert_eq!(answer.status, 200, "{body}");
    assert!(body.contains("\"value\":\"from the file\""), "{body}");
    let demo = server.post_file("/v1/projects/demo/process", THANK_YOU);
    assert_eq!(demo.status, 200, "{}", String::from_utf8_lossy(&demo.body));
}

#[test]
fn two_projects_of_one_name_are_refused() {
    let projects = temp_dir("projects-twice");
    write(&projects, "shop.json", &support::fixture(SHOP));
    let dir = projects.join("shop");
    std::fs::create_dir_all(&dir).unwrap();
    write(&dir, "config.json", &support::fixture(SHOP));
    let out = handlebox(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--config",
        projects.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is project \"shop\" too"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn check_names_every_handler_file_it_cannot_read() {
    let dir = project_with_spot(temp_dir("project-unreadable"), "return 1;\n");
    std::fs::remove_file(dir.join("handlers/spot.js")).unwrap();
    std::fs::remove_file(dir.join("handlers/ignore-internal-traffic.js")).unwrap();
    let config = dir.to_str().unwrap();
    let out = handlebox(&["check", "--config", config, "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = json(&stdout(&out));
    let errors = report["errors"].as_array().expect("errors");
    let options: Vec<&str> = errors
        .iter()
        .map(|e| e["option"].as_str().unwrap())
        .collect();
    assert_eq!(
        options,
        ["eventEnrichments[0].handler", "overrideFunctions.event"],
        "both files, and nothing about the empty handlers left in their place: {report:#}"
    );
    assert_eq!(
        errors[0]["file"],
        dir.join("handlers/spot.js").display().to_string()
    );
    assert!(
        errors[1]["message"]
            .as_str()
            .unwrap()
            .contains("ignore-internal-traffic.js: No such file"),
        "{report:#}"
    );
    let pretty = handlebox(&["check", "--config", config, "--format", "pretty"]);
    assert!(
        stdout(&pretty).ends_with("1 warning\n") && stdout(&pretty).contains(": 2 errors, "),
        "{}",
        stdout(&pretty)
    );

    let run = handlebox(&["run", "--config", config, "--page", THANK_YOU]);
    assert_eq!(run.status.code(), Some(2));
    let err = stderr(&run);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains("eventEnrichments[0].handler.file: cannot read")
            && err
                .contains("; $.integrations[0].options.overrideFunctions.event.file: cannot read"),
        "{err}"
    );
}

#[test]
fn a_handler_error_at_run_time_names_the_handler_file() {
    let dir = project_with_spot(
        temp_dir("project-throwing"),
        &std::fs::read_to_string(Path::new(PROJECT).join("handlers/broken-null-user.js")).unwrap(),
    );
    let config = dir.to_str().unwrap();
    let spot = dir.join("handlers/spot.js").display().to_string();
    let page = "fixtures/pages/home-anonymous.json";
    let run = handlebox(&[
        "run", "--config", config, "--page", page, "--format", "pretty",
    ]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let expected = format!(
        "error    Flocktory eventEnrichments[0] (spot): thrown at {spot} line 1, column 24: TypeError: Cannot read properties of undefined (reading 'email')"
    );
    assert!(stdout(&run).contains(&expected), "{}", stdout(&run));
    let eval = handlebox(&[
        "eval",
        "--config",
        config,
        "--handler",
        "spot",
        "--page",
        page,
        "--format",
        "pretty",
    ]);
    assert!(
        stdout(&eval).starts_with(&format!(
            "handler   Flocktory eventEnrichments[0].handler ({spot}) on event \"Viewed Page\""
        )),
        "{}",
        stdout(&eval)
    );
    let cases = write(
        &dir,
        "spot.test.json",
        &serde_json::json!({
            "config": dir,
            "cases": [{"name": "spot on the home page", "page": support::root().join(page),
                       "expect": {"variables": [{"event": "Viewed Page", "prop": "spot", "value": "old"}]}}]
        })
        .to_string(),
    );
    let test = handlebox(&["test", "--format", "pretty", cases.to_str().unwrap()]);
    assert_eq!(test.status.code(), Some(1));
    assert!(
        stdout(&test).contains(&format!(
            "Viewed Page: Flocktory eventEnrichments[0] (spot) thrown at {spot} line 1, column 24: TypeError"
        )),
        "{}",
        stdout(&test)
    );
}
