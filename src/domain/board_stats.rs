//! The board's counts for a metrics scrape (`GET /metrics`): tasks by status and queue, archived tasks,
//! active leases and the extent of the event feed. Read in one read transaction on a reader thread: one
//! grouped scan of `tasks`, the rest are lookups (a count of the small lease table, the two ends of the
//! feed's primary key and its AUTOINCREMENT counter).

use super::DomainResult;
use crate::domain::Conn;
use crate::metrics::{BoardSnapshot, TaskCount};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Text};

#[derive(QueryableByName)]
struct Group {
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Nullable<Text>)]
    queue_name: Option<String>,
    #[diesel(sql_type = Bool)]
    archived: bool,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Extent {
    #[diesel(sql_type = BigInt)]
    leases: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    oldest: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    newest: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    last: Option<i64>,
}

/// Reads the counts (call inside a read transaction, so they are one consistent snapshot).
pub fn snapshot(conn: &mut Conn) -> DomainResult<BoardSnapshot> {
    let groups: Vec<Group> = diesel::sql_query(
        "SELECT status, queue_name, archived_at IS NOT NULL AS archived, COUNT(*) AS n \
         FROM tasks GROUP BY status, queue_name, archived_at IS NOT NULL",
    )
    .load(conn)?;
    // The last cursor handed out: SQLite's AUTOINCREMENT counter, PostgreSQL's event clock.
    let last = match conn.backend() {
        super::Backend::Sqlite => "(SELECT seq FROM sqlite_sequence WHERE name = 'task_events')",
        super::Backend::Postgres => "(SELECT last FROM tinytask_event_clock WHERE id = 1)",
    };
    let extent: Extent = diesel::sql_query(format!(
        "SELECT (SELECT COUNT(*) FROM task_leases) AS leases, \
                (SELECT MIN(cursor) FROM task_events) AS oldest, \
                (SELECT MAX(cursor) FROM task_events) AS newest, \
                {last} AS last"
    ))
    .get_result(conn)?;
    let mut snapshot = BoardSnapshot {
        leases: extent.leases,
        event_cursors: extent.oldest.zip(extent.newest),
        last_cursor: extent.last.unwrap_or(0),
        ..BoardSnapshot::default()
    };
    for g in groups {
        if g.archived {
            snapshot.archived += g.n;
        } else {
            snapshot.tasks.push(TaskCount {
                status: g.status,
                queue: g.queue_name,
                count: g.n,
            });
        }
    }
    Ok(snapshot)
}
