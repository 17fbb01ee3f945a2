//! Subtask trees: depth limits, cycle checks, descendants and parent status propagation.

use super::history::{self, PROPAGATION_ACTOR};
use super::{DomainError, DomainResult, TaskStatus};
use crate::db::schema::tasks;
use crate::domain::Conn;
use diesel::prelude::*;
use std::collections::HashSet;

/// Deepest allowed depth (0 = top level), i.e. at most four levels of tasks — the limit of TinyTask 2.x.
pub const MAX_DEPTH: usize = 3;

fn parent_of(conn: &mut Conn, id: i32) -> DomainResult<Option<i32>> {
    Ok(tasks::table
        .filter(tasks::id.eq(id))
        .select(tasks::parent_task_id)
        .get_result::<Option<i32>>(conn)
        .optional()?
        .flatten())
}

/// The chain of ancestors of `id`, nearest first (stops at a corrupt cycle instead of looping).
pub fn ancestors(conn: &mut Conn, id: i32) -> DomainResult<Vec<i32>> {
    let mut chain = Vec::new();
    let mut seen = HashSet::from([id]);
    let mut current = parent_of(conn, id)?;
    while let Some(p) = current {
        if !seen.insert(p) {
            break;
        }
        chain.push(p);
        current = parent_of(conn, p)?;
    }
    Ok(chain)
}

/// Ids of direct children of any of `parents`.
fn children_of(conn: &mut Conn, parents: &[i32]) -> DomainResult<Vec<i32>> {
    Ok(tasks::table
        .filter(tasks::parent_task_id.eq_any(parents))
        .select(tasks::id)
        .load::<Option<i32>>(conn)?
        .into_iter()
        .flatten()
        .collect())
}

/// All descendants of `id` (any depth), and the height of its subtree (0 = no children).
pub fn descendants(conn: &mut Conn, id: i32) -> DomainResult<(Vec<i32>, usize)> {
    let mut all = Vec::new();
    let mut seen = HashSet::from([id]);
    let mut level = vec![id];
    let mut height = 0;
    loop {
        let next: Vec<i32> = children_of(conn, &level)?
            .into_iter()
            .filter(|c| seen.insert(*c))
            .collect();
        if next.is_empty() {
            return Ok((all, height));
        }
        height += 1;
        all.extend(&next);
        level = next;
    }
}

/// Checks that `task_id` (None when creating) may be placed under `parent_id`: the parent exists, it is
/// not the task or one of its descendants, and the task's whole subtree still fits under the depth limit.
pub fn check_parent(
    conn: &mut Conn,
    field: &'static str,
    task_id: Option<i32>,
    parent_id: i32,
) -> DomainResult<()> {
    let exists = tasks::table
        .filter(tasks::id.eq(parent_id))
        .count()
        .get_result::<i64>(conn)?
        > 0;
    if !exists {
        return Err(DomainError::not_found("Parent task", parent_id));
    }
    let parent_depth = ancestors(conn, parent_id)?.len();
    let subtree_height = match task_id {
        Some(id) if id == parent_id => {
            return Err(DomainError::invalid(
                field,
                "a task cannot be its own parent",
            ));
        }
        Some(id) => {
            let (desc, height) = descendants(conn, id)?;
            if desc.contains(&parent_id) {
                return Err(DomainError::Rule(format!(
                    "Cannot move task {id} under task {parent_id}: task {parent_id} is one of its subtasks \
                     (circular parent-child relationship)"
                )));
            }
            height
        }
        None => 0,
    };
    if parent_depth + 1 + subtree_height > MAX_DEPTH {
        return Err(DomainError::Rule(format!(
            "Maximum nesting depth exceeded: at most {} levels of tasks are allowed; parent task {parent_id} \
             is at level {} and the task's subtree is {} level(s) deep",
            MAX_DEPTH + 1,
            parent_depth + 1,
            subtree_height + 1
        )));
    }
    Ok(())
}

/// The status a parent takes from its non-archived children: all complete → complete, all idle → idle,
/// anything else (some working, or finished work mixed with unstarted) → working. `None` without children.
pub fn derived_status(children: &[TaskStatus]) -> Option<TaskStatus> {
    if children.is_empty() {
        None
    } else if children.iter().all(|s| *s == TaskStatus::Complete) {
        Some(TaskStatus::Complete)
    } else if children.iter().all(|s| *s == TaskStatus::Idle) {
        Some(TaskStatus::Idle)
    } else {
        Some(TaskStatus::Working)
    }
}

/// Recomputes the status of `parent_id` and its ancestors after one of its children changed.
pub fn propagate_status(conn: &mut Conn, parent_id: Option<i32>) -> DomainResult<()> {
    let mut seen = HashSet::new();
    let mut next = parent_id;
    while let Some(pid) = next {
        if !seen.insert(pid) {
            break;
        }
        let children: Vec<TaskStatus> = tasks::table
            .filter(tasks::parent_task_id.eq(pid))
            .filter(tasks::archived_at.is_null())
            .select(tasks::status)
            .load::<String>(conn)?
            .iter()
            .filter_map(|s| TaskStatus::parse(s))
            .collect();
        let Some(target) = derived_status(&children) else {
            return Ok(());
        };
        let Some((current, grandparent)) = tasks::table
            .filter(tasks::id.eq(pid))
            .select((tasks::status, tasks::parent_task_id))
            .get_result::<(String, Option<i32>)>(conn)
            .optional()?
        else {
            return Ok(());
        };
        if current == target.as_str() {
            return Ok(());
        }
        // The feed names TinyTask itself as the actor of derived changes.
        super::events::context::as_actor(conn, PROPAGATION_ACTOR, |conn| {
            diesel::update(tasks::table.filter(tasks::id.eq(pid)))
                .set((
                    tasks::status.eq(target.as_str()),
                    tasks::updated_at.eq(super::clock::now(conn)),
                ))
                .execute(conn)?;
            // A parent that is no longer `working` cannot stay claimed.
            super::leases::settle(conn, pid)
        })?;
        history::record(
            conn,
            pid,
            "status",
            Some(current),
            Some(target.as_str().into()),
            Some(PROPAGATION_ACTOR),
        )?;
        next = grandparent;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use TaskStatus::*;

    #[test]
    fn derived_status_rules() {
        assert_eq!(derived_status(&[]), None);
        assert_eq!(derived_status(&[Complete, Complete]), Some(Complete));
        assert_eq!(derived_status(&[Idle, Idle]), Some(Idle));
        assert_eq!(derived_status(&[Idle, Working]), Some(Working));
        // 2.x made this `idle`, hiding finished work; some children done means the parent is in progress.
        assert_eq!(derived_status(&[Idle, Complete]), Some(Working));
    }
}
