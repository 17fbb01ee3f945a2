//! Every column of every board table, as read from the source and written to the target unchanged.
//!
//! `treat_none_as_default_value = false`: a NULL stays NULL on the target. With diesel's default, a `None`
//! would be sent as `DEFAULT` and a NULL `created_at` or `priority` would come back as "now" or 0.

use crate::db::schema::{task_dependencies, task_leases};
use diesel::prelude::*;

/// The tables the tools read are copied as the domain reads them.
pub use crate::domain::rows::{
    CommentRow as Comment, HistoryRow as History, LinkRow as Link, TaskRow as Task,
};

/// The token is copied too: the holder keeps fencing its writes with it on the new backend.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = task_leases, treat_none_as_default_value = false)]
pub struct Lease {
    pub task_id: i32,
    pub agent: String,
    pub token: String,
    pub expires_at: i64,
    pub pooled: i32,
    pub duration_ms: i64,
    pub claimed_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = task_dependencies, treat_none_as_default_value = false)]
pub struct Dependency {
    pub task_id: i32,
    pub depends_on_task_id: i32,
    pub created_at: Option<String>,
}

pub(crate) use crate::domain::events::EventRow as Event;
