//! Background upkeep of the board, run by every server process (several processes on one file all run
//! it; each step is an idempotent write, so they never conflict):
//! - lease expiry: an expired lease is released within a second of its expiry, without any client call;
//! - event retention: events older than TINYTASK_EVENT_RETENTION_DAYS are pruned, in small batches.

use super::{Board, events, leases, limits};
use std::time::Duration;

/// The longest the lease clock sleeps: a lease granted by another process (which this one is not told
/// about) is noticed within this time. One indexed read of the smallest expiry per tick.
const LEASE_TICK: Duration = Duration::from_secs(1);
/// How often old events are pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
/// Events deleted per write, so pruning never holds the write lock for long.
const PRUNE_BATCH: i64 = 5000;

/// Releases expired leases until the board stops.
pub async fn expire_leases(board: Board) {
    loop {
        let next = board.read(leases::next_expiry).await;
        let wait = match next {
            Ok(Some(at)) => {
                Duration::from_millis((at - leases::now_millis()).max(0) as u64).min(LEASE_TICK)
            }
            Ok(None) => LEASE_TICK,
            Err(e) => {
                tracing::warn!(error = %e, "reading lease expiries failed");
                LEASE_TICK
            }
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
            continue;
        }
        match board.write(leases::expire_due).await {
            Ok(released) if !released.is_empty() => {
                tracing::info!(tasks = ?released, "expired leases released");
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "releasing expired leases failed");
                tokio::time::sleep(LEASE_TICK).await;
            }
        }
    }
}

/// Prunes old events now and then every hour (nothing when retention is 0: keep forever).
pub async fn prune_events(board: Board) {
    let days = limits::current().event_retention_days;
    if days == 0 {
        return;
    }
    loop {
        loop {
            match board
                .write(move |c| events::prune(c, days, PRUNE_BATCH))
                .await
            {
                Ok(n) if n as i64 == PRUNE_BATCH => {}
                Ok(n) => {
                    if n > 0 {
                        tracing::info!(events = n, days, "pruned old events");
                    }
                    break;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "pruning old events failed");
                    break;
                }
            }
        }
        tokio::time::sleep(PRUNE_EVERY).await;
    }
}
