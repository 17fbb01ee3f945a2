//! Queue tools (TinyTask 2.x names and parameters).

use super::def::{Effect, ToolDef};
use crate::config::Toolset::Queues;
use crate::domain::input::TaskRef;
use crate::domain::queues;

/// `list_queues` takes no parameters; unknown ones are rejected.
#[derive(Clone, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct NoArguments {}

pub fn tools() -> Vec<ToolDef> {
    vec![
        ToolDef::new(
            "list_queues",
            "List queues",
            "Names of all queues that hold at least one non-archived task, sorted. Returns {count, queues}.",
            Effect::Read,
            |c, _: NoArguments| queues::list(c),
        )
        .member_of(&[Queues]),
        ToolDef::new(
            "get_queue_stats",
            "Queue statistics",
            "Counts of one queue's non-archived tasks: total_tasks, by_status (idle, working, complete), \
             assigned, unassigned and the agents involved; an unknown queue gives zeros.",
            Effect::Read,
            |c, a: queues::QueueName| queues::stats(c, &a.queue_name),
        )
        .member_of(&[Queues]),
        ToolDef::new(
            "add_task_to_queue",
            "Add task to queue",
            "Put a task into queue_name, replacing its current queue. Returns the task.",
            Effect::IdempotentWrite,
            queues::add_task,
        )
        .member_of(&[Queues]),
        ToolDef::new(
            "remove_task_from_queue",
            "Remove task from queue",
            "Take a task out of its queue (queue_name becomes null). Returns the task.",
            Effect::IdempotentWrite,
            |c, a: TaskRef| queues::remove_task(c, a.task_id),
        )
        .member_of(&[Queues]),
        ToolDef::new(
            "move_task_to_queue",
            "Move task to queue",
            "Move a task to new_queue_name. Returns the task.",
            Effect::IdempotentWrite,
            queues::move_task,
        )
        .member_of(&[Queues]),
        ToolDef::new(
            "get_queue_tasks",
            "Get queue tasks",
            "Tasks of queue_name, most urgent first, with list_tasks' optional filters. Returns {queue_name, count, \
             filters, tasks}; cut at the response size limit with has_more and next_offset.",
            Effect::Read,
            queues::tasks,
        )
        .member_of(&[Queues]),
        ToolDef::new(
            "clear_queue",
            "Clear queue",
            "Take every non-archived task out of queue_name (the tasks themselves are kept). Returns \
             {queue_name, tasks_cleared}.",
            Effect::Destructive,
            |c, a: queues::QueueName| queues::clear(c, &a.queue_name),
        )
        .member_of(&[Queues]),
    ]
}
