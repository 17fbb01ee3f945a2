//! Settings of the HTTP transports (limits, session lifetime, Origin/Host allow-lists, bearer token).

use super::env::{ConfigError, parse_positive};
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
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            max_body_bytes: 4 * 1024 * 1024,
            session_idle: Duration::from_secs(1800),
            max_sessions: 1000,
            allowed_origins: AllowList::Default,
            allowed_hosts: AllowList::Default,
            auth_token: None,
        }
    }
}

impl HttpSettings {
    pub(super) fn from_lookup(get: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let d = HttpSettings::default();
        Ok(HttpSettings {
            max_body_bytes: parse_positive(
                "TINYTASK_MAX_BODY_BYTES",
                get("TINYTASK_MAX_BODY_BYTES"),
                d.max_body_bytes,
            )?,
            session_idle: Duration::from_secs(parse_positive(
                "TINYTASK_SESSION_IDLE_SECS",
                get("TINYTASK_SESSION_IDLE_SECS"),
                d.session_idle.as_secs() as usize,
            )? as u64),
            max_sessions: parse_positive(
                "TINYTASK_MAX_SESSIONS",
                get("TINYTASK_MAX_SESSIONS"),
                d.max_sessions,
            )?,
            allowed_origins: AllowList::parse(get("TINYTASK_ALLOWED_ORIGINS")),
            allowed_hosts: AllowList::parse(get("TINYTASK_ALLOWED_HOSTS")),
            auth_token: get("TINYTASK_AUTH_TOKEN").map(|t| t.trim().to_string()),
        })
    }

    pub(super) fn summary(&self) -> String {
        format!(
            " max_body_bytes={} session_idle_secs={} max_sessions={} auth={}",
            self.max_body_bytes,
            self.session_idle.as_secs(),
            self.max_sessions,
            if self.auth_token.is_some() {
                "bearer"
            } else {
                "none"
            }
        )
    }
}
