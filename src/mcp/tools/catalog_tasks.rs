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
            "Create a task (status idle); parent_task_id makes it a subtask (at most 4 levels). Returns the task.",
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
            "Permanently delete a task with its comments, links and history. Its subtasks move up to its parent \
             (promoted_subtask_ids); tasks it blocked become unblocked. Prefer archive_task to keep a record.",
            Effect::Destructive,
            |c, a: TaskId| tasks::delete(c, a.id),
        )
        .member_of(&[Tasks]),
        ToolDef::new(
            "archive_task",
            "Archive task",
            "Archive a task (any status): it leaves lists, queues and claims but stays readable with get_task. \
             Archiving it again changes nothing. Returns the task.",
            Effect::IdempotentWrite,
            |c, a: TaskId| tasks::archive(c, a.id),
        )
        .member_of(&[Tasks]),
        ToolDef::new(
            "list_tasks",
            "List tasks",
            "List tasks, most urgent first (priority desc, then oldest); the optional filters combine. Returns \
             {count, tasks}; cut at the response size limit with has_more and next_offset (pass it as offset).",
            Effect::Read,
            |c, f: tasks::ListTasks| tasks::list(c, &f),
        )
        .member_of(&[Tasks]),
        ToolDef::new(
            "get_my_queue",
            "Get my queue",
            "agent_name's open work: its idle or working, non-archived tasks, most urgent first, blocked ones \
             included (see is_currently_blocked). Returns {agent, count, tasks}; cut at the response size limit with \
             has_more and next_offset.",
            Effect::Read,
            agents::my_queue,
        )
        .member_of(&[Tasks]),
        ToolDef::new(
            "signup_for_task",
            "Claim next task",
            "Atomically claim agent_name's most urgent idle, unblocked task (blocked: a dependency is neither \
             complete nor archived) and set it working; with queue_name, from that queue's pool. Each task is claimed \
             once, however many agents ask. The claim takes a lease; renew it with heartbeat. Returns {agent, \
             claimed, task, message, lease}; claimed is false and task null when nothing is free (not an error).",
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
            "Create a subtask under parent_task_id (at most 4 levels of tasks); the parent's status follows its \
             children. Returns the subtask.",
            Effect::Write,
            subtasks::create,
        )
        .member_of(&[Subtasks]),
        ToolDef::new(
            "get_subtasks",
            "Get subtasks",
            "The subtasks of parent_task_id: direct children, or with recursive all descendants as a flat list (each \
             one's parent_task_id shows the tree). Returns {parent_task_id, recursive, count, subtasks}; cut at the \
             response size limit with has_more and next_offset.",
            Effect::Read,
            subtasks::list,
        )
        .member_of(&[Subtasks]),
        ToolDef::new(
            "get_task_with_subtasks",
            "Get task with subtasks",
            "A task plus its non-archived subtasks (direct children, or all descendants with recursive) as subtasks \
             and subtask_count; cut at the response size limit with has_more and next_offset (an offset for \
             get_subtasks).",
            Effect::Read,
            subtasks::with_subtasks,
        )
        .member_of(&[Subtasks]),
        ToolDef::new(
            "move_subtask",
            "Move subtask",
            "Re-parent a task under new_parent_id (null or omitted: top level). Rejects cycles and trees deeper than \
             4 levels. Returns the task.",
            Effect::IdempotentWrite,
            subtasks::move_subtask,
        )
        .member_of(&[Subtasks]),
        ToolDef::new(
            "get_task_history",
            "Get task history",
            "A task's recorded changes (status, assignee, priority, title, queue, parent, blocker, archiving), oldest \
             first, each with who made it. Returns {task_id, count, history}; cut at the response size limit with \
             has_more and next_offset.",
            Effect::Read,
            tasks::history_page,
        )
        .member_of(&[Tasks]),
    ]
}
