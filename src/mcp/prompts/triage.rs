//! `triage`: review one queue's unassigned, blocked and stale work. Opens with the queue's counts, read
//! in one read transaction: the queue statistics and one bounded scan of its idle and working tasks.

use super::Rendered;
use super::args::Arguments;
use super::text::{iso_seconds, now_iso, quoted};
use crate::domain::input::StatusSet;
use crate::domain::queues::{self, QueueStats};
use crate::domain::tasks::{self, ListTasks};
use crate::domain::{Board, Conn, DomainResult, TaskStatus, leases};
use crate::mcp::jsonrpc::RpcError;

/// Most idle and working tasks scanned for the counts (the most urgent first), so a huge queue costs one
/// bounded read; the text says when the scan stopped short.
const SCAN_LIMIT: i64 = 500;
/// A working task with no change of its own for this long counts as stale.
const STALE_MINUTES: i64 = 60;

struct Facts {
    stats: QueueStats,
    scanned: usize,
    scan_complete: bool,
    ready: usize,
    blocked: usize,
    working_without_lease: usize,
    stale: usize,
    /// Only read when the queue is empty: the queues that have tasks, to spot a misspelt name.
    other_queues: Vec<String>,
}

fn read_facts(conn: &mut Conn, queue: &str, stale_before: &str) -> DomainResult<Facts> {
    let stats = queues::stats(conn, queue)?;
    let other_queues = if stats.total_tasks == 0 {
        queues::list(conn)?.queues
    } else {
        Vec::new()
    };
    let open = tasks::list(
        conn,
        &ListTasks {
            queue_name: Some(queue.to_string()),
            status: Some(StatusSet(vec![TaskStatus::Idle, TaskStatus::Working])),
            limit: Some(SCAN_LIMIT),
            ..ListTasks::default()
        },
    )?;
    let (idle, working): (Vec<_>, Vec<_>) = open
        .tasks
        .iter()
        .partition(|t| t.status == TaskStatus::Idle);
    Ok(Facts {
        scanned: open.tasks.len(),
        scan_complete: !open.cut.is_cut() && (open.tasks.len() as i64) < SCAN_LIMIT,
        ready: idle
            .iter()
            .filter(|t| t.assigned_to.is_none() && !t.is_currently_blocked)
            .count(),
        blocked: idle.iter().filter(|t| t.is_currently_blocked).count(),
        working_without_lease: working.iter().filter(|t| t.lease.is_none()).count(),
        stale: working
            .iter()
            .filter(|t| t.updated_at.as_deref().is_some_and(|u| u < stale_before))
            .count(),
        stats,
        other_queues,
    })
}

/// ISO 8601 UTC (seconds) of `minutes` ago, comparable as text with the board's timestamps.
fn minutes_ago(minutes: i64) -> String {
    iso_seconds(leases::now_millis() - minutes * 60_000)
}

pub async fn render(board: &Board, args: &Arguments) -> Result<Rendered, RpcError> {
    let queue = args.text("queue_name").to_string();
    let stale_before = minutes_ago(STALE_MINUTES);
    let name = queue.clone();
    let facts = board
        .read(move |c| read_facts(c, &name, &stale_before))
        .await
        .map_err(|e| RpcError::internal(format!("prompt triage: reading queue {queue}: {e}")))?;
    let q = quoted(&queue);
    let text = if facts.stats.total_tasks == 0 {
        empty_queue(&q, &facts.other_queues)
    } else {
        text(&q, &facts)
    };
    Ok(Rendered {
        description: format!("Triage of queue {q}: unassigned, blocked and stale work"),
        text,
    })
}

fn empty_queue(q: &str, others: &[String]) -> String {
    let known = if others.is_empty() {
        "no queue has tasks yet".to_string()
    } else {
        let names: Vec<String> = others.iter().map(|n| quoted(n)).collect();
        format!("the queues with tasks are {}", names.join(", "))
    };
    format!(
        "Queue {q} has no tasks (archived ones aside) at {now}, so there is nothing to triage: {known}. \
         Check the name with `list_queues()`, then ask for the triage of one of those.",
        now = now_iso()
    )
}

fn text(q: &str, f: &Facts) -> String {
    let s = &f.stats;
    let agents = if s.agents.is_empty() {
        "none".to_string()
    } else {
        s.agents
            .iter()
            .map(|a| quoted(a))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let scope = if f.scan_complete {
        format!("Of its {} idle and working tasks", f.scanned)
    } else {
        format!(
            "Of its {} most urgent idle and working tasks (the rest were not counted)",
            f.scanned
        )
    };
    format!(
        "Triage the queue {q} of this TinyTask board: find its unassigned, blocked and stale work and fix \
what you can. Call the tools exactly as written (<...> marks a value you fill in) and sign every change \
with your agent name (changed_by or created_by).

The queue now ({now}):
- {total} tasks (archived ones aside): {idle} idle, {working} working, {complete} complete; {unassigned} \
unassigned; agents: {agents}.
- {scope}: {ready} unassigned and ready to claim, {blocked} blocked, {no_lease} working without a lease, \
{stale} working with no change to the task for {STALE_MINUTES} minutes or more.
Re-read the counts when you are done with `get_queue_stats(queue_name={q})`.

1. Unassigned work: `list_ready_tasks(queue_name={q})` lists the queue's unassigned, unblocked idle tasks \
in claim order, which is what `wait_for_task(agent_name=<agent>, queue_name={q})` hands out next. Check \
that each can be started from its title and description; improve one with `update_task(id=<id>, \
description=<...>, priority=<higher = more urgent>, changed_by=<your agent name>)`. Assign a task only when \
one particular agent must do it: `update_task(id=<id>, assigned_to=<agent>, changed_by=<your agent name>)`; \
otherwise leave it in the pool, where any agent waiting on the queue claims it.

2. Blocked work: `get_queue_tasks(queue_name={q}, status=\"idle\")` lists the idle tasks; those with \
is_currently_blocked=true wait for an open dependency, and nobody can claim them. `get_task(id=<id>)` shows \
depends_on, each with its status and is_open. For each open dependency: when its work is in fact done, \
close it with `update_task(id=<dependency id>, status=\"complete\", changed_by=<your agent name>)`; when it \
no longer applies, `remove_dependency(task_id=<id>, depends_on_task_id=<dependency id>, changed_by=<your \
agent name>)`; when nobody works on it, assign it or put it in a queue that agents work.

3. Stale work: `get_queue_tasks(queue_name={q}, status=\"working\")` lists the working tasks. One with a \
lease (lease.holder, lease.expires_at) goes back to idle by itself when its holder stops sending heartbeat; \
one without a lease stays working until someone acts. For a task with no recent change, read its latest \
activity with `get_events(task_id=<id>)` and ask its assignee with `add_comment(task_id=<id>, \
content=<question>, created_by=<your agent name>)`. Only the lease holder can release_task; to put \
abandoned work back in the pool yourself, `update_task(id=<id>, status=\"idle\", assigned_to=\"\", \
changed_by=<your agent name>)` and add a comment saying why.

4. Report what you changed and why, task by task.",
        now = now_iso(),
        total = s.total_tasks,
        idle = s.by_status.idle,
        working = s.by_status.working,
        complete = s.by_status.complete,
        unassigned = s.unassigned,
        ready = f.ready,
        blocked = f.blocked,
        no_lease = f.working_without_lease,
        stale = f.stale,
    )
}
