//! Queues: named pools of tasks (teams or areas such as "dev", "review"). A queue exists while a
//! non-archived task names it.

use super::DomainResult;
use super::history;
use super::input;
use super::limits::{Cut, Page, Paged, impl_paged};
use super::projection::Listed;
use super::tasks::{self, TaskFilter, find_row};
use super::text;
use super::views::Task;
use crate::db::schema::tasks as t;
use crate::domain::Conn;
use diesel::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QueueName {
    /// Queue name.
    pub queue_name: String,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AddToQueue {
    /// Task to put in the queue.
    #[serde(deserialize_with = "input::id")]
    #[schemars(with = "crate::domain::input::IdSchema")]
    pub task_id: i32,
    /// Queue name (at most 255 characters).
    pub queue_name: String,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveToQueue {
    /// Task to move.
    #[serde(deserialize_with = "input::id")]
    #[schemars(with = "crate::domain::input::IdSchema")]
    pub task_id: i32,
    /// Destination queue name (at most 255 characters).
    pub new_queue_name: String,
}

/// Arguments of `get_queue_tasks`: every `list_tasks` filter with `queue_name` required.
#[derive(Debug, Clone)]
pub struct QueueTasks(pub TaskFilter);

impl<'de> Deserialize<'de> for QueueTasks {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let filter = TaskFilter::deserialize(d)?;
        if filter.queue_name.is_none() {
            return Err(serde::de::Error::missing_field("queue_name"));
        }
        Ok(QueueTasks(filter))
    }
}

impl JsonSchema for QueueTasks {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "QueueTasks".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let mut schema = TaskFilter::json_schema(generator);
        if let Some(props) = schema.get_mut("properties").and_then(|p| p.as_object_mut()) {
            props.insert(
                "queue_name".into(),
                serde_json::json!({"type": "string", "description": "Queue name."}),
            );
        }
        schema.insert("required".into(), serde_json::json!(["queue_name"]));
        schema
    }
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct QueueList {
    pub count: usize,
    pub queues: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct StatusCounts {
    pub idle: i64,
    pub working: i64,
    pub complete: i64,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct QueueStats {
    pub queue_name: String,
    pub total_tasks: i64,
    pub by_status: StatusCounts,
    pub assigned: i64,
    pub unassigned: i64,
    /// Agents with tasks in the queue, sorted.
    pub agents: Vec<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct QueueTaskList {
    pub queue_name: String,
    pub count: usize,
    /// The filters that were applied.
    pub filters: TaskFilter,
    pub tasks: Vec<Listed>,
    #[serde(flatten)]
    pub cut: Cut,
}

impl_paged!(QueueTaskList, Listed, tasks, count);

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct QueueCleared {
    pub queue_name: String,
    pub tasks_cleared: usize,
}

/// Names of queues that hold at least one non-archived task, sorted.
pub fn list(conn: &mut Conn) -> DomainResult<QueueList> {
    let queues: Vec<String> = t::table
        .filter(t::archived_at.is_null())
        .filter(t::queue_name.is_not_null())
        .select(t::queue_name)
        .distinct()
        .order(t::queue_name.asc())
        .load::<Option<String>>(conn)?
        .into_iter()
        .flatten()
        .collect();
    Ok(QueueList {
        count: queues.len(),
        queues,
    })
}

/// Counts of a queue's non-archived tasks. An unknown queue has all zeros.
pub fn stats(conn: &mut Conn, queue_name: &str) -> DomainResult<QueueStats> {
    let name = text::queue_name("queue_name", queue_name)?;
    let rows: Vec<(String, Option<String>)> = t::table
        .filter(t::queue_name.eq(&name))
        .filter(t::archived_at.is_null())
        .select((t::status, t::assigned_to))
        .load(conn)?;
    let mut by_status = StatusCounts::default();
    let mut agents: Vec<String> = Vec::new();
    for (status, agent) in &rows {
        match status.as_str() {
            "idle" => by_status.idle += 1,
            "working" => by_status.working += 1,
            _ => by_status.complete += 1,
        }
        if let Some(a) = agent {
            agents.push(a.clone());
        }
    }
    let assigned = agents.len() as i64;
    agents.sort();
    agents.dedup();
    Ok(QueueStats {
        queue_name: name,
        total_tasks: rows.len() as i64,
        by_status,
        assigned,
        unassigned: rows.len() as i64 - assigned,
        agents,
    })
}

fn set_queue(conn: &mut Conn, task_id: i32, queue: Option<String>) -> DomainResult<Task> {
    let row = find_row(conn, "Task", task_id)?;
    if row.queue_name != queue {
        diesel::update(t::table.filter(t::id.eq(task_id)))
            .set((
                t::queue_name.eq(&queue),
                t::updated_at.eq(super::clock::now(conn)),
            ))
            .execute(conn)?;
        history::record(conn, task_id, "queue_name", row.queue_name, queue, None)?;
    }
    tasks::get(conn, task_id)
}

pub fn add_task(conn: &mut Conn, args: AddToQueue) -> DomainResult<Task> {
    let queue = text::queue_name("queue_name", &args.queue_name)?;
    set_queue(conn, args.task_id, Some(queue))
}

pub fn move_task(conn: &mut Conn, args: MoveToQueue) -> DomainResult<Task> {
    let queue = text::queue_name("new_queue_name", &args.new_queue_name)?;
    set_queue(conn, args.task_id, Some(queue))
}

pub fn remove_task(conn: &mut Conn, task_id: i32) -> DomainResult<Task> {
    set_queue(conn, task_id, None)
}

/// The queue's tasks, filtered like `list_tasks` (and cut to the response limit like it).
pub fn tasks(conn: &mut Conn, args: QueueTasks) -> DomainResult<QueueTaskList> {
    let mut filter = args.0;
    let name = text::queue_name(
        "queue_name",
        filter.queue_name.as_deref().unwrap_or_default(),
    )?;
    filter.queue_name = Some(name.clone());
    filter.include_archived = Some(filter.include_archived.unwrap_or(false));
    let mut shown = filter.clone();
    shown.queue_name = None;
    // What to return is not a filter: `filters` echoes only what chose the tasks.
    shown.fields = None;
    shown.view = None;
    let mut result = QueueTaskList {
        queue_name: name,
        count: 0,
        filters: shown,
        tasks: Vec::new(),
        cut: Cut::default(),
    };
    result.set_page(tasks::list_page(conn, &filter, result.overhead())?);
    Ok(result)
}

/// Takes every non-archived task out of the queue.
pub fn clear(conn: &mut Conn, queue_name: &str) -> DomainResult<QueueCleared> {
    let name = text::queue_name("queue_name", queue_name)?;
    let ids: Vec<i32> = t::table
        .filter(t::queue_name.eq(&name))
        .filter(t::archived_at.is_null())
        .select(t::id)
        .load::<Option<i32>>(conn)?
        .into_iter()
        .flatten()
        .collect();
    diesel::update(t::table.filter(t::id.eq_any(&ids)))
        .set((
            t::queue_name.eq(None::<String>),
            t::updated_at.eq(super::clock::now(conn)),
        ))
        .execute(conn)?;
    for id in &ids {
        history::record(conn, *id, "queue_name", Some(name.clone()), None, None)?;
    }
    Ok(QueueCleared {
        queue_name: name,
        tasks_cleared: ids.len(),
    })
}

/// Non-archived tasks of a queue in list order from `offset`, cut to the response limit (used by the
/// `queue://tasks/{queue_name}` resource).
pub fn all_tasks(conn: &mut Conn, queue_name: &str, offset: i64) -> DomainResult<Page<Listed>> {
    let filter = TaskFilter {
        queue_name: Some(queue_name.to_string()),
        offset: Some(offset),
        ..TaskFilter::default()
    };
    tasks::list_page(conn, &filter, 0)
}
