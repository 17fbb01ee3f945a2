//! What other processes changed: the event log read back into [`Changes`], so that resource
//! subscriptions (both eras) are told about commits made by another server or stdio process on the same
//! database file, not only about this process's own (which reach them directly from the writer).

use super::Board;
use super::foreign::OwnCursors;
use crate::domain::DomainResult;
use crate::domain::changes::Changes;
use crate::domain::events::{self, Event, GetEvents};

/// Events read per look; a longer backlog is read in several.
const PAGE: i64 = 1000;

/// Adds what one event touched.
fn touch(changes: &mut Changes, event: Event) {
    changes.tasks.extend(event.task_id);
    changes
        .agents
        .extend([event.assignee, event.prior_assignee].into_iter().flatten());
    changes
        .queues
        .extend([event.queue, event.prior_queue].into_iter().flatten());
}

/// The changes of the events after `after` that this process did not write, and the newest cursor read.
pub(super) fn since(
    conn: &mut crate::domain::Conn,
    own: &OwnCursors,
    after: i64,
) -> DomainResult<(Changes, i64)> {
    let mut changes = Changes::default();
    let mut cursor = after;
    loop {
        let page = events::page(
            conn,
            &GetEvents {
                after: Some(cursor),
                limit: Some(PAGE),
                ..GetEvents::default()
            },
        )?;
        cursor = cursor.max(page.next_cursor);
        for event in page.events {
            if !own.contains(event.cursor) {
                touch(&mut changes, event);
            }
        }
        if !page.has_more {
            return Ok((changes, cursor));
        }
    }
}

impl Board {
    /// What other processes committed after event `after` (see the module comment), and where the feed
    /// stands now: pass it as `after` next time.
    pub async fn foreign_changes(&self, after: i64) -> DomainResult<(Changes, i64)> {
        let own = std::sync::Arc::clone(&self.own);
        self.read(move |conn| since(conn, &own, after)).await
    }

    /// The newest event cursor (where a reader of foreign changes starts).
    pub async fn newest_event(&self) -> DomainResult<i64> {
        self.read(events::newest).await
    }
}
