//! The JSON shapes tools and resources return (field order is the TinyTask 2.x contract).

use super::TaskStatus;
use super::rows::{CommentRow, HistoryRow, LinkRow, TaskRow};
use schemars::JsonSchema;
use serde::Serialize;

/// A task as every task-returning tool emits it.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Task {
    pub id: i32,
    pub title: String,
    pub description: Option<String>,
    pub status: TaskStatus,
    pub assigned_to: Option<String>,
    pub previous_assigned_to: Option<String>,
    pub created_by: Option<String>,
    /// Higher number = more urgent.
    pub priority: i32,
    pub tags: Vec<String>,
    pub parent_task_id: Option<i32>,
    pub queue_name: Option<String>,
    pub blocked_by_task_id: Option<i32>,
    /// ISO 8601 UTC, e.g. 2026-11-27T07:44:49Z.
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    /// Null while the task is active.
    pub archived_at: Option<String>,
    /// A dependency (the blocker or any of depends_on) exists and is open: neither complete nor archived.
    pub is_currently_blocked: bool,
    /// The claim's lease (holder, expires_at) while the task is claimed with one; null otherwise.
    pub lease: Option<super::leases::LeaseInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Comment {
    pub id: i32,
    pub task_id: i32,
    pub content: String,
    pub created_by: Option<String>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Link {
    pub id: i32,
    pub task_id: i32,
    pub url: String,
    pub description: Option<String>,
    pub created_by: Option<String>,
    pub created_at: Option<String>,
}

/// One recorded change of a task field.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct HistoryEntry {
    pub id: i32,
    pub task_id: i32,
    pub field_name: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub changed_by: Option<String>,
    pub changed_at: Option<String>,
}

/// A task with its comments, links and change history (oldest first).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct TaskWithRelations {
    #[serde(flatten)]
    pub task: Task,
    pub comments: Vec<Comment>,
    pub links: Vec<Link>,
    pub history: Vec<HistoryEntry>,
    /// The tasks this one waits for (its blocked_by_task_id included), each with id, title, status.
    pub depends_on: Vec<super::dependencies::TaskRef>,
    /// The tasks waiting for this one.
    pub dependents: Vec<super::dependencies::TaskRef>,
    /// Only present when comments, links or history were cut to stay within the response size limit
    /// (TINYTASK_MAX_RESPONSE_BYTES): the names of the cut lists, which keep their oldest items. Read the
    /// rest with list_comments, list_links or get_task_history and `offset`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relations_truncated: Option<Vec<&'static str>>,
}

/// SQLite `CURRENT_TIMESTAMP` text (`YYYY-MM-DD HH:MM:SS`, UTC) as ISO 8601 (`YYYY-MM-DDTHH:MM:SSZ`).
/// Values already in ISO form (written by other tools) pass through unchanged.
pub fn iso8601(raw: Option<String>) -> Option<String> {
    // In place (one reallocation at most): this runs for every timestamp of every listed task.
    raw.map(|mut s| {
        if !s.contains('T') {
            if let Some(i) = s.find(' ') {
                s.replace_range(i..=i, "T");
            }
            s.push('Z');
        }
        s
    })
}

/// Tags are stored as a JSON array string. A value that is not one (hand-edited rows) is returned as a
/// single tag rather than dropped, so nothing stored is hidden.
fn parse_tags(raw: Option<String>) -> Vec<String> {
    match raw {
        None => Vec::new(),
        Some(s) if s.trim().is_empty() => Vec::new(),
        Some(s) => serde_json::from_str::<Vec<String>>(&s).unwrap_or_else(|_| vec![s]),
    }
}

impl Task {
    /// Builds the view; `blocked` is whether the blocker exists and is incomplete (computed by the caller in
    /// one batched query, not one query per row as 2.x did).
    pub(super) fn from_row(
        row: TaskRow,
        blocked: bool,
        lease: Option<super::leases::LeaseInfo>,
    ) -> Task {
        Task {
            id: row.id(),
            title: row.title,
            description: row.description,
            // The CHECK constraint guarantees one of the three values.
            status: TaskStatus::parse(&row.status).unwrap_or(TaskStatus::Idle),
            assigned_to: row.assigned_to,
            previous_assigned_to: row.previous_assigned_to,
            created_by: row.created_by,
            priority: row.priority.unwrap_or(0),
            tags: parse_tags(row.tags),
            parent_task_id: row.parent_task_id,
            queue_name: row.queue_name,
            blocked_by_task_id: row.blocked_by_task_id,
            created_at: iso8601(row.created_at),
            updated_at: iso8601(row.updated_at),
            archived_at: iso8601(row.archived_at),
            is_currently_blocked: blocked,
            lease,
        }
    }
}

impl From<CommentRow> for Comment {
    fn from(r: CommentRow) -> Self {
        Comment {
            id: r.id.unwrap_or_default(),
            task_id: r.task_id,
            content: r.content,
            created_by: r.created_by,
            created_at: iso8601(r.created_at),
            updated_at: iso8601(r.updated_at),
        }
    }
}

impl From<LinkRow> for Link {
    fn from(r: LinkRow) -> Self {
        Link {
            id: r.id.unwrap_or_default(),
            task_id: r.task_id,
            url: r.url,
            description: r.description,
            created_by: r.created_by,
            created_at: iso8601(r.created_at),
        }
    }
}

impl From<HistoryRow> for HistoryEntry {
    fn from(r: HistoryRow) -> Self {
        HistoryEntry {
            id: r.id.unwrap_or_default(),
            task_id: r.task_id,
            field_name: r.field_name,
            old_value: r.old_value,
            new_value: r.new_value,
            changed_by: r.changed_by,
            changed_at: iso8601(r.changed_at),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_timestamps_become_iso8601_utc() {
        assert_eq!(
            iso8601(Some("2026-11-27 07:44:49".into())).unwrap(),
            "2026-11-27T07:44:49Z"
        );
        assert_eq!(
            iso8601(Some("2026-11-27T07:44:49Z".into())).unwrap(),
            "2026-11-27T07:44:49Z"
        );
        assert_eq!(iso8601(None), None);
    }

    #[test]
    fn tags_parse_json_and_keep_unparseable_text() {
        assert_eq!(parse_tags(Some(r#"["a","b"]"#.into())), vec!["a", "b"]);
        assert_eq!(parse_tags(None), Vec::<String>::new());
        assert_eq!(parse_tags(Some("legacy".into())), vec!["legacy"]);
    }
}
