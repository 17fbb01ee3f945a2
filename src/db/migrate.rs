//! Embedded diesel migrations (the `migrations/` folder is compiled into the binary; see build.rs).

use diesel::SqliteConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Applies every pending migration; returns the versions applied.
pub(super) fn run_pending(conn: &mut SqliteConnection) -> Result<Vec<String>, BoxError> {
    let applied = conn.run_pending_migrations(MIGRATIONS)?;
    let versions: Vec<String> = applied
        .iter()
        .map(std::string::ToString::to_string)
        .collect();
    if !versions.is_empty() {
        tracing::info!(migrations = ?versions, "applied database migrations");
    }
    Ok(versions)
}
