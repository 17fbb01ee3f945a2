//! Change capture for live push: which tasks, agents and queues a committed write touched.
//!
//! Every pooled connection carries TEMP triggers (see `db::pool::CHANGE_TRIGGERS`) that append a row to the
//! connection's `temp.tinytask_changes` table for each insert/update/delete on tasks, comments and links —
//! including the rows changed by cascades and parent-status propagation, which no tool-level bookkeeping
//! would see. `Board::write` drains the table inside the same transaction, so a rolled-back write reports
//! nothing, and hands the result to the listeners after the commit.

use super::DomainResult;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Nullable, Text};
use std::collections::BTreeSet;

/// What one committed write touched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    pub tasks: BTreeSet<i32>,
    /// Assignees before and after (a re-assigned task changes both agents' queues).
    pub agents: BTreeSet<String>,
    /// Queues before and after.
    pub queues: BTreeSet<String>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }
}

#[derive(QueryableByName)]
struct ChangeRow {
    #[diesel(sql_type = Integer)]
    task_id: i32,
    #[diesel(sql_type = Nullable<Text>)]
    agent: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    queue: Option<String>,
}

/// Reads and clears the connection's change rows (call inside the write transaction).
pub(crate) fn drain(conn: &mut SqliteConnection) -> DomainResult<Changes> {
    let rows: Vec<ChangeRow> =
        diesel::sql_query("SELECT task_id, agent, queue FROM temp.tinytask_changes").load(conn)?;
    if rows.is_empty() {
        return Ok(Changes::default());
    }
    diesel::sql_query("DELETE FROM temp.tinytask_changes").execute(conn)?;
    let mut changes = Changes::default();
    for row in rows {
        changes.tasks.insert(row.task_id);
        changes.agents.extend(row.agent);
        changes.queues.extend(row.queue);
    }
    Ok(changes)
}
