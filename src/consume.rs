//! `handlebox consume`: the stream worker. Pages from a NATS JetStream
//! stream, Results back to it (see `handlebox-stream`); SIGTERM and SIGINT
//! stop pulling and finish the pages in flight; metrics on `--metrics`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use clap::Args;
use handlebox_sandbox::{Sandbox, SandboxConfig};
use handlebox_server::metrics::Metrics;
use handlebox_stream::ConsumeConfig;
use tokio::signal::unix::{SignalKind, signal};

use crate::error::CliError;
use crate::files;
use crate::limits::LimitArgs;

/// Arguments of `handlebox consume`.
#[derive(Debug, Args)]
pub struct ConsumeArgs {
    /// The NATS server.
    #[arg(long, value_name = "URL")]
    nats: String,
    /// The project config (a file, or a project directory with
    /// `config.json`).
    #[arg(long)]
    config: PathBuf,
    /// The stream of pages (created with --subject when missing).
    #[arg(long, default_value = "HANDLEBOX")]
    stream: String,
    /// The subject pages arrive on, one Page per message.
    #[arg(long, default_value = "handlebox.pages")]
    subject: String,
    /// The subject Results go to, with the header `Handlebox-Page`; stored
    /// in the stream `<stream>_RESULTS` when no stream holds it.
    #[arg(long, default_value = "handlebox.results")]
    results: String,
    /// The subject messages that are not pages go to, with the header
    /// `Handlebox-Error`; stored in `<stream>_DEAD` when no stream holds it.
    #[arg(long, default_value = "handlebox.dead")]
    dead: String,
    /// The durable pull consumer every worker of this project shares.
    #[arg(long, default_value = "handlebox")]
    consumer: String,
    /// Pages processed at once (default: the CPUs); never more are pulled.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=4096))]
    workers: Option<u64>,
    /// How long a page may go unacked before JetStream delivers it again,
    /// to this worker or another, in ms (set when the consumer is created;
    /// a consumer made with another value is refused).
    #[arg(long, default_value_t = 30_000, value_parser = clap::value_parser!(u64).range(1_000..=3_600_000))]
    ack_wait_ms: u64,
    /// Serve Prometheus metrics (as `serve` has them) at
    /// http://ADDR/metrics.
    #[arg(long, value_name = "ADDR")]
    metrics: Option<SocketAddr>,
    #[command(flatten)]
    limits: LimitArgs,
}

/// Runs the worker until SIGTERM or SIGINT.
pub fn run(args: ConsumeArgs) -> Result<ExitCode, CliError> {
    crate::serve::give_memory_back();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                // The NATS client's own lines (each connection event) only
                // when they warn: the worker says what matters.
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,async_nats=warn")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
    let workers = args.workers.map_or_else(
        || std::thread::available_parallelism().map_or(2, |n| n.get()),
        |n| n as usize,
    );
    let budget = args.limits.budget();
    // A page's budget must outlast the ack wait: a page still running when
    // JetStream gives up on it would be processed twice for nothing.
    if budget.time >= Duration::from_millis(args.ack_wait_ms) {
        return Err(CliError::Input(format!(
            "--ack-wait-ms {} must be longer than a page's time budget ({} ms)",
            args.ack_wait_ms,
            budget.time.as_millis()
        )));
    }
    let (config, name) = files::read_config(Some(&args.config))?;
    let sandbox = Sandbox::new(SandboxConfig {
        limits: args.limits.limits(),
        max_open_pages: (workers as u32).saturating_mul(2).max(8),
        ..SandboxConfig::default()
    })?;
    let pipeline = files::pipeline(&sandbox, &config, &name)?
        .with_budget(budget)
        .with_max_events(args.limits.max_events);
    let settings = ConsumeConfig {
        nats: args.nats,
        stream: args.stream,
        subject: args.subject,
        results: args.results,
        dead: args.dead,
        consumer: args.consumer,
        workers,
        ack_wait: Duration::from_millis(args.ack_wait_ms),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("handlebox-consume")
        .max_blocking_threads(workers.max(1))
        .build()
        .map_err(|e| CliError::Input(format!("cannot start the async runtime: {e}")))?;
    let project = name.clone();
    runtime.block_on(async move {
        let metrics = Arc::new(Metrics::new());
        if let Some(addr) = args.metrics {
            serve_metrics(addr, metrics.clone()).await?;
        }
        let signal_error =
            |e: std::io::Error| CliError::Input(format!("cannot watch signals: {e}"));
        let mut terminate = signal(SignalKind::terminate()).map_err(signal_error)?;
        let mut interrupt = signal(SignalKind::interrupt()).map_err(signal_error)?;
        let shutdown = async move {
            tokio::select! {
                _ = terminate.recv() => tracing::info!("SIGTERM: finishing the pages in flight"),
                _ = interrupt.recv() => tracing::info!("SIGINT: finishing the pages in flight"),
            }
        };
        handlebox_stream::run(&settings, Arc::new(pipeline), metrics, &project, shutdown)
            .await
            .map_err(|e| CliError::Input(e.to_string()))
    })?;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// Serves `/metrics` and `/healthz` on `addr`, in the background.
async fn serve_metrics(addr: SocketAddr, metrics: Arc<Metrics>) -> Result<(), CliError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| CliError::Input(format!("--metrics: cannot listen on {addr}: {e}")))?;
    let app = Router::new()
        .route(
            "/metrics",
            get(move || {
                let metrics = metrics.clone();
                async move { metrics.encode() }
            }),
        )
        .route("/healthz", get(|| async { "ok" }));
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, app).await {
            tracing::warn!(%error, "the metrics endpoint stopped");
        }
    });
    Ok(())
}
