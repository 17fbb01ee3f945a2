//! How a Streamable HTTP POST is answered once the engine has handled its body: 202 for notifications and
//! responses only (H8), else the reply as JSON or as one SSE event (H9); 400 when the whole message was
//! rejected (H7, H25); the session id on the initialize that created a session.

use super::sessions::HttpSession;
use super::state::AppState;
use super::streamable::SESSION_HEADER;
use crate::mcp::jsonrpc::Reply;
use actix_web::HttpResponse;
use actix_web::http::{StatusCode, header};
use serde_json::Value;
use std::sync::Arc;

/// What the client accepts for the reply (from `Accept`; JSON wins when both are allowed).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    /// The client accepts only SSE: one `message` event carrying the response, then the stream ends.
    Sse,
}

/// A POST about to be handled: its session and what the answer depends on, taken from the body before
/// the engine consumes it.
pub struct Post {
    pub session: Arc<HttpSession>,
    /// This POST is the initialize that created the session.
    pub created: bool,
    /// The body is one request (not a batch, notification or response).
    pub single_request: bool,
    pub format: Format,
}

impl Post {
    pub fn new(session: Arc<HttpSession>, created: bool, body: &Value, format: Format) -> Self {
        let single_request = body.get("method").is_some() && body.get("id").is_some();
        Post {
            session,
            created,
            single_request,
            format,
        }
    }

    /// The response for the engine's `reply`. A failed initialize leaves no session behind.
    pub fn answer(self, state: &AppState, reply: Option<Reply>) -> HttpResponse {
        let failed = reply.as_ref().is_some_and(|r| r.error_code.is_some());
        if self.created && failed {
            state.sessions.remove(&self.session.id);
        }
        let Some(reply) = reply else {
            return HttpResponse::Accepted().finish(); // H8: only notifications/responses.
        };
        // Rejections of the whole message (invalid request, batch not allowed, re-initialize) are 400s (H7,
        // H25): anything failing but a single request, and an invalid single request on an existing session.
        let whole_message =
            !self.single_request || !self.created && reply.error_code == Some(-32600);
        let status = if failed && whole_message {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        };
        let mut response = HttpResponse::build(status);
        if self.created && !failed {
            response.insert_header((SESSION_HEADER, self.session.id.as_str()));
        }
        match self.format {
            Format::Json => response
                .content_type("application/json")
                .body(reply.into_string()),
            Format::Sse => response
                .content_type("text/event-stream")
                .insert_header((header::CACHE_CONTROL, "no-cache, no-transform"))
                .body(format!("event: message\ndata: {}\n\n", reply.json.get())),
        }
    }
}
