//! What `resources/list` and `resources/templates/list` advertise.

use crate::mcp::protocol::{
    ListResourceTemplatesResult, ListResourcesResult, Resource, ResourceTemplate, to_wire,
};
use serde_json::Value;

const JSON: &str = "application/json";
const TEXT: &str = "text/plain";

/// (uri, name, title, description, mime type)
const CONCRETE: &[(&str, &str, &str, &str, &str)] = &[
    (
        "tasks://active",
        "active-tasks",
        "Active tasks",
        "All non-archived tasks, most urgent first: {count, tasks} (cut at the response size limit with has_more and next_offset; read ?offset=N for the rest). ?view=summary or ?fields=id,title,… for lean tasks.",
        JSON,
    ),
    (
        "tasks://archived",
        "archived-tasks",
        "Archived tasks",
        "All archived tasks: {count, tasks} (cut like tasks://active; ?offset=N; ?view=, ?fields= as there).",
        JSON,
    ),
    (
        "queue://list",
        "queue-list",
        "Queues",
        "Every queue with task counts by status and its agents (text).",
        TEXT,
    ),
];

const TEMPLATES: &[(&str, &str, &str, &str, &str)] = &[
    (
        "task://{id}",
        "task",
        "Task",
        "One task with comments, links and history.",
        JSON,
    ),
    (
        "task://{id}/comments",
        "task-comments",
        "Task comments",
        "{task_id, count, comments} of a task (cut like tasks://active; ?offset=N).",
        JSON,
    ),
    (
        "task://{id}/links",
        "task-links",
        "Task links",
        "{task_id, count, links} of a task (cut like tasks://active; ?offset=N).",
        JSON,
    ),
    (
        "task://hierarchy/{id}",
        "task-hierarchy",
        "Task tree",
        "A task and all its subtasks drawn as a tree (text).",
        TEXT,
    ),
    (
        "queue://{agent_name}",
        "agent-queue",
        "Agent queue",
        "An agent's open tasks, like get_my_queue (cut like tasks://active; ?offset=N; ?view=, ?fields= as there).",
        JSON,
    ),
    (
        "queue://{agent_name}/summary",
        "agent-summary",
        "Agent summary",
        "Counts of an agent's open tasks by status and priority band.",
        JSON,
    ),
    (
        "queue://stats/{queue_name}",
        "queue-stats",
        "Queue statistics",
        "Counts of a queue's tasks (text).",
        TEXT,
    ),
    (
        "queue://tasks/{queue_name}",
        "queue-tasks",
        "Queue tasks",
        "A queue's tasks grouped by status (text; a cut list ends with a note and ?offset=N reads the rest).",
        TEXT,
    ),
];

pub fn list() -> Value {
    let resources = CONCRETE
        .iter()
        .map(|(uri, name, title, description, mime)| {
            Resource::new(*uri, *name)
                .with_title(*title)
                .with_description(*description)
                .with_mime_type(*mime)
        })
        .collect();
    to_wire(&ListResourcesResult::with_all_items(resources))
}

pub fn templates() -> Value {
    let templates = TEMPLATES
        .iter()
        .map(|(uri, name, title, description, mime)| {
            ResourceTemplate::new(*uri, *name)
                .with_title(*title)
                .with_description(*description)
                .with_mime_type(*mime)
        })
        .collect();
    to_wire(&ListResourceTemplatesResult::with_all_items(templates))
}
