//! `handlebox serve`: the ingest server, with signals — SIGTERM and SIGINT
//! stop accepting and finish what is in flight; SIGHUP reloads the configs.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use handlebox_sandbox::{Limits, Sandbox, SandboxConfig};
use handlebox_server::{AppState, ServerConfig, Source};
use tokio::signal::unix::{SignalKind, signal};

use crate::error::CliError;
use crate::files;

/// Arguments of `handlebox serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// A config file (served at /v1/process) or a directory of `*.json`
    /// configs (each at /v1/projects/{file stem}/process). Default: the demo.
    #[arg(long)]
    config: Option<PathBuf>,
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Save pages whose handlers failed into this directory, as page files
    /// that `handlebox run` replays.
    #[arg(long, value_name = "DIR")]
    dead_letter: Option<PathBuf>,
    /// Pages processed at once (default: the number of CPUs).
    #[arg(long)]
    workers: Option<usize>,
    /// Pages that may wait for a worker before requests are refused with 503.
    #[arg(long, default_value_t = 64)]
    queue: usize,
    /// Pages of one project processed at once (default: all workers but
    /// one), so that one project cannot occupy every worker.
    #[arg(long)]
    project_workers: Option<usize>,
    /// Events processed per page; further events are reported with a
    /// warning, not processed.
    #[arg(long, default_value_t = handlebox_pipeline::DEFAULT_MAX_EVENTS)]
    max_events: usize,
    /// Largest request body, in bytes.
    #[arg(long, default_value_t = 1 << 20)]
    body_limit: usize,
    /// Each handler call's deadline, in milliseconds.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=60_000))]
    deadline_ms: u64,
    /// Each page's memory cap, in MiB.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u64).range(8..=4096))]
    memory_mib: u64,
}

/// Runs the server until SIGTERM or SIGINT.
pub fn run(args: ServeArgs) -> Result<ExitCode, CliError> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
    let workers = args
        .workers
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let sandbox = Sandbox::new(SandboxConfig {
        limits: Limits {
            deadline: Duration::from_millis(args.deadline_ms),
            memory_bytes: (args.memory_mib as usize) << 20,
            ..Limits::default()
        },
        max_open_pages: (workers as u32).saturating_mul(2).max(8),
        ..SandboxConfig::default()
    })?;
    let source = match args.config {
        Some(path) => Source::from_path(path),
        None => Source::Text {
            name: "the built-in demo config".to_owned(),
            text: files::DEMO_CONFIG.to_owned(),
        },
    };
    let config = ServerConfig {
        source,
        kinds: files::kinds().to_vec(),
        workers,
        queue: args.queue,
        project_workers: args
            .project_workers
            .unwrap_or(workers.saturating_sub(1).max(1)),
        body_limit: args.body_limit,
        max_events: args.max_events,
        dead_letter: args.dead_letter,
    };
    let state = AppState::new(config, sandbox).map_err(|e| CliError::Input(e.to_string()))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("handlebox-http")
        .build()
        .map_err(|e| CliError::Input(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(serve(state, args.listen, workers))
}

async fn serve(
    state: Arc<AppState>,
    listen: SocketAddr,
    workers: usize,
) -> Result<ExitCode, CliError> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| CliError::Input(format!("cannot listen on {listen}: {e}")))?;
    let local = listener
        .local_addr()
        .map_err(|e| CliError::Input(format!("cannot read the listening address: {e}")))?;
    let signal_error = |e: std::io::Error| CliError::Input(format!("cannot watch signals: {e}"));
    let mut hangups = signal(SignalKind::hangup()).map_err(signal_error)?;
    let mut terminate = signal(SignalKind::terminate()).map_err(signal_error)?;
    let mut interrupt = signal(SignalKind::interrupt()).map_err(signal_error)?;
    let reloader = state.clone();
    tokio::spawn(async move {
        while hangups.recv().await.is_some() {
            tracing::info!("SIGHUP: reloading configs");
            let _ = reloader.reload().await;
        }
    });
    let shutdown = async move {
        tokio::select! {
            _ = terminate.recv() => tracing::info!("SIGTERM: finishing requests in flight"),
            _ = interrupt.recv() => tracing::info!("SIGINT: finishing requests in flight"),
        }
    };
    tracing::info!(address = %local, projects = ?state.projects().ids(), workers, "listening");
    println!("handlebox: listening on http://{local}");
    handlebox_server::serve(state, listener, shutdown)
        .await
        .map_err(|e| CliError::Input(format!("the server failed: {e}")))?;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}
