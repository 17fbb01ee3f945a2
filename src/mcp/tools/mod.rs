//! The tool registry: every TinyTask tool with its schemas, annotations and handler.
//! To add a tool: write the domain operation, then one `ToolDef::new(...)` entry in a catalog file.

pub(crate) mod args;
mod catalog_coordination;
mod catalog_notes;
mod catalog_queues;
mod catalog_search;
mod catalog_tasks;
mod def;
mod error;
mod listing;
mod schema;
mod toolsets;

pub use def::{Effect, ToolDef};
pub use error::ToolError;
pub use schema::schema_for;
pub use toolsets::{hidden_note, refusal};

use super::jsonrpc::{Json, to_json};
use super::protocol::tool_success;
use super::protocol::{
    CallToolResult, ContentBlock, ListToolsResult, has_structured_content, to_wire,
};
use crate::config::Toolsets;
use crate::domain::Board;
use crate::domain::waiting::Stop;
use serde_json::Value;
use std::collections::HashMap;

/// All tools, in a stable order, indexed by name.
pub struct ToolRegistry {
    tools: Vec<ToolDef>,
    by_name: HashMap<&'static str, usize>,
}

impl ToolRegistry {
    pub fn new() -> Self {
        let tools: Vec<ToolDef> = catalog_tasks::tools()
            .into_iter()
            .chain(catalog_queues::tools())
            .chain(catalog_notes::tools())
            .chain(catalog_search::tools())
            .chain(catalog_coordination::tools())
            .collect();
        let by_name = tools.iter().enumerate().map(|(i, t)| (t.name, i)).collect();
        ToolRegistry { tools, by_name }
    }

    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.tools.iter().map(|t| t.name)
    }

    pub fn get(&self, name: &str) -> Option<&ToolDef> {
        self.lookup(name).map(|(_, tool)| tool)
    }

    /// The tool and its position in [`ToolRegistry::names`] (which indexes its metric handles).
    pub fn lookup(&self, name: &str) -> Option<(usize, &ToolDef)> {
        self.by_name.get(name).map(|i| (*i, &self.tools[*i]))
    }

    /// `tools/list` for a negotiated version (outputSchema only from 2025-06-18 on): the tools of the
    /// `enabled` sets, in registry order.
    pub fn list(&self, version: &str, enabled: &Toolsets) -> Value {
        let with_output = has_structured_content(version);
        let tools = self
            .tools
            .iter()
            .filter(|t| enabled.enables(t.sets))
            .map(|t| t.describe(with_output))
            .collect();
        let mut result = ListToolsResult::with_all_items(tools);
        result.next_cursor = None;
        to_wire(&result)
    }

    /// Runs a tool outside MCP (the REST API): the same arguments, handler and domain operation, with the
    /// plain result instead of a `CallToolResult`.
    pub async fn run(
        &self,
        tool: &ToolDef,
        board: &Board,
        arguments: Value,
        stop: Stop,
    ) -> Result<Json, ToolError> {
        let outcome = tool.invoke(board, arguments, stop).await;
        if let Err(err) = &outcome {
            err.log(tool.name);
        }
        outcome
    }

    /// Runs a tool and shapes the result for the negotiated version. Argument and business errors are
    /// results with `isError: true` (T5); only an unknown tool is a protocol error (the caller's job).
    pub async fn call(
        &self,
        tool: &ToolDef,
        board: &Board,
        arguments: Value,
        version: &str,
        stop: Stop,
    ) -> ToolOutcome {
        match tool.invoke(board, arguments, stop).await {
            Ok(output) => ToolOutcome {
                result: tool_success(&output, has_structured_content(version)),
                error: None,
            },
            Err(err) => {
                err.log(tool.name);
                ToolOutcome::refused(err.to_string())
            }
        }
    }
}

/// The serialized `CallToolResult` of a call, and the error text when it is an `isError` result.
pub struct ToolOutcome {
    pub result: Json,
    pub error: Option<String>,
}

impl ToolOutcome {
    /// An `isError` result with `message` (T5).
    pub fn refused(message: String) -> Self {
        let result = CallToolResult::error(vec![ContentBlock::text(message.clone())]);
        ToolOutcome {
            result: to_json(&to_wire(&result)),
            error: Some(message),
        }
    }
}

impl Default for ToolRegistry {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod projection_tests;
#[cfg(test)]
mod tests;
