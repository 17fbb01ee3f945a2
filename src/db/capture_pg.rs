//! Change capture on PostgreSQL: the same captured rows as SQLite's TEMP triggers (`capture.rs`), for the
//! same readers (`domain::changes`), from the same column lists.
//!
//! PostgreSQL has no per-connection triggers, so the triggers are ordinary ones, installed at start under
//! the migration lock ([`install_sql`]), and the tables they write are each connection's own TEMP tables
//! ([`SESSION_SQL`], run on every pooled connection). A connection without them — `psql`, a backup tool,
//! `copy-data` writing a board that already has its events — is skipped by the first line of every
//! trigger function, so outside writers are never broken by TinyTask's capture.

use super::capture::{LEASE_COLUMNS, LINK_COLUMNS, NOTE_COLUMNS, task_columns};

/// The TEMP tables of one connection (the same columns as SQLite's; `rowid` is implicit there).
pub const SESSION_SQL: &str = "
CREATE TEMP TABLE IF NOT EXISTS tinytask_context (rowid BIGSERIAL, actor TEXT, intent TEXT, task_id INTEGER);
CREATE TEMP TABLE IF NOT EXISTS tinytask_changes (
  seq BIGSERIAL PRIMARY KEY, tbl TEXT NOT NULL, op TEXT NOT NULL, task_id INTEGER NOT NULL, row_id INTEGER,
  agent TEXT, prior_agent TEXT, queue TEXT, prior_queue TEXT, old TEXT, new TEXT, actor TEXT, intent TEXT);
";

/// Skips capture on a connection without the TEMP tables; reads the write's context.
const PROLOGUE: &str = "
DECLARE ctx_actor TEXT; ctx_intent TEXT; ctx_task INTEGER;
BEGIN
  IF to_regclass('pg_temp.tinytask_changes') IS NULL THEN RETURN NULL; END IF;
  SELECT actor, intent, task_id INTO ctx_actor, ctx_intent, ctx_task FROM pg_temp.tinytask_context LIMIT 1;";

/// `json_build_object('a', ROW.a, …)::text` for the row alias `OLD` or `NEW`.
fn json_of(row: &str, columns: &[&str]) -> String {
    let pairs: Vec<String> = columns
        .iter()
        .map(|c| format!("'{c}', {row}.{c}"))
        .collect();
    format!("json_build_object({})::text", pairs.join(", "))
}

fn function(name: &str, body: &str) -> String {
    format!(
        "CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $fn$ {PROLOGUE}\n{body}\n  RETURN NULL;\nEND $fn$;\n"
    )
}

/// Drop-and-create (not `CREATE OR REPLACE TRIGGER`, which needs PostgreSQL 14) in the caller's transaction.
fn trigger(name: &str, when: &str, table: &str, condition: &str, function: &str) -> String {
    format!(
        "DROP TRIGGER IF EXISTS {name} ON {table};\n\
         CREATE TRIGGER {name} {when} ON {table} FOR EACH ROW {condition} EXECUTE FUNCTION {function}();\n"
    )
}

fn task_function() -> String {
    let cols = task_columns();
    let (old, new) = (json_of("OLD", &cols), json_of("NEW", &cols));
    function(
        "tinytask_capture_task",
        &format!(
            "  IF TG_OP = 'INSERT' THEN
    INSERT INTO pg_temp.tinytask_changes (tbl, op, task_id, row_id, agent, queue, new, actor, intent)
    VALUES ('tasks', 'insert', NEW.id, NEW.id, NEW.assigned_to, NEW.queue_name, {new}, ctx_actor,
            CASE WHEN ctx_task = NEW.id THEN ctx_intent END);
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO pg_temp.tinytask_changes (tbl, op, task_id, row_id, agent, prior_agent, queue, prior_queue, old, new, actor, intent)
    VALUES ('tasks', 'update', NEW.id, NEW.id, NEW.assigned_to, OLD.assigned_to, NEW.queue_name, OLD.queue_name,
            {old}, {new}, ctx_actor, CASE WHEN ctx_task = NEW.id THEN ctx_intent END);
  ELSE
    INSERT INTO pg_temp.tinytask_changes (tbl, op, task_id, row_id, prior_agent, prior_queue, old, actor, intent)
    VALUES ('tasks', 'delete', OLD.id, OLD.id, OLD.assigned_to, OLD.queue_name, {old}, ctx_actor,
            CASE WHEN ctx_task = OLD.id THEN ctx_intent END);
  END IF;"
        ),
    )
}

/// A task that closes or reopens changes whether its dependents are blocked (see `capture.rs`).
fn dependents_function() -> String {
    function(
        "tinytask_capture_dependents",
        "  INSERT INTO pg_temp.tinytask_changes (tbl, op, task_id, row_id, agent, queue)
  SELECT 'dependents', 'touch', d.id, NEW.id, d.assigned_to, d.queue_name FROM tasks d
  WHERE d.blocked_by_task_id = NEW.id;
  INSERT INTO pg_temp.tinytask_changes (tbl, op, task_id, row_id, agent, queue)
  SELECT 'dependents', 'touch', d.id, NEW.id, d.assigned_to, d.queue_name
  FROM task_dependencies e JOIN tasks d ON d.id = e.task_id WHERE e.depends_on_task_id = NEW.id;",
    )
}

/// Comments and links: each change with its task's assignee and queue and the write's intent.
fn note_function(table: &str, columns: &[&str]) -> String {
    let (old, new) = (json_of("OLD", columns), json_of("NEW", columns));
    let row = |op: &str, alias: &str, old: &str, new: &str| {
        format!(
            "    INSERT INTO pg_temp.tinytask_changes (tbl, op, task_id, row_id, agent, queue, old, new, actor, intent)
    SELECT '{table}', '{op}', {alias}.task_id, {alias}.id, t.assigned_to, t.queue_name, {old}, {new}, ctx_actor, ctx_intent
    FROM (SELECT 1) one LEFT JOIN tasks t ON t.id = {alias}.task_id;"
        )
    };
    function(
        &format!("tinytask_capture_{table}"),
        &format!(
            "  IF TG_OP = 'INSERT' THEN\n{}\n  ELSIF TG_OP = 'UPDATE' THEN\n{}\n  ELSE\n{}\n  END IF;",
            row("insert", "NEW", "NULL", &new),
            row("update", "NEW", &old, &new),
            row("delete", "OLD", &old, "NULL"),
        ),
    )
}

/// Leases: the token is a secret of its holder and is never captured.
fn lease_function() -> String {
    let (old, new) = (json_of("OLD", LEASE_COLUMNS), json_of("NEW", LEASE_COLUMNS));
    let row = |op: &str, alias: &str, old: &str, new: &str| {
        format!(
            "    INSERT INTO pg_temp.tinytask_changes (tbl, op, task_id, row_id, old, new, actor, intent)
    VALUES ('task_leases', '{op}', {alias}.task_id, {alias}.task_id, {old}, {new}, ctx_actor,
            CASE WHEN ctx_task = {alias}.task_id THEN ctx_intent END);"
        )
    };
    function(
        "tinytask_capture_lease",
        &format!(
            "  IF TG_OP = 'INSERT' THEN\n{}\n  ELSIF TG_OP = 'UPDATE' THEN\n{}\n  ELSE\n{}\n  END IF;",
            row("insert", "NEW", "NULL", &new),
            row("update", "NEW", &old, &new),
            row("delete", "OLD", &old, "NULL"),
        ),
    )
}

fn dependency_function() -> String {
    function(
        "tinytask_capture_dependency",
        "  IF TG_OP = 'INSERT' THEN
    INSERT INTO pg_temp.tinytask_changes (tbl, op, task_id, row_id, agent, queue, new, actor)
    SELECT 'task_dependencies', 'insert', NEW.task_id, NEW.depends_on_task_id, t.assigned_to, t.queue_name,
           json_build_object('depends_on_task_id', NEW.depends_on_task_id)::text, ctx_actor
    FROM tasks t WHERE t.id = NEW.task_id;
  ELSE
    INSERT INTO pg_temp.tinytask_changes (tbl, op, task_id, row_id, agent, queue, old, actor)
    VALUES ('task_dependencies', 'delete', OLD.task_id, OLD.depends_on_task_id,
            (SELECT assigned_to FROM tasks WHERE id = OLD.task_id),
            (SELECT queue_name FROM tasks WHERE id = OLD.task_id),
            json_build_object('depends_on_task_id', OLD.depends_on_task_id)::text, ctx_actor);
  END IF;",
    )
}

/// Every capture function and trigger, replaced in place (run at start, in one transaction, under the
/// migration lock: a replica of a newer version brings its capture with it).
pub fn install_sql() -> String {
    let mut sql = String::new();
    sql += &task_function();
    sql += &dependents_function();
    sql += &note_function("comments", NOTE_COLUMNS);
    sql += &note_function("links", LINK_COLUMNS);
    sql += &lease_function();
    sql += &dependency_function();
    let each = "AFTER INSERT OR UPDATE OR DELETE";
    sql += &trigger(
        "tinytask_task_changed",
        each,
        "tasks",
        "",
        "tinytask_capture_task",
    );
    sql += &trigger(
        "tinytask_dependents_touched",
        "AFTER UPDATE OF status, archived_at",
        "tasks",
        "WHEN ((OLD.status = 'complete' OR OLD.archived_at IS NOT NULL) IS DISTINCT FROM \
         (NEW.status = 'complete' OR NEW.archived_at IS NOT NULL))",
        "tinytask_capture_dependents",
    );
    sql += &trigger(
        "tinytask_comment_changed",
        each,
        "comments",
        "",
        "tinytask_capture_comments",
    );
    sql += &trigger(
        "tinytask_link_changed",
        each,
        "links",
        "",
        "tinytask_capture_links",
    );
    sql += &trigger(
        "tinytask_lease_changed",
        each,
        "task_leases",
        "",
        "tinytask_capture_lease",
    );
    sql += &trigger(
        "tinytask_dependency_changed",
        "AFTER INSERT OR DELETE",
        "task_dependencies",
        "",
        "tinytask_capture_dependency",
    );
    sql
}
