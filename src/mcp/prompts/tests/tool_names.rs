//! Every name a prompt text uses must exist: each `name(...)` is a tool of the registry called with its
//! own parameters (all required ones included), and every other snake_case word is a tool, a parameter of
//! some tool, or one of the few result fields on ALLOWED. Checked on every branch of every text.

use super::{board, prompt_text, task, tool};
use crate::domain::Board;
use crate::mcp::tools::ToolRegistry;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// Result fields the texts explain (they are not parameters, so the registry cannot vouch for them).
const ALLOWED: [&str; 4] = [
    "is_currently_blocked",
    "expires_at",
    "previous_assigned_to",
    "is_open",
];

struct Vocabulary {
    /// Tool name → (its parameters, its required parameters).
    tools: BTreeMap<&'static str, (BTreeSet<String>, BTreeSet<String>)>,
    params: BTreeSet<String>,
}

fn vocabulary() -> Vocabulary {
    let registry = ToolRegistry::new();
    let mut tools = BTreeMap::new();
    let mut params = BTreeSet::new();
    for name in registry.names() {
        let schema = registry.get(name).unwrap().input_schema();
        let props: BTreeSet<String> = schema
            .get("properties")
            .and_then(Value::as_object)
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default();
        let required: BTreeSet<String> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| {
                r.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        params.extend(props.iter().cloned());
        tools.insert(name, (props, required));
    }
    Vocabulary { tools, params }
}

/// `text` with every JSON string literal emptied: values and quoted board data are not names.
fn without_literals(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '"' {
            while let Some(inner) = chars.next() {
                match inner {
                    '\\' => {
                        chars.next();
                    }
                    '"' => {
                        out.push('"');
                        break;
                    }
                    _ => {}
                }
            }
        }
    }
    out
}

/// Splits call arguments on the commas that are not inside a `<placeholder>`.
fn split_args(args: &str) -> Vec<String> {
    let (mut parts, mut current, mut depth) = (Vec::new(), String::new(), 0);
    for c in args.chars() {
        match c {
            '<' => depth += 1,
            '>' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    parts.push(current);
    parts
        .into_iter()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

/// Every problem with the names in `text` (empty when all are real).
fn problems(text: &str, vocab: &Vocabulary) -> Vec<String> {
    let text = without_literals(text);
    let mut found = Vec::new();
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let bytes: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        if !is_word(bytes[i]) || (i > 0 && is_word(bytes[i - 1])) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && is_word(bytes[i]) {
            i += 1;
        }
        let word: String = bytes[start..i].iter().collect();
        if bytes.get(i) == Some(&'(') {
            let Some(len) = bytes[i + 1..].iter().position(|c| *c == ')') else {
                found.push(format!("{word}( is not closed"));
                continue;
            };
            let args: String = bytes[i + 1..i + 1 + len].iter().collect();
            match vocab.tools.get(word.as_str()) {
                None => found.push(format!("{word}(...) calls a tool that does not exist")),
                Some((props, required)) => {
                    let mut given = BTreeSet::new();
                    for arg in split_args(&args) {
                        match arg.split_once('=') {
                            Some((key, _)) if props.contains(key.trim()) => {
                                given.insert(key.trim().to_string());
                            }
                            Some((key, _)) => {
                                found.push(format!("{word}: no parameter {}", key.trim()));
                            }
                            None => {
                                found.push(format!("{word}: argument {arg:?} is not key=value"));
                            }
                        }
                    }
                    for missing in required.difference(&given) {
                        found.push(format!("{word}(...) lacks required parameter {missing}"));
                    }
                }
            }
            continue;
        }
        let snake = word.contains('_') && word.starts_with(|c: char| c.is_ascii_lowercase());
        if snake
            && !vocab.tools.contains_key(word.as_str())
            && !vocab.params.contains(&word)
            && !ALLOWED.contains(&word.as_str())
        {
            found.push(format!("{word} is neither a tool nor a parameter"));
        }
    }
    found
}

/// One text of every branch: work_queue with and without a queue, hand_off of an assigned and leased
/// task with an open dependency and comments, an unassigned, a complete, an archived task and one already
/// with its target, triage of a busy and of an empty queue.
async fn every_text(board: &Board) -> Vec<(String, String)> {
    let claimed = task(
        board,
        json!({"title": "Write the parser", "assigned_to": "alice", "queue_name": "dev"}),
    )
    .await;
    tool(board, "signup_for_task", json!({"agent_name": "alice"})).await;
    let dependency = task(
        board,
        json!({"title": "Design the grammar", "queue_name": "dev"}),
    )
    .await;
    tool(
        board,
        "add_dependency",
        json!({"task_id": claimed, "depends_on_task_id": dependency}),
    )
    .await;
    for n in 1..=4 {
        tool(
            board,
            "add_comment",
            json!({"task_id": claimed, "content": format!("note {n}"), "created_by": "alice"}),
        )
        .await;
    }
    let unassigned = task(board, json!({"title": "Pool work", "queue_name": "dev"})).await;
    let with_bob = task(
        board,
        json!({"title": "Already there", "assigned_to": "bob"}),
    )
    .await;
    let complete = task(
        board,
        json!({"title": "Finished", "assigned_to": "carol", "queue_name": "dev"}),
    )
    .await;
    tool(
        board,
        "update_task",
        json!({"id": complete, "status": "complete"}),
    )
    .await;
    let archived = task(board, json!({"title": "Old", "assigned_to": "carol"})).await;
    tool(board, "archive_task", json!({"id": archived})).await;

    let mut texts = Vec::new();
    let cases = [
        ("work_queue", json!({"agent_name": "alice"})),
        (
            "work_queue",
            json!({"agent_name": "alice", "queue_name": "dev"}),
        ),
        (
            "hand_off",
            json!({"task_id": claimed.to_string(), "to_agent": "bob"}),
        ),
        (
            "hand_off",
            json!({"task_id": dependency.to_string(), "to_agent": "bob"}),
        ),
        (
            "hand_off",
            json!({"task_id": unassigned.to_string(), "to_agent": "bob"}),
        ),
        (
            "hand_off",
            json!({"task_id": with_bob.to_string(), "to_agent": "bob"}),
        ),
        (
            "hand_off",
            json!({"task_id": complete.to_string(), "to_agent": "bob"}),
        ),
        (
            "hand_off",
            json!({"task_id": archived.to_string(), "to_agent": "bob"}),
        ),
        ("triage", json!({"queue_name": "dev"})),
        ("triage", json!({"queue_name": "nowhere"})),
    ];
    for (name, args) in cases {
        let text = prompt_text(board, name, args.clone()).await;
        texts.push((format!("{name} {args}"), text));
    }
    texts
}

#[tokio::test]
async fn every_prompt_names_only_real_tools_and_parameters() {
    let (_dir, board) = board();
    let vocab = vocabulary();
    let texts = every_text(&board).await;
    let mut calls = BTreeSet::new();
    for (case, text) in &texts {
        let found = problems(text, &vocab);
        assert!(found.is_empty(), "{case}: {found:#?}\n{text}");
        for tool in vocab.tools.keys() {
            if text.contains(&format!("{tool}(")) {
                calls.insert(*tool);
            }
        }
    }
    // The loop, the lease and the hand-over tools the brief names are all taught somewhere.
    for needed in [
        "wait_for_task",
        "heartbeat",
        "update_task",
        "move_task",
        "release_task",
        "add_comment",
        "add_dependency",
        "list_ready_tasks",
        "get_queue_tasks",
        "remove_dependency",
        "get_events",
    ] {
        assert!(calls.contains(needed), "no prompt shows a call of {needed}");
    }
}

#[test]
fn the_checker_catches_invented_tools_parameters_and_missing_required_ones() {
    let vocab = vocabulary();
    assert!(
        problems(
            "`get_task(id=<id>)`, then heartbeat and lease_token",
            &vocab
        )
        .is_empty()
    );
    // Board data and values are literals, never names.
    assert!(problems(r#"title "fix_the_bug" by "a_b", `list_queues()`"#, &vocab).is_empty());
    let cases = [
        (
            "`release(task_id=1)`",
            "release(...) calls a tool that does not exist",
        ),
        (
            "`heartbeat(task_id=1, agent=\"a\")`",
            "heartbeat: no parameter agent",
        ),
        (
            "`heartbeat(task_id=1)`",
            "heartbeat(...) lacks required parameter agent_name",
        ),
        (
            "call claim_task first",
            "claim_task is neither a tool nor a parameter",
        ),
        (
            "`get_task(id)`",
            "get_task: argument \"id\" is not key=value",
        ),
    ];
    for (text, expected) in cases {
        let found = problems(text, &vocab);
        assert!(found.iter().any(|f| f == expected), "{text}: {found:?}");
    }
}
