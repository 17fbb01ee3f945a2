//! The records of legacy Streamable HTTP sessions that every replica shares on PostgreSQL
//! (`tinytask_sessions`, `tinytask_session_subscriptions`; migrations_postgres/…_shared_sessions): what a
//! replica needs to serve a session another replica created, and the subscriptions a committed change is
//! matched against. Plain statements in autocommit, outside the board's write lock: they are the
//! protocol's bookkeeping, not board writes, and must not queue behind them. Times come from the
//! database's clock, so replicas whose clocks differ agree on what is idle.

use super::{Conn, DomainError, DomainResult};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Nullable, Text};
use diesel::{PgConnection, QueryableByName, RunQueryDsl};

/// The channel sessions' messages to other replicas travel on (`pg_notify`; see `mcp::shared`).
pub const CHANNEL: &str = "tinytask_sessions";

/// Milliseconds since the Unix epoch on the database's clock.
const NOW_MS: &str = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

/// One shared session as stored.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct SessionRecord {
    #[diesel(sql_type = Text)]
    pub id: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub protocol_version: Option<String>,
    #[diesel(sql_type = Bool)]
    pub initialized: bool,
    #[diesel(sql_type = Nullable<Text>)]
    pub log_level: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub client: Option<String>,
    #[diesel(sql_type = Bool)]
    pub used: bool,
}

/// A subscription of one of the sessions asked about: the URI as its client wrote it.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct Subscriber {
    #[diesel(sql_type = Text)]
    pub session_id: String,
    #[diesel(sql_type = Text)]
    pub uri: String,
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = Text)]
    id: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Sessions are shared on PostgreSQL only (the tables exist there only).
fn pg(conn: &mut Conn) -> DomainResult<&mut PgConnection> {
    match conn {
        Conn::Pg(pg) => Ok(pg),
        Conn::Sqlite(_) => Err(DomainError::Unavailable(
            "sessions are shared between replicas on PostgreSQL only".into(),
        )),
    }
}

/// Writes the session's state (inserting it, or replacing what another replica wrote) and marks it seen.
pub fn save(conn: &mut Conn, record: &SessionRecord) -> DomainResult<()> {
    diesel::sql_query(format!(
        "INSERT INTO tinytask_sessions (id, protocol_version, initialized, log_level, client, used, seen_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, {NOW_MS}) \
         ON CONFLICT (id) DO UPDATE SET protocol_version = EXCLUDED.protocol_version, \
         initialized = EXCLUDED.initialized, log_level = EXCLUDED.log_level, client = EXCLUDED.client, \
         used = tinytask_sessions.used OR EXCLUDED.used, seen_ms = EXCLUDED.seen_ms"
    ))
    .bind::<Text, _>(&record.id)
    .bind::<Nullable<Text>, _>(&record.protocol_version)
    .bind::<Bool, _>(record.initialized)
    .bind::<Nullable<Text>, _>(&record.log_level)
    .bind::<Nullable<Text>, _>(&record.client)
    .bind::<Bool, _>(record.used)
    .execute(pg(conn)?)?;
    Ok(())
}

/// The session, if it exists (another replica may have created it).
pub fn load(conn: &mut Conn, id: &str) -> DomainResult<Option<SessionRecord>> {
    let found = diesel::sql_query(
        "SELECT id, protocol_version, initialized, log_level, client, used FROM tinytask_sessions \
         WHERE id = $1",
    )
    .bind::<Text, _>(id)
    .get_result::<SessionRecord>(pg(conn)?)
    .optional()?;
    Ok(found)
}

/// Records the session's first request other than initialize (it is no longer evictable).
pub fn mark_used(conn: &mut Conn, id: &str) -> DomainResult<()> {
    diesel::sql_query(format!(
        "UPDATE tinytask_sessions SET used = TRUE, seen_ms = {NOW_MS} WHERE id = $1"
    ))
    .bind::<Text, _>(id)
    .execute(pg(conn)?)?;
    Ok(())
}

/// Removes the session (and its subscriptions); whether it existed.
pub fn delete(conn: &mut Conn, id: &str) -> DomainResult<bool> {
    let n = diesel::sql_query("DELETE FROM tinytask_sessions WHERE id = $1")
        .bind::<Text, _>(id)
        .execute(pg(conn)?)?;
    Ok(n > 0)
}

/// Removes the session only if it never made a request (an eviction: a used session is never evicted).
pub fn delete_unused(conn: &mut Conn, id: &str) -> DomainResult<bool> {
    let n = diesel::sql_query("DELETE FROM tinytask_sessions WHERE id = $1 AND NOT used")
        .bind::<Text, _>(id)
        .execute(pg(conn)?)?;
    Ok(n > 0)
}

/// Marks these sessions seen now (the replica serving them is active on their behalf).
pub fn touch(conn: &mut Conn, ids: &[String]) -> DomainResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    diesel::sql_query(format!(
        "UPDATE tinytask_sessions SET seen_ms = {NOW_MS} WHERE id = ANY($1)"
    ))
    .bind::<Array<Text>, _>(ids)
    .execute(pg(conn)?)?;
    Ok(())
}

/// Which of `ids` still exist, read on a plain PostgreSQL connection (the session listener's own).
pub fn existing_pg(conn: &mut PgConnection, ids: &[String]) -> DomainResult<Vec<String>> {
    let rows = diesel::sql_query("SELECT id FROM tinytask_sessions WHERE id = ANY($1)")
        .bind::<Array<Text>, _>(ids)
        .load::<Id>(conn)?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// Deletes the sessions idle past their timeout — `idle_ms` for used ones, `unused_ms` for the others —
/// and returns their ids. Any replica may run it: each expired row is deleted (and returned) once.
pub fn expire(conn: &mut Conn, idle_ms: i64, unused_ms: i64) -> DomainResult<Vec<String>> {
    let rows = diesel::sql_query(format!(
        "DELETE FROM tinytask_sessions WHERE seen_ms < {NOW_MS} - CASE WHEN used THEN $1 ELSE $2 END \
         RETURNING id"
    ))
    .bind::<BigInt, _>(idle_ms)
    .bind::<BigInt, _>(unused_ms)
    .load::<Id>(pg(conn)?)?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// Why a subscription was not recorded.
#[derive(Debug, PartialEq, Eq)]
pub enum SubscribeRefusal {
    /// The session holds `limit` subscriptions already.
    Full,
    /// The session no longer exists (it ended on another replica).
    Gone,
}

/// Records a subscription unless the session already holds `limit` (an existing one is kept as it is).
/// The count and the insert happen under a lock of the session's row, so two replicas subscribing the
/// same session at once cannot both pass the limit.
pub fn subscribe(
    conn: &mut Conn,
    id: &str,
    uri: &str,
    target: &str,
    limit: usize,
) -> DomainResult<Result<(), SubscribeRefusal>> {
    let pg = pg(conn)?;
    pg.transaction(|pg| {
        let locked = diesel::sql_query("SELECT id FROM tinytask_sessions WHERE id = $1 FOR UPDATE")
            .bind::<Text, _>(id)
            .load::<Id>(pg)?;
        if locked.is_empty() {
            return Ok(Err(SubscribeRefusal::Gone));
        }
        let held = diesel::sql_query(
            "SELECT count(*) AS n FROM tinytask_session_subscriptions WHERE session_id = $1 AND uri <> $2",
        )
        .bind::<Text, _>(id)
        .bind::<Text, _>(uri)
        .get_result::<Count>(pg)?;
        if usize::try_from(held.n).unwrap_or(usize::MAX) >= limit {
            return Ok(Err(SubscribeRefusal::Full));
        }
        diesel::sql_query(
            "INSERT INTO tinytask_session_subscriptions (session_id, uri, target) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
        )
        .bind::<Text, _>(id)
        .bind::<Text, _>(uri)
        .bind::<Text, _>(target)
        .execute(pg)?;
        Ok(Ok(()))
    })
}

pub fn unsubscribe(conn: &mut Conn, id: &str, uri: &str) -> DomainResult<()> {
    diesel::sql_query(
        "DELETE FROM tinytask_session_subscriptions WHERE session_id = $1 AND uri = $2",
    )
    .bind::<Text, _>(id)
    .bind::<Text, _>(uri)
    .execute(pg(conn)?)?;
    Ok(())
}

/// The subscriptions of `sessions` to any of `targets`, read after the change was committed: a
/// subscription acknowledged (by any replica) before that commit is in it.
pub fn subscribers(
    conn: &mut Conn,
    sessions: &[String],
    targets: &[String],
) -> DomainResult<Vec<Subscriber>> {
    if sessions.is_empty() || targets.is_empty() {
        return Ok(Vec::new());
    }
    let rows = diesel::sql_query(
        "SELECT session_id, uri FROM tinytask_session_subscriptions \
         WHERE target = ANY($1) AND session_id = ANY($2) ORDER BY session_id, uri",
    )
    .bind::<Array<Text>, _>(targets)
    .bind::<Array<Text>, _>(sessions)
    .load::<Subscriber>(pg(conn)?)?;
    Ok(rows)
}

/// Sends `payload` to every replica listening on [`CHANNEL`] (delivered at once: autocommit).
pub fn announce(conn: &mut Conn, payload: &str) -> DomainResult<()> {
    diesel::sql_query("SELECT pg_notify($1, $2)")
        .bind::<Text, _>(CHANNEL)
        .bind::<Text, _>(payload)
        .execute(pg(conn)?)?;
    Ok(())
}
