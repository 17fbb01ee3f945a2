//! Legacy HTTP+SSE (2024-11-05) for clients configured for TinyTask 1.x: `GET /sse` (or `GET /mcp`
//! accepting SSE) opens a stream whose first event names the POST endpoint; each POST is answered 202 and
//! its JSON-RPC response travels on **that session's** stream (E1–E9). Every session has its own protocol
//! state and channel, so a response can never reach another client's stream (the 1.x 300 s hang).

use super::body::{check_length, label, read_json, require_json};
use super::errors::HttpError;
use super::sessions::Kind;
use super::sse;
use super::state::AppState;
use crate::metrics::Transport;
use actix_web::{HttpRequest, HttpResponse, web};
use actix_web_lab::sse::{Data, Event};
use std::sync::Arc;

/// Opens a legacy session and its stream; `endpoint_path` is where the client must POST (relative URI).
pub fn open_stream(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    endpoint_path: &str,
) -> Result<HttpResponse, HttpError> {
    let session = state.create_session(Kind::Legacy)?;
    session.open_stream();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    session.mcp.set_outbound(Some(tx));
    let endpoint: Event = Data::new(format!("{endpoint_path}?sessionId={}", session.id))
        .event("endpoint")
        .into();
    tracing::info!(session = %session.id, endpoint_path, "legacy SSE session opened");
    let (state_on_close, closing) = (state.clone(), Arc::clone(&session));
    let counted = state.engine.metrics().stream_opened(Transport::LegacySse);
    Ok(sse::stream(
        req,
        rx,
        state.shutdown.clone(),
        Some(endpoint),
        move || {
            drop(counted);
            // E7: the session lives exactly as long as its stream.
            state_on_close.sessions.remove(&closing.id);
            state_on_close.end_session(&closing);
            tracing::info!(session = %closing.id, "legacy SSE session closed");
        },
    ))
}

pub async fn get_sse(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, HttpError> {
    open_stream(&req, &state, "/messages")
}

#[derive(serde::Deserialize)]
pub struct MessageQuery {
    #[serde(rename = "sessionId")]
    session_id: Option<String>,
}

pub async fn post_messages(
    req: HttpRequest,
    query: web::Query<MessageQuery>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, HttpError> {
    let id = query
        .session_id
        .as_deref()
        .ok_or(HttpError::MissingLegacySession)?;
    post_message(&req, id, payload, &state).await
}

/// E4/E5: 400 without a session id, 404 for an unknown one, otherwise handle the message and answer 202;
/// the JSON-RPC response goes to the session's stream.
pub async fn post_message(
    req: &HttpRequest,
    id: &str,
    payload: web::Payload,
    state: &AppState,
) -> Result<HttpResponse, HttpError> {
    if id.is_empty() {
        return Err(HttpError::MissingLegacySession);
    }
    let session = state
        .sessions
        .get(id, Kind::Legacy)
        .ok_or(HttpError::UnknownLegacySession)?;
    require_json(req)?;
    check_length(req, state.settings.max_body_bytes)?;
    let body = read_json(payload, &state.settings).await?;
    label(req, &body);
    state.note_use(&session, &body).await;
    // A call that may wait (wait_for_task, get_events with wait_secs) answers on the stream when it is
    // done; the POST is accepted at once, as clients time POSTs out after a few seconds.
    if state.engine.may_wait(&body) {
        let handled = state.engine.handle_value(&session.mcp, body);
        let mcp = Arc::clone(&session.mcp);
        tokio::spawn(async move {
            if let Some(reply) = handled.await {
                mcp.notify(reply.json);
            }
        });
        return Ok(accepted());
    }
    // Handled before answering 202 so messages of one client are processed in the order it sent them.
    if let Some(reply) = state.engine.handle_value(&session.mcp, body).await
        && !session.mcp.notify(reply.json)
    {
        return Err(HttpError::LegacyStreamClosed);
    }
    Ok(accepted())
}

fn accepted() -> HttpResponse {
    HttpResponse::Accepted()
        .content_type("text/plain")
        .body("Accepted")
}
