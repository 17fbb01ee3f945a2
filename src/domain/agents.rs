//! What agents do with their work: read their queue, claim the next task, hand a task over.

use super::blocking;
use super::claims::{self, Signup};
use super::events::context::{self, Intent};
use super::hierarchy;
use super::history;
use super::input;
use super::leases;
use super::limits::{self, Cut, Paged, impl_paged};
use super::projection::{self, Listed, Projection};
use super::rows::{CommentRow, TaskRow};
use super::tasks::{self, find_row};
use super::text;
use super::views::{Comment, Task};
use super::{DomainError, DomainResult, TaskStatus};
use crate::db::schema::{comments, tasks as t};
use crate::domain::Conn;
use diesel::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Arguments of `get_my_queue`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MyQueue {
    /// The agent's name, exactly as tasks are assigned to it.
    pub agent_name: String,
    /// Number of tasks to skip (≥ 0); pass a cut result's next_offset to get the rest.
    #[serde(default, deserialize_with = "input::opt_int")]
    #[schemars(with = "Option<i64>")]
    pub offset: Option<i64>,
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub fields: Option<Vec<crate::domain::projection::TaskField>>,
    #[serde(default)]
    #[schemars(with = "crate::domain::projection::View")]
    pub view: Option<crate::domain::projection::View>,
}

/// Result of `get_my_queue`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct AgentQueue {
    pub agent: String,
    pub count: usize,
    pub tasks: Vec<Listed>,
    #[serde(flatten)]
    pub cut: Cut,
}

fn open_work(agent: &str) -> t::BoxedQuery<'_, crate::domain::MultiBackend> {
    t::table
        .filter(t::assigned_to.eq(agent))
        // Two `=` instead of `IN (…)`, which diesel prepares anew on every call.
        .filter(
            t::status
                .eq(TaskStatus::Idle.as_str())
                .or(t::status.eq(TaskStatus::Working.as_str())),
        )
        .filter(t::archived_at.is_null())
        .into_boxed()
}

/// The agent's open work: assigned, idle or working, not archived (blocked tasks included and flagged),
/// from `offset`, cut to the response limit.
pub fn my_queue(conn: &mut Conn, args: MyQueue) -> DomainResult<AgentQueue> {
    let agent = text::required("agent_name", &args.agent_name)?;
    let offset = limits::offset(args.offset)?;
    let keep = Projection::new(args.fields.as_deref(), args.view)?;
    let cap = limits::current().response_bytes;
    let query = open_work(&agent)
        .order((t::priority.desc(), t::created_at.asc(), t::id.asc()))
        .select(TaskRow::as_select())
        .limit(limits::NO_LIMIT)
        .offset(offset);
    let rows = limits::load_bounded_by(conn, query, usize::MAX, cap, |r| {
        projection::min_json(r, keep)
    })?;
    let tasks = blocking::to_listed(conn, rows, keep)?;
    let shell = AgentQueue {
        agent,
        count: 0,
        tasks: Vec::new(),
        cut: Cut::default(),
    };
    Ok(shell.paged(tasks, offset, cap))
}

impl_paged!(AgentQueue, Listed, tasks, count);

/// Status and priority of each of the agent's open tasks (for `queue://{agent_name}/summary`, which
/// counts them: two small columns per task instead of whole tasks, so it needs no cut).
pub fn open_work_counts(
    conn: &mut Conn,
    agent_name: &str,
) -> DomainResult<Vec<(String, Option<i32>)>> {
    let agent = text::required("agent_name", agent_name)?;
    Ok(open_work(&agent)
        .select((t::status, t::priority))
        .load(conn)?)
}

/// `signup_for_task` with only the 2.x argument (see `claims::signup`).
pub fn signup(conn: &mut Conn, agent_name: &str) -> DomainResult<Signup> {
    claims::signup(
        conn,
        claims::Claim {
            agent_name: agent_name.to_string(),
            ..claims::Claim::default()
        },
    )
}

/// Arguments of `move_task`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveTask {
    #[serde(deserialize_with = "input::id")]
    #[schemars(with = "crate::domain::input::IdSchema")]
    pub task_id: i32,
    /// Its assignee now (exact match).
    pub current_agent: String,
    pub new_agent: String,
    /// Hand-off note for new_agent (non-blank), stored as a comment by current_agent.
    pub comment: String,
    /// current_agent's claim token: rejected when it is no longer current. The move ends that lease.
    #[serde(default)]
    pub lease_token: Option<String>,
}

/// Result of `move_task`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Moved {
    pub task: Task,
    pub comment: Comment,
}

/// Hands a task from one agent to another with a note; the task goes back to `idle` for the new agent.
pub fn move_task(conn: &mut Conn, args: MoveTask) -> DomainResult<Moved> {
    let limits = limits::current();
    let current = text::required_max("current_agent", &args.current_agent, limits.name())?;
    let new_agent = text::required_max("new_agent", &args.new_agent, limits.name())?;
    let note = text::required_max("comment", &args.comment, limits.comment())?;
    let row = find_row(conn, "Task", args.task_id)?;
    leases::check_token(conn, args.task_id, args.lease_token.as_deref())?;
    if row.assigned_to.as_deref() != Some(current.as_str()) {
        return Err(DomainError::Rule(format!(
            "Task {} is not assigned to {current} (currently assigned to: {})",
            args.task_id,
            row.assigned_to.as_deref().unwrap_or("no one")
        )));
    }
    if row.status == TaskStatus::Complete.as_str() {
        return Err(DomainError::Rule(format!(
            "Task {} with status 'complete' cannot be transferred (only 'idle' or 'working' tasks can)",
            args.task_id
        )));
    }
    context::act(conn, Some(&current), Some((Intent::Moved, args.task_id)))?;
    diesel::update(t::table.filter(t::id.eq(args.task_id)))
        .set((
            t::assigned_to.eq(&new_agent),
            t::previous_assigned_to.eq(&current),
            t::status.eq(TaskStatus::Idle.as_str()),
            t::updated_at.eq(super::clock::now(conn)),
        ))
        .execute(conn)?;
    history::record(
        conn,
        args.task_id,
        "assigned_to",
        Some(current.clone()),
        Some(new_agent),
        Some(&current),
    )?;
    history::record(
        conn,
        args.task_id,
        "status",
        Some(row.status),
        Some("idle".into()),
        Some(&current),
    )?;
    let comment: CommentRow = diesel::insert_into(comments::table)
        .values((
            comments::task_id.eq(args.task_id),
            comments::content.eq(note),
            comments::created_by.eq(&current),
        ))
        .returning(comments::all_columns)
        .get_result(conn)?;
    hierarchy::propagate_status(conn, row.parent_task_id)?;
    leases::settle(conn, args.task_id)?;
    Ok(Moved {
        task: tasks::get(conn, args.task_id)?,
        comment: comment.into(),
    })
}

/// Distinct assignees of non-archived tasks, sorted (for completion of `{agent_name}`).
pub fn known_agents(conn: &mut Conn) -> DomainResult<Vec<String>> {
    Ok(t::table
        .filter(t::archived_at.is_null())
        .filter(t::assigned_to.is_not_null())
        .select(t::assigned_to)
        .distinct()
        .order(t::assigned_to.asc())
        .load::<Option<String>>(conn)?
        .into_iter()
        .flatten()
        .collect())
}
