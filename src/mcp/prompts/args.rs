//! Validation of `prompts/get` arguments. MCP prompt arguments are a map of strings; every failure is a
//! JSON-RPC `-32602` naming the prompt, the argument and what is allowed.

use super::catalog::{ArgKind, ArgSpec, PromptDef};
use crate::domain::{DomainError, limits};
use crate::mcp::jsonrpc::RpcError;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// Longest queue name, in characters (the queue tools' rule, TinyTask 2.x).
const MAX_QUEUE_NAME_CHARS: usize = 255;

/// The validated arguments of one prompt: trimmed strings, a parsed task id.
#[derive(Debug, Default)]
pub struct Arguments {
    text: BTreeMap<&'static str, String>,
    task_id: Option<i32>,
}

impl Arguments {
    /// A required text argument (validation guarantees it is there).
    pub fn text(&self, name: &str) -> &str {
        self.text.get(name).map_or("", String::as_str)
    }

    pub fn optional(&self, name: &str) -> Option<&str> {
        self.text.get(name).map(String::as_str)
    }

    /// The `task_id` argument (validation guarantees it is there when the prompt requires it).
    pub fn task_id(&self) -> i32 {
        self.task_id.unwrap_or_default()
    }
}

fn invalid(prompt: &PromptDef, argument: &str, message: &str) -> RpcError {
    RpcError::invalid_params(format!("Invalid params: prompt {}: {message}", prompt.name))
        .with_data(json!({
            "prompt": prompt.name,
            "argument": argument,
            "arguments": prompt.args.iter().map(|a| a.name).collect::<Vec<_>>(),
        }))
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Checks `raw` (the request's `arguments`, absent or an object of strings) against `prompt`'s arguments.
/// A JSON null stands for an absent argument (some clients send null for optional fields left empty), and
/// so does a blank optional one; a blank required one is an error.
pub fn validate(prompt: &PromptDef, raw: Option<&Value>) -> Result<Arguments, RpcError> {
    let empty = Map::new();
    let given = match raw {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(map)) => map,
        Some(other) => {
            return Err(RpcError::invalid_params(format!(
                "Invalid params: prompt {}: \"arguments\" must be an object of string values, got {}",
                prompt.name,
                json_type(other)
            )));
        }
    };
    if let Some(unknown) = given.keys().find(|k| prompt.arg(k).is_none()) {
        return Err(invalid(
            prompt,
            unknown,
            &format!(
                "unknown argument \"{unknown}\"; allowed: {}",
                prompt.arg_names()
            ),
        ));
    }
    let mut args = Arguments::default();
    for spec in prompt.args {
        let value = match given.get(spec.name) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.contains('\0') => {
                return Err(invalid(
                    prompt,
                    spec.name,
                    &format!(
                        "argument \"{}\" {}",
                        spec.name,
                        crate::mcp::tools::args::NUL_REFUSED
                    ),
                ));
            }
            Some(Value::String(s)) => Some(s.trim()),
            Some(other) => {
                return Err(invalid(
                    prompt,
                    spec.name,
                    &format!(
                        "argument \"{}\" must be a string (prompt arguments are strings{}), got {}",
                        spec.name,
                        if spec.kind == ArgKind::TaskId {
                            ", e.g. \"7\""
                        } else {
                            ""
                        },
                        json_type(other)
                    ),
                ));
            }
        };
        match value.filter(|v| !v.is_empty()) {
            Some(v) => store(prompt, spec, v, &mut args)?,
            None if spec.required => {
                let what = if value.is_some() {
                    "must not be empty or blank"
                } else {
                    "is required"
                };
                return Err(invalid(
                    prompt,
                    spec.name,
                    &format!(
                        "argument \"{}\" {what} (arguments: {})",
                        spec.name,
                        prompt.arg_names()
                    ),
                ));
            }
            None => {}
        }
    }
    Ok(args)
}

fn store(
    prompt: &PromptDef,
    spec: &ArgSpec,
    value: &str,
    args: &mut Arguments,
) -> Result<(), RpcError> {
    let fail = |message: String| invalid(prompt, spec.name, &message);
    match spec.kind {
        ArgKind::TaskId => {
            let id = value
                .parse::<i32>()
                .ok()
                .filter(|id| *id >= 1)
                .ok_or_else(|| {
                    fail(format!(
                        "argument \"{}\" must be a positive integer task id (e.g. \"7\"), got \"{value}\"",
                        spec.name
                    ))
                })?;
            args.task_id = Some(id);
            return Ok(());
        }
        ArgKind::Agent => {
            limits::check(spec.name, value, limits::current().name()).map_err(|e| match e {
                DomainError::Invalid { message, .. } => {
                    fail(format!("argument \"{}\": {message}", spec.name))
                }
                other => fail(other.to_string()),
            })?;
        }
        ArgKind::Queue => {
            let chars = value.chars().count();
            if chars > MAX_QUEUE_NAME_CHARS {
                return Err(fail(format!(
                    "argument \"{}\" is too long ({chars} characters, at most {MAX_QUEUE_NAME_CHARS})",
                    spec.name
                )));
            }
        }
    }
    args.text.insert(spec.name, value.to_string());
    Ok(())
}
