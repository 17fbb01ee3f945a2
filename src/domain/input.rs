//! Deserializers for tool arguments, shared by all argument structs.
//!
//! They accept what agents really send (integer ids as numbers or numeric strings, like TinyTask 2.x's
//! coercion) but never guess: `null` is "none" only where the contract says so and is never coerced to 0,
//! and every rejection explains the expected form (the caller adds the parameter name).

use super::TaskStatus;
use schemars::JsonSchema;
use serde::Deserialize;
use serde::de::{Deserializer, Error};
use serde_json::Value;

fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Number(n) => format!("number {n}"),
        Value::String(s) => format!("string {s:?}"),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

/// An integer from a JSON integer, an integral float (`5.0`) or a string of digits (`"5"`).
fn integer_from(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9e15)
                .map(|f| f as i64)
        }),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    }
}

fn to_id<E: Error>(v: &Value) -> Result<i32, E> {
    match integer_from(v) {
        Some(n) if (1..=i32::MAX as i64).contains(&n) => Ok(n as i32),
        Some(n) => Err(E::custom(format!(
            "expected a positive integer id, got {n}"
        ))),
        None => Err(E::custom(format!(
            "expected a positive integer id, got {}",
            describe(v)
        ))),
    }
}

/// A required id (≥ 1).
pub fn id<'de, D: Deserializer<'de>>(d: D) -> Result<i32, D::Error> {
    to_id(&Value::deserialize(d)?)
}

/// An optional id where `null` also means "none" (e.g. `parent_task_id` on create).
pub fn opt_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i32>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        v => to_id(&v).map(Some),
    }
}

/// A patch of an id field: absent = keep (`None`, via `#[serde(default)]`), `null` = clear (`Some(None)`).
pub fn patch_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<i32>>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(Some(None)),
        v => to_id(&v).map(|id| Some(Some(id))),
    }
}

/// An optional integer (priority, limit, offset) accepting numeric strings.
pub fn opt_int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        v => integer_from(&v)
            .map(Some)
            .ok_or_else(|| D::Error::custom(format!("expected an integer, got {}", describe(&v)))),
    }
}

/// A patch of a text field: absent = keep, `null` or blank = clear, text = set.
pub fn patch_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(Some(None)),
        Value::String(s) if s.trim().is_empty() => Ok(Some(None)),
        Value::String(s) => Ok(Some(Some(s))),
        v => Err(D::Error::custom(format!(
            "expected a string or null, got {}",
            describe(&v)
        ))),
    }
}

/// The published schema of every id parameter: a positive 32-bit integer, which is what [`id`], [`opt_id`] and
/// [`patch_id`] accept (numeric strings too, as a courtesy the schema does not advertise).
pub struct IdSchema;

impl JsonSchema for IdSchema {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Id".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": "integer", "minimum": 1, "maximum": i32::MAX})
    }
}

/// `status` filter: one status or a list of statuses.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatusSet(pub Vec<TaskStatus>);

// Exists only to generate the published JSON Schema of `StatusSet`.
/// One status, or an array of statuses.
#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum StatusSetSchema {
    One(TaskStatus),
    Many(Vec<TaskStatus>),
}

impl JsonSchema for StatusSet {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "StatusSet".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        StatusSetSchema::json_schema(generator)
    }
}

fn status_from<E: Error>(v: &Value) -> Result<TaskStatus, E> {
    let text = v.as_str().ok_or_else(|| {
        E::custom(format!(
            "expected one of {}, got {}",
            TaskStatus::ALLOWED,
            describe(v)
        ))
    })?;
    TaskStatus::parse(text).ok_or_else(|| {
        E::custom(format!(
            "unknown value {text:?}; allowed values: {}",
            TaskStatus::ALLOWED
        ))
    })
}

impl<'de> Deserialize<'de> for StatusSet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::Array(items) => items
                .iter()
                .map(status_from)
                .collect::<Result<_, _>>()
                .map(StatusSet),
            v => status_from(&v).map(|s| StatusSet(vec![s])),
        }
    }
}

/// A patch of any nullable field: absent = keep (`None`), `null` = clear (`Some(None)`), value = set.
pub fn patch<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// Declares a one-field argument struct holding a required id, with its schema description.
macro_rules! id_args {
    ($($name:ident { $field:ident : $doc:literal }),+ $(,)?) => {$(
        #[derive(Debug, Clone, Deserialize, JsonSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            #[doc = $doc]
            #[serde(deserialize_with = "id")]
            #[schemars(with = "crate::domain::input::IdSchema")]
            pub $field: i32,
        }
    )+};
}

id_args!(
    TaskId { id: "Task id." },
    CommentId { id: "Comment id." },
    LinkId { id: "Link id." },
    TaskRef {
        task_id: "Task id."
    },
);

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Debug)]
    struct Probe {
        #[serde(deserialize_with = "id")]
        id: i32,
        #[serde(default, deserialize_with = "patch_id")]
        parent: Option<Option<i32>>,
        #[serde(default)]
        status: Option<StatusSet>,
    }

    fn probe(v: Value) -> Result<Probe, String> {
        serde_json::from_value(v).map_err(|e| e.to_string())
    }

    #[test]
    fn ids_accept_integers_and_numeric_strings_only() {
        assert_eq!(probe(serde_json::json!({"id": 5})).unwrap().id, 5);
        assert_eq!(probe(serde_json::json!({"id": "7"})).unwrap().id, 7);
        assert_eq!(probe(serde_json::json!({"id": 3.0})).unwrap().id, 3);
        for bad in [
            serde_json::json!(null),
            serde_json::json!(""),
            serde_json::json!(1.5),
            serde_json::json!(0),
        ] {
            let err = probe(serde_json::json!({ "id": bad })).unwrap_err();
            assert!(err.contains("expected a positive integer id"), "{err}");
        }
    }

    #[test]
    fn null_patch_means_clear_and_absent_means_keep() {
        assert_eq!(probe(serde_json::json!({"id": 1})).unwrap().parent, None);
        assert_eq!(
            probe(serde_json::json!({"id": 1, "parent": null}))
                .unwrap()
                .parent,
            Some(None)
        );
        assert_eq!(
            probe(serde_json::json!({"id": 1, "parent": 4}))
                .unwrap()
                .parent,
            Some(Some(4))
        );
    }

    #[test]
    fn status_set_takes_one_or_many_and_names_allowed_values() {
        let p = probe(serde_json::json!({"id": 1, "status": "idle"})).unwrap();
        assert_eq!(p.status.unwrap().0, vec![TaskStatus::Idle]);
        let p = probe(serde_json::json!({"id": 1, "status": ["idle", "complete"]})).unwrap();
        assert_eq!(
            p.status.unwrap().0,
            vec![TaskStatus::Idle, TaskStatus::Complete]
        );
        let err = probe(serde_json::json!({"id": 1, "status": "done"})).unwrap_err();
        assert!(
            err.contains("allowed values: idle, working, complete"),
            "{err}"
        );
    }
}
