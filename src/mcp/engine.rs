//! [`Engine`]: decodes JSON-RPC, enforces the lifecycle and routes each method. Shared by all transports;
//! knows nothing about how bytes arrive.

use super::jsonrpc::{self, Message, RpcError};
use super::protocol::BATCH_VERSION;
use super::session::Session;
use super::tools::ToolRegistry;
use super::{completion, lifecycle, logging, resources};
use crate::domain::Board;
use serde_json::{Value, json};
use std::sync::Arc;

pub struct Engine {
    board: Board,
    tools: ToolRegistry,
}

impl Engine {
    pub fn new(board: Board) -> Arc<Self> {
        Arc::new(Engine {
            board,
            tools: ToolRegistry::new(),
        })
    }

    pub fn board(&self) -> &Board {
        &self.board
    }

    pub fn tools(&self) -> &ToolRegistry {
        &self.tools
    }

    /// Handles one raw message (a JSON text). Returns the serialized reply, if any.
    pub async fn handle_text(
        self: &Arc<Self>,
        session: &Arc<Session>,
        text: &str,
    ) -> Option<String> {
        let reply = match serde_json::from_str::<Value>(text) {
            Ok(value) => self.handle_value(session, value).await?,
            Err(e) => jsonrpc::failure(Value::Null, RpcError::parse_error(e)),
        };
        Some(reply.to_string())
    }

    /// Whether a message changes the session's lifecycle state; transports must handle those in arrival
    /// order (everything else may run concurrently).
    pub fn is_lifecycle(value: &Value) -> bool {
        matches!(
            value.get("method").and_then(Value::as_str),
            Some("initialize" | "notifications/initialized")
        )
    }

    /// Handles a decoded message or batch. `None` means nothing to send back (notifications, responses).
    pub async fn handle_value(
        self: &Arc<Self>,
        session: &Arc<Session>,
        value: Value,
    ) -> Option<Value> {
        let Value::Array(items) = value else {
            return self.handle_one(session, value, false).await;
        };
        if session.version().as_deref() != Some(BATCH_VERSION) {
            let err = RpcError::invalid_request(format!(
                "Invalid Request: JSON-RPC batches are only allowed with protocol version {BATCH_VERSION}"
            ));
            return Some(jsonrpc::failure(Value::Null, err));
        }
        if items.is_empty() {
            return Some(jsonrpc::failure(
                Value::Null,
                RpcError::invalid_request("Invalid Request: empty batch"),
            ));
        }
        let mut replies = Vec::new();
        for item in items {
            if let Some(reply) = self.handle_one(session, item, true).await {
                replies.push(reply);
            }
        }
        (!replies.is_empty()).then_some(Value::Array(replies))
    }

    async fn handle_one(
        self: &Arc<Self>,
        session: &Arc<Session>,
        value: Value,
        in_batch: bool,
    ) -> Option<Value> {
        match jsonrpc::decode(value) {
            Err((id, err)) => Some(jsonrpc::failure(id, err)),
            Ok(Message::Response) => None,
            Ok(Message::Notification { method, .. }) => {
                self.notification(session, &method);
                None
            }
            Ok(Message::Request { id, method, params }) => {
                if in_batch && method == "initialize" {
                    let err = RpcError::invalid_request(
                        "Invalid Request: initialize must not be part of a batch",
                    );
                    return Some(jsonrpc::failure(id, err));
                }
                // Run on its own task so a panic anywhere becomes a -32603 answer instead of a hung client (P8).
                let engine = Arc::clone(self);
                let session = Arc::clone(session);
                let method_name = method.clone();
                let outcome =
                    tokio::spawn(async move { engine.request(&session, &method, params).await })
                        .await;
                Some(match outcome {
                    Ok(Ok(result)) => jsonrpc::success(id, result),
                    Ok(Err(err)) => jsonrpc::failure(id, err),
                    Err(join) => {
                        tracing::error!(method = %method_name, error = %join, "request handler panicked");
                        jsonrpc::failure(
                            id,
                            RpcError::internal("Internal error while handling the request"),
                        )
                    }
                })
            }
        }
    }

    fn notification(&self, session: &Session, method: &str) {
        match method {
            "notifications/initialized" => session.mark_initialized(),
            // Requests finish quickly and are not interruptible; a late cancel is simply ignored (PP2).
            "notifications/cancelled" => {}
            other => tracing::debug!(method = other, "ignoring notification"),
        }
    }

    async fn request(
        &self,
        session: &Session,
        method: &str,
        params: Value,
    ) -> Result<Value, RpcError> {
        match method {
            "initialize" => return lifecycle::initialize(session, &params),
            "ping" => return Ok(json!({})),
            _ => {}
        }
        // L5: anything else before initialize is an error, so probing clients (server/discover) fall back.
        let Some(version) = session.version() else {
            return Err(if method == "server/discover" {
                RpcError::method_not_found(method)
            } else {
                RpcError::invalid_request(format!(
                    "Invalid Request: the session is not initialized; send initialize before {method}"
                ))
            });
        };
        match method {
            "tools/list" => Ok(self.tools.list(&version)),
            "tools/call" => self.call_tool(params, &version).await,
            "resources/list" => Ok(resources::list()),
            "resources/templates/list" => Ok(resources::templates()),
            "resources/read" => resources::read(&self.board, &params).await,
            "logging/setLevel" => logging::set_level(session, &params),
            "completion/complete" => completion::complete(&self.board, params).await,
            _ => Err(RpcError::method_not_found(method)),
        }
    }

    async fn call_tool(&self, params: Value, version: &str) -> Result<Value, RpcError> {
        let name = params.get("name").and_then(Value::as_str).ok_or_else(|| {
            RpcError::invalid_params("Invalid params: tools/call requires a string \"name\"")
        })?;
        let tool = self.tools.get(name).ok_or_else(|| {
            RpcError::invalid_params(format!("Unknown tool: {name}"))
                .with_data(json!({ "tool": name }))
        })?;
        let arguments = params.get("arguments").cloned().unwrap_or(Value::Null);
        tracing::debug!(tool = name, "tools/call");
        Ok(self.tools.call(tool, &self.board, arguments, version).await)
    }
}
