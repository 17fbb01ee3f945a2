//! Startup: builds the whole server from a [`Config`] — data directory, preflight checks, database pool,
//! limits, engine, HTTP listener — and runs its transports until a shutdown future resolves. `cli` and
//! every integration test that needs a server go through here, so the wiring exists once.

use crate::config::{Config, Mode};
use crate::metrics::Metrics;
use crate::transports::http::{AppState, Running};
use crate::{db, domain, mcp::Engine, ops, transports};
use actix_web::web;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::watch;

/// Exit status for invalid configuration (documented; the container tests rely on it).
pub const EXIT_CONFIG: u8 = 2;
/// Exit status when the server cannot start (database unusable, port taken, …).
pub const EXIT_FAILURE: u8 = 1;

/// Why the server could not start or stopped abnormally; each maps to the documented exit status.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The configuration is valid on its own but unusable on this machine (exit 2).
    #[error("{0}")]
    Config(String),
    /// The data directory cannot be created or written: reported as the only output line (exit 1).
    #[error("{0}")]
    DataDir(String),
    #[error("cannot open the database: {0}")]
    Database(#[from] db::DbError),
    #[error("cannot listen for HTTP on {host}:{port}: {source}")]
    Listen {
        host: String,
        port: u16,
        source: std::io::Error,
    },
    #[error("HTTP server stopped unexpectedly: {0}")]
    HttpStopped(std::io::Error),
}

impl StartupError {
    pub fn exit_status(&self) -> u8 {
        match self {
            StartupError::Config(_) => EXIT_CONFIG,
            _ => EXIT_FAILURE,
        }
    }

    /// Prints the error the way operators expect: data-directory and configuration problems as one plain
    /// line (before any log line, so a container's log shows only the fix), the rest through tracing.
    pub fn report(&self) {
        match self {
            StartupError::Config(_) | StartupError::DataDir(_) => eprintln!("tinytask: {self}"),
            _ => tracing::error!("{self}"),
        }
    }
}

/// A built server: the database is open and, when the mode includes HTTP, the listener is bound (port 0
/// picks a free port; [`Application::address`] tells which). Nothing is served until
/// [`Application::run_until_stopped`].
pub struct Application {
    mode: Mode,
    engine: Arc<Engine>,
    http: Option<Running>,
    address: Option<SocketAddr>,
    shutdown: watch::Sender<bool>,
    stdio_running: Arc<AtomicBool>,
}

impl Application {
    /// Builds everything `config` asks for. Async only because the HTTP server must be created inside
    /// the runtime that will drive it.
    #[allow(clippy::unused_async)] // see above: the signature is the guard
    pub async fn build(config: Config) -> Result<Application, StartupError> {
        // Before anything else is printed: an unusable data directory is reported as the only line
        // (PostgreSQL keeps nothing on local disk).
        let database = config.database();
        if let db::Database::Sqlite(path) = &database {
            db::create_parent_dir(path).map_err(|e| StartupError::DataDir(e.to_string()))?;
            ops::preflight::check_writable_dir(path).map_err(StartupError::DataDir)?;
        }
        ops::preflight::raise_open_files_limit();
        let readers = ops::tuning::database_readers();
        // Checked only now: the bound depends on the open-files limit just raised.
        let max_connections = match ops::connections::cap(
            config.http.max_connections,
            ops::connections::open_files_limit(),
            readers as u64 + 1,
        ) {
            Ok(n) => n,
            Err(_) if !config.mode.runs_http() => 0,
            Err(message) => return Err(StartupError::Config(message)),
        };
        tracing::info!(
            version = env!("CARGO_PKG_VERSION"),
            "starting tinytask: {}",
            config.summary()
        );
        // The readers plus the writer's connection.
        let pool = db::open_database_within(&database, readers as u32 + 1, config.db_connect)?;
        // Before the first request: every domain operation reads these limits. A second build in the
        // same process (tests) keeps the first installation.
        domain::limits::install(config.limits);
        let metrics = Metrics::new(config.metrics.is_on());
        let board = domain::Board::instrumented(pool, metrics);
        let engine = Engine::with_toolsets(board, config.toolsets.clone());
        let (shutdown, shutdown_rx) = watch::channel(false);
        let stdio_running = Arc::new(AtomicBool::new(config.mode.runs_stdio()));
        let mut app = Application {
            mode: config.mode,
            engine: Arc::clone(&engine),
            http: None,
            address: None,
            shutdown,
            stdio_running: Arc::clone(&stdio_running),
        };
        if config.mode.runs_http() {
            let state = AppState::new(&config, engine, shutdown_rx, stdio_running);
            let listen_error = |source| StartupError::Listen {
                host: config.host.clone(),
                port: config.port,
                source,
            };
            let running =
                transports::http::start(state, &config.host, config.port, max_connections)
                    .map_err(listen_error)?;
            app.address = Some(running.address);
            app.http = Some(running);
        }
        Ok(app)
    }

    /// The bound HTTP address (None without HTTP).
    pub fn address(&self) -> Option<SocketAddr> {
        self.address
    }

    /// The state every HTTP worker shares, for in-process requests in tests (None without HTTP).
    pub fn http_state(&self) -> Option<web::Data<AppState>> {
        self.http.as_ref().map(|running| running.state.clone())
    }

    /// Serves every transport of the mode until `shutdown` resolves (or, in `stdio` mode, stdin ends),
    /// then ends SSE streams, lets in-flight requests finish and checkpoints the database.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), StartupError> {
        let Application {
            mode,
            engine,
            http,
            shutdown: shutdown_tx,
            stdio_running,
            ..
        } = self;
        let http = http.map(|running| {
            let handle = running.server.handle();
            (handle, tokio::spawn(running.server))
        });
        let http_handle = http.as_ref().map(|(handle, _)| handle.clone());
        let http_stopped = async {
            match http {
                Some((_, task)) => task.await.map_err(std::io::Error::other).and_then(|r| r),
                None => std::future::pending().await,
            }
        };
        // In `both` mode stdin EOF ends only the stdio transport; the process runs until `shutdown`.
        let stdio = async {
            if mode.runs_stdio() {
                if let Err(e) = transports::stdio::serve(Arc::clone(&engine)).await {
                    tracing::error!(error = %e, "stdio transport failed");
                }
                stdio_running.store(false, Ordering::Relaxed);
            }
            if mode != Mode::Stdio {
                std::future::pending::<()>().await;
            }
        };
        // Lease expiry and event retention run beside the transports, in every mode.
        let board = engine.board().clone();
        let upkeep = [
            tokio::spawn(domain::upkeep::expire_leases(board.clone())),
            tokio::spawn(domain::upkeep::prune_events(board.clone())),
        ];
        let mut outcome = Ok(());
        tokio::select! {
            _ = stdio => {}
            _ = shutdown => tracing::info!("shutdown signal received"),
            result = http_stopped => {
                outcome = Err(StartupError::HttpStopped(match result {
                    Ok(()) => std::io::Error::other("the server returned"),
                    Err(e) => e,
                }));
            }
        }
        // Waiting calls answer now (claiming nothing), every SSE stream ends (clients reconnect later),
        // then in-flight requests finish.
        board.stop_waiters();
        upkeep.iter().for_each(tokio::task::JoinHandle::abort);
        let _ = shutdown_tx.send(true);
        if let Some(handle) = http_handle {
            handle.stop(true).await;
        }
        engine.board().checkpoint().await;
        tracing::info!("shutdown complete");
        outcome
    }
}

/// Resolves on SIGTERM or SIGINT (Ctrl-C).
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
