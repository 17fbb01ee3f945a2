//! Prometheus metrics (`GET /metrics`, docs/HTTP.md "Metrics"): what the server records while it runs, and
//! the OpenMetrics text a scrape gets.
//!
//! Recording is cheap on purpose — atomics only, no lock, no label hashing on the hot paths: tool-call
//! handles are resolved when the engine is built (`tools.rs`), gauges of open things are guards
//! (`gauges.rs`), histograms are atomic (`histogram.rs`). With `TINYTASK_METRICS=off` the handle is empty:
//! every recording call returns at its first branch and `/metrics` answers 404.
//!
//! A leaf module: every layer may record, and it calls none of them (the board's counts arrive as a
//! [`BoardSnapshot`] that `domain::board_stats` reads).

mod board;
mod families;
mod gauges;
mod histogram;
mod rest;
mod tools;

pub use board::{BoardSnapshot, MAX_QUEUES, TaskCount};
pub use gauges::{Held, SessionMark, Transport, Waiting};
pub use rest::UNMATCHED_ROUTE;
pub use tools::{Outcome, ToolCalls, ToolTimer, UNKNOWN_TOOL};

use families::{Families, KindLabels};
use prometheus_client::encoding::text::{encode_eof, encode_registry};
use std::sync::Arc;
use std::time::Duration;

/// The `Content-Type` of a scrape's answer.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The process's metrics. Cheap to clone (clones record into the same metrics).
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    families: Option<Arc<Families>>,
}

/// What one committed write batch did that is counted (see `domain::changes::Tally`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Committed {
    pub personal_claims: u64,
    pub pool_claims: u64,
    pub lease_grants: u64,
    pub lease_expiries: u64,
}

impl Metrics {
    /// Metrics that record (`enabled`), or the empty handle that records nothing.
    pub fn new(enabled: bool) -> Self {
        Metrics {
            families: enabled.then(|| Arc::new(Families::new())),
        }
    }

    /// Records nothing (`TINYTASK_METRICS=off`, and boards built outside the server: tests, tools).
    pub fn disabled() -> Self {
        Metrics::default()
    }

    pub fn is_enabled(&self) -> bool {
        self.families.is_some()
    }

    fn families(&self) -> Option<&Families> {
        self.families.as_deref()
    }

    /// One group-commit transaction committed `writes` writes in `elapsed`.
    pub fn batch_committed(&self, writes: usize, elapsed: Duration) {
        if let Some(f) = self.families() {
            f.batch_sizes.observe_count(writes as u64);
            f.batch_durations.observe_duration(elapsed);
        }
    }

    /// Counts what a committed batch did (claims, lease grants and expiries).
    pub fn committed(&self, what: Committed) {
        let Some(f) = self.families() else { return };
        let claims = |kind| f.claims.get_or_create_owned(&KindLabels { kind });
        if what.personal_claims > 0 {
            claims("personal").inc_by(what.personal_claims);
        }
        if what.pool_claims > 0 {
            claims("pool").inc_by(what.pool_claims);
        }
        if what.lease_grants > 0 {
            f.lease_grants.inc_by(what.lease_grants);
        }
        if what.lease_expiries > 0 {
            f.lease_expiries.inc_by(what.lease_expiries);
        }
    }

    /// The OpenMetrics text of a scrape: everything recorded, then the board's counts (`None`: they could
    /// not be read, which `tinytask_board_stats_up 0` says). `None` when metrics are off.
    pub fn render(&self, board: Option<&BoardSnapshot>) -> Option<String> {
        let f = self.families()?;
        let mut out = String::with_capacity(16 * 1024);
        let snapshot = board::registry(board);
        // Writing to a String cannot fail, and every metric here encodes.
        let written = encode_registry(&mut out, &f.registry)
            .and_then(|()| encode_registry(&mut out, &snapshot))
            .and_then(|()| encode_eof(&mut out));
        written.is_ok().then_some(out)
    }
}

#[cfg(test)]
mod tests;
