//! Command line: `tinytask [serve]`, `migrate`, `healthcheck`, `backup`, `copy-data`, `--version`, `--help`
//! (documents every variable). Parsing and exit statuses only: `serve` hands the configuration to `startup`.

use crate::config::{self, Config};
use crate::startup::{Application, EXIT_CONFIG, EXIT_FAILURE, shutdown_signal};
use crate::{db, telemetry};
use clap::{Parser, Subcommand};
use std::process::ExitCode;
use std::sync::LazyLock;

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
    /// Copy a whole board (every row, id, event cursor and lease token) between SQLite files and
    /// PostgreSQL databases, in one transaction, verifying the row counts; the target must be empty.
    CopyData {
        /// Source board: a SQLite file path or a postgres:// (postgresql://) URL. Read in one snapshot, so
        /// a server may keep running on it.
        #[arg(long)]
        from: String,
        /// Target board: a SQLite file path (created if missing) or a postgres:// URL (migrated first).
        #[arg(long)]
        to: String,
        /// Delete the target's rows first (in the copy's transaction) instead of refusing a non-empty target.
        #[arg(long)]
        replace: bool,
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
        Command::CopyData { from, to, replace } => copy_data(&from, &to, replace),
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
    if let Some(url) = &config.database_url {
        tracing::error!(database = %url, "tinytask backup copies a SQLite file; back up PostgreSQL with pg_dump (docs/SCALING.md)");
        return ExitCode::from(EXIT_FAILURE);
    }
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

fn copy_data(from: &str, to: &str, replace: bool) -> ExitCode {
    use crate::ops::copy_data::{self, BATCH_ROWS};
    let outcome = copy_data::location("--from", from).and_then(|source| {
        let target = copy_data::location("--to", to)?;
        copy_data::copy(&source, &target, replace, BATCH_ROWS)
    });
    match outcome {
        Ok(report) => {
            let secs = report.elapsed.as_secs_f64();
            tracing::info!(
                rows = report.rows,
                secs = format!("{secs:.2}"),
                rows_per_sec = (report.rows as f64 / secs.max(1e-6)).round() as u64,
                "board copied"
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            // One line, even for a driver message that spans several.
            tracing::error!(
                "tinytask copy-data: {}",
                e.to_string().trim().replace('\n', " ")
            );
            ExitCode::from(e.exit_status())
        }
    }
}

fn migrate(config: &Config) -> ExitCode {
    let database = config.database();
    match db::open_database_within(&database, 1, config.db_connect) {
        Ok(_) => {
            tracing::info!(database = %database, "database is up to date");
            ExitCode::SUCCESS
        }
        Err(e) => {
            tracing::error!(error = %e, "migration failed");
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

fn serve(config: Config) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tinytask: cannot start the async runtime: {e}");
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    let outcome = runtime.block_on(async {
        Application::build(config)
            .await?
            .run_until_stopped(shutdown_signal())
            .await
    });
    // Everything is stopped and checkpointed; don't wait for idle blocking-pool threads (e.g. a stdin
    // reader that can never return) before exiting.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            e.report();
            ExitCode::from(e.exit_status())
        }
    }
}
