//! The database's clock, as the text every timestamp column holds (`2026-12-01 16:00:00`, UTC).
//!
//! Timestamps are stored as that text on both backends (the Node originals' SQLite format), so values,
//! ordering and `copy-data` are identical everywhere. The database's clock, not the process's, stamps rows:
//! replicas on several machines then agree on one clock.

use super::conn::{Backend, Conn};
use diesel::dsl::sql;
use diesel::expression::SqlLiteral;
use diesel::sql_types::{Nullable, Text};

/// SQLite's `CURRENT_TIMESTAMP` already has the format; on PostgreSQL, `tinytask_now()` (defined by its
/// first migration, also the columns' default) formats the transaction's time in UTC.
pub fn now_sql(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "CURRENT_TIMESTAMP",
        Backend::Postgres => "tinytask_now()",
    }
}

/// The current time for a `SET col = …` (every timestamp column is nullable text), in `conn`'s SQL.
pub fn now(conn: &Conn) -> SqlLiteral<Nullable<Text>> {
    sql::<Nullable<Text>>(now_sql(conn.backend()))
}
