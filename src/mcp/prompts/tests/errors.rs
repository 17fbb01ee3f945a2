//! Every invalid `prompts/get` (and `prompts/list`) is a -32602 naming what is wrong and what is allowed.

use super::{board, get, list, prompt};
use crate::domain::limits;
use crate::mcp::jsonrpc::RpcError;
use serde_json::{Value, json};

fn expect_invalid(result: Result<Value, RpcError>, expected: &str) -> RpcError {
    let err = result.expect_err(&format!("expected an error containing {expected:?}"));
    assert_eq!(err.code, -32602, "{err:?}");
    assert!(
        err.message.contains(expected),
        "{:?} lacks {expected:?}",
        err.message
    );
    err
}

#[tokio::test]
async fn unknown_or_missing_prompt_names_list_the_prompts() {
    let (_dir, board) = board();
    let err = expect_invalid(
        get(&board, &json!({"name": "work"})).await,
        "unknown prompt \"work\"; prompts: work_queue, hand_off, triage",
    );
    assert_eq!(
        err.data.unwrap()["prompts"],
        json!(["work_queue", "hand_off", "triage"])
    );
    for params in [json!({}), json!({"name": 3}), Value::Null] {
        expect_invalid(
            get(&board, &params).await,
            "prompts/get requires a string \"name\", one of: work_queue, hand_off, triage",
        );
    }
}

#[tokio::test]
async fn missing_blank_and_unknown_arguments_name_the_allowed_ones() {
    let (_dir, board) = board();
    expect_invalid(
        prompt(&board, "work_queue", json!({})).await,
        "prompt work_queue: argument \"agent_name\" is required (arguments: agent_name (required), queue_name)",
    );
    expect_invalid(
        get(&board, &json!({"name": "hand_off"})).await,
        "prompt hand_off: argument \"task_id\" is required (arguments: task_id (required), to_agent (required))",
    );
    expect_invalid(
        prompt(&board, "hand_off", json!({"task_id": "1"})).await,
        "argument \"to_agent\" is required",
    );
    expect_invalid(
        prompt(&board, "triage", json!({"queue_name": null})).await,
        "argument \"queue_name\" is required",
    );
    expect_invalid(
        prompt(&board, "work_queue", json!({"agent_name": "  "})).await,
        "argument \"agent_name\" must not be empty or blank",
    );
    let err = expect_invalid(
        prompt(
            &board,
            "work_queue",
            json!({"agent_name": "a", "queue": "dev"}),
        )
        .await,
        "prompt work_queue: unknown argument \"queue\"; allowed: agent_name (required), queue_name",
    );
    let data = err.data.unwrap();
    assert_eq!(data["argument"], "queue");
    assert_eq!(data["arguments"], json!(["agent_name", "queue_name"]));
}

#[tokio::test]
async fn arguments_must_be_an_object_of_strings() {
    let (_dir, board) = board();
    for (arguments, what) in [
        (json!(["a"]), "an array"),
        (json!("agent_name=a"), "a string"),
    ] {
        expect_invalid(
            prompt(&board, "work_queue", arguments).await,
            &format!(
                "prompt work_queue: \"arguments\" must be an object of string values, got {what}"
            ),
        );
    }
    expect_invalid(
        prompt(&board, "work_queue", json!({"agent_name": 5})).await,
        "argument \"agent_name\" must be a string (prompt arguments are strings), got a number",
    );
    expect_invalid(
        prompt(&board, "triage", json!({"queue_name": true})).await,
        "argument \"queue_name\" must be a string (prompt arguments are strings), got a boolean",
    );
    expect_invalid(
        prompt(&board, "hand_off", json!({"task_id": 7, "to_agent": "bob"})).await,
        "argument \"task_id\" must be a string (prompt arguments are strings, e.g. \"7\"), got a number",
    );
}

#[tokio::test]
async fn task_id_must_be_a_positive_integer_of_an_existing_task() {
    let (_dir, board) = board();
    for bad in ["abc", "0", "-3", "1.5", "7x", "99999999999"] {
        expect_invalid(
            prompt(
                &board,
                "hand_off",
                json!({"task_id": bad, "to_agent": "bob"}),
            )
            .await,
            &format!(
                "argument \"task_id\" must be a positive integer task id (e.g. \"7\"), got \"{bad}\""
            ),
        );
    }
    let err = expect_invalid(
        prompt(
            &board,
            "hand_off",
            json!({"task_id": "4242", "to_agent": "bob"}),
        )
        .await,
        "prompt hand_off: argument \"task_id\": task 4242 does not exist",
    );
    assert_eq!(err.data.unwrap()["task_id"], 4242);
}

#[tokio::test]
async fn names_longer_than_the_tools_accept_are_refused() {
    let (_dir, board) = board();
    let limit = limits::current().name().bytes;
    expect_invalid(
        prompt(
            &board,
            "hand_off",
            json!({"task_id": "1", "to_agent": "x".repeat(limit + 1)}),
        )
        .await,
        &format!(
            "argument \"to_agent\": {} bytes exceeds the limit of {limit} bytes",
            limit + 1
        ),
    );
    expect_invalid(
        prompt(&board, "triage", json!({"queue_name": "q".repeat(256)})).await,
        "argument \"queue_name\" is too long (256 characters, at most 255)",
    );
}

#[test]
fn a_list_cursor_is_refused_since_none_is_ever_issued() {
    let err = list(&json!({"cursor": "abc"})).unwrap_err();
    assert_eq!(err.code, -32602);
    assert!(
        err.message.contains("prompts/list has a single page"),
        "{}",
        err.message
    );
    assert!(list(&json!({"cursor": null})).is_ok());
}
