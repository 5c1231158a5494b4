//! `handlebox playground`: a page where an integrator writes a snippet and
//! sees at once what it returns and what `window.flocktory` receives.
//!
//! Everything the page needs is inside the binary: `web/dist/playground.js`
//! is built from `web/` by `npm ci && npm run build` (CodeMirror 6 bundled
//! by esbuild) and committed, so `cargo build` needs no Node. The page talks
//! to this process over JSON: `POST /v1/eval` answers as `eval --format
//! json` does, `POST /v1/run` with a Result (or, with `?format=js`, the
//! calls as `run --format js` prints them), `GET /v1/project` gives the
//! config it opens on and the fixtures' pages. `handlebox serve
//! --playground` adds the same routes to the ingest server.

mod api;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use clap::Args;
use handlebox_sandbox::{Sandbox, SandboxConfig};

use crate::error::CliError;
use crate::files;

/// Arguments of `handlebox playground`.
#[derive(Debug, Args)]
pub struct PlaygroundArgs {
    /// The project the page opens on: a config file or a project directory
    /// (default: the demo).
    #[arg(long)]
    config: Option<PathBuf>,
    /// The address to listen on (loopback unless you say otherwise: the
    /// page runs any code it is sent).
    #[arg(long, default_value = "127.0.0.1:8090")]
    listen: SocketAddr,
}

/// The page.
const INDEX: &str = include_str!("web/index.html");

/// The page's script: CodeMirror and the page's own code, minified.
const SCRIPT: &str = include_str!("web/dist/playground.js");

/// Requests the playground runs at once; more are answered `503`.
const AT_ONCE: usize = 2;

/// What the playground serves from: the sandbox, the project it opens on,
/// and the hosts its page may be reached by.
pub struct Playground {
    sandbox: Sandbox,
    /// The config (handlers inline), and its name.
    config: serde_json::Value,
    name: String,
    /// Room for [`AT_ONCE`] requests.
    running: Arc<tokio::sync::Semaphore>,
    /// The address it listens on.
    listen: SocketAddr,
}

impl Playground {
    /// The playground of the config at `path` (the demo's when `None`),
    /// listening on `listen`.
    pub fn new(
        sandbox: Sandbox,
        path: Option<&std::path::Path>,
        listen: SocketAddr,
    ) -> Result<Arc<Self>, CliError> {
        let (config, name) = files::read_config(path)?;
        Ok(Arc::new(Self {
            sandbox,
            config: config.json,
            name,
            running: Arc::new(tokio::sync::Semaphore::new(AT_ONCE)),
            listen,
        }))
    }

    /// The sandbox's settings for the playground: `limits`, and instances
    /// for the requests it runs at once.
    pub fn sandbox_config(limits: handlebox_sandbox::Limits) -> SandboxConfig {
        SandboxConfig {
            limits,
            max_open_pages: (AT_ONCE * 2) as u32,
            ..SandboxConfig::default()
        }
    }

    /// Whether a request's `Host` may reach this playground: on loopback,
    /// only a loopback name (any port), so that another site's page cannot
    /// rebind its own name to it; on any other address (warned about at
    /// start), any.
    fn serves(&self, host: &str) -> bool {
        if !self.listen.ip().is_loopback() {
            return true;
        }
        let name = match host.strip_prefix('[') {
            Some(rest) => rest.split(']').next().unwrap_or_default(),
            None => host.split(':').next().unwrap_or_default(),
        };
        matches!(name, "localhost" | "127.0.0.1" | "::1")
    }
}

/// Refuses a request whose `Host` the playground does not answer to
/// ([`Playground::serves`]) with `421`.
async fn check_host(
    axum::extract::State(playground): axum::extract::State<Arc<Playground>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    if playground.serves(host) {
        next.run(request).await
    } else {
        api::error(
            axum::http::StatusCode::MISDIRECTED_REQUEST,
            "wrong_host",
            format!(
                "the playground on {} answers to localhost only, not to {host:?}",
                playground.listen
            ),
        )
    }
}

/// The playground's routes: the page at `/playground` (and at `/` when
/// `at_root`), its script, and the JSON routes it calls.
pub fn router(playground: Arc<Playground>, at_root: bool) -> Router {
    let page = || async {
        (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            INDEX,
        )
            .into_response()
    };
    let mut router = Router::new()
        .route("/playground", get(page))
        .route(
            "/playground.js",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
                    SCRIPT,
                )
            }),
        )
        .route("/v1/project", get(api::project))
        .route("/v1/eval", post(api::eval))
        .route("/v1/run", post(api::run));
    if at_root {
        router = router.route("/", get(page));
    }
    router
        .layer(axum::extract::DefaultBodyLimit::max(api::BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(
            playground.clone(),
            check_host,
        ))
        .with_state(playground)
}

/// Says on stderr that a playground reachable from other machines runs
/// the code anyone sends it.
pub fn warn_unless_loopback(addr: SocketAddr) {
    if !addr.ip().is_loopback() {
        eprintln!(
            "warning: the playground on {addr} is not on loopback: anyone who reaches it can run code in its sandbox and read its config"
        );
    }
}

/// Runs `handlebox playground` until Ctrl+C.
pub fn run(args: PlaygroundArgs) -> Result<ExitCode, CliError> {
    let sandbox = Sandbox::new(Playground::sandbox_config(
        handlebox_sandbox::Limits::default(),
    ))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("handlebox-playground")
        .build()
        .map_err(|e| CliError::Input(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|e| CliError::Input(format!("cannot listen on {}: {e}", args.listen)))?;
        let local = listener
            .local_addr()
            .map_err(|e| CliError::Input(format!("cannot read the listening address: {e}")))?;
        let playground = Playground::new(sandbox, args.config.as_deref(), local)?;
        println!("handlebox playground: http://{local}/ (Ctrl+C stops it)");
        warn_unless_loopback(local);
        axum::serve(listener, router(playground, true))
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .map_err(|e| CliError::Input(format!("the playground failed: {e}")))
    })?;
    Ok(ExitCode::SUCCESS)
}
