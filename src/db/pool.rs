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

/// Per-connection TEMP triggers recording which tasks (and which agents' and queues' task lists) each write
/// touches; read by `domain::changes` to push `notifications/resources/updated`. TEMP objects live only in
/// this connection, so they never reach the database file.
pub const CHANGE_TRIGGERS: &str = "
CREATE TEMP TABLE IF NOT EXISTS tinytask_changes (task_id INTEGER NOT NULL, agent TEXT, queue TEXT);
CREATE TEMP TRIGGER IF NOT EXISTS tinytask_task_inserted AFTER INSERT ON main.tasks BEGIN
  INSERT INTO tinytask_changes VALUES (NEW.id, NEW.assigned_to, NEW.queue_name); END;
CREATE TEMP TRIGGER IF NOT EXISTS tinytask_task_updated AFTER UPDATE ON main.tasks BEGIN
  INSERT INTO tinytask_changes VALUES (NEW.id, NEW.assigned_to, NEW.queue_name), (OLD.id, OLD.assigned_to, OLD.queue_name); END;
CREATE TEMP TRIGGER IF NOT EXISTS tinytask_task_deleted AFTER DELETE ON main.tasks BEGIN
  INSERT INTO tinytask_changes VALUES (OLD.id, OLD.assigned_to, OLD.queue_name); END;
CREATE TEMP TRIGGER IF NOT EXISTS tinytask_comment_inserted AFTER INSERT ON main.comments BEGIN
  INSERT INTO tinytask_changes VALUES (NEW.task_id, NULL, NULL); END;
CREATE TEMP TRIGGER IF NOT EXISTS tinytask_comment_updated AFTER UPDATE ON main.comments BEGIN
  INSERT INTO tinytask_changes VALUES (NEW.task_id, NULL, NULL); END;
CREATE TEMP TRIGGER IF NOT EXISTS tinytask_comment_deleted AFTER DELETE ON main.comments BEGIN
  INSERT INTO tinytask_changes VALUES (OLD.task_id, NULL, NULL); END;
CREATE TEMP TRIGGER IF NOT EXISTS tinytask_link_inserted AFTER INSERT ON main.links BEGIN
  INSERT INTO tinytask_changes VALUES (NEW.task_id, NULL, NULL); END;
CREATE TEMP TRIGGER IF NOT EXISTS tinytask_link_updated AFTER UPDATE ON main.links BEGIN
  INSERT INTO tinytask_changes VALUES (NEW.task_id, NULL, NULL); END;
CREATE TEMP TRIGGER IF NOT EXISTS tinytask_link_deleted AFTER DELETE ON main.links BEGIN
  INSERT INTO tinytask_changes VALUES (OLD.task_id, NULL, NULL); END;
";

#[derive(Debug)]
struct SqlitePragmas;

impl CustomizeConnection<SqliteConnection, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut SqliteConnection) -> Result<(), diesel::r2d2::Error> {
        apply_pragmas(conn).map_err(diesel::r2d2::Error::QueryError)?;
        conn.batch_execute(CHANGE_TRIGGERS)
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
