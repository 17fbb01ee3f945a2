//! Task list filters shared by `list_tasks`, `get_queue_tasks` and the resources.

use crate::db::schema::tasks;
use crate::domain::MultiBackend as Sqlite;
use crate::domain::input::{self, StatusSet};
use crate::domain::{DomainError, DomainResult};
use diesel::prelude::*;
use diesel::sql_types::Bool;
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
    #[schemars(with = "Option<crate::domain::input::IdSchema>")]
    pub parent_task_id: Option<Option<i32>>,
    /// Leave out subtasks (only top-level tasks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclude_subtasks: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Vec<String>")]
    pub fields: Option<Vec<crate::domain::projection::TaskField>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "crate::domain::projection::View")]
    pub view: Option<crate::domain::projection::View>,
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
type BoxedCondition = Box<dyn BoxableExpression<tasks::table, Sqlite, SqlType = Bool>>;

impl TaskFilter {
    /// The task keys to return (`fields`, `view`).
    pub fn projection(&self) -> DomainResult<crate::domain::projection::Projection> {
        crate::domain::projection::Projection::new(self.fields.as_deref(), self.view)
    }

    /// How many rows of [`TaskFilter::query`] to read (`limit`, or all).
    pub(crate) fn max_rows(&self) -> usize {
        self.limit
            .and_then(|l| usize::try_from(l).ok())
            .unwrap_or(usize::MAX)
    }

    /// Builds the filtered, ordered query (`priority DESC, created_at ASC, id ASC`), with `offset` but
    /// without `limit` (see [`TaskFilter::max_rows`]).
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
        // `status = a OR status = b` rather than `IN (a, b)`: diesel prepares an `IN` list anew on every
        // call, while this SQL is cached per shape.
        if let Some(any) = self.status.as_ref().and_then(|set| {
            set.0
                .iter()
                .map(|st| Box::new(tasks::status.eq(st.as_str())) as BoxedCondition)
                .reduce(|a, b| Box::new(a.or(b)))
        }) {
            q = q.filter(any);
        }
        if let Some(set) = &self.exclude_status {
            for st in &set.0 {
                q = q.filter(tasks::status.ne(st.as_str()));
            }
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
        // Only checked here; applied by `max_rows`, not as `LIMIT ?`: SQLite re-prepares a statement with a
        // bound LIMIT on every execution. With the list-order indexes the rows come out in order, so
        // reading only the first `limit` of them costs what LIMIT would.
        if let Some(l) = self.limit.filter(|l| *l < 1) {
            return Err(DomainError::invalid(
                "limit",
                format!("must be at least 1, got {l}"),
            ));
        }
        match self.offset {
            Some(o) if o < 0 => {
                return Err(DomainError::invalid(
                    "offset",
                    format!("must be at least 0, got {o}"),
                ));
            }
            // An explicit LIMIT before OFFSET: see `limits::NO_LIMIT`.
            Some(o) => q = q.limit(crate::domain::limits::NO_LIMIT).offset(o),
            None => {}
        }
        Ok(q)
    }
}
