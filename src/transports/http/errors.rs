//! [`HttpError`]: every rejection the HTTP transports make, one variant each. Its message is written once
//! (the `#[error]` text), and so is every status and header rule (`ResponseError` below): handlers return
//! `Result<HttpResponse, HttpError>` and use `?`, the middleware turns the same values into responses.
//! Every error body is JSON: `{"error": message}`, or a JSON-RPC error object for rejections of an MCP
//! message once its body has been read (they echo its id, M6).

use super::sessions::Full;
use crate::mcp::jsonrpc::{self, RpcError};
use crate::mcp::protocol::{ErrorCode, SUPPORTED_VERSIONS};
use actix_web::http::{Method, StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use serde_json::{Value, json};
use std::time::Duration;

/// The id a JSON-RPC error echoes (see [`request_id`]); boxed, as `Value` is large and errors travel in
/// every handler's `Result`.
pub type Id = Box<Value>;

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    // --- Middleware (guard.rs) ---
    /// 403: `Host` not in the allow-list, or malformed (H3).
    #[error("Forbidden: Host {0:?} is not allowed (set TINYTASK_ALLOWED_HOSTS)")]
    ForbiddenHost(String),
    /// 403: `Origin` not allowed, or malformed (H2).
    #[error("Forbidden: Origin {0:?} is not allowed (set TINYTASK_ALLOWED_ORIGINS)")]
    ForbiddenOrigin(String),
    /// 401 + `WWW-Authenticate`: `TINYTASK_AUTH_TOKEN` is set and no valid bearer token came.
    #[error("Unauthorized: a valid Authorization: Bearer token is required")]
    Unauthorized,
    /// 404 for unknown routes.
    #[error("Not found: {method} {path}")]
    NoRoute { method: Method, path: String },

    // --- Request checks before the body is read (body.rs) ---
    /// 415: POST body not declared as JSON (H6).
    #[error("Unsupported Media Type: Content-Type must be application/json")]
    NotJson,
    /// 406: a POST's Accept names neither JSON nor SSE (H5, P4).
    #[error("Not Acceptable: Accept must include application/json or text/event-stream")]
    AcceptsNeither,
    /// 406: a GET stream's Accept lacks SSE (H17).
    #[error("Not Acceptable: Accept must include text/event-stream")]
    AcceptsNoSse,
    /// 413: from Content-Length before reading, or while reading; the limit in bytes.
    #[error("Payload Too Large: request bodies are limited to {0} bytes")]
    TooLarge(usize),
    /// 408 + connection closed: the whole body did not arrive within the timeout.
    #[error(
        "Request Timeout: the request body did not arrive within {} s (TINYTASK_BODY_TIMEOUT_SECS)",
        .0.as_secs()
    )]
    BodyTimeout(Duration),
    /// 400: the body could not be read (a transport error, not its content).
    #[error("Bad Request: {0}")]
    BodyRead(String),

    // --- JSON-RPC errors about the body (echo its id) ---
    /// 400 + -32700: invalid JSON (H11); the id is always null, there is nothing to take it from.
    #[error("Parse error: {0}")]
    Parse(serde_json::Error),
    /// 400 + -32600: `MCP-Protocol-Version` present but not supported (H30).
    #[error(
        "Bad Request: unsupported MCP-Protocol-Version {version:?}; supported: {}",
        SUPPORTED_VERSIONS.join(", ")
    )]
    UnsupportedVersion { version: String, id: Id },
    /// 400 + -32600: no `Mcp-Session-Id` on a request that needs one (H22, H24).
    #[error("Bad Request: Mcp-Session-Id header is required")]
    MissingSession(Id),
    /// A 2026-07-28 request rejected before it ran (M3, M4): its JSON-RPC error, with the id it echoes
    /// (M6); the status follows the code (`stateless::status_of`).
    #[error("{}", .0.1.message)]
    Stateless(Box<(Value, RpcError)>),
    /// 405 + `Allow: POST`: a GET or DELETE from a 2026-07-28 client; that era has no stream or session
    /// to open or end (M4).
    #[error(
        "Method Not Allowed: protocol version 2026-07-28 has no sessions or GET streams; POST each request \
         (subscriptions/listen for notifications)"
    )]
    StatelessNoStream,
    /// 404 + -32600: unknown or expired Streamable session (H23, H24).
    #[error("Session not found: it expired or was closed; send initialize to start a new one")]
    UnknownSession(Id),

    // --- Sessions and streams ---
    /// 503 + `Retry-After`: every session is in use, none can be evicted (both transports).
    #[error("Service Unavailable: all {0} sessions are in use (TINYTASK_MAX_SESSIONS)")]
    TooManySessions(usize),
    /// 409: a second GET stream on a Streamable session (H18).
    #[error("Conflict: this session already has an open stream")]
    StreamAlreadyOpen,
    /// 405 + `Allow`: GET /mcp with neither a session id nor SSE in Accept (H20, P5).
    #[error(
        "Method Not Allowed: GET /mcp needs an Mcp-Session-Id (or Accept: text/event-stream for legacy SSE)"
    )]
    NoStreamWithoutSession,
    /// 400: legacy POST without (or with an empty) `sessionId` (E4).
    #[error("Bad Request: the sessionId query parameter is required")]
    MissingLegacySession,
    /// 404: unknown legacy session (E5).
    #[error("Session not found: open a new stream with GET /sse")]
    UnknownLegacySession,
    /// 404: the legacy session's stream closed before its response could be sent on it.
    #[error("Session not found: its stream is closed")]
    LegacyStreamClosed,

    // --- Dashboard (ui/) ---
    /// 403: a cookie-authenticated write without the CSRF header.
    #[error(
        "Forbidden: a request authenticated by the dashboard cookie must carry the X-TinyTask-CSRF header \
         (the value of the page's <meta name=\"tinytask-csrf\">) unless it is a GET or HEAD"
    )]
    CsrfMissing,
    /// 403: a cookie-authenticated write whose CSRF header does not belong to its cookie.
    #[error(
        "Forbidden: the X-TinyTask-CSRF header does not match the dashboard cookie (reload /ui/ to get the current token)"
    )]
    CsrfMismatch,
    /// 403: a cookie-authenticated write while the dashboard is read-only.
    #[error(
        "Forbidden: the dashboard is read-only (TINYTASK_UI=readonly): {method} {path} is refused for \
         cookie-authenticated requests"
    )]
    UiReadonly { method: Method, path: String },
    /// 503 + `Retry-After`: every dashboard stream slot is taken.
    #[error("Service Unavailable: all {0} dashboard streams are open (TINYTASK_UI_MAX_STREAMS)")]
    TooManyUiStreams(usize),
    /// 503: the dashboard stream could not read where the feed stands (database unavailable).
    #[error("Service Unavailable: the event feed cannot be read: {0}")]
    FeedUnavailable(String),
    /// 503: the shared session table (PostgreSQL) could not be read.
    #[error("Service Unavailable: the shared session store cannot be read: {0}")]
    SessionsUnavailable(String),
    /// 400: a `Last-Event-ID` that is not an event cursor.
    #[error("Bad Request: Last-Event-ID {0:?} is not an event cursor (an integer ≥ 0)")]
    BadLastEventId(String),
    /// 400: a login POST that is not a form with a `token` field.
    #[error(
        "Bad Request: POST /ui/login takes an application/x-www-form-urlencoded body with a `token` field \
         ({0})"
    )]
    BadLoginForm(String),
}

impl From<Full> for HttpError {
    fn from(full: Full) -> Self {
        HttpError::TooManySessions(full.max)
    }
}

impl HttpError {
    /// The JSON-RPC error to send instead of `{"error"}`, with the id it echoes.
    fn rpc(&self) -> Option<(&Value, RpcError)> {
        let message = || self.to_string();
        match self {
            HttpError::Parse(_) => Some((
                &Value::Null,
                RpcError::new(ErrorCode::PARSE_ERROR, message()),
            )),
            HttpError::UnsupportedVersion { id, .. }
            | HttpError::MissingSession(id)
            | HttpError::UnknownSession(id) => Some((id, RpcError::invalid_request(message()))),
            HttpError::Stateless(rejected) => Some((&rejected.0, rejected.1.clone())),
            _ => None,
        }
    }
}

impl ResponseError for HttpError {
    fn status_code(&self) -> StatusCode {
        match self {
            HttpError::ForbiddenHost(_)
            | HttpError::ForbiddenOrigin(_)
            | HttpError::CsrfMissing
            | HttpError::CsrfMismatch
            | HttpError::UiReadonly { .. } => StatusCode::FORBIDDEN,
            HttpError::Unauthorized => StatusCode::UNAUTHORIZED,
            HttpError::NoRoute { .. }
            | HttpError::UnknownSession(_)
            | HttpError::UnknownLegacySession
            | HttpError::LegacyStreamClosed => StatusCode::NOT_FOUND,
            HttpError::NotJson => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            HttpError::AcceptsNeither | HttpError::AcceptsNoSse => StatusCode::NOT_ACCEPTABLE,
            HttpError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            HttpError::BodyTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            HttpError::BodyRead(_)
            | HttpError::Parse(_)
            | HttpError::UnsupportedVersion { .. }
            | HttpError::MissingSession(_)
            | HttpError::MissingLegacySession
            | HttpError::BadLastEventId(_)
            | HttpError::BadLoginForm(_) => StatusCode::BAD_REQUEST,
            HttpError::TooManySessions(_)
            | HttpError::TooManyUiStreams(_)
            | HttpError::FeedUnavailable(_)
            | HttpError::SessionsUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            HttpError::StreamAlreadyOpen => StatusCode::CONFLICT,
            HttpError::NoStreamWithoutSession | HttpError::StatelessNoStream => {
                StatusCode::METHOD_NOT_ALLOWED
            }
            HttpError::Stateless(rejected) => super::stateless::status_of(rejected.1.code),
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        match self {
            HttpError::Unauthorized => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"tinytask\""))
            }
            HttpError::NoStreamWithoutSession => {
                response.insert_header((header::ALLOW, "GET, POST, DELETE"))
            }
            HttpError::StatelessNoStream => response.insert_header((header::ALLOW, "POST")),
            HttpError::TooManySessions(_) => response.insert_header((header::RETRY_AFTER, "30")),
            HttpError::TooManyUiStreams(_) => response.insert_header((header::RETRY_AFTER, "10")),
            // The rest of the body may still be trickling in, and a slow client must not keep its socket
            // by starting another request.
            HttpError::BodyTimeout(_) => response.force_close(),
            _ => &mut response,
        };
        match self.rpc() {
            Some((id, error)) => response
                .content_type("application/json")
                .body(jsonrpc::failure(id, &error).into_string()),
            None => response.json(json!({ "error": self.to_string() })),
        }
    }
}

/// The id to echo in a transport-level error about `body`: a single request's id; null for batches,
/// notifications and anything without a usable id (string or number, B2).
pub fn request_id(body: &Value) -> Id {
    match body.get("id") {
        Some(id @ (Value::String(_) | Value::Number(_))) => Box::new(id.clone()),
        _ => Box::new(Value::Null),
    }
}

/// 404 for unknown routes.
pub async fn not_found(req: HttpRequest) -> Result<HttpResponse, HttpError> {
    Err(HttpError::NoRoute {
        method: req.method().clone(),
        path: req.path().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stays_small() {
        // Every handler returns it; large payloads are boxed (clippy's result_large_err bound is 128).
        assert!(std::mem::size_of::<HttpError>() <= 64);
    }
}
