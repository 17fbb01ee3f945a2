//! The write path's real state, for `/health`: whether the most recent write that reached the database
//! failed because of the database (disk full, I/O error, read-only or removed file, locked for too long)
//! rather than because of its input.
//!
//! `/health` used to check writability by opening the database file itself, which released the process's
//! POSIX locks on it (they are per process and file, so closing any handle drops them all) and let another
//! process delete the live WAL. The writer thread records what actually happened instead.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A storage failure that has not been followed by a successful write yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteFailure {
    /// When the first failure of this run of failures happened.
    pub since: Instant,
    /// The most recent failure's message.
    pub error: String,
    /// Failed writes since the last successful one.
    pub failures: u64,
}

impl WriteFailure {
    pub fn age(&self) -> Duration {
        self.since.elapsed()
    }
}

#[derive(Debug, Default)]
pub struct WriteHealth {
    failing: Mutex<Option<WriteFailure>>,
    last_probe: Mutex<Option<Instant>>,
}

impl WriteHealth {
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<WriteFailure>> {
        self.failing
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A write committed: the write path works again.
    pub fn succeeded(&self) {
        let mut failing = self.lock();
        if let Some(f) = failing.take() {
            tracing::info!(
                failures = f.failures,
                after_secs = f.age().as_secs_f64(),
                "database writes succeed again"
            );
        }
    }

    /// A write failed because of the database.
    pub fn failed(&self, error: &str) {
        let mut failing = self.lock();
        match failing.as_mut() {
            Some(f) => {
                f.failures += 1;
                f.error = error.to_string();
            }
            None => {
                tracing::error!(
                    error,
                    "database write failed; /health reports unhealthy until a write succeeds"
                );
                *failing = Some(WriteFailure {
                    since: Instant::now(),
                    error: error.to_string(),
                    failures: 1,
                });
            }
        }
    }

    /// The current failure, if the last write that reached the database failed.
    pub fn current(&self) -> Option<WriteFailure> {
        self.lock().clone()
    }

    /// Whether a probe write is due: the write path has been failing for at least `after`, and no probe
    /// ran in the last `every` (so a flood of `/health` requests cannot turn into a flood of writes).
    pub fn probe_due(&self, after: Duration, every: Duration) -> bool {
        if self.current().is_none_or(|f| f.age() < after) {
            return false;
        }
        let mut last = self
            .last_probe
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if last.is_some_and(|t| t.elapsed() < every) {
            return false;
        }
        *last = Some(Instant::now());
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failing_until_a_write_succeeds() {
        let health = WriteHealth::default();
        assert_eq!(health.current(), None);
        health.failed("database or disk is full");
        health.failed("disk I/O error");
        let f = health.current().unwrap();
        assert_eq!((f.failures, f.error.as_str()), (2, "disk I/O error"));
        health.succeeded();
        assert_eq!(health.current(), None);
    }

    #[test]
    fn probes_only_after_failing_for_a_while_and_at_most_once_per_period() {
        let health = WriteHealth::default();
        assert!(
            !health.probe_due(Duration::ZERO, Duration::ZERO),
            "not failing"
        );
        health.failed("disk I/O error");
        assert!(
            !health.probe_due(Duration::from_secs(60), Duration::ZERO),
            "too recent"
        );
        assert!(health.probe_due(Duration::ZERO, Duration::from_secs(60)));
        assert!(
            !health.probe_due(Duration::ZERO, Duration::from_secs(60)),
            "just probed"
        );
    }
}
