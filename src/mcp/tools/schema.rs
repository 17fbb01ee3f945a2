//! JSON Schemas for tool inputs and outputs, generated from the Rust argument/result types (schemars),
//! normalised for MCP clients (P10): always `type: object` with `properties`, no `$schema`/`$defs`/`$ref`.

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value};

pub fn schema_for<T: JsonSchema>() -> Map<String, Value> {
    let generator = SchemaSettings::draft2020_12()
        .with(|s| s.inline_subschemas = true)
        .into_generator();
    let schema = generator.into_root_schema_for::<T>();
    let mut map = match schema.to_value() {
        Value::Object(map) => map,
        other => Map::from_iter([("anyOf".to_string(), other)]),
    };
    map.remove("$schema");
    map.remove("title");
    // The tool's own description says what the arguments are for; the struct doc would repeat it.
    map.remove("description");
    strip_null_defaults(&mut map);
    map.insert("type".into(), Value::String("object".into()));
    map.entry("properties")
        .or_insert_with(|| Value::Object(Map::new()));
    if map
        .get("required")
        .is_some_and(|r| r.as_array().is_some_and(Vec::is_empty))
    {
        map.remove("required");
    }
    map
}

/// `#[serde(default)]` makes schemars emit `"default": null` on every optional field; it adds nothing.
fn strip_null_defaults(map: &mut Map<String, Value>) {
    if map.get("default") == Some(&Value::Null) {
        map.remove("default");
    }
    for value in map.values_mut() {
        match value {
            Value::Object(inner) => strip_null_defaults(inner),
            Value::Array(items) => items
                .iter_mut()
                .filter_map(Value::as_object_mut)
                .for_each(strip_null_defaults),
            _ => {}
        }
    }
}
