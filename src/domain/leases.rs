//! Leases: a claim lasts a limited time unless its holder shows signs of life, so a dead or stalled agent
//! cannot hold work forever.
//!
//! Rules (docs/TOOLS.md, "Leases"):
//! - every claim (signup_for_task, wait_for_task) takes a lease of `lease_secs`, else `TINYTASK_LEASE_SECS`
//!   (0: no lease, the 2.x behaviour); the claim's result carries the token;
//! - `heartbeat` renews it, and so does any write the holder makes on the task;
//! - a lease exists only while its task is `working`, assigned to the holder and not archived: a write
//!   that ends that (complete, hand-over, re-assignment, archive) ends the lease with it;
//! - an expired lease is released by the server ([`expire_due`], run by a background task): the task goes
//!   back to `idle`, and back to its queue's pool when it was claimed from it unassigned;
//! - a write that carries a `lease_token` which is no longer current is rejected ([`check_token`]).

use super::events::context::{self, Intent};
use super::history;
use super::{DomainError, DomainResult, TaskStatus};
use crate::db::schema::{task_leases as l, tasks as t};
use crate::domain::Conn;
use diesel::prelude::*;
use schemars::JsonSchema;
use serde::Serialize;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `actor` of the releases TinyTask makes itself when a lease expires.
pub const LEASE_ACTOR: &str = "tinytask:lease";

/// Longest lease a call may ask for (a week, the bound of TINYTASK_LEASE_SECS).
pub const MAX_LEASE_SECS: i64 = 604_800;

/// What a claim's holder gets: the fencing token and the expiry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct LeaseGrant {
    /// Pass as lease_token on heartbeat, update_task, move_task and release_task: a write with a token that
    /// is no longer current is rejected.
    pub token: String,
    /// ISO 8601 UTC with milliseconds.
    pub expires_at: String,
}

/// What everyone sees of a claimed task's lease (never the token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct LeaseInfo {
    pub holder: String,
    /// ISO 8601 UTC with milliseconds.
    pub expires_at: String,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = l, check_for_backend(crate::domain::MultiBackend))]
struct LeaseRow {
    agent: String,
    token: String,
    pooled: i32,
    duration_ms: i64,
}

pub fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Unix milliseconds as ISO 8601 UTC (`2026-12-01T16:00:00.123Z`).
pub fn iso_millis(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms.rem_euclid(1000)
    )
}

/// Days since 1970-01-01 → (year, month, day) in the proleptic Gregorian calendar (H. Hinnant's
/// algorithm; a date crate for one conversion would be more code to trust than these lines).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// The lease length of a claim: `lease_secs` of the call (0-604800; 0 = no lease), else the configured
/// default. `None`: no lease.
pub fn duration(lease_secs: Option<i64>) -> DomainResult<Option<Duration>> {
    let default = super::limits::current().lease_secs as i64;
    let secs = super::limits::within(
        "lease_secs",
        lease_secs,
        default,
        0..=MAX_LEASE_SECS,
        " seconds (0: no lease)",
    )? as u64;
    Ok((secs > 0).then(|| Duration::from_secs(secs)))
}

fn new_token() -> DomainResult<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| DomainError::Unavailable(format!("no randomness for a lease token: {e}")))?;
    Ok(hex::encode(bytes))
}

/// Gives `agent` a fresh lease on `task_id` (replacing any other), for `length`.
pub fn grant(
    conn: &mut Conn,
    task_id: i32,
    agent: &str,
    length: Duration,
    pooled: bool,
) -> DomainResult<LeaseGrant> {
    let token = new_token()?;
    let duration_ms = length.as_millis() as i64;
    let expires_at = now_millis() + duration_ms;
    let lease = (
        l::task_id.eq(task_id),
        l::agent.eq(agent),
        l::token.eq(&token),
        l::expires_at.eq(expires_at),
        l::pooled.eq(i32::from(pooled)),
        l::duration_ms.eq(duration_ms),
    );
    // A new grant replaces any row the task still has. SQLite's REPLACE deletes that row without firing
    // delete triggers, so the capture sees one insert; on PostgreSQL the same is a delete the capture must
    // not see as a release, hence the plain upsert there, captured as an update of the lease.
    match conn {
        Conn::Sqlite(c) => diesel::replace_into(l::table).values(lease).execute(c)?,
        Conn::Pg(c) => diesel::insert_into(l::table)
            .values(lease)
            .on_conflict(l::task_id)
            .do_update()
            .set((
                l::agent.eq(agent),
                l::token.eq(&token),
                l::expires_at.eq(expires_at),
                l::pooled.eq(i32::from(pooled)),
                l::duration_ms.eq(duration_ms),
            ))
            .execute(c)?,
    };
    Ok(LeaseGrant {
        token,
        expires_at: iso_millis(expires_at),
    })
}

fn find(conn: &mut Conn, task_id: i32) -> DomainResult<Option<LeaseRow>> {
    Ok(l::table
        .filter(l::task_id.eq(task_id))
        .select(LeaseRow::as_select())
        .get_result(conn)
        .optional()?)
}

/// Fencing: a write that carries `token` is only accepted while that token is the task's current lease.
pub fn check_token(conn: &mut Conn, task_id: i32, token: Option<&str>) -> DomainResult<()> {
    let Some(token) = token else { return Ok(()) };
    match find(conn, task_id)? {
        Some(lease) if lease.token == token => Ok(()),
        current => Err(DomainError::Rule(format!(
            "Task {task_id}: lease_token {token} is no longer current (the lease expired or was released); \
             the task is now {}",
            match current {
                Some(lease) => format!("claimed by {}", lease.agent),
                None => "not claimed by anyone".to_string(),
            }
        ))),
    }
}

/// Renews the lease of `task_id` when `agent` holds it (any write of the holder on its task is a sign of
/// life); returns the new expiry, or `None` when `agent` holds no lease there.
pub fn renew_if_holder(conn: &mut Conn, task_id: i32, agent: &str) -> DomainResult<Option<i64>> {
    let Some(lease) = find(conn, task_id)?.filter(|lease| lease.agent == agent) else {
        return Ok(None);
    };
    renew(conn, task_id, &lease).map(Some)
}

/// Moves the expiry of `lease` (the lease of `task_id`) to its full length from now.
fn renew(conn: &mut Conn, task_id: i32, lease: &LeaseRow) -> DomainResult<i64> {
    let expires_at = now_millis() + lease.duration_ms;
    diesel::update(l::table.filter(l::task_id.eq(task_id)))
        .set(l::expires_at.eq(expires_at))
        .execute(conn)?;
    Ok(expires_at)
}

/// Result of `heartbeat`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Heartbeat {
    pub task_id: i32,
    pub agent: String,
    pub lease: LeaseInfo,
}

/// `heartbeat`: renews `agent`'s lease on `task_id` for its original length.
pub fn heartbeat(
    conn: &mut Conn,
    task_id: i32,
    agent: &str,
    token: Option<&str>,
) -> DomainResult<Heartbeat> {
    super::tasks::find_row(conn, "Task", task_id)?;
    check_token(conn, task_id, token)?;
    let lease = match find(conn, task_id)? {
        Some(lease) if lease.agent == agent => lease,
        Some(lease) => {
            return Err(DomainError::Rule(format!(
                "Task {task_id} is claimed by {}, not by {agent}: only the holder can renew its lease",
                lease.agent
            )));
        }
        None => {
            return Err(DomainError::Rule(format!(
                "Task {task_id} has no lease to renew (it is not claimed, its lease expired, or leases are off)"
            )));
        }
    };
    context::act(conn, Some(agent), None)?;
    let expires_at = renew(conn, task_id, &lease)?;
    Ok(Heartbeat {
        task_id,
        agent: agent.to_string(),
        lease: LeaseInfo {
            holder: agent.to_string(),
            expires_at: iso_millis(expires_at),
        },
    })
}

/// Ends the lease of `task_id` unless the task is still `working`, assigned to the holder and active (call
/// after any write that may have changed that). Returns whether a lease ended.
pub fn settle(conn: &mut Conn, task_id: i32) -> DomainResult<bool> {
    let Some(lease) = find(conn, task_id)? else {
        return Ok(false);
    };
    let still_held = t::table
        .filter(t::id.eq(task_id))
        .filter(t::status.eq(TaskStatus::Working.as_str()))
        .filter(t::assigned_to.eq(&lease.agent))
        .filter(t::archived_at.is_null())
        .count()
        .get_result::<i64>(conn)?
        > 0;
    if !still_held {
        diesel::delete(l::table.filter(l::task_id.eq(task_id))).execute(conn)?;
    }
    Ok(!still_held)
}

/// Gives a claimed task back: its lease ends, a `working` task becomes `idle`, and a task claimed from its
/// queue while unassigned goes back to the pool (unassigned, `previous_assigned_to` = the holder).
/// `agent` is who had it; the caller has set the write context.
pub fn give_back(conn: &mut Conn, task_id: i32, agent: &str) -> DomainResult<()> {
    let pooled = match find(conn, task_id)? {
        Some(lease) => lease.pooled == 1,
        None => claimed_from_pool(conn, task_id, agent)?,
    };
    diesel::delete(l::table.filter(l::task_id.eq(task_id))).execute(conn)?;
    let row = super::tasks::find_row(conn, "Task", task_id)?;
    if row.status != TaskStatus::Working.as_str() || row.assigned_to.as_deref() != Some(agent) {
        return Ok(());
    }
    let actor = context::actor(conn)?;
    diesel::update(t::table.filter(t::id.eq(task_id)))
        .set((
            t::status.eq(TaskStatus::Idle.as_str()),
            t::updated_at.eq(super::clock::now(conn)),
        ))
        .execute(conn)?;
    history::record(
        conn,
        task_id,
        "status",
        Some(row.status),
        Some(TaskStatus::Idle.as_str().into()),
        actor.as_deref(),
    )?;
    if pooled {
        diesel::update(t::table.filter(t::id.eq(task_id)))
            .set((
                t::assigned_to.eq(None::<String>),
                t::previous_assigned_to.eq(agent),
            ))
            .execute(conn)?;
        history::record(
            conn,
            task_id,
            "assigned_to",
            Some(agent.to_string()),
            None,
            actor.as_deref(),
        )?;
    }
    super::hierarchy::propagate_status(conn, row.parent_task_id)?;
    Ok(())
}

/// Without a lease row (leases off), whether `agent` took the task from its queue's pool: the task's last
/// assignment is the one a pool claim writes, from no one to the agent, by the agent.
fn claimed_from_pool(conn: &mut Conn, task_id: i32, agent: &str) -> DomainResult<bool> {
    use crate::db::schema::task_history as h;
    let last: Option<(Option<String>, Option<String>, Option<String>)> = h::table
        .filter(h::task_id.eq(task_id))
        .filter(h::field_name.eq("assigned_to"))
        .order(h::id.desc())
        .select((h::old_value, h::new_value, h::changed_by))
        .first(conn)
        .optional()?;
    Ok(matches!(last, Some((None, Some(new), Some(by))) if new == agent && by == agent))
}

/// Releases every lease that has expired (as TinyTask itself, with one `lease_expired` event each);
/// returns the tasks released. Idempotent: several processes on one file may all run it.
pub fn expire_due(conn: &mut Conn) -> DomainResult<Vec<i32>> {
    let due: Vec<(i32, String)> = l::table
        .filter(l::expires_at.le(now_millis()))
        .select((l::task_id, l::agent))
        .order(l::expires_at.asc())
        .load(conn)?;
    for (task_id, agent) in &due {
        context::act(
            conn,
            Some(LEASE_ACTOR),
            Some((Intent::LeaseExpired, *task_id)),
        )?;
        give_back(conn, *task_id, agent)?;
    }
    Ok(due.into_iter().map(|(id, _)| id).collect())
}

/// When the next lease expires (unix ms), if any is held.
pub fn next_expiry(conn: &mut Conn) -> DomainResult<Option<i64>> {
    Ok(l::table
        .select(diesel::dsl::min(l::expires_at))
        .get_result(conn)?)
}

/// The leases of `task_ids` (for task views), by task.
pub fn infos(
    conn: &mut Conn,
    task_ids: &[i32],
) -> DomainResult<std::collections::HashMap<i32, LeaseInfo>> {
    let rows: Vec<(i32, String, i64)> = match task_ids {
        [] => Vec::new(),
        [one] => {
            let query =
                l::table
                    .filter(l::task_id.eq(*one))
                    .select((l::task_id, l::agent, l::expires_at));
            super::natively!(conn, |c| query.load(c))?
        }
        many => l::table
            .filter(l::task_id.eq_any(many))
            .select((l::task_id, l::agent, l::expires_at))
            .load(conn)?,
    };
    Ok(rows
        .into_iter()
        .map(|(id, holder, expires)| {
            (
                id,
                LeaseInfo {
                    holder,
                    expires_at: iso_millis(expires),
                },
            )
        })
        .collect())
}

/// Result of `release_task`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Released {
    pub released: bool,
    pub task: super::views::Task,
    /// The comment added with the release, if one was given.
    pub comment: Option<super::views::Comment>,
    pub message: String,
}

/// `release_task`: `agent` gives its claim on `task_id` back (see [`give_back`]), optionally with a
/// comment explaining why.
pub fn release(
    conn: &mut Conn,
    task_id: i32,
    agent: &str,
    comment: Option<String>,
    token: Option<&str>,
) -> DomainResult<Released> {
    let comment = comment
        .map(|c| super::text::required_max("comment", &c, super::limits::current().comment()))
        .transpose()?;
    let row = super::tasks::find_row(conn, "Task", task_id)?;
    check_token(conn, task_id, token)?;
    match find(conn, task_id)? {
        Some(lease) if lease.agent != agent => {
            return Err(DomainError::Rule(format!(
                "Task {task_id} is claimed by {}, not by {agent}: only the holder can release it",
                lease.agent
            )));
        }
        Some(_) => {}
        None if row.status == TaskStatus::Working.as_str()
            && row.assigned_to.as_deref() == Some(agent) => {}
        None => {
            return Err(DomainError::Rule(format!(
                "Task {task_id} is not claimed by {agent} (status {}, assigned to {})",
                row.status,
                row.assigned_to.as_deref().unwrap_or("no one")
            )));
        }
    }
    context::act(conn, Some(agent), Some((Intent::Released, task_id)))?;
    let comment = match comment {
        Some(text) => Some(super::comments::insert(
            conn,
            task_id,
            text,
            Some(agent.to_string()),
        )?),
        None => None,
    };
    give_back(conn, task_id, agent)?;
    Ok(Released {
        released: true,
        task: super::tasks::get(conn, task_id)?,
        comment,
        message: format!("Task {task_id} released by {agent}"),
    })
}

/// Arguments of `heartbeat`.
#[derive(Debug, Clone, serde::Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HeartbeatArgs {
    #[serde(deserialize_with = "super::input::id")]
    #[schemars(with = "crate::domain::input::IdSchema")]
    pub task_id: i32,
    /// The holder of the lease.
    pub agent_name: String,
    /// The claim's token: rejected when no longer current.
    #[serde(default)]
    pub lease_token: Option<String>,
}

/// Arguments of `release_task`.
#[derive(Debug, Clone, serde::Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReleaseArgs {
    #[serde(deserialize_with = "super::input::id")]
    #[schemars(with = "crate::domain::input::IdSchema")]
    pub task_id: i32,
    /// The lease holder (with leases off: the working assignee).
    pub agent_name: String,
    /// Why: stored as a comment by agent_name.
    #[serde(default)]
    pub comment: Option<String>,
    /// The claim's token: rejected when no longer current.
    #[serde(default)]
    pub lease_token: Option<String>,
}

fn holder_name(agent_name: &str) -> DomainResult<String> {
    super::text::required_max("agent_name", agent_name, super::limits::current().name())
}

/// `heartbeat` with its arguments.
pub fn heartbeat_tool(conn: &mut Conn, args: HeartbeatArgs) -> DomainResult<Heartbeat> {
    let agent = holder_name(&args.agent_name)?;
    heartbeat(conn, args.task_id, &agent, args.lease_token.as_deref())
}

/// `release_task` with its arguments.
pub fn release_tool(conn: &mut Conn, args: ReleaseArgs) -> DomainResult<Released> {
    let agent = holder_name(&args.agent_name)?;
    release(
        conn,
        args.task_id,
        &agent,
        args.comment,
        args.lease_token.as_deref(),
    )
}
