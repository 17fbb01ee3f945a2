//! The one REST handler: path parameters, then the query string (GET, DELETE) or the JSON body (POST,
//! PATCH) become the tool's arguments; the tool runs exactly as an MCP `tools/call` would run it; its result
//! is shaped as the route says.

use super::error::RestError;
use super::params;
use super::routes::{Answer, Prepare, Route};
use super::shapes::{ClearedQueue, NO_IDLE_TASKS};
use crate::domain::waiting::Stop;
use crate::transports::http::body;
use crate::transports::http::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Map, Value};

pub async fn handle(
    route: &'static Route,
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, RestError> {
    let tool = state.engine.tools().get(route.tool).ok_or_else(|| {
        RestError::internal(format!("route names an unknown tool {}", route.tool))
    })?;
    let props = params::properties(tool.input_schema());
    let path_params: Vec<&str> = route.path_params().collect();

    let mut args = if route.verb.takes_body() {
        let mut fields = read_body(&req, payload, &state).await?;
        prepare(route.prepare, &mut fields)?;
        if let Some(name) = fields
            .keys()
            .find(|k| !props.contains_key(*k) || path_params.contains(&k.as_str()))
        {
            return Err(params::unknown_parameter(name, props, &path_params));
        }
        fields
    } else {
        params::from_query(req.query_string(), props, &path_params)?
    };
    for name in &path_params {
        let raw = req.match_info().get(name).unwrap_or_default();
        let value = params::convert(name, raw, params::kind(&props[*name]))?;
        args.insert((*name).to_string(), value);
    }
    for (name, value) in route.defaults {
        args.entry(*name).or_insert(Value::Bool(*value));
    }
    // A waiting route (wait_for_task, get_events with wait_secs) ends early at shutdown; a client that
    // disconnects drops this future and with it the wait.
    let stop = Stop::new(vec![state.shutdown.clone()]);
    let result = state
        .engine
        .tools()
        .run(tool, state.engine.board(), Value::Object(args), stop)
        .await?;
    let result: Value = serde_json::from_str(result.get())
        .map_err(|e| RestError::internal(format!("unreadable result: {e}")))?;
    answer(route, result)
}

async fn read_body(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
) -> Result<Map<String, Value>, RestError> {
    let limit = state.settings.max_body_bytes;
    body::check_length(req, limit)?;
    // Routes whose parameters all come from the path (archive, signup) may be posted without a body.
    let empty = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .is_none_or(|v| v.as_bytes() == b"0");
    if empty
        && !req
            .headers()
            .contains_key(actix_web::http::header::TRANSFER_ENCODING)
    {
        return Ok(Map::new());
    }
    body::require_json(req)?;
    match body::read_json(payload, &state.settings).await? {
        Value::Object(fields) => Ok(fields),
        Value::Null => Ok(Map::new()),
        _ => Err(RestError::bad_request("Request body must be a JSON object")),
    }
}

/// What 2.x checked or rewrote in a body that the tool does not (see [`Prepare`]).
fn prepare(rule: Prepare, body: &mut Map<String, Value>) -> Result<(), RestError> {
    match rule {
        Prepare::None => Ok(()),
        Prepare::NewTaskIsIdle => match body.remove("status") {
            None => Ok(()),
            Some(Value::String(s)) if s == "idle" => Ok(()),
            Some(other) => Err(RestError::bad_request(format!(
                "status: a new task is always idle (got {other}); change it with PATCH afterwards"
            ))),
        },
        Prepare::RequiresNewParent if !body.contains_key("new_parent_id") => Err(
            RestError::bad_request("new_parent_id is required (use null to make top-level)"),
        ),
        Prepare::RequiresNewParent => Ok(()),
    }
}

fn answer(route: &Route, mut result: Value) -> Result<HttpResponse, RestError> {
    let status = if route.creates {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let mut response = HttpResponse::build(status);
    let body = match route.answer {
        Answer::Whole => result,
        Answer::Member(member) => {
            if result.get("has_more") == Some(&Value::Bool(true)) {
                response.insert_header(("X-Has-More", "true"));
                if let Some(next) = result.get("next_offset").and_then(Value::as_i64) {
                    response.insert_header(("X-Next-Offset", next.to_string()));
                }
            }
            result
                .get_mut(member)
                .map_or(Value::Array(Vec::new()), Value::take)
        }
        Answer::ClaimedTask => match result.get_mut("task").map(Value::take) {
            Some(task) if !task.is_null() => task,
            _ => return Err(RestError::not_found(NO_IDLE_TASKS)),
        },
        Answer::ClearedQueue => serde_json::to_value(ClearedQueue::from_tool(&result))
            .map_err(|e| RestError::internal(e.to_string()))?,
    };
    Ok(response.json(body))
}
