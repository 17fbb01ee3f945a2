//! Collects the fields an update really changes, writes them in one UPDATE, records history and triggers
//! parent status propagation. Fields set to their current value are not changes (no timestamp bump).

use super::find_row;
use super::update_sql::{Changeset, UpdateRow};
use crate::domain::Conn;
use crate::domain::hierarchy;
use crate::domain::history::{self, id_text};
use crate::domain::rows::TaskRow;
use crate::domain::{DomainResult, TaskStatus};
use diesel::prelude::*;

/// A pending update of one task.
pub(crate) struct TaskUpdate<'a> {
    row: &'a TaskRow,
    set: Changeset,
    /// (field, old, new) for task_history.
    history: Vec<(&'static str, Option<String>, Option<String>)>,
    any: bool,
    propagate: bool,
}

impl<'a> TaskUpdate<'a> {
    pub(crate) fn new(row: &'a TaskRow) -> Self {
        TaskUpdate {
            row,
            set: Changeset::default(),
            history: Vec::new(),
            any: false,
            propagate: false,
        }
    }

    fn track(&mut self, field: &'static str, old: Option<String>, new: Option<String>) {
        self.history.push((field, old, new));
        self.any = true;
    }

    pub(crate) fn title(&mut self, title: String) {
        if title != self.row.title {
            self.track("title", Some(self.row.title.clone()), Some(title.clone()));
            self.set.title = Some(title);
        }
    }

    pub(crate) fn description(&mut self, description: Option<String>) {
        if description != self.row.description {
            self.set.description = Some(description);
            self.any = true;
        }
    }

    pub(crate) fn status(&mut self, status: TaskStatus) {
        if status.as_str() != self.row.status {
            self.track(
                "status",
                Some(self.row.status.clone()),
                Some(status.as_str().into()),
            );
            self.set.status = Some(status.as_str().into());
            self.propagate = true;
        }
    }

    pub(crate) fn assigned_to(&mut self, assignee: Option<String>) {
        if assignee != self.row.assigned_to {
            self.track(
                "assigned_to",
                self.row.assigned_to.clone(),
                assignee.clone(),
            );
            if self.row.assigned_to.is_some() {
                self.set.previous_assigned_to = Some(self.row.assigned_to.clone());
            }
            self.set.assigned_to = Some(assignee);
        }
    }

    pub(crate) fn priority(&mut self, priority: i32) {
        if Some(priority) != self.row.priority {
            self.track(
                "priority",
                self.row.priority.map(|p| p.to_string()),
                Some(priority.to_string()),
            );
            self.set.priority = Some(Some(priority));
        }
    }

    pub(crate) fn tags(&mut self, tags: String) {
        if Some(&tags) != self.row.tags.as_ref() {
            self.set.tags = Some(Some(tags));
            self.any = true;
        }
    }

    pub(crate) fn parent(&mut self, parent: Option<i32>) {
        if parent != self.row.parent_task_id {
            self.track(
                "parent_task_id",
                id_text(self.row.parent_task_id),
                id_text(parent),
            );
            self.set.parent_task_id = Some(parent);
            self.propagate = true;
        }
    }

    pub(crate) fn queue(&mut self, queue: Option<String>) {
        if queue != self.row.queue_name {
            self.track("queue_name", self.row.queue_name.clone(), queue.clone());
            self.set.queue_name = Some(queue);
        }
    }

    pub(crate) fn blocker(&mut self, blocker: Option<i32>) {
        if blocker != self.row.blocked_by_task_id {
            self.track(
                "blocked_by_task_id",
                id_text(self.row.blocked_by_task_id),
                id_text(blocker),
            );
            self.set.blocked_by_task_id = Some(blocker);
        }
    }

    /// Writes the changes (if any) with `updated_at` = the database's current time, records history and propagates
    /// status to the old and new parents. Returns the updated row (`None`: nothing changed).
    pub(crate) fn apply(
        self,
        conn: &mut Conn,
        changed_by: Option<&str>,
    ) -> DomainResult<Option<TaskRow>> {
        if !self.any {
            return Ok(None);
        }
        let id = self.row.id();
        let new_parent = self.set.parent_task_id;
        UpdateRow {
            id,
            set: &self.set,
            now: crate::domain::clock::now_sql(conn.backend()),
        }
        .execute(conn)?;
        let updated = find_row(conn, "Task", id)?;
        for (field, old, new) in self.history {
            history::record(conn, id, field, old, new, changed_by)?;
        }
        if self.propagate {
            let current_parent = new_parent.unwrap_or(self.row.parent_task_id);
            hierarchy::propagate_status(conn, current_parent)?;
            if current_parent != self.row.parent_task_id {
                hierarchy::propagate_status(conn, self.row.parent_task_id)?;
            }
        }
        Ok(Some(updated))
    }
}
