//! The SQLite side of setup: per-connection PRAGMAs, adoption of Node-era files and migrations.

use super::DbError;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use std::path::Path;

/// Applied to every connection, one statement each (diesel's documented order). `journal_mode` persists in
/// the file; the others are per connection. `synchronous=NORMAL` in WAL mode never corrupts the database and
/// keeps every committed transaction across a process crash (only an OS crash/power loss can drop the last
/// few commits) — the durability level the Node originals used. `temp_store=MEMORY` keeps statement
/// journals, transient sort indexes and the TEMP change-capture table in memory: with the read-only root
/// filesystem of the production container, SQLite could not create them in /tmp, and every statement that
/// needed one (e.g. `update_task` of `parent_task_id`) failed.
pub const PRAGMAS: &[&str] = &[
    "PRAGMA busy_timeout = 10000",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA foreign_keys = ON",
    "PRAGMA wal_autocheckpoint = 1000",
    "PRAGMA temp_store = MEMORY",
];

pub(super) fn apply_pragmas(conn: &mut SqliteConnection) -> QueryResult<()> {
    PRAGMAS.iter().try_for_each(|p| conn.batch_execute(p))
}

/// Creates the file if needed, adopts a Node 1.x/2.x schema and applies pending migrations.
pub(super) fn prepare(path: &Path) -> Result<(), DbError> {
    super::create_parent_dir(path)?;
    let setup_err = |message: String| DbError::Setup {
        path: path.to_path_buf(),
        message,
    };
    let mut conn = establish(path)?;
    apply_pragmas(&mut conn).map_err(|e| setup_err(e.to_string()))?;
    super::adopt::adopt_legacy_schema(&mut conn)
        .map_err(|e| setup_err(format!("adopting existing schema: {e}")))?;
    super::migrate::run_pending_sqlite(&mut conn)
        .map_err(|e| setup_err(format!("migrations: {e}")))?;
    Ok(())
}

/// A single raw connection (used for setup, backups and the commit watcher).
pub fn establish(path: &Path) -> Result<SqliteConnection, DbError> {
    SqliteConnection::establish(&path.to_string_lossy()).map_err(|source| DbError::Connect {
        path: path.to_path_buf(),
        source,
    })
}
