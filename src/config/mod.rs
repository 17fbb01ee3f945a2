//! Runtime configuration: read once from the environment (and `.env`), validated before anything starts.

mod env;
mod values;

pub use env::{ConfigError, load_dotenv};
pub use http::{AllowList, HttpSettings, MAX_CONNECTIONS_LIMIT};
pub use values::{LogFormat, LogLevel, Mode};

mod http;
mod limits;

use std::path::PathBuf;

/// Every setting TinyTask reads, with the defaults of the Node originals where they had one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub mode: Mode,
    pub host: String,
    pub port: u16,
    pub db_path: PathBuf,
    pub log_level: LogLevel,
    pub log_format: LogFormat,
    pub http: HttpSettings,
    /// Sizes of texts, responses and subscriptions (installed into `domain::limits` at startup).
    pub limits: crate::domain::limits::Limits,
}

/// The documented environment variables: (name, default, allowed values / meaning). Used by `--help`.
pub const ENV_VARS: &[(&str, &str, &str)] = &[
    (
        "TINYTASK_MODE",
        "both",
        "stdio | http | sse (alias of http) | both — which transports run",
    ),
    (
        "TINYTASK_HOST",
        "127.0.0.1",
        "IP address the HTTP server binds (the container image sets 0.0.0.0)",
    ),
    ("TINYTASK_PORT", "3000", "HTTP port, 1-65535"),
    (
        "TINYTASK_DB_PATH",
        "./data/tinytask.db",
        "SQLite database file; its directory is created when missing",
    ),
    (
        "TINYTASK_LOG_LEVEL",
        "info",
        "error | warn | info | debug | trace — logs always go to stderr",
    ),
    ("TINYTASK_LOG_FORMAT", "text", "text | json"),
    (
        "TINYTASK_MAX_BODY_BYTES",
        "4194304",
        "largest HTTP request body in bytes (larger → 413)",
    ),
    (
        "TINYTASK_SESSION_IDLE_SECS",
        "1800",
        "idle seconds before a Streamable HTTP session expires",
    ),
    (
        "TINYTASK_MAX_SESSIONS",
        "1000",
        "open HTTP sessions allowed at once; when full, the least recently used session that never made a request is evicted",
    ),
    (
        "TINYTASK_UNUSED_SESSION_SECS",
        "60",
        "1 to TINYTASK_SESSION_IDLE_SECS: seconds a session that made no request after initialize lives",
    ),
    (
        "TINYTASK_HEADER_TIMEOUT_SECS",
        "10",
        "1-3600: seconds allowed for a request's headers to arrive (then 408 and the connection closes)",
    ),
    (
        "TINYTASK_BODY_TIMEOUT_SECS",
        "30",
        "1-3600: seconds allowed for a whole request body to arrive (then 408 and the connection closes)",
    ),
    (
        "TINYTASK_MAX_CONNECTIONS",
        "(from the open-files limit)",
        "open HTTP connections (SSE streams included), 1 to the open-files limit minus a reserve",
    ),
    (
        "TINYTASK_ALLOWED_ORIGINS",
        "(loopback)",
        "comma-separated Origin values allowed on MCP requests, or *",
    ),
    (
        "TINYTASK_ALLOWED_HOSTS",
        "(loopback*)",
        "comma-separated Host names allowed; *loopback names when bound to loopback, any otherwise",
    ),
    (
        "TINYTASK_AUTH_TOKEN",
        "(unset)",
        "when set, HTTP requests (except /health) need Authorization: Bearer <token>",
    ),
    (
        "TINYTASK_MAX_TITLE_BYTES",
        "4096",
        "longest task title in bytes, 1-1048576",
    ),
    (
        "TINYTASK_MAX_DESCRIPTION_BYTES",
        "65536",
        "longest task description in bytes, 1-16777216",
    ),
    (
        "TINYTASK_MAX_COMMENT_BYTES",
        "65536",
        "longest comment (and move_task hand-off note) in bytes, 1-16777216",
    ),
    (
        "TINYTASK_MAX_LINK_BYTES",
        "8192",
        "longest link url or link description in bytes, 1-1048576",
    ),
    (
        "TINYTASK_MAX_TAG_BYTES",
        "256",
        "longest tag in bytes, 1-65536",
    ),
    ("TINYTASK_MAX_TAGS", "100", "tags per task, 1-10000"),
    (
        "TINYTASK_MAX_NAME_BYTES",
        "1024",
        "longest agent/person name (created_by, assigned_to, changed_by, agents) in bytes, 1-65536",
    ),
    (
        "TINYTASK_MAX_RESPONSE_BYTES",
        "4194304",
        "largest JSON result of a list before it is cut (has_more, next_offset), 4096-1073741824",
    ),
    (
        "TINYTASK_MAX_SUBSCRIPTIONS_PER_SESSION",
        "1000",
        "resource subscriptions one session may hold, 1-1000000",
    ),
];

impl Config {
    /// Reads the process environment. Call [`load_dotenv`] first so `.env` values are visible.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds a configuration from any variable lookup (tests pass a map instead of the real environment).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        Ok(Config {
            mode: env::parse_or("TINYTASK_MODE", get("TINYTASK_MODE"), Mode::Both)?,
            host: env::parse_host(get("TINYTASK_HOST"))?,
            port: env::parse_port(get("TINYTASK_PORT"))?,
            db_path: get("TINYTASK_DB_PATH")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("./data/tinytask.db")),
            log_level: env::parse_or(
                "TINYTASK_LOG_LEVEL",
                get("TINYTASK_LOG_LEVEL"),
                LogLevel::Info,
            )?,
            log_format: env::parse_or(
                "TINYTASK_LOG_FORMAT",
                get("TINYTASK_LOG_FORMAT"),
                LogFormat::Text,
            )?,
            http: HttpSettings::from_lookup(&get)?,
            limits: limits::from_lookup(&get)?,
        })
    }

    /// One line describing the effective configuration, logged at startup.
    pub fn summary(&self) -> String {
        format!(
            "mode={} host={} port={} db_path={} log_level={} log_format={}",
            self.mode.as_str(),
            self.host,
            self.port,
            self.db_path.display(),
            self.log_level.as_str(),
            self.log_format.as_str()
        ) + &self.http.summary()
            + &limits::summary(&self.limits)
    }
}

#[cfg(test)]
mod tests;
