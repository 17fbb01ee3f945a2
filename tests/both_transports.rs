//! `TINYTASK_MODE=both` in one process: the stdio transport (on in-memory pipes through `serve_io`) and
//! Streamable HTTP serve the same engine, so what one agent writes over stdio another reads over HTTP,
//! and the reverse.

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream, Lines};

mod support;
use support::*;

/// A stdio client on in-memory pipes: one JSON-RPC message per line each way.
struct StdioClient {
    to_server: DuplexStream,
    from_server: Lines<BufReader<DuplexStream>>,
}

impl StdioClient {
    async fn send(&mut self, message: Value) {
        let mut line = message.to_string().into_bytes();
        line.push(b'\n');
        self.to_server.write_all(&line).await.unwrap();
    }

    async fn receive(&mut self) -> Value {
        let line = self
            .from_server
            .next_line()
            .await
            .unwrap()
            .expect("a reply");
        serde_json::from_str(&line).unwrap()
    }

    async fn call_tool(&mut self, id: i64, name: &str, arguments: Value) -> Value {
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
                         "params": {"name": name, "arguments": arguments}}))
            .await;
        let reply = self.receive().await;
        assert_eq!(reply["id"], id, "{reply}");
        reply["result"]["structuredContent"].clone()
    }
}

#[actix_web::test]
async fn stdio_and_http_share_one_board() {
    let app = TestApp::spawn().await;
    let (to_server, server_in) = tokio::io::duplex(1 << 16);
    let (server_out, from_server) = tokio::io::duplex(1 << 16);
    let stdio = tokio::spawn(tinytask::transports::stdio::serve_io(
        app.state.engine.clone(),
        BufReader::new(server_in),
        server_out,
    ));
    let mut agent = StdioClient {
        to_server,
        from_server: BufReader::new(from_server).lines(),
    };
    agent.send(init_body("2025-06-18")).await;
    assert_eq!(
        agent.receive().await["result"]["protocolVersion"],
        "2025-06-18"
    );
    agent
        .send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        .await;
    let over_stdio = agent
        .call_tool(
            2,
            "create_task",
            json!({"title": "from stdio", "created_by": "a"}),
        )
        .await;

    let session = app.open_session("2025-11-25").await;
    let seen = app
        .call_tool(&session, "get_task", json!({"id": over_stdio["id"]}))
        .await;
    assert_eq!(seen["result"]["structuredContent"]["title"], "from stdio");
    let over_http = app
        .call_tool(
            &session,
            "create_task",
            json!({"title": "from http", "created_by": "b"}),
        )
        .await;
    let id = &over_http["result"]["structuredContent"]["id"];
    let seen = agent.call_tool(3, "get_task", json!({"id": id})).await;
    assert_eq!(seen["title"], "from http");

    // stdin EOF ends the stdio transport cleanly; HTTP keeps serving.
    drop(agent);
    stdio.await.unwrap().unwrap();
    let list = json!({"jsonrpc": "2.0", "id": 9, "method": "tools/list"});
    assert_eq!(
        app.post_in(&session, &list).await.status(),
        actix_web::http::StatusCode::OK
    );
}
