//! `GET /openapi.json`: the OpenAPI 3.1 document of the REST API, generated from the route table and the
//! tools' schemas (the same schemas `tools/list` publishes, from the same Rust types), never written by hand.

use super::error::ErrorBody;
use super::params::{self, Kind};
use super::routes::{Answer, PREFIX, ROUTES, Route};
use super::shapes::ClearedQueue;
use crate::mcp::tools::{ToolDef, ToolRegistry, schema_for};
use serde_json::{Map, Value, json};

const TAGS: [&str; 8] = [
    "Tasks",
    "Subtasks",
    "Agents",
    "Queues",
    "Comments",
    "Links",
    "Coordination",
    "Search",
];
const ERROR_REF: &str = "#/components/schemas/Error";

/// The statuses every operation may answer with besides its success, and why.
const FAILURES: &[(&str, &str)] = &[
    (
        "400",
        "Invalid input or a broken rule; the message names the parameter and the allowed values",
    ),
    (
        "401",
        "TINYTASK_AUTH_TOKEN is set and no valid bearer token (or dashboard cookie) came",
    ),
    (
        "403",
        "Host or Origin not allowed (TINYTASK_ALLOWED_HOSTS, TINYTASK_ALLOWED_ORIGINS)",
    ),
    ("404", "An id or name in the path does not exist"),
    (
        "503",
        "The database cannot serve right now; retry after Retry-After seconds",
    ),
];
const BODY_FAILURES: &[(&str, &str)] = &[
    (
        "408",
        "The body did not arrive within TINYTASK_BODY_TIMEOUT_SECS",
    ),
    ("413", "The body is larger than TINYTASK_MAX_BODY_BYTES"),
    ("415", "The body is not declared as application/json"),
];

pub fn document(tools: &ToolRegistry) -> Value {
    let mut paths = Map::new();
    for route in ROUTES {
        let tool = tools
            .get(route.tool)
            .unwrap_or_else(|| panic!("route {} names unknown tool {}", route.path, route.tool));
        let item = paths
            .entry(format!("{PREFIX}{}", route.path))
            .or_insert_with(|| Value::Object(Map::new()));
        item[route.verb.lowercase()] = operation(route, tool);
    }
    paths.insert("/openapi.json".into(), openapi_route());
    let tags: Vec<Value> = TAGS.iter().map(|t| json!({ "name": t })).collect();
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "TinyTask REST API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The task board of TinyTask over HTTP: the routes of TinyTask 2.x (same paths, status \
                codes, bare-array lists and error shapes) plus claims with leases, waiting, dependencies, the ready \
                list, the event log and search. Every route runs the MCP tool it names (x-mcp-tool) with the same \
                parameters; the schemas here are the tools' own.",
            "license": {"name": "MIT", "identifier": "MIT"}
        },
        "servers": [{"url": "/"}],
        "tags": tags,
        "paths": paths,
        "components": {
            "schemas": {"Error": Value::Object(schema_for::<ErrorBody>())},
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                "description": "Required when the server sets TINYTASK_AUTH_TOKEN"}}
        },
        // Either no credentials (no token configured) or the bearer token.
        "security": [{}, {"bearerAuth": []}]
    })
}

fn operation(route: &Route, tool: &ToolDef) -> Value {
    let props = params::properties(tool.input_schema());
    let required: Vec<&str> = tool
        .input_schema()
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let path_params: Vec<&str> = route.path_params().collect();

    let mut parameters: Vec<Value> = path_params
        .iter()
        .map(|name| {
            let mut schema = param_schema(&props[*name]);
            if params::kind(&schema) == Kind::Text {
                schema["minLength"] = json!(1);
            }
            json!({"name": name, "in": "path", "required": true, "schema": schema,
                   "description": describe(&props[*name])})
        })
        .collect();
    let rest: Map<String, Value> = props
        .iter()
        .filter(|(k, _)| !path_params.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let rest_required: Vec<&str> = required
        .iter()
        .copied()
        .filter(|r| !path_params.contains(r))
        .collect();

    let mut op = json!({
        "operationId": route.operation_id,
        "summary": route.summary,
        "description": tool.description,
        "tags": [route.tag],
        "x-mcp-tool": route.tool,
    });
    if route.verb.takes_body() {
        let mut schema = tool.input_schema().clone();
        schema.insert("properties".into(), Value::Object(rest));
        if rest_required.is_empty() {
            schema.remove("required");
        } else {
            schema.insert("required".into(), json!(rest_required));
        }
        op["requestBody"] = json!({
            "required": !rest_required.is_empty(),
            "content": {"application/json": {"schema": schema}}
        });
    } else {
        for (name, schema) in &rest {
            let mut param = json!({
                "name": name, "in": "query", "required": rest_required.contains(&name.as_str()),
                "schema": param_schema(schema), "description": describe(schema)
            });
            if params::kind(schema) == Kind::List {
                param["style"] = json!("form");
                param["explode"] = json!(false);
            }
            parameters.push(param);
        }
    }
    if !parameters.is_empty() {
        op["parameters"] = Value::Array(parameters);
    }
    op["responses"] = responses(route, tool);
    op
}

fn responses(route: &Route, tool: &ToolDef) -> Value {
    let output = Value::Object(tool.output_schema().clone());
    let (schema, what) = match route.answer {
        Answer::Whole => (output, "The tool's result"),
        Answer::Member(member) => (
            output["properties"][member].clone(),
            "A bare array (TinyTask 2.x); X-Has-More and X-Next-Offset when cut at the response size limit",
        ),
        Answer::ClaimedTask => (
            non_null(&output["properties"]["task"]),
            "The claimed task, now working (404 when none was idle)",
        ),
        Answer::ClearedQueue => (
            Value::Object(schema_for::<ClearedQueue>()),
            "How many tasks left the queue",
        ),
    };
    let mut success =
        json!({"description": what, "content": {"application/json": {"schema": schema}}});
    if matches!(route.answer, Answer::Member(_)) {
        success["headers"] = json!({
            "X-Has-More": {"description": "true when the list was cut; fetch the rest from X-Next-Offset",
                           "schema": {"type": "string", "enum": ["true"]}},
            "X-Next-Offset": {"description": "The offset of the first item left out",
                              "schema": {"type": "string", "pattern": "^[0-9]+$"}}
        });
    }
    let mut out = Map::new();
    out.insert(if route.creates { "201" } else { "200" }.into(), success);
    let failures = FAILURES.iter();
    let body_failures = BODY_FAILURES.iter().filter(|_| route.verb.takes_body());
    for (status, why) in failures.chain(body_failures) {
        out.insert(
            (*status).into(),
            json!({"description": why, "content": {"application/json": {"schema": {"$ref": ERROR_REF}}}}),
        );
    }
    Value::Object(out)
}

/// A parameter carried as text: null is not expressible (the literal `null` of parent_task_id is in its
/// description), so it is taken out of the admitted types.
fn param_schema(schema: &Value) -> Value {
    let mut schema = non_null(schema);
    if let Some(Value::Array(variants)) = schema.get("anyOf").cloned() {
        // A status filter is one value or an array of them; as a query parameter it is always the array.
        if let Some(array) = variants
            .iter()
            .find(|v| v.get("type") == Some(&json!("array")))
        {
            schema = array.clone();
        }
    }
    if let Some(obj) = schema.as_object_mut() {
        obj.remove("description");
        obj.remove("default");
    }
    schema
}

/// `schema` without its `null` alternative.
fn non_null(schema: &Value) -> Value {
    let mut schema = schema.clone();
    if let Some(Value::Array(types)) = schema.get("type").cloned() {
        let kept: Vec<Value> = types.into_iter().filter(|t| t != "null").collect();
        schema["type"] = match kept.as_slice() {
            [one] => one.clone(),
            _ => Value::Array(kept),
        };
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(Value::Array(variants)) = schema.get(key).cloned() {
            let kept: Vec<Value> = variants
                .into_iter()
                .filter(|v| v.get("type") != Some(&json!("null")))
                .collect();
            if let [one] = kept.as_slice() {
                let mut merged = one.clone();
                if let (Some(m), Some(desc)) = (merged.as_object_mut(), schema.get("description")) {
                    m.entry("description").or_insert(desc.clone());
                }
                return merged;
            }
            schema[key] = Value::Array(kept);
        }
    }
    schema
}

fn describe(schema: &Value) -> &str {
    schema
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

fn openapi_route() -> Value {
    json!({"get": {
        "operationId": "getOpenApi",
        "summary": "This document",
        "tags": [],
        "responses": {"200": {"description": "The OpenAPI 3.1 document",
                              "content": {"application/json": {"schema": {"type": "object"}}}}}
    }})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transports::http::rest::routes::Verb;

    #[test]
    fn every_route_names_a_tool_and_has_a_unique_operation() {
        let tools = ToolRegistry::new();
        let mut ids = std::collections::HashSet::new();
        for route in ROUTES {
            assert!(
                tools.get(route.tool).is_some(),
                "{} {}",
                route.path,
                route.tool
            );
            assert!(ids.insert(route.operation_id), "{}", route.operation_id);
            let tool = tools.get(route.tool).unwrap();
            for p in route.path_params() {
                assert!(
                    params::properties(tool.input_schema()).contains_key(p),
                    "{}: path parameter {p} is not a parameter of {}",
                    route.path,
                    route.tool
                );
            }
        }
    }

    #[test]
    fn two_x_routes_are_all_there() {
        let doc = document(&ToolRegistry::new());
        let count: usize = doc["paths"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(p, _)| p.starts_with(PREFIX))
            .map(|(_, item)| item.as_object().unwrap().len())
            .sum();
        assert_eq!(count, ROUTES.len());
        // 2.x's 30 routes, including the two its own document forgot.
        for (verb, path) in [
            ("get", "/api/v1/comments/{id}"),
            ("post", "/api/v1/comments/{comment_id}/move"),
            ("delete", "/api/v1/queues/{queue_name}/tasks"),
        ] {
            assert!(doc["paths"][path][verb].is_object(), "{verb} {path}");
        }
        let list = &doc["paths"]["/api/v1/tasks"]["get"];
        let names: Vec<&str> = list["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert!(names.contains(&"exclude_status"), "{names:?}");
        assert_eq!(
            list["responses"]["200"]["content"]["application/json"]["schema"]["type"],
            "array"
        );
    }

    #[test]
    fn no_route_is_declared_twice() {
        // actix matches a path once: two routes on the same path must be one resource.
        let mut by_path = std::collections::HashMap::<&str, Vec<Verb>>::new();
        for route in ROUTES {
            let verbs = by_path.entry(route.path).or_default();
            assert!(
                !verbs.contains(&route.verb),
                "{:?} {} twice",
                route.verb,
                route.path
            );
            verbs.push(route.verb);
        }
    }
}
