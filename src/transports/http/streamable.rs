//! Streamable HTTP at `/mcp` (2025-03-26 … 2025-11-25): POST carries client messages, GET opens the
//! session's notification stream, DELETE ends the session. Status codes follow docs/HTTP.md (H5–H33).

use super::body::{accepts, check_length, label, read_json, require_json, shows_use};
use super::errors::{error, request_id, rpc_error, too_many_sessions};
use super::sessions::{HttpSession, Kind};
use super::state::AppState;
use super::{legacy, sse};
use crate::mcp::jsonrpc::{Reply, RpcError};
use crate::mcp::protocol::SUPPORTED_VERSIONS;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::Value;
use std::sync::Arc;

pub const SESSION_HEADER: &str = "mcp-session-id";
const VERSION_HEADER: &str = "mcp-protocol-version";

/// `?sessionId=` routes a request to a legacy SSE session (TinyTask 1.x clients use `/mcp` for both).
#[derive(Deserialize)]
pub struct LegacyQuery {
    #[serde(rename = "sessionId")]
    pub session_id: Option<String>,
}

fn header_value<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// H30: a present but unsupported `MCP-Protocol-Version` is a 400 (absent means 2025-03-26, H29). `id`
/// is echoed in the error (M6).
fn check_version_header(req: &HttpRequest, id: &Value) -> Result<(), HttpResponse> {
    match header_value(req, VERSION_HEADER) {
        Some(v) if !SUPPORTED_VERSIONS.contains(&v) => Err(rpc_error(
            StatusCode::BAD_REQUEST,
            id,
            RpcError::invalid_request(format!(
                "Bad Request: unsupported MCP-Protocol-Version {v:?}; supported: {}",
                SUPPORTED_VERSIONS.join(", ")
            )),
        )),
        _ => Ok(()),
    }
}

fn missing_session(id: &Value) -> HttpResponse {
    rpc_error(
        StatusCode::BAD_REQUEST,
        id,
        RpcError::invalid_request("Bad Request: Mcp-Session-Id header is required"),
    )
}

fn unknown_session(id: &Value) -> HttpResponse {
    rpc_error(
        StatusCode::NOT_FOUND,
        id,
        RpcError::invalid_request(
            "Session not found: it expired or was closed; send initialize to start a new one",
        ),
    )
}

fn is_initialize(body: &Value) -> bool {
    body.get("method").and_then(Value::as_str) == Some("initialize")
}

/// Whether the body holds at least one request (something with `method` and `id`), i.e. needs an answer.
fn has_request(body: &Value) -> bool {
    let is_request = |m: &Value| m.get("method").is_some() && m.get("id").is_some();
    match body {
        Value::Array(items) => items.iter().any(is_request),
        other => is_request(other),
    }
}

pub async fn post(
    req: HttpRequest,
    query: web::Query<LegacyQuery>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    if let Some(id) = &query.session_id {
        return legacy::post_message(&req, id, payload, &state).await;
    }
    if let Err(response) =
        require_json(&req).and_then(|_| check_length(&req, state.settings.max_body_bytes))
    {
        return response;
    }
    let accept = accepts(&req);
    if !accept.json && !accept.sse {
        return error(
            StatusCode::NOT_ACCEPTABLE,
            "Not Acceptable: Accept must include application/json or text/event-stream",
        );
    }
    let settings = &state.settings;
    let body = match read_json(payload, settings.max_body_bytes, settings.body_timeout).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    label(&req, &body);
    // Header checks that answer with a JSON-RPC error come after the body is read, so they echo its id.
    let id = request_id(&body);
    if let Err(response) = check_version_header(&req, &id) {
        return response;
    }
    let known =
        header_value(&req, SESSION_HEADER).map(|id| state.sessions.get(id, Kind::Streamable));
    let (session, created) = match (known, is_initialize(&body)) {
        (Some(Some(session)), _) => (session, false),
        // P2: an initialize carrying a stale (or no) id starts a fresh session.
        (_, true) => match state.create_session(Kind::Streamable) {
            Ok(s) => (s, true),
            Err(full) => return too_many_sessions(full.max),
        },
        (Some(None), false) => return unknown_session(&id),
        (None, false) => return missing_session(&id),
    };
    if !created && shows_use(&body) {
        // Before handling, so a flood of initializes cannot evict this session mid-request.
        state.sessions.mark_used(&session);
    }
    let needs_answer = has_request(&body);
    let batch = body.is_array();
    let reply = state.engine.handle_value(&session.mcp, body).await;
    respond(
        &state,
        &session,
        created,
        needs_answer,
        batch,
        reply,
        accept.json,
    )
}

fn respond(
    state: &AppState,
    session: &Arc<HttpSession>,
    created: bool,
    needs_answer: bool,
    batch: bool,
    reply: Option<Reply>,
    json: bool,
) -> HttpResponse {
    let failed = reply.as_ref().is_some_and(|r| r.error_code.is_some());
    if created && failed {
        state.sessions.remove(&session.id);
    }
    let Some(reply) = reply else {
        return HttpResponse::Accepted().finish(); // H8: only notifications/responses.
    };
    // Rejections of the whole message (invalid request, batch not allowed, re-initialize) are 400s (H7, H25).
    let status =
        if failed && (!needs_answer || batch || !created && reply.error_code == Some(-32600)) {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        };
    let mut response = HttpResponse::build(status);
    if created && !failed {
        response.insert_header((SESSION_HEADER, session.id.as_str()));
    }
    if json {
        response
            .content_type("application/json")
            .body(reply.into_string())
    } else {
        // The client accepts only SSE: one `message` event carrying the response, then the stream ends.
        response
            .content_type("text/event-stream")
            .insert_header((header::CACHE_CONTROL, "no-cache, no-transform"))
            .body(format!("event: message\ndata: {}\n\n", reply.json.get()))
    }
}

/// GET: the session's notification stream; without a session id, a legacy SSE stream for 1.x clients.
pub async fn get(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let accept = accepts(&req);
    let Some(id) = header_value(&req, SESSION_HEADER) else {
        if accept.sse && req.headers().contains_key(header::ACCEPT) {
            return legacy::open_stream(&req, &state, "/mcp");
        }
        // H20/P5: no stream can be offered without a session → 405, which every client handles.
        return HttpResponse::MethodNotAllowed()
            .insert_header((header::ALLOW, "GET, POST, DELETE"))
            .json(serde_json::json!({"error": "Method Not Allowed: GET /mcp needs an Mcp-Session-Id (or Accept: text/event-stream for legacy SSE)"}));
    };
    if let Err(response) = check_version_header(&req, &Value::Null) {
        return response;
    }
    if !accept.sse {
        return error(
            StatusCode::NOT_ACCEPTABLE,
            "Not Acceptable: Accept must include text/event-stream",
        );
    }
    let Some(session) = state.sessions.get(id, Kind::Streamable) else {
        return unknown_session(&Value::Null);
    };
    if !session.open_stream() {
        return error(
            StatusCode::CONFLICT,
            "Conflict: this session already has an open stream",
        );
    }
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    session.mcp.set_outbound(Some(tx));
    let (closing, on_close_state) = (Arc::clone(&session), state.clone());
    sse::stream(&req, rx, state.shutdown.clone(), None, move || {
        closing.mcp.set_outbound(None);
        on_close_state.sessions.close_stream(&closing);
    })
}

/// DELETE: ends the session (H24); its stream closes and its subscriptions stop.
pub async fn delete(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let Some(id) = header_value(&req, SESSION_HEADER) else {
        return missing_session(&Value::Null);
    };
    if state.sessions.get(id, Kind::Streamable).is_none() {
        return unknown_session(&Value::Null);
    }
    if let Some(session) = state.sessions.remove(id) {
        state.end_session(&session);
    }
    HttpResponse::NoContent().finish()
}
