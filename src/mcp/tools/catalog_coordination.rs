//! Agent coordination beyond 2.x: waiting for work, leases, the dependency graph and the event feed.

use super::def::{BoxFuture, Effect, ToolDef};
use crate::domain::events::{EventPage, GetEvents};
use crate::domain::waiting::{self, Stop, WaitForTask};
use crate::domain::{Board, DomainResult, claims, dependencies, leases};

fn wait_for_task(
    board: Board,
    args: WaitForTask,
    stop: Stop,
) -> BoxFuture<DomainResult<claims::Signup>> {
    Box::pin(waiting::wait_for_task(board, args, stop))
}

fn get_events(board: Board, args: GetEvents, stop: Stop) -> BoxFuture<DomainResult<EventPage>> {
    Box::pin(waiting::events(board, args, stop))
}

pub fn tools() -> Vec<ToolDef> {
    vec![
        ToolDef::waiting(
            "wait_for_task",
            "Wait for a task",
            "Claim exactly as signup_for_task would (the agent's own tasks, or with queue_name the queue's pool: \
             unassigned tasks or the agent's own in it); when nothing is claimable, wait up to timeout_secs \
             (0-300, default 30) and claim the moment a task becomes claimable (created, assigned or moved to \
             the agent, unblocked, released, lease expired). Returns {agent, claimed, task, message, lease}; \
             claimed is false at the timeout. A client that goes away while waiting claims nothing. \
             lease_secs as for signup_for_task.",
            Effect::Write,
            wait_for_task,
        ),
        ToolDef::new(
            "heartbeat",
            "Renew lease",
            "Renew agent_name's lease on task_id for its original length (any write of the holder on the task \
             also renews it). With lease_token, rejected when that token is no longer current. Returns {task_id, \
             agent, lease: {holder, expires_at}}.",
            Effect::Write,
            leases::heartbeat_tool,
        ),
        ToolDef::new(
            "release_task",
            "Release claim",
            "Give a claim back: the task becomes idle again (and unassigned, back in its queue's pool, when it was \
             claimed from the pool unassigned); the lease ends. Only the holder (or, with leases off, the working \
             assignee) can release. Optional comment (stored by agent_name) and lease_token (fencing). Returns \
             {released, task, comment, message}.",
            Effect::Write,
            leases::release_tool,
        ),
        ToolDef::new(
            "list_ready_tasks",
            "List ready tasks",
            "Idle, unblocked, non-archived tasks in claim order: exactly what signup_for_task would take next, in \
             order. agent_name alone: that agent's tasks; with queue_name: the queue's pool as that agent sees it \
             (unassigned or its own); queue_name alone: the queue's unassigned tasks; neither: the whole board. \
             limit 1-1000 (default 50). Returns {agent_name, queue_name, count, tasks}.",
            Effect::Read,
            claims::ready,
        ),
        ToolDef::new(
            "add_dependency",
            "Add dependency",
            "Make task_id wait for depends_on_task_id as well (a task may depend on any number of tasks; \
             blocked_by_task_id counts as one). Rejects self-dependency, unknown ids and cycles at any depth. \
             Adding an existing dependency changes nothing. Optional changed_by (the event's actor). Returns \
             {changed, message, task, depends_on, dependents}.",
            Effect::IdempotentWrite,
            dependencies::add,
        ),
        ToolDef::new(
            "remove_dependency",
            "Remove dependency",
            "Stop task_id from waiting for depends_on_task_id (also clears blocked_by_task_id when that is the \
             one). When it was the last open dependency, the task becomes claimable and waiting agents are \
             told. Returns {changed, message, task, depends_on, dependents}.",
            Effect::Destructive,
            dependencies::remove,
        ),
        ToolDef::waiting(
            "get_events",
            "Get events",
            "The board's event feed, oldest first: every change (task created/updated/claimed/released/\
             lease_expired/moved/archived/deleted, comment and link added/changed/moved/deleted, dependency \
             added/removed) with cursor, at, kind, task_id, actor, assignee, queue and fields ({old, new} per \
             changed field). Events after `after` (default 0), at most limit (1-1000, default 100); filters \
             task_id, agent_name (actor or assignee), queue_name. wait_secs (0-300) long-polls when nothing \
             matches yet. Pass next_cursor as after to continue.",
            Effect::Read,
            get_events,
        ),
    ]
}
