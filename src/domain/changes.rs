//! Change capture, read back: what one write changed, for live push and for the event feed.
//!
//! Every pooled connection carries TEMP triggers (`db::capture`) that append a row to the connection's
//! `temp.tinytask_changes` table for each insert/update/delete on tasks, comments, links, leases and
//! dependencies — including the rows changed by cascades and parent-status propagation. The writer calls
//! [`flush`] at the end of each write, inside that write's savepoint: the write's events are appended to
//! the feed in its own transaction (a rolled-back write leaves neither rows nor events), and what it
//! touched is returned for the listeners, who hear of it after the commit.

use super::DomainResult;
use super::events::{self, Captured};
use crate::db::capture::tinytask_changes as captured;
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
pub(crate) fn flush(conn: &mut SqliteConnection) -> DomainResult<Changes> {
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
    changes.cursors = events::append(conn, &events::derive::events(&rows))?;
    Ok(changes)
}
