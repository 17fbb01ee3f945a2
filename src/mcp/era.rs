//! Which protocol era a request belongs to (M1). The era is a property of each request, not of the
//! connection: a request whose `params._meta` carries the protocol version (or `server/discover`) is served
//! statelessly under 2026-07-28; everything else belongs to the legacy session it arrived on.
//!
//! The checks run in the order the Python SDK's server classifier uses (`mcp/shared/inbound.py`), so a
//! client gets the same answer from us as from the reference: envelope keys present → (HTTP only) headers
//! agree with the body → the version is one we serve statelessly.

use super::jsonrpc::RpcError;
use super::protocol::{ErrorCode, MODERN_VERSION, McpLogLevel, discover_versions};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

pub const PROTOCOL_VERSION_KEY: &str = "io.modelcontextprotocol/protocolVersion";
pub const CLIENT_CAPABILITIES_KEY: &str = "io.modelcontextprotocol/clientCapabilities";
pub const CLIENT_INFO_KEY: &str = "io.modelcontextprotocol/clientInfo";
pub const LOG_LEVEL_KEY: &str = "io.modelcontextprotocol/logLevel";
pub const DISCOVER: &str = "server/discover";

/// What a modern request's `_meta` says about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    /// The level of `notifications/message` this request asked for (M9); `None`: no log messages.
    pub log_level: Option<McpLogLevel>,
    /// `clientInfo.name`, for logs.
    pub client: Option<String>,
}

fn meta(params: &Value) -> Option<&serde_json::Map<String, Value>> {
    params.get("_meta").and_then(Value::as_object)
}

/// Whether the request belongs to the modern era: its `_meta` names a protocol version, or it is
/// `server/discover` (which a legacy session never had).
pub fn is_modern(method: &str, params: &Value) -> bool {
    method == DISCOVER || meta(params).is_some_and(|m| m.contains_key(PROTOCOL_VERSION_KEY))
}

/// The version the request's `_meta` names, if it is a string.
pub fn meta_version(params: &Value) -> Option<&str> {
    meta(params)?.get(PROTOCOL_VERSION_KEY)?.as_str()
}

/// Rung 1 (M3): the envelope keys are present — on `server/discover` too (M2 answers it any time, but
/// like every 2026-07-28 request it carries them; the SDKs' servers refuse it without).
pub fn check_keys(params: &Value) -> Result<(), RpcError> {
    let Some(meta) = meta(params) else {
        return Err(RpcError::invalid_params(format!(
            "Invalid params: params._meta must be an object carrying \"{PROTOCOL_VERSION_KEY}\" and \
             \"{CLIENT_CAPABILITIES_KEY}\" (protocol version {MODERN_VERSION} sends them with every request)"
        )));
    };
    let missing: Vec<&str> = [PROTOCOL_VERSION_KEY, CLIENT_CAPABILITIES_KEY]
        .into_iter()
        .filter(|key| !meta.contains_key(*key))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(RpcError::invalid_params(format!(
        "Invalid params: params._meta is missing {}",
        missing.join(" and ")
    )))
}

/// Rung 3 (M3): the version is the one we serve statelessly, and the per-request fields are well formed.
pub fn check_version(params: &Value) -> Result<Envelope, RpcError> {
    let Some(meta) = meta(params) else {
        return Ok(Envelope {
            log_level: None,
            client: None,
        });
    };
    match meta.get(PROTOCOL_VERSION_KEY) {
        Some(Value::String(v)) if v == MODERN_VERSION => {}
        Some(Value::String(v)) => return Err(unsupported_version(v)),
        _ => {
            return Err(RpcError::invalid_params(format!(
                "Invalid params: params._meta[\"{PROTOCOL_VERSION_KEY}\"] must be a string such as \
                 \"{MODERN_VERSION}\""
            )));
        }
    }
    let log_level = match meta.get(LOG_LEVEL_KEY) {
        None | Some(Value::Null) => None,
        Some(raw) => Some(serde_json::from_value(raw.clone()).map_err(|_| {
            RpcError::invalid_params(format!(
                "Invalid params: params._meta[\"{LOG_LEVEL_KEY}\"] {raw} is not one of debug, info, \
                 notice, warning, error, critical, alert, emergency"
            ))
        })?),
    };
    let client = meta
        .get(CLIENT_INFO_KEY)
        .and_then(|info| info.get("name"))
        .and_then(Value::as_str)
        .map(str::to_string);
    Ok(Envelope { log_level, client })
}

/// `-32022` naming what we speak (every version, newest first: a client that only knows legacy ones
/// then falls back to `initialize`) and what was asked.
pub fn unsupported_version(requested: &str) -> RpcError {
    RpcError::new(
        ErrorCode::UNSUPPORTED_PROTOCOL_VERSION,
        format!(
            "Unsupported protocol version {requested:?}: requests without initialize are served under \
             {MODERN_VERSION}; the older versions need an initialize handshake"
        ),
    )
    .with_data(json!({ "supported": discover_versions(), "requested": requested }))
}

/// The body parameter that `Mcp-Name` mirrors for `method` (M4).
pub fn name_param(method: &str) -> Option<&'static str> {
    match method {
        "tools/call" | "prompts/get" => Some("name"),
        "resources/read" => Some("uri"),
        _ => None,
    }
}

/// A header value as sent: verbatim, or the `=?base64?…?=` sentinel form for values that are not plain
/// printable ASCII ("Value Encoding"). `None` for a malformed sentinel, so it never matches a body value.
pub fn decode_header_value(raw: &str) -> Option<String> {
    let Some(payload) = raw
        .strip_prefix("=?base64?")
        .and_then(|rest| rest.strip_suffix("?="))
    else {
        return Some(raw.to_string());
    };
    let bytes = STANDARD.decode(payload).ok()?;
    // Only the canonical encoding: a sender's encoder never emits another one.
    if STANDARD.encode(&bytes) != payload {
        return None;
    }
    String::from_utf8(bytes).ok()
}

/// The header rung (M4): `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name` agree with the body.
/// `header` reads one header (trimmed, `None` when absent).
pub fn check_headers<'a>(
    method: &str,
    params: &Value,
    header: impl Fn(&str) -> Option<&'a str>,
) -> Result<(), RpcError> {
    let mismatch = |what: String| {
        RpcError::new(
            ErrorCode::HEADER_MISMATCH,
            format!("Header mismatch: {what}"),
        )
    };
    let body_version = meta_version(params).unwrap_or(MODERN_VERSION);
    match header("mcp-protocol-version") {
        Some(v) if v == body_version => {}
        Some(v) => {
            return Err(mismatch(format!(
                "MCP-Protocol-Version is {v:?} but params._meta names {body_version:?}"
            )));
        }
        None => {
            return Err(mismatch(format!(
                "the MCP-Protocol-Version header is required ({body_version:?}, as in params._meta)"
            )));
        }
    }
    match header("mcp-method") {
        Some(m) if m == method => {}
        Some(m) => {
            return Err(mismatch(format!(
                "Mcp-Method is {m:?} but the body's method is {method:?}"
            )));
        }
        None => {
            return Err(mismatch(format!(
                "the Mcp-Method header is required ({method:?})"
            )));
        }
    }
    let Some(key) = name_param(method) else {
        return Ok(());
    };
    let Some(body_value) = params.get(key).and_then(Value::as_str) else {
        return Ok(()); // the method's own validation names the missing parameter
    };
    match header("mcp-name").map(decode_header_value) {
        Some(Some(name)) if name == body_value => Ok(()),
        Some(Some(name)) => Err(mismatch(format!(
            "Mcp-Name is {name:?} but params.{key} is {body_value:?}"
        ))),
        Some(None) => Err(mismatch(
            "Mcp-Name carries a malformed =?base64?…?= value".to_string(),
        )),
        None => Err(mismatch(format!(
            "the Mcp-Name header is required for {method} (params.{key}, Base64-wrapped as \
             =?base64?…?= when not plain ASCII)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn modern(method_params: Value) -> Value {
        let mut params = method_params;
        params["_meta"] =
            json!({PROTOCOL_VERSION_KEY: MODERN_VERSION, CLIENT_CAPABILITIES_KEY: {}});
        params
    }

    #[test]
    fn the_era_is_read_from_each_request() {
        assert!(is_modern("tools/list", &modern(json!({}))));
        assert!(is_modern(DISCOVER, &json!({})));
        assert!(!is_modern("tools/list", &json!({})));
        assert!(!is_modern(
            "tools/list",
            &json!({"_meta": {"progressToken": 1}})
        ));
    }

    #[test]
    fn missing_envelope_keys_are_invalid_params_naming_them() {
        let err =
            check_keys(&json!({"_meta": {PROTOCOL_VERSION_KEY: MODERN_VERSION}})).unwrap_err();
        assert_eq!(err.code, -32602);
        assert!(err.message.contains(CLIENT_CAPABILITIES_KEY), "{err:?}");
        assert_eq!(
            check_keys(&json!({})).unwrap_err().code,
            -32602,
            "discover too"
        );
        assert!(check_keys(&modern(json!({}))).is_ok());
    }

    #[test]
    fn only_the_modern_version_is_served_without_a_handshake() {
        let mut params = modern(json!({}));
        params["_meta"][PROTOCOL_VERSION_KEY] = json!("2025-11-25");
        let err = check_version(&params).unwrap_err();
        assert_eq!(err.code, -32022);
        let data = err.data.unwrap();
        assert_eq!(data["requested"], "2025-11-25");
        assert_eq!(data["supported"][0], MODERN_VERSION);
        params["_meta"][PROTOCOL_VERSION_KEY] = json!(7);
        assert_eq!(check_version(&params).unwrap_err().code, -32602);
    }

    #[test]
    fn log_level_is_per_request_and_validated() {
        let mut params = modern(json!({}));
        params["_meta"][LOG_LEVEL_KEY] = json!("info");
        let envelope = check_version(&params).unwrap();
        assert_eq!(envelope.log_level, Some(McpLogLevel::Info));
        params["_meta"][LOG_LEVEL_KEY] = json!("loud");
        let err = check_version(&params).unwrap_err();
        assert!(err.message.contains("emergency"), "{err:?}");
    }

    #[test]
    fn header_values_decode_plain_and_base64() {
        assert_eq!(decode_header_value("get_task").as_deref(), Some("get_task"));
        assert_eq!(
            decode_header_value("=?base64?dGFzazovL8OpdMOp?=").as_deref(),
            Some("task://été")
        );
        assert_eq!(decode_header_value("=?base64?not base64?="), None);
        assert_eq!(decode_header_value("=?base64?dGFzaw=?="), None); // non-canonical
    }

    #[test]
    fn headers_must_agree_with_the_body() {
        let params = modern(json!({"name": "get_task"}));
        let headers = |version: &'static str, method: &'static str, name: Option<&'static str>| {
            move |h: &str| match h {
                "mcp-protocol-version" => Some(version),
                "mcp-method" => Some(method),
                "mcp-name" => name,
                _ => None,
            }
        };
        let ok = headers(MODERN_VERSION, "tools/call", Some("get_task"));
        assert!(check_headers("tools/call", &params, ok).is_ok());
        for bad in [
            headers("2025-11-25", "tools/call", Some("get_task")),
            headers(MODERN_VERSION, "tools/list", Some("get_task")),
            headers(MODERN_VERSION, "tools/call", Some("list_tasks")),
            headers(MODERN_VERSION, "tools/call", None),
        ] {
            assert_eq!(
                check_headers("tools/call", &params, bad).unwrap_err().code,
                -32020
            );
        }
    }
}
