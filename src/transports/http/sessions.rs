//! HTTP session registry, shared by all actix workers (P1): Streamable HTTP sessions (id from the
//! initialize response) and legacy SSE sessions (alive while their stream is open).
//!
//! Exhaustion rule (docs/HTTP.md "Session limits"): a session is *unused* until it sends a message other
//! than `initialize` / `notifications/initialized` (opening a stream does not count: an attacker can open
//! streams as cheaply as it can initialize). Unused sessions expire after the short unused timeout and,
//! when the store is full, the least recently used of them is evicted to make room; a *used* session is
//! never evicted (it ends only by its idle timeout, DELETE, or its legacy stream closing). So a flood of
//! initializes can only push out other never-used sessions, and only when every session is used is
//! `create` refused (503).

use crate::mcp::Session;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockWriteGuard};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Streamable,
    Legacy,
}

/// `HttpSession::lru_key` of a session that has been used (it is no longer in the unused index).
const USED: u64 = u64::MAX;

pub struct HttpSession {
    pub id: String,
    pub kind: Kind,
    pub mcp: Arc<Session>,
    last_seen: Mutex<Instant>,
    stream_open: AtomicBool,
    /// This session's key in the store's unused index (LRU order), or `USED`. Written only under the
    /// store's write lock, so the index and this field always agree; read without it as a fast path.
    lru_key: AtomicU64,
}

impl HttpSession {
    fn touch(&self) {
        *self
            .last_seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Instant::now();
    }

    fn idle_for(&self) -> Duration {
        self.last_seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .elapsed()
    }

    /// Marks the server→client stream open; false if one already is (H18: one per session).
    pub fn open_stream(&self) -> bool {
        !self.stream_open.swap(true, Ordering::SeqCst)
    }

    pub fn stream_open(&self) -> bool {
        self.stream_open.load(Ordering::SeqCst)
    }

    /// Whether the session has not made any request since `initialize` (evictable, short expiry).
    pub fn unused(&self) -> bool {
        self.lru_key.load(Ordering::SeqCst) != USED
    }
}

/// Why a session could not be created: every one of the `max` sessions is in use.
#[derive(Debug)]
pub struct Full {
    pub max: usize,
}

/// A new session, and the sessions removed to make room for it (the caller ends their MCP state).
pub struct Created {
    pub session: Arc<HttpSession>,
    pub evicted: Vec<Arc<HttpSession>>,
}

#[derive(Default)]
struct Inner {
    map: HashMap<String, Arc<HttpSession>>,
    /// Unused sessions by last activity, oldest first: the key is a counter bumped on every touch, so
    /// eviction and expiry of unused sessions are O(log n) instead of a scan of the whole map.
    unused: BTreeMap<u64, Arc<HttpSession>>,
    next_key: u64,
    /// When `create` last scanned a full store for expired sessions (at most every `FULL_SCAN_EVERY`).
    last_full_scan: Option<Instant>,
}

/// A full store of used sessions is scanned for expired ones at most this often by `create`: a flood of
/// initializes against it must not cost a scan of every session each (the reaper cleans up anyway).
const FULL_SCAN_EVERY: Duration = Duration::from_millis(100);

impl Inner {
    /// Gives an unused session a fresh (newest) position in the LRU index and records the activity.
    fn restamp(&mut self, session: &HttpSession) {
        let old = session.lru_key.load(Ordering::SeqCst);
        if old == USED || !self.map.contains_key(&session.id) {
            return;
        }
        if let Some(entry) = self.unused.remove(&old) {
            let key = self.next_key;
            self.next_key += 1;
            session.lru_key.store(key, Ordering::SeqCst);
            self.unused.insert(key, entry);
        }
        session.touch();
    }

    fn detach(&mut self, id: &str) -> Option<Arc<HttpSession>> {
        let session = self.map.remove(id)?;
        let key = session.lru_key.load(Ordering::SeqCst);
        if key != USED {
            self.unused.remove(&key);
        }
        Some(session)
    }
}

/// Lifetimes of sessions (TINYTASK_SESSION_IDLE_SECS, TINYTASK_UNUSED_SESSION_SECS) and the cap.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max: usize,
    pub idle: Duration,
    pub unused: Duration,
}

pub struct SessionStore {
    inner: RwLock<Inner>,
    limits: Limits,
}

/// 128 random bits from the OS CSPRNG, hex-encoded (visible ASCII, H21).
fn new_id() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the OS random number generator is unavailable");
    hex::encode(bytes)
}

impl SessionStore {
    pub fn new(limits: Limits) -> Self {
        SessionStore {
            inner: RwLock::default(),
            limits,
        }
    }

    fn write(&self) -> RwLockWriteGuard<'_, Inner> {
        self.inner
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn max(&self) -> usize {
        self.limits.max
    }

    pub fn idle_timeout(&self) -> Duration {
        self.limits.idle
    }

    pub fn unused_timeout(&self) -> Duration {
        self.limits.unused
    }

    /// Creates a session. When the store is full, expired sessions are dropped first, then the least
    /// recently used unused session; used sessions are never evicted (`Full` if all are used).
    pub fn create(&self, kind: Kind) -> Result<Created, Full> {
        self.insert(new_id(), kind, Arc::new(Session::new()), false)
    }

    /// Takes in a session another replica created (`mcp` restored from its record), under its id; the
    /// copy already here when a concurrent request took it in first. Room is made as for [`Self::create`].
    pub fn adopt(&self, id: &str, mcp: Arc<Session>, used: bool) -> Result<Created, Full> {
        self.insert(id.to_string(), Kind::Streamable, mcp, used)
    }

    fn insert(
        &self,
        id: String,
        kind: Kind,
        mcp: Arc<Session>,
        used: bool,
    ) -> Result<Created, Full> {
        let mut inner = self.write();
        if let Some(held) = inner.map.get(&id) {
            // Taken in by a concurrent request between the caller's check and this lock.
            return Ok(Created {
                session: Arc::clone(held),
                evicted: Vec::new(),
            });
        }
        let mut evicted = Vec::new();
        if inner.map.len() >= self.limits.max {
            // Expired sessions are already gone for `get`; reclaim them before evicting a live one.
            // A scan of at most `max` entries, only when full and only until the reaper catches up.
            let scan_due = inner
                .last_full_scan
                .is_none_or(|at| at.elapsed() >= FULL_SCAN_EVERY);
            if inner.unused.is_empty() && scan_due {
                inner.last_full_scan = Some(Instant::now());
                evicted = self.take_expired(&mut inner);
            }
            if evicted.is_empty() {
                match inner.unused.pop_first() {
                    Some((_, victim)) => {
                        inner.map.remove(&victim.id);
                        victim.lru_key.store(USED, Ordering::SeqCst);
                        evicted.push(victim);
                    }
                    None => {
                        return Err(Full {
                            max: self.limits.max,
                        });
                    }
                }
            }
        }
        let key = if used { USED } else { inner.next_key };
        inner.next_key += 1;
        let session = Arc::new(HttpSession {
            id,
            kind,
            mcp,
            last_seen: Mutex::new(Instant::now()),
            stream_open: AtomicBool::new(false),
            lru_key: AtomicU64::new(key),
        });
        inner.map.insert(session.id.clone(), Arc::clone(&session));
        if !used {
            inner.unused.insert(key, Arc::clone(&session));
        }
        Ok(Created { session, evicted })
    }

    /// Looks a session up and records the activity. A session past its timeout is gone even if the
    /// reaper has not run yet.
    pub fn get(&self, id: &str, kind: Kind) -> Option<Arc<HttpSession>> {
        let session = {
            let inner = self
                .inner
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let found = inner
                .map
                .get(id)
                // A shared session ended by another replica is closed here, not removed yet.
                .filter(|s| s.kind == kind && !self.is_expired(s) && !s.mcp.is_closed())?;
            Arc::clone(found)
        };
        if session.unused() {
            // Unused sessions are rare on the hot path (initialized notification, stream open):
            // the write lock keeps the LRU index in step with their activity.
            self.write().restamp(&session);
        } else {
            session.touch();
        }
        Some(session)
    }

    /// Records that the session made a real request: from now on it is never evicted. True when this
    /// is the first one (the session was unused until now).
    pub fn mark_used(&self, session: &HttpSession) -> bool {
        if !session.unused() {
            return false;
        }
        let mut inner = self.write();
        let key = session.lru_key.swap(USED, Ordering::SeqCst);
        if key != USED {
            inner.unused.remove(&key);
        }
        session.touch();
        key != USED
    }

    /// The Streamable HTTP sessions active within `window` or with an open stream (a replica marks
    /// these seen in the shared session table).
    pub fn active_within(&self, window: Duration) -> Vec<String> {
        self.inner
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .map
            .values()
            .filter(|s| s.kind == Kind::Streamable && (s.stream_open() || s.idle_for() <= window))
            .map(|s| s.id.clone())
            .collect()
    }

    /// The session's stream ended: the stream no longer keeps it alive, its idle time starts now.
    pub fn close_stream(&self, session: &HttpSession) {
        session.stream_open.store(false, Ordering::SeqCst);
        if session.unused() {
            self.write().restamp(session);
        } else {
            session.touch();
        }
    }

    fn is_expired(&self, session: &HttpSession) -> bool {
        let idle = session.idle_for();
        if session.unused() {
            // An open stream does not protect a session that never made a request.
            return idle > self.limits.unused;
        }
        session.kind == Kind::Streamable && !session.stream_open() && idle > self.limits.idle
    }

    pub fn remove(&self, id: &str) -> Option<Arc<HttpSession>> {
        self.write().detach(id)
    }

    fn take_expired(&self, inner: &mut Inner) -> Vec<Arc<HttpSession>> {
        let expired: Vec<String> = inner
            .map
            .values()
            .filter(|s| self.is_expired(s))
            .map(|s| s.id.clone())
            .collect();
        expired.iter().filter_map(|id| inner.detach(id)).collect()
    }

    /// Removes expired sessions: unused ones past the unused timeout (stream or not), used Streamable
    /// ones idle past the idle timeout without an open stream. Legacy used sessions live with their stream.
    pub fn remove_expired(&self) -> Vec<Arc<HttpSession>> {
        let mut inner = self.write();
        self.take_expired(&mut inner)
    }

    /// (streamable, legacy) counts.
    pub fn counts(&self) -> (usize, usize) {
        let inner = self
            .inner
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let legacy = inner
            .map
            .values()
            .filter(|s| s.kind == Kind::Legacy)
            .count();
        (inner.map.len() - legacy, legacy)
    }

    /// Sessions that have not made a request since initialize.
    pub fn unused_count(&self) -> usize {
        self.inner
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .unused
            .len()
    }
}

#[cfg(test)]
#[path = "sessions_tests.rs"]
mod tests;
