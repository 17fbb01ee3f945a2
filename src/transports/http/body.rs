//! Request checks shared by the MCP endpoints: JSON content type, Accept, body size, JSON parsing.

use super::errors::{error, rpc_error};
use crate::mcp::jsonrpc::RpcError;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::Value;
use std::time::Duration;

/// 415 unless the body is declared as JSON (H6).
pub fn require_json(req: &HttpRequest) -> Result<(), HttpResponse> {
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
    if ok {
        Ok(())
    } else {
        Err(error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported Media Type: Content-Type must be application/json",
        ))
    }
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

/// 408 for a body that did not arrive in time. The connection is closed: the rest of the body may still
/// be trickling in, and a slow client must not keep its socket by starting another request.
fn body_timed_out(timeout: Duration) -> HttpResponse {
    HttpResponse::build(StatusCode::REQUEST_TIMEOUT)
        .force_close()
        .json(serde_json::json!({"error": format!(
            "Request Timeout: the request body did not arrive within {} s (TINYTASK_BODY_TIMEOUT_SECS)",
            timeout.as_secs()
        )}))
}

/// Reads the body up to the configured limit (413 beyond) within `timeout` for the whole body (408
/// beyond: a deadline per chunk would let a client trickle one byte at a time forever) and parses it
/// (400 + -32700 when invalid).
pub async fn read_json(
    payload: web::Payload,
    limit: usize,
    timeout: Duration,
) -> Result<Value, HttpResponse> {
    let too_large = || {
        error(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("Payload Too Large: request bodies are limited to {limit} bytes"),
        )
    };
    let read = tokio::time::timeout(timeout, payload.to_bytes_limited(limit));
    let body = match read.await {
        Err(_) => return Err(body_timed_out(timeout)),
        Ok(Err(_)) => return Err(too_large()),
        Ok(Ok(Err(e))) => return Err(error(StatusCode::BAD_REQUEST, format!("Bad Request: {e}"))),
        Ok(Ok(Ok(body))) => body,
    };
    serde_json::from_slice(&body).map_err(|e| {
        rpc_error(
            StatusCode::BAD_REQUEST,
            &Value::Null,
            RpcError::parse_error(e),
        )
    })
}

/// 413 straight from Content-Length, before reading anything.
pub fn check_length(req: &HttpRequest, limit: usize) -> Result<(), HttpResponse> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    match declared {
        Some(n) if n > limit => Err(error(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("Payload Too Large: request bodies are limited to {limit} bytes"),
        )),
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
