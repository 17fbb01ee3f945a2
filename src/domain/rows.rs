//! Database rows as diesel reads them (column order of `db::schema`).

use crate::db::schema::{comments, links, task_history, tasks};
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tasks, check_for_backend(diesel::sqlite::Sqlite))]
pub struct TaskRow {
    pub id: Option<i32>,
    pub title: String,
    pub description: Option<String>,
    pub status: String,
    pub assigned_to: Option<String>,
    pub previous_assigned_to: Option<String>,
    pub created_by: Option<String>,
    pub priority: Option<i32>,
    pub tags: Option<String>,
    pub parent_task_id: Option<i32>,
    pub queue_name: Option<String>,
    pub blocked_by_task_id: Option<i32>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    pub archived_at: Option<String>,
}

impl TaskRow {
    /// SQLite always assigns the rowid alias; the column is only nullable in diesel's eyes.
    pub fn id(&self) -> i32 {
        self.id.unwrap_or_default()
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = comments, check_for_backend(diesel::sqlite::Sqlite))]
pub struct CommentRow {
    pub id: Option<i32>,
    pub task_id: i32,
    pub content: String,
    pub created_by: Option<String>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = links, check_for_backend(diesel::sqlite::Sqlite))]
pub struct LinkRow {
    pub id: Option<i32>,
    pub task_id: i32,
    pub url: String,
    pub description: Option<String>,
    pub created_by: Option<String>,
    pub created_at: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = task_history, check_for_backend(diesel::sqlite::Sqlite))]
pub struct HistoryRow {
    pub id: Option<i32>,
    pub task_id: i32,
    pub field_name: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub changed_by: Option<String>,
    pub changed_at: Option<String>,
}
