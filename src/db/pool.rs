//! The r2d2 connection pool and the per-connection SQLite settings.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool, PooledConnection};
use std::path::Path;
use std::sync::LazyLock;
use std::time::Duration;

/// The change-capture triggers (see `capture`), expanded once.
static CAPTURE: LazyLock<String> = LazyLock::new(super::capture::capture_sql);

pub type DbPool = Pool<ConnectionManager<SqliteConnection>>;
pub type DbConn = PooledConnection<ConnectionManager<SqliteConnection>>;

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

#[derive(Debug)]
struct SqlitePragmas;

impl CustomizeConnection<SqliteConnection, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut SqliteConnection) -> Result<(), diesel::r2d2::Error> {
        apply_pragmas(conn).map_err(diesel::r2d2::Error::QueryError)?;
        conn.batch_execute(&CAPTURE)
            .map_err(diesel::r2d2::Error::QueryError)
    }
}

pub(super) fn build(path: &Path, size: u32) -> Result<DbPool, diesel::r2d2::PoolError> {
    let manager = ConnectionManager::<SqliteConnection>::new(path.to_string_lossy());
    Pool::builder()
        .max_size(size.max(1))
        .connection_timeout(Duration::from_secs(30))
        // r2d2 would run `SELECT 1` on every checkout; a connection to a local SQLite file cannot go stale.
        .test_on_check_out(false)
        .connection_customizer(Box::new(SqlitePragmas))
        .build(manager)
}

#[cfg(test)]
mod tests {
    use diesel::prelude::*;
    use diesel::sql_types::Integer;

    #[derive(QueryableByName)]
    struct TempStore {
        #[diesel(sql_type = Integer)]
        temp_store: i32,
    }

    #[test]
    fn every_pooled_connection_keeps_temporary_data_in_memory() {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::db::open(&dir.path().join("t.db"), 3).unwrap();
        let conns: Vec<_> = (0..3).map(|_| pool.get().unwrap()).collect();
        for mut conn in conns {
            let v = diesel::sql_query("PRAGMA temp_store")
                .get_result::<TempStore>(&mut conn)
                .unwrap();
            assert_eq!(v.temp_store, 2, "MEMORY: no temp files on a read-only root");
        }
    }
}
