//! [`Board`]: runs business operations on the blocking thread pool, each in one SQLite transaction.

use super::{DomainError, DomainResult};
use crate::db::DbPool;
use diesel::{Connection, SqliteConnection};

/// The shared task board. Cheap to clone (the pool is reference counted); every transport uses the same one.
#[derive(Clone)]
pub struct Board {
    pool: DbPool,
}

impl Board {
    pub fn new(pool: DbPool) -> Self {
        Board { pool }
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
        self.run(move |conn| conn.transaction(op)).await
    }

    /// Runs a write in a `BEGIN IMMEDIATE` transaction: the write lock is taken up front, so a
    /// read-then-write never fails half-way with SQLITE_BUSY, and concurrent claims serialize.
    pub async fn write<T, F>(&self, op: F) -> DomainResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut SqliteConnection) -> DomainResult<T> + Send + 'static,
    {
        self.run(move |conn| conn.immediate_transaction(op)).await
    }

    /// Diesel is synchronous: run on tokio's blocking pool, never on the async executor threads.
    async fn run<T, F>(&self, op: F) -> DomainResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut SqliteConnection) -> DomainResult<T> + Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool
                .get()
                .map_err(|e| DomainError::Unavailable(e.to_string()))?;
            op(&mut conn)
        })
        .await
        .map_err(|e| DomainError::Unavailable(format!("database task failed: {e}")))?
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
        conn.immediate_transaction(op)
    }
}
