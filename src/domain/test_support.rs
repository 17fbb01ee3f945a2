//! Test helpers: a fresh migrated database per test, and terse constructors for arguments.

use super::tasks::{self, CreateTask};
use super::views::Task;
use crate::db::DbConn;
use diesel::SqliteConnection;
use tempfile::TempDir;

/// A pooled connection (with the production pragmas) to a new database file, kept alive by the guard.
pub fn conn() -> (TempDir, DbConn) {
    let dir = tempfile::tempdir().expect("temp dir");
    let pool = crate::db::open(&dir.path().join("test.db"), 1).expect("open database");
    (dir, pool.get().expect("connection"))
}

pub fn new_task(title: &str) -> CreateTask {
    CreateTask {
        title: title.into(),
        created_by: "tester".into(),
        ..CreateTask::default()
    }
}

pub fn create(conn: &mut SqliteConnection, args: CreateTask) -> Task {
    tasks::create(conn, args).expect("create task")
}

pub fn child(conn: &mut SqliteConnection, parent: i32, title: &str) -> Task {
    create(
        conn,
        CreateTask {
            parent_task_id: Some(parent),
            ..new_task(title)
        },
    )
}
