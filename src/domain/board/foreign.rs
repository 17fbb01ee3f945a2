//! Foreign commits: wakes this process's waiting calls when another process (a second server, a stdio
//! server per agent) commits to the same database file — no poll, the kernel reports the write.
//!
//! Every commit appends to the `-wal` file; inotify tells us it was written. Our own commits do that too,
//! so the watcher checks which new event cursors this process wrote itself ([`OwnCursors`]: each commit's
//! events are one contiguous range, as SQLite has one writer at a time): a new cursor outside them was
//! written by someone else, and waiters look again ([`Wake::Foreign`]). Only TinyTask writes events; a
//! write by the Node originals is noticed with the next TinyTask change.

use super::Wake;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};
use tokio::sync::broadcast;

/// What the watcher shares with the board: the wake-up channel (weakly: the watcher ends with the
/// board) and the cursors of the events this process appended.
pub(super) struct Shared {
    pub wake: Weak<broadcast::Sender<Wake>>,
    pub own: Arc<OwnCursors>,
    /// A message each time a call starts waiting: the watcher only watches while one waits (watching our
    /// own writes cost 9% of the server's CPU under write load with nobody waiting).
    pub arm: std::sync::mpsc::Receiver<()>,
}

/// Most ranges kept: older ones are below anything the watcher still has to classify.
const OWN_RANGES: usize = 4096;

/// The event cursor ranges (first, last) of this process's recent commits, oldest first.
#[derive(Default)]
pub(super) struct OwnCursors(Mutex<VecDeque<(i64, i64)>>);

impl OwnCursors {
    /// Records a commit's events (called by the writer after the commit).
    pub(super) fn add(&self, range: (i64, i64)) {
        let mut ranges = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if ranges.len() == OWN_RANGES {
            ranges.pop_front();
        }
        ranges.push_back(range);
    }

    /// Whether this process wrote the event at `cursor` (as far as the kept ranges tell).
    pub(super) fn contains(&self, cursor: i64) -> bool {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .any(|&(first, last)| (first..=last).contains(&cursor))
    }

    /// How many of the cursors in (after, upto] this process wrote; forgets ranges at or below `after`.
    fn count_in(&self, after: i64, upto: i64) -> i64 {
        let mut ranges = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        ranges.retain(|&(_, last)| last > after);
        ranges
            .iter()
            .map(|&(first, last)| (last.min(upto) - first.max(after + 1) + 1).max(0))
            .sum()
    }
}

/// Starts the watcher thread for the database at `path` (nothing off Linux or for an in-memory database).
pub(super) fn start(path: Option<PathBuf>, shared: Shared) {
    let Some(path) = path else { return };
    #[cfg(target_os = "linux")]
    {
        let spawned = std::thread::Builder::new()
            .name("tinytask-commits".into())
            .spawn(move || {
                if let Err(e) = watch(&path, &shared) {
                    tracing::warn!(error = %e, "watching for other processes' commits stopped");
                }
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "cannot watch for other processes' commits");
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (path, shared);
        tracing::info!("waiting calls are not woken by other processes' commits on this platform");
    }
}

/// Pauses before re-reading the feed after a `-wal` write that did not (yet) show a foreign commit
/// (about 0.4 s in all; only while some call is waiting).
#[cfg(target_os = "linux")]
const RECHECK_MS: [u64; 6] = [1, 4, 15, 40, 100, 250];

/// The newest event cursor in the file.
fn newest(conn: &mut crate::domain::Conn) -> i64 {
    crate::domain::events::newest(conn).unwrap_or(0)
}

#[cfg(target_os = "linux")]
fn watch(path: &Path, shared: &Shared) -> Result<(), String> {
    use inotify::{EventMask, Inotify, WatchMask};
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let wal = format!(
        "{}-wal",
        path.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default()
    );
    let mut inotify = Inotify::init().map_err(|e| e.to_string())?;
    let mut conn =
        crate::domain::Conn::Sqlite(crate::db::establish(path).map_err(|e| e.to_string())?);
    let mut buffer = [0u8; 4096];
    // Disarmed: nothing is watched until a call waits (an error: the board is gone).
    while shared.arm.recv().is_ok() {
        while shared.arm.try_recv().is_ok() {}
        let watch = inotify
            .watches()
            .add(dir, WatchMask::MODIFY | WatchMask::DELETE_SELF)
            .map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut seen = newest(&mut conn);
        loop {
            let events = inotify
                .read_events_blocking(&mut buffer)
                .map_err(|e| e.to_string())?;
            let mut written = false;
            for event in events {
                if event.mask.contains(EventMask::DELETE_SELF) {
                    return Ok(()); // the directory is gone: so is the board
                }
                written |= event.name.is_some_and(|n| n.to_string_lossy() == wal);
            }
            let Some(wake) = shared.wake.upgrade() else {
                return Ok(());
            };
            if wake.receiver_count() == 0 {
                break; // nobody waits any more: disarm
            }
            if !written {
                continue;
            }
            // inotify reports the `-wal` write as it happens, but readers see the commit only once the
            // writer has updated the WAL index (`-shm`, written through mmap: no inotify event). Reading at
            // once can see the feed as before the commit and, if that write was the commit's last, nothing
            // would ever wake the waiters: look again shortly after before concluding it was our own.
            let foreign = |feed: i64| feed - seen > shared.own.count_in(seen, feed);
            let mut feed = newest(&mut conn);
            for pause_ms in RECHECK_MS {
                if foreign(feed) {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(pause_ms));
                feed = newest(&mut conn);
            }
            // An own commit not recorded yet looks foreign: one spurious wake-up, nothing hidden later.
            if foreign(feed) {
                let _ = wake.send(Wake::Foreign);
            }
            seen = seen.max(feed);
        }
        // Its IN_IGNORED event is read (and skipped) with the next watch's events.
        let _ = inotify.watches().remove(watch);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::OwnCursors;

    #[test]
    fn own_cursors_count_only_what_falls_in_the_window() {
        let own = OwnCursors::default();
        own.add((1, 3));
        own.add((6, 6));
        own.add((8, 10));
        assert!(own.contains(2) && own.contains(9) && !own.contains(4));
        assert_eq!(own.count_in(0, 10), 7);
        assert_eq!(own.count_in(2, 9), 4, "2..=3 → 3, 6, 8, 9");
        assert_eq!(
            own.count_in(3, 7),
            1,
            "the range at or below 3 is forgotten"
        );
        assert_eq!(own.count_in(0, 10), 4, "…for good: 6, 8, 9, 10");
    }
}
