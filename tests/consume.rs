//! `handlebox consume` against a real `nats-server` (Debian's package, run
//! with `-js` on a free loopback port and a temporary store): every page
//! gets its Result, a worker killed mid-batch loses nothing, workers go on
//! through a server restart, SIGTERM finishes the pages in flight, bad
//! messages are dead letters, and a conflicting stream is refused.

mod support;

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::ops::Not;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use async_nats::HeaderMap;
use async_nats::jetstream::{self, consumer, stream};
use futures_util::StreamExt;
use serde_json::Value;
use support::{binary, fixture, handlebox, module_cache, root, temp_dir};

const SHOP: &str = "fixtures/configs/shop.json";
const SLOW: &str = "fixtures/configs/slow-handler.json";
const PAGES: [&str; 5] = [
    "fixtures/pages/thank-you.json",
    "fixtures/pages/home-anonymous.json",
    "fixtures/pages/product.json",
    "fixtures/pages/cart.json",
    "fixtures/pages/listing-24.json",
];

/// A `nats-server -js` on a loopback port; stopped when dropped.
struct Nats {
    child: Child,
    port: u16,
    store: PathBuf,
}

impl Nats {
    fn start(name: &str) -> Nats {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        Self::on(port, temp_dir(&format!("nats-{name}")))
    }

    fn on(port: u16, store: PathBuf) -> Nats {
        // Debian puts it in /usr/sbin, which a user's PATH may lack.
        let program = if std::path::Path::new("/usr/sbin/nats-server").exists() {
            "/usr/sbin/nats-server"
        } else {
            "nats-server"
        };
        let child = Command::new(program)
            .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
            .arg(&store)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server runs (bash .ci/test installs it)");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "nats-server did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Nats { child, port, store }
    }

    fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Stops the server and starts it again on the same port and store.
    fn restart(self) -> Nats {
        let (port, store) = (self.port, self.store.clone());
        drop(self);
        Self::on(port, store)
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `handlebox consume` process, its stderr in a file; killed when
/// dropped.
struct Worker(Child, PathBuf);

impl Worker {
    fn start(nats: &Nats, config: &str, extra: &[&str]) -> Worker {
        let log = nats.store.with_extension(format!(
            "worker-{}.log",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        ));
        let child = Command::new(binary())
            .env("HANDLEBOX_CACHE_DIR", module_cache())
            .args(["consume", "--nats", &nats.url(), "--config", config])
            .args(if extra.contains(&"--ack-wait-ms") {
                &[][..]
            } else {
                &["--ack-wait-ms", "3000"][..]
            })
            .args(extra)
            .current_dir(root())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("a log file"))
            .spawn()
            .expect("the worker starts");
        Worker(child, log)
    }

    /// What the worker wrote on stderr so far.
    fn log(&self) -> String {
        std::fs::read_to_string(&self.1).unwrap_or_default()
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.0.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// Waits for the worker to exit, up to `limit`; its exit code.
    fn wait(&mut self, limit: Duration) -> Option<i32> {
        let started = Instant::now();
        while started.elapsed() < limit {
            if let Ok(Some(status)) = self.0.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

/// Publishes `pages` (id, body) to the pages subject, creating the stream
/// first as the worker would.
async fn publish(url: &str, pages: &[(String, Vec<u8>)]) {
    let client = async_nats::connect(url).await.expect("connect");
    let js = jetstream::new(client);
    js.get_or_create_stream(stream::Config {
        name: "HANDLEBOX".to_owned(),
        subjects: vec!["handlebox.pages".to_owned()],
        storage: stream::StorageType::File,
        ..Default::default()
    })
    .await
    .expect("the stream");
    for (id, body) in pages {
        let mut headers = HeaderMap::new();
        if !id.is_empty() {
            headers.insert("Nats-Msg-Id", id.as_str());
        }
        js.publish_with_headers("handlebox.pages", headers, body.clone().into())
            .await
            .expect("publish")
            .await
            .expect("stored");
    }
}

/// The messages of `stream` (all of them, from the start), by
/// `Handlebox-Page`, once `wanted` distinct pages are there or `limit`
/// passed.
async fn collect(
    url: &str,
    stream_name: &str,
    wanted: usize,
    limit: Duration,
) -> Vec<(String, async_nats::jetstream::Message)> {
    let client = async_nats::connect(url).await.expect("connect");
    let js = jetstream::new(client);
    let started = Instant::now();
    let stream = loop {
        match js.get_stream(stream_name).await {
            Ok(stream) => break stream,
            Err(_) if started.elapsed() < limit => {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            Err(e) => panic!("no stream {stream_name}: {e}"),
        }
    };
    let reader = stream
        .create_consumer(consumer::pull::Config {
            deliver_policy: consumer::DeliverPolicy::All,
            ack_policy: consumer::AckPolicy::None,
            ..Default::default()
        })
        .await
        .expect("a reader");
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    while seen.len() < wanted && started.elapsed() < limit {
        let mut batch = reader
            .fetch()
            .max_messages(100)
            .expires(Duration::from_millis(500))
            .messages()
            .await
            .expect("fetch");
        while let Some(Ok(message)) = batch.next().await {
            let id = header(&message, "Handlebox-Page");
            seen.insert(id.clone());
            out.push((id, message));
        }
    }
    out
}

/// The shared consumer's pages delivered and not acked yet, and not
/// delivered yet.
async fn consumer_state(url: &str) -> (usize, u64) {
    let js = jetstream::new(async_nats::connect(url).await.expect("connect"));
    let Ok(stream) = js.get_stream("HANDLEBOX").await else {
        return (0, 0);
    };
    let Ok(mut consumer) = stream
        .get_consumer::<consumer::pull::Config>("handlebox")
        .await
    else {
        return (0, 0);
    };
    match consumer.info().await {
        Ok(info) => (info.num_ack_pending, info.num_pending),
        Err(_) => (0, 0),
    }
}

/// Waits until the consumer has at least `count` pages out unacked.
fn wait_pending(rt: &tokio::runtime::Runtime, nats: &Nats, count: usize) {
    let started = Instant::now();
    while rt.block_on(consumer_state(&nats.url())).0 < count {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no page was taken"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A message's header `name`, or `""`.
fn header(message: &async_nats::jetstream::Message, name: &str) -> String {
    message
        .headers
        .as_ref()
        .and_then(|h| h.get(name))
        .map(|v| v.as_str().to_owned())
        .unwrap_or_default()
}

fn ids(messages: &[(String, async_nats::jetstream::Message)]) -> BTreeSet<String> {
    messages.iter().map(|(id, _)| id.clone()).collect()
}

fn pages(count: usize, prefix: &str) -> Vec<(String, Vec<u8>)> {
    (0..count)
        .map(|i| {
            let body: Value = serde_json::from_str(&fixture(PAGES[i % PAGES.len()])).expect("page");
            (format!("{prefix}{i}"), body.to_string().into_bytes())
        })
        .collect()
}

/// `count` pages of 50 events, each taking the slow config its whole
/// page budget.
fn slow_pages(count: usize, prefix: &str) -> Vec<(String, Vec<u8>)> {
    let slow: Value =
        serde_json::from_str(&fixture("fixtures/pages/browsing-50-events.json")).expect("page");
    (0..count)
        .map(|i| (format!("{prefix}{i}"), slow.to_string().into_bytes()))
        .collect()
}

#[test]
fn every_page_gets_its_result_and_bad_messages_are_dead_letters() {
    let nats = Nats::start("results");
    let rt = runtime();
    let mut batch = pages(40, "p");
    batch.push(("bad".to_owned(), b"{not json".to_vec()));
    // No `Nats-Msg-Id`: the Result carries its stream sequence, 42.
    batch.push((String::new(), fixture(PAGES[0]).into_bytes()));
    rt.block_on(publish(&nats.url(), &batch));
    let metrics_port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let metrics = format!("127.0.0.1:{metrics_port}");
    let other_port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let other = format!("127.0.0.1:{other_port}");
    let _a = Worker::start(&nats, SHOP, &["--workers", "2", "--metrics", &metrics]);
    let _b = Worker::start(&nats, SHOP, &["--workers", "2", "--metrics", &other]);
    let results = rt.block_on(collect(
        &nats.url(),
        "HANDLEBOX_RESULTS",
        41,
        Duration::from_secs(60),
    ));
    let mut expected: BTreeSet<String> = (0..40).map(|i| format!("p{i}")).collect();
    expected.insert("42".to_owned());
    assert_eq!(ids(&results), expected);
    // The Result is the one `handlebox run` gives.
    let first = results.iter().find(|(id, _)| id == "p0").expect("p0");
    let result: Value = serde_json::from_slice(&first.1.payload).expect("a Result");
    let cli = handlebox(&[
        "run", "--config", SHOP, "--page", PAGES[0], "--format", "json",
    ]);
    let cli: Value = serde_json::from_slice(&cli.stdout).expect("run JSON");
    assert_eq!(result["calls"], cli["calls"]);
    let dead = rt.block_on(collect(
        &nats.url(),
        "HANDLEBOX_DEAD",
        1,
        Duration::from_secs(20),
    ));
    assert_eq!(ids(&dead), BTreeSet::from(["bad".to_owned()]));
    let error = header(&dead[0].1, "Handlebox-Error");
    assert!(error.contains("not valid JSON"), "{error:?}");
    assert_eq!(&dead[0].1.payload[..], b"{not json");
    // The two workers' metrics count each page once (no page was
    // delivered twice here).
    let counted: f64 = [&metrics, &other]
        .iter()
        .map(|addr| {
            let text = support::request(addr.parse().unwrap(), "GET", "/metrics", b"").text();
            text.lines()
                .filter(|line| line.starts_with("handlebox_pages_total"))
                .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
                .sum::<f64>()
        })
        .sum();
    assert_eq!(counted, 41.0);
    assert_eq!(
        rt.block_on(consumer_state(&nats.url())),
        (0, 0),
        "every page acked"
    );
}

#[test]
fn a_result_too_large_for_the_server_is_a_dead_letter() {
    let nats = Nats::start("large");
    let rt = runtime();
    // Six events of a 250 KB value each: a Result past NATS's 1 MiB.
    let events: Vec<Value> = (0..6)
        .map(|_| serde_json::json!({"name": "Viewed Page"}))
        .collect();
    let page = serde_json::json!({"digitalData": {"events": events}}).to_string();
    rt.block_on(publish(
        &nats.url(),
        &[("big".to_owned(), page.into_bytes())],
    ));
    let worker = Worker::start(
        &nats,
        "fixtures/configs/large-value.json",
        &["--workers", "1"],
    );
    let dead = rt.block_on(collect(
        &nats.url(),
        "HANDLEBOX_DEAD",
        1,
        Duration::from_secs(30),
    ));
    assert_eq!(
        ids(&dead),
        BTreeSet::from(["big".to_owned()]),
        "{}",
        worker.log()
    );
    let error = header(&dead[0].1, "Handlebox-Error");
    assert!(
        error.contains("more than the NATS server's largest message"),
        "{error:?}"
    );
    let started = Instant::now();
    while rt.block_on(consumer_state(&nats.url())) != (0, 0) {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the page was never acked"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_killed_worker_loses_no_page() {
    let nats = Nats::start("kill");
    let rt = runtime();
    rt.block_on(publish(&nats.url(), &slow_pages(8, "s")));
    let mut first = Worker::start(&nats, SLOW, &["--workers", "4"]);
    // Each page takes its whole 1 s budget: kill the worker while it holds
    // pages, which only a redelivery can then finish.
    wait_pending(&rt, &nats, 1);
    first.signal("-KILL");
    assert_eq!(
        first.wait(Duration::from_secs(5)),
        None,
        "SIGKILL leaves no exit code"
    );
    assert!(
        rt.block_on(consumer_state(&nats.url())).0 >= 1,
        "pages left unacked"
    );
    let _second = Worker::start(&nats, SLOW, &["--workers", "4"]);
    let results = rt.block_on(collect(
        &nats.url(),
        "HANDLEBOX_RESULTS",
        8,
        Duration::from_secs(60),
    ));
    let expected: BTreeSet<String> = (0..8).map(|i| format!("s{i}")).collect();
    assert_eq!(ids(&results), expected, "every page, duplicates allowed");
}

#[test]
fn workers_go_on_when_the_server_restarts() {
    let nats = Nats::start("restart");
    let rt = runtime();
    rt.block_on(publish(&nats.url(), &pages(20, "a")));
    let _worker = Worker::start(&nats, SHOP, &["--workers", "2"]);
    let before = rt.block_on(collect(
        &nats.url(),
        "HANDLEBOX_RESULTS",
        20,
        Duration::from_secs(60),
    ));
    assert_eq!(ids(&before).len(), 20);
    let nats = nats.restart();
    rt.block_on(publish(&nats.url(), &pages(20, "b")));
    let after = rt.block_on(collect(
        &nats.url(),
        "HANDLEBOX_RESULTS",
        40,
        Duration::from_secs(60),
    ));
    assert_eq!(ids(&after).len(), 40, "{:?}", ids(&after));
}

#[test]
fn sigterm_finishes_the_pages_in_flight() {
    let nats = Nats::start("term");
    let rt = runtime();
    rt.block_on(publish(&nats.url(), &slow_pages(2, "t")));
    let mut worker = Worker::start(&nats, SLOW, &["--workers", "2"]);
    wait_pending(&rt, &nats, 2);
    worker.signal("-TERM");
    assert_eq!(
        worker.wait(Duration::from_secs(10)),
        Some(0),
        "{}",
        worker.log()
    );
    let results = rt.block_on(collect(
        &nats.url(),
        "HANDLEBOX_RESULTS",
        2,
        Duration::from_secs(5),
    ));
    assert_eq!(ids(&results).len(), 2, "both pages in flight were finished");
    assert_eq!(
        rt.block_on(consumer_state(&nats.url())),
        (0, 0),
        "acked, and nothing left"
    );
}

#[test]
fn a_conflicting_stream_is_refused() {
    let nats = Nats::start("conflict");
    let rt = runtime();
    rt.block_on(async {
        let js = jetstream::new(async_nats::connect(nats.url()).await.unwrap());
        js.create_stream(stream::Config {
            name: "HANDLEBOX".to_owned(),
            subjects: vec!["other.pages".to_owned()],
            ..Default::default()
        })
        .await
        .unwrap();
    });
    let mut worker = Worker::start(&nats, SHOP, &[]);
    assert_eq!(worker.wait(Duration::from_secs(20)), Some(2));
    let err = worker.log();
    assert!(
        err.contains(
            "the stream HANDLEBOX holds the subjects [\"other.pages\"], not --subject handlebox.pages"
        ),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");

    // A consumer made with another ack wait, on a stream that fits.
    let other = ["--stream", "OTHER", "--subject", "another.pages"];
    let mut worker = Worker::start(&nats, SHOP, &other);
    let started = Instant::now();
    while rt.block_on(consumer_exists(&nats.url(), "OTHER")).not() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{}",
            worker.log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    worker.signal("-TERM");
    assert_eq!(
        worker.wait(Duration::from_secs(10)),
        Some(0),
        "{}",
        worker.log()
    );
    let mut worker = Worker::start(
        &nats,
        SHOP,
        &[&other[..], &["--ack-wait-ms", "9000"]].concat(),
    );
    assert_eq!(worker.wait(Duration::from_secs(20)), Some(2));
    let err = worker.log();
    assert!(
        err.contains(
            "the consumer handlebox of stream OTHER waits 3000 ms for an ack, not --ack-wait-ms 9000"
        ),
        "{err}"
    );

    let mut worker = Worker::start(
        &nats,
        SHOP,
        &["--subject", "handlebox.>", "--stream", "WIDE"],
    );
    assert_eq!(worker.wait(Duration::from_secs(20)), Some(2));
    assert!(
        worker
            .log()
            .contains("--results handlebox.results is among the pages' subjects"),
        "{}",
        worker.log()
    );
}

/// Whether the stream `stream` has the consumer `handlebox`.
async fn consumer_exists(url: &str, stream: &str) -> bool {
    let js = jetstream::new(async_nats::connect(url).await.expect("connect"));
    match js.get_stream(stream).await {
        Ok(stream) => stream
            .get_consumer::<consumer::pull::Config>("handlebox")
            .await
            .is_ok(),
        Err(_) => false,
    }
}
