//! Command line: `tinytask [serve]`, `tinytask migrate`, `--version`, `--help` (documents every variable).

use crate::config::{self, Config};
use crate::ops::tuning;
use crate::transports::http::AppState;
use crate::{db, domain::Board, mcp::Engine, telemetry, transports};
use clap::{Parser, Subcommand};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock};
use tokio::sync::watch;

/// Exit status for invalid configuration (documented; the container tests rely on it).
pub const EXIT_CONFIG: u8 = 2;
/// Exit status when the server cannot start (database unusable, port taken, …).
pub const EXIT_FAILURE: u8 = 1;

static ENV_HELP: LazyLock<String> = LazyLock::new(config::env_help);

#[derive(Parser, Debug)]
#[command(name = "tinytask", version, about = "TinyTask: a shared task board for LLM agents, served over MCP", after_help = ENV_HELP.as_str())]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the MCP server with the transports selected by TINYTASK_MODE (the default command).
    Serve,
    /// Apply pending database migrations to TINYTASK_DB_PATH and exit.
    Migrate,
    /// Exit 0 if the server on 127.0.0.1:TINYTASK_PORT answers /health with 200 (for container HEALTHCHECKs).
    Healthcheck {
        /// Seconds to wait for the answer.
        #[arg(long, default_value_t = 3)]
        timeout: u64,
    },
    /// Write a consistent copy of the (possibly running) database to FILE, which must not exist yet.
    Backup {
        /// Destination file.
        file: std::path::PathBuf,
    },
}

pub fn run() -> ExitCode {
    let cli = Cli::parse();
    if let Err(e) = config::load_dotenv() {
        eprintln!("tinytask: {e}");
        return ExitCode::from(EXIT_CONFIG);
    }
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("tinytask: {e}");
            // Docker reserves healthcheck status 2; an unusable configuration simply means unhealthy.
            let healthcheck = matches!(cli.command, Some(Command::Healthcheck { .. }));
            return ExitCode::from(if healthcheck {
                EXIT_FAILURE
            } else {
                EXIT_CONFIG
            });
        }
    };
    telemetry::init(config.log_level, config.log_format);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config),
        Command::Migrate => migrate(&config),
        Command::Healthcheck { timeout } => healthcheck(&config, timeout),
        Command::Backup { file } => backup(&config, &file),
    }
}

fn healthcheck(config: &Config, timeout: u64) -> ExitCode {
    match crate::ops::healthcheck::check(
        config.port,
        std::time::Duration::from_secs(timeout.max(1)),
    ) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tinytask healthcheck: unhealthy: {e}");
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

fn backup(config: &Config, file: &std::path::Path) -> ExitCode {
    match crate::ops::backup::backup(&config.db_path, file) {
        Ok(bytes) => {
            tracing::info!(from = %config.db_path.display(), to = %file.display(), bytes, "backup written");
            ExitCode::SUCCESS
        }
        Err(e) => {
            tracing::error!(error = %e, "backup failed");
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

fn migrate(config: &Config) -> ExitCode {
    match db::open(&config.db_path, 1) {
        Ok(_) => {
            tracing::info!(db_path = %config.db_path.display(), "database is up to date");
            ExitCode::SUCCESS
        }
        Err(e) => {
            tracing::error!(error = %e, "migration failed");
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

fn serve(config: Config) -> ExitCode {
    // Before anything else is printed: an unusable data directory is reported as the only line.
    if let Some(dir) = config
        .db_path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        && let Err(e) = std::fs::create_dir_all(dir)
    {
        eprintln!(
            "tinytask: cannot create database directory {}: {e}",
            dir.display()
        );
        return ExitCode::from(EXIT_FAILURE);
    }
    if let Err(message) = crate::ops::preflight::check_writable_dir(&config.db_path) {
        eprintln!("tinytask: {message}");
        return ExitCode::from(EXIT_FAILURE);
    }
    crate::ops::preflight::raise_open_files_limit();
    let readers = tuning::database_readers();
    let open_files = crate::ops::connections::open_files_limit();
    // Checked only now: the bound depends on the open-files limit just raised.
    let max_connections = match crate::ops::connections::cap(
        config.http.max_connections,
        open_files,
        readers as u64 + 1,
    ) {
        Ok(n) => n,
        Err(_) if !config.mode.runs_http() => 0,
        Err(message) => {
            eprintln!("tinytask: {message}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        "starting tinytask: {}",
        config.summary()
    );
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!(error = %e, "cannot start the async runtime");
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    // The readers plus the writer's connection.
    let pool = match db::open(&config.db_path, readers as u32 + 1) {
        Ok(pool) => pool,
        Err(e) => {
            tracing::error!(error = %e, "cannot open the database");
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    // Before the first request: every domain operation reads these limits.
    crate::domain::limits::install(config.limits);
    let engine = Engine::new(Board::new(pool));
    let status = runtime.block_on(run_transports(config, engine, max_connections));
    // Everything is stopped and checkpointed; don't wait for idle blocking-pool threads (e.g. a stdin
    // reader that can never return) before exiting.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    status
}

async fn run_transports(config: Config, engine: Arc<Engine>, max_connections: usize) -> ExitCode {
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let stdio_running = Arc::new(AtomicBool::new(config.mode.runs_stdio()));
    let mut http = None;
    if config.mode.runs_http() {
        let state = AppState::new(
            &config,
            Arc::clone(&engine),
            shutdown_rx,
            Arc::clone(&stdio_running),
        );
        match transports::http::start(state, &config.host, config.port, max_connections) {
            Ok(running) => http = Some((running.server.handle(), tokio::spawn(running.server))),
            Err(e) => {
                tracing::error!(host = %config.host, port = config.port, error = %e, "cannot listen for HTTP");
                return ExitCode::from(EXIT_FAILURE);
            }
        }
    }
    let http_handle = http.as_ref().map(|(handle, _)| handle.clone());
    let http_stopped = async {
        match http {
            Some((_, task)) => task.await.map_err(std::io::Error::other).and_then(|r| r),
            None => std::future::pending().await,
        }
    };
    // In `both` mode stdin EOF ends only the stdio transport; the process runs until a signal.
    let stdio_only = config.mode == config::Mode::Stdio;
    let stdio = async {
        if config.mode.runs_stdio() {
            if let Err(e) = transports::stdio::serve(Arc::clone(&engine)).await {
                tracing::error!(error = %e, "stdio transport failed");
            }
            stdio_running.store(false, Ordering::Relaxed);
        }
        if !stdio_only {
            std::future::pending::<()>().await;
        }
    };
    let mut status = ExitCode::SUCCESS;
    tokio::select! {
        _ = stdio => {}
        _ = shutdown_signal() => tracing::info!("shutdown signal received"),
        result = http_stopped => {
            tracing::error!(?result, "HTTP server stopped unexpectedly");
            status = ExitCode::from(EXIT_FAILURE);
        }
    }
    // Tell every SSE stream to end (clients reconnect later), then let in-flight requests finish.
    let _ = shutdown_tx.send(true);
    if let Some(handle) = http_handle {
        handle.stop(true).await;
    }
    engine.board().checkpoint().await;
    tracing::info!("shutdown complete");
    status
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
