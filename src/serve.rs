//! `handlebox serve`: the ingest server, with signals — SIGTERM and SIGINT
//! stop accepting and finish what is in flight; SIGHUP reloads the configs.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, ValueEnum};
use handlebox_sandbox::{Sandbox, SandboxConfig};
use handlebox_server::{AppState, DeadLetterConfig, HttpLimits, ServerConfig, Source};
use tokio::signal::unix::{SignalKind, signal};

use crate::error::CliError;
use crate::files;
use crate::limits::LimitArgs;

/// Arguments of `handlebox serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// A config file or a project directory (holding `config.json`),
    /// served at /v1/process; or a directory of projects: `*.json` configs
    /// and project directories, each at /v1/projects/{stem or name}/process.
    /// Default: the demo.
    #[arg(long)]
    config: Option<PathBuf>,
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Save pages whose handlers failed into this directory, as page files
    /// that `handlebox run` replays (readable by the server's user only).
    #[arg(long, value_name = "DIR")]
    dead_letter: Option<PathBuf>,
    /// Most MiB of pages the dead-letter directory keeps; the oldest go
    /// first.
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u64).range(1..))]
    dead_letter_max_mib: u64,
    /// Leave the page's `cookies` (personal data) out of dead letters.
    #[arg(long)]
    dead_letter_omit_cookies: bool,
    /// A file holding the token that `POST /v1/admin/reload` requires as
    /// `Authorization: Bearer <token>`; without it (or --admin-token), only
    /// SIGHUP reloads.
    #[arg(long, value_name = "FILE", conflicts_with = "admin_token")]
    admin_token_file: Option<PathBuf>,
    /// The admin token itself (visible to other local users in the process
    /// list; prefer --admin-token-file).
    #[arg(long, value_name = "TOKEN")]
    admin_token: Option<String>,
    /// Log lines as text or as one JSON object each.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// Connections open at once; past it the server waits for one to close
    /// before accepting more.
    #[arg(long, default_value_t = 512, value_parser = clap::value_parser!(u64).range(1..=65_536))]
    max_connections: u64,
    /// Time a client has to send a request's headers (and the most a
    /// kept-alive connection may sit idle), and again its body, in ms.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=600_000))]
    read_timeout_ms: u64,
    /// On SIGTERM or SIGINT, time requests in flight have to finish before
    /// the connections left are cut, in ms.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(0..=600_000))]
    drain_ms: u64,
    /// Pages processed at once (default: the number of CPUs).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=4096))]
    workers: Option<u64>,
    /// Pages of one project that may wait for a worker before its requests
    /// are refused with 503; each project has its own queue.
    #[arg(long, default_value_t = 64)]
    queue: usize,
    /// Pages of one project processed at once. Default: every worker for
    /// one config file; all workers but one for a directory of projects, so
    /// that one project cannot occupy every worker.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=4096))]
    project_workers: Option<u64>,
    /// Largest request body, in bytes.
    #[arg(long, default_value_t = 1 << 20)]
    body_limit: usize,
    /// Also serve the playground: the page at /playground, and
    /// /v1/eval and /v1/run (which run any code they are sent: keep such a
    /// server on loopback).
    #[arg(long)]
    playground: bool,
    #[command(flatten)]
    limits: LimitArgs,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LogFormat {
    /// `key=value` text; text from pages and configs quoted and escaped.
    Text,
    /// One JSON object per line.
    Json,
}

// mimalloc's C API (the allocator `main.rs` installs), for its options.
unsafe extern "C" {
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
}

/// `mi_option_arena_eager_commit` in the mimalloc v3 that Cargo.lock pins.
const ARENA_EAGER_COMMIT: std::ffi::c_int = 4;

/// `mi_option_purge_delay` in the mimalloc v3 that Cargo.lock pins.
const PURGE_DELAY: std::ffi::c_int = 15;

/// Makes the allocator give freed memory back at once, for the processes
/// that run for days: the server and the stream worker. By default
/// mimalloc keeps freed memory for a while and commits its arenas eagerly;
/// under the soak's mixed traffic (Results of megabytes built on one
/// thread and freed on another) RSS then swung between 114 and 180 MiB;
/// with these settings it stays at 77–80 MiB. The replay keeps the
/// defaults (3% faster).
pub(crate) fn give_memory_back() {
    // SAFETY: setting an option only changes the allocator's parameters;
    // it is called before the process starts its threads.
    unsafe {
        mi_option_set(PURGE_DELAY, 0);
        mi_option_set(ARENA_EAGER_COMMIT, 0);
    }
}

/// Runs the server until SIGTERM or SIGINT.
pub fn run(args: ServeArgs) -> Result<ExitCode, CliError> {
    give_memory_back();
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(false);
    match args.log_format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => {
            handlebox_server::set_json_logs(true);
            logs.json().flatten_event(true).init();
        }
    }
    let admin_token = match (&args.admin_token_file, &args.admin_token) {
        (Some(path), _) => {
            let token = files::read_text(path, "admin token file")?
                .trim()
                .to_owned();
            if token.is_empty() {
                return Err(CliError::Input(format!(
                    "the admin token file {} is empty",
                    path.display()
                )));
            }
            Some(token)
        }
        (None, token) => token.clone(),
    };
    let workers = args.workers.map_or_else(
        || std::thread::available_parallelism().map_or(2, |n| n.get()),
        |n| n as usize,
    );
    let sandbox = Sandbox::new(SandboxConfig {
        limits: args.limits.limits(),
        max_open_pages: (workers as u32).saturating_mul(2).max(8),
        ..SandboxConfig::default()
    })?;
    // The playground opens on the served project; on the demo for a
    // directory of projects.
    let extra = if args.playground {
        let one_project = args.config.as_deref().filter(|path| {
            path.is_file()
                || path
                    .join(handlebox_pipeline::handler_files::CONFIG_FILE)
                    .is_file()
        });
        let sandbox = Sandbox::new(crate::playground::Playground::sandbox_config(
            args.limits.limits(),
        ))?;
        crate::playground::warn_unless_loopback(args.listen);
        crate::playground::router(
            crate::playground::Playground::new(sandbox, one_project, args.listen)?,
            false,
        )
    } else {
        axum::Router::new()
    };
    let source = match args.config {
        Some(path) => Source::from_path(path),
        None => Source::Text {
            name: "the built-in demo config".to_owned(),
            text: files::DEMO_CONFIG.to_owned(),
        },
    };
    let project_workers = match (args.project_workers, &source) {
        (Some(share), _) => share as usize,
        (None, Source::Dir(_)) => workers.saturating_sub(1).max(1),
        (None, _) => workers,
    };
    let config = ServerConfig {
        source,
        kinds: files::kinds().to_vec(),
        workers,
        queue: args.queue,
        project_workers,
        body_limit: args.body_limit,
        max_events: args.limits.max_events,
        budget: args.limits.budget(),
        dead_letter: args.dead_letter.map(|dir| DeadLetterConfig {
            dir,
            max_bytes: args.dead_letter_max_mib << 20,
            omit_cookies: args.dead_letter_omit_cookies,
        }),
        admin_token,
        http: HttpLimits {
            max_connections: args.max_connections as usize,
            read_timeout: Duration::from_millis(args.read_timeout_ms),
            drain: Duration::from_millis(args.drain_ms),
        },
    };
    let state = AppState::new(config, sandbox).map_err(|e| CliError::Input(e.to_string()))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("handlebox-http")
        .build()
        .map_err(|e| CliError::Input(format!("cannot start the async runtime: {e}")))?;
    let code = runtime.block_on(serve(state, args.listen, workers, extra));
    // The requests in flight had the drain time; pages still running on
    // blocking threads (each within its budget) are not waited for.
    runtime.shutdown_background();
    code
}

async fn serve(
    state: Arc<AppState>,
    listen: SocketAddr,
    workers: usize,
    extra: axum::Router,
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
    handlebox_server::serve(state, listener, extra, shutdown)
        .await
        .map_err(|e| CliError::Input(format!("the server failed: {e}")))?;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    unsafe extern "C" {
        fn mi_option_get(option: std::ffi::c_int) -> std::ffi::c_long;
    }

    #[test]
    fn the_allocator_options_are_the_ones_meant() {
        // SAFETY: reading options has no effect on the allocator.
        let (purge, eager) = unsafe {
            (
                mi_option_get(PURGE_DELAY),
                mi_option_get(ARENA_EAGER_COMMIT),
            )
        };
        // mimalloc v3's defaults: purge after 1000 ms, commit arenas
        // eagerly on overcommitting systems (2); a different numbering
        // fails here.
        assert_eq!((purge, eager), (1000, 2));
        give_memory_back();
        // SAFETY: as above.
        let (purge, eager) = unsafe {
            (
                mi_option_get(PURGE_DELAY),
                mi_option_get(ARENA_EAGER_COMMIT),
            )
        };
        assert_eq!((purge, eager), (0, 0));
    }
}
