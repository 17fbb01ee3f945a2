//! JSON error responses: every HTTP error body is JSON (plain `{"error"}` or a JSON-RPC error object).

use crate::mcp::jsonrpc::{self, RpcError};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, HttpResponseBuilder};
use serde_json::{Value, json};

/// `{"error": message}` with the given status.
pub fn error(status: StatusCode, message: impl Into<String>) -> HttpResponse {
    HttpResponseBuilder::new(status).json(json!({ "error": message.into() }))
}

/// A JSON-RPC error object without id (transport-level rejections of MCP requests).
pub fn rpc_error(status: StatusCode, error: RpcError) -> HttpResponse {
    HttpResponseBuilder::new(status)
        .content_type("application/json")
        .body(jsonrpc::failure(&Value::Null, &error).into_string())
}

/// 404 for unknown routes.
pub async fn not_found(req: actix_web::HttpRequest) -> HttpResponse {
    error(
        StatusCode::NOT_FOUND,
        format!("Not found: {} {}", req.method(), req.path()),
    )
}
