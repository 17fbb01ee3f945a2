//! Streamable HTTP under 2026-07-28 (M1–M10): every POST stands alone. No session is minted or looked up;
//! the request's `_meta` and its routing headers say everything, so any server process behind a
//! round-robin balancer can answer it. The engine serves it; this file only checks the headers against the
//! body (the one thing only HTTP has), picks JSON or SSE for the answer, and maps error codes to statuses.

use super::body::Accepts;
use super::errors::{HttpError, request_id};
use super::sse;
use super::state::AppState;
use super::streamable::{VERSION_HEADER, header_value};
use crate::mcp::era;
use crate::mcp::jsonrpc::{Reply, RpcError};
use crate::mcp::protocol::MODERN_VERSION;
use crate::mcp::{Engine, Session};
use crate::metrics::Transport;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse};
use serde_json::Value;
use std::sync::Arc;

/// Whether a request is for the stateless era: it says so in its `MCP-Protocol-Version` header or in
/// its body (`_meta` protocol version, `server/discover`).
pub fn is_stateless(req: &HttpRequest, body: &Value) -> bool {
    if is_stateless_stream_request(req) {
        return true;
    }
    let method = body.get("method").and_then(Value::as_str).unwrap_or("");
    let params = body.get("params").unwrap_or(&Value::Null);
    era::is_modern(method, params)
}

/// Whether a request names 2026-07-28 in its `MCP-Protocol-Version` header; for a GET or DELETE there is
/// no stream or session to give it (M4: 405).
pub fn is_stateless_stream_request(req: &HttpRequest) -> bool {
    header_value(req, VERSION_HEADER) == Some(MODERN_VERSION)
}

/// The HTTP status of a modern JSON-RPC error (the Python SDK's table: request defects are 400s, an
/// unknown method is a 404; errors of the work itself stay 200).
pub fn status_of(code: i32) -> StatusCode {
    match code {
        -32700 | -32600 | -32602 | -32020 | -32021 | -32022 => StatusCode::BAD_REQUEST,
        -32601 => StatusCode::NOT_FOUND,
        _ => StatusCode::OK,
    }
}

/// Rungs 1–3 of M3/M4 for one request: envelope keys, headers against the body, served version.
fn check(req: &HttpRequest, method: &str, params: &Value) -> Result<era::Envelope, RpcError> {
    era::check_keys(params)?;
    era::check_headers(method, params, |name| header_value(req, name))?;
    era::check_version(params)
}

/// Whether the answer must be a stream: the request sends notifications before its result (a listen
/// stream, log messages it asked for) or may wait, so that a client going away is noticed (M10).
fn streams(engine: &Engine, method: &str, envelope: Option<&era::Envelope>, body: &Value) -> bool {
    method == "subscriptions/listen"
        || envelope.is_some_and(|e| e.log_level.is_some())
        || engine.may_wait(body)
}

pub async fn post(
    req: &HttpRequest,
    body: Value,
    accept: &Accepts,
    state: &AppState,
) -> Result<HttpResponse, HttpError> {
    let id = request_id(&body);
    let reject = |error: RpcError| HttpError::Stateless(Box::new(((*id).clone(), error)));
    let Some(object) = body.as_object() else {
        return Err(reject(RpcError::invalid_request(format!(
            "Invalid Request: protocol version {MODERN_VERSION} takes one JSON-RPC object per POST (no \
             batches)"
        ))));
    };
    // Notifications and responses need no answer; the modern era cancels by closing the stream (M10).
    let is_request = object.contains_key("id") && object.contains_key("method");
    if !is_request
        && ["method", "result", "error"]
            .iter()
            .any(|k| object.contains_key(*k))
    {
        return Ok(HttpResponse::Accepted().finish());
    }
    let method = object
        .get("method")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let empty = Value::Object(Default::default());
    let params = object.get("params").unwrap_or(&empty);
    // A malformed request (no method, params not an object) is left to the engine, which names the defect.
    let envelope = if !method.is_empty() && params.is_object() {
        Some(check(req, &method, params).map_err(reject)?)
    } else {
        None
    };
    // A fresh context per request: nothing of it outlives the answer.
    let session = Arc::new(Session::in_pool(&state.stateless_waits));
    if accept.sse && streams(&state.engine, &method, envelope.as_ref(), &body) {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        session.set_outbound(Some(tx));
        let handled = state.engine.handle_value(&session, body);
        // A listen stream is an open server-to-client stream like a legacy GET stream: counted while open.
        let counted = (method == "subscriptions/listen").then(|| {
            state
                .engine
                .metrics()
                .stream_opened(Transport::StreamableHttp)
        });
        let handled = async move {
            let _counted = counted;
            handled.await
        };
        return Ok(sse::answer_stream(
            req,
            Some(rx),
            handled,
            Some(state.shutdown.clone()),
        ));
    }
    if method == "subscriptions/listen" {
        return Err(HttpError::AcceptsNoSse);
    }
    let reply = state.engine.handle_value(&session, body).await;
    Ok(answer(reply, accept))
}

/// A finished request's answer: JSON when the client accepts it, else one SSE event (H9).
fn answer(reply: Option<Reply>, accept: &Accepts) -> HttpResponse {
    let Some(reply) = reply else {
        return HttpResponse::Accepted().finish();
    };
    let status = reply.error_code.map_or(StatusCode::OK, status_of);
    let mut response = HttpResponse::build(status);
    if accept.json {
        response
            .content_type("application/json")
            .body(reply.into_string())
    } else {
        response
            .content_type("text/event-stream")
            .insert_header((header::CACHE_CONTROL, "no-cache, no-transform"))
            .body(format!("event: message\ndata: {}\n\n", reply.json.get()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_defects_are_400_unknown_methods_404_and_work_errors_200() {
        for code in [-32700, -32600, -32602, -32020, -32021, -32022] {
            assert_eq!(status_of(code), StatusCode::BAD_REQUEST, "{code}");
        }
        assert_eq!(status_of(-32601), StatusCode::NOT_FOUND);
        assert_eq!(status_of(-32603), StatusCode::OK);
    }
}
