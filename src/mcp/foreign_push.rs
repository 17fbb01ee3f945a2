//! Pushes other processes' commits to this process's resource subscriptions (`resources/subscribe` and
//! `subscriptions/listen`): a second server, or a stdio server per agent, on the same database file.
//! This process's own commits reach the subscriptions straight from the writer; another process's are
//! only known from the foreign-commit watcher's wake-ups, after which the event log says what changed.
//!
//! The relay runs only while some subscription (or shared session's stream) exists (it keeps the watcher armed, which costs a little
//! on every write), and ends within [`LOOK_EVERY`] of the last one going. It also looks every
//! [`LOOK_EVERY`] without a wake-up: a commit that lands while the watcher is being armed raises none, and
//! must still arrive (late rather than never).

use super::fanout::Fanout;
use crate::domain::{Board, Wake};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

/// How often the relay looks without a wake-up, and checks whether any subscription is left.
const LOOK_EVERY: Duration = Duration::from_secs(5);

/// Whether the relay runs (at most one per process).
#[derive(Default)]
pub struct Relay {
    running: AtomicBool,
}

impl Relay {
    /// Starts the relay unless it runs. Called after a subscription is made.
    pub fn ensure(self: &Arc<Self>, board: &Board, fanout: &Arc<Fanout>) {
        if self
            .running
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return;
        }
        let (relay, board, fanout) = (Arc::clone(self), board.clone(), Arc::clone(fanout));
        tokio::spawn(async move {
            loop {
                relay_while_subscribed(&board, &fanout).await;
                relay.running.store(false, Ordering::Release);
                // A subscription made while this one was stopping must not be left without a relay.
                let resumed = fanout.listening()
                    && relay
                        .running
                        .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
                        .is_ok();
                if !resumed || *board.stopping().borrow() {
                    return;
                }
            }
        });
    }
}

async fn relay_while_subscribed(board: &Board, fanout: &Fanout) {
    // Subscribed before reading where the feed stands, so no commit falls between the two.
    let mut wake = board.wakeups();
    let mut stopping = board.stopping();
    let mut cursor = match board.newest_event().await {
        Ok(cursor) => cursor,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the event feed; other processes' changes are not pushed");
            return;
        }
    };
    let mut idle = tokio::time::interval(LOOK_EVERY);
    idle.tick().await;
    loop {
        tokio::select! {
            wake_up = wake.recv() => match wake_up {
                Ok(Wake::Local(_)) => continue,
                // Lagged: some wake-ups were missed, perhaps a foreign one: look.
                Ok(Wake::Foreign) | Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return,
            },
            _ = idle.tick() => {
                if !fanout.listening() {
                    return;
                }
            }
            _ = stopping.wait_for(|stop| *stop) => return,
        }
        match board.foreign_changes(cursor).await {
            Ok((changes, newest)) => {
                cursor = newest;
                if !changes.is_empty() {
                    let matched = fanout.deliver(&changes);
                    tracing::debug!(
                        matched,
                        tasks = changes.tasks.len(),
                        "pushed another process's changes"
                    );
                }
            }
            Err(e) => tracing::warn!(error = %e, "reading other processes' changes failed"),
        }
    }
}
