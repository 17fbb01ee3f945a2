//! [`McpLogLevel`]: the severities of `logging/setLevel` and `notifications/message`.
//! Our own enum: rmcp marks its copy deprecated (the 2026 revision drops logging; legacy ones keep it).
//! Re-exported by [`super::protocol`] with the other protocol types.

use serde::Deserialize;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_order_by_severity() {
        assert!(
            McpLogLevel::Debug < McpLogLevel::Warning
                && McpLogLevel::Error < McpLogLevel::Emergency
        );
    }
}
