//! The r2d2 connection pool over either backend, and what every new connection gets before its first use.

use super::{Database, DbError};
use crate::domain::Conn;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{CustomizeConnection, ManageConnection, Pool, PooledConnection};
use std::sync::LazyLock;
use std::time::Duration;

/// The SQLite change-capture triggers (see `capture`), expanded once.
static CAPTURE: LazyLock<String> = LazyLock::new(super::capture::capture_sql);

/// The pool, and which database it serves (cheap to clone: r2d2's pool is shared).
#[derive(Clone)]
pub struct DbPool {
    pool: Pool<Manager>,
    db: std::sync::Arc<Database>,
}

impl DbPool {
    pub fn database(&self) -> &Database {
        &self.db
    }
}

/// `get`, `max_size`, `state`: r2d2's pool itself.
impl std::ops::Deref for DbPool {
    type Target = Pool<Manager>;
    fn deref(&self) -> &Self::Target {
        &self.pool
    }
}

pub type DbConn = PooledConnection<Manager>;

/// Opens connections of the configured backend (diesel's `ConnectionManager` would pick the backend by
/// trying each in turn, and SQLite accepts any string as a file name).
#[derive(Debug)]
pub struct Manager {
    db: Database,
}

impl ManageConnection for Manager {
    type Connection = Conn;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<Conn, Self::Error> {
        let conn = match &self.db {
            Database::Sqlite(path) => {
                SqliteConnection::establish(&path.to_string_lossy()).map(Conn::Sqlite)
            }
            Database::Postgres(url) => PgConnection::establish(&url.connect_string()).map(Conn::Pg),
        };
        conn.map_err(diesel::r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut Conn) -> Result<(), Self::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut Conn) -> bool {
        diesel::r2d2::R2D2Connection::is_broken(conn)
    }
}

/// Per-connection setup: SQLite's PRAGMAs and TEMP capture triggers; PostgreSQL's TEMP capture tables.
#[derive(Debug)]
struct Prepare;

impl CustomizeConnection<Conn, diesel::r2d2::Error> for Prepare {
    fn on_acquire(&self, conn: &mut Conn) -> Result<(), diesel::r2d2::Error> {
        let result = match conn {
            Conn::Sqlite(c) => {
                super::sqlite::apply_pragmas(c).and_then(|()| c.batch_execute(&CAPTURE))
            }
            Conn::Pg(c) => super::postgres::init_session(c),
        };
        result.map_err(diesel::r2d2::Error::QueryError)
    }
}

pub(super) fn build(db: &Database, size: u32) -> Result<DbPool, DbError> {
    let postgres = matches!(db, Database::Postgres(_));
    let builder = Pool::builder()
        .max_size(size.max(1))
        // A local SQLite file cannot go stale, so r2d2's `SELECT 1` on every checkout would be pure cost.
        // A PostgreSQL connection can (a server restart, a fail-over): checking it on checkout means a
        // request after a restart gets a fresh connection instead of the dead one's error.
        .test_on_check_out(postgres)
        // Waiting for a PostgreSQL connection that cannot be made answers "unavailable" after 5 s (the
        // server is down); SQLite connections are local and only ever wait for each other.
        .connection_timeout(Duration::from_secs(if postgres { 5 } else { 30 }))
        .connection_customizer(Box::new(Prepare));
    let pool = builder
        .build(Manager { db: db.clone() })
        .map_err(|source| DbError::Pool {
            path: db.to_string().into(),
            source,
        })?;
    Ok(DbPool {
        pool,
        db: std::sync::Arc::new(db.clone()),
    })
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
