//! JSON error responses: every HTTP error body is JSON (plain `{"error"}` or a JSON-RPC error object).

use crate::mcp::jsonrpc::{self, RpcError};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, HttpResponseBuilder};
use serde_json::{Value, json};

/// `{"error": message}` with the given status.
pub fn error(status: StatusCode, message: impl Into<String>) -> HttpResponse {
    HttpResponseBuilder::new(status).json(json!({ "error": message.into() }))
}

/// A JSON-RPC error object for a transport-level rejection of an MCP message; `id` is the request's
/// id when the body has been read and holds one (M6), else null.
pub fn rpc_error(status: StatusCode, id: &Value, error: RpcError) -> HttpResponse {
    HttpResponseBuilder::new(status)
        .content_type("application/json")
        .body(jsonrpc::failure(id, &error).into_string())
}

/// The id to echo in a transport-level error about `body`: a single request's id; null for batches,
/// notifications and anything without a usable id (string or number, B2).
pub fn request_id(body: &Value) -> Value {
    match body.get("id") {
        Some(id @ (Value::String(_) | Value::Number(_))) => id.clone(),
        _ => Value::Null,
    }
}

/// 503 when every session is in use (none can be evicted): both transports, with `Retry-After`.
pub fn too_many_sessions(max: usize) -> HttpResponse {
    HttpResponse::ServiceUnavailable()
        .insert_header((header::RETRY_AFTER, "30"))
        .json(json!({"error": format!(
            "Service Unavailable: all {max} sessions are in use (TINYTASK_MAX_SESSIONS)"
        )}))
}

/// 404 for unknown routes.
pub async fn not_found(req: actix_web::HttpRequest) -> HttpResponse {
    error(
        StatusCode::NOT_FOUND,
        format!("Not found: {} {}", req.method(), req.path()),
    )
}
