//! Embedded diesel migrations, one folder per backend (compiled into the binary; see build.rs):
//! `migrations/` for SQLite (the Node originals' schema, then TinyTask's additions) and
//! `migrations_postgres/` for PostgreSQL (the same tables and columns in PostgreSQL's SQL).

use diesel::{PgConnection, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");
pub const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations_postgres");

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Applies every pending SQLite migration; returns the versions applied.
pub(super) fn run_pending_sqlite(conn: &mut SqliteConnection) -> Result<Vec<String>, BoxError> {
    Ok(logged(&conn.run_pending_migrations(MIGRATIONS)?))
}

/// Applies every pending PostgreSQL migration (the caller holds the migration lock).
pub(super) fn run_pending_pg(conn: &mut PgConnection) -> Result<Vec<String>, BoxError> {
    Ok(logged(&conn.run_pending_migrations(PG_MIGRATIONS)?))
}

fn logged(applied: &[diesel::migration::MigrationVersion<'_>]) -> Vec<String> {
    let versions: Vec<String> = applied
        .iter()
        .map(std::string::ToString::to_string)
        .collect();
    if !versions.is_empty() {
        tracing::info!(migrations = ?versions, "applied database migrations");
    }
    versions
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Database;
    use diesel::migration::MigrationSource;
    use diesel_migrations::FileBasedMigrations;

    /// What `diesel migration run` / `redo` does with the folder on disk (the CLI reads the files, the
    /// binary embeds them): every migration of the backend's folder applies, reverts and applies again,
    /// and the embedded list is the same. Runs on the backend of the test run (SQLite, then PostgreSQL).
    #[test]
    fn the_migration_folder_runs_reverts_and_reruns_as_the_diesel_cli_does() {
        let (_guard, db) = crate::domain::test_support::database("cli");
        let folder = match db {
            Database::Sqlite(_) => "migrations",
            Database::Postgres(_) => "migrations_postgres",
        };
        let files = FileBasedMigrations::from_path(
            concat!(env!("CARGO_MANIFEST_DIR"), "/").to_owned() + folder,
        )
        .expect("a diesel migrations folder");
        match db {
            Database::Sqlite(path) => {
                let mut conn = crate::db::establish(&path).unwrap();
                cycle(&mut conn, &files, MIGRATIONS);
            }
            Database::Postgres(url) => {
                let mut conn = crate::db::postgres::connect_once(&url).unwrap();
                cycle(&mut conn, &files, PG_MIGRATIONS);
            }
        }
    }

    fn cycle<C, DB>(conn: &mut C, files: &FileBasedMigrations, embedded: EmbeddedMigrations)
    where
        DB: diesel::backend::Backend,
        C: MigrationHarness<DB>,
        FileBasedMigrations: MigrationSource<DB>,
        EmbeddedMigrations: MigrationSource<DB>,
    {
        let names = |source: &dyn MigrationSource<DB>| -> Vec<String> {
            let mut v: Vec<String> = source
                .migrations()
                .unwrap()
                .iter()
                .map(|m| m.name().to_string())
                .collect();
            v.sort();
            v
        };
        assert_eq!(
            names(files),
            names(&embedded),
            "the binary embeds exactly the folder"
        );
        let applied = conn
            .run_pending_migrations(files.clone())
            .expect("migration run")
            .len();
        assert_eq!(applied, names(files).len());
        conn.revert_all_migrations(files.clone())
            .expect("every down.sql");
        let again = conn
            .run_pending_migrations(files.clone())
            .expect("migration run after revert")
            .len();
        assert_eq!(again, applied);
        assert!(!conn.has_pending_migration(embedded).unwrap());
    }
}
