//! MCP prompts (`prompts/list`, `prompts/get`): ready-made instructions for the agent workflows of this
//! board. Their texts name the real tools and parameters (tests.rs checks every one against the tool
//! registry) and, where it helps, state the board's current facts (hand_off, triage).
//!
//! Prompts use the full tool registry, never a configured subset: their texts must not depend on which
//! tools a deployment lists.

mod args;
mod catalog;
mod get;
mod hand_off;
mod text;
mod triage;
mod work_queue;

pub use catalog::{ArgKind, argument_kind};
pub use get::{get, list};

/// A rendered prompt: the `description` and the text of its one user message.
pub struct Rendered {
    pub description: String,
    pub text: String,
}

#[cfg(test)]
mod tests;
