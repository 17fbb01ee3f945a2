//! `work_queue`: the loop an agent follows on the board. Needs nothing from the board: the rules are the
//! tools' own (docs/TOOLS.md "Coordination").

use super::Rendered;
use super::args::Arguments;
use super::text::quoted;

pub fn render(args: &Arguments) -> Rendered {
    let agent = quoted(args.text("agent_name"));
    let (scope, claim_args, pool_note) = match args.optional("queue_name") {
        Some(queue) => {
            let q = quoted(queue);
            (
                format!(" on queue {q}"),
                format!("agent_name={agent}, queue_name={q}"),
                format!(
                    "the most urgent idle, unblocked task of queue {q}'s pool (its unassigned tasks and \
                     those assigned to you) and assigns it to you"
                ),
            )
        }
        None => (
            String::new(),
            format!("agent_name={agent}"),
            "your most urgent idle, unblocked task (one assigned to you)".to_string(),
        ),
    };
    let text = format!(
        "You are the agent {agent} working{scope} on a TinyTask board shared with other agents. Repeat this \
loop until you are told to stop; call the tools exactly as written (<...> marks a value you fill in).

1. Get work: `wait_for_task({claim_args}, timeout_secs=<0-300, default 30>)`. It claims {pool_note}, sets \
it to working and returns {{claimed, task, lease}}. claimed=false means nothing became claimable before the \
timeout: call it again, or stop when your work is done. `list_ready_tasks({claim_args})` shows, without \
claiming, what would be claimed next and in which order.

2. Keep your lease. A claim holds a lease: lease.token and lease.expires_at (lease is null when the \
server runs without leases; then leave out lease_token and heartbeat). Pass the token as lease_token \
to every write on the task below, so a write is refused once your claim is lost instead of overwriting \
someone else's. Renew it before expires_at with `heartbeat(task_id=<id>, agent_name={agent}, \
lease_token=<token>)`, every few minutes while you work; add_comment with created_by={agent} and update_task \
with changed_by={agent} renew it too. When a lease expires the server releases the task (idle again, back \
in the pool if it came from there) and another agent may claim it: when heartbeat says your lease_token is \
no longer current, stop working on that task.

3. Work: read the task first with `get_task(id=<id>)`: description, comments (the previous agent's \
hand-off note is the newest one), links and depends_on. Record progress and decisions as you go with \
`add_comment(task_id=<id>, content=<what you did or decided>, created_by={agent})` and attach every \
artifact with `add_link(task_id=<id>, url=<URL or path>, description=<what it is>, created_by={agent})`.

4. Dependencies: a task with an open dependency (a task in its depends_on, or its blocked_by_task_id, that \
is neither complete nor archived) is blocked: is_currently_blocked is true and nobody can claim it until \
the dependency closes. If your task needs other work first, create that work with \
`create_task(title=<...>, created_by={agent})`, make your task wait for it with \
`add_dependency(task_id=<id>, depends_on_task_id=<new task id>, changed_by={agent})` and give your claim \
back (step 5, release). Your task becomes claimable again when its last open dependency completes.

5. Finish every claimed task in exactly one of three ways, never leaving it working:
- Done: add a final comment with the result, then `update_task(id=<id>, status=\"complete\", \
changed_by={agent}, lease_token=<token>)`. This ends the lease and unblocks the tasks that wait for it.
- Someone else must continue: `move_task(task_id=<id>, current_agent={agent}, new_agent=<agent>, \
comment=<hand-off note>, lease_token=<token>)`. The comment is required and is all the next agent starts \
from: what is done, what is left, where the artifacts are, what it waits for and what to watch out for. \
The task becomes idle for the new agent and your lease ends.
- You cannot continue now: `release_task(task_id=<id>, agent_name={agent}, comment=<why, and what is \
left>, lease_token=<token>)`. The task becomes idle again (back in the queue's pool if you claimed it from \
there).

6. Go back to step 1."
    );
    Rendered {
        description: format!(
            "The work loop for agent {agent}{scope}: claim, keep the lease, comment, finish or hand over."
        ),
        text,
    }
}
