//! The REST API's route table: each route names the MCP tool it runs and how HTTP maps onto the tool's
//! parameters and result. Handlers (`call.rs`) and the OpenAPI document (`openapi.rs`) both read this table,
//! so a route cannot be served without being documented, or documented differently from how it is served.
//!
//! Path parameters carry the tool's own parameter names (`/tasks/{id}` for get_task's `id`, `/tasks/{task_id}/
//! comments` for add_comment's `task_id`), so the mapping is by name and needs no per-route code.

/// The HTTP methods the API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Get,
    Post,
    Patch,
    Delete,
}

impl Verb {
    /// GET and DELETE take the remaining tool parameters from the query string; POST and PATCH from a JSON body.
    pub fn takes_body(self) -> bool {
        matches!(self, Verb::Post | Verb::Patch)
    }

    pub fn lowercase(self) -> &'static str {
        match self {
            Verb::Get => "get",
            Verb::Post => "post",
            Verb::Patch => "patch",
            Verb::Delete => "delete",
        }
    }
}

/// What the route answers with, taken from the tool's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// The tool's result as it is.
    Whole,
    /// One member of the result: 2.x lists are bare arrays (`tasks`, `comments`, …). When the tool cut the
    /// list at the response size limit, `X-Has-More` and `X-Next-Offset` headers say so.
    Member(&'static str),
    /// 2.x signup: the claimed task, or 404 "No idle tasks available for signup".
    ClaimedTask,
    /// 2.x clear queue: `{success, queue_name, tasks_removed}`.
    ClearedQueue,
}

/// A check or rewrite of the request that 2.x made and the tool does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prepare {
    None,
    /// `POST /tasks` and `POST /tasks/{parent_task_id}/subtasks`: 2.x clients may send `status`. A new task is
    /// always idle, so `"idle"` is accepted and dropped; anything else is refused (2.x ignored it silently).
    NewTaskIsIdle,
    /// `PATCH /tasks/{subtask_id}/parent`: the body must name `new_parent_id` (null = top level), as in 2.x.
    RequiresNewParent,
}

pub struct Route {
    pub verb: Verb,
    /// Under `/api/v1`, with `{name}` path parameters (actix and OpenAPI share the syntax).
    pub path: &'static str,
    pub operation_id: &'static str,
    pub tag: &'static str,
    pub tool: &'static str,
    pub summary: &'static str,
    /// 201 instead of 200.
    pub creates: bool,
    pub answer: Answer,
    pub prepare: Prepare,
    /// Parameters whose REST default differs from the tool's (2.x hierarchy: recursive unless told).
    pub defaults: &'static [(&'static str, bool)],
}

pub const PREFIX: &str = "/api/v1";

/// Shorthand for the table below.
const fn route(
    verb: Verb,
    path: &'static str,
    operation_id: &'static str,
    tag: &'static str,
    tool: &'static str,
    summary: &'static str,
) -> Route {
    Route {
        verb,
        path,
        operation_id,
        tag,
        tool,
        summary,
        creates: false,
        answer: Answer::Whole,
        prepare: Prepare::None,
        defaults: &[],
    }
}

impl Route {
    const fn created(mut self) -> Self {
        self.creates = true;
        self
    }
    const fn answer(mut self, answer: Answer) -> Self {
        self.answer = answer;
        self
    }
    const fn prepare(mut self, prepare: Prepare) -> Self {
        self.prepare = prepare;
        self
    }
    const fn defaults(mut self, defaults: &'static [(&'static str, bool)]) -> Self {
        self.defaults = defaults;
        self
    }

    /// The names of the `{…}` segments of the path.
    pub fn path_params(&self) -> impl Iterator<Item = &'static str> {
        self.path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
    }
}

use Answer::{ClaimedTask, ClearedQueue, Member};
use Verb::{Delete, Get, Patch, Post};

/// Every route: first the 30 of TinyTask 2.x (same paths, methods, status codes and shapes), then the new
/// capabilities (history, claims with leases, waiting, dependencies, ready list, events, search).
pub static ROUTES: &[Route] = &[
    // --- Tasks (2.x) ---
    route(
        Post,
        "/tasks",
        "createTask",
        "Tasks",
        "create_task",
        "Create a task",
    )
    .created()
    .prepare(Prepare::NewTaskIsIdle),
    route(
        Get,
        "/tasks",
        "listTasks",
        "Tasks",
        "list_tasks",
        "List tasks",
    )
    .answer(Member("tasks")),
    route(
        Get,
        "/tasks/{id}",
        "getTask",
        "Tasks",
        "get_task",
        "Get a task with comments, links and history",
    ),
    route(
        Patch,
        "/tasks/{id}",
        "updateTask",
        "Tasks",
        "update_task",
        "Update fields of a task",
    ),
    route(
        Delete,
        "/tasks/{id}",
        "deleteTask",
        "Tasks",
        "delete_task",
        "Delete a task",
    ),
    route(
        Post,
        "/tasks/{id}/archive",
        "archiveTask",
        "Tasks",
        "archive_task",
        "Archive a task",
    ),
    // --- Subtasks (2.x) ---
    route(
        Post,
        "/tasks/{parent_task_id}/subtasks",
        "createSubtask",
        "Subtasks",
        "create_subtask",
        "Create a subtask",
    )
    .created()
    .prepare(Prepare::NewTaskIsIdle),
    route(
        Get,
        "/tasks/{parent_task_id}/subtasks",
        "getSubtasks",
        "Subtasks",
        "get_subtasks",
        "List subtasks",
    )
    .answer(Member("subtasks")),
    route(
        Get,
        "/tasks/{task_id}/hierarchy",
        "getTaskHierarchy",
        "Subtasks",
        "get_task_with_subtasks",
        "Get a task with its subtasks (recursive unless recursive=false)",
    )
    .defaults(&[("recursive", true)]),
    route(
        Patch,
        "/tasks/{subtask_id}/parent",
        "moveSubtask",
        "Subtasks",
        "move_subtask",
        "Move a task under another parent (new_parent_id null: top level)",
    )
    .prepare(Prepare::RequiresNewParent),
    // --- Agents (2.x) ---
    route(
        Get,
        "/agents/{agent_name}/queue",
        "getAgentQueue",
        "Agents",
        "get_my_queue",
        "An agent's open tasks",
    )
    .answer(Member("tasks")),
    route(
        Post,
        "/agents/{agent_name}/signup",
        "signupForTask",
        "Agents",
        "signup_for_task",
        "Claim the agent's most urgent idle task (404 when none)",
    )
    .answer(ClaimedTask),
    route(
        Post,
        "/tasks/{task_id}/transfer",
        "transferTask",
        "Agents",
        "move_task",
        "Hand a task to another agent with a comment",
    ),
    // --- Queues (2.x) ---
    route(
        Get,
        "/queues",
        "listQueues",
        "Queues",
        "list_queues",
        "Queue names",
    )
    .answer(Member("queues")),
    route(
        Get,
        "/queues/{queue_name}/stats",
        "getQueueStats",
        "Queues",
        "get_queue_stats",
        "Counts of a queue",
    ),
    route(
        Post,
        "/queues/{queue_name}/tasks",
        "addTaskToQueue",
        "Queues",
        "add_task_to_queue",
        "Put a task in a queue",
    ),
    route(
        Get,
        "/queues/{queue_name}/tasks",
        "getQueueTasks",
        "Queues",
        "get_queue_tasks",
        "Tasks of a queue",
    )
    .answer(Member("tasks")),
    route(
        Delete,
        "/queues/{queue_name}/tasks",
        "clearQueue",
        "Queues",
        "clear_queue",
        "Take every task out of a queue",
    )
    .answer(ClearedQueue),
    route(
        Delete,
        "/tasks/{task_id}/queue",
        "removeTaskFromQueue",
        "Queues",
        "remove_task_from_queue",
        "Take a task out of its queue",
    ),
    route(
        Patch,
        "/tasks/{task_id}/queue",
        "moveTaskToQueue",
        "Queues",
        "move_task_to_queue",
        "Move a task to another queue",
    ),
    // --- Comments (2.x) ---
    route(
        Post,
        "/tasks/{task_id}/comments",
        "addComment",
        "Comments",
        "add_comment",
        "Comment on a task",
    )
    .created(),
    route(
        Get,
        "/tasks/{task_id}/comments",
        "listComments",
        "Comments",
        "list_comments",
        "Comments of a task",
    )
    .answer(Member("comments")),
    route(
        Patch,
        "/comments/{id}",
        "updateComment",
        "Comments",
        "update_comment",
        "Change a comment's text",
    ),
    route(
        Delete,
        "/comments/{id}",
        "deleteComment",
        "Comments",
        "delete_comment",
        "Delete a comment",
    ),
    route(
        Get,
        "/comments/{id}",
        "getComment",
        "Comments",
        "get_comment",
        "Get a comment",
    ),
    route(
        Post,
        "/comments/{comment_id}/move",
        "moveComment",
        "Comments",
        "move_comment",
        "Move a comment to another task",
    )
    .created(),
    // --- Links (2.x) ---
    route(
        Post,
        "/tasks/{task_id}/links",
        "addLink",
        "Links",
        "add_link",
        "Attach a link to a task",
    )
    .created(),
    route(
        Get,
        "/tasks/{task_id}/links",
        "listLinks",
        "Links",
        "list_links",
        "Links of a task",
    )
    .answer(Member("links")),
    route(
        Patch,
        "/links/{id}",
        "updateLink",
        "Links",
        "update_link",
        "Change a link",
    ),
    route(
        Delete,
        "/links/{id}",
        "deleteLink",
        "Links",
        "delete_link",
        "Delete a link",
    ),
    // --- Beyond 2.x ---
    route(
        Get,
        "/tasks/{task_id}/history",
        "getTaskHistory",
        "Tasks",
        "get_task_history",
        "Recorded changes of a task",
    ),
    route(
        Post,
        "/agents/{agent_name}/claim",
        "claimTask",
        "Coordination",
        "signup_for_task",
        "Claim a task (own or from a queue's pool) with a lease; claimed false when none",
    ),
    route(
        Post,
        "/agents/{agent_name}/wait",
        "waitForTask",
        "Coordination",
        "wait_for_task",
        "Claim a task, waiting up to timeout_secs for one to become claimable",
    ),
    route(
        Post,
        "/tasks/{task_id}/heartbeat",
        "heartbeat",
        "Coordination",
        "heartbeat",
        "Renew a claim's lease",
    ),
    route(
        Post,
        "/tasks/{task_id}/release",
        "releaseTask",
        "Coordination",
        "release_task",
        "Give a claim back (the task becomes idle)",
    ),
    route(
        Post,
        "/tasks/{task_id}/dependencies",
        "addDependency",
        "Coordination",
        "add_dependency",
        "Make a task wait for another",
    ),
    route(
        Delete,
        "/tasks/{task_id}/dependencies/{depends_on_task_id}",
        "removeDependency",
        "Coordination",
        "remove_dependency",
        "Remove a dependency",
    ),
    route(
        Get,
        "/ready",
        "listReadyTasks",
        "Coordination",
        "list_ready_tasks",
        "Claimable tasks in claim order",
    ),
    route(
        Get,
        "/events",
        "getEvents",
        "Coordination",
        "get_events",
        "The event log after a cursor (long-polls with wait_secs)",
    ),
    route(
        Get,
        "/search",
        "searchTasks",
        "Search",
        "search_tasks",
        "Full-text search over tasks and comments",
    ),
];
