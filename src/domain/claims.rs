//! Claims: which idle, unblocked task an agent takes next — its own, or the most urgent of a queue's pool
//! — and taking it, with a lease. `signup_for_task`, `wait_for_task` and `list_ready_tasks` share one
//! definition of "claimable, in claim order", so what `list_ready_tasks` shows is exactly what a claim
//! would take, in that order.

use super::events::context::{self, Intent};
use super::leases::{self, LeaseGrant};
use super::projection::{Listed, Projection};
use super::rows::TaskRow;
use super::tasks::{self, find_row};
use super::views::TaskWithRelations;
use super::{DomainResult, TaskStatus, blocking, hierarchy, history, input, limits, text};
use crate::db::schema::tasks as t;
use crate::domain::Conn;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Arguments of `signup_for_task` (agent_name is the 2.x contract; the rest are optional additions).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Claim {
    /// The agent's name, exactly as tasks are assigned to it.
    pub agent_name: String,
    /// Claim from this queue's pool instead: its most urgent idle, unblocked task that is unassigned or
    /// assigned to agent_name (it becomes assigned to the agent).
    #[serde(default)]
    pub queue_name: Option<String>,
    /// Lease seconds, 0-604800 (0: none; default TINYTASK_LEASE_SECS).
    #[serde(default, deserialize_with = "input::opt_int")]
    #[schemars(with = "Option<i64>")]
    pub lease_secs: Option<i64>,
}

/// Result of `signup_for_task` and `wait_for_task`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Signup {
    pub agent: String,
    /// Whether a task was claimed.
    pub claimed: bool,
    /// The claimed task (now `working`), with its comments, links and history; null when none was free.
    pub task: Option<TaskWithRelations>,
    pub message: String,
    /// The claim's lease (null when nothing was claimed or leases are off): renew it with heartbeat before
    /// expires_at, or the task goes back to idle (and to its queue's pool).
    pub lease: Option<LeaseGrant>,
}

/// Where a claim looks, with its validated names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The agent's own tasks (2.x signup).
    Agent(String),
    /// A queue's pool as seen by one agent: unassigned or assigned to it.
    Pool { agent: String, queue: String },
    /// A queue's unassigned tasks (what any new member of the pool would take).
    Queue(String),
    /// Every task.
    Board,
}

/// "Unblocked": no dependency — the 2.x `blocked_by_task_id` or a `task_dependencies` row — is open
/// (an open task is neither complete nor archived). Shared by every claim-order query below.
macro_rules! claimable_sql {
    ($scope:literal) => {
        concat!(
            "SELECT t.id AS id FROM tasks t WHERE t.status = 'idle' AND t.archived_at IS NULL AND ",
            $scope,
            " AND NOT EXISTS (SELECT 1 FROM tasks b WHERE b.id = t.blocked_by_task_id \
               AND b.status <> 'complete' AND b.archived_at IS NULL) \
             AND NOT EXISTS (SELECT 1 FROM task_dependencies d WHERE d.task_id = t.id AND EXISTS \
               (SELECT 1 FROM tasks b WHERE b.id = d.depends_on_task_id \
                AND b.status <> 'complete' AND b.archived_at IS NULL)) \
             ORDER BY t.priority DESC, t.created_at, t.id"
        )
    };
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = Integer)]
    id: i32,
}

/// The first `n` claimable tasks of `scope`, in claim order. Reads them one by one and stops (no bound
/// LIMIT, which SQLite would re-plan on every call); the list-order indexes make the walk ordered.
pub fn claimable(conn: &mut Conn, scope: &Scope, n: usize) -> DomainResult<Vec<i32>> {
    use diesel::connection::DefaultLoadingMode as Mode;
    let sql = match scope {
        Scope::Agent(_) => claimable_sql!("t.assigned_to = ?1"),
        Scope::Pool { .. } => {
            claimable_sql!("t.queue_name = ?2 AND (t.assigned_to IS NULL OR t.assigned_to = ?1)")
        }
        Scope::Queue(_) => claimable_sql!("t.queue_name = ?1 AND t.assigned_to IS NULL"),
        Scope::Board => claimable_sql!("1 = 1"),
    };
    // PostgreSQL sends the whole result at once (diesel has no row-by-row mode for it), so the walk is
    // bounded there by a LIMIT; SQLite steps through the rows and stops after `n`.
    let sql = match conn.backend() {
        super::Backend::Sqlite => std::borrow::Cow::Borrowed(sql),
        super::Backend::Postgres => {
            format!("{} LIMIT {n}", super::dialect::placeholders(conn, sql)).into()
        }
    };
    let query = diesel::sql_query(sql.as_ref()).into_boxed::<super::MultiBackend>();
    let query = match scope {
        Scope::Agent(agent) => query.bind::<Text, _>(agent),
        Scope::Pool { agent, queue } => query.bind::<Text, _>(agent).bind::<Text, _>(queue),
        Scope::Queue(queue) => query.bind::<Text, _>(queue),
        Scope::Board => query,
    };
    let rows: Vec<QueryResult<IdRow>> = query.load_iter::<IdRow, Mode>(conn)?.take(n).collect();
    Ok(rows
        .into_iter()
        .map(|r| r.map(|r| r.id))
        .collect::<QueryResult<_>>()?)
}

/// Validates a claim's agent and queue into its scope.
pub fn scope(agent_name: &str, queue_name: Option<&str>) -> DomainResult<Scope> {
    let agent = text::required_max("agent_name", agent_name, limits::current().name())?;
    Ok(match queue_name {
        Some(q) => Scope::Pool {
            agent,
            queue: text::queue_name("queue_name", q)?,
        },
        None => Scope::Agent(agent),
    })
}

impl Scope {
    /// The claiming agent (empty for the scopes only `list_ready_tasks` reads).
    pub fn agent(&self) -> &str {
        match self {
            Scope::Agent(agent) | Scope::Pool { agent, .. } => agent,
            Scope::Queue(_) | Scope::Board => "",
        }
    }
}

/// `signup_for_task`: claims the most urgent claimable task of the agent (or of the queue's pool) and sets
/// it to `working`, with a lease. Runs inside the writer's IMMEDIATE transaction, so a task is claimed
/// exactly once however many agents and processes ask at the same moment.
pub fn signup(conn: &mut Conn, args: Claim) -> DomainResult<Signup> {
    let scope = scope(&args.agent_name, args.queue_name.as_deref())?;
    let length = leases::duration(args.lease_secs)?;
    claim(conn, &scope, length)
}

/// Claims the first claimable task of `scope` (an agent's or a pool's) for its agent.
pub fn claim(
    conn: &mut Conn,
    scope: &Scope,
    length: Option<std::time::Duration>,
) -> DomainResult<Signup> {
    let agent = scope.agent().to_string();
    let Some(id) = claimable(conn, scope, 1)?.into_iter().next() else {
        let message = match scope {
            Scope::Pool { queue, .. } => {
                format!("No idle, unblocked tasks available for agent {agent} in queue {queue}")
            }
            _ => format!("No idle, unblocked tasks available for agent {agent}"),
        };
        return Ok(Signup {
            agent,
            claimed: false,
            task: None,
            message,
            lease: None,
        });
    };
    let row = find_row(conn, "Task", id)?;
    context::act(conn, Some(&agent), Some((Intent::Claimed, id)))?;
    let pooled = row.assigned_to.is_none();
    diesel::update(t::table.filter(t::id.eq(id)))
        .set((
            t::status.eq(TaskStatus::Working.as_str()),
            t::assigned_to.eq(&agent),
            t::updated_at.eq(super::clock::now(conn)),
        ))
        .execute(conn)?;
    if pooled {
        history::record(
            conn,
            id,
            "assigned_to",
            None,
            Some(agent.clone()),
            Some(&agent),
        )?;
    }
    history::record(
        conn,
        id,
        "status",
        Some(row.status),
        Some(TaskStatus::Working.as_str().into()),
        Some(&agent),
    )?;
    hierarchy::propagate_status(conn, row.parent_task_id)?;
    let lease = match length {
        Some(length) => Some(leases::grant(conn, id, &agent, length, pooled)?),
        None => None,
    };
    let from = match scope {
        Scope::Pool { queue, .. } => format!(" from queue {queue}"),
        _ => String::new(),
    };
    Ok(Signup {
        message: format!("Task {id} claimed by {agent}{from} and set to working"),
        claimed: true,
        task: Some(tasks::get_with_relations(conn, id)?),
        agent,
        lease,
    })
}

/// Arguments of `list_ready_tasks`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListReady {
    /// Its own tasks, or with queue_name the queue's pool as it sees it (unassigned or its own).
    #[serde(default)]
    pub agent_name: Option<String>,
    /// Only this queue; without agent_name, its unassigned tasks.
    #[serde(default)]
    pub queue_name: Option<String>,
    /// 1-1000 (default 50).
    #[serde(default, deserialize_with = "input::opt_int")]
    #[schemars(with = "Option<i64>")]
    pub limit: Option<i64>,
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub fields: Option<Vec<crate::domain::projection::TaskField>>,
    #[serde(default)]
    #[schemars(with = "crate::domain::projection::View")]
    pub view: Option<crate::domain::projection::View>,
}

/// Result of `list_ready_tasks`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ReadyTasks {
    pub agent_name: Option<String>,
    pub queue_name: Option<String>,
    pub count: usize,
    /// In claim order: the first is what signup_for_task would take next.
    pub tasks: Vec<Listed>,
    #[serde(flatten)]
    pub cut: limits::Cut,
}

limits::impl_paged!(ReadyTasks, Listed, tasks, count);

const READY_DEFAULT: i64 = 50;
const READY_MAX: i64 = 1000;

/// `list_ready_tasks`: idle, unblocked, non-archived tasks in claim order.
pub fn ready(conn: &mut Conn, args: ListReady) -> DomainResult<ReadyTasks> {
    use limits::Paged;
    let limit = limits::within("limit", args.limit, READY_DEFAULT, 1..=READY_MAX, "")?;
    let keep = Projection::new(args.fields.as_deref(), args.view)?;
    let queue = text::optional_queue_name("queue_name", args.queue_name.as_deref())?;
    let agent = text::optional_max(
        "agent_name",
        args.agent_name.as_deref(),
        limits::current().name(),
    )?;
    let scope = match (agent.clone(), queue.clone()) {
        (Some(agent), Some(queue)) => Scope::Pool { agent, queue },
        (Some(agent), None) => Scope::Agent(agent),
        (None, Some(queue)) => Scope::Queue(queue),
        (None, None) => Scope::Board,
    };
    let ids = claimable(conn, &scope, limit as usize)?;
    let mut rows: Vec<TaskRow> = match ids.as_slice() {
        [] => Vec::new(),
        ids => t::table
            .filter(t::id.eq_any(ids))
            .select(TaskRow::as_select())
            .load(conn)?,
    };
    rows.sort_by_key(|r| ids.iter().position(|id| *id == r.id()));
    let views = blocking::to_listed(conn, rows, keep)?;
    let shell = ReadyTasks {
        agent_name: agent,
        queue_name: queue,
        count: 0,
        tasks: Vec::new(),
        cut: limits::Cut::default(),
    };
    Ok(shell.paged(views, 0, limits::current().response_bytes))
}
