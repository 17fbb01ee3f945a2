//! Adoption of databases created by the Node TinyTask 1.x/2.x, which have the tables but no diesel
//! bookkeeping. A 2.x database already has the canonical schema: the first migration (all `IF NOT EXISTS`)
//! is then a no-op that merely gets recorded. A 1.x database lacks the subtask/queue/blocking columns:
//! its `tasks` table is rebuilt in place into the canonical shape (SQLite's documented 12-step table
//! rebuild; ALTER TABLE cannot add the foreign keys), keeping every row, id and timestamp.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};

/// The canonical `tasks` DDL, taken from the first migration so there is a single source of truth.
const FIRST_MIGRATION: &str =
    include_str!("../../migrations/2025-12-01-000000_create_task_board/up.sql");

/// The columns of `tasks` in the 2.x order (also what the change capture reads, `capture.rs`).
pub(super) const CANONICAL_COLUMNS: &[&str] = &[
    "id",
    "title",
    "description",
    "status",
    "assigned_to",
    "previous_assigned_to",
    "created_by",
    "priority",
    "tags",
    "parent_task_id",
    "queue_name",
    "blocked_by_task_id",
    "created_at",
    "updated_at",
    "archived_at",
];

#[derive(QueryableByName)]
struct ColumnInfo {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = Integer)]
    n: i32,
}

fn table_exists(conn: &mut SqliteConnection, name: &str) -> QueryResult<bool> {
    let row: Count = diesel::sql_query(
        "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = ?",
    )
    .bind::<Text, _>(name)
    .get_result(conn)?;
    Ok(row.n > 0)
}

fn task_columns(conn: &mut SqliteConnection) -> QueryResult<Vec<String>> {
    let cols: Vec<ColumnInfo> =
        diesel::sql_query("SELECT name FROM pragma_table_info('tasks')").load(conn)?;
    Ok(cols.into_iter().map(|c| c.name).collect())
}

fn canonical_tasks_ddl(table: &str) -> String {
    let start = FIRST_MIGRATION
        .find("CREATE TABLE IF NOT EXISTS tasks (")
        .expect("first migration creates tasks");
    let end = start
        + FIRST_MIGRATION[start..]
            .find(");")
            .expect("tasks DDL is terminated")
        + 2;
    FIRST_MIGRATION[start..end].replacen("IF NOT EXISTS tasks (", &format!("{table} ("), 1)
}

/// Brings a Node-era `tasks` table to the canonical column set. Returns true when a rebuild happened.
pub(super) fn adopt_legacy_schema(conn: &mut SqliteConnection) -> QueryResult<bool> {
    if table_exists(conn, "__diesel_schema_migrations")? || !table_exists(conn, "tasks")? {
        return Ok(false);
    }
    let existing = task_columns(conn)?;
    let missing: Vec<&str> = CANONICAL_COLUMNS
        .iter()
        .copied()
        .filter(|c| !existing.iter().any(|e| e == c))
        .collect();
    if missing.is_empty() {
        tracing::info!("adopting an existing TinyTask 2.x database (schema already canonical)");
        return Ok(false);
    }
    tracing::warn!(
        ?missing,
        "upgrading a TinyTask 1.x database in place: rebuilding the tasks table"
    );
    let kept: Vec<&str> = CANONICAL_COLUMNS
        .iter()
        .copied()
        .filter(|c| existing.iter().any(|e| e == c))
        .collect();
    let kept = kept.join(", ");
    // Foreign keys must be off during a table rebuild, and that pragma is ignored inside a transaction.
    conn.batch_execute("PRAGMA foreign_keys = OFF")?;
    let result = conn.immediate_transaction(|c| {
        // The AUTOINCREMENT counter must survive the rebuild: copying the rows sets the new table's counter
        // to the highest id still present, so after a deleted highest task its id would be handed out
        // again, and an old reference to the deleted task would point at a new one.
        c.batch_execute(
            "CREATE TEMP TABLE tinytask_old_sequence AS \
             SELECT seq FROM sqlite_sequence WHERE name = 'tasks'",
        )?;
        c.batch_execute(&canonical_tasks_ddl("tasks_rebuilt"))?;
        c.batch_execute(&format!(
            "INSERT INTO tasks_rebuilt ({kept}) SELECT {kept} FROM tasks"
        ))?;
        c.batch_execute("DROP TABLE tasks")?;
        c.batch_execute("ALTER TABLE tasks_rebuilt RENAME TO tasks")?;
        c.batch_execute(
            "DELETE FROM sqlite_sequence WHERE name = 'tasks'; \
             INSERT INTO sqlite_sequence (name, seq) SELECT 'tasks', m FROM (SELECT MAX(seq) AS m FROM ( \
                 SELECT seq FROM temp.tinytask_old_sequence UNION ALL SELECT MAX(id) FROM tasks \
             )) WHERE m IS NOT NULL; \
             DROP TABLE temp.tinytask_old_sequence;",
        )
    });
    conn.batch_execute("PRAGMA foreign_keys = ON")?;
    result?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_ddl_is_extracted_from_the_migration() {
        let ddl = canonical_tasks_ddl("t2");
        assert!(ddl.starts_with("CREATE TABLE t2 ("), "{ddl}");
        assert!(ddl.contains("blocked_by_task_id INTEGER REFERENCES tasks(id) ON DELETE SET NULL"));
        assert!(ddl.ends_with(");"));
    }
}
