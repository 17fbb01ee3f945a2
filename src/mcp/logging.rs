//! `logging/setLevel` (LG1): remembers the session's minimum level, and `notifications/message` (LG2):
//! sends a log message when the client asked for its level.

use super::jsonrpc::{RpcError, to_json};
pub use super::protocol::{McpLogLevel, level_name};
use super::session::Session;
use serde_json::{Value, json};

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

/// Sends `notifications/message` when the client asked for this level or a less severe one (LG2).
pub(super) fn log_to(session: &Session, level: McpLogLevel, data: &Value) {
    if session.log_level().is_some_and(|min| level >= min) {
        session.notify(to_json(&json!({
            "jsonrpc": "2.0",
            "method": "notifications/message",
            "params": {"level": level_name(level), "logger": "tinytask", "data": data},
        })));
    }
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
}
