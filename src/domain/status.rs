//! Task status: the three values the schema's CHECK constraint allows.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TaskStatus {
    Idle,
    Working,
    Complete,
}

impl TaskStatus {
    pub const ALL: [TaskStatus; 3] = [TaskStatus::Idle, TaskStatus::Working, TaskStatus::Complete];
    pub const ALLOWED: &'static str = "idle, working, complete";

    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Idle => "idle",
            TaskStatus::Working => "working",
            TaskStatus::Complete => "complete",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }
}
