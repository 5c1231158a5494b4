//! Shared by the end-to-end tests: the real `handlebox` binary, a server
//! started on a loopback port, and a minimal HTTP/1.1 client.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

/// The binary under test.
pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_handlebox")
}

/// The repository root (fixtures are relative to it).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The module cache the binary under test uses: the target directory's, so
/// that tests never write the user's `~/.cache`.
pub fn module_cache() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("module-cache")
}

/// A command's stdout as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A command's stderr as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs `handlebox ARGS` in the repository root.
pub fn handlebox(args: &[&str]) -> Output {
    Command::new(binary())
        .env("HANDLEBOX_CACHE_DIR", module_cache())
        .args(args)
        .current_dir(root())
        .output()
        .expect("the binary runs")
}

/// The text of the file at `path` (relative to the root).
pub fn fixture(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).expect("fixture")
}

/// A config file (in a fresh temp dir `name`) for Flocktory with site 1
/// and `enrichments` as its event variables; returns its path.
pub fn flocktory_config(name: &str, enrichments: serde_json::Value) -> PathBuf {
    let config = serde_json::json!({"integrations": {"Flocktory": {
        "siteId": "1", "eventEnrichments": enrichments
    }}});
    write(&temp_dir(name), "config.json", &config.to_string())
}

/// A handler body that keeps the CPU busy for `ms` milliseconds (under its
/// deadline), then runs `then`.
pub fn busy_handler(ms: u32, then: &str) -> String {
    format!("var t = Date.now(); while (Date.now() - t < {ms}) {{}} {then}")
}

/// A config directory for `serve --config DIR`: project `id` gets the
/// config at `fixture` (relative to the root), for each pair.
pub fn projects_dir(name: &str, projects: &[(&str, &str)]) -> PathBuf {
    let dir = temp_dir(name);
    for (id, config) in projects {
        write(&dir, &format!("{id}.json"), &fixture(config));
    }
    dir
}

/// A fresh temporary directory for one test.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("handlebox-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// A `handlebox serve` process on a loopback port; killed when dropped.
pub struct Server {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    stderr: PathBuf,
}

impl Server {
    /// Starts `handlebox serve --listen 127.0.0.1:0 ARGS` and waits until it
    /// says where it listens.
    pub fn start(args: &[&str]) -> Server {
        Self::start_command("serve", args)
    }

    /// Starts `handlebox COMMAND --listen 127.0.0.1:0 ARGS` (`serve` or
    /// `playground`) and waits until it says where it listens.
    pub fn start_command(command: &str, args: &[&str]) -> Server {
        let stderr = std::env::temp_dir().join(format!(
            "handlebox-serve-{}-{}.log",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        ));
        let mut child = Command::new(binary())
            .env("HANDLEBOX_CACHE_DIR", module_cache())
            .args([command, "--listen", "127.0.0.1:0"])
            .args(args)
            .current_dir(root())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).expect("log file"))
            .spawn()
            .expect("the server starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("a first line");
        let addr = line
            .trim()
            .rsplit("http://")
            .next()
            .and_then(|a| a.split(['/', ' ']).next())
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| {
                panic!(
                    "no address in {line:?}; stderr: {}",
                    std::fs::read_to_string(&stderr).unwrap_or_default()
                )
            });
        Server {
            child,
            addr,
            stderr,
        }
    }

    /// `method path` with `body`.
    pub fn request(&self, method: &str, path: &str, body: &[u8]) -> Response {
        request(self.addr, method, path, body)
    }

    /// Waits until the server runs at least `count` pages at once (as
    /// `/metrics` says), up to 20 s.
    pub fn wait_busy(&self, count: f64) {
        self.wait_metric("handlebox_busy_workers", |value| value >= count);
    }

    /// Waits until `series` in `/metrics` satisfies `done`, up to 20 s.
    pub fn wait_metric(&self, series: &str, done: impl Fn(f64) -> bool) {
        let started = std::time::Instant::now();
        loop {
            let text = self.request("GET", "/metrics", b"").text();
            if done(metric(&text, series)) {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "{series} never got there:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `POST path` with the file at `fixture` (relative to the root).
    pub fn post_file(&self, path: &str, fixture: &str) -> Response {
        let body = std::fs::read(root().join(fixture)).expect("fixture");
        self.request("POST", path, &body)
    }

    /// Sends `signal` (e.g. `-HUP`) to the server.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// Waits for the server to exit, up to `limit`; its exit code.
    pub fn wait(&mut self, limit: Duration) -> Option<i32> {
        let started = std::time::Instant::now();
        while started.elapsed() < limit {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// What the server logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.stderr);
    }
}

/// An HTTP response.
#[derive(Debug)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Header lines, lower-cased names.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One HTTP/1.1 request with `Connection: close`.
pub fn request(addr: SocketAddr, method: &str, path: &str, body: &[u8]) -> Response {
    request_with(addr, method, path, &[], body)
}

/// One HTTP/1.1 request with `Connection: close` and extra header lines.
pub fn request_with(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Response {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let extra: String = headers
        .iter()
        .map(|(name, value)| format!("{name}: {value}\r\n"))
        .collect();
    // A `Host` given in `headers` replaces the address.
    let host = if headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("host"))
    {
        String::new()
    } else {
        format!("Host: {addr}\r\n")
    };
    let head = format!(
        "{method} {path} HTTP/1.1\r\n{host}Content-Type: application/json\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).expect("write head");
    let _ = stream.write_all(body);
    read_response(&mut stream)
}

/// Reads one response from `stream` until the server closes it.
pub fn read_response(stream: &mut TcpStream) -> Response {
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no response head in {:?}", String::from_utf8_lossy(&raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let body = raw[split + 4..].to_vec();
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    Response {
        status,
        headers,
        body: if chunked { dechunk(&body) } else { body },
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = data.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&data[..end]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = end + 2;
        out.extend_from_slice(&data[start..(start + size).min(data.len())]);
        data = &data[(start + size + 2).min(data.len())..];
    }
    out
}

/// The value of `series` (name and labels, as printed) in Prometheus text.
pub fn metric(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| {
            line.strip_prefix(series)
                .and_then(|rest| rest.trim().parse().ok())
        })
        .unwrap_or_else(|| panic!("no {series} in\n{text}"))
}

/// Writes `text` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path
}
