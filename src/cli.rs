//! Command line: `tinytask [serve]`, `tinytask migrate`, `--version`, `--help` (documents every variable).

use crate::config::{self, Config};
use crate::{db, domain::Board, mcp::Engine, telemetry, transports};
use clap::{Parser, Subcommand};
use std::process::ExitCode;
use std::sync::LazyLock;

/// Exit status for invalid configuration (documented; the container tests rely on it).
pub const EXIT_CONFIG: u8 = 2;
/// Exit status when the server cannot start (database unusable, port taken, …).
pub const EXIT_FAILURE: u8 = 1;

static ENV_HELP: LazyLock<String> = LazyLock::new(|| {
    let mut text =
        String::from("Environment variables (also read from ./.env; real environment wins):\n");
    for (name, default, meaning) in config::ENV_VARS {
        text.push_str(&format!("  {name:<20} default {default:<20} {meaning}\n"));
    }
    text.push_str("\nInvalid values exit with status 2 and one line naming the variable and the allowed values.");
    text
});

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
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    telemetry::init(config.log_level, config.log_format);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config),
        Command::Migrate => migrate(&config),
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
    let pool = match db::open(&config.db_path, 8) {
        Ok(pool) => pool,
        Err(e) => {
            tracing::error!(error = %e, "cannot open the database");
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    let engine = Engine::new(Board::new(pool));
    runtime.block_on(run_transports(config, engine))
}

async fn run_transports(config: Config, engine: std::sync::Arc<Engine>) -> ExitCode {
    if config.mode.runs_http() {
        tracing::warn!("the HTTP transports are not part of this build yet; only stdio is served");
    }
    if config.mode == config::Mode::Http {
        tracing::error!(
            "TINYTASK_MODE=http needs the HTTP transport, which this build does not have yet"
        );
        return ExitCode::from(EXIT_CONFIG);
    }
    // In `both` mode stdin EOF ends only the stdio transport; the process runs until a signal.
    let keep_running = config.mode != config::Mode::Stdio;
    let stdio = async {
        if let Err(e) = transports::stdio::serve(engine).await {
            tracing::error!(error = %e, "stdio transport failed");
        }
        if keep_running {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        _ = stdio => {}
        _ = shutdown_signal() => tracing::info!("shutdown signal received"),
    }
    ExitCode::SUCCESS
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
