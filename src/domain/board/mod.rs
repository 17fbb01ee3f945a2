//! [`Board`]: runs business operations in SQLite transactions — reads on the reader threads, writes on the
//! group-commit writer thread. Neither ever runs on an async executor thread.

mod file_guard;
mod foreign;
mod foreign_changes;
pub(crate) mod foreign_pg;
mod group_commit;
mod probe;
mod readers;
mod write_health;

pub use write_health::WriteFailure;

use super::Conn;
use super::changes::Changes;
use super::{DomainError, DomainResult};
use crate::db::{Database, DbPool};
use crate::metrics::Metrics;
use group_commit::Job;
use readers::ReadJob;
use std::sync::mpsc::Sender;
use std::sync::{Arc, RwLock};
use tokio::sync::{broadcast, oneshot, watch};
use write_health::WriteHealth;

/// Called after each committed write that changed something (on the writer thread; must not block).
pub type ChangeListener = Box<dyn Fn(&Changes) + Send + Sync>;

type Listeners = Arc<RwLock<Vec<ChangeListener>>>;

/// What wakes a waiting call (wait_for_task, get_events with wait_secs) to look again.
#[derive(Debug, Clone)]
pub enum Wake {
    /// A write of this process committed these changes.
    Local(Arc<Changes>),
    /// Another process (or connection) committed something: what, is unknown.
    Foreign,
}

/// Wake-ups kept for a waiter that is busy looking; one that falls further behind is told it lagged and
/// looks again, which is what it would have done anyway.
const WAKE_BACKLOG: usize = 256;

/// The shared task board. Cheap to clone (it holds the queues of its threads; the threads hold the pool);
/// every transport uses the same one.
#[derive(Clone)]
pub struct Board {
    listeners: Listeners,
    /// The queue of the group-commit writer thread (see `group_commit`): SQLite has one writer at a time,
    /// and queueing writes here, in arrival order, is cheaper and fairer than letting them collide on the
    /// database lock and back off in SQLite's busy handler. Other processes on the same file are still
    /// handled by `busy_timeout`.
    writer: Sender<Job>,
    /// The queue of the reader threads (see `readers`): one per pooled connection but the writer's.
    readers: Sender<ReadJob>,
    /// What the writer saw of the write path (for `/health`).
    write_health: Arc<WriteHealth>,
    /// Every committed change, for the waiting calls (see [`Wake`]).
    wake: Arc<broadcast::Sender<Wake>>,
    /// Tells the foreign-commit watcher that a call waits (see `foreign`).
    arm: std::sync::mpsc::SyncSender<()>,
    /// Turns true when the server stops: waiting calls end without claiming.
    stopping: Arc<watch::Sender<bool>>,
    /// The event cursors this process wrote (to tell other processes' commits apart).
    own: Arc<foreign::OwnCursors>,
    /// What every layer records into (disabled for boards built outside the server).
    metrics: Metrics,
    /// Which database the board is on.
    database: Arc<Database>,
}

impl Board {
    /// A board that records no metrics (tests, tools). Also starts the board's writer and reader threads
    /// (they stop when the last clone is dropped).
    pub fn new(pool: DbPool) -> Self {
        Self::instrumented(pool, Metrics::disabled())
    }

    /// A board recording into `metrics` (the server's): write batches, claims and leases here, and tool
    /// calls, sessions and streams in the layers that reach the metrics through [`Board::metrics`].
    pub fn instrumented(pool: DbPool, metrics: Metrics) -> Self {
        let readers = readers::start(&pool, (pool.max_size() as usize).saturating_sub(1).max(1));
        let listeners = Listeners::default();
        let write_health = Arc::new(WriteHealth::default());
        let wake = Arc::new(broadcast::channel(WAKE_BACKLOG).0);
        let own = Arc::new(foreign::OwnCursors::default());
        // One pending message is enough to arm it; more would only pile up while it is armed.
        let (arm, armed) = std::sync::mpsc::sync_channel(1);
        let shared = foreign::Shared {
            wake: Arc::downgrade(&wake),
            own: Arc::clone(&own),
            arm: armed,
        };
        let database = Arc::new(pool.database().clone());
        match pool.database() {
            crate::db::Database::Sqlite(_) => {
                foreign::start(file_guard::database_path(&pool), shared);
            }
            crate::db::Database::Postgres(url) => foreign_pg::start(url.clone(), shared),
        }
        let writer = {
            let listeners = Arc::clone(&listeners);
            let wake = Arc::clone(&wake);
            let counted = metrics.clone();
            let health = Arc::clone(&write_health);
            let own = Arc::clone(&own);
            group_commit::start(pool, health, metrics.clone(), move |changes| {
                if let Some(range) = changes.cursors {
                    own.add(range);
                }
                counted.committed(changes.tally.committed());
                publish(&listeners, changes);
                if !changes.is_empty() && wake.receiver_count() > 0 {
                    let _ = wake.send(Wake::Local(Arc::new(changes.clone())));
                }
            })
        };
        Board {
            listeners,
            writer,
            readers,
            write_health,
            wake,
            arm,
            stopping: Arc::new(watch::channel(false).0),
            own,
            metrics,
            database,
        }
    }

    /// Which database the board is on.
    pub fn database(&self) -> &Database {
        &self.database
    }

    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Wake-ups for a waiting call; subscribe before looking, so no change between the look and the wait
    /// is missed.
    pub fn wakeups(&self) -> broadcast::Receiver<Wake> {
        let receiver = self.wake.subscribe();
        // Full: it is being armed already; disconnected: there is no watcher (no file, not Linux).
        let _ = self.arm.try_send(());
        receiver
    }

    /// Tells waiting calls that something changed that this process did not write (see
    /// `db::commit_watch`).
    pub fn wake_foreign(&self) {
        if self.wake.receiver_count() > 0 {
            let _ = self.wake.send(Wake::Foreign);
        }
    }

    /// Whether any call is waiting (the commit watcher only runs while one is).
    pub fn has_waiters(&self) -> bool {
        self.wake.receiver_count() > 0
    }

    /// Turns true when the server stops.
    pub fn stopping(&self) -> watch::Receiver<bool> {
        self.stopping.subscribe()
    }

    /// Ends every waiting call (server shutdown): they answer without claiming.
    pub fn stop_waiters(&self) {
        self.stopping.send_replace(true);
    }

    /// The failure of the most recent write that reached the database, if it failed because of the
    /// database (disk full, I/O error, read-only or removed file) and no write has succeeded since.
    pub fn write_failure(&self) -> Option<WriteFailure> {
        self.write_health.current()
    }

    /// Runs [`Board::probe_write`] when the write path has been failing for 30 s and no probe ran in the
    /// last 10 s, so that `/health` recovers once the cause is fixed even if no client writes; right after
    /// a failure, `/health` reports it as it is.
    pub async fn recheck_writes(&self) {
        use std::time::Duration;
        let due = self
            .write_health
            .probe_due(Duration::from_secs(30), Duration::from_secs(10));
        if due && let Err(e) = self.probe_write().await {
            tracing::warn!(error = %e, "probe write failed");
        }
    }

    /// A real write through the writer that changes nothing (SQLite: rewrites `user_version` with its own
    /// value, which appends a page to the WAL and commits; PostgreSQL: rewrites the event clock's row): tells whether writes can commit right now, and
    /// updates [`Board::write_failure`] like any write. Never opens the database file outside the pool.
    pub async fn probe_write(&self) -> DomainResult<()> {
        self.write(|conn| {
            use diesel::connection::SimpleConnection;
            use diesel::{QueryableByName, RunQueryDsl, sql_types::Integer};
            #[derive(QueryableByName)]
            struct UserVersion {
                #[diesel(sql_type = Integer)]
                user_version: i32,
            }
            match conn {
                Conn::Sqlite(_) => {
                    let v =
                        diesel::sql_query("PRAGMA user_version").get_result::<UserVersion>(conn)?;
                    conn.batch_execute(&format!("PRAGMA user_version = {}", v.user_version))?;
                }
                // A row rewritten with its own value: a real WAL record and commit, nothing changed.
                Conn::Pg(_) => {
                    conn.batch_execute("UPDATE tinytask_event_clock SET last = last WHERE id = 1")?;
                }
            }
            Ok(())
        })
        .await
    }

    /// Registers a listener for committed changes (the MCP engine uses it for resource subscriptions).
    pub fn on_change(&self, listener: ChangeListener) {
        self.listeners
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(listener);
    }

    /// Runs a read-only operation in a deferred transaction (one consistent snapshot across its queries).
    pub async fn read<T, F>(&self, op: F) -> DomainResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Conn) -> DomainResult<T> + Send + 'static,
    {
        self.run(move |conn| conn.read_transaction(op)).await
    }

    /// Runs `op` on a reader thread's connection outside any transaction the board opens (each statement
    /// commits on its own unless `op` opens one): for bookkeeping that is not a board write and must not
    /// queue behind those (the records of shared protocol sessions, `shared_sessions`).
    pub async fn autocommit<T, F>(&self, op: F) -> DomainResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Conn) -> DomainResult<T> + Send + 'static,
    {
        self.run(op).await
    }

    /// Runs a write in the writer's next `BEGIN IMMEDIATE` transaction (the write lock is taken up front,
    /// so a read-then-write never fails half-way with SQLITE_BUSY, and concurrent claims serialize) and
    /// answers once that transaction has committed. `op` may run more than once (each time from scratch,
    /// in a fresh transaction) when another write of its batch made SQLite abandon the transaction.
    pub async fn write<T, F>(&self, op: F) -> DomainResult<T>
    where
        T: Send + 'static,
        F: FnMut(&mut Conn) -> DomainResult<T> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        self.submit(op, tx)?;
        rx.await.map_err(|_| writer_stopped())?
    }

    /// Synchronous variant for non-async callers (CLI, tests); must not be called on an async thread.
    pub fn write_blocking<T>(
        &self,
        op: impl FnMut(&mut Conn) -> DomainResult<T> + Send + 'static,
    ) -> DomainResult<T>
    where
        T: Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        self.submit(op, tx)?;
        rx.blocking_recv().map_err(|_| writer_stopped())?
    }

    fn submit<T, F>(&self, op: F, reply: oneshot::Sender<DomainResult<T>>) -> DomainResult<()>
    where
        T: Send + 'static,
        F: FnMut(&mut Conn) -> DomainResult<T> + Send + 'static,
    {
        let job = group_commit::job(op, reply);
        self.writer.send(job).map_err(|_| writer_stopped())
    }

    /// Runs `op` on a reader thread with a pooled connection and waits for it without blocking the caller.
    async fn run<T, F>(&self, op: F) -> DomainResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Conn) -> DomainResult<T> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: ReadJob = Box::new(move |pool| {
            // The caller may have gone away; nothing to undo for a read.
            let _ = tx.send(readers::run(pool, op));
        });
        self.readers.send(job).map_err(|_| readers_stopped())?;
        rx.await.map_err(|_| readers_stopped())?
    }

    /// Merges the WAL into the database file (on shutdown, so the file alone is complete). Failures are
    /// logged only: every committed transaction is durable in the WAL anyway.
    pub async fn checkpoint(&self) {
        if !matches!(*self.database, Database::Sqlite(_)) {
            return; // PostgreSQL checkpoints on its own
        }
        let result = self
            .run(|conn| {
                diesel::connection::SimpleConnection::batch_execute(
                    conn,
                    "PRAGMA wal_checkpoint(TRUNCATE)",
                )?;
                Ok(())
            })
            .await;
        if let Err(e) = result {
            tracing::warn!(error = %e, "WAL checkpoint at shutdown failed");
        }
    }
}

fn publish(listeners: &Listeners, changes: &Changes) {
    if changes.is_empty() {
        return;
    }
    for listener in listeners.read().unwrap_or_else(|e| e.into_inner()).iter() {
        listener(changes);
    }
}

fn readers_stopped() -> DomainError {
    DomainError::Unavailable("the database readers have stopped".into())
}

fn writer_stopped() -> DomainError {
    DomainError::Unavailable("the database writer has stopped".into())
}
