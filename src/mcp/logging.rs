//! `logging/setLevel` (LG1): remembers the session's minimum level for `notifications/message`.
//! Our own enum: rmcp marks its copy deprecated (the 2026 revision drops logging; legacy ones keep it).

use super::jsonrpc::RpcError;
use super::session::Session;
use serde::Deserialize;
use serde_json::{Value, json};

/// RFC 5424 severities as MCP names them, least severe first (so `Ord` compares severity).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum McpLogLevel {
    Debug,
    Info,
    Notice,
    Warning,
    Error,
    Critical,
    Alert,
    Emergency,
}

/// The wire name of a level.
pub fn level_name(level: McpLogLevel) -> &'static str {
    match level {
        McpLogLevel::Debug => "debug",
        McpLogLevel::Info => "info",
        McpLogLevel::Notice => "notice",
        McpLogLevel::Warning => "warning",
        McpLogLevel::Error => "error",
        McpLogLevel::Critical => "critical",
        McpLogLevel::Alert => "alert",
        McpLogLevel::Emergency => "emergency",
    }
}

const LEVELS: &str = "debug, info, notice, warning, error, critical, alert, emergency";

pub fn set_level(session: &Session, params: &Value) -> Result<Value, RpcError> {
    let raw = params.get("level").cloned().unwrap_or(Value::Null);
    let level: McpLogLevel = serde_json::from_value(raw.clone()).map_err(|_| {
        RpcError::invalid_params(format!(
            "Invalid params: level {raw} is not one of {LEVELS}"
        ))
    })?;
    session.set_log_level(level);
    Ok(json!({}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_levels_are_stored_and_invalid_ones_rejected() {
        let session = Session::new();
        assert_eq!(
            set_level(&session, &json!({"level": "warning"})).unwrap(),
            json!({})
        );
        assert_eq!(session.log_level(), Some(McpLogLevel::Warning));
        let err = set_level(&session, &json!({"level": "loud"})).unwrap_err();
        assert_eq!(err.code, -32602);
        assert!(err.message.contains("emergency"));
    }

    #[test]
    fn levels_order_by_severity() {
        assert!(
            McpLogLevel::Debug < McpLogLevel::Warning
                && McpLogLevel::Error < McpLogLevel::Emergency
        );
    }
}
