//! Tool sets (TINYTASK_TOOLSETS) on the MCP endpoint: a tool outside the configured sets is not listed, and
//! calling it is a tool error naming the set(s) to enable. The registry itself keeps every tool: the REST API
//! and the dashboard (the operator's surface) are not narrowed.

use super::def::ToolDef;
use crate::config::{Toolset, Toolsets};

/// The `isError` text for a call of `tool` on a server that does not serve it; `None` when it is enabled.
pub fn refusal(tool: &ToolDef, enabled: &Toolsets) -> Option<String> {
    if enabled.enables(tool.sets) {
        return None;
    }
    let sets: Vec<&str> = tool.sets.iter().map(|s| s.as_str()).collect();
    let add = match sets.as_slice() {
        [] => Toolset::All.as_str().to_string(),
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    };
    Some(format!(
        "{} is not enabled on this server: add {add} to TINYTASK_TOOLSETS (now: {enabled})",
        tool.name
    ))
}

/// For a prompt text, which names tools as `name(…)`: a line saying which of those tools this server does
/// not offer, so an agent following it does not call them; `None` when it offers them all.
pub fn hidden_note(text: &str, tools: &super::ToolRegistry, enabled: &Toolsets) -> Option<String> {
    if enabled.is_all() {
        return None;
    }
    let hidden: Vec<&str> = tools
        .names()
        .filter(|name| text.contains(&format!("{name}(")))
        .filter(|name| tools.get(name).is_some_and(|t| !enabled.enables(t.sets)))
        .collect();
    (!hidden.is_empty()).then(|| {
        format!(
            "Not offered on this server (TINYTASK_TOOLSETS={enabled}): {}. Skip the steps that need them, \
             or ask the operator to enable their sets.",
            hidden.join(", ")
        )
    })
}

#[cfg(test)]
#[path = "toolsets_tests.rs"]
mod tests;
