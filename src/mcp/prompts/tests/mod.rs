//! Tests of the prompts: every name a text uses is a real tool or parameter (tool_names.rs), every
//! argument error (errors.rs), the board facts in hand_off and triage (board_facts.rs) and completion of
//! prompt arguments (completion.rs), their documentation (docs.rs). Helpers: a fresh board per test, tools called through the registry.

mod board_facts;
mod completion;
mod docs;
mod errors;
mod tool_names;

use super::{get, list};
use crate::domain::Board;
use crate::domain::waiting::Stop;
use crate::mcp::jsonrpc::RpcError;
use crate::mcp::tools::ToolRegistry;
use serde_json::{Value, json};

/// A board on a new database file (kept alive by the returned directory).
fn board() -> (crate::domain::test_support::TestDb, Board) {
    let (dir, pool) = crate::domain::test_support::pool("prompts", 2);
    (dir, Board::new(pool))
}

/// Calls a tool as an agent would (same arguments and handler) and returns its JSON result.
async fn tool(board: &Board, name: &str, arguments: Value) -> Value {
    let registry = ToolRegistry::new();
    let def = registry
        .get(name)
        .unwrap_or_else(|| panic!("no tool {name}"));
    let out = registry
        .run(def, board, arguments.clone(), Stop::never())
        .await
        .unwrap_or_else(|e| panic!("{name}({arguments}) failed: {e}"));
    serde_json::from_str(out.get()).expect("tool output is JSON")
}

/// Creates a task and returns its id.
async fn task(board: &Board, arguments: Value) -> i64 {
    let mut args = json!({"created_by": "tester"});
    args.as_object_mut()
        .unwrap()
        .extend(arguments.as_object().unwrap().clone());
    tool(board, "create_task", args).await["id"]
        .as_i64()
        .unwrap()
}

async fn prompt(board: &Board, name: &str, arguments: Value) -> Result<Value, RpcError> {
    get(
        board,
        &json!({"name": name, "arguments": arguments}),
        |_| None,
    )
    .await
}

/// The text of the prompt's one message (which must be a user text message).
async fn prompt_text(board: &Board, name: &str, arguments: Value) -> String {
    let result = prompt(board, name, arguments.clone())
        .await
        .unwrap_or_else(|e| panic!("prompts/get {name} {arguments}: {e:?}"));
    let messages = result["messages"].as_array().expect("messages");
    assert_eq!(messages.len(), 1, "{result}");
    assert_eq!(messages[0]["role"], "user");
    assert_eq!(messages[0]["content"]["type"], "text");
    assert!(
        result["description"]
            .as_str()
            .is_some_and(|d| !d.is_empty())
    );
    messages[0]["content"]["text"].as_str().unwrap().to_string()
}

#[test]
fn list_names_every_prompt_with_its_arguments_and_no_modern_fields() {
    let result = list(&json!({})).unwrap();
    let prompts = result["prompts"].as_array().unwrap();
    let names: Vec<&str> = prompts
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["work_queue", "hand_off", "triage"]);
    let args = |i: usize| -> Vec<(String, bool)> {
        prompts[i]["arguments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                assert!(a["description"].as_str().is_some_and(|d| !d.is_empty()));
                (a["name"].as_str().unwrap().into(), a["required"] == true)
            })
            .collect()
    };
    assert_eq!(
        args(0),
        [("agent_name".into(), true), ("queue_name".into(), false)]
    );
    assert_eq!(
        args(1),
        [("task_id".into(), true), ("to_agent".into(), true)]
    );
    assert_eq!(args(2), [("queue_name".into(), true)]);
    for p in prompts {
        assert!(p["title"].as_str().is_some() && p["description"].as_str().is_some());
    }
    assert!(result.get("nextCursor").is_none() && result.get("resultType").is_none());
    assert!(list(&Value::Null).is_ok());
}

#[tokio::test]
async fn work_queue_text_follows_the_agent_and_queue() {
    let (_dir, board) = board();
    let own = prompt_text(&board, "work_queue", json!({"agent_name": "alice"})).await;
    assert!(
        own.contains("`wait_for_task(agent_name=\"alice\", timeout_secs="),
        "{own}"
    );
    assert!(!own.contains("queue_name=\""), "{own}");
    let pooled = prompt_text(
        &board,
        "work_queue",
        json!({"agent_name": " alice ", "queue_name": "dev"}),
    )
    .await;
    assert!(
        pooled.contains("`wait_for_task(agent_name=\"alice\", queue_name=\"dev\", timeout_secs="),
        "{pooled}"
    );
    assert!(pooled.contains("queue \"dev\"'s pool"), "{pooled}");
    // A blank optional argument is an absent one (clients send "" for fields left empty).
    let blank = prompt_text(
        &board,
        "work_queue",
        json!({"agent_name": "alice", "queue_name": "  "}),
    )
    .await;
    assert_eq!(blank, own);
    // Names are JSON string literals in the calls: a quote in a name cannot end the value early.
    let odd = prompt_text(&board, "work_queue", json!({"agent_name": "al\"ice"})).await;
    assert!(odd.contains(r#"agent_name="al\"ice""#), "{odd}");
}
