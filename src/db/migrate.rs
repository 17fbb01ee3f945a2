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
