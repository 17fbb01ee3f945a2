//! Change capture: per-connection TEMP triggers that record every row change of a write, for two readers
//! in `domain::changes` — live push (which tasks, agents and queues a commit touched) and the durable event
//! feed (what changed, old → new, by whom).
//!
//! TEMP objects live only in their connection and never reach the database file, so the Node originals
//! (and older TinyTask versions) opening the same file see nothing of this. Triggers see every change,
//! including rows changed by foreign-key cascades and by parent-status propagation, which no tool-level
//! bookkeeping would see. The capture table is transactional like any table: a write rolled back to its
//! savepoint leaves no rows behind.
//!
//! `tinytask_context` holds at most one row, set by the domain for the write in progress (who acts, and
//! for which task it means a claim, release, hand-over…); each captured row copies it at capture time.

/// Run on every pooled connection (after the migrations created the tables the triggers watch).
pub const CAPTURE_SQL: &str = "
CREATE TEMP TABLE IF NOT EXISTS tinytask_context (actor TEXT, intent TEXT, task_id INTEGER);
CREATE TEMP TABLE IF NOT EXISTS tinytask_changes (
  seq INTEGER PRIMARY KEY, tbl TEXT NOT NULL, op TEXT NOT NULL, task_id INTEGER NOT NULL, row_id INTEGER,
  agent TEXT, prior_agent TEXT, queue TEXT, prior_queue TEXT, old TEXT, new TEXT, actor TEXT, intent TEXT);

CREATE TEMP TRIGGER IF NOT EXISTS tinytask_task_inserted AFTER INSERT ON main.tasks BEGIN
  INSERT INTO tinytask_changes (tbl, op, task_id, row_id, agent, queue, new, actor, intent)
  VALUES ('tasks', 'insert', NEW.id, NEW.id, NEW.assigned_to, NEW.queue_name, TASK_NEW,
          (SELECT actor FROM tinytask_context), (SELECT intent FROM tinytask_context WHERE task_id = NEW.id));
END;
CREATE TEMP TRIGGER IF NOT EXISTS tinytask_task_updated AFTER UPDATE ON main.tasks BEGIN
  INSERT INTO tinytask_changes (tbl, op, task_id, row_id, agent, prior_agent, queue, prior_queue, old, new, actor, intent)
  VALUES ('tasks', 'update', NEW.id, NEW.id, NEW.assigned_to, OLD.assigned_to, NEW.queue_name, OLD.queue_name,
          TASK_OLD, TASK_NEW,
          (SELECT actor FROM tinytask_context), (SELECT intent FROM tinytask_context WHERE task_id = NEW.id));
END;
CREATE TEMP TRIGGER IF NOT EXISTS tinytask_task_deleted AFTER DELETE ON main.tasks BEGIN
  INSERT INTO tinytask_changes (tbl, op, task_id, row_id, prior_agent, prior_queue, old, actor, intent)
  VALUES ('tasks', 'delete', OLD.id, OLD.id, OLD.assigned_to, OLD.queue_name, TASK_OLD,
          (SELECT actor FROM tinytask_context), (SELECT intent FROM tinytask_context WHERE task_id = OLD.id));
END;
-- A task that closes (completes or is archived) or reopens changes whether its dependents are blocked:
-- their subscribers, assignees' queues and queues are told, and waiting claims re-check.
CREATE TEMP TRIGGER IF NOT EXISTS tinytask_dependents_touched AFTER UPDATE OF status, archived_at ON main.tasks
WHEN (OLD.status = 'complete' OR OLD.archived_at IS NOT NULL) <> (NEW.status = 'complete' OR NEW.archived_at IS NOT NULL)
BEGIN
  -- Two statements, each on its index (an OR of both made SQLite scan every task).
  INSERT INTO tinytask_changes (tbl, op, task_id, row_id, agent, queue)
  SELECT 'dependents', 'touch', d.id, NEW.id, d.assigned_to, d.queue_name FROM main.tasks d
  WHERE d.blocked_by_task_id = NEW.id;
  INSERT INTO tinytask_changes (tbl, op, task_id, row_id, agent, queue)
  SELECT 'dependents', 'touch', d.id, NEW.id, d.assigned_to, d.queue_name
  FROM main.task_dependencies e JOIN main.tasks d ON d.id = e.task_id
  WHERE e.depends_on_task_id = NEW.id;
END;

NOTE_TRIGGERS

-- Leases: the token is a secret of its holder and is never captured.
CREATE TEMP TRIGGER IF NOT EXISTS tinytask_lease_inserted AFTER INSERT ON main.task_leases BEGIN
  INSERT INTO tinytask_changes (tbl, op, task_id, row_id, new, actor, intent)
  VALUES ('task_leases', 'insert', NEW.task_id, NEW.task_id, LEASE_NEW, (SELECT actor FROM tinytask_context),
          (SELECT intent FROM tinytask_context WHERE task_id = NEW.task_id));
END;
CREATE TEMP TRIGGER IF NOT EXISTS tinytask_lease_updated AFTER UPDATE ON main.task_leases BEGIN
  INSERT INTO tinytask_changes (tbl, op, task_id, row_id, old, new, actor, intent)
  VALUES ('task_leases', 'update', NEW.task_id, NEW.task_id, LEASE_OLD, LEASE_NEW, (SELECT actor FROM tinytask_context),
          (SELECT intent FROM tinytask_context WHERE task_id = NEW.task_id));
END;
CREATE TEMP TRIGGER IF NOT EXISTS tinytask_lease_deleted AFTER DELETE ON main.task_leases BEGIN
  INSERT INTO tinytask_changes (tbl, op, task_id, row_id, old, actor, intent)
  VALUES ('task_leases', 'delete', OLD.task_id, OLD.task_id, LEASE_OLD, (SELECT actor FROM tinytask_context),
          (SELECT intent FROM tinytask_context WHERE task_id = OLD.task_id));
END;

CREATE TEMP TRIGGER IF NOT EXISTS tinytask_dependency_inserted AFTER INSERT ON main.task_dependencies BEGIN
  INSERT INTO tinytask_changes (tbl, op, task_id, row_id, agent, queue, new, actor)
  SELECT 'task_dependencies', 'insert', NEW.task_id, NEW.depends_on_task_id, t.assigned_to, t.queue_name,
         json_object('depends_on_task_id', NEW.depends_on_task_id), (SELECT actor FROM tinytask_context)
  FROM main.tasks t WHERE t.id = NEW.task_id;
END;
CREATE TEMP TRIGGER IF NOT EXISTS tinytask_dependency_deleted AFTER DELETE ON main.task_dependencies BEGIN
  INSERT INTO tinytask_changes (tbl, op, task_id, row_id, agent, queue, old, actor)
  VALUES ('task_dependencies', 'delete', OLD.task_id, OLD.depends_on_task_id,
          (SELECT assigned_to FROM main.tasks WHERE id = OLD.task_id),
          (SELECT queue_name FROM main.tasks WHERE id = OLD.task_id),
          json_object('depends_on_task_id', OLD.depends_on_task_id), (SELECT actor FROM tinytask_context));
END;
";

/// The `tasks` columns the triggers capture as JSON: the canonical ones (`adopt.rs`) but the id (the
/// event's subject) and the timestamps (not "fields changed"). Shared with the PostgreSQL triggers
/// (`capture_pg.rs`), so both backends capture the same fields.
pub(super) fn task_columns() -> Vec<&'static str> {
    super::adopt::CANONICAL_COLUMNS
        .iter()
        .copied()
        .filter(|c| !matches!(*c, "id" | "created_at" | "updated_at"))
        .collect()
}

/// The other tables' captured columns.
pub(super) const NOTE_COLUMNS: &[&str] = &["task_id", "content", "created_by"];
pub(super) const LINK_COLUMNS: &[&str] = &["task_id", "url", "description", "created_by"];
pub(super) const LEASE_COLUMNS: &[&str] = &["agent", "expires_at", "pooled"];

/// The triggers of a comment-like table (comments, links): each change of a row is captured with its
/// task's assignee and queue (for the feed's filters) and the write's intent (move_comment). `{table}` and
/// `{json}` are filled by [`capture_sql`].
const NOTE_TRIGGER: &str = "
CREATE TEMP TRIGGER IF NOT EXISTS tinytask_{table}_{op} AFTER {OP} ON main.{table} BEGIN
  INSERT INTO tinytask_changes (tbl, op, task_id, row_id, agent, queue, old, new, actor, intent)
  SELECT '{table}', '{op}', {ROW}.task_id, {ROW}.id, t.assigned_to, t.queue_name, {old}, {new},
         (SELECT actor FROM tinytask_context), (SELECT intent FROM tinytask_context)
  FROM (SELECT NULL) LEFT JOIN main.tasks t ON t.id = {ROW}.task_id;
END;";

/// The comment and link triggers, from [`NOTE_TRIGGER`].
fn note_triggers() -> String {
    let mut sql = String::new();
    for (table, columns) in [("comments", NOTE_COLUMNS), ("links", LINK_COLUMNS)] {
        for (op, row) in [("insert", "NEW"), ("update", "NEW"), ("delete", "OLD")] {
            let old = if op == "insert" {
                "NULL".to_string()
            } else {
                json_of("OLD", columns)
            };
            let new = if op == "delete" {
                "NULL".to_string()
            } else {
                json_of("NEW", columns)
            };
            sql += &NOTE_TRIGGER
                .replace("{table}", table)
                .replace("{OP}", &op.to_uppercase())
                .replace("{op}", op)
                .replace("{ROW}", row)
                .replace("{old}", &old)
                .replace("{new}", &new);
        }
    }
    sql
}

/// `json_object('a', ROW.a, …)` for the row alias `OLD` or `NEW`.
fn json_of(row: &str, columns: &[&str]) -> String {
    let pairs: Vec<String> = columns
        .iter()
        .map(|c| format!("'{c}', {row}.{c}"))
        .collect();
    format!("json_object({})", pairs.join(", "))
}

/// [`CAPTURE_SQL`] with its placeholders expanded.
pub fn capture_sql() -> String {
    let mut sql = CAPTURE_SQL.replace("NOTE_TRIGGERS", &note_triggers());
    let tasks = task_columns();
    for (name, columns) in [("TASK", tasks.as_slice()), ("LEASE", LEASE_COLUMNS)] {
        sql = sql
            .replace(&format!("{name}_OLD"), &json_of("OLD", columns))
            .replace(&format!("{name}_NEW"), &json_of("NEW", columns));
    }
    sql
}

// The TEMP tables as diesel sees them, so the per-write statements on them are prepared once per
// connection (diesel never caches a raw `sql_query`). Unqualified names resolve to the TEMP schema first.
diesel::table! {
    /// One row at most: the write in progress's actor and intent.
    tinytask_context (rowid) {
        rowid -> BigInt,
        actor -> Nullable<Text>,
        intent -> Nullable<Text>,
        task_id -> Nullable<Integer>,
    }
}

diesel::table! {
    /// The captured row changes of the write in progress.
    tinytask_changes (seq) {
        seq -> BigInt,
        tbl -> Text,
        op -> Text,
        task_id -> Integer,
        row_id -> Nullable<Integer>,
        agent -> Nullable<Text>,
        prior_agent -> Nullable<Text>,
        queue -> Nullable<Text>,
        prior_queue -> Nullable<Text>,
        old -> Nullable<Text>,
        new -> Nullable<Text>,
        actor -> Nullable<Text>,
        intent -> Nullable<Text>,
    }
}
