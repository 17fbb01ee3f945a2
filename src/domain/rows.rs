//! Database rows as diesel reads them (column order of `db::schema`), and as `tinytask copy-data` writes
//! them back unchanged (`treat_none_as_default_value = false`: a NULL is written as NULL, not as the
//! column's default).

use super::limits::MinJson;
use crate::db::schema::{comments, links, task_history, tasks};
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = tasks, check_for_backend(crate::domain::MultiBackend), treat_none_as_default_value = false)]
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

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = comments, check_for_backend(crate::domain::MultiBackend), treat_none_as_default_value = false)]
pub struct CommentRow {
    pub id: Option<i32>,
    pub task_id: i32,
    pub content: String,
    pub created_by: Option<String>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = links, check_for_backend(crate::domain::MultiBackend), treat_none_as_default_value = false)]
pub struct LinkRow {
    pub id: Option<i32>,
    pub task_id: i32,
    pub url: String,
    pub description: Option<String>,
    pub created_by: Option<String>,
    pub created_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = task_history, check_for_backend(crate::domain::MultiBackend), treat_none_as_default_value = false)]
pub struct HistoryRow {
    pub id: Option<i32>,
    pub task_id: i32,
    pub field_name: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub changed_by: Option<String>,
    pub changed_at: Option<String>,
}

fn text_len(values: &[Option<&str>]) -> usize {
    values.iter().flatten().map(|s| s.len()).sum()
}

// Fixed parts of each view's JSON (keys, punctuation, shortest values), rounded down; the test below checks
// they are below the real minimum, which keeps `min_json` a lower bound.
const TASK_MIN: usize = 250;
const COMMENT_MIN: usize = 70;
const LINK_MIN: usize = 70;
const HISTORY_MIN: usize = 95;

impl MinJson for TaskRow {
    fn min_json(&self) -> usize {
        // Tags are left out: their stored text may be longer than their JSON (hand-edited rows).
        TASK_MIN
            + self.title.len()
            + text_len(&[
                self.description.as_deref(),
                self.assigned_to.as_deref(),
                self.previous_assigned_to.as_deref(),
                self.created_by.as_deref(),
                self.queue_name.as_deref(),
            ])
    }
}

impl MinJson for CommentRow {
    fn min_json(&self) -> usize {
        COMMENT_MIN + self.content.len() + text_len(&[self.created_by.as_deref()])
    }
}

impl MinJson for LinkRow {
    fn min_json(&self) -> usize {
        LINK_MIN
            + self.url.len()
            + text_len(&[self.description.as_deref(), self.created_by.as_deref()])
    }
}

impl MinJson for HistoryRow {
    fn min_json(&self) -> usize {
        HISTORY_MIN
            + self.field_name.len()
            + text_len(&[
                self.old_value.as_deref(),
                self.new_value.as_deref(),
                self.changed_by.as_deref(),
            ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::limits::json_len;
    use crate::domain::views::{Comment, HistoryEntry, Link, Task};

    #[allow(clippy::unnecessary_wraps)] // shaped like the nullable columns it fills
    fn s(v: &str) -> Option<String> {
        Some(v.to_string())
    }

    /// Rows with the shortest possible values (empty texts, one-digit ids, no timestamps) and some with long
    /// texts with characters that JSON escapes: `min_json` must never exceed the view's real JSON size.
    #[test]
    fn min_json_is_a_lower_bound_of_the_view_json() {
        for text in ["", "a\"b\\c\n", &"é".repeat(100)] {
            let task = TaskRow {
                id: Some(1),
                title: text.into(),
                description: s(text),
                status: "idle".into(),
                assigned_to: s(text),
                previous_assigned_to: s(text),
                created_by: s(text),
                priority: Some(0),
                tags: Some(format!("[{text:?}]")),
                parent_task_id: None,
                queue_name: s(text),
                blocked_by_task_id: None,
                created_at: None,
                updated_at: None,
                archived_at: None,
            };
            assert!(task.min_json() <= json_len(&Task::from_row(task.clone(), false, None)));
            let comment = CommentRow {
                id: Some(1),
                task_id: 1,
                content: text.into(),
                created_by: s(text),
                created_at: None,
                updated_at: None,
            };
            assert!(comment.min_json() <= json_len(&Comment::from(comment.clone())));
            let link = LinkRow {
                id: Some(1),
                task_id: 1,
                url: text.into(),
                description: s(text),
                created_by: s(text),
                created_at: None,
            };
            assert!(link.min_json() <= json_len(&Link::from(link.clone())));
            let history = HistoryRow {
                id: Some(1),
                task_id: 1,
                field_name: text.into(),
                old_value: s(text),
                new_value: s(text),
                changed_by: s(text),
                changed_at: None,
            };
            assert!(history.min_json() <= json_len(&HistoryEntry::from(history.clone())));
        }
    }
}
