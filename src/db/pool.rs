//! The r2d2 connection pool and the per-connection SQLite settings.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool, PooledConnection};
use std::path::Path;
use std::time::Duration;

pub type DbPool = Pool<ConnectionManager<SqliteConnection>>;
pub type DbConn = PooledConnection<ConnectionManager<SqliteConnection>>;

/// Applied to every connection, one statement each (diesel's documented order). `journal_mode` persists in
/// the file; the others are per connection. `synchronous=NORMAL` in WAL mode never corrupts the database and
/// keeps every committed transaction across a process crash (only an OS crash/power loss can drop the last
/// few commits) — the durability level the Node originals used.
pub const PRAGMAS: &[&str] = &[
    "PRAGMA busy_timeout = 10000",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA foreign_keys = ON",
    "PRAGMA wal_autocheckpoint = 1000",
];

pub(super) fn apply_pragmas(conn: &mut SqliteConnection) -> QueryResult<()> {
    PRAGMAS.iter().try_for_each(|p| conn.batch_execute(p))
}

#[derive(Debug)]
struct SqlitePragmas;

impl CustomizeConnection<SqliteConnection, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut SqliteConnection) -> Result<(), diesel::r2d2::Error> {
        apply_pragmas(conn).map_err(diesel::r2d2::Error::QueryError)
    }
}

pub(super) fn build(path: &Path, size: u32) -> Result<DbPool, diesel::r2d2::PoolError> {
    let manager = ConnectionManager::<SqliteConnection>::new(path.to_string_lossy());
    Pool::builder()
        .max_size(size.max(1))
        .connection_timeout(Duration::from_secs(30))
        .connection_customizer(Box::new(SqlitePragmas))
        .build(manager)
}
