//! The durable event feed: every change, appended in the transaction of the change (see
//! `domain::changes::flush`), read back in cursor order by `get_events`, pruned after the retention period.
//!
//! `task_history` stays what it was in 2.x — the per-task audit of chosen fields, in its own shape — and is
//! written by the domain as before; the feed is the board-wide, ordered log of everything, derived from
//! the row changes themselves, so no operation can forget to report one.

pub mod context;
pub mod derive;

use super::limits;
use super::{DomainError, DomainResult, input};
use crate::db::schema::task_events as e;
use crate::domain::Conn;
use derive::Draft;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One captured row change (see `db::capture`).
#[derive(Debug, Clone, Default, Queryable, Selectable)]
#[diesel(table_name = crate::db::capture::tinytask_changes, check_for_backend(crate::domain::MultiBackend))]
pub struct Captured {
    pub seq: i64,
    pub tbl: String,
    pub op: String,
    pub task_id: i32,
    pub row_id: Option<i32>,
    pub agent: Option<String>,
    pub prior_agent: Option<String>,
    pub queue: Option<String>,
    pub prior_queue: Option<String>,
    pub old: Option<String>,
    pub new: Option<String>,
    pub actor: Option<String>,
    pub intent: Option<String>,
}

/// Appends events to the feed (inside the write's transaction); returns their first and last cursor.
///
/// SQLite numbers them itself (AUTOINCREMENT; one writer at a time makes that commit order). PostgreSQL
/// takes them from `tinytask_event_clock`, whose row lock orders the writes of every replica by commit
/// (see its migration).
pub(crate) fn append(conn: &mut Conn, drafts: &[Draft]) -> DomainResult<Option<(i64, i64)>> {
    if drafts.is_empty() {
        return Ok(None);
    }
    let mut next = match conn {
        Conn::Sqlite(_) => None,
        Conn::Pg(_) => Some(reserve_cursors(conn, drafts.len() as i64)?),
    };
    let mut range: Option<(i64, i64)> = None;
    for d in drafts {
        let values = (
            e::kind.eq(d.kind),
            e::task_id.eq(d.task_id),
            e::actor.eq(&d.actor),
            e::assignee.eq(&d.assignee),
            e::prior_assignee.eq(&d.prior_assignee),
            e::queue.eq(&d.queue),
            e::prior_queue.eq(&d.prior_queue),
            e::fields.eq(Value::Object(d.fields.clone()).to_string()),
        );
        let cursor: i64 = match next.as_mut() {
            None => diesel::insert_into(e::table)
                .values(values)
                .returning(e::cursor)
                .get_result(conn)?,
            Some(next) => {
                let cursor = *next;
                *next += 1;
                diesel::insert_into(e::table)
                    .values((e::cursor.eq(cursor), values))
                    .execute(conn)?;
                cursor
            }
        };
        range = Some(range.map_or((cursor, cursor), |(first, _)| (first, cursor)));
    }
    Ok(range)
}

/// PostgreSQL: advances the event clock by `n` and returns the first of the `n` cursors it handed out.
fn reserve_cursors(conn: &mut Conn, n: i64) -> DomainResult<i64> {
    #[derive(QueryableByName)]
    struct Last {
        #[diesel(sql_type = BigInt)]
        last: i64,
    }
    let last: Last = diesel::sql_query(
        "UPDATE tinytask_event_clock SET last = last + $1 WHERE id = 1 RETURNING last",
    )
    .bind::<BigInt, _>(n)
    .get_result(conn)?;
    Ok(last.last - n + 1)
}

/// One event of the feed.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Event {
    /// Strictly increasing position in the feed; pass the last one seen as `after`.
    pub cursor: i64,
    /// When the change committed (ISO 8601 UTC, milliseconds).
    pub at: String,
    /// task_created, task_updated, task_claimed, task_released, lease_expired, lease_renewed, task_moved,
    /// task_archived, task_deleted, comment_added/changed/moved/deleted, link_added/changed/moved/deleted,
    /// dependency_added, dependency_removed.
    pub kind: String,
    pub task_id: Option<i32>,
    /// Who made the change (null when the tool names no one; tinytask:propagation, tinytask:lease for
    /// changes TinyTask makes itself).
    pub actor: Option<String>,
    /// The task's assignee after the change (before it, for a deletion).
    pub assignee: Option<String>,
    /// The assignee before the change, when it changed.
    pub prior_assignee: Option<String>,
    /// The task's queue after the change (before it, for a deletion).
    pub queue: Option<String>,
    /// The queue before the change, when it changed.
    pub prior_queue: Option<String>,
    /// Each changed field: {"old": …, "new": …}.
    pub fields: Map<String, Value>,
}

/// A `task_events` row as stored (also what `tinytask copy-data` writes back unchanged).
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = e, treat_none_as_default_value = false)]
pub(crate) struct EventRow {
    pub cursor: i64,
    pub at: String,
    pub kind: String,
    pub task_id: Option<i32>,
    pub actor: Option<String>,
    pub assignee: Option<String>,
    pub prior_assignee: Option<String>,
    pub queue: Option<String>,
    pub prior_queue: Option<String>,
    pub fields: String,
}

impl From<EventRow> for Event {
    fn from(r: EventRow) -> Self {
        Event {
            cursor: r.cursor,
            at: r.at,
            kind: r.kind,
            task_id: r.task_id,
            actor: r.actor,
            assignee: r.assignee,
            prior_assignee: r.prior_assignee,
            queue: r.queue,
            prior_queue: r.prior_queue,
            fields: serde_json::from_str(&r.fields).unwrap_or_default(),
        }
    }
}

/// Arguments of `get_events`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetEvents {
    /// Return events after this cursor (default 0: from the oldest retained event). Pass next_cursor.
    #[serde(default, deserialize_with = "input::opt_int")]
    #[schemars(with = "Option<i64>")]
    pub after: Option<i64>,
    /// Most events to return, 1-1000 (default 100).
    #[serde(default, deserialize_with = "input::opt_int")]
    #[schemars(with = "Option<i64>")]
    pub limit: Option<i64>,
    /// Only events of this task.
    #[serde(default, deserialize_with = "input::opt_id")]
    #[schemars(with = "Option<crate::domain::input::IdSchema>")]
    pub task_id: Option<i32>,
    /// Only events this agent made or that concern a task assigned to it (before or after the change).
    #[serde(default)]
    pub agent_name: Option<String>,
    /// Only events of tasks in this queue (before or after the change).
    #[serde(default)]
    pub queue_name: Option<String>,
    /// When no event matches yet, wait up to this many seconds (0-300, default 0) for one to commit.
    #[serde(default, deserialize_with = "input::opt_int")]
    #[schemars(with = "Option<i64>")]
    pub wait_secs: Option<i64>,
}

pub const MAX_WAIT_SECS: i64 = 300;
const DEFAULT_LIMIT: i64 = 100;
const MAX_LIMIT: i64 = 1000;

impl GetEvents {
    /// Checks every argument (before any waiting), naming the parameter and its allowed values.
    pub fn validate(&self) -> DomainResult<()> {
        if let Some(a) = self.after.filter(|a| *a < 0) {
            return Err(DomainError::invalid(
                "after",
                format!("must be a cursor ≥ 0, got {a}"),
            ));
        }
        limits::within("limit", self.limit, DEFAULT_LIMIT, 1..=MAX_LIMIT, "")?;
        limits::within(
            "wait_secs",
            self.wait_secs,
            0,
            0..=MAX_WAIT_SECS,
            " seconds",
        )?;
        Ok(())
    }
}

/// Result of `get_events`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct EventPage {
    pub count: usize,
    pub events: Vec<Event>,
    /// Pass as `after` to continue: the last returned event, or (when none matched) the newest event the
    /// read saw, so filtered reads do not scan the same events again.
    pub next_cursor: i64,
    /// More matching events follow (the limit or the response size limit was reached).
    pub has_more: bool,
    /// The oldest event still retained (older ones were pruned); null when the feed is empty. An `after`
    /// below oldest_cursor - 1 means events were missed.
    pub oldest_cursor: Option<i64>,
}

/// Events matching `args` after `args.after`, in cursor order.
pub fn page(conn: &mut Conn, args: &GetEvents) -> DomainResult<EventPage> {
    args.validate()?;
    let after = args.after.unwrap_or(0);
    let limit = args.limit.unwrap_or(DEFAULT_LIMIT);
    let mut query = e::table
        .filter(e::cursor.gt(after))
        .order(e::cursor.asc())
        .select(EventRow::as_select())
        .limit(limit + 1)
        .into_boxed();
    if let Some(task) = args.task_id {
        query = query.filter(e::task_id.eq(task));
    }
    if let Some(agent) = args.agent_name.as_deref() {
        query = query.filter(
            e::actor
                .eq(agent)
                .or(e::assignee.eq(agent))
                .or(e::prior_assignee.eq(agent)),
        );
    }
    if let Some(queue) = args.queue_name.as_deref() {
        query = query.filter(e::queue.eq(queue).or(e::prior_queue.eq(queue)));
    }
    let rows: Vec<EventRow> = query.load(conn)?;
    let (newest, oldest): (Option<i64>, Option<i64>) = e::table
        .select((diesel::dsl::max(e::cursor), diesel::dsl::min(e::cursor)))
        .get_result(conn)?;
    let mut events: Vec<Event> = rows.into_iter().map(Event::from).collect();
    let mut has_more = events.len() as i64 > limit;
    events.truncate(limit as usize);
    let cap = limits::current().response_bytes;
    has_more |= limits::fit(&mut events, 160, cap);
    let next_cursor = match events.last() {
        Some(last) if has_more => last.cursor,
        Some(last) => last.cursor.max(newest.unwrap_or(0)),
        None => after.max(newest.unwrap_or(0)),
    };
    Ok(EventPage {
        count: events.len(),
        events,
        next_cursor,
        has_more,
        oldest_cursor: oldest,
    })
}

/// The newest cursor (0 when the feed is empty).
pub fn newest(conn: &mut Conn) -> DomainResult<i64> {
    Ok(e::table
        .select(diesel::dsl::max(e::cursor))
        .get_result::<Option<i64>>(conn)?
        .unwrap_or(0))
}

/// Deletes up to `batch` events older than `days` days, oldest first; returns how many. Cursor order is
/// time order, so the scan stops at the first `batch` events instead of reading the whole feed.
pub fn prune(conn: &mut Conn, days: u32, batch: i64) -> DomainResult<usize> {
    let sql = match conn.backend() {
        super::Backend::Sqlite => {
            "DELETE FROM task_events WHERE cursor IN (SELECT cursor FROM \
               (SELECT cursor, at FROM task_events ORDER BY cursor LIMIT ?) \
             WHERE at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?))"
        }
        super::Backend::Postgres => {
            "DELETE FROM task_events WHERE cursor IN (SELECT cursor FROM \
               (SELECT cursor, at FROM task_events ORDER BY cursor LIMIT $1) oldest \
             WHERE at < to_char((now() + $2::interval) AT TIME ZONE 'UTC', \
                                'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'))"
        }
    };
    Ok(diesel::sql_query(sql)
        .bind::<BigInt, _>(batch)
        .bind::<Text, _>(format!("-{days} days"))
        .execute(conn)?)
}
