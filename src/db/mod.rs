//! Storage: the schema (diesel), embedded migrations per backend, adoption of Node-era SQLite databases and
//! the pool. SQLite (a file) is the default; `TINYTASK_DATABASE_URL` selects PostgreSQL.

mod adopt;
pub mod capture;
mod capture_pg;
mod migrate;
mod pool;
pub mod postgres;
pub mod schema;
mod sqlite;
pub mod url;

pub use migrate::{MIGRATIONS, PG_MIGRATIONS};
pub use pool::{DbConn, DbPool};
pub use sqlite::{PRAGMAS, establish};
pub use url::PgUrl;

use std::path::{Path, PathBuf};

/// Where the board lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// A SQLite file (TINYTASK_DB_PATH).
    Sqlite(PathBuf),
    /// A PostgreSQL database (TINYTASK_DATABASE_URL).
    Postgres(PgUrl),
}

impl std::fmt::Display for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Database::Sqlite(path) => write!(f, "{}", path.display()),
            Database::Postgres(url) => write!(f, "{url}"),
        }
    }
}

/// Why the database could not be opened or prepared.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot create database directory {path}: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot open database {path}: {source}")]
    Connect {
        path: PathBuf,
        source: diesel::ConnectionError,
    },
    #[error("database {path}: {message}")]
    Setup { path: PathBuf, message: String },
    #[error("cannot build the connection pool for {path}: {source}")]
    Pool {
        path: PathBuf,
        source: diesel::r2d2::PoolError,
    },
    #[error(
        "PostgreSQL {url} is unreachable after {attempts} attempts over {secs:.1} s: {message}"
    )]
    Unreachable {
        url: PgUrl,
        attempts: u32,
        secs: f64,
        message: String,
    },
    #[error("PostgreSQL {url}: {message}")]
    PgSetup { url: PgUrl, message: String },
}

/// Opens (creating if needed) the SQLite database at `path`, adopts a Node-era schema, applies pending
/// migrations and returns a pool whose connections all carry [`PRAGMAS`].
pub fn open(path: &Path, pool_size: u32) -> Result<DbPool, DbError> {
    open_database(&Database::Sqlite(path.to_path_buf()), pool_size)
}

/// Opens either backend, prepared like [`open`] (PostgreSQL: connects with retries for
/// [`postgres::CONNECT_BUDGET`], migrates under an advisory lock).
pub fn open_database(db: &Database, pool_size: u32) -> Result<DbPool, DbError> {
    open_database_within(db, pool_size, postgres::CONNECT_BUDGET)
}

/// [`open_database`], retrying an unreachable PostgreSQL for `connect_budget` (TINYTASK_DB_CONNECT_SECS).
pub fn open_database_within(
    db: &Database,
    pool_size: u32,
    connect_budget: std::time::Duration,
) -> Result<DbPool, DbError> {
    match db {
        Database::Sqlite(path) => sqlite::prepare(path)?,
        Database::Postgres(url) => postgres::prepare(url, connect_budget)?,
    }
    pool::build(db, pool_size)
}

/// Creates the directory that will hold the database file at `path`, if missing.
pub fn create_parent_dir(path: &Path) -> Result<(), DbError> {
    match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => std::fs::create_dir_all(dir).map_err(|source| DbError::CreateDir {
            path: dir.to_path_buf(),
            source,
        }),
        None => Ok(()),
    }
}
