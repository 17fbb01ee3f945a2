//! The counters that hand out ids and event cursors, carried over so that the target continues where the
//! source left off: a task created on the target after the copy gets the id the source would have given
//! it, and its events follow the copied cursors.
//!
//! A counter's mark is the last value handed out, which can be above the largest row still there (a
//! deleted task's id is never reused, and events outlive the tasks they name): SQLite keeps it in
//! `sqlite_sequence` (AUTOINCREMENT), PostgreSQL in each SERIAL sequence and, for event cursors, in
//! `tinytask_event_clock`. The target's counter is set to the larger of the source's mark and the largest
//! copied key, and is never lowered: PostgreSQL's `setval` is not undone by a rollback, so a failed
//! `--replace` copy must not leave a sequence below the rows the target keeps.

use crate::domain::Conn;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use std::collections::HashMap;

/// The tables with a counter, each as SQLite's `sqlite_sequence` names it.
pub const COUNTED: [&str; 5] = ["tasks", "comments", "links", "task_history", "task_events"];

#[derive(QueryableByName)]
struct Mark {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = BigInt)]
    seq: i64,
}

#[derive(QueryableByName)]
struct Value {
    #[diesel(sql_type = BigInt)]
    seq: i64,
}

/// The source's marks (a table whose counter never moved is absent: 0).
pub fn read(src: &mut Conn) -> QueryResult<HashMap<String, i64>> {
    match src {
        Conn::Sqlite(_) => Ok(diesel::sql_query("SELECT name, seq FROM sqlite_sequence")
            .load::<Mark>(src)?
            .into_iter()
            .filter(|m| COUNTED.contains(&m.name.as_str()))
            .map(|m| (m.name, m.seq))
            .collect()),
        Conn::Pg(_) => {
            let mut marks = HashMap::new();
            for table in &COUNTED[..4] {
                // Sequences are not transactional: this may be newer than the snapshot, which only skips ids.
                let v: Value = diesel::sql_query(
                    "SELECT COALESCE(pg_sequence_last_value(pg_get_serial_sequence($1, 'id')::regclass), 0) AS seq",
                )
                .bind::<Text, _>(*table)
                .get_result(src)?;
                marks.insert((*table).to_string(), v.seq);
            }
            let clock: Option<Value> =
                diesel::sql_query("SELECT last AS seq FROM tinytask_event_clock WHERE id = 1")
                    .get_result(src)
                    .optional()?;
            marks.insert("task_events".into(), clock.map_or(0, |c| c.seq));
            Ok(marks)
        }
    }
}

/// Moves the target's counter of `table` up to at least `mark` (never down).
pub fn advance(dst: &mut Conn, table: &str, mark: i64) -> QueryResult<()> {
    match dst {
        Conn::Sqlite(_) => {
            // Inserting explicit ids already raised the row to the largest one; a mark above it (deleted
            // rows) is set here. `sqlite_sequence` has no key, hence update-or-insert.
            let updated =
                diesel::sql_query("UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = ?")
                    .bind::<BigInt, _>(mark)
                    .bind::<Text, _>(table)
                    .execute(dst)?;
            if updated == 0 && mark > 0 {
                diesel::sql_query("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)")
                    .bind::<Text, _>(table)
                    .bind::<BigInt, _>(mark)
                    .execute(dst)?;
            }
        }
        Conn::Pg(_) if table == "task_events" => {
            // The clock's row is transactional (and locked until commit, like any write's cursors).
            diesel::sql_query(
                "UPDATE tinytask_event_clock SET last = GREATEST(last, $1) WHERE id = 1",
            )
            .bind::<BigInt, _>(mark)
            .execute(dst)?;
        }
        Conn::Pg(_) => {
            // is_called = false with 1 leaves a never-used sequence handing out 1 next.
            diesel::sql_query(
                "SELECT setval(s, GREATEST(m, 1), m > 0) FROM \
                 (SELECT s, GREATEST($2, COALESCE(pg_sequence_last_value(s), 0)) AS m \
                  FROM (SELECT pg_get_serial_sequence($1, 'id')::regclass AS s) named) marked",
            )
            .bind::<Text, _>(table)
            .bind::<BigInt, _>(mark)
            .execute(dst)?;
        }
    }
    Ok(())
}
