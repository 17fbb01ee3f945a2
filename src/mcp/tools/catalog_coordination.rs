//! Agent coordination beyond 2.x: waiting for work, leases, the dependency graph and the event feed.

use super::def::{BoxFuture, Effect, ToolDef};
use crate::config::Toolset::{Coordination, Core};
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
            "Atomically claim agent_name's most urgent idle, unblocked task (with queue_name: from its pool) \
             and set it working, waiting up to timeout_secs for one. Each task is claimed once, however many agents ask. Returns {agent, claimed, task (as \
             get_task), message, lease: {token, expires_at}}; claimed is false at the timeout. A client that \
             goes away while waiting claims nothing.",
            Effect::Write,
            wait_for_task,
        )
        .member_of(&[Core, Coordination]),
        ToolDef::new(
            "heartbeat",
            "Renew lease",
            "Renew agent_name's lease on task_id for its original length (the holder's writes on the task renew \
             it too). Returns {task_id, agent, lease: {holder, expires_at}}.",
            Effect::Write,
            leases::heartbeat_tool,
        )
        .member_of(&[Core, Coordination]),
        ToolDef::new(
            "release_task",
            "Release claim",
            "Give a claim back: the task becomes idle (and unassigned again when it was claimed unassigned from \
             a queue's pool) and the lease ends. Returns {released, task, comment, message}.",
            Effect::Write,
            leases::release_tool,
        )
        .member_of(&[Core, Coordination]),
        ToolDef::new(
            "list_ready_tasks",
            "List ready tasks",
            "Idle, unblocked, non-archived tasks in claim order (what a claim would take next); without \
             agent_name and queue_name, the whole board. Returns {agent_name, queue_name, count, tasks}.",
            Effect::Read,
            claims::ready,
        )
        .member_of(&[Core, Coordination]),
        ToolDef::new(
            "add_dependency",
            "Add dependency",
            "Make task_id wait for depends_on_task_id as well (any number of dependencies; blocked_by_task_id counts \
             as one). Rejects self-dependency, unknown ids and cycles at any depth; an existing dependency changes \
             nothing. Returns {changed, message, task, depends_on, dependents}.",
            Effect::IdempotentWrite,
            dependencies::add,
        )
        .member_of(&[Coordination]),
        ToolDef::new(
            "remove_dependency",
            "Remove dependency",
            "Stop task_id waiting for depends_on_task_id (clears blocked_by_task_id when that is the one). When it \
             was the last open dependency, the task becomes claimable and waiting agents are told. Returns {changed, \
             message, task, depends_on, dependents}.",
            Effect::Destructive,
            dependencies::remove,
        )
        .member_of(&[Coordination]),
        ToolDef::waiting(
            "get_events",
            "Get events",
            "The board's event feed, oldest first: every change (task \
             created/updated/claimed/released/lease_expired/moved/archived/deleted, comment and link \
             added/changed/moved/deleted, dependency added/removed) with cursor, at, kind, task_id, actor, assignee, \
             queue and fields ({old, new} per changed field). The filters combine; pass next_cursor as after to \
             continue.",
            Effect::Read,
            get_events,
        )
        .member_of(&[Coordination]),
    ]
}
