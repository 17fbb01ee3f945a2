//! `completion/complete` (CO1): suggests agent and queue names for the arguments of the resource templates
//! and of the prompts.

use super::jsonrpc::RpcError;
use super::prompts::{self, ArgKind};
use super::protocol::{CompleteRequestParams, CompleteResult, CompletionInfo, Reference, to_wire};
use crate::domain::{Board, agents, queues};
use serde_json::Value;

/// At most this many values per answer (the protocol's limit).
const MAX_VALUES: usize = 100;

/// Where the suggestions for one argument come from.
enum Source {
    Agents,
    Queues,
    /// Nothing to suggest (task ids, or an argument we do not complete): an empty answer is valid.
    Nothing,
}

pub async fn complete(board: &Board, params: Value) -> Result<Value, RpcError> {
    let params: CompleteRequestParams = serde_json::from_value(params).map_err(|e| {
        RpcError::invalid_params(format!("Invalid params for completion/complete: {e}"))
    })?;
    let prefix = params.argument.value.to_lowercase();
    let source = match (&params.r#ref, params.argument.name.as_str()) {
        (Reference::Resource(r), "agent_name") if r.uri.contains("{agent_name}") => Source::Agents,
        (Reference::Resource(r), "queue_name") if r.uri.contains("{queue_name}") => Source::Queues,
        // Unknown prompts and arguments are errors naming the allowed ones (the prompt catalog is ours).
        (Reference::Prompt(p), argument) => match prompts::argument_kind(&p.name, argument)? {
            ArgKind::Agent => Source::Agents,
            ArgKind::Queue => Source::Queues,
            ArgKind::TaskId => Source::Nothing,
        },
        _ => Source::Nothing,
    };
    let candidates: Vec<String> = match source {
        Source::Agents => board
            .read(agents::known_agents)
            .await
            .map_err(|e| RpcError::internal(e.to_string()))?,
        Source::Queues => board
            .read(|c| queues::list(c).map(|l| l.queues))
            .await
            .map_err(|e| RpcError::internal(e.to_string()))?,
        Source::Nothing => Vec::new(),
    };
    let matching: Vec<String> = candidates
        .into_iter()
        .filter(|c| c.to_lowercase().starts_with(&prefix))
        .collect();
    let total = matching.len();
    let values: Vec<String> = matching.into_iter().take(MAX_VALUES).collect();
    let info = CompletionInfo::with_pagination(values, Some(total as u32), total > MAX_VALUES)
        .map_err(RpcError::internal)?;
    Ok(to_wire(&CompleteResult::new(info)))
}
