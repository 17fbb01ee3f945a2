//! What differs when a request is served under 2026-07-28: `server/discover` (M2), the methods that era
//! removed (M4), the fields every result carries (M5) and the resource-not-found code (M7). The requests
//! themselves go through the engine's one dispatcher, the same as legacy ones.

use super::jsonrpc::{Json, RpcError};
use super::lifecycle::{INSTRUCTIONS, capabilities, server_info};
use super::protocol::{
    CacheHint, CacheScope, DiscoverResult, ErrorCode, discover_versions, modern_result,
    protocol_version,
};
use serde_json::Value;
use std::sync::LazyLock;

/// How long a client may keep a discovery answer or a list of tools, prompts, resources or templates:
/// they are fixed for the life of a server process, so minutes are safe, and a restarted (upgraded) server
/// is picked up within them.
const STATIC_TTL_MS: u64 = 5 * 60 * 1000;

/// The server identity every modern result carries (M5), serialized once.
static SERVER_INFO: LazyLock<String> = LazyLock::new(|| {
    serde_json::to_string(&server_info()).expect("serializing the server identity cannot fail")
});

/// Methods of the handshake era that 2026-07-28 removed: unknown to a modern request (HTTP 404, -32601).
pub fn removed(method: &str) -> bool {
    matches!(
        method,
        "initialize"
            | "ping"
            | "logging/setLevel"
            | "resources/subscribe"
            | "resources/unsubscribe"
    )
}

/// `server/discover`: every version we speak, what we offer and how to use it (M2). Identical for every
/// caller (the token, if any, guards the whole endpoint), so it may be shared: `public`.
pub fn discover() -> Value {
    let versions = discover_versions()
        .into_iter()
        .map(protocol_version)
        .collect();
    let mut result = DiscoverResult::new(versions, capabilities())
        .with_server_info(server_info())
        .with_ttl_ms(STATIC_TTL_MS)
        .with_cache_scope(CacheScope::Public);
    result.instructions = Some(INSTRUCTIONS.to_string());
    serde_json::to_value(&result).unwrap_or_else(|e| {
        tracing::error!(error = %e, "serializing the discovery result failed");
        Value::Null
    })
}

/// The cache hint of a method's result (M5): static lists for minutes; board contents are live (0 ms).
fn cache_hint(method: &str) -> Option<CacheHint> {
    let ttl_ms = match method {
        "tools/list" | "prompts/list" | "resources/list" | "resources/templates/list" => {
            STATIC_TTL_MS
        }
        "resources/read" => 0,
        _ => return None,
    };
    Some(CacheHint {
        ttl_ms,
        scope: CacheScope::Public,
    })
}

/// A result as a modern client receives it (M5). `server/discover` is built whole by [`discover`].
pub fn decorate(method: &str, result: Json) -> Json {
    if method == super::era::DISCOVER {
        return result;
    }
    modern_result(&result, &SERVER_INFO, cache_hint(method))
}

/// An error as a modern client receives it: resource-not-found is `-32602` with `data.uri` (M7).
pub fn error(mut err: RpcError) -> RpcError {
    if err.code == ErrorCode::RESOURCE_NOT_FOUND.0 {
        err.code = ErrorCode::INVALID_PARAMS.0;
    }
    err
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mcp::jsonrpc::to_json;
    use serde_json::json;

    #[test]
    fn discover_has_every_field_of_m2() {
        let d = discover();
        assert_eq!(d["resultType"], "complete");
        assert_eq!(d["supportedVersions"][0], "2026-07-28");
        assert_eq!(d["supportedVersions"].as_array().unwrap().len(), 5);
        assert!(d["capabilities"]["tools"].is_object());
        assert!(d["instructions"].as_str().unwrap().contains("TinyTask"));
        assert_eq!(d["ttlMs"], STATIC_TTL_MS);
        assert_eq!(d["cacheScope"], "public");
        assert_eq!(
            d["_meta"]["io.modelcontextprotocol/serverInfo"]["name"],
            "tinytask-mcp"
        );
    }

    #[test]
    fn resource_not_found_becomes_invalid_params_keeping_the_uri() {
        let err = RpcError::new(ErrorCode::RESOURCE_NOT_FOUND, "Resource not found")
            .with_data(json!({"uri": "task://9"}));
        let modern = error(err);
        assert_eq!(modern.code, -32602);
        assert_eq!(modern.data.unwrap()["uri"], "task://9");
    }

    #[test]
    fn lists_carry_cache_hints_and_calls_do_not() {
        let empty = to_json(&json!({}));
        let listed: Value = serde_json::from_str(decorate("tools/list", empty).get()).unwrap();
        assert_eq!(listed["ttlMs"], STATIC_TTL_MS);
        let called: Value =
            serde_json::from_str(decorate("tools/call", to_json(&json!({}))).get()).unwrap();
        assert!(called.get("ttlMs").is_none());
        assert_eq!(called["resultType"], "complete");
    }
}
