//! Task and subtask tools (names and parameters of TinyTask 2.x) plus `get_task_history`.

use super::def::{Effect, ToolDef};
use crate::config::Toolset::{Coordination, Core, Subtasks, Tasks};
use crate::domain::input::TaskId;
use crate::domain::{agents, claims, subtasks, tasks};

pub fn tools() -> Vec<ToolDef> {
    vec![
        ToolDef::new(
            "create_task",
            "Create task",
            "Create a task (status idle). Requires title and created_by. Optional: description, assigned_to, \
             priority (integer, higher = more urgent, default 0), tags (array of strings), parent_task_id (makes \
             it a subtask; at most 4 levels), queue_name (subtasks inherit the parent's queue when omitted), \
             blocked_by_task_id (a task that must be complete first). Returns the task.",
            Effect::Write,
            tasks::create,
        )
        .member_of(&[Tasks]),
        ToolDef::new(
            "update_task",
            "Update task",
            "Change the given fields of a task (others stay); changes of status, assignee, \
             priority, title, queue, parent or blocker go to its history. Rejects parent or blocking cycles \
             and nesting over 4 levels. Returns the task.",
            Effect::IdempotentWrite,
            tasks::update,
        )
        .member_of(&[Core, Tasks]),
        ToolDef::new(
            "get_task",
            "Get task",
            "A task with its comments, links, history (oldest first) and dependencies; lists over the response \
             size limit keep their oldest items, named in relations_truncated.",
            Effect::Read,
            |c, a: TaskId| tasks::get_with_relations(c, a.id),
        )
        .member_of(&[Core, Tasks]),
        ToolDef::new(
            "delete_task",
            "Delete task",
            "Permanently delete a task with its comments, links and history. Its subtasks are kept and moved up \
             to the deleted task's parent (listed in promoted_subtask_ids); tasks it blocked become unblocked. \
             Prefer archive_task to keep a record.",
            Effect::Destructive,
            |c, a: TaskId| tasks::delete(c, a.id),
        )
        .member_of(&[Tasks]),
        ToolDef::new(
            "archive_task",
            "Archive task",
            "Archive a task (any status): it disappears from lists, queues and signup but stays readable with \
             get_task. Archiving an archived task changes nothing. Returns the task.",
            Effect::IdempotentWrite,
            |c, a: TaskId| tasks::archive(c, a.id),
        )
        .member_of(&[Tasks]),
        ToolDef::new(
            "list_tasks",
            "List tasks",
            "List tasks, most urgent first (priority desc, then oldest). Filters (all optional, combined): \
             assigned_to, status (one of idle/working/complete or an array of them), exclude_status (array), \
             queue_name, parent_task_id (null = top-level only), exclude_subtasks, include_archived (default \
             false), limit (>= 1) and offset (>= 0), each usable alone. Returns {count, tasks}; a result larger \
             than the response size limit is cut and adds has_more: true and next_offset (pass it as offset).",
            Effect::Read,
            |c, f: tasks::ListTasks| tasks::list(c, &f),
        )
        .member_of(&[Tasks]),
        ToolDef::new(
            "get_my_queue",
            "Get my queue",
            "The open work of one agent: tasks assigned to agent_name with status idle or working, not \
             archived, most urgent first. Blocked tasks are included; check is_currently_blocked. Returns \
             {agent, count, tasks}, from the optional offset; a result larger than the response size limit is cut \
             and adds has_more: true and next_offset.",
            Effect::Read,
            agents::my_queue,
        )
        .member_of(&[Tasks]),
        ToolDef::new(
            "signup_for_task",
            "Claim next task",
            "Atomically claim the agent's most urgent idle task and set it to working. Tasks that are \
             currently blocked (a dependency is neither complete nor archived) are skipped. With queue_name, claim \
             from that queue's pool instead: its most urgent idle, unblocked task that is unassigned or assigned \
             to agent_name (it becomes assigned to the agent). Safe when many agents and processes call it at \
             once: each task is claimed exactly once. The claim takes a lease of lease_secs (default \
             TINYTASK_LEASE_SECS; renew it with heartbeat). Returns {agent, claimed, task, message, lease}; claimed \
             is false and task null when nothing is available (not an error).",
            Effect::Write,
            claims::signup,
        )
        .member_of(&[Tasks, Coordination]),
        ToolDef::new(
            "move_task",
            "Hand over task",
            "Hand an idle or working task from current_agent to new_agent with a hand-off comment: it becomes \
             idle for new_agent and previous_assigned_to is set. Returns {task, comment}.",
            Effect::Write,
            agents::move_task,
        )
        .member_of(&[Core, Tasks]),
        ToolDef::new(
            "create_subtask",
            "Create subtask",
            "Create a subtask under parent_task_id (requires title and created_by). It inherits the parent's \
             queue unless queue_name is given. At most 4 levels of tasks. The parent's status follows its \
             children. Returns the subtask.",
            Effect::Write,
            subtasks::create,
        )
        .member_of(&[Subtasks]),
        ToolDef::new(
            "get_subtasks",
            "Get subtasks",
            "List the subtasks of parent_task_id: direct children, or all descendants with recursive=true (flat \
             list; parent_task_id of each shows the tree). Archived subtasks only with include_archived=true. \
             Returns {parent_task_id, recursive, count, subtasks}, from the optional offset; a result larger than \
             the response size limit is cut and adds has_more: true and next_offset.",
            Effect::Read,
            subtasks::list,
        )
        .member_of(&[Subtasks]),
        ToolDef::new(
            "get_task_with_subtasks",
            "Get task with subtasks",
            "Get a task plus its non-archived subtasks (direct children, or all descendants with \
             recursive=true) as subtasks and subtask_count. When cut at the response size limit it adds has_more and \
             next_offset (the offset for get_subtasks).",
            Effect::Read,
            subtasks::with_subtasks,
        )
        .member_of(&[Subtasks]),
        ToolDef::new(
            "move_subtask",
            "Move subtask",
            "Re-parent a task under new_parent_id, or make it top-level when new_parent_id is null or omitted. \
             Rejects cycles and trees deeper than 4 levels. Returns the task.",
            Effect::IdempotentWrite,
            subtasks::move_subtask,
        )
        .member_of(&[Subtasks]),
        ToolDef::new(
            "get_task_history",
            "Get task history",
            "The recorded changes of a task (status, assignee, priority, title, queue, parent, blocker, \
             archiving), oldest first, with who made each change, from the optional offset. Returns {task_id, \
             count, history}; a result larger than the response size limit is cut and adds has_more and next_offset.",
            Effect::Read,
            tasks::history_page,
        )
        .member_of(&[Tasks]),
    ]
}
