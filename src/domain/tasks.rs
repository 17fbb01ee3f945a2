//! Task lifecycle: create, read, update, archive, delete, list.

mod filter;
mod update;
mod update_sql;

pub use filter::{ListTasks, TaskFilter};

use self::update::TaskUpdate;
use super::blocking::{self, check_blocker};
use super::events::context;
use super::hierarchy::{self, check_parent};
use super::history::{self, id_text};
use super::input;
use super::leases;
use super::limits::{self, Cut, Page, Paged, impl_paged};
use super::projection::{self, Listed, Projection};
use super::rows::{CommentRow, LinkRow, TaskRow};
use super::text;
use super::views::{Comment, Link, Task, TaskWithRelations};
use super::{DomainError, DomainResult, TaskStatus};
use crate::db::schema::{comments, links, tasks};
use crate::domain::Conn;
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
    #[schemars(with = "Option<crate::domain::input::IdSchema>")]
    pub parent_task_id: Option<i32>,
    /// Queue (team/area) the task belongs to; subtasks inherit the parent's queue when omitted.
    #[serde(default)]
    pub queue_name: Option<String>,
    /// Id of a task that must be completed before this one can be worked on.
    #[serde(default, deserialize_with = "input::opt_id")]
    #[schemars(with = "Option<crate::domain::input::IdSchema>")]
    pub blocked_by_task_id: Option<i32>,
    /// Ids of further tasks that must be complete (or archived) before this one can be claimed.
    #[serde(default)]
    pub depends_on: Option<Vec<i32>>,
}

/// Arguments of `update_task`: only the given fields change.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTask {
    /// Task id.
    #[serde(deserialize_with = "input::id")]
    #[schemars(with = "crate::domain::input::IdSchema")]
    pub id: i32,
    /// Non-blank.
    #[serde(default)]
    pub title: Option<String>,
    /// null or "" clears it.
    #[serde(default, deserialize_with = "input::patch_text")]
    #[schemars(with = "Option<String>")]
    pub description: Option<Option<String>>,
    #[serde(default)]
    pub status: Option<TaskStatus>,
    /// null or "" unassigns; the old assignee becomes previous_assigned_to.
    #[serde(default, deserialize_with = "input::patch_text")]
    #[schemars(with = "Option<String>")]
    pub assigned_to: Option<Option<String>>,
    /// Higher = more urgent.
    #[serde(default, deserialize_with = "input::opt_int")]
    #[schemars(with = "Option<i64>")]
    pub priority: Option<i64>,
    /// Replaces all tags; null clears them.
    #[serde(default, deserialize_with = "input::patch")]
    #[schemars(with = "Option<Vec<String>>")]
    pub tags: Option<Option<Vec<String>>>,
    /// null makes the task top-level.
    #[serde(default, deserialize_with = "input::patch_id")]
    #[schemars(with = "Option<crate::domain::input::IdSchema>")]
    pub parent_task_id: Option<Option<i32>>,
    /// null or "" removes the task from its queue.
    #[serde(default, deserialize_with = "input::patch_text")]
    #[schemars(with = "Option<String>")]
    pub queue_name: Option<Option<String>>,
    /// Task that blocks this one; null unblocks.
    #[serde(default, deserialize_with = "input::patch_id")]
    #[schemars(with = "Option<crate::domain::input::IdSchema>")]
    pub blocked_by_task_id: Option<Option<i32>>,
    /// Who changes it (in the task history); when it holds the lease, the write renews it.
    #[serde(default)]
    pub changed_by: Option<String>,
    /// Replaces the dependencies besides blocked_by_task_id; [] or null removes all.
    #[serde(default, deserialize_with = "input::patch")]
    #[schemars(with = "Option<Vec<i32>>")]
    pub depends_on: Option<Option<Vec<i32>>>,
    /// The claim's token: rejected when no longer current.
    #[serde(default)]
    pub lease_token: Option<String>,
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
pub(crate) fn find_row(conn: &mut Conn, entity: &'static str, id: i32) -> DomainResult<TaskRow> {
    // Built in each arm: `as_select()` is typed by its backend.
    super::natively!(conn, |c| tasks::table
        .filter(tasks::id.eq(id))
        .select(TaskRow::as_select())
        .get_result(c)
        .optional())?
    .ok_or(DomainError::not_found(entity, id))
}

/// One task (without relations).
pub fn get(conn: &mut Conn, id: i32) -> DomainResult<Task> {
    let row = find_row(conn, "Task", id)?;
    blocking::to_view(conn, row)
}

/// `,"relations_truncated":["comments","links","history"]`: room kept when relations are cut.
const TRUNCATED_FLAG: usize = 52;

/// One task with its comments, links and history. When they would not fit in the response limit, each
/// list keeps its oldest items that fit (comments first, then links, then history) and
/// `relations_truncated` names the lists that were cut; the rest is read with list_comments, list_links
/// or get_task_history and `offset`.
pub fn get_with_relations(conn: &mut Conn, id: i32) -> DomainResult<TaskWithRelations> {
    let cap = limits::current().response_bytes;
    let task = get(conn, id)?;
    // Each list is read only while it can still fit on its own (see `load_bounded`).
    let comments: Vec<CommentRow> = super::natively!(conn, |c| {
        let query = comments::table
            .filter(comments::task_id.eq(id))
            .order((comments::created_at.asc(), comments::id.asc()))
            .select(CommentRow::as_select());
        limits::load_bounded(c, query, usize::MAX, cap)
    })?;
    let mut comments: Vec<Comment> = comments.into_iter().map(Comment::from).collect();
    let links: Vec<LinkRow> = super::natively!(conn, |c| {
        let query = links::table
            .filter(links::task_id.eq(id))
            .order((links::created_at.asc(), links::id.asc()))
            .select(LinkRow::as_select());
        limits::load_bounded(c, query, usize::MAX, cap)
    })?;
    let mut links: Vec<Link> = links.into_iter().map(Link::from).collect();
    let mut history = history::page(conn, id, 0, cap)?;
    let mut result = TaskWithRelations {
        task,
        comments: Vec::new(),
        links: Vec::new(),
        history: Vec::new(),
        depends_on: super::dependencies::depends_on(conn, id)?,
        dependents: super::dependencies::dependents(conn, id)?,
        relations_truncated: None,
    };
    let base = limits::json_len(&result);
    let whole = base
        + limits::items_len(&comments)
        + limits::items_len(&links)
        + limits::items_len(&history);
    if whole > cap {
        let mut truncated = Vec::new();
        let used = base + TRUNCATED_FLAG;
        let (cut, used) = limits::fit_from(&mut comments, used, cap);
        if cut {
            truncated.push("comments");
        }
        let (cut, used) = limits::fit_from(&mut links, used, cap);
        if cut {
            truncated.push("links");
        }
        if limits::fit_from(&mut history, used, cap).0 {
            truncated.push("history");
        }
        result.relations_truncated = Some(truncated);
    }
    result.comments = comments;
    result.links = links;
    result.history = history;
    Ok(result)
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

/// Creates a task (status `idle`).
pub fn create(conn: &mut Conn, args: CreateTask) -> DomainResult<Task> {
    let limits = limits::current();
    let title = text::required_max("title", &args.title, limits.title())?;
    let created_by = text::required_max("created_by", &args.created_by, limits.name())?;
    let description = text::optional_max(
        "description",
        args.description.as_deref(),
        limits.description(),
    )?;
    let assigned_to =
        text::optional_max("assigned_to", args.assigned_to.as_deref(), limits.name())?;
    let tags = text::tags_json(args.tags.as_deref().unwrap_or_default())?;
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
    for dep in args.depends_on.iter().flatten() {
        super::dependencies::check_edge(conn, None, *dep, "depends_on")?;
    }
    context::act(conn, Some(&created_by), None)?;
    let row: TaskRow = diesel::insert_into(tasks::table)
        .values((
            tasks::title.eq(title),
            tasks::description.eq(description),
            tasks::status.eq(TaskStatus::Idle.as_str()),
            tasks::assigned_to.eq(assigned_to),
            tasks::created_by.eq(created_by),
            tasks::priority.eq(priority),
            tasks::tags.eq(tags),
            tasks::parent_task_id.eq(args.parent_task_id),
            tasks::queue_name.eq(queue),
            tasks::blocked_by_task_id.eq(args.blocked_by_task_id),
        ))
        .returning(tasks::all_columns)
        .get_result(conn)?;
    if let Some(deps) = &args.depends_on {
        super::dependencies::replace(conn, row.id(), deps)?;
    }
    hierarchy::propagate_status(conn, row.parent_task_id)?;
    blocking::to_view(conn, row)
}

/// Applies a partial update; returns the task unchanged (no `updated_at` bump) when nothing differs.
pub fn update(conn: &mut Conn, args: UpdateTask) -> DomainResult<Task> {
    let limits = limits::current();
    let row = find_row(conn, "Task", args.id)?;
    let changed_by = text::optional_max("changed_by", args.changed_by.as_deref(), limits.name())?;
    leases::check_token(conn, args.id, args.lease_token.as_deref())?;
    context::act(conn, changed_by.as_deref(), None)?;
    let mut changes = TaskUpdate::new(&row);
    if let Some(title) = &args.title {
        changes.title(text::required_max("title", title, limits.title())?);
    }
    if let Some(description) = &args.description {
        changes.description(text::optional_max(
            "description",
            description.as_deref(),
            limits.description(),
        )?);
    }
    if let Some(status) = args.status {
        changes.status(status);
    }
    if let Some(assignee) = &args.assigned_to {
        changes.assigned_to(text::optional_max(
            "assigned_to",
            assignee.as_deref(),
            limits.name(),
        )?);
    }
    if let Some(p) = priority(args.priority)? {
        changes.priority(p);
    }
    if let Some(tags) = &args.tags {
        changes.tags(text::tags_json(tags.as_deref().unwrap_or_default())?);
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
    if let Some(deps) = &args.depends_on {
        super::dependencies::replace(conn, args.id, deps.as_deref().unwrap_or_default())?;
    }
    // The holder's writes renew its lease; a write that ends the claim (complete, re-assign) ends it.
    if let Some(by) = changed_by.as_deref() {
        leases::renew_if_holder(conn, args.id, by)?;
    }
    leases::settle(conn, args.id)?;
    let updated = match updated {
        Some(row) if args.depends_on.is_none() => row,
        _ => find_row(conn, "Task", args.id)?,
    };
    blocking::to_view(conn, updated)
}

/// Archives a task (any status). Archiving twice keeps the first `archived_at`.
pub fn archive(conn: &mut Conn, id: i32) -> DomainResult<Task> {
    let row = find_row(conn, "Task", id)?;
    if row.archived_at.is_none() {
        diesel::update(tasks::table.filter(tasks::id.eq(id)))
            .set((
                tasks::archived_at.eq(super::clock::now(conn)),
                tasks::updated_at.eq(super::clock::now(conn)),
            ))
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
        leases::settle(conn, id)?;
    }
    get(conn, id)
}

/// Deletes a task with its comments, links and history. Its subtasks are promoted to its parent (the
/// schema's ON DELETE CASCADE would silently delete the whole subtree); tasks it blocked become unblocked.
pub fn delete(conn: &mut Conn, id: i32) -> DomainResult<Deleted> {
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

/// Result of `list_tasks` and the `tasks://` resources.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TaskList {
    pub count: usize,
    pub tasks: Vec<Listed>,
    #[serde(flatten)]
    pub cut: Cut,
}

impl TaskList {
    /// The result with no tasks yet (see [`Paged`]).
    fn shell() -> TaskList {
        TaskList {
            count: 0,
            tasks: Vec::new(),
            cut: Cut::default(),
        }
    }
}

impl_paged!(TaskList, Listed, tasks, count);

/// Filtered, ordered list of tasks, cut to fit the response limit with `overhead` bytes around it.
pub fn list_page(
    conn: &mut Conn,
    filter: &TaskFilter,
    overhead: usize,
) -> DomainResult<Page<Listed>> {
    let keep = filter.projection()?;
    let cap = limits::current().response_bytes;
    let rows = limits::load_bounded_by(
        conn,
        filter.query()?.select(TaskRow::as_select()),
        filter.max_rows(),
        cap,
        |r| projection::min_json(r, keep),
    )?;
    let tasks = blocking::to_listed(conn, rows, keep)?;
    Ok(Page::fit(tasks, filter.offset.unwrap_or(0), overhead, cap))
}

/// `list_tasks`: the filtered list as `{count, tasks}` (plus `has_more`/`next_offset` when cut).
pub fn list(conn: &mut Conn, filter: &TaskFilter) -> DomainResult<TaskList> {
    let mut result = TaskList::shell();
    result.set_page(list_page(conn, filter, result.overhead())?);
    Ok(result)
}

/// Arguments of `list_comments`, `list_links` and `get_task_history`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskItems {
    /// Task id.
    #[serde(deserialize_with = "input::id")]
    #[schemars(with = "crate::domain::input::IdSchema")]
    pub task_id: i32,
    /// Number of items to skip (≥ 0); pass a cut result's next_offset to get the rest.
    #[serde(default, deserialize_with = "input::opt_int")]
    #[schemars(with = "Option<i64>")]
    pub offset: Option<i64>,
}

/// Result of `get_task_history`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct HistoryList {
    pub task_id: i32,
    pub count: usize,
    pub history: Vec<super::views::HistoryEntry>,
    #[serde(flatten)]
    pub cut: Cut,
}

/// The change history of a task, oldest first, from `offset` (cut to the response limit).
pub fn history_page(conn: &mut Conn, args: TaskItems) -> DomainResult<HistoryList> {
    let offset = limits::offset(args.offset)?;
    find_row(conn, "Task", args.task_id)?;
    let cap = limits::current().response_bytes;
    let entries = history::page(conn, args.task_id, offset, cap)?;
    let shell = HistoryList {
        task_id: args.task_id,
        count: 0,
        history: Vec::new(),
        cut: Cut::default(),
    };
    Ok(shell.paged(entries, offset, cap))
}

impl_paged!(HistoryList, super::views::HistoryEntry, history, count);

/// The change history of a task, oldest first (as much as fits in one response).
pub fn history(conn: &mut Conn, id: i32) -> DomainResult<Vec<super::views::HistoryEntry>> {
    Ok(history_page(
        conn,
        TaskItems {
            task_id: id,
            offset: None,
        },
    )?
    .history)
}

/// Archived tasks, most recently archived first, from `offset` (cut to the response limit), with the keys
/// of `keep`.
pub fn archived(conn: &mut Conn, offset: i64, keep: Projection) -> DomainResult<TaskList> {
    let cap = limits::current().response_bytes;
    let query = tasks::table
        .filter(tasks::archived_at.is_not_null())
        .order((tasks::archived_at.desc(), tasks::id.desc()))
        .select(TaskRow::as_select())
        .offset(offset);
    let rows = limits::load_bounded_by(conn, query, usize::MAX, cap, |r| {
        projection::min_json(r, keep)
    })?;
    let tasks = blocking::to_listed(conn, rows, keep)?;
    Ok(TaskList::shell().paged(tasks, offset, cap))
}
