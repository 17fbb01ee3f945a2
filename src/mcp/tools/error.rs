//! [`ToolError`]: why a tool call failed (bad arguments or a domain error). Its own file so that argument
//! decoding (`args`) and the tool definition (`def`) both use it without importing each other.

use crate::domain::DomainError;

/// Why a tool call failed; shown to the agent as the text of an `isError` result.
#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    #[error("Invalid arguments for {tool}: {message}")]
    Arguments { tool: &'static str, message: String },
    #[error("{0}")]
    Domain(#[from] DomainError),
}

impl ToolError {
    pub fn log(&self, tool: &str) {
        match self {
            ToolError::Domain(e) if !e.is_client_error() => {
                tracing::error!(tool, error = %e, "tool failed");
            }
            _ => tracing::debug!(tool, error = %self, "tool call rejected"),
        }
    }
}
