//! The dependency graph: a task may depend on any number of tasks. The 2.x column `blocked_by_task_id`
//! keeps its meaning and counts as one dependency; the others are rows of `task_dependencies`, so the
//! Node originals still read and write the file as before. A task is blocked while any dependency is
//! open (neither complete nor archived). Cycles are rejected at any depth, across both kinds of edge.

use super::events::context;
use super::natively;
use super::rows::TaskRow;
use super::tasks::find_row;
use super::views::Task;
use super::{DomainError, DomainResult, TaskStatus, history, input, limits, text};
use crate::db::schema::{task_dependencies as d, tasks as t};
use crate::domain::Conn;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A task at the other end of a dependency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct TaskRef {
    pub id: i32,
    pub title: String,
    pub status: TaskStatus,
    /// Whether it still blocks (not complete and not archived). For `dependents`: whether that dependent
    /// is still open.
    pub is_open: bool,
}

fn open(row: &TaskRow) -> bool {
    row.status != TaskStatus::Complete.as_str() && row.archived_at.is_none()
}

fn task_ref(row: TaskRow) -> TaskRef {
    TaskRef {
        id: row.id(),
        is_open: open(&row),
        status: TaskStatus::parse(&row.status).unwrap_or(TaskStatus::Idle),
        title: row.title,
    }
}

/// The tasks `task_id` depends on (its `blocked_by_task_id` first), by id.
pub fn depends_on(conn: &mut Conn, task_id: i32) -> DomainResult<Vec<TaskRef>> {
    let query = t::table
        .filter(t::id.eq(task_id))
        .select(t::blocked_by_task_id);
    let blocker = natively!(conn, |c| query.get_result::<Option<i32>>(c).optional())?.flatten();
    let query = d::table
        .filter(d::task_id.eq(task_id))
        .select(d::depends_on_task_id);
    let mut ids: Vec<i32> = natively!(conn, |c| query.load(c))?;
    ids.extend(blocker.filter(|b| !ids.contains(b)));
    refs(conn, ids)
}

/// The tasks that depend on `task_id` (through either kind of edge), by id.
pub fn dependents(conn: &mut Conn, task_id: i32) -> DomainResult<Vec<TaskRef>> {
    let query = d::table
        .filter(d::depends_on_task_id.eq(task_id))
        .select(d::task_id);
    let mut ids: Vec<i32> = natively!(conn, |c| query.load(c))?;
    let query = t::table
        .filter(t::blocked_by_task_id.eq(task_id))
        .select(t::id);
    let blocked: Vec<Option<i32>> = natively!(conn, |c| query.load(c))?;
    for id in blocked.into_iter().flatten() {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    refs(conn, ids)
}

fn refs(conn: &mut Conn, mut ids: Vec<i32>) -> DomainResult<Vec<TaskRef>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    ids.sort_unstable();
    let rows: Vec<TaskRow> = natively!(conn, |c| t::table
        .filter(t::id.eq_any(&ids))
        .order(t::id.asc())
        .select(TaskRow::as_select())
        .load(c))?;
    Ok(rows.into_iter().map(task_ref).collect())
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Whether `from` reaches `to` by following dependencies (both kinds), at any depth.
pub(super) fn reaches(conn: &mut Conn, from: i32, to: i32) -> DomainResult<bool> {
    let sql = match conn.backend() {
        // Two recursive terms, each joined on its own index.
        super::Backend::Sqlite => {
            "WITH RECURSIVE reach(id) AS ( \
               SELECT ?1 \
               UNION SELECT d.depends_on_task_id FROM task_dependencies d JOIN reach r ON d.task_id = r.id \
               UNION SELECT t.blocked_by_task_id FROM tasks t JOIN reach r ON t.id = r.id \
                     WHERE t.blocked_by_task_id IS NOT NULL) \
             SELECT COUNT(*) AS n FROM reach WHERE id = ?2"
        }
        // PostgreSQL allows one recursive term: both kinds of edge are one relation there.
        super::Backend::Postgres => {
            "WITH RECURSIVE reach(id) AS ( \
               SELECT $1 \
               UNION SELECT e.next FROM reach r JOIN ( \
                   SELECT task_id AS id, depends_on_task_id AS next FROM task_dependencies \
                   UNION ALL SELECT id, blocked_by_task_id FROM tasks WHERE blocked_by_task_id IS NOT NULL \
                 ) e ON e.id = r.id) \
             SELECT COUNT(*) AS n FROM reach WHERE id = $2"
        }
    };
    let found: Count = diesel::sql_query(sql)
        .bind::<Integer, _>(from)
        .bind::<Integer, _>(to)
        .get_result(conn)?;
    Ok(found.n > 0)
}

/// Checks that `task_id` (None: a task being created) may depend on `dep`: `dep` exists, is not the task
/// itself, and does not already depend on the task at any depth. `field` names the parameter in errors.
pub fn check_edge(
    conn: &mut Conn,
    task_id: Option<i32>,
    dep: i32,
    field: &'static str,
) -> DomainResult<()> {
    if Some(dep) == task_id {
        return Err(DomainError::invalid(
            field,
            format!("task {dep} cannot depend on itself"),
        ));
    }
    if t::table
        .filter(t::id.eq(dep))
        .count()
        .get_result::<i64>(conn)?
        == 0
    {
        return Err(DomainError::invalid(
            field,
            format!("no task with id {dep} exists"),
        ));
    }
    if let Some(task_id) = task_id
        && reaches(conn, dep, task_id)?
    {
        return Err(DomainError::Rule(format!(
            "Cannot make task {task_id} depend on task {dep}: task {dep} already depends on task {task_id} \
             (directly or through other tasks), so this would create a cycle"
        )));
    }
    Ok(())
}

/// Adds one `task_dependencies` edge (after [`check_edge`]); an existing edge is left as it is.
fn insert(conn: &mut Conn, task_id: i32, dep: i32) -> DomainResult<bool> {
    let edge = (d::task_id.eq(task_id), d::depends_on_task_id.eq(dep));
    let n = match conn {
        Conn::Sqlite(c) => diesel::insert_or_ignore_into(d::table)
            .values(edge)
            .execute(c)?,
        Conn::Pg(c) => diesel::insert_into(d::table)
            .values(edge)
            .on_conflict_do_nothing()
            .execute(c)?,
    };
    Ok(n > 0)
}

/// Validates a `depends_on` list: no duplicates (they would be ambiguous), each id checked on its own.
fn distinct(ids: &[i32]) -> DomainResult<Vec<i32>> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if out.contains(id) {
            return Err(DomainError::invalid(
                "depends_on",
                format!("task {id} is listed twice"),
            ));
        }
        out.push(*id);
    }
    Ok(out)
}

/// Replaces the `task_dependencies` edges of `task_id` by `ids` (`depends_on` of create_task/update_task;
/// `blocked_by_task_id` is its own parameter and is left alone).
pub fn replace(conn: &mut Conn, task_id: i32, ids: &[i32]) -> DomainResult<()> {
    let ids = distinct(ids)?;
    let current: Vec<i32> = d::table
        .filter(d::task_id.eq(task_id))
        .select(d::depends_on_task_id)
        .load(conn)?;
    for gone in current.iter().filter(|id| !ids.contains(id)) {
        diesel::delete(
            d::table
                .filter(d::task_id.eq(task_id))
                .filter(d::depends_on_task_id.eq(gone)),
        )
        .execute(conn)?;
    }
    for id in ids.iter().filter(|id| !current.contains(id)) {
        check_edge(conn, Some(task_id), *id, "depends_on")?;
        insert(conn, task_id, *id)?;
    }
    Ok(())
}

/// Arguments of `add_dependency` and `remove_dependency`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DependencyArgs {
    /// The task that waits.
    #[serde(deserialize_with = "input::id")]
    #[schemars(with = "crate::domain::input::IdSchema")]
    pub task_id: i32,
    /// The task it waits for.
    #[serde(deserialize_with = "input::id")]
    #[schemars(with = "crate::domain::input::IdSchema")]
    pub depends_on_task_id: i32,
    /// Who makes the change (the event feed's actor; blocked_by_task_id changes also go to the history).
    #[serde(default)]
    pub changed_by: Option<String>,
}

/// Result of `add_dependency` and `remove_dependency`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DependencyChange {
    /// Whether anything changed (adding an existing dependency changes nothing).
    pub changed: bool,
    pub message: String,
    pub task: Task,
    pub depends_on: Vec<TaskRef>,
    pub dependents: Vec<TaskRef>,
}

fn change(
    conn: &mut Conn,
    task_id: i32,
    changed: bool,
    message: String,
) -> DomainResult<DependencyChange> {
    Ok(DependencyChange {
        changed,
        message,
        task: super::tasks::get(conn, task_id)?,
        depends_on: depends_on(conn, task_id)?,
        dependents: dependents(conn, task_id)?,
    })
}

fn actor(args: &DependencyArgs) -> DomainResult<Option<String>> {
    text::optional_max(
        "changed_by",
        args.changed_by.as_deref(),
        limits::current().name(),
    )
}

/// `add_dependency`: `task_id` waits for `depends_on_task_id` too.
pub fn add(conn: &mut Conn, args: DependencyArgs) -> DomainResult<DependencyChange> {
    let by = actor(&args)?;
    let (task, dep) = (args.task_id, args.depends_on_task_id);
    let row = find_row(conn, "Task", task)?;
    check_edge(conn, Some(task), dep, "depends_on_task_id")?;
    context::act(conn, by.as_deref(), None)?;
    let changed = row.blocked_by_task_id != Some(dep) && insert(conn, task, dep)?;
    let message = if changed {
        format!("Task {task} now depends on task {dep}")
    } else {
        format!("Task {task} already depends on task {dep}")
    };
    change(conn, task, changed, message)
}

/// `remove_dependency`: `task_id` no longer waits for `depends_on_task_id` (either kind of edge).
pub fn remove(conn: &mut Conn, args: DependencyArgs) -> DomainResult<DependencyChange> {
    let by = actor(&args)?;
    let (task, dep) = (args.task_id, args.depends_on_task_id);
    let row = find_row(conn, "Task", task)?;
    context::act(conn, by.as_deref(), None)?;
    let removed = diesel::delete(
        d::table
            .filter(d::task_id.eq(task))
            .filter(d::depends_on_task_id.eq(dep)),
    )
    .execute(conn)?
        > 0;
    let unblocked = row.blocked_by_task_id == Some(dep);
    if unblocked {
        diesel::update(t::table.filter(t::id.eq(task)))
            .set((
                t::blocked_by_task_id.eq(None::<i32>),
                t::updated_at.eq(super::clock::now(conn)),
            ))
            .execute(conn)?;
        history::record(
            conn,
            task,
            "blocked_by_task_id",
            Some(dep.to_string()),
            None,
            by.as_deref(),
        )?;
    }
    if !removed && !unblocked {
        return Err(DomainError::Rule(format!(
            "Task {task} does not depend on task {dep}"
        )));
    }
    change(
        conn,
        task,
        true,
        format!("Task {task} no longer depends on task {dep}"),
    )
}

/// Of `ids`, those with an open `task_dependencies` dependency (the blocked_by column is checked by the
/// caller, `blocking::to_views`).
pub fn blocked_among(conn: &mut Conn, ids: &[i32]) -> DomainResult<std::collections::HashSet<i32>> {
    // Driven by the listed ids (the primary key of task_dependencies starts with task_id), each edge's
    // far end looked up by its primary key. A join let SQLite start from every active task instead and
    // probe task_dependencies for each: 60 ms per 50-task list on the bench board (docs/benchmarks.md).
    let open_far_end = diesel::dsl::exists(
        t::table
            .filter(t::id.eq(d::depends_on_task_id.nullable()))
            .filter(t::status.ne(TaskStatus::Complete.as_str()))
            .filter(t::archived_at.is_null()),
    );
    let found: Vec<i32> = match ids {
        [] => Vec::new(),
        [one] => {
            let query = d::table
                .filter(d::task_id.eq(*one))
                .filter(open_far_end)
                .select(d::task_id);
            natively!(conn, |c| query.load(c))?
        }
        many => d::table
            .filter(d::task_id.eq_any(many))
            .filter(open_far_end)
            .select(d::task_id)
            .load(conn)?,
    };
    Ok(found.into_iter().collect())
}
