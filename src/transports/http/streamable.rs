//! Streamable HTTP at `/mcp` (2025-03-26 … 2025-11-25): POST carries client messages, GET opens the
//! session's notification stream, DELETE ends the session. Status codes follow docs/HTTP.md (H5–H33).

use super::answer::{Format, Post};
use super::body::{accepts, check_length, label, read_json, require_json};
use super::errors::{HttpError, Id, request_id};
use super::sessions::{HttpSession, Kind};
use super::state::AppState;
use super::{legacy, sse, stateless};
use crate::mcp::protocol::SUPPORTED_VERSIONS;
use crate::metrics::Transport;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::Value;
use std::sync::Arc;

pub const SESSION_HEADER: &str = "mcp-session-id";
pub(super) const VERSION_HEADER: &str = "mcp-protocol-version";

/// `?sessionId=` routes a request to a legacy SSE session (TinyTask 1.x clients use `/mcp` for both).
#[derive(Deserialize)]
pub struct LegacyQuery {
    #[serde(rename = "sessionId")]
    pub session_id: Option<String>,
}

/// A header's trimmed value; `None` when absent, not text, or empty.
pub(super) fn header_value<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// H30: a present but unsupported `MCP-Protocol-Version` is a 400 (absent means 2025-03-26, H29). `id`
/// is echoed in the error (M6).
fn check_version_header(req: &HttpRequest, id: &Id) -> Result<(), HttpError> {
    match header_value(req, VERSION_HEADER) {
        Some(v) if !SUPPORTED_VERSIONS.contains(&v) => Err(HttpError::UnsupportedVersion {
            version: v.to_string(),
            id: id.clone(),
        }),
        _ => Ok(()),
    }
}

fn is_initialize(body: &Value) -> bool {
    body.get("method").and_then(Value::as_str) == Some("initialize")
}

/// The session a POST runs in, and whether the POST created it: the one its `Mcp-Session-Id` names (held
/// here or, on PostgreSQL, by another replica), or a new one for an initialize. `id` is the request's,
/// for the errors.
async fn session_for(
    req: &HttpRequest,
    state: &AppState,
    body: &Value,
    id: Id,
) -> Result<(Arc<HttpSession>, bool), HttpError> {
    let known = match header_value(req, SESSION_HEADER) {
        Some(sid) => Some(state.find_session(sid).await?),
        None => None,
    };
    match (known, is_initialize(body)) {
        (Some(Some(session)), _) => Ok((session, false)),
        // P2: an initialize carrying a stale (or no) id starts a fresh session.
        (_, true) => Ok((state.create_session(Kind::Streamable)?, true)),
        (Some(None), false) => Err(HttpError::UnknownSession(id)),
        (None, false) => Err(HttpError::MissingSession(id)),
    }
}

pub async fn post(
    req: HttpRequest,
    query: web::Query<LegacyQuery>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, HttpError> {
    if let Some(id) = &query.session_id {
        return legacy::post_message(&req, id, payload, &state).await;
    }
    require_json(&req)?;
    check_length(&req, state.settings.max_body_bytes)?;
    let accept = accepts(&req);
    let format = match &accept {
        a if a.json => Format::Json,
        a if a.sse => Format::Sse,
        _ => return Err(HttpError::AcceptsNeither),
    };
    let body = read_json(payload, &state.settings).await?;
    label(&req, &body);
    if stateless::is_stateless(&req, &body) {
        return stateless::post(&req, body, &accept, &state).await;
    }
    // Header checks that answer with a JSON-RPC error come after the body is read, so they echo its id.
    let id = request_id(&body);
    check_version_header(&req, &id)?;
    let (session, created) = session_for(&req, &state, &body, id).await?;
    // A session this POST created holds nothing but this initialize, which never shows use.
    state.note_use(&session, &body).await;
    // A call that may wait is answered as a stream (H9 allows SSE for any request), so a client that
    // goes away is noticed and its wait claims nothing.
    if accept.sse && !created && state.engine.may_wait(&body) {
        let handled = state.engine.handle_value(&session.mcp, body);
        return Ok(sse::waiting_answer(&req, handled));
    }
    let post = Post::new(Arc::clone(&session), created, &body, format);
    let reply = state.engine.handle_value(&session.mcp, body).await;
    Ok(post.answer(&state, reply))
}

/// GET: the session's notification stream; without a session id, a legacy SSE stream for 1.x clients.
pub async fn get(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, HttpError> {
    if stateless::is_stateless_stream_request(&req) {
        return Err(HttpError::StatelessNoStream);
    }
    let accept = accepts(&req);
    let Some(id) = header_value(&req, SESSION_HEADER) else {
        if accept.sse && req.headers().contains_key(header::ACCEPT) {
            return legacy::open_stream(&req, &state, "/mcp");
        }
        // H20/P5: no stream can be offered without a session → 405, which every client handles.
        return Err(HttpError::NoStreamWithoutSession);
    };
    // No body: the errors carry a null id.
    check_version_header(&req, &Id::default())?;
    if !accept.sse {
        return Err(HttpError::AcceptsNoSse);
    }
    let session = state
        .find_session(id)
        .await?
        .ok_or_else(|| HttpError::UnknownSession(Id::default()))?;
    if !session.open_stream() {
        return Err(HttpError::StreamAlreadyOpen);
    }
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    session.mcp.set_outbound(Some(tx));
    let shared = session.mcp.shared_id().is_some();
    if shared {
        state.engine.shared_stream_opened();
    }
    let (closing, on_close_state) = (Arc::clone(&session), state.clone());
    let counted = state
        .engine
        .metrics()
        .stream_opened(Transport::StreamableHttp);
    Ok(sse::stream(
        &req,
        rx,
        state.shutdown.clone(),
        None,
        move || {
            drop(counted);
            closing.mcp.set_outbound(None);
            if shared {
                on_close_state.engine.shared_stream_closed();
            }
            on_close_state.sessions.close_stream(&closing);
        },
    ))
}

/// DELETE: ends the session (H24); its stream closes and its subscriptions stop.
pub async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, HttpError> {
    if stateless::is_stateless_stream_request(&req) {
        return Err(HttpError::StatelessNoStream);
    }
    let id = header_value(&req, SESSION_HEADER)
        .ok_or_else(|| HttpError::MissingSession(Id::default()))?;
    if state.find_session(id).await?.is_none() {
        return Err(HttpError::UnknownSession(Id::default()));
    }
    if let Some(session) = state.sessions.remove(id) {
        state.end_session(&session);
    }
    // Everywhere: the replica holding its stream closes it, and no replica takes it in again.
    if let Some(sharing) = &state.sharing {
        sharing
            .end(id)
            .await
            .map_err(|e| HttpError::SessionsUnavailable(e.to_string()))?;
    }
    Ok(HttpResponse::NoContent().finish())
}
