//! `resources/subscribe` bookkeeping and the fan-out of `notifications/resources/updated` (R5) when a
//! committed write touches a subscribed resource — whichever transport made the change.

use super::jsonrpc::{Json, RpcError, to_json};
use super::resources::{ResourceRef, parse_uri};
use super::session::Session;
use crate::domain::changes::Changes;
use crate::domain::limits;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

/// One session's subscriptions: the URIs exactly as the client wrote them (notifications echo them) and
/// what each resolves to.
struct SessionSubs {
    session: Weak<Session>,
    uris: HashMap<String, ResourceRef>,
}

/// Subscriptions indexed both ways: by resource, so a change costs only the subscriptions it matches
/// (100,000 subscriptions in a flat list made every write scan them all), and by session, so a session's
/// end or its limit check costs only its own subscriptions.
#[derive(Default)]
struct Index {
    /// Resource → subscribed session → the URIs it used for that resource (usually one).
    by_target: HashMap<ResourceRef, HashMap<u64, Vec<String>>>,
    by_session: HashMap<u64, SessionSubs>,
    /// Sessions dropped without `forget` are swept when `by_session` grows past this (amortized O(1)).
    sweep_at: usize,
}

impl Index {
    fn remove(&mut self, session_id: u64, uri: &str, target: &ResourceRef) {
        if let Some(sessions) = self.by_target.get_mut(target) {
            if let Some(uris) = sessions.get_mut(&session_id) {
                uris.retain(|u| u != uri);
                if uris.is_empty() {
                    sessions.remove(&session_id);
                }
            }
            if sessions.is_empty() {
                self.by_target.remove(target);
            }
        }
    }

    fn forget(&mut self, session_id: u64) {
        if let Some(subs) = self.by_session.remove(&session_id) {
            for (uri, target) in &subs.uris {
                self.remove(session_id, uri, target);
            }
        }
    }

    fn sweep_dead(&mut self) {
        let dead: Vec<u64> = self
            .by_session
            .iter()
            .filter(|(_, s)| s.session.strong_count() == 0)
            .map(|(id, _)| *id)
            .collect();
        for id in dead {
            self.forget(id);
        }
        self.sweep_at = (self.by_session.len() * 2).max(64);
    }
}

/// The `_meta` key tagging a `subscriptions/listen` stream's notifications with the listen request's id.
pub const SUBSCRIPTION_ID_KEY: &str = "io.modelcontextprotocol/subscriptionId";

#[derive(Default)]
pub struct Subscriptions {
    index: Mutex<Index>,
}

const SUPPORTED: &str =
    "task://{id}, queue://{agent_name}, queue://tasks/{queue_name} and tasks://active";

/// The URI a `resources/subscribe` names, and the resource it resolves to; an error for a resource that
/// cannot be subscribed to.
pub(super) fn subscribable(params: &Value) -> Result<(String, ResourceRef), RpcError> {
    let uri = uri_param(params)?;
    match parse_uri(&uri) {
        Some(
            t @ (ResourceRef::Task(_)
            | ResourceRef::AgentQueue(_)
            | ResourceRef::QueueTasks(_)
            | ResourceRef::ActiveTasks),
        ) => Ok((uri, t)),
        _ => Err(RpcError::invalid_params(format!(
            "Invalid params: cannot subscribe to {uri}; subscriptions are supported for {SUPPORTED}"
        ))
        .with_data(json!({ "uri": uri }))),
    }
}

/// The refusal of one subscription more than a session may hold.
pub(super) fn over_limit(uri: &str, limit: usize) -> RpcError {
    RpcError::invalid_params(format!(
        "Invalid params: cannot subscribe to {uri}: this session already holds {limit} subscriptions, \
         the limit (TINYTASK_MAX_SUBSCRIPTIONS_PER_SESSION); unsubscribe from some first"
    ))
    .with_data(json!({ "uri": uri, "limit": limit }))
}

pub(super) fn uri_param(params: &Value) -> Result<String, RpcError> {
    params
        .get("uri")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| RpcError::invalid_params("Invalid params: a string \"uri\" is required"))
}

/// `notifications/resources/updated` for `uri`, as `session` gets it.
pub(super) fn updated(session: &Session, uri: &str) -> Json {
    let params = match session.subscription_id() {
        // M8: a listen stream's notifications say which subscription they belong to.
        Some(id) => json!({ "uri": uri, "_meta": { SUBSCRIPTION_ID_KEY: id } }),
        None => json!({ "uri": uri }),
    };
    to_json(&json!({
        "jsonrpc": "2.0",
        "method": "notifications/resources/updated",
        "params": params,
    }))
}

/// The subscribable resources a committed change touches.
pub(super) fn affected(changes: &Changes) -> impl Iterator<Item = ResourceRef> + '_ {
    let active = (!changes.tasks.is_empty()).then_some(ResourceRef::ActiveTasks);
    changes
        .tasks
        .iter()
        .map(|id| ResourceRef::Task(*id))
        .chain(active)
        .chain(changes.agents.iter().cloned().map(ResourceRef::AgentQueue))
        .chain(changes.queues.iter().cloned().map(ResourceRef::QueueTasks))
}

impl Subscriptions {
    fn index(&self) -> std::sync::MutexGuard<'_, Index> {
        self.index
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn subscribe(&self, session: &Arc<Session>, params: &Value) -> Result<Value, RpcError> {
        let (uri, target) = subscribable(params)?;
        let limit = limits::current().subscriptions_per_session;
        let mut index = self.index();
        if index.by_session.len() >= index.sweep_at {
            index.sweep_dead();
        }
        let subs = index
            .by_session
            .entry(session.id())
            .or_insert_with(|| SessionSubs {
                session: Arc::downgrade(session),
                uris: HashMap::new(),
            });
        if subs.uris.contains_key(&uri) {
            return Ok(json!({}));
        }
        if subs.uris.len() >= limit {
            return Err(over_limit(&uri, limit));
        }
        subs.uris.insert(uri.clone(), target.clone());
        index
            .by_target
            .entry(target)
            .or_default()
            .entry(session.id())
            .or_default()
            .push(uri);
        Ok(json!({}))
    }

    pub fn unsubscribe(&self, session: &Session, params: &Value) -> Result<Value, RpcError> {
        let uri = uri_param(params)?;
        let mut index = self.index();
        let target = index
            .by_session
            .get_mut(&session.id())
            .and_then(|subs| subs.uris.remove(&uri));
        if let Some(target) = target {
            index.remove(session.id(), &uri, &target);
        }
        Ok(json!({}))
    }

    /// Drops every subscription of a session that ended (costs only that session's subscriptions).
    pub fn forget(&self, session: &Session) {
        self.index().forget(session.id());
    }

    /// Live subscriptions (of sessions that still exist).
    pub fn count(&self) -> usize {
        self.index()
            .by_session
            .values()
            .filter(|s| s.session.strong_count() > 0)
            .map(|s| s.uris.len())
            .sum()
    }

    /// Notifies every session subscribed to a resource these changes affect. Looks up only the affected
    /// resources, so the cost is the size of the change plus the matching subscriptions — not the number
    /// of subscriptions. Returns how many subscriptions matched (for tests and logs).
    pub fn dispatch(&self, changes: &Changes) -> usize {
        let mut matched = 0;
        let mut deliveries: Vec<(Arc<Session>, String)> = Vec::new();
        let mut dead = Vec::new();
        {
            let index = self.index();
            for target in affected(changes) {
                let Some(sessions) = index.by_target.get(&target) else {
                    continue;
                };
                for (session_id, uris) in sessions {
                    matched += uris.len();
                    let session = index
                        .by_session
                        .get(session_id)
                        .and_then(|s| s.session.upgrade());
                    match session {
                        Some(session) => deliveries
                            .extend(uris.iter().map(|u| (Arc::clone(&session), u.clone()))),
                        None => dead.push(*session_id),
                    }
                }
            }
        }
        if !dead.is_empty() {
            let mut index = self.index();
            for id in dead {
                index.forget(id);
            }
        }
        // Sent after releasing the lock: other sessions' subscribe calls need not wait for the fan-out.
        for (session, uri) in deliveries {
            let sent = session.notify(updated(&session, &uri));
            tracing::debug!(uri = %uri, session = session.id(), sent, "resource updated");
        }
        matched
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn changes(tasks: &[i32], agents: &[&str], queues: &[&str]) -> Changes {
        Changes {
            tasks: tasks.iter().copied().collect(),
            agents: agents
                .iter()
                .map(std::string::ToString::to_string)
                .collect(),
            queues: queues
                .iter()
                .map(std::string::ToString::to_string)
                .collect(),
            ..Changes::default()
        }
    }

    fn uri_of(message: &crate::mcp::jsonrpc::Json) -> String {
        let message: &serde_json::value::RawValue = message;
        let v: Value = serde_json::from_str(message.get()).unwrap();
        v["params"]["uri"].as_str().unwrap().to_string()
    }

    #[test]
    fn only_affected_subscribers_are_notified() {
        let subs = Subscriptions::default();
        let a = Arc::new(Session::new());
        let b = Arc::new(Session::new());
        let (tx_a, mut rx_a) = tokio::sync::mpsc::unbounded_channel();
        let (tx_b, mut rx_b) = tokio::sync::mpsc::unbounded_channel();
        a.set_outbound(Some(tx_a));
        b.set_outbound(Some(tx_b));
        subs.subscribe(&a, &json!({"uri": "task://7"})).unwrap();
        subs.subscribe(&b, &json!({"uri": "queue://code%20agent"}))
            .unwrap();
        subs.dispatch(&changes(&[7], &["someone"], &[]));
        assert_eq!(uri_of(&rx_a.try_recv().unwrap()), "task://7");
        assert!(rx_b.try_recv().is_err());
        subs.dispatch(&changes(&[8], &["code agent"], &[]));
        assert!(rx_a.try_recv().is_err());
        assert_eq!(uri_of(&rx_b.try_recv().unwrap()), "queue://code%20agent");
        subs.unsubscribe(&b, &json!({"uri": "queue://code%20agent"}))
            .unwrap();
        subs.dispatch(&changes(&[8], &["code agent"], &[]));
        assert!(rx_b.try_recv().is_err());
    }

    #[test]
    fn unsupported_uris_are_invalid_params() {
        let subs = Subscriptions::default();
        let s = Arc::new(Session::new());
        for uri in ["task://1/comments", "foo://x", "queue://list"] {
            assert_eq!(
                subs.subscribe(&s, &json!({ "uri": uri })).unwrap_err().code,
                -32602,
                "{uri}"
            );
        }
        assert_eq!(
            subs.subscribe(&s, &json!({"uri": "tasks://active"}))
                .unwrap(),
            json!({})
        );
        drop(s);
        assert_eq!(subs.count(), 0);
    }

    #[test]
    fn dispatch_costs_only_the_matching_subscriptions() {
        // 100,000 subscriptions: 200 sessions × 500 tasks each, plus everyone on the agent "bob".
        let subs = Subscriptions::default();
        let sessions: Vec<Arc<Session>> = (0..200).map(|_| Arc::new(Session::new())).collect();
        let started = std::time::Instant::now();
        for (i, s) in sessions.iter().enumerate() {
            for t in 0..499 {
                let uri = format!("task://{}", i * 499 + t + 1);
                subs.subscribe(s, &json!({ "uri": uri })).unwrap();
            }
            subs.subscribe(s, &json!({"uri": "queue://bob"})).unwrap();
        }
        let subscribed = started.elapsed();
        assert_eq!(subs.count(), 100_000);
        // One task changed: one subscription matches, whatever the total.
        let started = std::time::Instant::now();
        assert_eq!(subs.dispatch(&changes(&[777], &[], &[])), 1);
        let dispatched = started.elapsed();
        assert_eq!(
            subs.dispatch(&changes(&[777, 778], &["alice"], &["dev"])),
            2
        );
        assert_eq!(subs.dispatch(&changes(&[777], &["bob"], &[])), 201);
        assert_eq!(subs.dispatch(&changes(&[], &[], &[])), 0);
        eprintln!(
            "100,000 subscriptions: subscribed in {subscribed:?}, one dispatch in {dispatched:?}"
        );
        // Ending a session removes exactly its subscriptions.
        subs.forget(&sessions[1]);
        assert_eq!(subs.count(), 100_000 - 500);
        assert_eq!(subs.dispatch(&changes(&[777], &["bob"], &[])), 199);
        // A session dropped without `forget` is skipped and cleaned up by the next dispatch it matches.
        let dead = sessions[0].clone();
        drop(sessions);
        drop(dead);
        assert_eq!(subs.count(), 0);
        assert_eq!(subs.dispatch(&changes(&[1], &[], &[])), 1);
        assert_eq!(subs.dispatch(&changes(&[1], &[], &[])), 0);
    }

    #[test]
    fn a_session_may_hold_at_most_the_configured_number_of_subscriptions() {
        let small = limits::Limits {
            subscriptions_per_session: 3,
            ..limits::Limits::default()
        };
        limits::with_limits(small, || {
            let subs = Subscriptions::default();
            let s = Arc::new(Session::new());
            let other = Arc::new(Session::new());
            for id in 1..=3 {
                subs.subscribe(&s, &json!({ "uri": format!("task://{id}") }))
                    .unwrap();
            }
            // Subscribing again to a held URI is not a new subscription.
            subs.subscribe(&s, &json!({"uri": "task://2"})).unwrap();
            let err = subs.subscribe(&s, &json!({"uri": "task://4"})).unwrap_err();
            assert_eq!(err.code, -32602);
            assert_eq!(
                err.message,
                "Invalid params: cannot subscribe to task://4: this session already holds 3 subscriptions, \
                 the limit (TINYTASK_MAX_SUBSCRIPTIONS_PER_SESSION); unsubscribe from some first"
            );
            // The limit is per session, and unsubscribing frees a place.
            subs.subscribe(&other, &json!({"uri": "task://4"})).unwrap();
            subs.unsubscribe(&s, &json!({"uri": "task://1"})).unwrap();
            subs.subscribe(&s, &json!({"uri": "task://4"})).unwrap();
            assert_eq!(subs.count(), 4);
            assert_eq!(subs.dispatch(&changes(&[1], &[], &[])), 0);
            assert_eq!(subs.dispatch(&changes(&[4], &[], &[])), 2);
        });
    }
}
