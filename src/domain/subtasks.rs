//! Subtasks: creating them under a parent, reading a task's subtree, re-parenting.

use super::DomainResult;
use super::blocking;
use super::hierarchy;
use super::input;
use super::limits::{self, Cut, Page, Paged, impl_paged};
use super::projection::{self, Listed, Projection};
use super::rows::TaskRow;
use super::tasks::{self, CreateTask, UpdateTask, find_row};
use super::views::Task;
use crate::db::schema::tasks as t;
use crate::domain::Conn;
use diesel::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Arguments of `create_subtask`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSubtask {
    /// Parent task id.
    #[serde(deserialize_with = "input::id")]
    #[schemars(with = "crate::domain::input::IdSchema")]
    pub parent_task_id: i32,
    /// Short summary of the work (required, non-blank).
    pub title: String,
    /// Who is creating the subtask (required, non-blank).
    pub created_by: String,
    /// Longer explanation.
    #[serde(default)]
    pub description: Option<String>,
    /// Agent the subtask is assigned to.
    #[serde(default)]
    pub assigned_to: Option<String>,
    /// Integer priority, higher = more urgent (default 0).
    #[serde(default, deserialize_with = "input::opt_int")]
    #[schemars(with = "Option<i64>")]
    pub priority: Option<i64>,
    /// Free-form labels.
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    /// Queue; defaults to the parent's queue.
    #[serde(default)]
    pub queue_name: Option<String>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetSubtasks {
    /// Parent task id.
    #[serde(deserialize_with = "input::id")]
    #[schemars(with = "crate::domain::input::IdSchema")]
    pub parent_task_id: i32,
    /// Include all descendants, not only direct children (default false).
    #[serde(default)]
    pub recursive: Option<bool>,
    /// Include archived subtasks (default false).
    #[serde(default)]
    pub include_archived: Option<bool>,
    /// Number of subtasks to skip (≥ 0); pass a cut result's next_offset to get the rest.
    #[serde(default, deserialize_with = "input::opt_int")]
    #[schemars(with = "Option<i64>")]
    pub offset: Option<i64>,
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub fields: Option<Vec<crate::domain::projection::TaskField>>,
    #[serde(default)]
    #[schemars(with = "crate::domain::projection::View")]
    pub view: Option<crate::domain::projection::View>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskWithSubtasksArgs {
    /// Task id.
    #[serde(deserialize_with = "input::id")]
    #[schemars(with = "crate::domain::input::IdSchema")]
    pub task_id: i32,
    /// Include all descendants, not only direct children (default false).
    #[serde(default)]
    pub recursive: Option<bool>,
    // The projection applies to the subtasks; the task itself is always whole.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub fields: Option<Vec<crate::domain::projection::TaskField>>,
    #[serde(default)]
    #[schemars(with = "crate::domain::projection::View")]
    pub view: Option<crate::domain::projection::View>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveSubtask {
    /// The task to re-parent.
    #[serde(deserialize_with = "input::id")]
    #[schemars(with = "crate::domain::input::IdSchema")]
    pub subtask_id: i32,
    /// New parent task id; null or omitted makes the task top-level.
    #[serde(default, deserialize_with = "input::opt_id")]
    #[schemars(with = "Option<crate::domain::input::IdSchema>")]
    pub new_parent_id: Option<i32>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SubtaskList {
    pub parent_task_id: i32,
    pub recursive: bool,
    pub count: usize,
    /// Flat list (also when recursive), most urgent first; `parent_task_id` of each gives the tree.
    pub subtasks: Vec<Listed>,
    #[serde(flatten)]
    pub cut: Cut,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TaskWithSubtasks {
    #[serde(flatten)]
    pub task: Task,
    pub subtasks: Vec<Listed>,
    pub subtask_count: usize,
    /// When cut (has_more), next_offset is the `offset` for get_subtasks with the same `recursive`.
    #[serde(flatten)]
    pub cut: Cut,
}

pub fn create(conn: &mut Conn, args: CreateSubtask) -> DomainResult<Task> {
    find_row(conn, "Parent task", args.parent_task_id)?;
    tasks::create(
        conn,
        CreateTask {
            title: args.title,
            created_by: args.created_by,
            description: args.description,
            assigned_to: args.assigned_to,
            priority: args.priority,
            tags: args.tags,
            parent_task_id: Some(args.parent_task_id),
            queue_name: args.queue_name,
            blocked_by_task_id: None,
            depends_on: None,
        },
    )
}

/// Which subtasks [`subtasks_of`] reads.
#[derive(Debug, Clone, Copy, Default)]
pub struct SubtaskQuery {
    pub recursive: bool,
    pub include_archived: bool,
    pub offset: i64,
    /// The task keys to return.
    pub keep: Projection,
}

/// Children (or all descendants) of a task, ordered most urgent first, from `offset`, cut to fit the
/// response limit with `overhead` bytes around them.
pub fn subtasks_of(
    conn: &mut Conn,
    parent_id: i32,
    which: SubtaskQuery,
    overhead: usize,
) -> DomainResult<Page<Listed>> {
    find_row(conn, "Task", parent_id)?;
    let ids: Vec<i32> = if which.recursive {
        hierarchy::descendants(conn, parent_id)?.0
    } else {
        t::table
            .filter(t::parent_task_id.eq(parent_id))
            .select(t::id)
            .load::<Option<i32>>(conn)?
            .into_iter()
            .flatten()
            .collect()
    };
    let mut q = t::table.filter(t::id.eq_any(ids)).into_boxed();
    if !which.include_archived {
        q = q.filter(t::archived_at.is_null());
    }
    let cap = limits::current().response_bytes;
    let query = q
        .order((t::priority.desc(), t::created_at.asc(), t::id.asc()))
        .select(TaskRow::as_select())
        .limit(limits::NO_LIMIT)
        .offset(which.offset);
    let rows = limits::load_bounded_by(conn, query, usize::MAX, cap, |r| {
        projection::min_json(r, which.keep)
    })?;
    let tasks = blocking::to_listed(conn, rows, which.keep)?;
    Ok(Page::fit(tasks, which.offset, overhead, cap))
}

pub fn list(conn: &mut Conn, args: GetSubtasks) -> DomainResult<SubtaskList> {
    let which = SubtaskQuery {
        recursive: args.recursive.unwrap_or(false),
        include_archived: args.include_archived.unwrap_or(false),
        offset: limits::offset(args.offset)?,
        keep: Projection::new(args.fields.as_deref(), args.view)?,
    };
    let mut result = SubtaskList {
        parent_task_id: args.parent_task_id,
        recursive: which.recursive,
        count: 0,
        subtasks: Vec::new(),
        cut: Cut::default(),
    };
    result.set_page(subtasks_of(
        conn,
        args.parent_task_id,
        which,
        result.overhead(),
    )?);
    Ok(result)
}

impl_paged!(SubtaskList, Listed, subtasks, count);

pub fn with_subtasks(
    conn: &mut Conn,
    args: TaskWithSubtasksArgs,
) -> DomainResult<TaskWithSubtasks> {
    let task = tasks::get(conn, args.task_id)?;
    let which = SubtaskQuery {
        recursive: args.recursive.unwrap_or(false),
        keep: Projection::new(args.fields.as_deref(), args.view)?,
        ..SubtaskQuery::default()
    };
    let mut result = TaskWithSubtasks {
        task,
        subtasks: Vec::new(),
        subtask_count: 0,
        cut: Cut::default(),
    };
    result.set_page(subtasks_of(conn, args.task_id, which, result.overhead())?);
    Ok(result)
}

impl_paged!(TaskWithSubtasks, Listed, subtasks, subtask_count);

/// Re-parents a task (or makes it top-level), with the same checks as `update_task`.
pub fn move_subtask(conn: &mut Conn, args: MoveSubtask) -> DomainResult<Task> {
    tasks::update(
        conn,
        UpdateTask {
            id: args.subtask_id,
            parent_task_id: Some(args.new_parent_id),
            ..UpdateTask::default()
        },
    )
}
