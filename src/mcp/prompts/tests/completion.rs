//! completion/complete for prompt arguments: agent and queue names from the board, errors for unknown
//! prompts and arguments; the resource templates' completion is unchanged.

use super::{board, task};
use crate::mcp::completion::complete;
use serde_json::{Value, json};

fn request(reference: &Value, argument: &str, value: &str) -> Value {
    json!({"ref": reference, "argument": {"name": argument, "value": value}})
}

fn prompt_ref(name: &str) -> Value {
    json!({"type": "ref/prompt", "name": name})
}

async fn values(board: &crate::domain::Board, params: Value) -> Vec<String> {
    let result = complete(board, params).await.expect("completion");
    serde_json::from_value(result["completion"]["values"].clone()).unwrap()
}

#[tokio::test]
async fn prompt_arguments_complete_from_the_board() {
    let (_dir, board) = board();
    task(
        &board,
        json!({"title": "a", "assigned_to": "alice", "queue_name": "dev"}),
    )
    .await;
    task(
        &board,
        json!({"title": "b", "assigned_to": "albert", "queue_name": "docs"}),
    )
    .await;
    task(
        &board,
        json!({"title": "c", "assigned_to": "bob", "queue_name": "ops"}),
    )
    .await;
    let agents = values(
        &board,
        request(&prompt_ref("work_queue"), "agent_name", "AL"),
    )
    .await;
    assert_eq!(agents, ["albert", "alice"]);
    let to = values(&board, request(&prompt_ref("hand_off"), "to_agent", "b")).await;
    assert_eq!(to, ["bob"]);
    let queues = values(&board, request(&prompt_ref("triage"), "queue_name", "d")).await;
    assert_eq!(queues, ["dev", "docs"]);
    let queues = values(&board, request(&prompt_ref("work_queue"), "queue_name", "")).await;
    assert_eq!(queues, ["dev", "docs", "ops"]);
    assert!(
        values(&board, request(&prompt_ref("hand_off"), "task_id", "1"))
            .await
            .is_empty()
    );
    let template = json!({"type": "ref/resource", "uri": "queue://{agent_name}"});
    assert_eq!(
        values(&board, request(&template, "agent_name", "bo")).await,
        ["bob"]
    );
}

#[tokio::test]
async fn unknown_prompts_and_arguments_are_errors_naming_the_allowed_ones() {
    let (_dir, board) = board();
    let err = complete(&board, request(&prompt_ref("nope"), "agent_name", ""))
        .await
        .unwrap_err();
    assert_eq!(err.code, -32602);
    assert!(
        err.message
            .contains("unknown prompt \"nope\"; prompts: work_queue, hand_off, triage"),
        "{}",
        err.message
    );
    let err = complete(&board, request(&prompt_ref("triage"), "agent_name", ""))
        .await
        .unwrap_err();
    assert_eq!(err.code, -32602);
    assert!(
        err.message.contains(
            "prompt triage has no argument \"agent_name\"; allowed: queue_name (required)"
        ),
        "{}",
        err.message
    );
}
