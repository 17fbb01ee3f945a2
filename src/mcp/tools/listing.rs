//! The schemas as `tools/list` shows them: every rule a client or model needs to call a tool and check its
//! result, in fewer bytes (issue 13 §3: tools/list is part of every agent's context). The full schemas stay on
//! [`ToolDef`](super::ToolDef) for the REST API's OpenAPI document.
//!
//! - `format` goes everywhere: `int32`, `int64`, `uint`, `double` are Rust's widths, not JSON Schema
//!   assertions; `type`, `minimum` and `maximum` keep the rules.
//! - An `anyOf` inside an `anyOf` (schemars' `Option<one-or-many>`) is spliced into it: the same values.
//! - Output schemas keep the result's own keys with their JSON types, enums and which keys are always present;
//!   the objects inside (a task in a result, a comment in a list) are typed `object`, and descriptions go
//!   (the tool description says what the result holds; docs/TOOLS.md lists every object's keys). Only
//!   assertions are removed, so every result that conformed still conforms (MCP: structuredContent must).

use serde_json::{Map, Value};

/// The input schema as listed: the full schema without `format`, nested `anyOf`s flattened.
pub fn input(schema: &Map<String, Value>) -> Map<String, Value> {
    let mut out = schema.clone();
    drop_format(&mut out);
    flatten_any_of(&mut out);
    out
}

/// The output schema as listed: the result object's keys, each reduced to [`type_only`], and `required`.
pub fn output(schema: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    for (key, value) in schema {
        let kept = match key.as_str() {
            "type" | "required" => value.clone(),
            "properties" => match value {
                Value::Object(properties) => Value::Object(
                    properties
                        .iter()
                        .map(|(name, s)| (name.clone(), type_only(s)))
                        .collect(),
                ),
                other => other.clone(),
            },
            _ => continue,
        };
        out.insert(key.clone(), kept);
    }
    out
}

/// A schema reduced to what it says about the value's JSON type: `type`, `enum`, and the same of its array
/// items and alternatives. Objects inside keep no properties (so nothing is required of them either).
fn type_only(schema: &Value) -> Value {
    let Value::Object(map) = schema else {
        return schema.clone();
    };
    let mut out = Map::new();
    for (key, value) in map {
        let kept = match key.as_str() {
            "type" | "enum" | "const" => value.clone(),
            "items" => type_only(value),
            "anyOf" | "oneOf" => match value {
                Value::Array(alternatives) => {
                    Value::Array(alternatives.iter().map(type_only).collect())
                }
                other => other.clone(),
            },
            _ => continue,
        };
        out.insert(key.clone(), kept);
    }
    Value::Object(out)
}

/// `{"anyOf": [{"anyOf": [A, B], "description": d}, C]}` → `{"anyOf": [A, B, C]}`: the inner alternative
/// adds no constraint of its own (its description restates the outer one's).
fn flatten_any_of(map: &mut Map<String, Value>) {
    for value in map.values_mut() {
        match value {
            Value::Object(inner) => flatten_any_of(inner),
            Value::Array(items) => items
                .iter_mut()
                .filter_map(Value::as_object_mut)
                .for_each(flatten_any_of),
            _ => {}
        }
    }
    let Some(Value::Array(alternatives)) = map.get_mut("anyOf") else {
        return;
    };
    let mut flat = Vec::with_capacity(alternatives.len());
    for alternative in alternatives.drain(..) {
        match alternative {
            Value::Object(inner)
                if inner.keys().all(|k| k == "anyOf" || k == "description")
                    && inner.get("anyOf").is_some_and(Value::is_array) =>
            {
                if let Some(Value::Array(nested)) = inner.get("anyOf") {
                    flat.extend(nested.iter().cloned());
                }
            }
            other => flat.push(other),
        }
    }
    *alternatives = flat;
}

fn drop_format(map: &mut Map<String, Value>) {
    // Only the keyword: a parameter named `format` (a key of `properties`) stays.
    if map.get("format").is_some_and(Value::is_string) {
        map.remove("format");
    }
    for value in map.values_mut() {
        match value {
            Value::Object(inner) => drop_format(inner),
            Value::Array(items) => items
                .iter_mut()
                .filter_map(Value::as_object_mut)
                .for_each(drop_format),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(map) => map,
            other => panic!("not an object: {other}"),
        }
    }

    #[test]
    fn input_keeps_everything_but_format() {
        let schema = map(
            json!({"type": "object", "additionalProperties": false, "properties": {
            "id": {"type": "integer", "format": "int32", "minimum": 1, "description": "Task id."},
            "format": {"type": "string", "description": "a parameter named format stays"}},
            "required": ["id"]}),
        );
        assert_eq!(
            Value::Object(input(&schema)),
            json!({"type": "object", "additionalProperties": false, "properties": {
                "id": {"type": "integer", "minimum": 1, "description": "Task id."},
                "format": {"type": "string", "description": "a parameter named format stays"}},
                "required": ["id"]})
        );
    }

    #[test]
    fn an_any_of_inside_an_any_of_is_spliced() {
        let one = json!({"type": "string", "enum": ["idle"]});
        let many = json!({"type": "array", "items": one});
        let schema = map(json!({"type": "object", "properties": {"status": {
            "anyOf": [{"anyOf": [one, many], "description": "One or many."}, {"type": "null"}],
            "description": "Only these."}}}));
        assert_eq!(
            Value::Object(input(&schema))["properties"]["status"],
            json!({"anyOf": [one, many, {"type": "null"}], "description": "Only these."})
        );
    }

    #[test]
    fn output_keeps_the_result_keys_types_enums_and_required() {
        let schema = map(json!({"type": "object", "properties": {
            "count": {"type": "integer", "format": "uint", "minimum": 0, "description": "How many."},
            "status": {"type": "string", "enum": ["idle", "working"]},
            "task": {"type": ["object", "null"], "description": "The task.",
                     "properties": {"id": {"type": "integer"}}, "required": ["id"],
                     "additionalProperties": false},
            "tags": {"type": "array", "items": {"type": "string"}},
            "matched": {"type": "array", "items": {"type": "string", "enum": ["title"], "description": "x"}},
            "events": {"type": "array", "items": {"type": "object", "properties": {"a": {}}}}},
            "required": ["count", "task"]}));
        assert_eq!(
            Value::Object(output(&schema)),
            json!({"type": "object", "properties": {
                "count": {"type": "integer"},
                "status": {"type": "string", "enum": ["idle", "working"]},
                "task": {"type": ["object", "null"]},
                "tags": {"type": "array", "items": {"type": "string"}},
                "matched": {"type": "array", "items": {"type": "string", "enum": ["title"]}},
                "events": {"type": "array", "items": {"type": "object"}}},
                "required": ["count", "task"]})
        );
    }
}
