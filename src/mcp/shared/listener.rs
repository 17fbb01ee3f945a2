//! The thread that hears the other replicas' [`Note`]s: one connection per replica `LISTEN`ing on
//! `shared_sessions::CHANNEL`, drained every [`POLL`] (diesel exposes no socket to block on). After a
//! reconnect (PostgreSQL restarted) the notes sent meanwhile are gone: the sessions this replica holds
//! are then checked against the table, so one that ended meanwhile ends here too. A lost cancellation
//! only lets a waiting call run to its own end; a lost log message is a lost log message.

use super::Sharing;
use super::note::Note;
use crate::db::PgUrl;
use crate::domain::shared_sessions::{self, CHANNEL};
use diesel::connection::SimpleConnection;
use std::sync::Weak;
use std::time::Duration;

/// The longest a note waits to be read on another replica.
const POLL: Duration = Duration::from_millis(25);

pub(super) fn start(url: PgUrl, sharing: Weak<Sharing>) {
    let spawned = std::thread::Builder::new()
        .name("tinytask-sessions".into())
        .spawn(move || run(&url, &sharing));
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "cannot listen for other replicas' session notes");
    }
}

fn run(url: &PgUrl, sharing: &Weak<Sharing>) {
    let mut pause = Duration::from_millis(250);
    loop {
        match listen(url, sharing, &mut pause) {
            Ok(()) => return, // the server is gone
            Err(e) => {
                tracing::warn!(error = %e, retry_in_ms = pause.as_millis() as u64,
                    "listening for other replicas' session notes failed; reconnecting");
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_secs(4));
                if sharing.strong_count() == 0 {
                    return;
                }
            }
        }
    }
}

fn listen(url: &PgUrl, sharing: &Weak<Sharing>, pause: &mut Duration) -> Result<(), String> {
    let mut conn = crate::db::postgres::connect_once(url).map_err(|e| e.to_string())?;
    conn.batch_execute(&format!("LISTEN {CHANNEL}"))
        .map_err(|e| e.to_string())?;
    *pause = Duration::from_millis(250);
    {
        // Whatever ended before LISTEN took effect was announced to nobody here: look it up.
        let Some(sharing) = sharing.upgrade() else {
            return Ok(());
        };
        let held = sharing.held();
        if !held.is_empty() {
            let alive =
                shared_sessions::existing_pg(&mut conn, &held).map_err(|e| e.to_string())?;
            sharing.end_missing(&held, &alive);
        }
    }
    loop {
        std::thread::sleep(POLL);
        let Some(sharing) = sharing.upgrade() else {
            return Ok(());
        };
        for note in conn.notifications_iter() {
            let note = note.map_err(|e| e.to_string())?;
            match Note::parse(&note.payload) {
                Some(parsed) => sharing.hear(parsed),
                None => {
                    tracing::debug!(payload = %note.payload, "ignoring an unknown session note");
                }
            }
        }
    }
}
