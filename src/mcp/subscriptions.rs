//! `resources/subscribe` bookkeeping and the fan-out of `notifications/resources/updated` (R5) when a
//! committed write touches a subscribed resource — whichever transport made the change.

use super::jsonrpc::{RpcError, to_json};
use super::resources::{ResourceRef, parse_uri};
use super::session::Session;
use crate::domain::changes::Changes;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex, Weak};

struct Entry {
    session: Weak<Session>,
    session_id: u64,
    /// Exactly as the client wrote it; notifications echo it.
    uri: String,
    target: ResourceRef,
}

#[derive(Default)]
pub struct Subscriptions {
    entries: Mutex<Vec<Entry>>,
}

const SUPPORTED: &str =
    "task://{id}, queue://{agent_name}, queue://tasks/{queue_name} and tasks://active";

fn uri_param(params: &Value) -> Result<String, RpcError> {
    params
        .get("uri")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| RpcError::invalid_params("Invalid params: a string \"uri\" is required"))
}

impl Subscriptions {
    fn entries(&self) -> std::sync::MutexGuard<'_, Vec<Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn subscribe(&self, session: &Arc<Session>, params: &Value) -> Result<Value, RpcError> {
        let uri = uri_param(params)?;
        let target = match parse_uri(&uri) {
            Some(
                t
                @ (ResourceRef::Task(_) | ResourceRef::AgentQueue(_) | ResourceRef::QueueTasks(_)),
            ) => t,
            Some(ResourceRef::ActiveTasks) => ResourceRef::ActiveTasks,
            _ => {
                return Err(RpcError::invalid_params(format!(
                    "Invalid params: cannot subscribe to {uri}; subscriptions are supported for {SUPPORTED}"
                ))
                .with_data(json!({ "uri": uri })));
            }
        };
        let mut entries = self.entries();
        entries.retain(|e| e.session.strong_count() > 0);
        if !entries
            .iter()
            .any(|e| e.session_id == session.id() && e.uri == uri)
        {
            entries.push(Entry {
                session: Arc::downgrade(session),
                session_id: session.id(),
                uri,
                target,
            });
        }
        Ok(json!({}))
    }

    pub fn unsubscribe(&self, session: &Session, params: &Value) -> Result<Value, RpcError> {
        let uri = uri_param(params)?;
        self.entries()
            .retain(|e| !(e.session_id == session.id() && e.uri == uri));
        Ok(json!({}))
    }

    /// Drops every subscription of a session that ended.
    pub fn forget(&self, session: &Session) {
        self.entries().retain(|e| e.session_id != session.id());
    }

    pub fn count(&self) -> usize {
        self.entries()
            .iter()
            .filter(|e| e.session.strong_count() > 0)
            .count()
    }

    /// Notifies every session subscribed to a resource these changes affect.
    pub fn dispatch(&self, changes: &Changes) {
        let mut entries = self.entries();
        entries.retain(|e| e.session.strong_count() > 0);
        for entry in entries.iter().filter(|e| affects(&e.target, changes)) {
            if let Some(session) = entry.session.upgrade() {
                let sent = session.notify(to_json(&json!({
                    "jsonrpc": "2.0",
                    "method": "notifications/resources/updated",
                    "params": { "uri": entry.uri },
                })));
                tracing::debug!(uri = %entry.uri, session = entry.session_id, sent, "resource updated");
            }
        }
    }
}

fn affects(target: &ResourceRef, changes: &Changes) -> bool {
    match target {
        ResourceRef::Task(id) => changes.tasks.contains(id),
        ResourceRef::ActiveTasks => !changes.tasks.is_empty(),
        ResourceRef::AgentQueue(agent) => changes.agents.contains(agent),
        ResourceRef::QueueTasks(queue) => changes.queues.contains(queue),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn changes(tasks: &[i32], agents: &[&str], queues: &[&str]) -> Changes {
        Changes {
            tasks: tasks.iter().copied().collect(),
            agents: agents.iter().map(|s| s.to_string()).collect(),
            queues: queues.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn uri_of(message: crate::mcp::jsonrpc::Json) -> String {
        let message: &serde_json::value::RawValue = &message;
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
        assert_eq!(uri_of(rx_a.try_recv().unwrap()), "task://7");
        assert!(rx_b.try_recv().is_err());
        subs.dispatch(&changes(&[8], &["code agent"], &[]));
        assert!(rx_a.try_recv().is_err());
        assert_eq!(uri_of(rx_b.try_recv().unwrap()), "queue://code%20agent");
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
}
