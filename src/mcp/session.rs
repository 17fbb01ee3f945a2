//! Per-connection protocol state: the negotiated version, whether `initialized` arrived, the log level, and
//! the channel for server-initiated messages (notifications). One `Session` per stdio process or HTTP
//! session; shared by the concurrent requests of that connection.

use super::jsonrpc::Json;
use super::protocol::McpLogLevel;
use crate::metrics::SessionMark;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::watch;

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
    /// Turns true when the session ends (waiting calls then stop without claiming).
    closed: watch::Sender<bool>,
    /// In-flight requests by JSON-RPC id (as JSON text), for `notifications/cancelled`.
    cancels: Mutex<HashMap<String, watch::Sender<bool>>>,
    /// Where this session's waiting calls take their places: its own pool of [`MAX_WAITING`], or one
    /// shared by every stateless HTTP request of the process.
    waits: Arc<WaitPool>,
    /// How `tinytask_sessions_open` counts this session, from [`Session::count_as`] until it closes.
    counted: Mutex<Option<SessionMark>>,
    /// For the session of one `subscriptions/listen` stream: that request's id, which tags every
    /// notification it delivers (`io.modelcontextprotocol/subscriptionId`, M8).
    subscription_id: std::sync::OnceLock<Value>,
    /// For a session shared between replicas (`mcp::shared`): its HTTP session id, and where its
    /// notifications go while no stream of it is open here (the replica holding its stream).
    shared: std::sync::OnceLock<Shared>,
}

/// Sends a notification of a shared session to the replica holding its stream.
pub type Forward = Box<dyn Fn(&str, Json) + Send + Sync>;

struct Shared {
    id: String,
    forward: Forward,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// A shared session's state as another replica recorded it (see [`Session::restore`]).
#[derive(Debug, Clone, Default)]
pub struct Restored {
    pub version: Option<String>,
    pub client: Option<String>,
    pub initialized: bool,
    pub log_level: Option<McpLogLevel>,
}

/// Waiting calls (wait_for_task, get_events with wait_secs) one session may have at once: each holds a
/// task and a wake-up subscription for up to 300 s, so one client must not be able to pile them up.
pub const MAX_WAITING: usize = 64;

/// Places for calls that wait for the board to change (wait_for_task, get_events with wait_secs, a
/// `subscriptions/listen` stream): each holds a task and a wake-up subscription for long, so their number
/// is bounded — per legacy session, and for all stateless (2026-07-28) HTTP requests together, which have
/// no session to bound them by.
#[derive(Debug)]
pub struct WaitPool {
    taken: AtomicUsize,
    limit: usize,
    /// Says what the limit is, for the refusal ("this session", "stateless requests (TINYTASK_…)").
    whose: &'static str,
}

impl WaitPool {
    pub fn new(limit: usize, whose: &'static str) -> Arc<Self> {
        Arc::new(WaitPool {
            taken: AtomicUsize::new(0),
            limit,
            whose,
        })
    }

    /// Why a call found no place: names the limit.
    pub fn refusal(&self) -> String {
        format!(
            "{} already has {} waiting calls or listen streams (wait_for_task, get_events with wait_secs, \
             subscriptions/listen); wait for one to finish",
            self.whose, self.limit
        )
    }
}

/// One of the session's waiting calls; frees its place when dropped.
pub struct WaitSlot(Arc<WaitPool>);

impl Drop for WaitSlot {
    fn drop(&mut self) {
        self.0.taken.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Default for Session {
    fn default() -> Self {
        Session {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            state: Mutex::default(),
            outbound: Mutex::default(),
            closed: watch::channel(false).0,
            cancels: Mutex::default(),
            waits: WaitPool::new(MAX_WAITING, "this session"),
            counted: Mutex::default(),
            subscription_id: std::sync::OnceLock::new(),
            shared: std::sync::OnceLock::new(),
        }
    }
}

/// Cancels its request when dropped: when the request finished this changes nothing, and when the
/// transport dropped it unfinished (its client disconnected) the request's waiting stops.
pub struct RequestGuard<'a> {
    session: &'a Session,
    key: String,
    cancel: watch::Sender<bool>,
}

impl RequestGuard<'_> {
    /// Whether the client cancelled the request (`notifications/cancelled`) while it ran.
    pub fn cancelled_by_client(&self) -> bool {
        *self.cancel.borrow()
    }
}

impl Drop for RequestGuard<'_> {
    fn drop(&mut self) {
        self.cancel.send_replace(true);
        let mut cancels = lock(&self.session.cancels);
        if cancels
            .get(&self.key)
            .is_some_and(|c| c.same_channel(&self.cancel))
        {
            cancels.remove(&self.key);
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

    /// A session whose waiting calls take their places in `pool` (shared with other sessions).
    pub fn in_pool(pool: &Arc<WaitPool>) -> Self {
        Session {
            waits: Arc::clone(pool),
            ..Session::default()
        }
    }

    /// Why [`Session::begin_wait`] found no place.
    pub fn wait_refusal(&self) -> String {
        self.waits.refusal()
    }

    /// The context of one 2026-07-28 request: stateless, it writes to its connection's channel (stdio's
    /// stdout, or the request's own SSE answer on HTTP) and has the log level the request asked for (M9).
    pub(super) fn for_request(connection: &Session, log_level: Option<McpLogLevel>) -> Self {
        let session = Session::new();
        session.start(super::protocol::MODERN_VERSION, None);
        if let Some(level) = log_level {
            session.set_log_level(level);
        }
        session.set_outbound(lock(&connection.outbound).clone());
        session
    }

    /// The session of one `subscriptions/listen` stream (see [`Session::for_request`]), whose
    /// notifications carry `subscription_id`.
    pub(super) fn for_listen(connection: &Session, subscription_id: Value) -> Self {
        let session = Session::for_request(connection, None);
        let _ = session.subscription_id.set(subscription_id);
        session
    }

    /// The id of the `subscriptions/listen` request this session serves, if it serves one.
    pub fn subscription_id(&self) -> Option<&Value> {
        self.subscription_id.get()
    }

    /// Makes this session one that replicas share under the HTTP session id `id`; `forward` carries its
    /// notifications while no stream of it is open here. Once only (later calls change nothing).
    pub fn share(&self, id: &str, forward: Forward) {
        let _ = self.shared.set(Shared {
            id: id.to_string(),
            forward,
        });
    }

    /// The HTTP session id of a shared session.
    pub fn shared_id(&self) -> Option<&str> {
        self.shared.get().map(|s| s.id.as_str())
    }

    /// Takes over the state of a shared session as the shared table holds it (taking the session in,
    /// or bringing a copy up to date).
    pub fn restore(&self, restored: Restored) {
        if let Some(version) = restored.version
            && self.version().as_deref() != Some(version.as_str())
        {
            self.start(&version, restored.client);
        }
        let mut s = lock(&self.state);
        s.initialized |= restored.initialized;
        s.log_level = restored.log_level;
    }

    /// What a replica taking over this session needs (see [`Session::restore`]).
    pub fn snapshot(&self) -> Restored {
        let s = lock(&self.state);
        Restored {
            version: s.version.clone(),
            client: s.client.clone(),
            initialized: s.initialized,
            log_level: s.log_level,
        }
    }

    /// Whether the session ended.
    pub fn is_closed(&self) -> bool {
        *self.closed.borrow()
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
        if let Some(mark) = lock(&self.counted).as_mut() {
            mark.set_era(version);
        }
    }

    /// Counts this session as open (under its transport, and its era once initialized) until it closes.
    pub fn count_as(&self, mark: SessionMark) {
        *lock(&self.counted) = Some(mark);
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

    /// Ends the session for waiting calls: they stop without claiming. It is no longer counted as open.
    pub fn close(&self) {
        self.closed.send_replace(true);
        lock(&self.counted).take();
    }

    /// Turns true when the session ends.
    pub fn closed(&self) -> watch::Receiver<bool> {
        self.closed.subscribe()
    }

    /// Registers an in-flight request: the receiver turns true when the client cancels it
    /// (`notifications/cancelled`) or when the guard is dropped.
    pub fn track_request(&self, id: &Value) -> (watch::Receiver<bool>, RequestGuard<'_>) {
        let (cancel, cancelled) = watch::channel(false);
        let key = id.to_string();
        lock(&self.cancels).insert(key.clone(), cancel.clone());
        (
            cancelled,
            RequestGuard {
                session: self,
                key,
                cancel,
            },
        )
    }

    /// A place for one more waiting call, or `None` when its pool is full.
    pub fn begin_wait(&self) -> Option<WaitSlot> {
        let pool = &self.waits;
        let taken = pool
            .taken
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < pool.limit).then_some(n + 1)
            })
            .is_ok();
        taken.then(|| WaitSlot(Arc::clone(pool)))
    }

    /// `notifications/cancelled` for `id`: a request still running stops waiting.
    pub fn cancel_request(&self, id: &Value) {
        if let Some(cancel) = lock(&self.cancels).get(&id.to_string()) {
            cancel.send_replace(true);
        }
    }

    /// Sends a server-initiated message; returns false when no stream is connected. A shared session
    /// without a stream here hands it to the replica holding one (true: it went there, if any does).
    pub fn notify(&self, message: Json) -> bool {
        if !self.has_outbound()
            && let Some(shared) = self.shared.get()
        {
            (shared.forward)(&shared.id, message);
            return true;
        }
        self.notify_here(message)
    }

    /// Sends a server-initiated message on this replica's stream only; false when none is connected.
    pub fn notify_here(&self, message: Json) -> bool {
        lock(&self.outbound)
            .as_ref()
            .is_some_and(|tx| tx.send(message).is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_holds_at_most_max_waiting_waits_and_frees_them() {
        let session = Session::new();
        let slots: Vec<_> = (0..MAX_WAITING).map(|_| session.begin_wait()).collect();
        assert!(slots.iter().all(Option::is_some));
        assert!(session.begin_wait().is_none(), "one more than allowed");
        drop(slots);
        assert!(session.begin_wait().is_some(), "places are freed");
    }

    #[test]
    fn sessions_in_one_pool_share_its_places() {
        let pool = WaitPool::new(2, "stateless requests");
        let (a, b) = (Session::in_pool(&pool), Session::in_pool(&pool));
        let held = (a.begin_wait(), b.begin_wait());
        assert!(held.0.is_some() && held.1.is_some());
        assert!(a.begin_wait().is_none() && b.begin_wait().is_none());
        assert!(
            a.wait_refusal()
                .starts_with("stateless requests already has 2")
        );
        drop(held);
        assert!(b.begin_wait().is_some());
    }

    #[test]
    fn cancelling_a_request_signals_it_and_its_guard_says_so() {
        let session = Session::new();
        let id = serde_json::json!(7);
        let (cancelled, guard) = session.track_request(&id);
        assert!(!*cancelled.borrow());
        session.cancel_request(&serde_json::json!(8)); // another id: ignored
        assert!(!guard.cancelled_by_client());
        session.cancel_request(&id);
        assert!(*cancelled.borrow() && guard.cancelled_by_client());
        drop(guard);
        session.cancel_request(&id); // finished: ignored
    }
}
