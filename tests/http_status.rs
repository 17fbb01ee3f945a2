//! Raw HTTP behaviour of the MCP endpoints, in-process with actix's test client. Each test names the
//! checklist id (mcp-protocol.md §7, §8, §13) it proves.

use actix_web::http::{StatusCode, header};
use actix_web::test::{self, TestRequest};
use serde_json::{Value, json};

mod support;
use support::*;

#[actix_web::test]
async fn h21_session_id_is_a_128_bit_token_on_initialize_only() {
    let app = TestApp::spawn().await;
    let id = app.open_session("2025-11-25").await;
    assert_eq!(id.len(), 32);
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
    let ping = json!({"jsonrpc": "2.0", "id": 2, "method": "ping"});
    let resp = app.send(post_in(&id, &ping)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers().get("mcp-session-id").is_none());
    assert_eq!(
        json_body(resp).await,
        json!({"jsonrpc": "2.0", "id": 2, "result": {}})
    );
}

#[actix_web::test]
async fn h22_h30_missing_session_and_discover_probe_are_400() {
    let app = TestApp::spawn().await;
    let list = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"});
    let resp = app.post(&list).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "H22");
    // The Python 2.x probe: session-less server/discover with the 2026 headers is answered (M2)…
    let meta = json!({"io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {}});
    let probe =
        json!({"jsonrpc": "2.0", "id": 1, "method": "server/discover", "params": {"_meta": meta}});
    let req = post(&probe)
        .insert_header(("MCP-Protocol-Version", "2026-07-28"))
        .insert_header(("Mcp-Method", "server/discover"));
    let resp = app.send(req).await;
    assert_eq!(resp.status(), StatusCode::OK, "M2");
    assert!(
        resp.headers().get("mcp-session-id").is_none(),
        "M4: no session"
    );
    assert_eq!(
        json_body(resp).await["result"]["supportedVersions"][0],
        "2026-07-28"
    );
    // …and its headers must agree with the body (M4).
    let req = post(&probe).insert_header(("MCP-Protocol-Version", "2026-07-28"));
    let resp = app.send(req).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "M4");
    assert_eq!(json_body(resp).await["error"]["code"], -32020);
}

#[actix_web::test]
async fn h23_unknown_and_deleted_sessions_are_404_and_h24_delete_rules() {
    let app = TestApp::spawn().await;
    let list = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"});
    let resp = app
        .send(post(&list).insert_header(("Mcp-Session-Id", "nope")))
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND, "H23");
    let id = app.open_session("2025-06-18").await;
    let del = |sid: Option<&str>| {
        let mut r = TestRequest::delete().uri("/mcp").insert_header(HOST);
        if let Some(s) = sid {
            r = r.insert_header(("Mcp-Session-Id", s));
        }
        r
    };
    assert_eq!(
        app.status(del(None)).await,
        StatusCode::BAD_REQUEST,
        "H24 no id"
    );
    assert_eq!(
        app.status(del(Some(&id))).await,
        StatusCode::NO_CONTENT,
        "H24"
    );
    assert_eq!(
        app.status(del(Some(&id))).await,
        StatusCode::NOT_FOUND,
        "H24 again"
    );
    let resp = app.send(post_in(&id, &list)).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND, "H23 after DELETE");
}

#[actix_web::test]
async fn h8_h10_notifications_get_202_requests_never() {
    let app = TestApp::spawn().await;
    let id = app.open_session("2025-11-25").await;
    let note =
        json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 9}});
    let resp = app.send(post_in(&id, &note)).await;
    assert_eq!(resp.status(), StatusCode::ACCEPTED, "H8");
    assert!(test::read_body(resp).await.is_empty());
    let call = json!({"jsonrpc": "2.0", "id": "x", "method": "tools/call",
                      "params": {"name": "create_task", "arguments": {"title": "t", "created_by": "me"}}});
    let resp = app.send(post_in(&id, &call)).await;
    assert_eq!(resp.status(), StatusCode::OK, "H10");
    let body = json_body(resp).await;
    assert_eq!(body["id"], "x");
    assert_eq!(body["result"]["structuredContent"]["title"], "t");
}

#[actix_web::test]
async fn h5_h6_h11_content_type_accept_and_parse_errors() {
    let app = TestApp::spawn().await;
    let body = init_body("2025-11-25").to_string();
    let req = post_with(
        &[HOST, ACCEPT_BOTH, ("Content-Type", "text/plain")],
        body.clone(),
    );
    assert_eq!(
        app.status(req).await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "H6"
    );
    let req = post_with(
        &[
            HOST,
            ("Accept", "text/html"),
            ("Content-Type", "application/json"),
        ],
        body.clone(),
    );
    assert_eq!(app.status(req).await, StatusCode::NOT_ACCEPTABLE, "H5");
    // P4: lenient Accept — missing or */* works and gets JSON.
    for accept in [None, Some("*/*"), Some("application/json")] {
        let mut req = post_with(
            &[HOST, ("Content-Type", "application/json; charset=utf-8")],
            body.clone(),
        );
        if let Some(a) = accept {
            req = req.insert_header(("Accept", a));
        }
        let resp = app.send(req).await;
        assert_eq!(resp.status(), StatusCode::OK, "P4 {accept:?}");
        assert_eq!(
            resp.headers().get(header::CONTENT_TYPE).unwrap(),
            "application/json"
        );
    }
    // Only SSE accepted: the response comes as one SSE event (H9).
    let req = post_with(
        &[
            HOST,
            ("Accept", "text/event-stream"),
            ("Content-Type", "application/json"),
        ],
        body,
    );
    let resp = app.send(req).await;
    assert_eq!(
        resp.headers().get(header::CONTENT_TYPE).unwrap(),
        "text/event-stream"
    );
    let text = String::from_utf8(test::read_body(resp).await.to_vec()).unwrap();
    assert!(text.starts_with("event: message\ndata: {"), "{text}");
    let req = post_with(
        &[HOST, ACCEPT_BOTH, ("Content-Type", "application/json")],
        "{not json",
    );
    let resp = app.send(req).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "H11");
    let body = json_body(resp).await;
    assert_eq!(
        (body["error"]["code"].clone(), body["id"].clone()),
        (json!(-32700), Value::Null)
    );
}

#[actix_web::test]
async fn body_limit_gives_413_json() {
    let app = TestApp::with(&[("TINYTASK_MAX_BODY_BYTES", "2048")]).await;
    let big = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"pad": "x".repeat(4096)}});
    let resp = app.post(&big).await;
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        json_body(resp).await["error"]
            .as_str()
            .unwrap()
            .contains("2048")
    );
}

#[actix_web::test]
async fn h7_batches_only_for_2025_03_26_and_h25_no_reinitialize() {
    let app = TestApp::spawn().await;
    let batch = json!([{"jsonrpc": "2.0", "id": 1, "method": "ping"}, {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}]);
    let old = app.open_session("2025-03-26").await;
    let resp = app.send(post_in(&old, &batch)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let replies = json_body(resp).await;
    assert_eq!(replies.as_array().map(Vec::len), Some(2));
    let new = app.open_session("2025-06-18").await;
    let resp = app.send(post_in(&new, &batch)).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "H7");
    assert_eq!(json_body(resp).await["error"]["code"], -32600);
    let again = post(&init_body("2025-06-18")).insert_header(("Mcp-Session-Id", new.as_str()));
    let resp = app.send(again).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "H25");
}

#[actix_web::test]
async fn h16_h17_h18_h20_get_stream_rules() {
    let app = TestApp::spawn().await;
    let id = app.open_session("2025-11-25").await;
    let get = |accept: &str, sid: Option<&str>| {
        let mut r = get("/mcp").insert_header(("Accept", accept.to_string()));
        if let Some(s) = sid {
            r = r.insert_header(("Mcp-Session-Id", s));
        }
        r
    };
    let resp = app.send(get("application/json", Some(&id))).await;
    assert_eq!(resp.status(), StatusCode::NOT_ACCEPTABLE, "H17");
    let resp = app.send(get("text/event-stream", None)).await;
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "1.x-style legacy stream on GET /mcp"
    );
    assert!(
        first_chunk(resp)
            .await
            .0
            .starts_with("event: endpoint\ndata: /mcp?sessionId=")
    );
    let resp = app.send(get("application/json", None)).await;
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED, "H20");
    assert!(resp.headers().get(header::ALLOW).is_some());
    let stream = app.send(get("text/event-stream", Some(&id))).await;
    assert_eq!(stream.status(), StatusCode::OK);
    let headers = stream.headers();
    assert_eq!(
        headers.get(header::CONTENT_TYPE).unwrap(),
        "text/event-stream",
        "H16"
    );
    assert_eq!(
        headers.get(header::CACHE_CONTROL).unwrap(),
        "no-cache, no-transform",
        "H16"
    );
    assert_eq!(headers.get("x-accel-buffering").unwrap(), "no", "P13");
    let second = app.send(get("text/event-stream", Some(&id))).await;
    assert_eq!(second.status(), StatusCode::CONFLICT, "H18");
    let resp = app.send(get("text/event-stream", Some("unknown"))).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND, "H23 on GET");
    drop(stream);
}

#[actix_web::test]
async fn h2_h3_h33_origin_host_and_cors() {
    let app = TestApp::spawn().await;
    let body = init_body("2025-11-25");
    let req = post(&body).insert_header(("Origin", "http://evil.example.com"));
    assert_eq!(app.status(req).await, StatusCode::FORBIDDEN, "H2");
    // DNS rebinding probe: foreign Host + Origin → 4xx; loopback Host + Origin → 2xx.
    let req = post_with(
        &[
            ("Host", "evil.example.com"),
            ("Origin", "http://evil.example.com"),
            ACCEPT_BOTH,
            ("Content-Type", "application/json"),
        ],
        body.to_string(),
    );
    assert_eq!(app.status(req).await, StatusCode::FORBIDDEN, "H3");
    let req = post(&body).insert_header(("Origin", "http://127.0.0.1:3000"));
    let resp = app.send(req).await;
    assert_eq!(resp.status(), StatusCode::OK, "H3 loopback");
    assert_eq!(
        resp.headers()
            .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .unwrap(),
        "http://127.0.0.1:3000"
    );
    let expose = resp
        .headers()
        .get(header::ACCESS_CONTROL_EXPOSE_HEADERS)
        .unwrap()
        .to_str()
        .unwrap();
    assert!(expose.contains("Mcp-Session-Id"), "H33/P11");
    let preflight = TestRequest::default()
        .method(actix_web::http::Method::OPTIONS)
        .uri("/mcp")
        .insert_header(HOST)
        .insert_header(("Origin", "http://localhost:5173"))
        .insert_header(("Access-Control-Request-Method", "POST"));
    let resp = app.send(preflight).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT, "H33 preflight");
    let allowed = resp
        .headers()
        .get(header::ACCESS_CONTROL_ALLOW_HEADERS)
        .unwrap()
        .to_str()
        .unwrap();
    for name in [
        "Mcp-Session-Id",
        "Mcp-Protocol-Version",
        "Last-Event-ID",
        "Authorization",
        "Content-Type",
    ] {
        assert!(allowed.contains(name), "H33: {name} in {allowed}");
    }
    assert_eq!(
        resp.headers()
            .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .unwrap(),
        "http://localhost:5173"
    );
}

#[actix_web::test]
async fn p6_allow_lists_are_configurable() {
    let app = TestApp::with(&[
        ("TINYTASK_ALLOWED_HOSTS", "tasks.example.com"),
        ("TINYTASK_ALLOWED_ORIGINS", "https://app.example.com"),
    ])
    .await;
    let req = post_with(
        &[
            ("Host", "tasks.example.com"),
            ("Origin", "https://app.example.com"),
            ACCEPT_BOTH,
            ("Content-Type", "application/json"),
        ],
        init_body("2025-11-25").to_string(),
    );
    assert_eq!(app.status(req).await, StatusCode::OK);
    let req = post(&init_body("2025-11-25")); // Host 127.0.0.1 is no longer listed
    assert_eq!(app.status(req).await, StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn bearer_token_is_required_except_for_health() {
    let app = TestApp::with(&[("TINYTASK_AUTH_TOKEN", "s3cret")]).await;
    let resp = app.send(post(&init_body("2025-11-25"))).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert!(
        resp.headers()
            .get(header::WWW_AUTHENTICATE)
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    let wrong = post(&init_body("2025-11-25")).insert_header(("Authorization", "Bearer nope"));
    assert_eq!(app.status(wrong).await, StatusCode::UNAUTHORIZED);
    let right = post(&init_body("2025-11-25")).insert_header(("Authorization", "Bearer s3cret"));
    assert_eq!(app.status(right).await, StatusCode::OK);
    let sse = get("/sse");
    assert_eq!(app.status(sse).await, StatusCode::UNAUTHORIZED);
    let health = TestRequest::get().uri("/health");
    assert_eq!(app.status(health).await, StatusCode::OK);
}

#[actix_web::test]
async fn e2_e4_e5_legacy_endpoint_event_and_message_rules() {
    let app = TestApp::spawn().await;
    let resp = app.send(get("/sse")).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let (first, _stream) = first_chunk(resp).await;
    assert!(
        first.starts_with("event: endpoint\ndata: /messages?sessionId="),
        "E2: {first}"
    );
    let id = first
        .lines()
        .nth(1)
        .unwrap()
        .rsplit('=')
        .next()
        .unwrap()
        .trim()
        .to_string();
    let ping = json!({"jsonrpc": "2.0", "id": 1, "method": "ping"});
    let msg = |uri: String| {
        TestRequest::post()
            .uri(&uri)
            .insert_header(HOST)
            .insert_header(("Content-Type", "application/json"))
            .set_payload(ping.to_string())
    };
    let resp = app.send(msg("/messages".into())).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "E5 missing id");
    let resp = app.send(msg("/messages?sessionId=unknown".into())).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND, "E5 unknown id");
    let resp = app.send(msg(format!("/messages?sessionId={id}"))).await;
    assert_eq!(resp.status(), StatusCode::ACCEPTED, "E4");
    assert_eq!(test::read_body(resp).await, "Accepted");
    // A Streamable HTTP id is not a legacy session.
    let streamable = app.open_session("2025-11-25").await;
    let resp = app
        .send(msg(format!("/messages?sessionId={streamable}")))
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn h27_sessions_expire_and_are_capped() {
    let app = TestApp::with(&[
        ("TINYTASK_SESSION_IDLE_SECS", "1"),
        ("TINYTASK_MAX_SESSIONS", "2"),
    ])
    .await;
    let ping = json!({"jsonrpc": "2.0", "id": 1, "method": "ping"});
    // Both sessions make a request, so neither can be evicted: the third initialize is refused.
    let first = app.open_session("2025-11-25").await;
    let second = app.open_session("2025-11-25").await;
    for id in [&first, &second] {
        let req = post_in(id, &ping);
        assert_eq!(app.status(req).await, StatusCode::OK);
    }
    let resp = app.send(post(&init_body("2025-11-25"))).await;
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(resp.headers().get(header::RETRY_AFTER).is_some());
    tokio::time::sleep(std::time::Duration::from_millis(1300)).await;
    let resp = app.send(post_in(&first, &ping)).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND, "expired");
}

#[actix_web::test]
async fn health_reports_checks_and_sessions_and_unknown_routes_are_json_404() {
    let app = TestApp::spawn().await;
    app.open_session("2025-11-25").await;
    let resp = app.send(TestRequest::get().uri("/health")).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body = json_body(resp).await;
    assert_eq!(body["status"], "healthy");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(body["database"]["query"], "ok");
    assert_eq!(body["sessions"]["streamable_http"], 1);
    assert!(body["uptime_seconds"].is_number());
    let resp = app.send(get("/nope")).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert!(json_body(resp).await["error"].is_string());
}

#[actix_web::test]
async fn health_is_503_when_the_database_file_is_gone_and_writes_fail() {
    let app = TestApp::spawn().await;
    let id = app.open_session("2025-11-25").await;
    let health = || get("/health");
    assert_eq!(app.status(health()).await, StatusCode::OK);
    std::fs::remove_file(app.db_file()).unwrap();
    let resp = app.send(health()).await;
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body = json_body(resp).await;
    assert_eq!(body["status"], "unhealthy");
    assert_eq!(body["failing"], json!(["database.file"]), "{body}");

    // A write into the removed file is refused (never acknowledged into a file nobody can open again),
    // and the write path is reported as failing.
    let call = json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call",
                      "params": {"name": "create_task", "arguments": {"title": "t", "created_by": "me"}}});
    let resp = app.post_in(&id, &call).await;
    let reply = json_body(resp).await;
    assert_eq!(reply["result"]["isError"], true, "{reply}");
    let body = json_body(app.send(health()).await).await;
    assert_eq!(
        body["failing"],
        json!(["database.file", "database.writable"]),
        "{body}"
    );
    let error = body["database"]["writable"]["error"].as_str().unwrap();
    assert!(error.contains("was removed or replaced"), "{error}");
}
