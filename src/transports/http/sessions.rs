//! HTTP session registry, shared by all actix workers (P1): Streamable HTTP sessions (id from the
//! initialize response) and legacy SSE sessions (alive while their stream is open).

use crate::mcp::Session;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Streamable,
    Legacy,
}

pub struct HttpSession {
    pub id: String,
    pub kind: Kind,
    pub mcp: Arc<Session>,
    last_seen: Mutex<Instant>,
    stream_open: AtomicBool,
}

impl HttpSession {
    fn touch(&self) {
        *self.last_seen.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
    }

    fn idle_for(&self) -> Duration {
        self.last_seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .elapsed()
    }

    /// Marks the server→client stream open; false if one already is (H18: one per session).
    pub fn open_stream(&self) -> bool {
        !self.stream_open.swap(true, Ordering::SeqCst)
    }

    pub fn close_stream(&self) {
        self.stream_open.store(false, Ordering::SeqCst);
        self.touch();
    }

    pub fn stream_open(&self) -> bool {
        self.stream_open.load(Ordering::SeqCst)
    }
}

/// Why a session could not be created.
#[derive(Debug)]
pub struct Full {
    pub max: usize,
}

pub struct SessionStore {
    map: RwLock<HashMap<String, Arc<HttpSession>>>,
    max: usize,
    idle: Duration,
}

/// 128 random bits from the OS CSPRNG, hex-encoded (visible ASCII, H21).
fn new_id() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the OS random number generator is unavailable");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl SessionStore {
    pub fn new(max: usize, idle: Duration) -> Self {
        SessionStore {
            map: RwLock::default(),
            max,
            idle,
        }
    }

    pub fn max(&self) -> usize {
        self.max
    }

    pub fn idle_timeout(&self) -> Duration {
        self.idle
    }

    pub fn create(&self, kind: Kind) -> Result<Arc<HttpSession>, Full> {
        let mut map = self.map.write().unwrap_or_else(|e| e.into_inner());
        if map.len() >= self.max {
            return Err(Full { max: self.max });
        }
        let session = Arc::new(HttpSession {
            id: new_id(),
            kind,
            mcp: Arc::new(Session::new()),
            last_seen: Mutex::new(Instant::now()),
            stream_open: AtomicBool::new(false),
        });
        map.insert(session.id.clone(), Arc::clone(&session));
        Ok(session)
    }

    /// Looks a session up and records the activity. A session past its idle timeout is gone even if the
    /// reaper has not run yet.
    pub fn get(&self, id: &str, kind: Kind) -> Option<Arc<HttpSession>> {
        let map = self.map.read().unwrap_or_else(|e| e.into_inner());
        let session = map
            .get(id)
            .filter(|s| s.kind == kind && !self.is_expired(s))?;
        session.touch();
        Some(Arc::clone(session))
    }

    fn is_expired(&self, session: &HttpSession) -> bool {
        session.kind == Kind::Streamable && !session.stream_open() && session.idle_for() > self.idle
    }

    pub fn remove(&self, id: &str) -> Option<Arc<HttpSession>> {
        self.map
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id)
    }

    /// Removes Streamable sessions idle longer than the timeout (an open GET stream counts as activity).
    pub fn remove_expired(&self) -> Vec<Arc<HttpSession>> {
        let mut map = self.map.write().unwrap_or_else(|e| e.into_inner());
        let expired: Vec<String> = map
            .values()
            .filter(|s| self.is_expired(s))
            .map(|s| s.id.clone())
            .collect();
        expired.iter().filter_map(|id| map.remove(id)).collect()
    }

    /// (streamable, legacy) counts.
    pub fn counts(&self) -> (usize, usize) {
        let map = self.map.read().unwrap_or_else(|e| e.into_inner());
        let legacy = map.values().filter(|s| s.kind == Kind::Legacy).count();
        (map.len() - legacy, legacy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_128_bit_hex() {
        let store = SessionStore::new(10, Duration::from_secs(60));
        let a = store.create(Kind::Streamable).unwrap();
        let b = store.create(Kind::Streamable).unwrap();
        assert_eq!(a.id.len(), 32);
        assert!(a.id.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a.id, b.id);
    }

    #[test]
    fn kinds_do_not_mix_and_the_cap_holds() {
        let store = SessionStore::new(2, Duration::from_secs(60));
        let s = store.create(Kind::Legacy).unwrap();
        assert!(store.get(&s.id, Kind::Streamable).is_none());
        assert!(store.get(&s.id, Kind::Legacy).is_some());
        store.create(Kind::Streamable).unwrap();
        assert_eq!(store.create(Kind::Streamable).err().map(|f| f.max), Some(2));
        assert_eq!(store.counts(), (1, 1));
    }

    #[test]
    fn idle_streamable_sessions_expire_unless_streaming() {
        let store = SessionStore::new(10, Duration::from_millis(10));
        let idle = store.create(Kind::Streamable).unwrap();
        let streaming = store.create(Kind::Streamable).unwrap();
        assert!(streaming.open_stream());
        assert!(!streaming.open_stream(), "a second stream is refused");
        std::thread::sleep(Duration::from_millis(30));
        assert!(
            store.get(&idle.id, Kind::Streamable).is_none(),
            "expired before the reaper runs"
        );
        let expired = store.remove_expired();
        assert_eq!(expired.len(), 1);
        assert_eq!(expired[0].id, idle.id);
        assert!(store.get(&idle.id, Kind::Streamable).is_none());
    }
}
