//! Legacy Streamable HTTP sessions shared by every replica on PostgreSQL, so that a round-robin balancer
//! may send each request of a session to any replica (README "Running several replicas").
//!
//! - **State** (version, initialized, log level, client, used) lives in `tinytask_sessions`. The replica
//!   that changes it writes it through before answering (initialize, notifications/initialized,
//!   logging/setLevel). Every request of a shared session reads its row first (one primary-key read): a
//!   replica takes in a session it does not hold, refreshes the copy it holds (a log level set through
//!   another replica), and refuses a session deleted through another replica at once — a copy is never
//!   trusted on its own.
//! - **Subscriptions** live only in the database. The replica holding the session's stream (its GET)
//!   matches every committed change — its own and, through the relay, the others' — against them with one
//!   query per batch, made after the commit: a subscription acknowledged by any replica before a change
//!   committed is found, with no cache to be stale.
//! - **Notes** between replicas ([`note::Note`], `pg_notify`): a session's end, a cancellation (the
//!   request may run anywhere), and notifications of a session whose stream another replica holds.
//! - **Expiry** follows the database: every replica marks the sessions active on it as seen, and deletes
//!   the rows idle past their timeout (announcing their end).

mod listener;
pub mod note;

use super::jsonrpc::{RpcError, to_json};
use super::logging::{McpLogLevel, level_name};
use super::session::{Restored, Session};
use super::subscriptions::{affected, over_limit, subscribable, updated, uri_param};
use crate::domain::changes::Changes;
use crate::domain::shared_sessions::{self as store, SessionRecord, SubscribeRefusal};
use crate::domain::{Board, DomainError, limits};
use note::Note;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;
use tokio::sync::{Notify, mpsc};

/// Notes waiting to be sent; beyond this a forwarded log message is dropped (logs are best effort).
const OUTBOX: usize = 1024;

pub struct Sharing {
    board: Board,
    /// The shared sessions this replica holds a copy of, by HTTP session id.
    held: Mutex<HashMap<String, Weak<Session>>>,
    /// Streams of shared sessions open here: while there are none, changes are not matched at all.
    streams: AtomicUsize,
    /// Changes committed since the matcher last looked, merged (it matches them in one query).
    pending: Mutex<Option<Changes>>,
    changed: Notify,
    outbox: OnceLock<mpsc::Sender<String>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn store_failed(e: &DomainError) -> RpcError {
    RpcError::internal(format!(
        "Internal error: the shared session store (PostgreSQL) failed: {e}"
    ))
}

/// The record of `session` (shared under `id`) as it stands.
fn record_of(id: &str, session: &Session) -> SessionRecord {
    let state = session.snapshot();
    SessionRecord {
        id: id.to_string(),
        protocol_version: state.version,
        initialized: state.initialized,
        log_level: state.log_level.map(|l| level_name(l).to_string()),
        client: state.client,
        used: false, // only ever set by mark_used (the database keeps it once set)
    }
}

/// What a replica taking over the session restores.
pub fn restored(record: &SessionRecord) -> Restored {
    Restored {
        version: record.protocol_version.clone(),
        client: record.client.clone(),
        initialized: record.initialized,
        log_level: record.log_level.as_deref().and_then(parse_level),
    }
}

fn parse_level(name: &str) -> Option<McpLogLevel> {
    serde_json::from_value(Value::String(name.to_string())).ok()
}

impl Sharing {
    /// Shares sessions through the board's PostgreSQL database; starts the note listener, and (inside a
    /// tokio runtime) the change matcher and the note sender.
    pub fn start(board: Board) -> Arc<Self> {
        let sharing = Arc::new(Sharing {
            board: board.clone(),
            held: Mutex::default(),
            streams: AtomicUsize::new(0),
            pending: Mutex::default(),
            changed: Notify::new(),
            outbox: OnceLock::new(),
        });
        if let crate::db::Database::Postgres(url) = board.database() {
            listener::start(url.clone(), Arc::downgrade(&sharing));
        }
        if tokio::runtime::Handle::try_current().is_ok() {
            let (tx, rx) = mpsc::channel(OUTBOX);
            let _ = sharing.outbox.set(tx);
            tokio::spawn(send_notes(board, rx));
            tokio::spawn(Arc::clone(&sharing).match_changes());
        }
        sharing
    }

    /// Makes `session` a shared one under the HTTP session id `id`, held by this replica.
    pub fn hold(self: &Arc<Self>, id: &str, session: &Arc<Session>) {
        let weak = Arc::downgrade(self);
        session.share(
            id,
            Box::new(move |id, message| {
                if let Some(sharing) = weak.upgrade() {
                    sharing.forward(id, &message);
                }
            }),
        );
        let mut held = lock(&self.held);
        // Copies dropped without `release` (a store that forgot them) are swept whenever the map
        // reaches a power of two: amortized O(1) per session, and the map stays within twice the live.
        if held.len() >= 64 && held.len().is_power_of_two() {
            held.retain(|_, s| s.strong_count() > 0);
        }
        held.insert(id.to_string(), Arc::downgrade(session));
    }

    fn local(&self, id: &str) -> Option<Arc<Session>> {
        lock(&self.held).get(id).and_then(Weak::upgrade)
    }

    /// The ids of the shared sessions held here.
    pub fn held(&self) -> Vec<String> {
        lock(&self.held)
            .iter()
            .filter(|(_, s)| s.strong_count() > 0)
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// Writes the session's state through (before a lifecycle change is answered).
    pub async fn save(&self, session: &Session) -> Result<(), RpcError> {
        let Some(id) = session.shared_id() else {
            return Ok(());
        };
        let record = record_of(id, session);
        self.board
            .autocommit(move |conn| store::save(conn, &record))
            .await
            .map_err(|e| store_failed(&e))
    }

    /// The session another replica created, if it still exists.
    pub async fn load(&self, id: &str) -> Result<Option<SessionRecord>, DomainError> {
        let id = id.to_string();
        self.board
            .autocommit(move |conn| store::load(conn, &id))
            .await
    }

    pub async fn mark_used(&self, id: &str) -> Result<(), DomainError> {
        let id = id.to_string();
        self.board
            .autocommit(move |conn| store::mark_used(conn, &id))
            .await
    }

    /// Ends the session everywhere (DELETE): its row goes, and the replicas holding it are told.
    pub async fn end(&self, id: &str) -> Result<(), DomainError> {
        lock(&self.held).remove(id);
        let key = id.to_string();
        self.board
            .autocommit(move |conn| store::delete(conn, &key))
            .await?;
        self.announce(&Note::End {
            session: id.to_string(),
        })
        .await
    }

    /// Evicts a session that made no request (this replica's store is full): everywhere, unless another
    /// replica saw it used meanwhile.
    pub async fn evict(&self, id: &str) -> Result<(), DomainError> {
        lock(&self.held).remove(id);
        let key = id.to_string();
        let deleted = self
            .board
            .autocommit(move |conn| store::delete_unused(conn, &key))
            .await?;
        if deleted {
            self.announce(&Note::End {
                session: id.to_string(),
            })
            .await?;
        }
        Ok(())
    }

    /// Forgets this replica's copy of a session (it expired here; it may live on elsewhere).
    pub fn release(&self, id: &str) {
        lock(&self.held).remove(id);
    }

    /// `resources/subscribe` of a shared session: recorded in the database before it is acknowledged.
    pub async fn subscribe(&self, session: &Session, params: &Value) -> Result<Value, RpcError> {
        let (uri, target) = subscribable(params)?;
        let Some(id) = session.shared_id().map(str::to_string) else {
            return Err(RpcError::internal(
                "Internal error: the session is not shared",
            ));
        };
        let limit = limits::current().subscriptions_per_session;
        let (key, stored_uri) = (target.key(), uri.clone());
        let outcome = self
            .board
            .autocommit(move |conn| store::subscribe(conn, &id, &stored_uri, &key, limit))
            .await
            .map_err(|e| store_failed(&e))?;
        match outcome {
            Ok(()) => Ok(json!({})),
            Err(SubscribeRefusal::Full) => Err(over_limit(&uri, limit)),
            Err(SubscribeRefusal::Gone) => Err(RpcError::invalid_request(
                "Invalid Request: the session ended (on another replica)",
            )),
        }
    }

    pub async fn unsubscribe(&self, session: &Session, params: &Value) -> Result<Value, RpcError> {
        let uri = uri_param(params)?;
        let Some(id) = session.shared_id().map(str::to_string) else {
            return Ok(json!({}));
        };
        self.board
            .autocommit(move |conn| store::unsubscribe(conn, &id, &uri))
            .await
            .map_err(|e| store_failed(&e))?;
        Ok(json!({}))
    }

    /// Tells every replica that the client cancelled `request` (it may run on any of them).
    pub async fn cancel(&self, id: &str, request: &Value) {
        let note = Note::Cancel {
            session: id.to_string(),
            request: request.clone(),
        };
        if let Err(e) = self.announce(&note).await {
            tracing::warn!(error = %e, "cannot forward a cancellation to the other replicas");
        }
    }

    /// A stream of a shared session opened here: changes are matched for it from now on.
    pub fn stream_opened(&self) {
        self.streams.fetch_add(1, Ordering::AcqRel);
    }

    pub fn stream_closed(&self) {
        self.streams.fetch_sub(1, Ordering::AcqRel);
    }

    pub fn has_streams(&self) -> bool {
        self.streams.load(Ordering::Acquire) > 0
    }

    /// Queues committed changes for the matcher (called on the writer thread: never blocks on I/O).
    pub fn deliver(&self, changes: &Changes) {
        if !self.has_streams() || changes.is_empty() {
            return;
        }
        {
            let mut pending = lock(&self.pending);
            pending
                .get_or_insert_with(Changes::default)
                .merge(changes.clone());
        }
        self.changed.notify_one();
    }

    /// Matches queued changes against the subscriptions of the shared sessions whose stream is open here,
    /// and notifies them. One query per look, however many commits were merged into it.
    async fn match_changes(self: Arc<Self>) {
        loop {
            self.changed.notified().await;
            let Some(changes) = lock(&self.pending).take() else {
                continue;
            };
            let streaming: HashMap<String, Arc<Session>> = lock(&self.held)
                .iter()
                .filter_map(|(id, s)| s.upgrade().map(|s| (id.clone(), s)))
                .filter(|(_, s)| s.has_outbound())
                .collect();
            if streaming.is_empty() {
                continue;
            }
            let targets: Vec<String> = affected(&changes).map(|t| t.key()).collect();
            let sessions: Vec<String> = streaming.keys().cloned().collect();
            let found = self
                .board
                .autocommit(move |conn| store::subscribers(conn, &sessions, &targets))
                .await;
            match found {
                Ok(subscribers) => {
                    for s in subscribers {
                        if let Some(session) = streaming.get(&s.session_id) {
                            session.notify_here(updated(session, &s.uri));
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot match changes against shared subscriptions");
                }
            }
        }
    }

    /// A notification of a session whose stream is not here: to the replica that holds it.
    fn forward(&self, id: &str, message: &serde_json::value::RawValue) {
        let Ok(message) = serde_json::from_str(message.get()) else {
            return;
        };
        let note = Note::Message {
            session: id.to_string(),
            message,
        };
        let sent = match (note.payload(), self.outbox.get()) {
            (Some(payload), Some(outbox)) => outbox.try_send(payload).is_ok(),
            _ => false,
        };
        if !sent {
            tracing::debug!(
                session = id,
                "a notification for another replica was dropped"
            );
        }
    }

    async fn announce(&self, note: &Note) -> Result<(), DomainError> {
        match note.payload() {
            Some(payload) => notify(&self.board, payload).await,
            None => Ok(()),
        }
    }

    /// Acts on a note from any replica (this one's own included: acting twice changes nothing).
    pub(super) fn hear(&self, note: Note) {
        match note {
            Note::End { session } => {
                let ended = lock(&self.held).remove(&session).and_then(|s| s.upgrade());
                if let Some(ended) = ended {
                    tracing::info!(session = %session, "session ended on another replica");
                    end_here(&ended);
                }
            }
            Note::Cancel { session, request } => {
                if let Some(local) = self.local(&session) {
                    local.cancel_request(&request);
                }
            }
            Note::Message { session, message } => {
                if let Some(local) = self.local(&session) {
                    local.notify_here(to_json(&message));
                }
            }
        }
    }

    /// Ends the sessions of `held` that are not in `alive` (they ended while nobody here listened).
    pub(super) fn end_missing(&self, held: &[String], alive: &[String]) {
        for id in held.iter().filter(|id| !alive.contains(id)) {
            self.hear(Note::End {
                session: id.clone(),
            });
        }
    }

    /// Marks `active` (sessions in use here) seen, and expires the idle sessions of every replica.
    pub async fn reap(&self, active: Vec<String>, idle: Duration, unused: Duration) {
        let ms = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        let (idle, unused) = (ms(idle), ms(unused));
        let expired = self
            .board
            .autocommit(move |conn| {
                store::touch(conn, &active)?;
                store::expire(conn, idle, unused)
            })
            .await;
        match expired {
            Ok(ids) => {
                for id in ids {
                    tracing::info!(session = %id, "shared session expired");
                    if let Err(e) = self.announce(&Note::End { session: id }).await {
                        tracing::warn!(error = %e, "cannot announce a session's expiry");
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot expire shared sessions"),
        }
    }
}

/// A session ended elsewhere: its waiting calls stop and its stream here closes.
fn end_here(session: &Session) {
    session.close();
    session.set_outbound(None);
}

/// Sends one note's payload to every listening replica (an autocommit `pg_notify`: delivered at once).
async fn notify(board: &Board, payload: String) -> Result<(), DomainError> {
    board
        .autocommit(move |conn| store::announce(conn, &payload))
        .await
}

/// Sends queued notes in order.
async fn send_notes(board: Board, mut rx: mpsc::Receiver<String>) {
    while let Some(payload) = rx.recv().await {
        if let Err(e) = notify(&board, payload).await {
            tracing::debug!(error = %e, "a note for the other replicas was not sent");
        }
    }
}
