//! Storage: the SQLite schema (diesel), embedded migrations, adoption of Node-era databases and the pool.

mod adopt;
pub mod capture;
mod migrate;
mod pool;
pub mod schema;

pub use migrate::MIGRATIONS;
pub use pool::{DbConn, DbPool, PRAGMAS};

use diesel::prelude::*;
use std::path::{Path, PathBuf};

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
}

/// Opens (creating if needed) the database at `path`, adopts a Node-era schema, applies pending migrations
/// and returns a pool whose connections all carry [`PRAGMAS`].
pub fn open(path: &Path, pool_size: u32) -> Result<DbPool, DbError> {
    create_parent_dir(path)?;
    let setup_err = |message: String| DbError::Setup {
        path: path.to_path_buf(),
        message,
    };
    let mut conn = establish(path)?;
    pool::apply_pragmas(&mut conn).map_err(|e| setup_err(e.to_string()))?;
    adopt::adopt_legacy_schema(&mut conn)
        .map_err(|e| setup_err(format!("adopting existing schema: {e}")))?;
    migrate::run_pending(&mut conn).map_err(|e| setup_err(format!("migrations: {e}")))?;
    drop(conn);
    pool::build(path, pool_size).map_err(|source| DbError::Pool {
        path: path.to_path_buf(),
        source,
    })
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

/// A single raw connection (used for setup and by `tinytask migrate`).
pub fn establish(path: &Path) -> Result<SqliteConnection, DbError> {
    SqliteConnection::establish(&path.to_string_lossy()).map_err(|source| DbError::Connect {
        path: path.to_path_buf(),
        source,
    })
}
