//! [`Board::health`]: the board's own health probe (for `/health`) — a query on a pooled connection, the
//! write path's real state as the writer saw it (the last write that reached the database, or a probe
//! write through the same writer after 30 s of failures), and a `stat` of the database path.
//!
//! It never opens the database file itself: POSIX locks are per process and file, so closing any handle
//! on the file would release every lock SQLite holds on it and let another process delete the live WAL.

use super::{Board, WriteFailure};
use crate::db::Database;
use diesel::RunQueryDsl;
use std::time::Duration;

/// The result of each check; `Err` holds why it failed.
#[derive(Debug, Clone)]
pub struct BoardHealth {
    /// The database path exists (a `stat`, never an open).
    pub file: Result<(), String>,
    /// A query on a pooled connection answered within 2 s.
    pub query: Result<(), String>,
    /// The write path's current failure, if writes are failing.
    pub write_failure: Option<WriteFailure>,
}

impl Board {
    /// Runs the checks on the database as configured. Each wait is bounded, so a database stuck behind
    /// another process's lock cannot hang the caller.
    pub async fn health(&self, database: &Database) -> BoardHealth {
        let query = self.read(|c| {
            diesel::sql_query("SELECT 1").execute(c)?;
            Ok(())
        });
        let query = match tokio::time::timeout(Duration::from_secs(2), query).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("query timed out after 2 s".to_string()),
        };
        // Bounded like the query: a writer stuck behind another process's lock must not hang /health.
        let _ = tokio::time::timeout(Duration::from_secs(2), self.recheck_writes()).await;
        let write_failure = self.write_failure();
        // Only a stat of the path: never an open (see the module documentation). PostgreSQL has no file
        // of ours to check; the query and the write path say whether it serves.
        let file = match database {
            Database::Sqlite(path) => match std::fs::metadata(path) {
                Ok(_) => Ok(()),
                Err(e) => Err(format!("{}: {e}", path.display())),
            },
            Database::Postgres(_) => Ok(()),
        };
        BoardHealth {
            file,
            query,
            write_failure,
        }
    }
}
