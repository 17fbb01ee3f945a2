//! Settings of the HTTP transports (limits, session lifetime, Origin/Host allow-lists, bearer token).

use super::env::{self, ConfigError, Lookup};
use super::settings::*;
use super::values::UiMode;
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
    /// Bearer token that opens GET /metrics only (the auth token opens it too); never logged.
    pub metrics_token: Option<String>,
    /// How long a session that made no request after initialize lives (≤ `session_idle`).
    pub unused_session: Duration,
    /// Time allowed for a request's headers to arrive (slowloris), then 408 and close.
    pub header_timeout: Duration,
    /// Time allowed for a whole request body to arrive, then 408 and close.
    pub body_timeout: Duration,
    /// Open connections allowed (all workers, SSE streams included); `None` = derived from the
    /// open-files limit at startup (`ops::preflight::connection_cap`).
    pub max_connections: Option<usize>,
    /// What the dashboard at /ui offers (TINYTASK_UI).
    pub ui: UiMode,
    /// Dashboard live-update streams allowed at once (TINYTASK_UI_MAX_STREAMS).
    pub ui_max_streams: usize,
}

/// Upper bound of TINYTASK_MAX_CONNECTIONS accepted by the parser; the real bound, the open-files limit
/// minus a reserve, is checked at startup once the limit has been raised.
pub const MAX_CONNECTIONS_LIMIT: u64 = 1_000_000;
/// Upper bound of the header and body timeouts: anything longer defeats their purpose.
pub const MAX_TIMEOUT_SECS: u64 = 3600;

/// The defaults of `settings.rs`, as used when no variable is set.
impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings::from_lookup(&|_| None).expect("the default values are valid")
    }
}

impl HttpSettings {
    pub(super) fn from_lookup(get: Lookup<'_>) -> Result<Self, ConfigError> {
        let secs = |s| env::integer(s, get).map(Duration::from_secs);
        let session_idle = secs(&SESSION_IDLE_SECS)?;
        Ok(HttpSettings {
            max_body_bytes: env::integer(&MAX_BODY_BYTES, get)? as usize,
            session_idle,
            max_sessions: env::integer(&MAX_SESSIONS, get)? as usize,
            allowed_origins: AllowList::parse(env::text(&ALLOWED_ORIGINS, get)),
            allowed_hosts: AllowList::parse(env::text(&ALLOWED_HOSTS, get)),
            auth_token: env::text(&AUTH_TOKEN, get).map(|t| t.trim().to_string()),
            metrics_token: env::text(&METRICS_TOKEN, get).map(|t| t.trim().to_string()),
            unused_session: Duration::from_secs(env::integer_up_to(
                &UNUSED_SESSION_SECS,
                get,
                session_idle.as_secs(),
            )?),
            header_timeout: secs(&HEADER_TIMEOUT_SECS)?,
            body_timeout: secs(&BODY_TIMEOUT_SECS)?,
            max_connections: env::optional_integer(&MAX_CONNECTIONS, get)?.map(|n| n as usize),
            ui: env::choice(&UI, get)?,
            ui_max_streams: env::integer(&UI_MAX_STREAMS, get)? as usize,
        })
    }

    pub(super) fn summary(&self) -> String {
        format!(
            " max_body_bytes={} session_idle_secs={} unused_session_secs={} max_sessions={} \
             header_timeout_secs={} body_timeout_secs={} max_connections={} auth={} metrics_auth={} ui={} \
             ui_max_streams={}",
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
            },
            match (&self.metrics_token, &self.auth_token) {
                (Some(_), _) => "metrics-token",
                (None, Some(_)) => "bearer",
                (None, None) => "none",
            },
            self.ui.as_str(),
            self.ui_max_streams
        )
    }
}
