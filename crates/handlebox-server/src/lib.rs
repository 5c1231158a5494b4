//! The Handlebox ingest server: `POST /v1/process` takes a page and answers
//! with its Result, as `handlebox run` would print it.
//!
//! - [`projects`]: configs loaded and compiled once at start (one file, or a
//!   directory of them), reloaded atomically; a bad config never replaces a
//!   good one.
//! - [`pool`]: a bounded worker pool; pages run on tokio's blocking threads,
//!   never on the reactor, and a full queue answers `503` at once.
//! - [`routes`]: the HTTP surface, errors as `{"error": {"code", "message"}}`.
//! - [`metrics`]: Prometheus text at `GET /metrics`.
//! - [`dead_letter`]: pages whose handlers failed, saved for `handlebox run`.

pub mod dead_letter;
pub mod metrics;
pub mod pool;
pub mod projects;
pub mod routes;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use handlebox_pipeline::IntegrationKind;
use handlebox_sandbox::Sandbox;

pub use projects::{LoadError, Projects, Source};

/// How the server is set up.
pub struct ServerConfig {
    /// Where the projects' configs come from.
    pub source: Source,
    /// The integrations the server can configure.
    pub kinds: Vec<&'static dyn IntegrationKind>,
    /// Pages processed at once.
    pub workers: usize,
    /// Pages allowed to wait for a worker; one more is answered `503`.
    pub queue: usize,
    /// Pages of one project running at once (at most `workers`).
    pub project_workers: usize,
    /// Largest request body, in bytes; larger ones are answered `413`.
    pub body_limit: usize,
    /// Events processed per page; the rest are reported, not processed.
    pub max_events: usize,
    /// Where pages with handler errors are saved, if anywhere.
    pub dead_letter: Option<PathBuf>,
}

/// Everything the handlers share.
pub struct AppState {
    pub(crate) projects: RwLock<Arc<Projects>>,
    pub(crate) source: Source,
    pub(crate) kinds: Vec<&'static dyn IntegrationKind>,
    pub(crate) sandbox: Sandbox,
    pub(crate) pool: pool::Pool,
    pub(crate) metrics: metrics::Metrics,
    pub(crate) dead_letter: Option<PathBuf>,
    pub(crate) body_limit: usize,
    pub(crate) project_limits: projects::ProjectLimits,
    pub(crate) reloading: tokio::sync::Mutex<()>,
}

impl AppState {
    /// Loads every project (refusing to start on any bad config) and sets
    /// up the pool and the metrics.
    pub fn new(config: ServerConfig, sandbox: Sandbox) -> Result<Arc<Self>, LoadError> {
        let project_workers = config.project_workers.clamp(1, config.workers.max(1));
        let limits = projects::ProjectLimits {
            share: project_workers,
            max_events: config.max_events,
        };
        let projects = projects::load(&config.source, &sandbox, &config.kinds, limits)?;
        let metrics = metrics::Metrics::new();
        Ok(Arc::new(Self {
            projects: RwLock::new(Arc::new(projects)),
            source: config.source,
            kinds: config.kinds,
            sandbox,
            pool: pool::Pool::new(config.workers, config.queue),
            metrics,
            dead_letter: config.dead_letter,
            body_limit: config.body_limit,
            project_limits: limits,
            reloading: tokio::sync::Mutex::new(()),
        }))
    }

    /// The projects being served now.
    pub fn projects(&self) -> Arc<Projects> {
        match self.projects.read() {
            Ok(projects) => projects.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Re-reads every config; on any problem the old projects keep serving
    /// and the error says why. Returns the project ids now served.
    pub async fn reload(self: &Arc<Self>) -> Result<Vec<String>, LoadError> {
        let _one_at_a_time = self.reloading.lock().await;
        let state = self.clone();
        let loaded = tokio::task::spawn_blocking(move || {
            projects::load(
                &state.source,
                &state.sandbox,
                &state.kinds,
                state.project_limits,
            )
        })
        .await
        .map_err(|e| LoadError {
            project: String::new(),
            message: format!("the reload task failed: {e}"),
        })?;
        match loaded {
            Ok(projects) => {
                let ids = projects.ids();
                let mut slot = match self.projects.write() {
                    Ok(slot) => slot,
                    Err(poisoned) => poisoned.into_inner(),
                };
                *slot = Arc::new(projects);
                tracing::info!(projects = ?ids, "configs reloaded");
                Ok(ids)
            }
            Err(error) => {
                tracing::error!(%error, "reload refused; the previous configs keep serving");
                Err(error)
            }
        }
    }
}

/// Serves `state` on `listener` until `shutdown` resolves, then finishes the
/// requests in flight and returns.
pub async fn serve(
    state: Arc<AppState>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = routes::router(state);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
