use super::*;
use crate::config::Toolsets;
use serde_json::json;

/// The 30 tools of TinyTask 2.x plus get_task_history and search_tasks, then the coordination tools (issue 11).
const EXPECTED: [&str; 39] = [
    "create_task",
    "update_task",
    "get_task",
    "delete_task",
    "archive_task",
    "list_tasks",
    "get_my_queue",
    "signup_for_task",
    "move_task",
    "create_subtask",
    "get_subtasks",
    "get_task_with_subtasks",
    "move_subtask",
    "get_task_history",
    "list_queues",
    "get_queue_stats",
    "add_task_to_queue",
    "remove_task_from_queue",
    "move_task_to_queue",
    "get_queue_tasks",
    "clear_queue",
    "add_comment",
    "update_comment",
    "delete_comment",
    "list_comments",
    "get_comment",
    "move_comment",
    "add_link",
    "update_link",
    "delete_link",
    "list_links",
    "search_tasks",
    "wait_for_task",
    "heartbeat",
    "release_task",
    "list_ready_tasks",
    "add_dependency",
    "remove_dependency",
    "get_events",
];

#[test]
fn registry_has_exactly_the_contract_tools() {
    let registry = ToolRegistry::new();
    let mut names: Vec<_> = registry.names().collect();
    names.sort();
    let mut expected = EXPECTED.to_vec();
    expected.sort();
    assert_eq!(names, expected);
}

#[test]
fn metric_handles_follow_the_registry_order_and_no_tool_is_named_like_unknown_calls() {
    let registry = ToolRegistry::new();
    assert!(registry.get(crate::metrics::UNKNOWN_TOOL).is_none());
    for (i, name) in registry.names().enumerate() {
        assert_eq!(registry.lookup(name).map(|(at, _)| at), Some(i), "{name}");
    }
}

#[test]
fn every_schema_is_an_object_with_properties_and_sane_required() {
    let registry = ToolRegistry::new();
    for name in EXPECTED {
        let tool = registry.get(name).unwrap();
        for schema in [tool.input_schema(), tool.output_schema()] {
            assert_eq!(schema.get("type"), Some(&json!("object")), "{name}");
            assert!(
                schema
                    .get("properties")
                    .is_some_and(serde_json::Value::is_object),
                "{name}"
            );
            assert!(
                !schema.contains_key("$defs") && !schema.contains_key("$ref"),
                "{name}"
            );
            if let Some(required) = schema.get("required") {
                assert!(
                    required.as_array().is_some_and(|r| !r.is_empty()),
                    "{name}: {required}"
                );
            }
        }
        assert_eq!(
            tool.input_schema().get("additionalProperties"),
            Some(&json!(false)),
            "{name}"
        );
        assert!(
            !serde_json::to_string(tool.input_schema())
                .unwrap()
                .contains("\"default\":null"),
            "{name}"
        );
    }
}

#[test]
fn required_parameters_match_the_2x_contract() {
    let registry = ToolRegistry::new();
    let required = |name: &str| -> Vec<String> {
        let schema = registry.get(name).unwrap().input_schema();
        let mut r: Vec<String> = schema
            .get("required")
            .and_then(|r| r.as_array())
            .map(|a| a.iter().map(|v| v.as_str().unwrap().to_string()).collect())
            .unwrap_or_default();
        r.sort();
        r
    };
    assert_eq!(required("create_task"), ["created_by", "title"]);
    assert_eq!(required("update_task"), ["id"]);
    assert_eq!(
        required("move_task"),
        ["comment", "current_agent", "new_agent", "task_id"]
    );
    assert_eq!(
        required("create_subtask"),
        ["created_by", "parent_task_id", "title"]
    );
    assert_eq!(required("get_queue_tasks"), ["queue_name"]);
    assert_eq!(required("move_comment"), ["comment_id", "to_task_id"]);
    assert_eq!(required("list_tasks"), Vec::<String>::new());
    assert_eq!(required("move_subtask"), ["subtask_id"]);
    // 2.x could not advertise `status` (a union); ours does.
    let list = registry.get("list_tasks").unwrap().input_schema();
    assert!(list["properties"].get("status").is_some());
    assert!(
        registry.get("get_queue_tasks").unwrap().input_schema()["properties"]
            .get("status")
            .is_some()
    );
}

#[test]
fn annotations_follow_the_effect() {
    let registry = ToolRegistry::new();
    let hints = |name: &str| {
        serde_json::to_value(registry.get(name).unwrap().describe(true).annotations).unwrap()
    };
    assert_eq!(hints("get_task")["readOnlyHint"], true);
    assert_eq!(hints("list_tasks")["openWorldHint"], false);
    assert_eq!(hints("delete_task")["destructiveHint"], true);
    assert_eq!(hints("update_task")["idempotentHint"], true);
    assert_eq!(hints("create_task")["destructiveHint"], false);
}

#[test]
fn output_schema_only_for_structured_versions() {
    let registry = ToolRegistry::new();
    let old = registry.list("2025-03-26", &Toolsets::all());
    assert!(old["tools"][0].get("outputSchema").is_none());
    let new = registry.list("2025-06-18", &Toolsets::all());
    assert!(new["tools"][0]["outputSchema"].is_object());
    assert!(new.get("resultType").is_none());
}
