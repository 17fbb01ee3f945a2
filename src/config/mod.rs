//! Runtime configuration: read once from the environment (and `.env`), validated before anything starts.

mod env;
mod http;
mod limits;
mod setting;
pub mod settings;
mod toolsets;
mod values;

pub use env::{ConfigError, load_dotenv};
pub use http::{AllowList, HttpSettings, MAX_CONNECTIONS_LIMIT};
pub use limits::Limits;
pub use setting::{Allowed, Fallback, Setting, env_help};
pub use toolsets::Toolsets;
pub use values::{LogFormat, LogLevel, Mode, Switch, Toolset, UiMode};

use std::path::PathBuf;

/// Every setting TinyTask reads, with the defaults of the Node originals where they had one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub mode: Mode,
    pub host: String,
    pub port: u16,
    pub db_path: PathBuf,
    /// PostgreSQL instead of the SQLite file (TINYTASK_DATABASE_URL).
    pub database_url: Option<crate::db::PgUrl>,
    /// How long start-up retries an unreachable PostgreSQL (TINYTASK_DB_CONNECT_SECS).
    pub db_connect: std::time::Duration,
    pub log_level: LogLevel,
    pub log_format: LogFormat,
    pub http: HttpSettings,
    /// Sizes of texts, responses and subscriptions (installed into `domain::limits` at startup).
    pub limits: Limits,
    /// Whether Prometheus metrics are recorded and served (`GET /metrics`).
    pub metrics: Switch,
    /// The tool sets MCP clients see and may call (TINYTASK_TOOLSETS).
    pub toolsets: Toolsets,
}

impl Config {
    /// Reads the process environment. Call [`load_dotenv`] first so `.env` values are visible.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds a configuration from any variable lookup (tests pass a map instead of the real environment).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        Ok(Config {
            mode: env::choice(&settings::MODE, &get)?,
            host: env::ip_address(&settings::HOST, &get)?,
            // The table bounds the port to 1-65535.
            port: env::integer(&settings::PORT, &get)? as u16,
            db_path: PathBuf::from(env::text(&settings::DB_PATH, &get).unwrap_or_default()),
            database_url: env::postgres_url(&settings::DATABASE_URL, &get)?,
            db_connect: std::time::Duration::from_secs(env::integer(
                &settings::DB_CONNECT_SECS,
                &get,
            )?),
            log_level: env::choice(&settings::LOG_LEVEL, &get)?,
            log_format: env::choice(&settings::LOG_FORMAT, &get)?,
            http: HttpSettings::from_lookup(&get)?,
            limits: limits::from_lookup(&get)?,
            metrics: env::choice(&settings::METRICS, &get)?,
            toolsets: env::list(&settings::TOOLSETS, &get, Toolsets::parse)?,
        })
    }

    /// The board's database: PostgreSQL when TINYTASK_DATABASE_URL is set, else the SQLite file.
    pub fn database(&self) -> crate::db::Database {
        match &self.database_url {
            Some(url) => crate::db::Database::Postgres(url.clone()),
            None => crate::db::Database::Sqlite(self.db_path.clone()),
        }
    }

    /// One line describing the effective configuration, logged at startup.
    pub fn summary(&self) -> String {
        format!(
            "mode={} host={} port={} database={} log_level={} log_format={} metrics={} toolsets={}",
            self.mode.as_str(),
            self.host,
            self.port,
            self.database(),
            self.log_level.as_str(),
            self.log_format.as_str(),
            self.metrics.as_str(),
            self.toolsets
        ) + &self.http.summary()
            + &limits::summary(&self.limits)
    }
}

#[cfg(test)]
mod docs_tests;
#[cfg(test)]
mod tests;
