//! State shared by every actix worker: created once, outside `HttpServer::new` (P1).

use super::sessions::SessionStore;
use crate::config::{Config, HttpSettings};
use crate::mcp::Engine;
use std::path::PathBuf;
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
    pub db_path: PathBuf,
    pub started: Instant,
    /// Flips to true on shutdown: every SSE stream ends so clients reconnect later.
    pub shutdown: watch::Receiver<bool>,
    /// Whether the stdio transport also runs in this process (reported by /health).
    pub stdio: Arc<AtomicBool>,
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
            sessions: SessionStore::new(config.http.max_sessions, config.http.session_idle),
            settings: config.http.clone(),
            loopback,
            db_path: config.db_path.clone(),
            started: Instant::now(),
            shutdown,
            stdio,
        }
    }
}
