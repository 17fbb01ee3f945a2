//! The one place TinyTask touches `rmcp` (the official Rust SDK's model types, pinned exactly).
//! A major rmcp upgrade should only need changes here.

pub use rmcp::model::{
    CallToolResult, CompleteRequestParams, CompleteResult, CompletionInfo, ContentBlock, ErrorCode,
    Implementation, InitializeResult, ListResourceTemplatesResult, ListResourcesResult,
    ListToolsResult, ProtocolVersion, ReadResourceResult, Reference, Resource, ResourceContents,
    ResourceTemplate, ResourcesCapability, ServerCapabilities, Tool, ToolAnnotations,
    ToolsCapability,
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

/// Protocol revisions TinyTask speaks (all "legacy" handshake-era revisions), oldest first.
pub const SUPPORTED_VERSIONS: [&str; 4] = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"];

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
    fn structured_content_starts_with_2025_06_18() {
        assert!(!has_structured_content("2024-11-05"));
        assert!(!has_structured_content("2025-03-26"));
        assert!(has_structured_content("2025-06-18"));
        assert!(has_structured_content("2025-11-25"));
    }
}
