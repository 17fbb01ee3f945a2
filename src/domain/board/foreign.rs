//! Foreign commits: wakes this process's waiting calls when another process (a second server, a stdio
//! server per agent) commits to the same database file — no poll, the kernel reports the write.
//!
//! Every commit appends to the `-wal` file; inotify tells us it was written. Our own commits do that too,
//! so the watcher compares how far the event feed advanced with how many events this process appended:
//! when the feed grew by more, someone else wrote, and waiters look again ([`Wake::Foreign`]). Only
//! TinyTask writes events; a write by the Node originals is noticed with the next TinyTask change.

use super::Wake;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use tokio::sync::broadcast;

/// What the watcher shares with the board: the wake-up channel (weakly: the watcher ends with the
/// board) and how many events this process appended.
pub(super) struct Shared {
    pub wake: Weak<broadcast::Sender<Wake>>,
    pub own_events: Arc<AtomicU64>,
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
fn newest(conn: &mut diesel::SqliteConnection) -> i64 {
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
    inotify
        .watches()
        .add(dir, WatchMask::MODIFY | WatchMask::DELETE_SELF)
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut conn = crate::db::establish(path).map_err(|e| e.to_string())?;
    let (mut seen, mut seen_own) = (newest(&mut conn), shared.own_events.load(Ordering::Acquire));
    let mut buffer = [0u8; 4096];
    loop {
        let events = inotify
            .read_events_blocking(&mut buffer)
            .map_err(|e| e.to_string())?;
        let mut written = false;
        for event in events {
            if event.mask.contains(EventMask::DELETE_SELF)
                || event.mask.contains(EventMask::IGNORED)
            {
                return Ok(()); // the directory is gone: so is the board
            }
            written |= event.name.is_some_and(|n| n.to_string_lossy() == wal);
        }
        let Some(wake) = shared.wake.upgrade() else {
            return Ok(());
        };
        if !written || wake.receiver_count() == 0 {
            continue;
        }
        // Own first, feed second: an own commit counted late only makes one spurious wake-up.
        let mut own = shared.own_events.load(Ordering::Acquire);
        let mut feed = newest(&mut conn);
        // inotify reports the `-wal` write as it happens, but readers see the commit only once the writer
        // has updated the WAL index (`-shm`, written through mmap: no inotify event). Reading at once can
        // see the feed as before the commit and, if that write was the commit's last, nothing would ever
        // wake the waiters: look again shortly after before concluding it was only our own write.
        for pause_ms in RECHECK_MS {
            if feed - seen > (own - seen_own) as i64 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(pause_ms));
            own = shared.own_events.load(Ordering::Acquire);
            feed = newest(&mut conn);
        }
        if feed - seen > (own - seen_own) as i64 {
            let _ = wake.send(Wake::Foreign);
        }
        (seen, seen_own) = (feed, own);
    }
}
