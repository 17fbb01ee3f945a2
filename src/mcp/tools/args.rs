//! Tool argument decoding with messages that name the parameter and the allowed values.

use super::error::ToolError;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Decodes `arguments` (absent/null = no arguments) into the tool's argument type.
pub fn parse_arguments<A: DeserializeOwned>(
    tool: &'static str,
    arguments: Value,
) -> Result<A, ToolError> {
    let arguments = match arguments {
        Value::Null => Value::Object(Default::default()),
        obj @ Value::Object(_) => obj,
        other => {
            return Err(ToolError::Arguments {
                tool,
                message: format!("arguments must be a JSON object, got {other}"),
            });
        }
    };
    if let Some(path) = nul_in(&arguments, String::new()) {
        return Err(ToolError::Arguments {
            tool,
            message: format!("`{path}`: {NUL_REFUSED}"),
        });
    }
    serde_path_to_error::deserialize(arguments).map_err(|err| {
        let path = err.path().to_string();
        let detail = humanize(&err.inner().to_string());
        // Unknown/missing parameters already name themselves.
        let message = if path == "."
            || detail.starts_with("unknown parameter")
            || detail.starts_with("missing")
        {
            detail
        } else {
            format!("`{path}`: {detail}")
        };
        ToolError::Arguments { tool, message }
    })
}

/// Why a text holding U+0000 is refused, on both backends alike: PostgreSQL cannot store it in a text
/// column, and a board whose SQLite file holds one could not be copied to PostgreSQL.
pub const NUL_REFUSED: &str =
    "contains the NUL character (U+0000), which a task board cannot store";

/// The path (`title`, `tags[2]`, `fields[0]`) of the first string in `value` holding U+0000.
fn nul_in(value: &Value, path: String) -> Option<String> {
    match value {
        Value::String(s) => s.contains('\0').then_some(path),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| nul_in(v, format!("{path}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            let key = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            // A key can hold one too (then it is an unknown parameter, but say why it cannot be stored).
            if k.contains('\0') {
                return Some(key);
            }
            nul_in(v, key)
        }),
        _ => None,
    }
}

/// Rewrites serde's wording ("missing field", "unknown variant", "invalid type") in the tool vocabulary.
fn humanize(raw: &str) -> String {
    if let Some(field) = between(raw, "missing field `", "`") {
        return format!("missing required parameter `{field}`");
    }
    if let Some(field) = between(raw, "unknown field `", "`") {
        // serde says "expected one of `a`, `b`", "expected `a`" (one field) or "there are no fields".
        let allowed = raw
            .split_once("expected one of ")
            .or_else(|| raw.split_once(", expected "))
            .map(|(_, allowed)| strip_ticks(allowed));
        return match allowed {
            Some(allowed) => format!("unknown parameter `{field}`; allowed parameters: {allowed}"),
            None => format!("unknown parameter `{field}`; this tool takes no parameters"),
        };
    }
    if let Some(value) = between(raw, "unknown variant `", "`") {
        // serde says "expected one of `a`, `b`, `c`", "expected `a` or `b`" (two) or "expected `a`" (one).
        let allowed = raw
            .split_once("expected one of ")
            .or_else(|| raw.split_once(", expected "))
            .map(|(_, a)| strip_ticks(a).replace(" or ", ", "))
            .unwrap_or_default();
        return format!("unknown value {value:?}; allowed values: {allowed}");
    }
    if let Some((got, expected)) = raw
        .strip_prefix("invalid type: ")
        .and_then(|r| r.split_once(", expected "))
    {
        return format!(
            "expected {}, got {}",
            plain_expected(expected),
            got.replace('`', "")
        );
    }
    raw.to_string()
}

fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = s.find(start)? + start.len();
    let len = s[from..].find(end)?;
    Some(&s[from..from + len])
}

fn strip_ticks(s: &str) -> String {
    s.replace('`', "")
}

/// serde's Rust type names in plain words.
fn plain_expected(expected: &str) -> &str {
    match expected {
        "a string" | "a borrowed string" => "a string",
        "a boolean" => "a boolean (true or false)",
        "a sequence" => "an array",
        // A unit-only enum (view): its values are strings.
        "variant identifier" => "a string",
        "i32" | "i64" | "u32" | "u64" => "an integer",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Probe {
        title: String,
        #[serde(default)]
        flag: Option<bool>,
        #[serde(default)]
        status: Option<crate::domain::TaskStatus>,
        #[serde(default)]
        tags: Option<Vec<String>>,
    }

    fn message(args: Value) -> String {
        parse_arguments::<Probe>("probe", args)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn a_nul_character_anywhere_is_refused_naming_where() {
        assert_eq!(
            message(json!({"title": "a\u{0}b"})),
            "Invalid arguments for probe: `title`: contains the NUL character (U+0000), which a task board cannot store"
        );
        assert!(message(json!({"title": "x", "tags": ["ok", "b\u{0}"]})).contains("`tags[1]`"));
    }

    #[test]
    fn missing_required_parameter_is_named() {
        assert_eq!(
            message(json!({})),
            "Invalid arguments for probe: missing required parameter `title`"
        );
    }

    #[test]
    fn unknown_parameter_lists_allowed_ones() {
        assert_eq!(
            message(json!({"title": "x", "assignee": "bob"})),
            "Invalid arguments for probe: unknown parameter `assignee`; allowed parameters: title, flag, status, tags"
        );
    }

    #[test]
    fn wrong_types_name_the_parameter_and_the_expected_type() {
        assert_eq!(
            message(json!({"title": 5})),
            "Invalid arguments for probe: `title`: expected a string, got integer 5"
        );
        assert_eq!(
            message(json!({"title": "x", "flag": "yes"})),
            "Invalid arguments for probe: `flag`: expected a boolean (true or false), got string \"yes\""
        );
        assert_eq!(
            message(json!({"title": "x", "tags": ["a", 1]})),
            "Invalid arguments for probe: `tags[1]`: expected a string, got integer 1"
        );
    }

    #[test]
    fn bad_enum_value_lists_allowed_values() {
        assert_eq!(
            message(json!({"title": "x", "status": "done"})),
            "Invalid arguments for probe: `status`: unknown value \"done\"; allowed values: idle, working, complete"
        );
    }

    #[test]
    fn bad_value_of_a_two_value_enum_lists_both() {
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct Two {
            view: crate::domain::projection::View,
        }
        let err = parse_arguments::<Two>("two", json!({"view": "tiny"}))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "Invalid arguments for two: `view`: unknown value \"tiny\"; allowed values: full, summary"
        );
    }

    #[test]
    fn unknown_parameter_of_a_single_parameter_tool_names_it() {
        #[derive(Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct One {
            id: i32,
        }
        let err = parse_arguments::<One>("one", json!({"id": 1, "x": 2}))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "Invalid arguments for one: unknown parameter `x`; allowed parameters: id"
        );
    }

    #[test]
    fn non_object_arguments_are_rejected() {
        assert!(message(json!([1])).contains("arguments must be a JSON object"));
    }
}
