//! The write context the capture triggers copy into each captured row: who is acting, and for which task
//! the write means something the fields alone do not say (a claim, a release, a hand-over, an expiry).
//! One row at most, in the connection's TEMP schema; [`clear`] runs at the end of every write.

use super::super::DomainResult;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Nullable, Text};

/// What a write means for one task, beyond its changed fields. Stored as the event kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    Claimed,
    Released,
    LeaseExpired,
    Moved,
}

impl Intent {
    pub fn kind(self) -> &'static str {
        match self {
            Intent::Claimed => "task_claimed",
            Intent::Released => "task_released",
            Intent::LeaseExpired => "lease_expired",
            Intent::Moved => "task_moved",
        }
    }
}

/// Names the actor of the rest of this write (and, with `intent`, what it means for `task_id`).
pub fn act(
    conn: &mut SqliteConnection,
    actor: Option<&str>,
    intent: Option<(Intent, i32)>,
) -> DomainResult<()> {
    clear(conn)?;
    diesel::sql_query(
        "INSERT INTO temp.tinytask_context (actor, intent, task_id) VALUES (?, ?, ?)",
    )
    .bind::<Nullable<Text>, _>(actor)
    .bind::<Nullable<Text>, _>(intent.map(|(i, _)| i.kind()))
    .bind::<Nullable<Integer>, _>(intent.map(|(_, id)| id))
    .execute(conn)?;
    Ok(())
}

/// Runs `f` with `actor` acting (e.g. TinyTask itself propagating a parent's status), then restores the
/// context that was in effect.
pub fn as_actor<T>(
    conn: &mut SqliteConnection,
    actor: &str,
    f: impl FnOnce(&mut SqliteConnection) -> DomainResult<T>,
) -> DomainResult<T> {
    #[derive(QueryableByName)]
    struct Saved {
        #[diesel(sql_type = Nullable<Text>)]
        actor: Option<String>,
        #[diesel(sql_type = Nullable<Text>)]
        intent: Option<String>,
        #[diesel(sql_type = Nullable<Integer>)]
        task_id: Option<i32>,
    }
    let saved: Option<Saved> =
        diesel::sql_query("SELECT actor, intent, task_id FROM temp.tinytask_context")
            .get_result(conn)
            .optional()?;
    act(conn, Some(actor), None)?;
    let out = f(conn)?;
    clear(conn)?;
    if let Some(s) = saved {
        diesel::sql_query(
            "INSERT INTO temp.tinytask_context (actor, intent, task_id) VALUES (?, ?, ?)",
        )
        .bind::<Nullable<Text>, _>(s.actor)
        .bind::<Nullable<Text>, _>(s.intent)
        .bind::<Nullable<Integer>, _>(s.task_id)
        .execute(conn)?;
    }
    Ok(out)
}

pub(crate) fn clear(conn: &mut SqliteConnection) -> DomainResult<()> {
    diesel::sql_query("DELETE FROM temp.tinytask_context").execute(conn)?;
    Ok(())
}
