//! Task list filters shared by `list_tasks`, `get_queue_tasks` and the resources.

use super::super::input::{self, StatusSet};
use super::super::{DomainError, DomainResult};
use crate::db::schema::tasks;
use diesel::prelude::*;
use diesel::sqlite::Sqlite;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Filters of a task list (all optional; combined with AND).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskFilter {
    /// Only tasks assigned to this agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigned_to: Option<String>,
    /// Only tasks with this status, or with any of these statuses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<StatusSet>")]
    #[serde(serialize_with = "ser_status")]
    pub status: Option<StatusSet>,
    /// Leave out tasks with any of these statuses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<StatusSet>")]
    #[serde(serialize_with = "ser_status")]
    pub exclude_status: Option<StatusSet>,
    /// Include archived tasks (default false).
    #[serde(default)]
    pub include_archived: Option<bool>,
    /// Maximum number of tasks to return (≥ 1; no limit when omitted).
    #[serde(
        default,
        deserialize_with = "input::opt_int",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Option<i64>")]
    pub limit: Option<i64>,
    /// Number of tasks to skip (≥ 0); works with or without limit.
    #[serde(
        default,
        deserialize_with = "input::opt_int",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Option<i64>")]
    pub offset: Option<i64>,
    /// Only tasks in this queue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_name: Option<String>,
    /// Only direct subtasks of this task; null = only top-level tasks.
    #[serde(
        default,
        deserialize_with = "input::patch_id",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Option<i32>")]
    pub parent_task_id: Option<Option<i32>>,
    /// Leave out subtasks (only top-level tasks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclude_subtasks: Option<bool>,
}

fn ser_status<S: serde::Serializer>(v: &Option<StatusSet>, s: S) -> Result<S::Ok, S::Error> {
    let names: Option<Vec<&str>> = v
        .as_ref()
        .map(|set| set.0.iter().map(|st| st.as_str()).collect());
    names.serialize(s)
}

/// Arguments of `list_tasks` (the filter itself).
pub type ListTasks = TaskFilter;

type BoxedTasks<'a> = tasks::BoxedQuery<'a, Sqlite>;

impl TaskFilter {
    /// Builds the filtered, ordered query (`priority DESC, created_at ASC, id ASC`).
    pub(crate) fn query(&self) -> DomainResult<BoxedTasks<'_>> {
        let mut q = tasks::table.into_boxed();
        if let Some(agent) = self
            .assigned_to
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty())
        {
            q = q.filter(tasks::assigned_to.eq(agent));
        }
        if let Some(set) = self.status.as_ref().filter(|s| !s.0.is_empty()) {
            q = q.filter(tasks::status.eq_any(set.0.iter().map(|s| s.as_str())));
        }
        if let Some(set) = self.exclude_status.as_ref().filter(|s| !s.0.is_empty()) {
            q = q.filter(tasks::status.ne_all(set.0.iter().map(|s| s.as_str())));
        }
        if !self.include_archived.unwrap_or(false) {
            q = q.filter(tasks::archived_at.is_null());
        }
        if let Some(queue) = self
            .queue_name
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty())
        {
            q = q.filter(tasks::queue_name.eq(queue));
        }
        match self.parent_task_id {
            Some(Some(parent)) => q = q.filter(tasks::parent_task_id.eq(parent)),
            Some(None) => q = q.filter(tasks::parent_task_id.is_null()),
            None => {}
        }
        if self.exclude_subtasks.unwrap_or(false) {
            q = q.filter(tasks::parent_task_id.is_null());
        }
        q = q.order((
            tasks::priority.desc(),
            tasks::created_at.asc(),
            tasks::id.asc(),
        ));
        match self.limit {
            Some(l) if l < 1 => {
                return Err(DomainError::invalid(
                    "limit",
                    format!("must be at least 1, got {l}"),
                ));
            }
            Some(l) => q = q.limit(l),
            None => {}
        }
        match self.offset {
            Some(o) if o < 0 => {
                return Err(DomainError::invalid(
                    "offset",
                    format!("must be at least 0, got {o}"),
                ));
            }
            // SQLite needs a LIMIT before OFFSET; diesel emits `LIMIT -1` (no limit) for an offset alone.
            Some(o) => q = q.offset(o),
            None => {}
        }
        Ok(q)
    }
}
