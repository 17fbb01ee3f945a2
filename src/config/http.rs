//! Settings of the HTTP transports (limits, session lifetime, Origin/Host allow-lists, bearer token).

use super::env::{ConfigError, parse_positive, parse_range};
use std::time::Duration;

/// An allow-list from a comma-separated variable: unset = the built-in default, `*` = anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowList {
    Default,
    Any,
    Only(Vec<String>),
}

impl AllowList {
    fn parse(raw: Option<String>) -> AllowList {
        match raw {
            None => AllowList::Default,
            Some(v) if v.trim() == "*" => AllowList::Any,
            Some(v) => AllowList::Only(
                v.split(',')
                    .map(|s| s.trim().trim_end_matches('/').to_ascii_lowercase())
                    .filter(|s| !s.is_empty())
                    .collect(),
            ),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpSettings {
    pub max_body_bytes: usize,
    pub session_idle: Duration,
    pub max_sessions: usize,
    pub allowed_origins: AllowList,
    pub allowed_hosts: AllowList,
    /// Bearer token required on every request but /health; never logged.
    pub auth_token: Option<String>,
    /// How long a session that made no request after initialize lives (≤ `session_idle`).
    pub unused_session: Duration,
    /// Time allowed for a request's headers to arrive (slowloris), then 408 and close.
    pub header_timeout: Duration,
    /// Time allowed for a whole request body to arrive, then 408 and close.
    pub body_timeout: Duration,
    /// Open connections allowed (all workers, SSE streams included); `None` = derived from the
    /// open-files limit at startup (`ops::preflight::connection_cap`).
    pub max_connections: Option<usize>,
}

/// Upper bound of TINYTASK_MAX_CONNECTIONS accepted by the parser; the real bound, the open-files limit
/// minus a reserve, is checked at startup once the limit has been raised.
pub const MAX_CONNECTIONS_LIMIT: u64 = 1_000_000;
/// Upper bound of the header and body timeouts: anything longer defeats their purpose.
pub const MAX_TIMEOUT_SECS: u64 = 3600;

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            max_body_bytes: 4 * 1024 * 1024,
            session_idle: Duration::from_secs(1800),
            max_sessions: 1000,
            allowed_origins: AllowList::Default,
            allowed_hosts: AllowList::Default,
            auth_token: None,
            unused_session: Duration::from_secs(60),
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            max_connections: None,
        }
    }
}

impl HttpSettings {
    pub(super) fn from_lookup(get: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let d = HttpSettings::default();
        let session_idle = Duration::from_secs(parse_positive(
            "TINYTASK_SESSION_IDLE_SECS",
            get("TINYTASK_SESSION_IDLE_SECS"),
            d.session_idle.as_secs() as usize,
        )? as u64);
        let secs = |variable: &'static str, default: Duration, max: u64| {
            parse_range(variable, get(variable), default.as_secs(), 1, max).map(Duration::from_secs)
        };
        Ok(HttpSettings {
            max_body_bytes: parse_positive(
                "TINYTASK_MAX_BODY_BYTES",
                get("TINYTASK_MAX_BODY_BYTES"),
                d.max_body_bytes,
            )?,
            session_idle,
            max_sessions: parse_positive(
                "TINYTASK_MAX_SESSIONS",
                get("TINYTASK_MAX_SESSIONS"),
                d.max_sessions,
            )?,
            allowed_origins: AllowList::parse(get("TINYTASK_ALLOWED_ORIGINS")),
            allowed_hosts: AllowList::parse(get("TINYTASK_ALLOWED_HOSTS")),
            auth_token: get("TINYTASK_AUTH_TOKEN").map(|t| t.trim().to_string()),
            // Unused sessions must not outlive used ones, hence the idle timeout as the upper bound.
            unused_session: secs(
                "TINYTASK_UNUSED_SESSION_SECS",
                d.unused_session.min(session_idle),
                session_idle.as_secs(),
            )?,
            header_timeout: secs(
                "TINYTASK_HEADER_TIMEOUT_SECS",
                d.header_timeout,
                MAX_TIMEOUT_SECS,
            )?,
            body_timeout: secs(
                "TINYTASK_BODY_TIMEOUT_SECS",
                d.body_timeout,
                MAX_TIMEOUT_SECS,
            )?,
            max_connections: get("TINYTASK_MAX_CONNECTIONS")
                .map(|raw| {
                    parse_range(
                        "TINYTASK_MAX_CONNECTIONS",
                        Some(raw),
                        0,
                        1,
                        MAX_CONNECTIONS_LIMIT,
                    )
                })
                .transpose()?
                .map(|n| n as usize),
        })
    }

    pub(super) fn summary(&self) -> String {
        format!(
            " max_body_bytes={} session_idle_secs={} unused_session_secs={} max_sessions={} \
             header_timeout_secs={} body_timeout_secs={} max_connections={} auth={}",
            self.max_body_bytes,
            self.session_idle.as_secs(),
            self.unused_session.as_secs(),
            self.max_sessions,
            self.header_timeout.as_secs(),
            self.body_timeout.as_secs(),
            self.max_connections
                .map_or_else(|| "auto".to_string(), |n| n.to_string()),
            if self.auth_token.is_some() {
                "bearer"
            } else {
                "none"
            }
        )
    }
}
