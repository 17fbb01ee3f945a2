//! Request checks shared by the MCP endpoints: JSON content type, Accept, body size, JSON parsing.

use super::errors::HttpError;
use crate::config::HttpSettings;
use actix_web::http::header;
use actix_web::{HttpRequest, web};
use serde_json::Value;

/// 415 unless the body is declared as JSON (H6).
pub fn require_json(req: &HttpRequest) -> Result<(), HttpError> {
    let ok = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case("application/json")
        });
    if ok { Ok(()) } else { Err(HttpError::NotJson) }
}

/// What the client's Accept header allows (missing = anything; lenient per P4).
pub struct Accepts {
    pub json: bool,
    pub sse: bool,
}

pub fn accepts(req: &HttpRequest) -> Accepts {
    let Some(accept) = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
    else {
        return Accepts {
            json: true,
            sse: true,
        };
    };
    let types: Vec<String> = accept
        .split(',')
        .map(|t| {
            t.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .collect();
    let any = types.iter().any(|t| t == "*/*");
    Accepts {
        json: any
            || types
                .iter()
                .any(|t| t == "application/json" || t == "application/*"),
        sse: any
            || types
                .iter()
                .any(|t| t == "text/event-stream" || t == "text/*"),
    }
}

/// Reads the body up to `max_body_bytes` (413 beyond) within `body_timeout` for the whole body (408
/// beyond, and the connection is closed: a deadline per chunk would let a client trickle one byte at a
/// time forever) and parses it (400 + -32700 when invalid).
pub async fn read_json(payload: web::Payload, settings: &HttpSettings) -> Result<Value, HttpError> {
    let (limit, timeout) = (settings.max_body_bytes, settings.body_timeout);
    let body = match tokio::time::timeout(timeout, payload.to_bytes_limited(limit)).await {
        Err(_) => return Err(HttpError::BodyTimeout(timeout)),
        Ok(Err(_)) => return Err(HttpError::TooLarge(limit)),
        Ok(Ok(Err(e))) => return Err(HttpError::BodyRead(e.to_string())),
        Ok(Ok(Ok(body))) => body,
    };
    serde_json::from_slice(&body).map_err(HttpError::Parse)
}

/// 413 straight from Content-Length, before reading anything.
pub fn check_length(req: &HttpRequest, limit: usize) -> Result<(), HttpError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    match declared {
        Some(n) if n > limit => Err(HttpError::TooLarge(limit)),
        _ => Ok(()),
    }
}

/// The JSON-RPC method (and tool) of a request, for the access log line (never argument values).
#[derive(Clone, Debug)]
pub struct RpcLabel(pub String);

/// Records what the body asks for in the request's extensions; `guard::log_requests` logs it.
pub fn label(req: &HttpRequest, body: &Value) {
    use actix_web::HttpMessage;
    let method = body.get("method").and_then(Value::as_str);
    let label = match (method, body.pointer("/params/name").and_then(Value::as_str)) {
        (Some("tools/call"), Some(tool)) => format!("tools/call {tool}"),
        (Some(m), _) => m.to_string(),
        (None, _) if body.is_array() => "batch".to_string(),
        (None, _) => "response".to_string(),
    };
    req.extensions_mut().insert(RpcLabel(label));
}

/// Whether the body shows the session is really used: it holds a message other than `initialize` and
/// `notifications/initialized` (the two every session sends, attacker or not). Sessions that never send
/// one are the first to be evicted and expire early (docs/HTTP.md, "Session limits").
pub fn shows_use(body: &Value) -> bool {
    let real = |m: &Value| {
        m.get("method")
            .and_then(Value::as_str)
            .is_some_and(|method| method != "initialize" && method != "notifications/initialized")
    };
    match body {
        Value::Array(items) => items.iter().any(real),
        other => real(other),
    }
}
