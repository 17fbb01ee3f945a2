//! The stdio transport end to end on in-memory pipes, against a real database.

use super::serve_io;
use crate::domain::Board;
use crate::mcp::Engine;
use serde_json::{Value, json};
use tokio::io::AsyncReadExt;

/// Feeds `input` to a fresh server on stdin and returns every line it wrote, parsed.
async fn exchange(input: Vec<u8>) -> (Vec<Value>, crate::domain::test_support::TestDb) {
    let (dir, pool) = crate::domain::test_support::pool("stdio", 2);
    let engine = Engine::new(Board::new(pool));
    let (out_write, mut out_read) = tokio::io::duplex(1 << 20);
    serve_io(engine, &input[..], out_write).await.unwrap();
    let mut text = String::new();
    out_read.read_to_string(&mut text).await.unwrap();
    let lines = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (lines, dir)
}

fn line(v: &Value) -> Vec<u8> {
    let mut bytes = v.to_string().into_bytes();
    bytes.push(b'\n');
    bytes
}

fn initialize(id: i64) -> Vec<u8> {
    line(&json!({"jsonrpc": "2.0", "id": id, "method": "initialize",
                "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                           "clientInfo": {"name": "t", "version": "1"}}}))
}

fn reply(lines: &[Value], id: i64) -> &Value {
    lines
        .iter()
        .find(|l| l["id"] == id)
        .unwrap_or_else(|| panic!("no reply {id} in {lines:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_before_a_pipelined_initialize_is_judged_uninitialized_every_time() {
    for _ in 0..20 {
        let call = line(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                               "params": {"name": "list_tasks", "arguments": {}}}));
        let input = [call, initialize(2)].concat();
        let (lines, _dir) = exchange(input).await;
        let early = reply(&lines, 1);
        assert_eq!(early["error"]["code"], -32600, "{early}");
        assert!(reply(&lines, 2)["result"]["protocolVersion"].is_string());
    }
}

#[tokio::test]
async fn invalid_utf8_is_a_parse_error_and_stores_nothing() {
    let mut bad = br#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"create_task","arguments":{"title":"bad "#.to_vec();
    bad.extend_from_slice(b"\xff\xfe");
    bad.extend_from_slice(br#"","created_by":"t"}}}"#);
    bad.push(b'\n');
    let list = line(&json!({"jsonrpc": "2.0", "id": 4, "method": "tools/call",
                           "params": {"name": "list_tasks", "arguments": {}}}));
    let initialized = line(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
    let (lines, _dir) = exchange([initialize(1), initialized, bad, list].concat()).await;
    let parse_error = lines
        .iter()
        .find(|l| l["error"]["code"] == -32700)
        .unwrap_or_else(|| panic!("no parse error in {lines:?}"));
    assert!(parse_error["id"].is_null());
    assert!(
        parse_error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("invalid UTF-8")
    );
    assert_eq!(reply(&lines, 4)["result"]["structuredContent"]["count"], 0);
}
