//! Test helpers: a fresh migrated database per test — a SQLite file, or, when
//! `TINYTASK_TEST_DATABASE_URL` names a PostgreSQL server (scripts/test.sh runs the unit tests once per
//! backend), a fresh schema on it — and terse constructors for arguments.

use super::tasks::{self, CreateTask};
use super::views::Task;
use crate::db::{Database, DbConn, DbPool, PgUrl};
use crate::domain::Conn;
use diesel::connection::SimpleConnection;
use std::sync::atomic::{AtomicU32, Ordering};
use tempfile::TempDir;

/// The variable that selects PostgreSQL for the unit tests: an admin URL of the test server.
pub const TEST_DATABASE_URL: &str = "TINYTASK_TEST_DATABASE_URL";

/// Keeps a test's database alive, and removes it afterwards.
pub enum TestDb {
    Sqlite {
        _dir: TempDir,
    },
    /// A schema of its own on the test server (dropped with everything in it).
    Postgres {
        admin: PgUrl,
        schema: String,
    },
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Postgres { admin, schema } = self
            && let Ok(mut conn) = crate::db::postgres::connect_once(admin)
        {
            let _ = conn.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
        }
    }
}

/// Numbers the schemas of one test process.
static NEXT: AtomicU32 = AtomicU32::new(0);

/// A database of its own for one test: a temporary SQLite file, or a PostgreSQL schema (its URL sets the
/// search path, so every connection of the pool sees only that schema).
pub fn database(name: &str) -> (TestDb, Database) {
    let Some(admin) = std::env::var(TEST_DATABASE_URL)
        .ok()
        .filter(|u| !u.is_empty())
    else {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(format!("{name}.db"));
        return (TestDb::Sqlite { _dir: dir }, Database::Sqlite(path));
    };
    let admin = PgUrl::parse(&admin).expect("TINYTASK_TEST_DATABASE_URL is a postgres:// URL");
    let schema = format!(
        "tt_{}_{}_{}",
        name.replace(|c: char| !c.is_ascii_alphanumeric(), "_"),
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let mut conn = crate::db::postgres::connect_once(&admin).expect("the test PostgreSQL server");
    conn.batch_execute(&format!("CREATE SCHEMA {schema}"))
        .expect("create the test schema");
    let url = admin
        .with_param("options", &format!("-csearch_path%3D{schema}"))
        .expect("test schema URL");
    (TestDb::Postgres { admin, schema }, Database::Postgres(url))
}

/// A migrated pool of `size` connections on a fresh database (see [`database`]).
pub fn pool(name: &str, size: u32) -> (TestDb, DbPool) {
    let (guard, db) = database(name);
    let pool = crate::db::open_database(&db, size).expect("open database");
    (guard, pool)
}

/// Whether the test runs on SQLite (the few tests of SQLite's own failure modes run only there, and say
/// so where they return early).
pub fn on_sqlite(pool: &DbPool) -> bool {
    matches!(pool.database(), Database::Sqlite(_))
}

/// A pooled connection (with the production setup) to a fresh database, kept alive by the guard.
pub fn conn() -> (TestDb, DbConn) {
    let (guard, pool) = pool("test", 1);
    (guard, pool.get().expect("connection"))
}

pub fn new_task(title: &str) -> CreateTask {
    CreateTask {
        title: title.into(),
        created_by: "tester".into(),
        ..CreateTask::default()
    }
}

pub fn create(conn: &mut Conn, args: CreateTask) -> Task {
    tasks::create(conn, args).expect("create task")
}

pub fn child(conn: &mut Conn, parent: i32, title: &str) -> Task {
    create(
        conn,
        CreateTask {
            parent_task_id: Some(parent),
            ..new_task(title)
        },
    )
}
