//! `initialize`: version negotiation (L1–L8), capabilities and server identity.

use super::jsonrpc::RpcError;
use super::protocol::{
    Implementation, InitializeResult, LATEST_VERSION, PromptsCapability, ResourcesCapability,
    SUPPORTED_VERSIONS, ServerCapabilities, ToolsCapability, protocol_version, to_wire,
};
use super::session::Session;
use serde_json::{Map, Value};

/// Answers the requested version when we speak it, otherwise our latest (never an error).
pub fn negotiate(requested: &str) -> &'static str {
    SUPPORTED_VERSIONS
        .iter()
        .copied()
        .find(|v| *v == requested)
        .unwrap_or(LATEST_VERSION)
}

pub(super) const INSTRUCTIONS: &str = "TinyTask is a shared task board for a team of agents. Typical loop: \
get_my_queue or signup_for_task to claim your next idle, unblocked task; add_comment / add_link while \
working; update_task status=complete when done, or move_task to hand it to the next agent with a note. \
Tasks can have subtasks (create_subtask), belong to queues (queue_name) and be blocked by other tasks \
(blocked_by_task_id). Every tool returns JSON.";

pub(super) fn capabilities() -> ServerCapabilities {
    let mut caps = ServerCapabilities::default();
    let mut tools = ToolsCapability::default();
    tools.list_changed = Some(false);
    caps.tools = Some(tools);
    let mut resources = ResourcesCapability::default();
    resources.subscribe = Some(true);
    // The concrete resources never change while the server runs: announcing list changes would be a promise
    // never kept (no notifications/resources/list_changed is ever sent).
    resources.list_changed = Some(false);
    caps.resources = Some(resources);
    // The prompt catalog is fixed at build time: it never changes while the server runs.
    let mut prompts = PromptsCapability::default();
    prompts.list_changed = Some(false);
    caps.prompts = Some(prompts);
    caps.logging = Some(Map::new());
    caps.completions = Some(Map::new());
    caps
}

pub fn server_info() -> Implementation {
    // The name of the Node originals, so clients configured for them recognise the server.
    Implementation::new("tinytask-mcp", env!("CARGO_PKG_VERSION"))
        .with_title("TinyTask")
        .with_description("Shared task board for teams of LLM agents")
}

/// Handles `initialize`; a second `initialize` on the same session is refused (H25).
pub fn initialize(session: &Session, params: &Value) -> Result<Value, RpcError> {
    if session.version().is_some() {
        return Err(RpcError::invalid_request(
            "Invalid Request: the session is already initialized",
        ));
    }
    let requested = params
        .get("protocolVersion")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            RpcError::invalid_params(
                "Invalid params: initialize requires a string \"protocolVersion\"",
            )
        })?;
    let version = negotiate(requested);
    let client = params
        .pointer("/clientInfo/name")
        .and_then(Value::as_str)
        .map(str::to_string);
    session.start(version, client.clone());
    tracing::info!(
        requested,
        negotiated = version,
        client = client.as_deref().unwrap_or("?"),
        "session initialized"
    );
    let result = InitializeResult::new(capabilities())
        .with_protocol_version(protocol_version(version))
        .with_server_info(server_info())
        .with_instructions(INSTRUCTIONS);
    Ok(to_wire(&result))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn supported_versions_are_echoed_and_others_get_the_latest() {
        for v in SUPPORTED_VERSIONS {
            assert_eq!(negotiate(v), v);
        }
        assert_eq!(negotiate("2026-07-28"), "2025-11-25");
        assert_eq!(negotiate("1900-01-01"), "2025-11-25");
    }

    #[test]
    fn initialize_result_has_identity_capabilities_and_no_modern_fields() {
        let session = Session::new();
        let result = initialize(&session, &json!({"protocolVersion": "2025-06-18"})).unwrap();
        assert_eq!(result["protocolVersion"], "2025-06-18");
        assert_eq!(result["serverInfo"]["name"], "tinytask-mcp");
        assert!(result["capabilities"]["tools"].is_object());
        assert!(result["capabilities"]["resources"].is_object());
        assert_eq!(result["capabilities"]["prompts"]["listChanged"], false);
        assert!(result.get("resultType").is_none());
        assert_eq!(session.version().as_deref(), Some("2025-06-18"));
        assert_eq!(
            initialize(&session, &json!({"protocolVersion": "2025-06-18"}))
                .unwrap_err()
                .code,
            -32600
        );
    }
}
