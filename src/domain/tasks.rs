//! Task lifecycle: create, read, update, archive, delete, list.

mod changes;
mod filter;
mod update_sql;

pub use filter::{ListTasks, TaskFilter};

use self::changes::TaskChanges;
use super::blocking::{self, check_blocker};
use super::hierarchy::{self, check_parent};
use super::history::{self, id_text};
use super::input;
use super::rows::{CommentRow, LinkRow, TaskRow};
use super::text;
use super::views::{Comment, Link, Task, TaskWithRelations};
use super::{DomainError, DomainResult, TaskStatus};
use crate::db::schema::{comments, links, tasks};
use diesel::dsl::now;
use diesel::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Arguments of `create_task`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTask {
    /// Short summary of the work (required, non-blank).
    pub title: String,
    /// Who is creating the task: agent or person name (required, non-blank).
    pub created_by: String,
    /// Longer explanation, acceptance criteria, context.
    #[serde(default)]
    pub description: Option<String>,
    /// Agent the task is assigned to.
    #[serde(default)]
    pub assigned_to: Option<String>,
    /// Integer priority, higher = more urgent (default 0).
    #[serde(default, deserialize_with = "input::opt_int")]
    #[schemars(with = "Option<i64>")]
    pub priority: Option<i64>,
    /// Free-form labels.
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    /// Make this a subtask of that task (null or omitted = top level). At most 4 levels deep.
    #[serde(default, deserialize_with = "input::opt_id")]
    #[schemars(with = "Option<i32>")]
    pub parent_task_id: Option<i32>,
    /// Queue (team/area) the task belongs to; subtasks inherit the parent's queue when omitted.
    #[serde(default)]
    pub queue_name: Option<String>,
    /// Id of a task that must be completed before this one can be worked on.
    #[serde(default, deserialize_with = "input::opt_id")]
    #[schemars(with = "Option<i32>")]
    pub blocked_by_task_id: Option<i32>,
}

/// Arguments of `update_task`: only the given fields change.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTask {
    /// Id of the task to update.
    #[serde(deserialize_with = "input::id")]
    #[schemars(with = "i32")]
    pub id: i32,
    /// New title (non-blank).
    #[serde(default)]
    pub title: Option<String>,
    /// New description; null or "" clears it.
    #[serde(default, deserialize_with = "input::patch_text")]
    #[schemars(with = "Option<String>")]
    pub description: Option<Option<String>>,
    /// New status.
    #[serde(default)]
    pub status: Option<TaskStatus>,
    /// New assignee; null or "" unassigns. The old assignee becomes previous_assigned_to.
    #[serde(default, deserialize_with = "input::patch_text")]
    #[schemars(with = "Option<String>")]
    pub assigned_to: Option<Option<String>>,
    /// New integer priority (higher = more urgent).
    #[serde(default, deserialize_with = "input::opt_int")]
    #[schemars(with = "Option<i64>")]
    pub priority: Option<i64>,
    /// Replaces all tags; null clears them.
    #[serde(default, deserialize_with = "input::patch")]
    #[schemars(with = "Option<Vec<String>>")]
    pub tags: Option<Option<Vec<String>>>,
    /// New parent task; null makes the task top-level.
    #[serde(default, deserialize_with = "input::patch_id")]
    #[schemars(with = "Option<i32>")]
    pub parent_task_id: Option<Option<i32>>,
    /// New queue; null or "" removes the task from its queue.
    #[serde(default, deserialize_with = "input::patch_text")]
    #[schemars(with = "Option<String>")]
    pub queue_name: Option<Option<String>>,
    /// Task that blocks this one; null unblocks.
    #[serde(default, deserialize_with = "input::patch_id")]
    #[schemars(with = "Option<i32>")]
    pub blocked_by_task_id: Option<Option<i32>>,
    /// Who makes the change (recorded in the task history).
    #[serde(default)]
    pub changed_by: Option<String>,
}

/// Result of `delete_task`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Deleted {
    pub success: bool,
    pub message: String,
    pub id: i32,
    /// Subtasks of the deleted task, moved up to its parent instead of being deleted with it.
    pub promoted_subtask_ids: Vec<i32>,
}

/// Lookups by primary key here and elsewhere use `get_result`, not `first`: `first` adds `LIMIT ?`, and the
/// bundled SQLite re-prepares a statement whose LIMIT is a bound parameter on every execution (it plans
/// with the bound value) — that re-parse was a fifth of the writer's time (docs/benchmarks.md).
pub(crate) fn find_row(
    conn: &mut SqliteConnection,
    entity: &'static str,
    id: i32,
) -> DomainResult<TaskRow> {
    tasks::table
        .filter(tasks::id.eq(id))
        .select(TaskRow::as_select())
        .get_result(conn)
        .optional()?
        .ok_or(DomainError::not_found(entity, id))
}

/// One task (without relations).
pub fn get(conn: &mut SqliteConnection, id: i32) -> DomainResult<Task> {
    let row = find_row(conn, "Task", id)?;
    blocking::to_view(conn, row)
}

/// One task with its comments, links and history.
pub fn get_with_relations(conn: &mut SqliteConnection, id: i32) -> DomainResult<TaskWithRelations> {
    let task = get(conn, id)?;
    let comments = comments::table
        .filter(comments::task_id.eq(id))
        .order((comments::created_at.asc(), comments::id.asc()))
        .select(CommentRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Comment::from)
        .collect();
    let links = links::table
        .filter(links::task_id.eq(id))
        .order((links::created_at.asc(), links::id.asc()))
        .select(LinkRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Link::from)
        .collect();
    let history = history::list(conn, id)?;
    Ok(TaskWithRelations {
        task,
        comments,
        links,
        history,
    })
}

fn priority(value: Option<i64>) -> DomainResult<Option<i32>> {
    value
        .map(|p| {
            i32::try_from(p).map_err(|_| {
                DomainError::invalid(
                    "priority",
                    format!("{p} is out of range (a 32-bit integer)"),
                )
            })
        })
        .transpose()
}

fn tags_json(tags: &[String]) -> String {
    let cleaned: Vec<&str> = tags
        .iter()
        .map(|t| t.trim())
        .filter(|t| !t.is_empty())
        .collect();
    serde_json::to_string(&cleaned).unwrap_or_else(|_| "[]".into())
}

/// Creates a task (status `idle`).
pub fn create(conn: &mut SqliteConnection, args: CreateTask) -> DomainResult<Task> {
    let title = text::required("title", &args.title)?;
    let created_by = text::required("created_by", &args.created_by)?;
    let priority = priority(args.priority)?.unwrap_or(0);
    let mut queue = text::optional_queue_name("queue_name", args.queue_name.as_deref())?;
    if let Some(parent) = args.parent_task_id {
        check_parent(conn, "parent_task_id", None, parent)?;
        if queue.is_none() {
            queue = find_row(conn, "Parent task", parent)?.queue_name;
        }
    }
    if let Some(blocker) = args.blocked_by_task_id {
        check_blocker(conn, None, blocker)?;
    }
    let row: TaskRow = diesel::insert_into(tasks::table)
        .values((
            tasks::title.eq(title),
            tasks::description.eq(text::optional(args.description.as_deref())),
            tasks::status.eq(TaskStatus::Idle.as_str()),
            tasks::assigned_to.eq(text::optional(args.assigned_to.as_deref())),
            tasks::created_by.eq(created_by),
            tasks::priority.eq(priority),
            tasks::tags.eq(tags_json(args.tags.as_deref().unwrap_or_default())),
            tasks::parent_task_id.eq(args.parent_task_id),
            tasks::queue_name.eq(queue),
            tasks::blocked_by_task_id.eq(args.blocked_by_task_id),
        ))
        .returning(TaskRow::as_returning())
        .get_result(conn)?;
    hierarchy::propagate_status(conn, row.parent_task_id)?;
    blocking::to_view(conn, row)
}

/// Applies a partial update; returns the task unchanged (no `updated_at` bump) when nothing differs.
pub fn update(conn: &mut SqliteConnection, args: UpdateTask) -> DomainResult<Task> {
    let row = find_row(conn, "Task", args.id)?;
    let changed_by = text::optional(args.changed_by.as_deref());
    let mut changes = TaskChanges::new(&row);
    if let Some(title) = &args.title {
        changes.title(text::required("title", title)?);
    }
    if let Some(description) = &args.description {
        changes.description(text::optional(description.as_deref()));
    }
    if let Some(status) = args.status {
        changes.status(status);
    }
    if let Some(assignee) = &args.assigned_to {
        changes.assigned_to(text::optional(assignee.as_deref()));
    }
    if let Some(p) = priority(args.priority)? {
        changes.priority(p);
    }
    if let Some(tags) = &args.tags {
        changes.tags(tags_json(tags.as_deref().unwrap_or_default()));
    }
    if let Some(parent) = args.parent_task_id {
        if let Some(p) = parent {
            check_parent(conn, "parent_task_id", Some(args.id), p)?;
        }
        changes.parent(parent);
    }
    if let Some(queue) = &args.queue_name {
        changes.queue(text::optional_queue_name("queue_name", queue.as_deref())?);
    }
    if let Some(blocker) = args.blocked_by_task_id {
        if let Some(b) = blocker {
            check_blocker(conn, Some(args.id), b)?;
        }
        changes.blocker(blocker);
    }
    let updated = changes.apply(conn, changed_by.as_deref())?;
    blocking::to_view(conn, updated.unwrap_or(row))
}

/// Archives a task (any status). Archiving twice keeps the first `archived_at`.
pub fn archive(conn: &mut SqliteConnection, id: i32) -> DomainResult<Task> {
    let row = find_row(conn, "Task", id)?;
    if row.archived_at.is_none() {
        diesel::update(tasks::table.filter(tasks::id.eq(id)))
            .set((tasks::archived_at.eq(now), tasks::updated_at.eq(now)))
            .execute(conn)?;
        let archived = find_row(conn, "Task", id)?;
        history::record(
            conn,
            id,
            "archived_at",
            None,
            super::views::iso8601(archived.archived_at),
            None,
        )?;
        hierarchy::propagate_status(conn, row.parent_task_id)?;
    }
    get(conn, id)
}

/// Deletes a task with its comments, links and history. Its subtasks are promoted to its parent (the
/// schema's ON DELETE CASCADE would silently delete the whole subtree); tasks it blocked become unblocked.
pub fn delete(conn: &mut SqliteConnection, id: i32) -> DomainResult<Deleted> {
    let row = find_row(conn, "Task", id)?;
    let children: Vec<i32> = tasks::table
        .filter(tasks::parent_task_id.eq(id))
        .select(tasks::id)
        .load::<Option<i32>>(conn)?
        .into_iter()
        .flatten()
        .collect();
    diesel::update(tasks::table.filter(tasks::parent_task_id.eq(id)))
        .set(tasks::parent_task_id.eq(row.parent_task_id))
        .execute(conn)?;
    for child in &children {
        history::record(
            conn,
            *child,
            "parent_task_id",
            id_text(Some(id)),
            id_text(row.parent_task_id),
            None,
        )?;
    }
    let blocked: Vec<i32> = tasks::table
        .filter(tasks::blocked_by_task_id.eq(id))
        .select(tasks::id)
        .load::<Option<i32>>(conn)?
        .into_iter()
        .flatten()
        .collect();
    for task in &blocked {
        history::record(
            conn,
            *task,
            "blocked_by_task_id",
            id_text(Some(id)),
            None,
            None,
        )?;
    }
    diesel::delete(tasks::table.filter(tasks::id.eq(id))).execute(conn)?;
    hierarchy::propagate_status(conn, row.parent_task_id)?;
    Ok(Deleted {
        success: true,
        message: format!("Task {id} deleted successfully"),
        id,
        promoted_subtask_ids: children,
    })
}

/// Filtered, ordered list of tasks.
pub fn list(conn: &mut SqliteConnection, filter: &TaskFilter) -> DomainResult<Vec<Task>> {
    let rows = filter
        .query()?
        .select(TaskRow::as_select())
        .load_iter::<TaskRow, diesel::connection::DefaultLoadingMode>(conn)?
        .take(filter.max_rows())
        .collect::<QueryResult<Vec<_>>>()?;
    blocking::to_views(conn, rows)
}

/// The change history of a task, oldest first.
pub fn history(
    conn: &mut SqliteConnection,
    id: i32,
) -> DomainResult<Vec<super::views::HistoryEntry>> {
    history::list(conn, id)
}

/// All archived tasks, most recently archived first.
pub fn archived(conn: &mut SqliteConnection) -> DomainResult<Vec<Task>> {
    let rows = tasks::table
        .filter(tasks::archived_at.is_not_null())
        .order((tasks::archived_at.desc(), tasks::id.desc()))
        .select(TaskRow::as_select())
        .load(conn)?;
    blocking::to_views(conn, rows)
}
