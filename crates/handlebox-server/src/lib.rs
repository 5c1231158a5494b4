//! The Handlebox ingest server: `POST /v1/process` takes a page and answers
//! with its Result, as `handlebox run` would print it.
//!
//! - [`projects`]: configs loaded and compiled once at start (one file, or a
//!   directory of them), reloaded atomically; a bad config never replaces a
//!   good one.
//! - [`pool`]: a bounded worker pool shared fairly between projects; pages
//!   run on tokio's blocking threads, never on the reactor, and a project's
//!   full queue answers `503` at once.
//! - [`routes`]: the HTTP surface, errors as `{"error": {"code", "message"}}`.
//! - [`metrics`]: Prometheus text at `GET /metrics`.
//! - [`dead_letter`]: pages whose handlers failed, saved for `handlebox run`.
//! - [`serve`]: connections, each held to read timeouts, at most
//!   [`HttpLimits::max_connections`] at once, drained on shutdown within
//!   [`HttpLimits::drain`].

pub mod dead_letter;
pub mod metrics;
pub mod pool;
pub mod projects;
pub mod routes;
mod serve;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use handlebox_pipeline::{Budget, IntegrationKind};
use handlebox_sandbox::Sandbox;

pub use dead_letter::{DeadLetterConfig, DeadLetters};
pub use projects::{LoadError, Projects, Source};
pub use serve::serve;

static JSON_LOGS: AtomicBool = AtomicBool::new(false);

/// Tells the server its log lines are JSON objects (whose encoder escapes
/// strings itself) rather than `key=value` text.
pub fn set_json_logs(json: bool) {
    JSON_LOGS.store(json, Ordering::Relaxed);
}

/// Text from a page or a config, as a log field: in text logs quoted, with
/// quotes, control characters (line breaks, escape sequences) and U+2028 /
/// U+2029 escaped, so it can neither start a line nor add a field of its
/// own; in JSON logs as it is (the JSON encoder escapes it).
pub(crate) struct LogText<'a>(pub(crate) &'a str);

impl std::fmt::Display for LogText<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if JSON_LOGS.load(Ordering::Relaxed) {
            f.write_str(self.0)
        } else {
            write!(f, "{:?}", self.0)
        }
    }
}

/// How the server is set up.
pub struct ServerConfig {
    /// Where the projects' configs come from.
    pub source: Source,
    /// The integrations the server can configure.
    pub kinds: Vec<&'static dyn IntegrationKind>,
    /// Pages processed at once.
    pub workers: usize,
    /// Pages of one project allowed to wait for a worker; one more is
    /// answered `503`. Each project has its own queue.
    pub queue: usize,
    /// Pages of one project running at once (at most `workers`).
    pub project_workers: usize,
    /// Largest request body, in bytes; larger ones are answered `413`.
    pub body_limit: usize,
    /// Events processed per page; the rest are reported, not processed.
    pub max_events: usize,
    /// What each page may cost as a whole.
    pub budget: Budget,
    /// Where pages with handler errors are saved, if anywhere.
    pub dead_letter: Option<DeadLetterConfig>,
    /// The token `/v1/admin/reload` requires (`Authorization: Bearer …`);
    /// without one, reloading over HTTP is off.
    pub admin_token: Option<String>,
    /// How connections are held.
    pub http: HttpLimits,
}

/// What each connection may hold and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// Connections open at once; past it the server stops accepting until
    /// one closes.
    pub max_connections: usize,
    /// Time a client has to send a request's headers (also the most a
    /// kept-alive connection may sit idle), and again its body.
    pub read_timeout: Duration,
    /// Time requests in flight have to finish on shutdown; connections
    /// still open then are cut.
    pub drain: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            max_connections: 512,
            read_timeout: Duration::from_secs(10),
            drain: Duration::from_secs(10),
        }
    }
}

/// Everything the handlers share.
pub struct AppState {
    pub(crate) projects: RwLock<Arc<Projects>>,
    pub(crate) source: Source,
    pub(crate) kinds: Vec<&'static dyn IntegrationKind>,
    pub(crate) sandbox: Sandbox,
    pub(crate) pool: pool::Pool,
    pub(crate) metrics: metrics::Metrics,
    pub(crate) dead_letters: Option<DeadLetters>,
    pub(crate) admin_token: Option<String>,
    pub(crate) http: HttpLimits,
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
            queue: config.queue,
            max_events: config.max_events,
            budget: config.budget,
        };
        let projects = projects::load(&config.source, &sandbox, &config.kinds, limits)?;
        let metrics = metrics::Metrics::new();
        let dead_letters = config
            .dead_letter
            .map(|dead| {
                let dir = dead.dir.display().to_string();
                DeadLetters::open(dead).map_err(|e| LoadError {
                    project: String::new(),
                    message: format!("cannot use the dead-letter directory {dir}: {e}"),
                })
            })
            .transpose()?;
        Ok(Arc::new(Self {
            projects: RwLock::new(Arc::new(projects)),
            source: config.source,
            kinds: config.kinds,
            sandbox,
            pool: pool::Pool::new(config.workers),
            metrics,
            dead_letters,
            admin_token: config.admin_token.filter(|t| !t.is_empty()),
            http: config.http,
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
                tracing::error!(error = %LogText(&error.to_string()), "reload refused; the previous configs keep serving");
                Err(error)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::LogText;

    #[test]
    fn log_text_is_one_quoted_field() {
        assert_eq!(LogText("Viewed Page").to_string(), "\"Viewed Page\"");
        assert_eq!(
            LogText("a\" x=1\nINFO forged\u{1b}[2J\u{2028}").to_string(),
            "\"a\\\" x=1\\nINFO forged\\u{1b}[2J\\u{2028}\""
        );
    }
}
