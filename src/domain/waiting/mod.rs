//! Calls that wait for the board to change instead of polling it: `wait_for_task` (claim the moment
//! something becomes claimable) and `get_events` with `wait_secs` (long-poll the feed).
//!
//! A waiter subscribes to the board's wake-ups *before* it looks, then sleeps until a committed change
//! that could concern it (its agent's or queue's tasks; anything from another process) and looks again.
//! The database is only read when the write path says something changed. A waiter that stops (client
//! gone, request cancelled, server stopping) answers without claiming; a claim that committed just as
//! its client went away is given back.

mod stop;

pub use stop::Stop;

use super::board::{Board, Wake};
use super::changes::Changes;
use super::claims::{self, Scope, Signup};
use super::events::context::{self, Intent};
use super::events::{self, EventPage, GetEvents};
use super::{DomainError, DomainResult, input, leases, limits};
use crate::metrics::Waiting;
use schemars::JsonSchema;
use serde::Deserialize;
use std::time::Duration;
use tokio::sync::broadcast::{Receiver, error::RecvError};
use tokio::time::Instant;

/// Arguments of `wait_for_task`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WaitForTask {
    /// Exactly as tasks are assigned to it.
    pub agent_name: String,
    /// Claim from this queue's pool instead (unassigned tasks or the agent's own in it).
    #[serde(default)]
    pub queue_name: Option<String>,
    /// Seconds to wait, 0-300 (default 30).
    #[serde(default, deserialize_with = "input::opt_int")]
    #[schemars(with = "Option<i64>")]
    pub timeout_secs: Option<i64>,
    /// Lease seconds, 0-604800 (0: none; default TINYTASK_LEASE_SECS).
    #[serde(default, deserialize_with = "input::opt_int")]
    #[schemars(with = "Option<i64>")]
    pub lease_secs: Option<i64>,
}

pub const DEFAULT_WAIT_SECS: i64 = 30;
pub const MAX_WAIT_SECS: i64 = 300;

fn wait_length(field: &'static str, value: Option<i64>, default: i64) -> DomainResult<Duration> {
    let secs = limits::within(field, value, default, 0..=MAX_WAIT_SECS, " seconds")?;
    Ok(Duration::from_secs(secs as u64))
}

/// Whether a committed change can make something claimable in `scope`.
fn concerns(scope: &Scope, changes: &Changes) -> bool {
    match scope {
        Scope::Agent(agent) => changes.agents.contains(agent),
        Scope::Pool { agent, queue } => {
            changes.agents.contains(agent) || changes.queues.contains(queue)
        }
        Scope::Queue(queue) => changes.queues.contains(queue),
        Scope::Board => true,
    }
}

/// Waits for the next wake-up that `interested` accepts. `false`: the board is gone.
async fn next_wake(rx: &mut Receiver<Wake>, interested: impl Fn(&Changes) -> bool) -> bool {
    loop {
        match rx.recv().await {
            Ok(Wake::Local(changes)) if !interested(&changes) => {}
            // Missed wake-ups could have been anything: look again.
            Ok(_) | Err(RecvError::Lagged(_)) => return true,
            Err(RecvError::Closed) => return false,
        }
    }
}

/// `wait_for_task`: claims like `signup_for_task`; when nothing is claimable, waits up to `timeout_secs`
/// and claims the moment something becomes claimable, else answers `claimed: false`.
pub async fn wait_for_task(board: Board, args: WaitForTask, stop: Stop) -> DomainResult<Signup> {
    let scope = claims::scope(&args.agent_name, args.queue_name.as_deref())?;
    let length = leases::duration(args.lease_secs)?;
    let timeout = wait_length("timeout_secs", args.timeout_secs, DEFAULT_WAIT_SECS)?;
    let _waiting = board.metrics().waiting(Waiting::WaitForTask);
    let stop = stop.with(board.stopping());
    let deadline = Instant::now() + timeout;
    let mut wakeups = board.wakeups();
    loop {
        if stop.is_stopped() {
            return Ok(not_claimed(
                &scope,
                "the wait ended early: the client went away or the server is stopping",
            ));
        }
        let looked = {
            let scope = scope.clone();
            board
                .read(move |c| Ok(!claims::claimable(c, &scope, 1)?.is_empty()))
                .await?
        };
        if looked {
            let attempt = {
                let scope = scope.clone();
                board
                    .write(move |c| claims::claim(c, &scope, length))
                    .await?
            };
            if attempt.claimed {
                return give_back_if_stopped(&board, attempt, &stop).await;
            }
            // Someone else took it between the look and the claim: wait for the next change.
        }
        let woke = tokio::select! {
            () = tokio::time::sleep_until(deadline) => None,
            () = stop.stopped() => None,
            alive = next_wake(&mut wakeups, |c| concerns(&scope, c)) => Some(alive),
        };
        match woke {
            // Woken, or stopped (answered at the top of the loop): look again.
            Some(true) => {}
            None if stop.is_stopped() => {}
            Some(false) => return Err(DomainError::Unavailable("the board has stopped".into())),
            None => {
                return Ok(not_claimed(
                    &scope,
                    &format!("nothing became claimable within {} s", timeout.as_secs()),
                ));
            }
        }
    }
}

fn not_claimed(scope: &Scope, why: &str) -> Signup {
    let agent = scope.agent().to_string();
    let place = match scope {
        Scope::Pool { queue, .. } => format!(" in queue {queue}"),
        _ => String::new(),
    };
    Signup {
        message: format!("No idle, unblocked tasks available for agent {agent}{place}: {why}"),
        agent,
        claimed: false,
        task: None,
        lease: None,
    }
}

/// A claim whose client went away while it committed is given back at once (the task is idle again, as
/// if never claimed — the feed shows the claim and the release), so a vanished waiter holds nothing.
async fn give_back_if_stopped(board: &Board, claimed: Signup, stop: &Stop) -> DomainResult<Signup> {
    if !stop.is_stopped() {
        return Ok(claimed);
    }
    let Some(task) = &claimed.task else {
        return Ok(claimed);
    };
    let (id, agent) = (task.task.id, claimed.agent.clone());
    board
        .write(move |c| {
            context::act(c, Some(&agent), Some((Intent::Released, id)))?;
            leases::give_back(c, id, &agent)
        })
        .await?;
    Ok(not_claimed(
        &Scope::Agent(claimed.agent),
        "the client went away as the task was claimed; it was given back",
    ))
}

/// `get_events`: the page after `after`; with `wait_secs`, when nothing matches yet, waits for the next
/// committed change and reads again, until something matches or the time is up.
pub async fn events(board: Board, args: GetEvents, stop: Stop) -> DomainResult<EventPage> {
    args.validate()?;
    let wait = wait_length("wait_secs", args.wait_secs, 0)?;
    let _waiting = (!wait.is_zero()).then(|| board.metrics().waiting(Waiting::GetEvents));
    let stop = stop.with(board.stopping());
    let deadline = Instant::now() + wait;
    let mut wakeups = board.wakeups();
    loop {
        let page = {
            let args = args.clone();
            board.read(move |c| events::page(c, &args)).await?
        };
        if !page.events.is_empty() || Instant::now() >= deadline || stop.is_stopped() {
            return Ok(page);
        }
        tokio::select! {
            () = tokio::time::sleep_until(deadline) => {}
            () = stop.stopped() => {}
            alive = next_wake(&mut wakeups, |_| true) => if !alive {
                return Ok(page);
            }
        }
    }
}
