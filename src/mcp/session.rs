//! Per-connection protocol state: the negotiated version, whether `initialized` arrived, the log level, and
//! the channel for server-initiated messages (notifications). One `Session` per stdio process or HTTP
//! session; shared by the concurrent requests of that connection.

use super::jsonrpc::Json;
use super::protocol::McpLogLevel;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::mpsc::UnboundedSender;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

#[derive(Debug, Clone, Default)]
struct State {
    version: Option<String>,
    initialized: bool,
    log_level: Option<McpLogLevel>,
    client: Option<String>,
}

#[derive(Debug)]
pub struct Session {
    id: u64,
    state: Mutex<State>,
    /// Where notifications go: stdout for stdio, the SSE stream for HTTP (None while no stream is open).
    outbound: Mutex<Option<UnboundedSender<Json>>>,
}

impl Default for Session {
    fn default() -> Self {
        Session {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            state: Mutex::default(),
            outbound: Mutex::default(),
        }
    }
}

/// Locks ignoring poisoning: the guarded data are plain values that a panic cannot leave half-written.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Session {
    pub fn new() -> Self {
        Self::default()
    }

    /// Process-unique id (for logs and subscription bookkeeping; not the HTTP session id).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The negotiated protocol version, once `initialize` was answered.
    pub fn version(&self) -> Option<String> {
        lock(&self.state).version.clone()
    }

    pub(super) fn start(&self, version: &str, client: Option<String>) {
        let mut s = lock(&self.state);
        s.version = Some(version.to_string());
        s.client = client;
    }

    pub(super) fn mark_initialized(&self) {
        lock(&self.state).initialized = true;
    }

    pub(super) fn set_log_level(&self, level: McpLogLevel) {
        lock(&self.state).log_level = Some(level);
    }

    /// The minimum level of `notifications/message` this client asked for (None = not set: none are sent).
    pub fn log_level(&self) -> Option<McpLogLevel> {
        lock(&self.state).log_level
    }

    /// Connects (or with `None` disconnects) the channel notifications are written to.
    pub fn set_outbound(&self, sender: Option<UnboundedSender<Json>>) {
        *lock(&self.outbound) = sender;
    }

    /// Whether a notification channel is connected and still open.
    pub fn has_outbound(&self) -> bool {
        lock(&self.outbound)
            .as_ref()
            .is_some_and(|tx| !tx.is_closed())
    }

    /// Sends a server-initiated message; returns false when no stream is connected.
    pub fn notify(&self, message: Json) -> bool {
        lock(&self.outbound)
            .as_ref()
            .is_some_and(|tx| tx.send(message).is_ok())
    }
}
