//! `prompts/list` and `prompts/get` (PR1, PR2): the catalog, and one prompt rendered with its arguments.

use super::catalog::{self, Kind, PROMPTS, PromptDef};
use super::{Rendered, args, hand_off, triage, work_queue};
use crate::domain::Board;
use crate::mcp::jsonrpc::RpcError;
use crate::mcp::protocol::{GetPromptResult, ListPromptsResult, PromptMessage, Role, to_wire};
use serde_json::{Value, json};

/// `prompts/list`: every prompt on one page. A `cursor` can only be one we never issued, so it is refused
/// (PG1) rather than silently answered with the first page again.
pub fn list(params: &Value) -> Result<Value, RpcError> {
    if let Some(cursor) = params.get("cursor").filter(|c| !c.is_null()) {
        return Err(RpcError::invalid_params(format!(
            "Invalid params: prompts/list has a single page and no cursor; {cursor} was never issued"
        ))
        .with_data(json!({ "cursor": cursor })));
    }
    let mut result =
        ListPromptsResult::with_all_items(PROMPTS.iter().map(PromptDef::describe).collect());
    result.next_cursor = None;
    Ok(to_wire(&result))
}

fn unknown_prompt(message: String) -> RpcError {
    RpcError::invalid_params(message).with_data(json!({
        "prompts": PROMPTS.iter().map(|p| p.name).collect::<Vec<_>>(),
    }))
}

/// `prompts/get`: an unknown prompt, a missing, unknown or malformed argument, or (hand_off) a task that
/// does not exist is a `-32602` naming what is wrong and what is allowed.
pub async fn get(board: &Board, params: &Value) -> Result<Value, RpcError> {
    let name = match params.get("name") {
        Some(Value::String(name)) => name.as_str(),
        _ => {
            return Err(unknown_prompt(format!(
                "Invalid params: prompts/get requires a string \"name\", one of: {}",
                catalog::names()
            )));
        }
    };
    let Some(prompt) = catalog::find(name) else {
        return Err(unknown_prompt(format!(
            "Invalid params: unknown prompt \"{name}\"; prompts: {}",
            catalog::names()
        )));
    };
    let arguments = args::validate(prompt, params.get("arguments"))?;
    let Rendered { description, text } = match prompt.kind {
        Kind::WorkQueue => work_queue::render(&arguments),
        Kind::HandOff => hand_off::render(board, &arguments).await?,
        Kind::Triage => triage::render(board, &arguments).await?,
    };
    let result = GetPromptResult::new(vec![PromptMessage::new_text(Role::User, text)])
        .with_description(description);
    Ok(to_wire(&result))
}
