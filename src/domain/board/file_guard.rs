//! Refuses writes once the database file has been removed or replaced under the running server.
//!
//! In WAL mode SQLite keeps writing into an unlinked database file without an error (its
//! `SQLITE_READONLY_DBMOVED` check covers rollback-journal mode only), so every write after an operator
//! (or a volume mishap) removed the file would be acknowledged and then lost. The writer checks, before
//! each batch, that the path still names the file the pool opened: one `stat`, never an `open` (opening
//! and closing a handle on the file would release the process's POSIX locks on it).

use crate::db::DbPool;
use crate::domain::{DomainError, DomainResult};
use diesel::RunQueryDsl;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

pub(super) struct FileGuard {
    path: PathBuf,
    /// (device, inode) of the file when the board started.
    identity: (u64, u64),
}

#[derive(diesel::QueryableByName)]
struct DatabaseFile {
    #[diesel(sql_type = diesel::sql_types::Text)]
    file: String,
}

/// The main database file of `pool`; `None` for an in-memory database.
pub(super) fn database_path(pool: &DbPool) -> Option<PathBuf> {
    if !matches!(pool.database(), crate::db::Database::Sqlite(_)) {
        return None;
    }
    let mut conn = pool.get().ok()?;
    let file = diesel::sql_query("SELECT file FROM pragma_database_list WHERE name = 'main'")
        .get_result::<DatabaseFile>(&mut conn)
        .ok()?
        .file;
    (!file.is_empty()).then(|| PathBuf::from(file))
}

impl FileGuard {
    /// The guard for the main database file of `pool`; `None` for an in-memory database.
    pub(super) fn new(pool: &DbPool) -> Option<Self> {
        let path = database_path(pool)?;
        let meta = std::fs::metadata(&path).ok()?;
        Some(FileGuard {
            path,
            identity: (meta.dev(), meta.ino()),
        })
    }

    pub(super) fn check(&self) -> DomainResult<()> {
        let same = std::fs::metadata(&self.path).is_ok_and(|m| (m.dev(), m.ino()) == self.identity);
        if same {
            Ok(())
        } else {
            Err(DomainError::Unavailable(format!(
                "the database file {} was removed or replaced while the server was running; \
                 writes are refused so none is acknowledged into a file that is gone (restart the server)",
                self.path.display()
            )))
        }
    }
}
