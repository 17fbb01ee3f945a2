//! [`Board`]: runs business operations on the blocking thread pool, each in one SQLite transaction.

use super::changes::{self, Changes};
use super::{DomainError, DomainResult};
use crate::db::DbPool;
use diesel::{Connection, SqliteConnection};
use std::sync::{Arc, Mutex, RwLock};
use tokio::sync::Semaphore;

/// Writers admitted at once (see `Board::writers`).
const WRITERS: usize = 2;

/// Called after each committed write that changed something (on the thread that ran the write; must not
/// block).
pub type ChangeListener = Box<dyn Fn(&Changes) + Send + Sync>;

/// The shared task board. Cheap to clone (the pool is reference counted); every transport uses the same one.
#[derive(Clone)]
pub struct Board {
    pool: DbPool,
    listeners: Arc<RwLock<Vec<ChangeListener>>>,
    /// SQLite has one writer at a time. Queueing writers here, in arrival order, is cheaper and fairer than
    /// letting them collide on the database lock and back off in SQLite's busy handler (sleeps of up to
    /// 100 ms). Other processes on the same file are still handled by `busy_timeout`.
    write_gate: Arc<Mutex<()>>,
    /// Async admission before a blocking thread is used: two writers (one runs while the next is already
    /// parked on `write_gate`, so the hand-over costs a mutex unlock, not a thread wake-up) and the other
    /// connections for readers. Waiting callers wait as cheap futures instead of parked threads, and a
    /// reader always finds a free connection.
    writers: Arc<Semaphore>,
    readers: Arc<Semaphore>,
}

impl Board {
    pub fn new(pool: DbPool) -> Self {
        let readers = (pool.max_size() as usize).saturating_sub(WRITERS).max(1);
        Board {
            pool,
            listeners: Arc::default(),
            write_gate: Arc::default(),
            writers: Arc::new(Semaphore::new(WRITERS)),
            readers: Arc::new(Semaphore::new(readers)),
        }
    }

    /// Registers a listener for committed changes (the MCP engine uses it for resource subscriptions).
    pub fn on_change(&self, listener: ChangeListener) {
        self.listeners
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(listener);
    }

    fn publish(&self, changes: &Changes) {
        if changes.is_empty() {
            return;
        }
        for listener in self
            .listeners
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            listener(changes);
        }
    }

    pub fn pool(&self) -> &DbPool {
        &self.pool
    }

    /// Runs a read-only operation in a deferred transaction (one consistent snapshot across its queries).
    pub async fn read<T, F>(&self, op: F) -> DomainResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut SqliteConnection) -> DomainResult<T> + Send + 'static,
    {
        let _admitted = self
            .readers
            .acquire()
            .await
            .map_err(|e| DomainError::Unavailable(e.to_string()))?;
        self.run(None, move |conn| conn.transaction(op)).await
    }

    /// Runs a write in a `BEGIN IMMEDIATE` transaction: the write lock is taken up front, so a
    /// read-then-write never fails half-way with SQLITE_BUSY, and concurrent claims serialize.
    pub async fn write<T, F>(&self, op: F) -> DomainResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut SqliteConnection) -> DomainResult<T> + Send + 'static,
    {
        let _admitted = self
            .writers
            .acquire()
            .await
            .map_err(|e| DomainError::Unavailable(e.to_string()))?;
        let gate = Some(Arc::clone(&self.write_gate));
        let (out, changes) = self
            .run(gate, move |conn| {
                conn.immediate_transaction(|c| write_and_capture(c, op))
            })
            .await?;
        self.publish(&changes);
        Ok(out)
    }

    /// Diesel is synchronous: run on tokio's blocking pool, never on the async executor threads. Writers
    /// pass the gate, taken before a pooled connection so waiting writers never starve readers of them.
    async fn run<T, F>(&self, gate: Option<Arc<Mutex<()>>>, op: F) -> DomainResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut SqliteConnection) -> DomainResult<T> + Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let _turn = gate
                .as_ref()
                .map(|g| g.lock().unwrap_or_else(|e| e.into_inner()));
            let mut conn = pool
                .get()
                .map_err(|e| DomainError::Unavailable(e.to_string()))?;
            op(&mut conn)
        })
        .await
        .map_err(|e| DomainError::Unavailable(format!("database task failed: {e}")))?
    }

    /// Merges the WAL into the database file (on shutdown, so the file alone is complete). Failures are
    /// logged only: every committed transaction is durable in the WAL anyway.
    pub async fn checkpoint(&self) {
        let result = self
            .run(None, |conn| {
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

    /// Synchronous variant for non-async callers (CLI, tests): runs `op` in an IMMEDIATE transaction.
    pub fn write_blocking<T>(
        &self,
        op: impl FnOnce(&mut SqliteConnection) -> DomainResult<T>,
    ) -> DomainResult<T> {
        let mut conn = self
            .pool
            .get()
            .map_err(|e| DomainError::Unavailable(e.to_string()))?;
        let (out, changes) = {
            let _turn = self.write_gate.lock().unwrap_or_else(|e| e.into_inner());
            conn.immediate_transaction(|c| write_and_capture(c, op))?
        };
        self.publish(&changes);
        Ok(out)
    }
}

/// Runs a write and collects what it touched, inside the caller's transaction.
fn write_and_capture<T>(
    conn: &mut SqliteConnection,
    op: impl FnOnce(&mut SqliteConnection) -> DomainResult<T>,
) -> DomainResult<(T, Changes)> {
    let out = op(conn)?;
    Ok((out, changes::drain(conn)?))
}
