//! Per-connection protocol state: the negotiated version, whether `initialized` arrived, the log level.
//! One `Session` per stdio process or HTTP session; shared by the concurrent requests of that connection.

use super::logging::McpLogLevel;
use std::sync::Mutex;

#[derive(Debug, Clone, Default)]
struct State {
    version: Option<String>,
    initialized: bool,
    log_level: Option<McpLogLevel>,
    client: Option<String>,
}

#[derive(Debug, Default)]
pub struct Session {
    state: Mutex<State>,
}

impl Session {
    pub fn new() -> Self {
        Self::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        // A panic while holding this lock cannot leave the state inconsistent (plain field writes).
        let mut guard = self.state.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut guard)
    }

    /// The negotiated protocol version, once `initialize` was answered.
    pub fn version(&self) -> Option<String> {
        self.with(|s| s.version.clone())
    }

    pub(super) fn start(&self, version: &str, client: Option<String>) {
        self.with(|s| {
            s.version = Some(version.to_string());
            s.client = client;
        });
    }

    pub(super) fn mark_initialized(&self) {
        self.with(|s| s.initialized = true);
    }

    pub fn is_initialized(&self) -> bool {
        self.with(|s| s.initialized)
    }

    pub fn client(&self) -> Option<String> {
        self.with(|s| s.client.clone())
    }

    pub(super) fn set_log_level(&self, level: McpLogLevel) {
        self.with(|s| s.log_level = Some(level));
    }

    /// The minimum level of `notifications/message` this client asked for (None = not set).
    pub fn log_level(&self) -> Option<McpLogLevel> {
        self.with(|s| s.log_level)
    }
}
