//! The one place TinyTask touches `rmcp` (the official Rust SDK's model types, pinned exactly).
//! A major rmcp upgrade should only need changes here.

pub use rmcp::model::{
    CacheScope, CallToolResult, CompleteRequestParams, CompleteResult, CompletionInfo,
    ContentBlock, DiscoverResult, ErrorCode, Implementation, InitializeResult,
    ListResourceTemplatesResult, ListResourcesResult, ListToolsResult, ProtocolVersion,
    ReadResourceResult, Reference, Resource, ResourceContents, ResourceTemplate,
    ResourcesCapability, ServerCapabilities, Tool, ToolAnnotations, ToolsCapability,
};

// Prompts (src/mcp/prompts).
pub use rmcp::model::{
    GetPromptResult, ListPromptsResult, Prompt, PromptArgument, PromptMessage, PromptsCapability,
    Role,
};

pub use super::log_level::{McpLogLevel, level_name};

use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;
use std::fmt::Write as _;

/// Protocol revisions TinyTask speaks (all "legacy" handshake-era revisions), oldest first.
pub const SUPPORTED_VERSIONS: [&str; 4] = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"];

/// The stateless revision (no initialize, no sessions): served per request beside the legacy ones (M1).
pub const MODERN_VERSION: &str = "2026-07-28";

/// Every revision we speak, newest first (`server/discover`'s `supportedVersions`, M2; `-32022`'s
/// `data.supported`, M3).
pub fn discover_versions() -> Vec<&'static str> {
    std::iter::once(MODERN_VERSION)
        .chain(SUPPORTED_VERSIONS.iter().rev().copied())
        .collect()
}

/// What we offer when the client asks for a version we do not speak (L2: counter-offer, never reject).
pub const LATEST_VERSION: &str = "2025-11-25";

/// The only revision where JSON-RPC batches are allowed.
pub const BATCH_VERSION: &str = "2025-03-26";

/// rmcp's value for one of our [`SUPPORTED_VERSIONS`] (its type has no public string constructor).
pub fn protocol_version(version: &str) -> ProtocolVersion {
    match version {
        "2024-11-05" => ProtocolVersion::V_2024_11_05,
        "2025-03-26" => ProtocolVersion::V_2025_03_26,
        "2025-06-18" => ProtocolVersion::V_2025_06_18,
        MODERN_VERSION => ProtocolVersion::V_2026_07_28,
        _ => ProtocolVersion::V_2025_11_25,
    }
}

/// The wire form of a successful `CallToolResult` whose content is the tool's JSON output as text (and,
/// when `structured`, the same JSON as `structuredContent`). Built directly from the serialized output:
/// rmcp's type would need a `serde_json::Value` tree of every result, the largest cost of big lists. The
/// golden test below keeps this byte-compatible with rmcp's own serialization.
pub fn tool_success(output: &RawValue, structured: bool) -> Box<RawValue> {
    #[derive(Serialize)]
    struct Text<'a> {
        #[serde(rename = "type")]
        kind: &'static str,
        text: &'a str,
    }
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Success<'a> {
        content: [Text<'a>; 1],
        #[serde(skip_serializing_if = "Option::is_none")]
        structured_content: Option<&'a RawValue>,
        is_error: bool,
    }
    let result = Success {
        content: [Text {
            kind: "text",
            text: output.get(),
        }],
        structured_content: structured.then_some(output),
        is_error: false,
    };
    serde_json::value::to_raw_value(&result).expect("serializing a tool result cannot fail")
}

/// The server identity every modern result carries in `_meta` (M5), as a JSON object text.
pub const SERVER_INFO_KEY: &str = "io.modelcontextprotocol/serverInfo";

/// How long a modern client may cache a result, and with whom it may share it (M5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheHint {
    pub ttl_ms: u64,
    pub scope: CacheScope,
}

/// Adds what every 2026-07-28 result carries to a serialized result object: `resultType`, the server
/// identity in `_meta`, and for cacheable results `ttlMs` and `cacheScope` (M5). Spliced into the text:
/// results are built once as text (see [`tool_success`]) and none of ours has these fields already.
pub fn modern_result(
    result: &RawValue,
    server_info: &str,
    cache: Option<CacheHint>,
) -> Box<RawValue> {
    let text = result.get();
    let body = text.strip_prefix('{').map_or("}", str::trim_start);
    let mut out = String::with_capacity(text.len() + server_info.len() + 96);
    out.push_str(r#"{"resultType":"complete","_meta":{""#);
    out.push_str(SERVER_INFO_KEY);
    out.push_str(r#"":"#);
    out.push_str(server_info);
    out.push('}');
    if let Some(hint) = cache {
        // rmcp's own spelling of the scope (its enum is non-exhaustive).
        let scope = serde_json::to_string(&hint.scope).unwrap_or_else(|_| r#""private""#.into());
        let _ = write!(out, r#","ttlMs":{},"cacheScope":{scope}"#, hint.ttl_ms);
    }
    if body != "}" {
        out.push(',');
    }
    out.push_str(body);
    RawValue::from_string(out).unwrap_or_else(|e| {
        tracing::error!(error = %e, "decorating a modern result failed");
        result.to_owned()
    })
}

/// Whether `version` has `structuredContent` and `outputSchema` (introduced in 2025-06-18).
pub fn has_structured_content(version: &str) -> bool {
    version >= "2025-06-18"
}

/// Fields rmcp fills for the 2026-07-28 revision, which legacy-era clients must not see.
const MODERN_ONLY_FIELDS: [&str; 3] = ["resultType", "ttlMs", "cacheScope"];

/// Serializes an rmcp result for the wire, dropping the fields no legacy revision defines.
pub fn to_wire<T: Serialize>(value: &T) -> Value {
    let mut json = serde_json::to_value(value).unwrap_or_else(|e| {
        tracing::error!(error = %e, "serializing a protocol result failed");
        Value::Object(Default::default())
    });
    if let Value::Object(map) = &mut json {
        for field in MODERN_ONLY_FIELDS {
            map.remove(field);
        }
    }
    json
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modern_fields_are_stripped() {
        let result = CallToolResult::success(vec![ContentBlock::text("{}")]);
        let wire = to_wire(&result);
        assert!(wire.get("resultType").is_none(), "{wire}");
        assert_eq!(wire["isError"], false);
    }

    #[test]
    fn fast_tool_success_matches_rmcp_serialization() {
        let output = serde_json::json!({"id": 1, "title": "a \"quoted\" title", "tags": ["x"]});
        let raw = serde_json::value::to_raw_value(&output).unwrap();
        for structured in [false, true] {
            let mut expected =
                CallToolResult::success(vec![ContentBlock::text(raw.get().to_string())]);
            if structured {
                expected.structured_content = Some(output.clone());
            }
            let ours: Value = serde_json::from_str(tool_success(&raw, structured).get()).unwrap();
            assert_eq!(ours, to_wire(&expected), "structured={structured}");
        }
    }

    #[test]
    fn modern_results_carry_result_type_server_info_and_cache_hints() {
        let info = r#"{"name":"tinytask-mcp","version":"1"}"#;
        let raw = serde_json::value::to_raw_value(&serde_json::json!({"tools": []})).unwrap();
        let hint = CacheHint {
            ttl_ms: 5,
            scope: CacheScope::Public,
        };
        let out: Value = serde_json::from_str(modern_result(&raw, info, Some(hint)).get()).unwrap();
        assert_eq!(out["resultType"], "complete");
        assert_eq!(out["_meta"][SERVER_INFO_KEY]["name"], "tinytask-mcp");
        assert_eq!(
            (out["ttlMs"].as_u64(), out["cacheScope"].as_str()),
            (Some(5), Some("public"))
        );
        assert_eq!(out["tools"], serde_json::json!([]));
        let empty = serde_json::value::to_raw_value(&serde_json::json!({})).unwrap();
        let out: Value = serde_json::from_str(modern_result(&empty, info, None).get()).unwrap();
        assert_eq!(out.as_object().unwrap().len(), 2, "{out}");
    }

    #[test]
    fn discover_lists_every_version_newest_first() {
        assert_eq!(
            discover_versions(),
            [
                "2026-07-28",
                "2025-11-25",
                "2025-06-18",
                "2025-03-26",
                "2024-11-05"
            ]
        );
    }

    #[test]
    fn structured_content_starts_with_2025_06_18() {
        assert!(!has_structured_content("2024-11-05"));
        assert!(!has_structured_content("2025-03-26"));
        assert!(has_structured_content("2025-06-18"));
        assert!(has_structured_content("2025-11-25"));
    }
}
