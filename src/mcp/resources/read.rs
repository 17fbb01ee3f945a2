//! `resources/read`: resolves a URI to domain reads and renders JSON or text.

use super::render;
use super::uri::{ResourceRef, parse};
use crate::domain::{Board, DomainError, agents, comments, links, queues, tasks};
use crate::mcp::jsonrpc::RpcError;
use crate::mcp::protocol::{ErrorCode, ReadResourceResult, ResourceContents, to_wire};
use serde_json::{Value, json};

fn not_found(uri: &str, detail: Option<String>) -> RpcError {
    let message = match detail {
        Some(d) => format!("Resource not found: {uri} ({d})"),
        None => format!("Resource not found: {uri}"),
    };
    RpcError::new(ErrorCode::RESOURCE_NOT_FOUND, message).with_data(json!({ "uri": uri }))
}

/// Reads `uri`; unknown URIs and missing tasks are `-32002` with the URI in `data` (R3).
pub async fn read(board: &Board, params: &Value) -> Result<Value, RpcError> {
    let uri = params
        .get("uri")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            RpcError::invalid_params("Invalid params: resources/read requires a string \"uri\"")
        })?
        .to_string();
    let target = parse(&uri).ok_or_else(|| not_found(&uri, None))?;
    let (mime, text) = board
        .read(move |c| render_ref(c, target))
        .await
        .map_err(|e| match e {
            DomainError::NotFound { .. } => not_found(&uri, Some(e.to_string())),
            other => RpcError::internal(format!("Error reading resource {uri}: {other}")),
        })?;
    let contents = ResourceContents::text(text, uri.clone()).with_mime_type(mime);
    Ok(to_wire(&ReadResourceResult::new(vec![contents])))
}

fn json_text<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

const JSON: &str = "application/json";
const TEXT: &str = "text/plain";

fn render_ref(
    c: &mut diesel::SqliteConnection,
    target: ResourceRef,
) -> crate::domain::DomainResult<(&'static str, String)> {
    use ResourceRef::*;
    Ok(match target {
        ActiveTasks => {
            let list = tasks::list(c, &tasks::TaskFilter::default())?;
            (
                JSON,
                json_text(&json!({"count": list.len(), "tasks": list})),
            )
        }
        ArchivedTasks => {
            let list = tasks::archived(c)?;
            (
                JSON,
                json_text(&json!({"count": list.len(), "tasks": list})),
            )
        }
        QueueList => {
            let names = queues::list(c)?.queues;
            let stats = names
                .iter()
                .map(|q| queues::stats(c, q))
                .collect::<Result<Vec<_>, _>>()?;
            (TEXT, render::queue_list(&stats))
        }
        Task(id) => (JSON, json_text(&tasks::get_with_relations(c, id)?)),
        TaskComments(id) => (JSON, json_text(&comments::list(c, id)?)),
        TaskLinks(id) => (JSON, json_text(&links::list(c, id)?)),
        Hierarchy(id) => {
            let root = tasks::get(c, id)?;
            let descendants = crate::domain::subtasks::subtasks_of(c, id, true, false)?;
            (TEXT, render::hierarchy(&root, &descendants))
        }
        AgentQueue(agent) => (JSON, json_text(&agents::my_queue(c, &agent)?)),
        AgentSummary(agent) => (
            JSON,
            json_text(&render::agent_summary(&agents::my_queue(c, &agent)?)),
        ),
        QueueStats(queue) => (TEXT, render::queue_stats(&queues::stats(c, &queue)?)),
        QueueTasks(queue) => (
            TEXT,
            render::queue_tasks(&queue, &queues::all_tasks(c, &queue)?),
        ),
    })
}
