//! Change capture, read back: what one write changed, for live push and for the event feed.
//!
//! Every pooled connection carries TEMP triggers (`db::capture`) that append a row to the connection's
//! `temp.tinytask_changes` table for each insert/update/delete on tasks, comments, links, leases and
//! dependencies — including the rows changed by cascades and parent-status propagation. The writer calls
//! [`flush`] at the end of each write, inside that write's savepoint: the write's events are appended to
//! the feed in its own transaction (a rolled-back write leaves neither rows nor events), and what it
//! touched is returned for the listeners, who hear of it after the commit.

use super::DomainResult;
use super::events::derive::Draft;
use super::events::{self, Captured};
use crate::db::capture::tinytask_changes as captured;
use crate::domain::Conn;
use diesel::prelude::*;
use std::collections::BTreeSet;

/// What one committed write (or batch of writes) touched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    pub tasks: BTreeSet<i32>,
    /// Assignees before and after (a re-assigned task changes both agents' queues).
    pub agents: BTreeSet<String>,
    /// Queues before and after.
    pub queues: BTreeSet<String>,
    /// The cursors of the events appended to the feed (first, last): contiguous within one transaction.
    pub cursors: Option<(i64, i64)>,
    /// What the write did that the metrics count (claims, lease grants and expiries).
    pub tally: Tally,
}

/// Counted from the events and captured rows of committed writes only: a write rolled back to its
/// savepoint (or run again after its batch was abandoned) counts nothing twice.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Claims of the agent's own task.
    pub personal_claims: u64,
    /// Claims of an unassigned task from a queue's pool (the claim assigned it).
    pub pool_claims: u64,
    /// Leases granted (a lease row inserted: every claim with a lease).
    pub lease_grants: u64,
    pub lease_expiries: u64,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.personal_claims += other.personal_claims;
        self.pool_claims += other.pool_claims;
        self.lease_grants += other.lease_grants;
        self.lease_expiries += other.lease_expiries;
    }

    fn count(rows: &[Captured], drafts: &[Draft]) -> Tally {
        let mut tally = Tally::default();
        for draft in drafts {
            match draft.kind {
                // A pool claim is the one that assigns the task (it was unassigned).
                "task_claimed" if draft.fields.contains_key("assigned_to") => {
                    tally.pool_claims += 1;
                }
                "task_claimed" => tally.personal_claims += 1,
                "lease_expired" => tally.lease_expiries += 1,
                _ => {}
            }
        }
        tally.lease_grants = rows
            .iter()
            .filter(|r| r.tbl == "task_leases" && r.op == "insert")
            .count() as u64;
        tally
    }

    /// As the metrics take it.
    pub fn committed(self) -> crate::metrics::Committed {
        crate::metrics::Committed {
            personal_claims: self.personal_claims,
            pool_claims: self.pool_claims,
            lease_grants: self.lease_grants,
            lease_expiries: self.lease_expiries,
        }
    }
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Adds what `other` touched.
    pub fn merge(&mut self, other: Changes) {
        self.tasks.extend(other.tasks);
        self.agents.extend(other.agents);
        self.queues.extend(other.queues);
        self.cursors = match (self.cursors, other.cursors) {
            (Some((a, b)), Some((c, d))) => Some((a.min(c), b.max(d))),
            (mine, theirs) => mine.or(theirs),
        };
        self.tally.add(other.tally);
    }

    fn note(&mut self, row: &Captured) {
        self.tasks.insert(row.task_id);
        // A comment or link changes its task, not the lists of tasks its assignee's or queue's resources
        // show (their rows carry the task's assignee and queue for the feed's filters only).
        if matches!(row.tbl.as_str(), "comments" | "links") {
            return;
        }
        for agent in [&row.agent, &row.prior_agent].into_iter().flatten() {
            self.agents.insert(agent.clone());
        }
        for queue in [&row.queue, &row.prior_queue].into_iter().flatten() {
            self.queues.insert(queue.clone());
        }
    }
}

/// Reads and clears the connection's captured rows and write context, appends the events they make to the
/// feed, and returns what they touched. Call inside the write's transaction, after the write.
pub(crate) fn flush(conn: &mut Conn) -> DomainResult<Changes> {
    let rows: Vec<Captured> = captured::table
        .order(captured::seq.asc())
        .select(Captured::as_select())
        .load(conn)?;
    events::context::clear(conn)?;
    if rows.is_empty() {
        return Ok(Changes::default());
    }
    diesel::delete(captured::table).execute(conn)?;
    let mut changes = Changes::default();
    rows.iter().for_each(|row| changes.note(row));
    let drafts = events::derive::events(&rows);
    changes.cursors = events::append(conn, &drafts)?;
    changes.tally = Tally::count(&rows, &drafts);
    Ok(changes)
}
