//! Lean list answers: which keys of each listed task a task-list tool or resource returns.
//!
//! Every task list (list_tasks, get_queue_tasks, get_my_queue, get_subtasks, get_task_with_subtasks'
//! subtasks, list_ready_tasks, search_tasks' results[].task, tasks://active, tasks://archived,
//! queue://{agent_name}) takes two optional arguments:
//! - `fields`: the task keys to keep (at least one; unknown keys are rejected naming the allowed ones);
//! - `view`: `full` (every key, the default) or `summary` ([`SUMMARY`]).
//!
//! Both given: the union (`view: "summary", fields: ["description"]` is the summary plus the description).
//! `id` is always kept: every tool that acts on a task needs it. Kept keys come in the task view's own order
//! whatever order `fields` names them in. Neither given: the full task, byte for byte what it was before
//! projections existed.
//!
//! The projection is applied while the list is built, not to its serialized text: a [`Listed`] task
//! serializes only its kept keys (so the response-size cut measures the lean items), and the per-list
//! queries for `is_currently_blocked` and `lease` are skipped when those keys are not kept
//! (`blocking::to_listed`).

use super::limits::MinJson;
use super::rows::TaskRow;
use super::views::Task;
use super::{DomainError, DomainResult};
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

// One key of a task view, as `fields` names it. (No doc comment: it would be repeated in the schema of
// every list tool's `fields` items.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaskField {
    Id,
    Title,
    Description,
    Status,
    AssignedTo,
    PreviousAssignedTo,
    CreatedBy,
    Priority,
    Tags,
    ParentTaskId,
    QueueName,
    BlockedByTaskId,
    CreatedAt,
    UpdatedAt,
    ArchivedAt,
    IsCurrentlyBlocked,
    Lease,
}

impl TaskField {
    /// Every key, in the order a task view serializes them (the field order of [`Task`]).
    pub const ALL: [TaskField; 17] = [
        TaskField::Id,
        TaskField::Title,
        TaskField::Description,
        TaskField::Status,
        TaskField::AssignedTo,
        TaskField::PreviousAssignedTo,
        TaskField::CreatedBy,
        TaskField::Priority,
        TaskField::Tags,
        TaskField::ParentTaskId,
        TaskField::QueueName,
        TaskField::BlockedByTaskId,
        TaskField::CreatedAt,
        TaskField::UpdatedAt,
        TaskField::ArchivedAt,
        TaskField::IsCurrentlyBlocked,
        TaskField::Lease,
    ];

    /// The JSON key (the same name serde derives for [`Task`]; a unit test holds them together).
    pub fn key(self) -> &'static str {
        FIELD_NAMES[self as usize]
    }

    pub fn parse(key: &str) -> Option<TaskField> {
        TaskField::ALL.into_iter().find(|f| f.key() == key)
    }

    /// "id, title, …": the allowed values, for error messages.
    pub fn allowed() -> String {
        TaskField::ALL.map(TaskField::key).join(", ")
    }

    fn bit(self) -> u32 {
        1 << self as u32
    }
}

// A named set of task keys: `full` (every key, also what neither view nor fields returns) or `summary`
// ([`SUMMARY`]). Plain comments: doc comments would turn its schema into a longer oneOf.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum View {
    Full,
    Summary,
}

impl View {
    pub const ALL: [View; 2] = [View::Full, View::Summary];

    pub fn key(self) -> &'static str {
        match self {
            View::Full => "full",
            View::Summary => "summary",
        }
    }

    pub fn parse(key: &str) -> Option<View> {
        View::ALL.into_iter().find(|v| v.key() == key)
    }

    fn projection(self) -> Projection {
        match self {
            View::Full => Projection::FULL,
            View::Summary => Projection::of(&SUMMARY),
        }
    }
}

/// Reads one of `names` (`parse` maps a name to its value). Written by hand rather than derived so that a
/// value of the wrong type is also answered with the allowed values ("expected one of full, summary, got
/// integer 5"), not serde's "expected string or map".
fn named<'de, D, T>(
    deserializer: D,
    names: &'static [&'static str],
    parse: fn(&str) -> Option<T>,
) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
{
    struct Named<T> {
        names: &'static [&'static str],
        parse: fn(&str) -> Option<T>,
    }
    impl<T> serde::de::Visitor<'_> for Named<T> {
        type Value = T;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "one of {}", self.names.join(", "))
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<T, E> {
            (self.parse)(v).ok_or_else(|| E::unknown_variant(v, self.names))
        }
    }
    deserializer.deserialize_str(Named { names, parse })
}

const FIELD_NAMES: [&str; 17] = [
    "id",
    "title",
    "description",
    "status",
    "assigned_to",
    "previous_assigned_to",
    "created_by",
    "priority",
    "tags",
    "parent_task_id",
    "queue_name",
    "blocked_by_task_id",
    "created_at",
    "updated_at",
    "archived_at",
    "is_currently_blocked",
    "lease",
];

impl<'de> Deserialize<'de> for TaskField {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        named(d, &FIELD_NAMES, TaskField::parse)
    }
}

impl<'de> Deserialize<'de> for View {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        named(d, &["full", "summary"], View::parse)
    }
}

/// `view: "summary"`: what an agent needs to choose its next task from a list (who has it, where it is, how
/// urgent, whether it can start), without the texts and timestamps that make a full task ~10 times larger.
pub const SUMMARY: [TaskField; 7] = [
    TaskField::Id,
    TaskField::Title,
    TaskField::Status,
    TaskField::AssignedTo,
    TaskField::Priority,
    TaskField::QueueName,
    TaskField::IsCurrentlyBlocked,
];

// `fields` and `view` carry no schema description, and `fields` no enum of the keys: two core tools
// (search_tasks, list_ready_tasks) take them and the core tools/list has a 12 KB budget (issue 13 §3). The
// keys are the task's own keys; a wrong one is answered with the allowed ones (and docs/TOOLS.md
// "Projections" has the rules).

/// The set of task keys a list returns (one bit per [`TaskField`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Projection(u32);

impl Default for Projection {
    fn default() -> Self {
        Projection::FULL
    }
}

impl Projection {
    pub const FULL: Projection = Projection((1 << TaskField::ALL.len()) - 1);

    fn of(fields: &[TaskField]) -> Projection {
        Projection(
            fields
                .iter()
                .fold(TaskField::Id.bit(), |acc, f| acc | f.bit()),
        )
    }

    /// The projection the `fields` and `view` arguments ask for (see the module docs).
    pub fn new(fields: Option<&[TaskField]>, view: Option<View>) -> DomainResult<Projection> {
        if fields.is_some_and(<[TaskField]>::is_empty) {
            return Err(DomainError::invalid(
                "fields",
                format!(
                    "must name at least one task key (omit it for full tasks); allowed: {}",
                    TaskField::allowed()
                ),
            ));
        }
        Ok(match (fields, view) {
            (None, None) => Projection::FULL,
            (Some(fields), None) => Projection::of(fields),
            (None, Some(view)) => view.projection(),
            (Some(fields), Some(view)) => {
                Projection(Projection::of(fields).0 | view.projection().0)
            }
        })
    }

    pub fn keeps(self, field: TaskField) -> bool {
        self.0 & field.bit() != 0
    }

    pub fn is_full(self) -> bool {
        self == Projection::FULL
    }

    /// The kept keys, in task order.
    pub fn fields(self) -> impl Iterator<Item = TaskField> {
        TaskField::ALL.into_iter().filter(move |f| self.keeps(*f))
    }
}

/// A lower bound of the JSON size of `row` as a task of projection `keep` (see `limits::MinJson`): the
/// kept keys with their punctuation and shortest values, plus the kept texts. Lets a lean list read as many
/// rows as its lean items can fill, not only as many as whole tasks would.
pub fn min_json(row: &TaskRow, keep: Projection) -> usize {
    if keep.is_full() {
        return row.min_json();
    }
    // `"key":v,` per key (the last comma is the closing brace), plus the opening brace.
    let fixed: usize = keep.fields().map(|f| f.key().len() + 4).sum::<usize>() + 1;
    let text = |field: TaskField, value: Option<&str>| {
        if keep.keeps(field) {
            value.map_or(0, str::len)
        } else {
            0
        }
    };
    fixed
        + text(TaskField::Title, Some(&row.title))
        + text(TaskField::Description, row.description.as_deref())
        + text(TaskField::AssignedTo, row.assigned_to.as_deref())
        + text(
            TaskField::PreviousAssignedTo,
            row.previous_assigned_to.as_deref(),
        )
        + text(TaskField::CreatedBy, row.created_by.as_deref())
        + text(TaskField::QueueName, row.queue_name.as_deref())
}

/// A task in a list, serialized with only the keys of its projection. Reading it as a [`Task`] (`Deref`) is
/// for code that built it with the full projection: keys left out may hold defaults (is_currently_blocked
/// false, lease null) because they were never computed.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    task: Task,
    keep: Projection,
}

impl Listed {
    pub fn new(task: Task, keep: Projection) -> Listed {
        Listed { task, keep }
    }

    pub fn full(task: Task) -> Listed {
        Listed::new(task, Projection::FULL)
    }

    pub fn into_task(self) -> Task {
        self.task
    }
}

impl std::ops::Deref for Listed {
    type Target = Task;
    fn deref(&self) -> &Task {
        &self.task
    }
}

impl Serialize for Listed {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // The full task goes through its derived impl: the default answer stays byte for byte the same.
        if self.keep.is_full() {
            return self.task.serialize(serializer);
        }
        let t = &self.task;
        let mut map = serializer.serialize_map(Some(self.keep.0.count_ones() as usize))?;
        for field in self.keep.fields() {
            let key = field.key();
            match field {
                TaskField::Id => map.serialize_entry(key, &t.id)?,
                TaskField::Title => map.serialize_entry(key, &t.title)?,
                TaskField::Description => map.serialize_entry(key, &t.description)?,
                TaskField::Status => map.serialize_entry(key, &t.status)?,
                TaskField::AssignedTo => map.serialize_entry(key, &t.assigned_to)?,
                TaskField::PreviousAssignedTo => {
                    map.serialize_entry(key, &t.previous_assigned_to)?;
                }
                TaskField::CreatedBy => map.serialize_entry(key, &t.created_by)?,
                TaskField::Priority => map.serialize_entry(key, &t.priority)?,
                TaskField::Tags => map.serialize_entry(key, &t.tags)?,
                TaskField::ParentTaskId => map.serialize_entry(key, &t.parent_task_id)?,
                TaskField::QueueName => map.serialize_entry(key, &t.queue_name)?,
                TaskField::BlockedByTaskId => map.serialize_entry(key, &t.blocked_by_task_id)?,
                TaskField::CreatedAt => map.serialize_entry(key, &t.created_at)?,
                TaskField::UpdatedAt => map.serialize_entry(key, &t.updated_at)?,
                TaskField::ArchivedAt => map.serialize_entry(key, &t.archived_at)?,
                TaskField::IsCurrentlyBlocked => {
                    map.serialize_entry(key, &t.is_currently_blocked)?;
                }
                TaskField::Lease => map.serialize_entry(key, &t.lease)?,
            }
        }
        map.end()
    }
}

/// The task's schema with only `id` required: a projected item has fewer keys, and clients (the Python SDK)
/// validate structuredContent against the output schema.
impl JsonSchema for Listed {
    fn schema_name() -> Cow<'static, str> {
        "ListedTask".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let mut schema = Task::json_schema(generator);
        schema.insert("required".into(), serde_json::json!(["id"]));
        schema.insert(
            "description".into(),
            "A task: every key, or with fields/view only the chosen ones (id always).".into(),
        );
        schema
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::TaskStatus;
    use crate::domain::leases::LeaseInfo;
    use serde_json::{Value, json};

    fn task() -> Task {
        Task {
            id: 7,
            title: "t".into(),
            description: Some("d".into()),
            status: TaskStatus::Working,
            assigned_to: Some("a".into()),
            previous_assigned_to: Some("p".into()),
            created_by: Some("c".into()),
            priority: 3,
            tags: vec!["x".into()],
            parent_task_id: Some(2),
            queue_name: Some("q".into()),
            blocked_by_task_id: Some(1),
            created_at: Some("2026-01-01T00:00:00Z".into()),
            updated_at: Some("2026-01-02T00:00:00Z".into()),
            archived_at: None,
            is_currently_blocked: true,
            lease: Some(LeaseInfo {
                holder: "a".into(),
                expires_at: "2026-01-03T00:00:00.000Z".into(),
            }),
        }
    }

    fn projected(fields: Option<&[TaskField]>, view: Option<View>) -> Value {
        let keep = Projection::new(fields, view).unwrap();
        serde_json::to_value(Listed::new(task(), keep)).unwrap()
    }

    #[test]
    fn keys_and_order_are_those_of_the_task_view() {
        let full = serde_json::to_value(task()).unwrap();
        let keys: Vec<&str> = full
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        // serde_json's map is ordered (preserve_order): the derived order is the view's.
        assert_eq!(keys, TaskField::ALL.map(TaskField::key));
        for field in TaskField::ALL {
            let one = projected(Some(&[field]), None);
            assert_eq!(one[field.key()], full[field.key()], "{field:?}");
        }
    }

    #[test]
    fn default_and_full_view_are_the_task_byte_for_byte() {
        let text = serde_json::to_string(&task()).unwrap();
        for keep in [
            Projection::new(None, None).unwrap(),
            Projection::new(None, Some(View::Full)).unwrap(),
            Projection::new(Some(&TaskField::ALL), None).unwrap(),
        ] {
            assert_eq!(
                serde_json::to_string(&Listed::new(task(), keep)).unwrap(),
                text
            );
        }
    }

    #[test]
    fn fields_keep_id_and_come_in_task_order() {
        let got = projected(Some(&[TaskField::Status, TaskField::Title]), None);
        assert_eq!(
            serde_json::to_string(&got).unwrap(),
            r#"{"id":7,"title":"t","status":"working"}"#
        );
    }

    #[test]
    fn summary_and_union_with_fields() {
        let summary = projected(None, Some(View::Summary));
        assert_eq!(
            summary,
            json!({"id": 7, "title": "t", "status": "working", "assigned_to": "a", "priority": 3,
                   "queue_name": "q", "is_currently_blocked": true})
        );
        let both = projected(Some(&[TaskField::Description]), Some(View::Summary));
        let mut expected = summary.as_object().unwrap().clone();
        expected.insert("description".into(), json!("d"));
        let keys: Vec<&String> = both.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "id",
                "title",
                "description",
                "status",
                "assigned_to",
                "priority",
                "queue_name",
                "is_currently_blocked"
            ]
        );
        assert_eq!(both, Value::Object(expected));
    }

    #[test]
    fn empty_fields_is_an_error_naming_the_parameter_and_the_keys() {
        let err = Projection::new(Some(&[]), None).unwrap_err().to_string();
        assert!(err.contains("`fields`"), "{err}");
        assert!(err.contains(&TaskField::allowed()), "{err}");
    }

    #[test]
    fn parse_and_keys_round_trip() {
        for f in TaskField::ALL {
            assert_eq!(TaskField::parse(f.key()), Some(f));
            let via_serde: TaskField = serde_json::from_value(json!(f.key())).unwrap();
            assert_eq!(via_serde, f);
            // The schema's enum (derived names) is the accepted names.
            assert_eq!(serde_json::to_value(f).unwrap(), json!(f.key()));
        }
        for v in View::ALL {
            assert_eq!(View::parse(v.key()), Some(v));
        }
        assert_eq!(TaskField::parse("nope"), None);
    }

    #[test]
    fn the_response_cut_measures_the_lean_items() {
        use crate::domain::limits::{Limits, with_limits};
        use crate::domain::tasks::{self, TaskFilter};
        use crate::domain::test_support::{conn, create, new_task};
        let (_dir, mut c) = conn();
        for i in 0..40 {
            create(&mut c, new_task(&format!("task {i}")));
        }
        let small = Limits {
            response_bytes: 4096,
            ..Limits::default()
        };
        let (whole, lean) = with_limits(small, || {
            let whole = tasks::list(&mut c, &TaskFilter::default()).unwrap();
            let lean = TaskFilter {
                fields: Some(vec![TaskField::Title]),
                ..TaskFilter::default()
            };
            (whole, tasks::list(&mut c, &lean).unwrap())
        });
        assert!(whole.cut.is_cut() && whole.count < 40, "{}", whole.count);
        // A lean task is ~25 bytes: all 40 fit where the whole ones were cut.
        assert_eq!(lean.count, 40);
        assert!(!lean.cut.is_cut());
    }

    #[test]
    fn schema_requires_only_id() {
        let schema = crate::mcp::tools::schema_for::<Listed>();
        assert_eq!(schema["required"], json!(["id"]));
        assert!(schema["properties"]["lease"].is_object());
    }
}
