//! Tool parameters as HTTP carries them: the JSON type a query-string value must become, read from the
//! tool's generated input schema (so a new tool parameter is a new query parameter without code here), and
//! the conversion itself with 2.x's wording for what cannot be converted.

use super::error::RestError;
use serde_json::{Map, Value};

/// How a query-string value becomes a tool argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `true` or `false`.
    Boolean,
    /// Digits; with `nullable`, also the literal `null` (2.x's `parent_task_id=null`: top-level only; for
    /// other optional integers null means the default).
    Integer {
        nullable: bool,
    },
    /// Comma-separated values (`status=idle,working`), or the parameter repeated.
    List,
    Text,
}

/// The JSON types a schema admits, through `type` (one or an array) and `anyOf`/`oneOf` variants.
fn types(schema: &Value, into: &mut Vec<String>) {
    match schema.get("type") {
        Some(Value::String(t)) => into.push(t.clone()),
        Some(Value::Array(ts)) => {
            into.extend(ts.iter().filter_map(Value::as_str).map(String::from));
        }
        _ => {}
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(Value::Array(variants)) = schema.get(key) {
            variants.iter().for_each(|v| types(v, into));
        }
    }
    // A bare `enum` of strings (task status) has no `type` in some generated schemas.
    if schema.get("enum").is_some() && schema.get("type").is_none() {
        into.push("string".into());
    }
}

pub fn kind(schema: &Value) -> Kind {
    let mut admitted = Vec::new();
    types(schema, &mut admitted);
    let has = |t: &str| admitted.iter().any(|a| a == t);
    if has("array") {
        Kind::List
    } else if has("boolean") {
        Kind::Boolean
    } else if has("integer") {
        Kind::Integer {
            nullable: has("null"),
        }
    } else {
        Kind::Text
    }
}

/// The tool parameters (input schema `properties`).
pub fn properties(input_schema: &Map<String, Value>) -> &Map<String, Value> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    input_schema
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or_else(|| EMPTY.get_or_init(Map::new))
}

/// One query-string value as the tool argument it stands for.
pub fn convert(name: &str, raw: &str, kind: Kind) -> Result<Value, RestError> {
    Ok(match kind {
        Kind::Boolean => match raw {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => {
                return Err(RestError::bad_request(format!(
                    "{name} must be 'true' or 'false' (got {raw:?})"
                )));
            }
        },
        Kind::Integer { nullable: true } if raw == "null" => Value::Null,
        Kind::Integer { .. } => match raw.parse::<i64>() {
            Ok(n) => Value::from(n),
            Err(_) => {
                return Err(RestError::bad_request(format!(
                    "{name} must be an integer (got {raw:?})"
                )));
            }
        },
        Kind::List => Value::Array(
            raw.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| Value::String(s.to_string()))
                .collect(),
        ),
        Kind::Text => Value::String(raw.to_string()),
    })
}

/// The query string as tool arguments: every key must be a parameter of the tool (and not one the path
/// gives); list parameters may repeat, others may not.
pub fn from_query(
    query: &str,
    props: &Map<String, Value>,
    path_params: &[&str],
) -> Result<Map<String, Value>, RestError> {
    let pairs = actix_web::web::Query::<Vec<(String, String)>>::from_query(query)
        .map_err(|e| RestError::bad_request(format!("Invalid query string: {e}")))?
        .into_inner();
    let mut args = Map::new();
    for (name, raw) in pairs {
        let Some(schema) = props
            .get(&name)
            .filter(|_| !path_params.contains(&name.as_str()))
        else {
            return Err(unknown_parameter(&name, props, path_params));
        };
        let kind = kind(schema);
        let value = convert(&name, &raw, kind)?;
        match (args.get_mut(&name), value) {
            (Some(Value::Array(have)), Value::Array(more)) => have.extend(more),
            (Some(_), _) => {
                return Err(RestError::bad_request(format!(
                    "{name} is given more than once"
                )));
            }
            (None, value) => {
                args.insert(name, value);
            }
        }
    }
    Ok(args)
}

pub fn unknown_parameter(
    name: &str,
    props: &Map<String, Value>,
    path_params: &[&str],
) -> RestError {
    if path_params.contains(&name) {
        return RestError::bad_request(format!("{name} is given by the path; leave it out"));
    }
    let allowed: Vec<&str> = props
        .keys()
        .map(String::as_str)
        .filter(|k| !path_params.contains(k))
        .collect();
    if allowed.is_empty() {
        RestError::bad_request(format!("unknown parameter {name:?}; this route takes none"))
    } else {
        RestError::bad_request(format!(
            "unknown parameter {name:?}; allowed parameters: {}",
            allowed.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kinds_come_from_the_schema() {
        assert_eq!(kind(&json!({"type": "boolean"})), Kind::Boolean);
        assert_eq!(kind(&json!({"type": ["boolean", "null"]})), Kind::Boolean);
        assert_eq!(
            kind(&json!({"type": ["integer", "null"]})),
            Kind::Integer { nullable: true }
        );
        assert_eq!(
            kind(&json!({"type": "integer"})),
            Kind::Integer { nullable: false }
        );
        assert_eq!(
            kind(&json!({"anyOf": [{"enum": ["idle"]}, {"type": "array"}]})),
            Kind::List
        );
        assert_eq!(kind(&json!({"type": ["string", "null"]})), Kind::Text);
    }

    #[test]
    fn query_values_convert_or_name_the_parameter() {
        let props = json!({
            "limit": {"type": "integer"},
            "include_archived": {"type": "boolean"},
            "status": {"anyOf": [{"enum": ["idle"]}, {"type": "array"}]},
            "parent_task_id": {"type": ["integer", "null"]},
            "id": {"type": "integer"}
        });
        let props = props.as_object().unwrap();
        let args = from_query(
            "limit=5&status=idle,working&status=complete&parent_task_id=null&include_archived=true",
            props,
            &["id"],
        )
        .unwrap();
        assert_eq!(
            Value::Object(args),
            json!({"limit": 5, "status": ["idle", "working", "complete"], "parent_task_id": null,
                   "include_archived": true})
        );
        let err = |q: &str| from_query(q, props, &["id"]).unwrap_err().to_string();
        assert_eq!(err("limit=x"), "limit must be an integer (got \"x\")");
        assert_eq!(
            err("include_archived=yes"),
            "include_archived must be 'true' or 'false' (got \"yes\")"
        );
        assert!(err("nope=1").contains("allowed parameters: limit, include_archived"));
        assert!(err("id=1").contains("given by the path"));
        assert!(err("limit=1&limit=2").contains("more than once"));
    }
}
