//! The write context the capture triggers copy into each captured row: who is acting, and for which task
//! the write means something the fields alone do not say (a claim, a release, a hand-over, an expiry).
//! One row at most, in the connection's TEMP schema; [`clear`] runs at the end of every write.

use super::super::DomainResult;
use crate::db::capture::tinytask_context as c;
use crate::domain::Conn;
use diesel::prelude::*;

/// What a write means for one task, beyond its changed fields. Stored as the event kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    Claimed,
    Released,
    LeaseExpired,
    Moved,
    /// move_comment: the copy and the forwarding note are one move.
    CommentMoved,
}

impl Intent {
    pub fn kind(self) -> &'static str {
        match self {
            Intent::Claimed => "task_claimed",
            Intent::Released => "task_released",
            Intent::LeaseExpired => "lease_expired",
            Intent::Moved => "task_moved",
            Intent::CommentMoved => "comment_moved",
        }
    }
}

/// Names the actor of the rest of this write (and, with `intent`, what it means for `task_id`).
pub fn act(
    conn: &mut Conn,
    actor: Option<&str>,
    intent: Option<(Intent, i32)>,
) -> DomainResult<()> {
    clear(conn)?;
    set(
        conn,
        actor,
        intent.map(|(i, _)| i.kind()),
        intent.map(|(_, id)| id),
    )
}

fn set(
    conn: &mut Conn,
    actor: Option<&str>,
    intent: Option<&str>,
    task_id: Option<i32>,
) -> DomainResult<()> {
    diesel::insert_into(c::table)
        .values((
            c::actor.eq(actor),
            c::intent.eq(intent),
            c::task_id.eq(task_id),
        ))
        .execute(conn)?;
    Ok(())
}

/// Runs `f` with `actor` acting (e.g. TinyTask itself propagating a parent's status), then restores the
/// context that was in effect.
pub fn as_actor<T>(
    conn: &mut Conn,
    actor: &str,
    f: impl FnOnce(&mut Conn) -> DomainResult<T>,
) -> DomainResult<T> {
    type Saved = (Option<String>, Option<String>, Option<i32>);
    let saved: Option<Saved> = c::table
        .select((c::actor, c::intent, c::task_id))
        .get_result(conn)
        .optional()?;
    act(conn, Some(actor), None)?;
    let out = f(conn)?;
    clear(conn)?;
    if let Some((actor, intent, task_id)) = saved {
        set(conn, actor.as_deref(), intent.as_deref(), task_id)?;
    }
    Ok(out)
}

pub(crate) fn clear(conn: &mut Conn) -> DomainResult<()> {
    diesel::delete(c::table).execute(conn)?;
    Ok(())
}

/// The actor of the write in progress (for history rows written alongside its changes).
pub fn actor(conn: &mut Conn) -> DomainResult<Option<String>> {
    Ok(c::table
        .select(c::actor)
        .get_result::<Option<String>>(conn)
        .optional()?
        .flatten())
}
