//! `resources/read`: resolves a URI to domain reads and renders JSON or text.

use super::query::{ListQuery, QueryError};
use super::render;
use super::uri::{ResourceRef, parse};
use crate::domain::limits::Cut;
use crate::domain::projection::Projection;
use crate::domain::{Board, Conn, DomainError, agents, comments, links, queues, subtasks, tasks};
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
    let (target, query) = parse_paged(&uri).map_err(|e| match e {
        QueryError::Unknown => not_found(&uri, None),
        QueryError::Invalid(detail) => {
            RpcError::invalid_params(format!("Invalid resource URI {uri}: {detail}"))
                .with_data(json!({ "uri": uri }))
        }
    })?;
    let (mime, text) = board
        .read(move |c| render_ref(c, target, query))
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

/// The list resources accept `?offset=N` (the `next_offset` of a cut read) to read the rest.
fn pageable(target: &ResourceRef) -> bool {
    use ResourceRef::*;
    matches!(
        target,
        ActiveTasks
            | ArchivedTasks
            | TaskComments(_)
            | TaskLinks(_)
            | AgentQueue(_)
            | QueueTasks(_)
    )
}

/// The JSON task lists, which also take the task-list tools' projection (`view`, `fields`).
fn projectable(target: &ResourceRef) -> bool {
    use ResourceRef::*;
    matches!(target, ActiveTasks | ArchivedTasks | AgentQueue(_))
}

/// A resource URI with an optional query on a list resource (see [`query`](super::query)).
fn parse_paged(uri: &str) -> Result<(ResourceRef, ListQuery), QueryError> {
    let Some((base, query)) = uri.split_once('?') else {
        return parse(uri)
            .map(|target| (target, ListQuery::default()))
            .ok_or(QueryError::Unknown);
    };
    let target = parse(base).filter(pageable).ok_or(QueryError::Unknown)?;
    let query = super::query::parse(query, projectable(&target))?;
    Ok((target, query))
}

/// The last line of a text resource whose task list was cut.
fn cut_note(cut: &Cut, shown: usize, uri_hint: &str) -> String {
    match cut.next_offset {
        Some(next) if cut.is_cut() => format!(
            "\n(cut after {shown} tasks to stay within the response size limit, TINYTASK_MAX_RESPONSE_BYTES; \
             the rest: {uri_hint}{next})\n"
        ),
        _ => String::new(),
    }
}

fn render_ref(
    c: &mut Conn,
    target: ResourceRef,
    query: ListQuery,
) -> crate::domain::DomainResult<(&'static str, String)> {
    use ResourceRef::*;
    let offset = query.offset;
    Ok(match target {
        ActiveTasks => {
            let filter = tasks::TaskFilter {
                offset: Some(offset),
                fields: query.fields,
                view: query.view,
                ..tasks::TaskFilter::default()
            };
            (JSON, json_text(&tasks::list(c, &filter)?))
        }
        ArchivedTasks => {
            let keep = Projection::new(query.fields.as_deref(), query.view)?;
            (JSON, json_text(&tasks::archived(c, offset, keep)?))
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
        TaskComments(id) => (JSON, json_text(&comments::list(c, items(id, offset))?)),
        TaskLinks(id) => (JSON, json_text(&links::list(c, items(id, offset))?)),
        Hierarchy(id) => {
            let root = tasks::get(c, id)?;
            let which = subtasks::SubtaskQuery {
                recursive: true,
                ..Default::default()
            };
            let descendants = subtasks::subtasks_of(c, id, which, 0)?;
            let mut text = render::hierarchy(&root, &descendants.items);
            text += &cut_note(
                &descendants.cut,
                descendants.items.len(),
                &format!("get_subtasks parent_task_id={id} recursive=true offset="),
            );
            (TEXT, text)
        }
        AgentQueue(agent) => {
            let args = agents::MyQueue {
                agent_name: agent,
                offset: Some(offset),
                fields: query.fields,
                view: query.view,
            };
            (JSON, json_text(&agents::my_queue(c, args)?))
        }
        AgentSummary(agent) => (
            JSON,
            json_text(&render::agent_summary(
                &agent,
                &agents::open_work_counts(c, &agent)?,
            )),
        ),
        QueueStats(queue) => (TEXT, render::queue_stats(&queues::stats(c, &queue)?)),
        QueueTasks(queue) => {
            let page = queues::all_tasks(c, &queue, offset)?;
            let mut text = render::queue_tasks(&queue, &page.items);
            let hint = format!("queue://tasks/{}?offset=", encode(&queue));
            text += &cut_note(&page.cut, page.items.len(), &hint);
            (TEXT, text)
        }
    })
}

fn items(task_id: i32, offset: i64) -> tasks::TaskItems {
    tasks::TaskItems {
        task_id,
        offset: Some(offset),
    }
}

/// A queue name as a URI path segment.
fn encode(name: &str) -> String {
    percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC).to_string()
}
