//! The prompts TinyTask offers: names, titles, descriptions and arguments (`prompts/list`). Their texts
//! are rendered by one file each (work_queue.rs, hand_off.rs, triage.rs).

use crate::mcp::jsonrpc::RpcError;
use crate::mcp::protocol::{Prompt, PromptArgument};
use serde_json::json;

/// What an argument's string must hold (prompt arguments are always strings on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgKind {
    /// An agent name: non-blank, at most TINYTASK_MAX_NAME_BYTES (as the tools' agent_name).
    Agent,
    /// A queue name: non-blank, at most 255 characters (as the tools' queue_name).
    Queue,
    /// A task id: a positive integer written as a string ("7").
    TaskId,
}

pub struct ArgSpec {
    pub name: &'static str,
    pub description: &'static str,
    pub required: bool,
    pub kind: ArgKind,
}

/// Which renderer produces the prompt's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    WorkQueue,
    HandOff,
    Triage,
}

pub struct PromptDef {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub args: &'static [ArgSpec],
    pub kind: Kind,
}

pub const PROMPTS: [PromptDef; 3] = [
    PromptDef {
        name: "work_queue",
        title: "Work the queue",
        description: "The loop one agent follows on this board: wait_for_task to claim work, keep the lease \
                      with heartbeat while working and commenting, then complete the task, hand it over with \
                      move_task or release it; with the rules on leases, dependencies and hand-off comments.",
        args: &[
            ArgSpec {
                name: "agent_name",
                description: "The agent that works (its tasks are those assigned to this name).",
                required: true,
                kind: ArgKind::Agent,
            },
            ArgSpec {
                name: "queue_name",
                description: "Claim from this queue's pool (its unassigned tasks and the agent's own in it); \
                              omitted: only the agent's own tasks.",
                required: false,
                kind: ArgKind::Queue,
            },
        ],
        kind: Kind::WorkQueue,
    },
    PromptDef {
        name: "hand_off",
        title: "Hand a task off",
        description: "How to pass one task to another agent with the context they need, written from the \
                      task's current state on the board (status, assignee, lease, open dependencies, last \
                      comments).",
        args: &[
            ArgSpec {
                name: "task_id",
                description: "Id of the task to hand over (a positive integer, e.g. \"7\").",
                required: true,
                kind: ArgKind::TaskId,
            },
            ArgSpec {
                name: "to_agent",
                description: "The agent who takes the task over.",
                required: true,
                kind: ArgKind::Agent,
            },
        ],
        kind: Kind::HandOff,
    },
    PromptDef {
        name: "triage",
        title: "Triage a queue",
        description: "Review one queue's unassigned, blocked and stale work with the tools that fix each, \
                      starting from the queue's current counts on the board.",
        args: &[ArgSpec {
            name: "queue_name",
            description: "The queue to review.",
            required: true,
            kind: ArgKind::Queue,
        }],
        kind: Kind::Triage,
    },
];

pub fn find(name: &str) -> Option<&'static PromptDef> {
    PROMPTS.iter().find(|p| p.name == name)
}

/// For `completion/complete` on a `ref/prompt`: what `argument` of `prompt` holds, or a `-32602` naming
/// the prompts or the prompt's arguments.
pub fn argument_kind(prompt: &str, argument: &str) -> Result<ArgKind, RpcError> {
    let def = find(prompt).ok_or_else(|| {
        RpcError::invalid_params(format!(
            "Invalid params: unknown prompt \"{prompt}\"; prompts: {}",
            names()
        ))
        .with_data(json!({ "prompts": PROMPTS.iter().map(|p| p.name).collect::<Vec<_>>() }))
    })?;
    def.arg(argument).map(|a| a.kind).ok_or_else(|| {
        RpcError::invalid_params(format!(
            "Invalid params: prompt {prompt} has no argument \"{argument}\"; allowed: {}",
            def.arg_names()
        ))
        .with_data(json!({
            "prompt": prompt,
            "argument": argument,
            "arguments": def.args.iter().map(|a| a.name).collect::<Vec<_>>(),
        }))
    })
}

/// The prompt names, comma-separated (for errors that must list the allowed values).
pub fn names() -> String {
    PROMPTS
        .iter()
        .map(|p| p.name)
        .collect::<Vec<_>>()
        .join(", ")
}

impl PromptDef {
    /// The `prompts/list` entry.
    pub fn describe(&self) -> Prompt {
        let arguments = self
            .args
            .iter()
            .map(|a| {
                PromptArgument::new(a.name)
                    .with_description(a.description)
                    .with_required(a.required)
            })
            .collect();
        Prompt::new(self.name, Some(self.description), Some(arguments)).with_title(self.title)
    }

    pub fn arg(&self, name: &str) -> Option<&'static ArgSpec> {
        self.args.iter().find(|a| a.name == name)
    }

    /// The argument names, comma-separated, required ones marked (for errors).
    pub fn arg_names(&self) -> String {
        self.args
            .iter()
            .map(|a| {
                if a.required {
                    format!("{} (required)", a.name)
                } else {
                    a.name.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}
