//! Blocking: the batched `is_currently_blocked` flag (the blocker and every dependency) and lease of task
//! views, and the `blocked_by_task_id` check.

use super::projection::{Listed, Projection, TaskField};
use super::rows::TaskRow;
use super::views::Task;
use super::{DomainError, DomainResult};
use crate::db::schema::tasks;
use crate::domain::Conn;
use diesel::prelude::*;
use std::collections::HashSet;

/// Turns rows into views, computing `is_currently_blocked` for all of them with one query.
pub fn to_views(conn: &mut Conn, rows: Vec<TaskRow>) -> DomainResult<Vec<Task>> {
    views_keeping(conn, rows, Projection::FULL)
}

/// Rows as listed tasks of projection `keep` (see `projection`).
pub fn to_listed(
    conn: &mut Conn,
    rows: Vec<TaskRow>,
    keep: Projection,
) -> DomainResult<Vec<Listed>> {
    Ok(views_keeping(conn, rows, keep)?
        .into_iter()
        .map(|t| Listed::new(t, keep))
        .collect())
}

/// The views of `rows`; the blocking and lease queries only run when `keep` returns those keys (a lean
/// list leaves them false and null, and never shows them).
fn views_keeping(conn: &mut Conn, rows: Vec<TaskRow>, keep: Projection) -> DomainResult<Vec<Task>> {
    let (open_blockers, blocked_by_dependency) = if keep.keeps(TaskField::IsCurrentlyBlocked) {
        blocking_facts(conn, &rows)?
    } else {
        Default::default()
    };
    // Only working tasks can hold a lease: the common lists of idle tasks skip the query.
    let working: Vec<i32> = rows
        .iter()
        .filter(|r| keep.keeps(TaskField::Lease) && r.status == "working")
        .map(TaskRow::id)
        .collect();
    let mut leases = super::leases::infos(conn, &working)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let blocked = r
                .blocked_by_task_id
                .is_some_and(|b| open_blockers.contains(&b))
                || blocked_by_dependency.contains(&r.id());
            let lease = leases.remove(&r.id());
            Task::from_row(r, blocked, lease)
        })
        .collect())
}

/// The open blockers among the rows' `blocked_by_task_id`s, and the rows blocked by an open dependency.
fn blocking_facts(conn: &mut Conn, rows: &[TaskRow]) -> DomainResult<(HashSet<i32>, HashSet<i32>)> {
    let blocker_ids: HashSet<i32> = rows.iter().filter_map(|r| r.blocked_by_task_id).collect();
    // Open = neither complete nor archived (an archived blocker no longer holds anything up).
    let open = tasks::table
        .filter(tasks::status.ne("complete"))
        .filter(tasks::archived_at.is_null())
        .select(tasks::id);
    let found: Vec<Option<i32>> = match blocker_ids.len() {
        0 => Vec::new(),
        // The common single-task case gets a statement diesel can cache (`IN (…)` is prepared each time).
        1 => {
            let query =
                open.filter(tasks::id.eq(blocker_ids.into_iter().next().unwrap_or_default()));
            super::natively!(conn, |c| query.load(c))?
        }
        _ => open.filter(tasks::id.eq_any(blocker_ids)).load(conn)?,
    };
    let open_blockers: HashSet<i32> = found.into_iter().flatten().collect();
    let ids: Vec<i32> = rows.iter().map(TaskRow::id).collect();
    let blocked_by_dependency = super::dependencies::blocked_among(conn, &ids)?;
    Ok((open_blockers, blocked_by_dependency))
}

pub fn to_view(conn: &mut Conn, row: TaskRow) -> DomainResult<Task> {
    Ok(to_views(conn, vec![row])?.remove(0))
}

/// Checks that `task_id` may be blocked by `blocker_id`: the blocker exists, is not the task itself, and
/// does not already depend on the task at any depth, through blockers or dependencies.
pub fn check_blocker(conn: &mut Conn, task_id: Option<i32>, blocker_id: i32) -> DomainResult<()> {
    if Some(blocker_id) == task_id {
        return Err(DomainError::invalid(
            "blocked_by_task_id",
            "a task cannot be blocked by itself",
        ));
    }
    if tasks::table
        .filter(tasks::id.eq(blocker_id))
        .count()
        .get_result::<i64>(conn)?
        == 0
    {
        return Err(DomainError::not_found("Blocking task", blocker_id));
    }
    match task_id {
        Some(task_id) if super::dependencies::reaches(conn, blocker_id, task_id)? => {
            Err(DomainError::Rule(format!(
                "Cannot block task {task_id} by task {blocker_id}: it would create a circular blocking chain"
            )))
        }
        _ => Ok(()),
    }
}
