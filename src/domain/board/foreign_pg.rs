//! Foreign commits on PostgreSQL: wakes this replica's waiting calls (and, through them, subscriptions,
//! listen streams and dashboard streams) when another replica commits.
//!
//! Every PostgreSQL write transaction that appends events ends with `NOTIFY tinytask_events, 'first last'`
//! ([`notify`]); PostgreSQL delivers it to every listening connection when — and only if — the
//! transaction commits. One thread per replica holds a connection that `LISTEN`s while some call waits
//! (armed, like the SQLite watcher) and drains the notifications every [`POLL`]: a range that is not one
//! of this replica's own commits ([`OwnCursors`]) wakes the waiters with [`Wake::Foreign`], and they read
//! the event log — the source of truth — from their own cursor. A notification can therefore never be
//! "lost" in a way that loses an event: after the connection drops (a PostgreSQL restart) it reconnects
//! with backoff, and every (re)start of listening wakes the waiters once, so whatever committed while it
//! was not listening is read from the log.

use super::Wake;
use super::foreign::{OwnCursors, Shared};
use crate::db::PgUrl;
use crate::domain::Conn;
use diesel::connection::SimpleConnection;
use diesel::{PgConnection, QueryResult};
use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;

/// The channel every replica's commits are announced on.
pub const CHANNEL: &str = "tinytask_events";

/// How often an armed listener drains its notifications: the longest a waiter on another replica waits
/// to hear of a commit (diesel exposes no socket to block on; one non-blocking read per tick is cheap).
const POLL: Duration = Duration::from_millis(25);

/// Announces the event cursors a write transaction appended (inside it: delivered on commit only).
pub(crate) fn notify(conn: &mut Conn, range: (i64, i64)) -> QueryResult<()> {
    conn.batch_execute(&format!("NOTIFY {CHANNEL}, '{} {}'", range.0, range.1))
}

/// Starts the listener thread for `url`.
pub(super) fn start(url: PgUrl, shared: Shared) {
    let spawned = std::thread::Builder::new()
        .name("tinytask-commits".into())
        .spawn(move || listen_loop(&url, &shared));
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "cannot listen for other replicas' commits");
    }
}

fn listen_loop(url: &PgUrl, shared: &Shared) {
    // Disarmed: nothing is listened to until a call waits (an error: the board is gone).
    while shared.arm.recv().is_ok() {
        let mut pause = Duration::from_millis(250);
        loop {
            match listen_while_armed(url, shared) {
                Ok(Armed::Disarmed) => break,
                Ok(Armed::BoardGone) => return,
                Err(e) => {
                    tracing::warn!(error = %e, retry_in_ms = pause.as_millis() as u64,
                        "listening for other replicas' commits failed; reconnecting");
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_secs(4));
                    match shared.wake.upgrade() {
                        None => return,
                        Some(sender) if sender.receiver_count() == 0 => break,
                        Some(_) => {}
                    }
                }
            }
        }
    }
}

enum Armed {
    /// Nobody waits any more.
    Disarmed,
    BoardGone,
}

fn listen_while_armed(url: &PgUrl, shared: &Shared) -> Result<Armed, String> {
    let mut conn = crate::db::postgres::connect_once(url).map_err(|e| e.to_string())?;
    conn.batch_execute(&format!("LISTEN {CHANNEL}"))
        .map_err(|e| e.to_string())?;
    // Whatever committed before LISTEN took effect was not announced to us: one look closes that gap.
    if !wake(shared) {
        return Ok(Armed::BoardGone);
    }
    loop {
        match shared.arm.recv_timeout(POLL) {
            Ok(()) | Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return Ok(Armed::BoardGone),
        }
        let foreign = drain(&mut conn, &shared.own)?;
        let Some(sender) = shared.wake.upgrade() else {
            return Ok(Armed::BoardGone);
        };
        if sender.receiver_count() == 0 {
            return Ok(Armed::Disarmed); // the connection (and its LISTEN) closes here
        }
        if foreign {
            let _ = sender.send(Wake::Foreign);
        }
    }
}

/// Reads every pending notification; whether any was another replica's commit. A dead connection is an
/// error (libpq reports it when reading).
fn drain(conn: &mut PgConnection, own: &OwnCursors) -> Result<bool, String> {
    let mut foreign = false;
    for note in conn.notifications_iter() {
        let note = note.map_err(|e| e.to_string())?;
        let last = note
            .payload
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse::<i64>().ok());
        // An unparsable payload is not ours: look (a spurious wake-up costs one read).
        foreign |= last.is_none_or(|c| !own.contains(c));
    }
    Ok(foreign)
}

/// Wakes the waiters; false when the board is gone.
fn wake(shared: &Shared) -> bool {
    match shared.wake.upgrade() {
        Some(sender) => {
            let _ = sender.send(Wake::Foreign);
            true
        }
        None => false,
    }
}
