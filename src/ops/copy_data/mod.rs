//! `tinytask copy-data --from <db> --to <db> [--replace]`: moves a whole board between SQLite files and
//! PostgreSQL databases, in any direction.
//!
//! * Both sides are opened like a server opens them (`db::open_database`: created if missing, migrated),
//!   then written and read through raw connections of their own. A raw connection has none of the
//!   change-capture objects of the pooled ones (SQLite's TEMP triggers, PostgreSQL's TEMP tables that the
//!   triggers skip without), so the copy adds no event: the copied feed is the source's, cursor for cursor.
//!   The search indexes follow by themselves (SQLite's FTS triggers are persistent; PostgreSQL's search
//!   columns are generated).
//! * Every column is copied as it is, ids and cursors included, so references between rows, event cursors
//!   held by clients and lease tokens held by agents stay valid; the id and cursor counters then continue
//!   after the copied ones (`counters`).
//! * The source is read in one read transaction (a consistent snapshot while a server keeps writing); the
//!   target is written in one write transaction (all or nothing), which checks that it is empty (or
//!   empties it with `--replace`) and, before committing, that every table holds as many rows as the
//!   source's.

mod counters;
mod rows;
mod tables;
#[cfg(test)]
mod tests;

use crate::db::{self, Database, PgUrl};
use crate::domain::Conn;
use diesel::connection::SimpleConnection;
use std::time::{Duration, Instant};

/// Rows per INSERT statement (measured in the CLI's summary; see the README's "Moving a board").
pub const BATCH_ROWS: i64 = 500;

/// Why a copy did not happen. Nothing was written to the target in any case.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// An unusable `--from`/`--to` (exit status 2).
    #[error("{0}")]
    Argument(String),
    #[error("{0}")]
    Open(String),
    #[error(
        "--to {target} is not empty: it holds {holds}; --replace empties it first (in the copy's transaction)"
    )]
    NotEmpty { target: String, holds: String },
    #[error("row counts differ after copying, so nothing was copied: {0}")]
    Mismatch(String),
    #[error("copy failed, so nothing was copied: {0}")]
    Database(#[from] diesel::result::Error),
}

impl CopyError {
    /// 2 for an unusable argument, 1 for everything else.
    pub fn exit_status(&self) -> u8 {
        match self {
            CopyError::Argument(_) => crate::startup::EXIT_CONFIG,
            _ => crate::startup::EXIT_FAILURE,
        }
    }
}

/// One table's rows on each side after the copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCount {
    pub table: &'static str,
    pub source: i64,
    pub target: i64,
}

/// What a successful copy did.
#[derive(Debug, Clone)]
pub struct Report {
    pub tables: Vec<TableCount>,
    pub rows: i64,
    pub elapsed: Duration,
}

/// `--from`/`--to`'s value: a `postgres://` or `postgresql://` URL (checked by libpq's parser), any other
/// `scheme://` refused, anything else a SQLite file path.
pub fn location(arg: &str, value: &str) -> Result<Database, CopyError> {
    let lower = value.trim().to_ascii_lowercase();
    if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
        return PgUrl::parse(value)
            .map(Database::Postgres)
            .map_err(|e| CopyError::Argument(format!("{arg}: not a valid PostgreSQL URL: {e}")));
    }
    if let Some((scheme, _)) = value.split_once("://")
        && !scheme.is_empty()
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
    {
        return Err(CopyError::Argument(format!(
            "{arg}: unsupported URL scheme {scheme:?}; expected a SQLite file path or a postgres:// (postgresql://) URL"
        )));
    }
    if value.trim().is_empty() {
        return Err(CopyError::Argument(format!(
            "{arg}: empty; expected a SQLite file path or a postgres:// (postgresql://) URL"
        )));
    }
    Ok(Database::Sqlite(value.into()))
}

/// Copies the board of `from` into `to` (see the module documentation), `batch` rows per statement.
pub fn copy(
    from: &Database,
    to: &Database,
    replace: bool,
    batch: i64,
) -> Result<Report, CopyError> {
    check_distinct(from, to)?;
    if let Database::Sqlite(path) = from
        && !path.is_file()
    {
        return Err(CopyError::Argument(format!(
            "--from: no SQLite database at {}",
            path.display()
        )));
    }
    for (arg, db) in [("--from", from), ("--to", to)] {
        db::open_database(db, 1).map_err(|e| CopyError::Open(format!("{arg} {db}: {e}")))?;
    }
    let mut src = connect("--from", from)?;
    let mut dst = connect("--to", to)?;
    let started = Instant::now();
    let tables = dst.write_transaction(|dst| {
        src.read_transaction(|src| copy_board(src, dst, to, replace, batch.max(1)))
    })?;
    Ok(Report {
        rows: tables.iter().map(|t| t.target).sum(),
        tables,
        elapsed: started.elapsed(),
    })
}

/// Copying a database onto itself would, with `--replace`, empty it.
fn check_distinct(from: &Database, to: &Database) -> Result<(), CopyError> {
    let same = match (from, to) {
        (Database::Sqlite(a), Database::Sqlite(b)) => {
            a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(a), Ok(b)) if a == b)
        }
        (Database::Postgres(a), Database::Postgres(b)) => a == b,
        _ => false,
    };
    if same {
        return Err(CopyError::Argument(format!(
            "--to names the same database as --from ({to}); give another target"
        )));
    }
    Ok(())
}

/// A raw connection (none of the pooled connections' capture objects), with SQLite's PRAGMAs: foreign
/// keys on, so a copy that would break a reference fails instead of writing it, and the busy timeout, so a
/// server writing the same file makes the copy wait instead of fail.
fn connect(arg: &str, db: &Database) -> Result<Conn, CopyError> {
    let open_err = |e: String| CopyError::Open(format!("{arg} {db}: {e}"));
    match db {
        Database::Sqlite(path) => {
            let mut conn = db::establish(path).map_err(|e| open_err(e.to_string()))?;
            for pragma in db::PRAGMAS {
                conn.batch_execute(pragma)
                    .map_err(|e| open_err(e.to_string()))?;
            }
            Ok(Conn::Sqlite(conn))
        }
        Database::Postgres(url) => db::postgres::connect_with_retry(url)
            .map(Conn::Pg)
            .map_err(|e| open_err(e.to_string())),
    }
}

/// The copy inside both transactions.
fn copy_board(
    src: &mut Conn,
    dst: &mut Conn,
    to: &Database,
    replace: bool,
    batch: i64,
) -> Result<Vec<TableCount>, CopyError> {
    let held = describe(&tables::counts(dst)?);
    if !held.is_empty() {
        if !replace {
            return Err(CopyError::NotEmpty {
                target: to.to_string(),
                holds: held,
            });
        }
        tracing::info!(target_db = %to, holds = %held, "--replace: emptying the target first");
        tables::empty(dst)?;
    }
    let marks = counters::read(src)?;
    let copied = tables::copy_all(src, dst, batch)?;
    let source = tables::counts(src)?;
    let target = tables::counts(dst)?;
    let counts: Vec<TableCount> = tables::TABLES
        .iter()
        .zip(source.iter().zip(&target))
        .map(|(table, (s, t))| TableCount {
            table,
            source: *s,
            target: *t,
        })
        .collect();
    for c in &counts {
        tracing::info!("{} {} → {}", c.table, c.source, c.target);
    }
    verify(&counts, &copied)?;
    // Last, once the copy is known good: PostgreSQL's sequences do not roll back (see `counters`).
    for (table, c) in tables::TABLES.iter().zip(&copied) {
        if counters::COUNTED.contains(table) {
            let mark = marks.get(*table).copied().unwrap_or(0).max(c.max_key);
            counters::advance(dst, table, mark)?;
        }
    }
    Ok(counts)
}

/// Every table holds on the target what the source's snapshot holds, and what was read was all of it.
fn verify(counts: &[TableCount], copied: &[tables::Copied]) -> Result<(), CopyError> {
    let wrong: Vec<String> = counts
        .iter()
        .zip(copied)
        .filter(|(c, k)| c.source != c.target || k.rows != c.source)
        .map(|(c, k)| {
            format!(
                "{}: source {}, read {}, target {}",
                c.table, c.source, k.rows, c.target
            )
        })
        .collect();
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(CopyError::Mismatch(wrong.join("; ")))
    }
}

/// "tasks 3, comments 1, task_events 12": the non-empty tables (empty when every table is).
fn describe(counts: &[i64]) -> String {
    tables::TABLES
        .iter()
        .zip(counts)
        .filter(|(_, n)| **n > 0)
        .map(|(t, n)| format!("{t} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}
