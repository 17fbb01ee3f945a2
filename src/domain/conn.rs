//! [`Conn`]: the database connection every domain operation takes (`fn(&mut Conn, args)`).
//!
//! One enum over diesel's two connection types (`#[derive(MultiConnection)]`): a query written with diesel's
//! DSL runs on either backend, with each backend's own SQL text and bind syntax, so the business rules exist
//! once. What only one backend has (SQLite's FTS5 and PRAGMAs, PostgreSQL's text search and advisory locks)
//! is written per backend behind a `match` on [`Conn::backend`], in the few files that need it. The layers
//! above (mcp, transports) name the connection only through this type, never diesel's.

use diesel::{PgConnection, SqliteConnection};

#[derive(diesel::MultiConnection)]
pub enum Conn {
    Sqlite(SqliteConnection),
    Pg(PgConnection),
}

/// Runs one diesel call on the concrete connection inside a [`Conn`]: `natively!(conn, |c| query.load(c))`.
///
/// A query run through the `MultiConnection` enum itself is serialized again on every execution: the
/// derive's wrapper rebuilds the whole SQL text before collecting the binds, even when the statement is
/// cached. That cost ~7 µs per query here, and get_task (a dozen small queries) lost 30% of its throughput
/// (docs/benchmarks.md, issue 14). The hot read paths therefore run the same DSL query on
/// `SqliteConnection` or `PgConnection` directly: prepared once, then only bound. The query must be
/// written for any backend (DSL, not boxed for `MultiBackend`); everything else keeps using `Conn`.
macro_rules! natively {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::domain::Conn::Sqlite($c) => $body,
            $crate::domain::Conn::Pg($c) => $body,
        }
    };
}
pub(crate) use natively;

/// Which database a connection talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Conn {
    pub fn backend(&self) -> Backend {
        match self {
            Conn::Sqlite(_) => Backend::Sqlite,
            Conn::Pg(_) => Backend::Postgres,
        }
    }
}

/// The transaction-scoped advisory lock every PostgreSQL write transaction takes first ("ttwr").
///
/// Writes on PostgreSQL run one at a time across every replica, as they do on SQLite (one writer per
/// file): each business rule was written, reviewed and tested as a read-then-write that nothing else
/// interleaves with (a claim, a cycle check, status propagation), and this keeps that true with no
/// per-rule locking to get wrong. Reads never take it. Writes stay READ COMMITTED: each statement after the
/// lock sees every earlier commit (a REPEATABLE READ snapshot would date from before the lock wait). Each replica still sends its writes in batches
/// (group commit), so the lock and the commit's WAL flush are paid once per batch, not once per write.
pub const WRITE_LOCK: i64 = 0x7474_7772;

impl Conn {
    /// Runs `f` in a read transaction that sees one snapshot across all its statements: SQLite's deferred
    /// transaction does; PostgreSQL's default (READ COMMITTED) takes a new snapshot per statement, so a
    /// page of events and the newest cursor read next could disagree — there it is `REPEATABLE READ`.
    pub fn read_transaction<T, E>(
        &mut self,
        f: impl FnOnce(&mut Conn) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<diesel::result::Error>,
    {
        use diesel::connection::{AnsiTransactionManager, TransactionManager};
        match self {
            Conn::Sqlite(c) => AnsiTransactionManager::begin_transaction(c)?,
            Conn::Pg(c) => AnsiTransactionManager::begin_transaction_sql(
                c,
                "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
            )?,
        }
        self.finish_begun(f)
    }

    /// Runs `f` in a write transaction: SQLite `BEGIN IMMEDIATE` (the file's write lock, taken up front so a
    /// read-then-write never fails half-way with SQLITE_BUSY); PostgreSQL `BEGIN` and [`WRITE_LOCK`].
    /// Commits when `f` succeeds, rolls back when it fails.
    pub fn write_transaction<T, E>(
        &mut self,
        f: impl FnOnce(&mut Conn) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<diesel::result::Error>,
    {
        use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
        match self {
            Conn::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?,
            Conn::Pg(c) => {
                AnsiTransactionManager::begin_transaction(c)?;
                if let Err(e) =
                    c.batch_execute(&format!("SELECT pg_advisory_xact_lock({WRITE_LOCK})"))
                {
                    AnsiTransactionManager::rollback_transaction(c)?;
                    return Err(e.into());
                }
            }
        }
        self.finish_begun(f)
    }
}

impl Conn {
    /// Runs `f` in the transaction just begun, then commits or rolls back.
    fn finish_begun<T, E>(&mut self, f: impl FnOnce(&mut Conn) -> Result<T, E>) -> Result<T, E>
    where
        E: From<diesel::result::Error>,
    {
        let outcome = f(self);
        match self {
            Conn::Sqlite(c) => finish(c, outcome),
            Conn::Pg(c) => finish(c, outcome),
        }
    }
}

/// Commits on success, rolls back on failure (diesel's own `transaction`, for an already begun one).
fn finish<C, T, E>(conn: &mut C, outcome: Result<T, E>) -> Result<T, E>
where
    C: diesel::Connection<TransactionManager = diesel::connection::AnsiTransactionManager>,
    E: From<diesel::result::Error>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    match outcome {
        Ok(value) => {
            AnsiTransactionManager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(e) => {
            AnsiTransactionManager::rollback_transaction(conn)?;
            Err(e)
        }
    }
}
