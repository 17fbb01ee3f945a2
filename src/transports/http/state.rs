//! State shared by every actix worker: created once, outside `HttpServer::new` (P1).

use super::body::shows_use;
use super::sessions::{Full, HttpSession, Kind, Limits, SessionStore};
use crate::config::{Config, HttpSettings};
use crate::mcp::{Engine, WaitPool};
use crate::metrics::Transport;
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;
use tokio::sync::watch;

pub struct AppState {
    pub engine: Arc<Engine>,
    pub sessions: SessionStore,
    pub settings: HttpSettings,
    /// Whether the listener is bound to a loopback address (enables the default Host allow-list, H3).
    pub loopback: bool,
    pub database: crate::db::Database,
    pub started: Instant,
    /// Flips to true on shutdown: every SSE stream ends so clients reconnect later.
    pub shutdown: watch::Receiver<bool>,
    /// Whether the stdio transport also runs in this process (reported by /health).
    pub stdio: Arc<AtomicBool>,
    /// The dashboard's shared state (its open streams).
    pub ui: super::ui::UiState,
    /// The places of every stateless (2026-07-28) request that waits or listens: they have no session
    /// to bound them, so together they get as many as `TINYTASK_MAX_SESSIONS`.
    pub stateless_waits: Arc<WaitPool>,
}

impl AppState {
    pub fn new(
        config: &Config,
        engine: Arc<Engine>,
        shutdown: watch::Receiver<bool>,
        stdio: Arc<AtomicBool>,
    ) -> Self {
        let loopback = config
            .host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
        AppState {
            engine,
            sessions: SessionStore::new(Limits {
                max: config.http.max_sessions,
                idle: config.http.session_idle,
                unused: config.http.unused_session,
            }),
            settings: config.http.clone(),
            loopback,
            database: config.database(),
            started: Instant::now(),
            shutdown,
            stdio,
            ui: super::ui::UiState::default(),
            stateless_waits: WaitPool::new(
                config.http.max_sessions,
                "the server's stateless (2026-07-28) requests (TINYTASK_MAX_SESSIONS)",
            ),
        }
    }
}

impl AppState {
    /// Creates a session, ending the unused sessions evicted to make room for it.
    pub fn create_session(&self, kind: Kind) -> Result<Arc<HttpSession>, Full> {
        let created = self.sessions.create(kind)?;
        let transport = match kind {
            Kind::Streamable => Transport::StreamableHttp,
            Kind::Legacy => Transport::LegacySse,
        };
        created
            .session
            .mcp
            .count_as(self.engine.metrics().session_opened(transport));
        for victim in created.evicted {
            tracing::info!(session = %victim.id, "unused session evicted: the session limit was reached");
            self.end_session(&victim);
        }
        Ok(created.session)
    }

    /// Marks the session used when the message `body` shows it is (`body::shows_use`); both transports
    /// call this before handling the body, so a flood of initializes cannot evict the session mid-request.
    pub fn note_use(&self, session: &HttpSession, body: &Value) {
        if shows_use(body) {
            self.sessions.mark_used(session);
        }
    }

    /// Ends a session's MCP state: subscriptions stop and its stream (if any) closes.
    pub fn end_session(&self, session: &HttpSession) {
        self.engine.end_session(&session.mcp);
        session.mcp.set_outbound(None);
    }
}
