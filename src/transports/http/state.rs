//! State shared by every actix worker: created once, outside `HttpServer::new` (P1).

use super::body::shows_use;
use super::errors::HttpError;
use super::sessions::{Created, Full, HttpSession, Kind, Limits, SessionStore};
use crate::config::{Config, HttpSettings};
use crate::mcp::shared::{Sharing, restored};
use crate::mcp::{Engine, Session, WaitPool};
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
    /// On PostgreSQL: Streamable HTTP sessions are shared with the other replicas (`mcp::shared`).
    pub sharing: Option<Arc<Sharing>>,
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
        let database = config.database();
        let sharing =
            matches!(database, crate::db::Database::Postgres(_)).then(|| engine.share_sessions());
        AppState {
            engine,
            sessions: SessionStore::new(Limits {
                max: config.http.max_sessions,
                idle: config.http.session_idle,
                unused: config.http.unused_session,
            }),
            settings: config.http.clone(),
            loopback,
            database,
            started: Instant::now(),
            shutdown,
            stdio,
            ui: super::ui::UiState::default(),
            stateless_waits: WaitPool::new(
                config.http.max_sessions,
                "the server's stateless (2026-07-28) requests (TINYTASK_MAX_SESSIONS)",
            ),
            sharing,
        }
    }
}

impl AppState {
    /// Creates a session, ending the unused sessions evicted to make room for it.
    pub fn create_session(&self, kind: Kind) -> Result<Arc<HttpSession>, Full> {
        let created = self.sessions.create(kind)?;
        if kind == Kind::Streamable
            && let Some(sharing) = &self.sharing
        {
            sharing.hold(&created.session.id, &created.session.mcp);
        }
        Ok(self.admit(created, kind))
    }

    /// Counts a session in, and ends the unused sessions evicted to make room for it.
    fn admit(&self, created: Created, kind: Kind) -> Arc<HttpSession> {
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
            if let (Some(sharing), Some(id)) = (&self.sharing, victim.mcp.shared_id()) {
                let (sharing, id) = (Arc::clone(sharing), id.to_string());
                tokio::spawn(async move {
                    if let Err(e) = sharing.evict(&id).await {
                        tracing::warn!(error = %e, "cannot evict a shared session");
                    }
                });
            }
        }
        created.session
    }

    /// The Streamable HTTP session `id`, `None` when there is no such session (any more). On PostgreSQL
    /// the shared table decides: a session another replica created is taken in, the copy held here is
    /// brought up to date, and one deleted meanwhile is let go (see `mcp::shared`).
    pub async fn find_session(&self, id: &str) -> Result<Option<Arc<HttpSession>>, HttpError> {
        let held = self.sessions.get(id, Kind::Streamable);
        let Some(sharing) = &self.sharing else {
            return Ok(held);
        };
        let record = sharing
            .load(id)
            .await
            .map_err(|e| HttpError::SessionsUnavailable(e.to_string()))?;
        let Some(record) = record else {
            if let Some(gone) = held.and_then(|_| self.sessions.remove(id)) {
                self.end_session(&gone);
            }
            return Ok(None);
        };
        if let Some(session) = held {
            session.mcp.restore(restored(&record));
            if record.used {
                // Used through another replica: never evicted here either.
                self.sessions.mark_used(&session);
            }
            return Ok(Some(session));
        }
        let mcp = Arc::new(Session::new());
        mcp.restore(restored(&record));
        let created = self.sessions.adopt(id, Arc::clone(&mcp), record.used)?;
        if Arc::ptr_eq(&created.session.mcp, &mcp) {
            sharing.hold(id, &mcp);
            tracing::debug!(session = id, "took in a session of another replica");
            return Ok(Some(self.admit(created, Kind::Streamable)));
        }
        Ok(Some(created.session))
    }

    /// Marks the session used when the message `body` shows it is (`body::shows_use`); both transports
    /// call this before handling the body, so a flood of initializes cannot evict the session mid-request.
    /// A shared session's first use here is recorded in the shared table too, before the request runs.
    pub async fn note_use(&self, session: &HttpSession, body: &Value) {
        if shows_use(body)
            && self.sessions.mark_used(session)
            && let Some(sharing) = &self.sharing
            && session.mcp.shared_id().is_some()
            && let Err(e) = sharing.mark_used(&session.id).await
        {
            tracing::warn!(error = %e, "cannot record a shared session's first use");
        }
    }

    /// Ends a session's MCP state here: subscriptions stop and its stream (if any) closes. A shared
    /// session lives on in the shared table (see [`Sharing::end`] for ending it everywhere).
    pub fn end_session(&self, session: &HttpSession) {
        self.engine.end_session(&session.mcp);
        session.mcp.set_outbound(None);
        if let (Some(sharing), Some(id)) = (&self.sharing, session.mcp.shared_id()) {
            sharing.release(id);
        }
    }
}
