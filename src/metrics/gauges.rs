//! Gauges of things that are open for a while — sessions, SSE streams, waiting calls — kept by guards: a
//! guard adds one when it is made and takes it away when it is dropped, so no exit path (an error, a
//! panic, a dropped future) can leave a gauge counting something that is gone.

use super::Metrics;
use super::families::{CallLabels, SessionLabels, TransportLabels};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;

/// How a client is connected (the `transport` label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    StreamableHttp,
    LegacySse,
    Stdio,
    /// The dashboard's live feed (`/ui/stream`): streams only, never sessions.
    Dashboard,
}

impl Transport {
    pub fn label(self) -> &'static str {
        match self {
            Transport::StreamableHttp => "streamable_http",
            Transport::LegacySse => "legacy_sse",
            Transport::Stdio => "stdio",
            Transport::Dashboard => "dashboard",
        }
    }
}

/// Transports that have server-to-client SSE streams.
pub(super) const STREAM_TRANSPORTS: [&str; 3] = ["streamable_http", "legacy_sse", "dashboard"];

/// Calls that wait for the board to change (the `call` label of `tinytask_waiters`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waiting {
    WaitForTask,
    GetEvents,
}

impl Waiting {
    fn label(self) -> &'static str {
        match self {
            Waiting::WaitForTask => "wait_for_task",
            Waiting::GetEvents => "get_events",
        }
    }
}

pub(super) const WAITING_CALLS: [&str; 2] = ["wait_for_task", "get_events"];

/// Era of a session that has not negotiated a protocol version yet.
const UNINITIALIZED: &str = "uninitialized";

/// One open thing on a gauge; dropping it takes it off. Does nothing when metrics are off.
#[derive(Debug)]
#[must_use = "the gauge goes down again when this is dropped"]
pub struct Held(Option<Gauge>);

impl Held {
    fn on(gauge: Option<Gauge>) -> Self {
        if let Some(g) = &gauge {
            g.inc();
        }
        Held(gauge)
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Some(g) = &self.0 {
            g.dec();
        }
    }
}

/// One open session on `tinytask_sessions_open`: counted under its transport and its era, which changes
/// once, when initialize negotiates the protocol version.
#[derive(Debug)]
#[must_use = "the session stops being counted when this is dropped"]
pub struct SessionMark {
    family: Option<Family<SessionLabels, Gauge>>,
    transport: &'static str,
    counted: Held,
}

impl SessionMark {
    /// Moves the session to the era of `version`.
    pub fn set_era(&mut self, version: &str) {
        if let Some(family) = &self.family {
            let labels = SessionLabels {
                transport: self.transport,
                era: version.to_string(),
            };
            // The new era counts it before the old one lets go, so the total never dips.
            let next = Held::on(Some(family.get_or_create_owned(&labels)));
            self.counted = next;
        }
    }
}

impl Metrics {
    /// Counts a new session (era `uninitialized` until [`SessionMark::set_era`]) until the mark is dropped.
    pub fn session_opened(&self, transport: Transport) -> SessionMark {
        let family = self.families().map(|f| f.sessions.clone());
        let gauge = family.as_ref().map(|f| {
            f.get_or_create_owned(&SessionLabels {
                transport: transport.label(),
                era: UNINITIALIZED.to_string(),
            })
        });
        SessionMark {
            family,
            transport: transport.label(),
            counted: Held::on(gauge),
        }
    }

    /// Counts an open SSE stream of `transport` until the guard is dropped.
    pub fn stream_opened(&self, transport: Transport) -> Held {
        Held::on(self.families().map(|f| {
            f.streams.get_or_create_owned(&TransportLabels {
                transport: transport.label(),
            })
        }))
    }

    /// Counts a waiting call until the guard is dropped.
    pub fn waiting(&self, call: Waiting) -> Held {
        Held::on(self.families().map(|f| {
            f.waiters
                .get_or_create_owned(&CallLabels { call: call.label() })
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sessions(m: &Metrics, transport: &'static str, era: &str) -> i64 {
        let labels = SessionLabels {
            transport,
            era: era.into(),
        };
        m.families().unwrap().sessions.get_or_create(&labels).get()
    }

    #[test]
    fn a_session_is_counted_in_one_era_at_a_time_until_dropped() {
        let m = Metrics::new(true);
        let mut mark = m.session_opened(Transport::LegacySse);
        assert_eq!(sessions(&m, "legacy_sse", "uninitialized"), 1);
        mark.set_era("2024-11-05");
        assert_eq!(sessions(&m, "legacy_sse", "uninitialized"), 0);
        assert_eq!(sessions(&m, "legacy_sse", "2024-11-05"), 1);
        let other = m.session_opened(Transport::Stdio);
        drop(mark);
        assert_eq!(sessions(&m, "legacy_sse", "2024-11-05"), 0);
        assert_eq!(sessions(&m, "stdio", "uninitialized"), 1);
        drop(other);
        assert_eq!(sessions(&m, "stdio", "uninitialized"), 0);
    }

    #[test]
    fn stream_and_waiter_guards_count_while_held() {
        let m = Metrics::new(true);
        let gauge = |call| {
            m.families()
                .unwrap()
                .waiters
                .get_or_create(&CallLabels { call })
                .get()
        };
        let a = m.waiting(Waiting::WaitForTask);
        let b = m.waiting(Waiting::WaitForTask);
        let c = m.waiting(Waiting::GetEvents);
        assert_eq!((gauge("wait_for_task"), gauge("get_events")), (2, 1));
        drop((a, c));
        assert_eq!((gauge("wait_for_task"), gauge("get_events")), (1, 0));
        drop(b);
        let stream = m.stream_opened(Transport::StreamableHttp);
        let streams = |transport| {
            m.families()
                .unwrap()
                .streams
                .get_or_create(&TransportLabels { transport })
                .get()
        };
        assert_eq!(streams("streamable_http"), 1);
        drop(stream);
        assert_eq!(streams("streamable_http"), 0);
    }

    #[test]
    fn guards_of_disabled_metrics_do_nothing() {
        let m = Metrics::disabled();
        let mut mark = m.session_opened(Transport::Stdio);
        mark.set_era("2025-11-25");
        let _held = (
            m.stream_opened(Transport::LegacySse),
            m.waiting(Waiting::GetEvents),
        );
        assert!(m.families().is_none());
    }
}
