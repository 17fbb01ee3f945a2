//! Each board table's copy: rows read in key order from the source's snapshot a page at a time (memory stays
//! bounded by one page, whatever the board's size), each page written to the target with one multi-row
//! INSERT. Also the per-table counts (the emptiness check and the verification) and `--replace`'s delete.

use super::rows;
use crate::db::schema::{
    comments, links, task_dependencies, task_events, task_history, task_leases, tasks,
};
use crate::domain::Conn;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

/// One multi-row INSERT of `rows`, every column given. On each backend's own connection: the
/// `MultiConnection` has no batch insert for SQLite (diesel writes SQLite's batches differently), and a
/// macro because diesel's insert bounds, spelled out generically, do not resolve.
macro_rules! insert {
    ($conn:expr, $table:expr, $rows:expr) => {
        match $conn {
            Conn::Sqlite(c) => diesel::insert_into($table)
                .values($rows)
                .execute(c)
                .map(drop),
            Conn::Pg(c) => diesel::insert_into($table)
                .values($rows)
                .execute(c)
                .map(drop),
        }
    };
}

/// The board's tables in the order they are written: tasks before the rows that reference them.
pub const TABLES: [&str; 7] = [
    "tasks",
    "comments",
    "links",
    "task_history",
    "task_leases",
    "task_dependencies",
    "task_events",
];

/// What one table's copy wrote: its row count and its largest key (for a table with a counter, the id or
/// cursor the target's counter must continue after; 0 for an empty table).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Copied {
    pub rows: i64,
    pub max_key: i64,
}

/// One page of `$table`: the rows after key `after`, in key order (one index range scan).
macro_rules! page_of {
    ($table:ident, $key:ident, $row:ty) => {
        |c: &mut Conn, after, limit| {
            $table::table
                .filter($table::$key.gt(after))
                .order($table::$key)
                .limit(limit)
                .select(<$row>::as_select())
                .load(c)
        }
    };
}

/// Copies every table in [`TABLES`] order, `batch` rows per statement; returns each table's result.
pub fn copy_all(src: &mut Conn, dst: &mut Conn, batch: i64) -> QueryResult<Vec<Copied>> {
    // Keys start below any id (SQLite allows negative ones).
    let start = i32::MIN;
    Ok(vec![
        copy_tasks(src, dst, batch)?,
        by_key(
            (src, dst, batch, start),
            page_of!(comments, id, rows::Comment),
            |r| r.id.unwrap_or_default(),
            |c, rows| insert!(c, comments::table, rows),
        )?,
        by_key(
            (src, dst, batch, start),
            page_of!(links, id, rows::Link),
            |r| r.id.unwrap_or_default(),
            |c, rows| insert!(c, links::table, rows),
        )?,
        by_key(
            (src, dst, batch, start),
            page_of!(task_history, id, rows::History),
            |r| r.id.unwrap_or_default(),
            |c, rows| insert!(c, task_history::table, rows),
        )?,
        by_key(
            (src, dst, batch, start),
            page_of!(task_leases, task_id, rows::Lease),
            |r| r.task_id,
            |c, rows| insert!(c, task_leases::table, rows),
        )?,
        by_key(
            (src, dst, batch, (start, start)),
            |c, (task, dep), limit| {
                task_dependencies::table
                    .filter(
                        task_dependencies::task_id
                            .gt(task)
                            .or(task_dependencies::task_id
                                .eq(task)
                                .and(task_dependencies::depends_on_task_id.gt(dep))),
                    )
                    .order((
                        task_dependencies::task_id,
                        task_dependencies::depends_on_task_id,
                    ))
                    .limit(limit)
                    .select(rows::Dependency::as_select())
                    .load(c)
            },
            |r| (r.task_id, r.depends_on_task_id),
            |c, rows| insert!(c, task_dependencies::table, rows),
        )?,
        by_key(
            (src, dst, batch, i64::MIN),
            page_of!(task_events, cursor, rows::Event),
            |r| r.cursor,
            |c, rows| insert!(c, task_events::table, rows),
        )?,
    ])
}

/// A key that pages a table and, as an integer, tells its counter where to continue.
trait Key: Copy {
    fn counter(self) -> i64;
}
impl Key for i32 {
    fn counter(self) -> i64 {
        i64::from(self)
    }
}
impl Key for i64 {
    fn counter(self) -> i64 {
        self
    }
}
impl Key for (i32, i32) {
    fn counter(self) -> i64 {
        0
    }
}

/// Reads `page`s of at most `batch` rows after the last key seen (keyset paging: each page is one index
/// range scan, and the loop ends because keys strictly increase) and hands each to `write`.
fn by_key<R, K: Key>(
    (src, dst, batch, start): (&mut Conn, &mut Conn, i64, K),
    page: impl Fn(&mut Conn, K, i64) -> QueryResult<Vec<R>>,
    key: impl Fn(&R) -> K,
    mut write: impl FnMut(&mut Conn, &[R]) -> QueryResult<()>,
) -> QueryResult<Copied> {
    let mut after = start;
    let mut copied = Copied::default();
    loop {
        let rows = page(src, after, batch)?;
        let Some(last) = rows.last() else { break };
        after = key(last);
        write(dst, &rows)?;
        copied.rows += rows.len() as i64;
        copied.max_key = copied.max_key.max(after.counter());
        if (rows.len() as i64) < batch {
            break;
        }
    }
    Ok(copied)
}

/// Tasks reference tasks (`parent_task_id`, `blocked_by_task_id`), and after `update_task` moved a task
/// under a newer parent or behind a newer blocker the referenced id is larger. Foreign keys are checked
/// per statement on both backends, so such a reference is written NULL with its row and set once every
/// task exists, in the same transaction.
fn copy_tasks(src: &mut Conn, dst: &mut Conn, batch: i64) -> QueryResult<Copied> {
    let mut forward: Vec<(i32, Option<i32>, Option<i32>)> = Vec::new();
    let copied = by_key(
        (src, dst, batch, i32::MIN),
        page_of!(tasks, id, rows::Task),
        |r| r.id.unwrap_or_default(),
        |c, rows| {
            let mut rows = rows.to_vec();
            for row in &mut rows {
                let id = row.id.unwrap_or_default();
                let ahead = |r: Option<i32>| r.is_some_and(|r| r >= id);
                if ahead(row.parent_task_id) || ahead(row.blocked_by_task_id) {
                    forward.push((id, row.parent_task_id, row.blocked_by_task_id));
                    row.parent_task_id = None;
                    row.blocked_by_task_id = None;
                }
            }
            insert!(c, tasks::table, &rows)
        },
    )?;
    for (id, parent, blocker) in forward {
        diesel::update(tasks::table.filter(tasks::id.eq(id)))
            .set((
                tasks::parent_task_id.eq(parent),
                tasks::blocked_by_task_id.eq(blocker),
            ))
            .execute(dst)?;
    }
    Ok(copied)
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Rows per table, in [`TABLES`] order.
pub fn counts(conn: &mut Conn) -> QueryResult<Vec<i64>> {
    TABLES
        .iter()
        .map(|t| {
            diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {t}"))
                .get_result::<Count>(conn)
                .map(|c| c.n)
        })
        .collect()
}

/// `--replace`: deletes every row, referencing tables first (the SQLite search index follows through its
/// triggers; PostgreSQL's search columns go with their rows).
pub fn empty(conn: &mut Conn) -> QueryResult<()> {
    for t in TABLES.iter().rev() {
        diesel::sql_query(format!("DELETE FROM {t}")).execute(conn)?;
    }
    Ok(())
}
