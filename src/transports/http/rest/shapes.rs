//! Answers whose 2.x shape differs from the tool's result, as Rust types: the handler builds them and the
//! OpenAPI document takes their schemas from the same types.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

/// 2.x's error text when `POST /agents/{agent_name}/signup` finds nothing to claim (404).
pub const NO_IDLE_TASKS: &str = "No idle tasks available for signup";

/// `DELETE /queues/{queue_name}/tasks` (2.x: `tasks_removed`, where the tool says `tasks_cleared`).
#[derive(Debug, Serialize, JsonSchema)]
pub struct ClearedQueue {
    pub success: bool,
    pub queue_name: String,
    /// How many tasks were taken out of the queue.
    pub tasks_removed: u64,
}

impl ClearedQueue {
    /// From clear_queue's `{queue_name, tasks_cleared}`.
    pub fn from_tool(result: &Value) -> Self {
        ClearedQueue {
            success: true,
            queue_name: result["queue_name"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            tasks_removed: result["tasks_cleared"].as_u64().unwrap_or_default(),
        }
    }
}
