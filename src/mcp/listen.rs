//! `subscriptions/listen` (M8): the 2026-07-28 replacement of `resources/subscribe` and the GET stream. One
//! long-lived request: the server first acknowledges the subset of the requested filter it honours, then
//! sends only the notifications asked for, each tagged with the listen request's id, until the client
//! cancels it (closes the HTTP stream, or `notifications/cancelled` on stdio).
//!
//! It is wired to the same change feed as `resources/subscribe`: each listen stream is a short-lived
//! session in [`Subscriptions`], so a commit from any transport or process reaches it the same way.

use super::jsonrpc::{RpcError, to_json};
use super::session::Session;
use super::subscriptions::{SUBSCRIPTION_ID_KEY, Subscriptions};
use crate::domain::waiting::Stop;
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// The filter keys of the spec that TinyTask never honours, because the lists they announce do not change
/// while a server runs (its tools, prompts and concrete resources are fixed at start).
const NEVER_CHANGING_LISTS: [&str; 3] = [
    "toolsListChanged",
    "promptsListChanged",
    "resourcesListChanged",
];

/// The requested resource URIs, validated (precise errors for a malformed filter).
fn requested_uris(params: &Value) -> Result<Vec<String>, RpcError> {
    let filter = match params.get("notifications") {
        Some(Value::Object(filter)) => filter,
        Some(other) => {
            return Err(RpcError::invalid_params(format!(
                "Invalid params: subscriptions/listen \"notifications\" must be an object (a filter such as \
                 {{\"resourceSubscriptions\": [\"task://1\"]}}), got {other}"
            )));
        }
        None => {
            return Err(RpcError::invalid_params(
                "Invalid params: subscriptions/listen requires \"notifications\", the filter of what to \
                 receive (e.g. {\"resourceSubscriptions\": [\"task://1\", \"tasks://active\"]})",
            ));
        }
    };
    for key in NEVER_CHANGING_LISTS {
        if let Some(value) = filter.get(key).filter(|v| !v.is_boolean() && !v.is_null()) {
            return Err(RpcError::invalid_params(format!(
                "Invalid params: notifications.{key} must be a boolean, got {value}"
            )));
        }
    }
    match filter.get("resourceSubscriptions") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(uris)) => uris
            .iter()
            .map(|uri| {
                uri.as_str().map(str::to_string).ok_or_else(|| {
                    RpcError::invalid_params(format!(
                        "Invalid params: notifications.resourceSubscriptions must be an array of resource \
                         URI strings, got an element {uri}"
                    ))
                })
            })
            .collect(),
        Some(other) => Err(RpcError::invalid_params(format!(
            "Invalid params: notifications.resourceSubscriptions must be an array of resource URI strings, \
             got {other}"
        ))),
    }
}

/// Serves one listen request on `connection` (whose channel carries the notifications) until `stop`.
/// Returns the graceful-close result; a request its client cancelled is not answered (the engine's rule).
pub async fn listen(
    subscriptions: &Subscriptions,
    connection: &Session,
    id: &Value,
    params: &Value,
    stop: Stop,
) -> Result<Value, RpcError> {
    let uris = requested_uris(params)?;
    if !connection.has_outbound() {
        return Err(RpcError::invalid_request(
            "Invalid Request: subscriptions/listen needs a stream for its notifications: on HTTP, send \
             Accept: text/event-stream",
        ));
    }
    let listener = Arc::new(Session::for_listen(connection, id.clone()));
    let mut honoured = Vec::new();
    for uri in uris {
        // The honoured subset (M8): a URI we cannot watch (unknown, not subscribable, over the limit) is
        // left out of the acknowledgement rather than failing the whole stream.
        match subscriptions.subscribe(&listener, &json!({ "uri": uri })) {
            Ok(_) => honoured.push(Value::String(uri)),
            Err(err) => tracing::debug!(uri = %uri, error = %err.message, "listen: not honoured"),
        }
    }
    let mut filter = Map::new();
    if !honoured.is_empty() {
        filter.insert("resourceSubscriptions".into(), Value::Array(honoured));
    }
    listener.notify(to_json(&json!({
        "jsonrpc": "2.0",
        "method": "notifications/subscriptions/acknowledged",
        "params": { "_meta": { SUBSCRIPTION_ID_KEY: id }, "notifications": filter },
    })));
    stop.stopped().await;
    subscriptions.forget(&listener);
    listener.close();
    Ok(json!({ "_meta": { SUBSCRIPTION_ID_KEY: id } }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_filters_are_precise_errors() {
        for (params, needle) in [
            (json!({}), "requires \"notifications\""),
            (json!({"notifications": 1}), "must be an object"),
            (
                json!({"notifications": {"resourceSubscriptions": "task://1"}}),
                "array of resource URI strings",
            ),
            (
                json!({"notifications": {"resourceSubscriptions": [1]}}),
                "got an element 1",
            ),
            (
                json!({"notifications": {"toolsListChanged": "yes"}}),
                "toolsListChanged must be a boolean",
            ),
        ] {
            let err = requested_uris(&params).unwrap_err();
            assert_eq!(err.code, -32602);
            assert!(err.message.contains(needle), "{params}: {}", err.message);
        }
        assert_eq!(
            requested_uris(&json!({"notifications": {"resourceSubscriptions": ["task://1"]}}))
                .unwrap(),
            ["task://1"]
        );
    }

    #[tokio::test]
    async fn acknowledges_the_honoured_subset_tagged_then_ends_on_stop() {
        let subscriptions = Subscriptions::default();
        let connection = Session::new();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        connection.set_outbound(Some(tx));
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let params = json!({"notifications": {
            "resourceSubscriptions": ["task://1", "nope://x"], "toolsListChanged": true}});
        let id = json!("listen-1");
        let run = listen(
            &subscriptions,
            &connection,
            &id,
            &params,
            Stop::new(vec![stop_rx]),
        );
        let waiter = async {
            let ack: Value = serde_json::from_str(rx.recv().await.unwrap().get()).unwrap();
            assert_eq!(ack["method"], "notifications/subscriptions/acknowledged");
            assert_eq!(ack["params"]["_meta"][SUBSCRIPTION_ID_KEY], "listen-1");
            assert_eq!(
                ack["params"]["notifications"],
                json!({"resourceSubscriptions": ["task://1"]})
            );
            assert_eq!(subscriptions.count(), 1);
            stop_tx.send_replace(true);
        };
        let (result, ()) = tokio::join!(run, waiter);
        assert_eq!(result.unwrap()["_meta"][SUBSCRIPTION_ID_KEY], "listen-1");
        assert_eq!(
            subscriptions.count(),
            0,
            "the stream's subscriptions end with it"
        );
    }
}
