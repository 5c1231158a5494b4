//! The worker's loop: pull at most as many pages as there are free
//! workers, run each on a blocking thread, store its Result, then ack it.
//! A worker is free again once its page has run; storing and acking go on
//! beside the next page, for at most [`HELD_PER_WORKER`] pages a worker.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_nats::HeaderMap;
use async_nats::jetstream::{AckKind, Context, Message};
use futures_util::StreamExt;
use handlebox_pipeline::{Page, PageError, Pipeline};
use handlebox_server::metrics::Metrics;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;

use crate::{ConsumeConfig, ConsumeError, ERROR_HEADER, PAGE_HEADER, setup};

/// How long one pull waits for pages before asking again.
const PULL_EXPIRES: Duration = Duration::from_secs(1);

/// Pages a worker may hold per worker thread: the one it runs, and those
/// whose Results are being stored (storing waits for JetStream, not for
/// the CPU, so the next page runs meanwhile).
const HELD_PER_WORKER: usize = 4;

/// Deliveries of one page after which it goes to the dead-letter subject
/// instead of being run again: a page whose Result cannot be stored, or
/// that ends every worker that takes it, must not come back forever.
const MAX_DELIVERIES: i64 = 5;

/// Longest `Handlebox-Error` header kept, in bytes.
const MAX_ERROR_HEADER: usize = 1024;

/// What each page task needs.
struct Shared {
    context: Context,
    pipeline: Arc<Pipeline>,
    metrics: Arc<Metrics>,
    results: String,
    dead: String,
    project: String,
    /// The largest message the server takes, in bytes.
    max_payload: usize,
}

/// Serves the consumer `config` names with `pipeline` until `shutdown`
/// resolves; then stops pulling, finishes and acks the pages it holds, and
/// returns. Metrics count pages under the project name `project`.
pub async fn run(
    config: &ConsumeConfig,
    pipeline: Arc<Pipeline>,
    metrics: Arc<Metrics>,
    project: &str,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ConsumeError> {
    let streams = setup::prepare(config).await?;
    tracing::info!(
        nats = %config.nats,
        stream = %config.stream,
        consumer = %config.consumer,
        workers = config.workers,
        "consuming"
    );
    let shared = Arc::new(Shared {
        context: streams.context,
        pipeline,
        metrics,
        results: config.results.clone(),
        dead: config.dead.clone(),
        project: project.to_owned(),
        max_payload: streams.max_payload,
    });
    let room = Room {
        workers: Arc::new(Semaphore::new(config.workers.max(1))),
        held: Arc::new(Semaphore::new(config.workers.max(1) * HELD_PER_WORKER)),
    };
    let mut tasks = JoinSet::new();
    tokio::pin!(shutdown);
    'pulling: loop {
        while tasks.try_join_next().is_some() {}
        // A free worker before asking for pages, and never more pages than
        // free workers.
        let first = tokio::select! {
            permit = room.take() => match permit {
                Some(permit) => permit,
                None => break,
            },
            () = &mut shutdown => break,
        };
        let wanted = room.free() + 1;
        let batch = tokio::select! {
            batch = streams.consumer.fetch().max_messages(wanted).expires(PULL_EXPIRES).messages() => batch,
            () = &mut shutdown => break,
        };
        let mut messages = match batch {
            Ok(messages) => messages,
            Err(error) => {
                // The server is away (restarting, a network cut): the
                // client reconnects by itself; ask again soon.
                tracing::warn!(%error, "pulling pages failed; trying again");
                drop(first);
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_millis(250)) => continue,
                    () = &mut shutdown => break,
                }
            }
        };
        let mut first = Some(first);
        loop {
            let next = tokio::select! {
                next = messages.next() => next,
                () = &mut shutdown => {
                    give_back(messages).await;
                    break 'pulling;
                }
            };
            match next {
                None => break,
                Some(Ok(message)) => {
                    let permit = match first.take() {
                        Some(permit) => permit,
                        None => match room.take().await {
                            Some(permit) => permit,
                            None => break 'pulling,
                        },
                    };
                    tasks.spawn(handle(message, permit, shared.clone()));
                }
                Some(Err(error)) => {
                    // The consumer gone, too many pulls waiting, the server
                    // away: wait before asking again.
                    tracing::warn!(%error, "a pull ended early");
                    tokio::select! {
                        () = tokio::time::sleep(Duration::from_millis(250)) => break,
                        () = &mut shutdown => break 'pulling,
                    }
                }
            }
        }
    }
    tracing::info!(
        in_flight = tasks.len(),
        "stopping: finishing the pages in flight"
    );
    while tasks.join_next().await.is_some() {}
    Ok(())
}

/// Room for pages: a worker to run each, and a bound on the pages held
/// while their Results are stored.
struct Room {
    workers: Arc<Semaphore>,
    held: Arc<Semaphore>,
}

/// One page's share of the [`Room`]: its worker is given back as soon as
/// the page has run, its hold once it is acked.
struct Permit {
    worker: OwnedSemaphorePermit,
    held: OwnedSemaphorePermit,
}

impl Room {
    /// Waits for room for one more page; `None` once closed.
    async fn take(&self) -> Option<Permit> {
        let held = self.held.clone().acquire_owned().await.ok()?;
        let worker = self.workers.clone().acquire_owned().await.ok()?;
        Some(Permit { worker, held })
    }

    /// Pages that would get room at once.
    fn free(&self) -> usize {
        self.workers
            .available_permits()
            .min(self.held.available_permits())
    }
}

/// Hands the pages the server already sent for an open pull back at once
/// (a worker stopping does not run them), instead of after the ack wait.
async fn give_back(mut messages: async_nats::jetstream::consumer::pull::Batch) {
    while let Ok(Some(Ok(message))) =
        tokio::time::timeout(Duration::from_millis(50), messages.next()).await
    {
        let _ = message.ack_with(AckKind::Nak(None)).await;
    }
}

/// The id a Result carries: the page's `Nats-Msg-Id`, or its stream
/// sequence.
fn page_id(message: &Message) -> String {
    message
        .headers
        .as_ref()
        .and_then(|headers| headers.get("Nats-Msg-Id"))
        .map(|value| value.as_str().to_owned())
        .or_else(|| {
            message
                .info()
                .ok()
                .map(|info| info.stream_sequence.to_string())
        })
        .unwrap_or_default()
}

/// What became of one message.
enum Done {
    /// Its Result, as JSON.
    Result(Vec<u8>),
    /// Why it is not a page.
    Dead(String),
}

/// Processes one message, stores what became of it, then acks it. When
/// storing fails, the message is left unacked: JetStream delivers it again.
async fn handle(message: Message, permit: Permit, shared: Arc<Shared>) {
    let Permit { worker, held } = permit;
    let id = page_id(&message);
    let payload = message.payload.clone();
    let deliveries = message.info().map_or(1, |info| info.delivered);
    let work = shared.clone();
    work.metrics.busy_workers.inc();
    let done = tokio::task::spawn_blocking(move || {
        if deliveries > MAX_DELIVERIES {
            return Done::Dead(format!(
                "delivered {deliveries} times without its Result being stored"
            ));
        }
        let page = std::str::from_utf8(&payload)
            .map_err(|e| format!("not UTF-8 text: {e}"))
            .and_then(|text| {
                Page::parse(text).map_err(|e| match e {
                    PageError::Json(message) => format!("not valid JSON: {message}"),
                    shape => shape.to_string(),
                })
            });
        match page {
            Ok(page) => {
                let result = work.pipeline.process(&page);
                work.metrics.record(&work.project, &result);
                match serde_json::to_vec(&result) {
                    Ok(json) => Done::Result(json),
                    Err(e) => Done::Dead(format!("its Result cannot be written as JSON: {e}")),
                }
            }
            Err(why) => Done::Dead(why),
        }
    })
    .await
    .unwrap_or_else(|_| {
        Done::Dead("Handlebox failed on this page (a bug: please report it)".to_owned())
    });
    shared.metrics.busy_workers.dec();
    drop(worker);
    let mut headers = HeaderMap::new();
    headers.insert(PAGE_HEADER, id.as_str());
    // Room for the headers in the server's largest message.
    let room = shared.max_payload.saturating_sub(MAX_ERROR_HEADER + 256);
    let done = match done {
        Done::Result(json) if json.len() > room => Done::Dead(format!(
            "its Result is {} bytes, more than the NATS server's largest message ({} bytes)",
            json.len(),
            shared.max_payload
        )),
        done => done,
    };
    let (subject, body) = match done {
        Done::Result(json) => (&shared.results, json),
        Done::Dead(why) => {
            let mut why = why.replace(['\r', '\n'], " ");
            if why.len() > MAX_ERROR_HEADER {
                let mut end = MAX_ERROR_HEADER;
                while !why.is_char_boundary(end) {
                    end -= 1;
                }
                why.truncate(end);
            }
            tracing::warn!(page = %id, error = %why, "not a page: sent to the dead-letter subject");
            headers.insert(ERROR_HEADER, why.as_str());
            // The page itself, when it fits: the header says why it is not.
            let body = if message.payload.len() <= room {
                message.payload.to_vec()
            } else {
                Vec::new()
            };
            (&shared.dead, body)
        }
    };
    let stored = match shared
        .context
        .publish_with_headers(subject.clone(), headers, body.into())
        .await
    {
        Ok(ack) => ack.await.map(drop).map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    match stored {
        Ok(()) => {
            if let Err(error) = message.double_ack().await {
                tracing::warn!(page = %id, %error, "the ack was lost: the page will be processed again");
            }
        }
        Err(error) => {
            tracing::warn!(page = %id, %error, "storing the Result failed: the page will be delivered again");
        }
    }
    drop(held);
}
