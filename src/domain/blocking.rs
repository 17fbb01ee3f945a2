//! Blocking: `blocked_by_task_id` links, their cycle check and the batched `is_currently_blocked` flag.

use super::rows::TaskRow;
use super::views::Task;
use super::{DomainError, DomainResult};
use crate::db::schema::tasks;
use diesel::prelude::*;
use std::collections::{HashMap, HashSet};

/// Turns rows into views, computing `is_currently_blocked` for all of them with one query.
pub fn to_views(conn: &mut SqliteConnection, rows: Vec<TaskRow>) -> DomainResult<Vec<Task>> {
    let blocker_ids: HashSet<i32> = rows.iter().filter_map(|r| r.blocked_by_task_id).collect();
    let open = tasks::table
        .filter(tasks::status.ne("complete"))
        .select(tasks::id);
    let found: Vec<Option<i32>> = match blocker_ids.len() {
        0 => Vec::new(),
        // The common single-task case gets a statement diesel can cache (`IN (…)` is prepared each time).
        1 => open
            .filter(tasks::id.eq(blocker_ids.into_iter().next().unwrap_or_default()))
            .load(conn)?,
        _ => open.filter(tasks::id.eq_any(blocker_ids)).load(conn)?,
    };
    let open_blockers: HashSet<i32> = found.into_iter().flatten().collect();
    Ok(rows
        .into_iter()
        .map(|r| {
            let blocked = r
                .blocked_by_task_id
                .is_some_and(|b| open_blockers.contains(&b));
            Task::from_row(r, blocked)
        })
        .collect())
}

pub fn to_view(conn: &mut SqliteConnection, row: TaskRow) -> DomainResult<Task> {
    Ok(to_views(conn, vec![row])?.remove(0))
}

/// Checks that `task_id` may be blocked by `blocker_id`: the blocker exists, is not the task itself, and
/// following the blocker's own chain never leads back to the task (cycles of any length, not only 1 hop).
pub fn check_blocker(
    conn: &mut SqliteConnection,
    task_id: Option<i32>,
    blocker_id: i32,
) -> DomainResult<()> {
    if Some(blocker_id) == task_id {
        return Err(DomainError::invalid(
            "blocked_by_task_id",
            "a task cannot be blocked by itself",
        ));
    }
    let blockers: HashMap<i32, Option<i32>> = tasks::table
        .filter(
            tasks::blocked_by_task_id
                .is_not_null()
                .or(tasks::id.eq(blocker_id)),
        )
        .select((tasks::id, tasks::blocked_by_task_id))
        .load::<(Option<i32>, Option<i32>)>(conn)?
        .into_iter()
        .filter_map(|(id, b)| id.map(|id| (id, b)))
        .collect();
    if !blockers.contains_key(&blocker_id) {
        return Err(DomainError::not_found("Blocking task", blocker_id));
    }
    let Some(task_id) = task_id else {
        return Ok(());
    };
    let mut seen = HashSet::new();
    let mut current = Some(blocker_id);
    while let Some(id) = current {
        if id == task_id {
            return Err(DomainError::Rule(format!(
                "Cannot block task {task_id} by task {blocker_id}: it would create a circular blocking chain"
            )));
        }
        if !seen.insert(id) {
            break;
        }
        current = blockers.get(&id).copied().flatten();
    }
    Ok(())
}
