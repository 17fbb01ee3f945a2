//! Raw HTTP behaviour of the MCP endpoints, in-process with actix's test client. Each test names the
//! checklist id (mcp-protocol.md §7, §8, §13) it proves.

use actix_web::http::{StatusCode, header};
use actix_web::test::{self, TestRequest};
use serde_json::{Value, json};

mod support;
use support::*;

#[actix_web::test]
async fn h21_session_id_is_a_128_bit_token_on_initialize_only() {
    let h = harness(&[]);
    let svc = service!(h);
    let id = open_session(&svc, "2025-11-25").await;
    assert_eq!(id.len(), 32);
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
    let ping = json!({"jsonrpc": "2.0", "id": 2, "method": "ping"});
    let resp = test::call_service(
        &svc,
        post(&ping)
            .insert_header(("Mcp-Session-Id", id.as_str()))
            .to_request(),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers().get("mcp-session-id").is_none());
    assert_eq!(
        json_body(resp).await,
        json!({"jsonrpc": "2.0", "id": 2, "result": {}})
    );
}

#[actix_web::test]
async fn h22_h30_missing_session_and_discover_probe_are_400() {
    let h = harness(&[]);
    let svc = service!(h);
    let list = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"});
    let resp = test::call_service(&svc, post(&list).to_request()).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "H22");
    // The Python 2.x probe: session-less server/discover with the 2026 header → 4xx so the client falls back.
    let probe = json!({"jsonrpc": "2.0", "id": 1, "method": "server/discover", "params": {}});
    let req = post(&probe)
        .insert_header(("MCP-Protocol-Version", "2026-07-28"))
        .to_request();
    let resp = test::call_service(&svc, req).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "H30");
    assert_eq!(json_body(resp).await["error"]["code"], -32600);
}

#[actix_web::test]
async fn h23_unknown_and_deleted_sessions_are_404_and_h24_delete_rules() {
    let h = harness(&[]);
    let svc = service!(h);
    let list = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"});
    let resp = test::call_service(
        &svc,
        post(&list)
            .insert_header(("Mcp-Session-Id", "nope"))
            .to_request(),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND, "H23");
    let id = open_session(&svc, "2025-06-18").await;
    let del = |sid: Option<&str>| {
        let mut r = TestRequest::delete().uri("/mcp").insert_header(HOST);
        if let Some(s) = sid {
            r = r.insert_header(("Mcp-Session-Id", s));
        }
        r.to_request()
    };
    assert_eq!(
        test::call_service(&svc, del(None)).await.status(),
        StatusCode::BAD_REQUEST,
        "H24 no id"
    );
    assert_eq!(
        test::call_service(&svc, del(Some(&id))).await.status(),
        StatusCode::NO_CONTENT,
        "H24"
    );
    assert_eq!(
        test::call_service(&svc, del(Some(&id))).await.status(),
        StatusCode::NOT_FOUND,
        "H24 again"
    );
    let resp = test::call_service(
        &svc,
        post(&list)
            .insert_header(("Mcp-Session-Id", id.as_str()))
            .to_request(),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND, "H23 after DELETE");
}

#[actix_web::test]
async fn h8_h10_notifications_get_202_requests_never() {
    let h = harness(&[]);
    let svc = service!(h);
    let id = open_session(&svc, "2025-11-25").await;
    let note =
        json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 9}});
    let resp = test::call_service(
        &svc,
        post(&note)
            .insert_header(("Mcp-Session-Id", id.as_str()))
            .to_request(),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::ACCEPTED, "H8");
    assert!(test::read_body(resp).await.is_empty());
    let call = json!({"jsonrpc": "2.0", "id": "x", "method": "tools/call",
                      "params": {"name": "create_task", "arguments": {"title": "t", "created_by": "me"}}});
    let resp = test::call_service(
        &svc,
        post(&call)
            .insert_header(("Mcp-Session-Id", id.as_str()))
            .to_request(),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK, "H10");
    let body = json_body(resp).await;
    assert_eq!(body["id"], "x");
    assert_eq!(body["result"]["structuredContent"]["title"], "t");
}

#[actix_web::test]
async fn h5_h6_h11_content_type_accept_and_parse_errors() {
    let h = harness(&[]);
    let svc = service!(h);
    let body = init_body("2025-11-25").to_string();
    let req = TestRequest::post()
        .uri("/mcp")
        .insert_header(HOST)
        .insert_header(ACCEPT_BOTH)
        .insert_header(("Content-Type", "text/plain"))
        .set_payload(body.clone())
        .to_request();
    assert_eq!(
        test::call_service(&svc, req).await.status(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "H6"
    );
    let req = TestRequest::post()
        .uri("/mcp")
        .insert_header(HOST)
        .insert_header(("Accept", "text/html"))
        .insert_header(("Content-Type", "application/json"))
        .set_payload(body.clone())
        .to_request();
    assert_eq!(
        test::call_service(&svc, req).await.status(),
        StatusCode::NOT_ACCEPTABLE,
        "H5"
    );
    // P4: lenient Accept — missing or */* works and gets JSON.
    for accept in [None, Some("*/*"), Some("application/json")] {
        let mut req = TestRequest::post()
            .uri("/mcp")
            .insert_header(HOST)
            .insert_header(("Content-Type", "application/json; charset=utf-8"))
            .set_payload(body.clone());
        if let Some(a) = accept {
            req = req.insert_header(("Accept", a));
        }
        let resp = test::call_service(&svc, req.to_request()).await;
        assert_eq!(resp.status(), StatusCode::OK, "P4 {accept:?}");
        assert_eq!(
            resp.headers().get(header::CONTENT_TYPE).unwrap(),
            "application/json"
        );
    }
    // Only SSE accepted: the response comes as one SSE event (H9).
    let req = TestRequest::post()
        .uri("/mcp")
        .insert_header(HOST)
        .insert_header(("Accept", "text/event-stream"))
        .insert_header(("Content-Type", "application/json"))
        .set_payload(body)
        .to_request();
    let resp = test::call_service(&svc, req).await;
    assert_eq!(
        resp.headers().get(header::CONTENT_TYPE).unwrap(),
        "text/event-stream"
    );
    let text = String::from_utf8(test::read_body(resp).await.to_vec()).unwrap();
    assert!(text.starts_with("event: message\ndata: {"), "{text}");
    let req = TestRequest::post()
        .uri("/mcp")
        .insert_header(HOST)
        .insert_header(ACCEPT_BOTH)
        .insert_header(("Content-Type", "application/json"))
        .set_payload("{not json")
        .to_request();
    let resp = test::call_service(&svc, req).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "H11");
    let body = json_body(resp).await;
    assert_eq!(
        (body["error"]["code"].clone(), body["id"].clone()),
        (json!(-32700), Value::Null)
    );
}

#[actix_web::test]
async fn body_limit_gives_413_json() {
    let h = harness(&[("TINYTASK_MAX_BODY_BYTES", "2048")]);
    let svc = service!(h);
    let big = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"pad": "x".repeat(4096)}});
    let resp = test::call_service(&svc, post(&big).to_request()).await;
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
    let h = harness(&[]);
    let svc = service!(h);
    let batch = json!([{"jsonrpc": "2.0", "id": 1, "method": "ping"}, {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}]);
    let old = open_session(&svc, "2025-03-26").await;
    let resp = test::call_service(
        &svc,
        post(&batch)
            .insert_header(("Mcp-Session-Id", old.as_str()))
            .to_request(),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let replies = json_body(resp).await;
    assert_eq!(replies.as_array().map(Vec::len), Some(2));
    let new = open_session(&svc, "2025-06-18").await;
    let resp = test::call_service(
        &svc,
        post(&batch)
            .insert_header(("Mcp-Session-Id", new.as_str()))
            .to_request(),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "H7");
    assert_eq!(json_body(resp).await["error"]["code"], -32600);
    let again = post(&init_body("2025-06-18"))
        .insert_header(("Mcp-Session-Id", new.as_str()))
        .to_request();
    let resp = test::call_service(&svc, again).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "H25");
}

#[actix_web::test]
async fn h16_h17_h18_h20_get_stream_rules() {
    let h = harness(&[]);
    let svc = service!(h);
    let id = open_session(&svc, "2025-11-25").await;
    let get = |accept: &str, sid: Option<&str>| {
        let mut r = TestRequest::get()
            .uri("/mcp")
            .insert_header(HOST)
            .insert_header(("Accept", accept.to_string()));
        if let Some(s) = sid {
            r = r.insert_header(("Mcp-Session-Id", s));
        }
        r.to_request()
    };
    let resp = test::call_service(&svc, get("application/json", Some(&id))).await;
    assert_eq!(resp.status(), StatusCode::NOT_ACCEPTABLE, "H17");
    let resp = test::call_service(&svc, get("text/event-stream", None)).await;
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
    let resp = test::call_service(&svc, get("application/json", None)).await;
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED, "H20");
    assert!(resp.headers().get(header::ALLOW).is_some());
    let stream = test::call_service(&svc, get("text/event-stream", Some(&id))).await;
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
    let second = test::call_service(&svc, get("text/event-stream", Some(&id))).await;
    assert_eq!(second.status(), StatusCode::CONFLICT, "H18");
    let resp = test::call_service(&svc, get("text/event-stream", Some("unknown"))).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND, "H23 on GET");
    drop(stream);
}

#[actix_web::test]
async fn h2_h3_h33_origin_host_and_cors() {
    let h = harness(&[]);
    let svc = service!(h);
    let body = init_body("2025-11-25");
    let req = post(&body)
        .insert_header(("Origin", "http://evil.example.com"))
        .to_request();
    assert_eq!(
        test::call_service(&svc, req).await.status(),
        StatusCode::FORBIDDEN,
        "H2"
    );
    // DNS rebinding probe: foreign Host + Origin → 4xx; loopback Host + Origin → 2xx.
    let req = TestRequest::post()
        .uri("/mcp")
        .insert_header(("Host", "evil.example.com"))
        .insert_header(("Origin", "http://evil.example.com"))
        .insert_header(ACCEPT_BOTH)
        .insert_header(("Content-Type", "application/json"))
        .set_payload(body.to_string())
        .to_request();
    assert_eq!(
        test::call_service(&svc, req).await.status(),
        StatusCode::FORBIDDEN,
        "H3"
    );
    let req = post(&body)
        .insert_header(("Origin", "http://127.0.0.1:3000"))
        .to_request();
    let resp = test::call_service(&svc, req).await;
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
        .insert_header(("Access-Control-Request-Method", "POST"))
        .to_request();
    let resp = test::call_service(&svc, preflight).await;
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
    let h = harness(&[
        ("TINYTASK_ALLOWED_HOSTS", "tasks.example.com"),
        ("TINYTASK_ALLOWED_ORIGINS", "https://app.example.com"),
    ]);
    let svc = service!(h);
    let req = TestRequest::post()
        .uri("/mcp")
        .insert_header(("Host", "tasks.example.com"))
        .insert_header(("Origin", "https://app.example.com"))
        .insert_header(ACCEPT_BOTH)
        .insert_header(("Content-Type", "application/json"))
        .set_payload(init_body("2025-11-25").to_string())
        .to_request();
    assert_eq!(test::call_service(&svc, req).await.status(), StatusCode::OK);
    let req = post(&init_body("2025-11-25")).to_request(); // Host 127.0.0.1 is no longer listed
    assert_eq!(
        test::call_service(&svc, req).await.status(),
        StatusCode::FORBIDDEN
    );
}

#[actix_web::test]
async fn bearer_token_is_required_except_for_health() {
    let h = harness(&[("TINYTASK_AUTH_TOKEN", "s3cret")]);
    let svc = service!(h);
    let resp = test::call_service(&svc, post(&init_body("2025-11-25")).to_request()).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert!(
        resp.headers()
            .get(header::WWW_AUTHENTICATE)
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    let wrong = post(&init_body("2025-11-25"))
        .insert_header(("Authorization", "Bearer nope"))
        .to_request();
    assert_eq!(
        test::call_service(&svc, wrong).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let right = post(&init_body("2025-11-25"))
        .insert_header(("Authorization", "Bearer s3cret"))
        .to_request();
    assert_eq!(
        test::call_service(&svc, right).await.status(),
        StatusCode::OK
    );
    let sse = TestRequest::get()
        .uri("/sse")
        .insert_header(HOST)
        .to_request();
    assert_eq!(
        test::call_service(&svc, sse).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let health = TestRequest::get().uri("/health").to_request();
    assert_eq!(
        test::call_service(&svc, health).await.status(),
        StatusCode::OK
    );
}

#[actix_web::test]
async fn e2_e4_e5_legacy_endpoint_event_and_message_rules() {
    let h = harness(&[]);
    let svc = service!(h);
    let resp = test::call_service(
        &svc,
        TestRequest::get()
            .uri("/sse")
            .insert_header(HOST)
            .to_request(),
    )
    .await;
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
            .to_request()
    };
    let resp = test::call_service(&svc, msg("/messages".into())).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "E5 missing id");
    let resp = test::call_service(&svc, msg("/messages?sessionId=unknown".into())).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND, "E5 unknown id");
    let resp = test::call_service(&svc, msg(format!("/messages?sessionId={id}"))).await;
    assert_eq!(resp.status(), StatusCode::ACCEPTED, "E4");
    assert_eq!(test::read_body(resp).await, "Accepted");
    // A Streamable HTTP id is not a legacy session.
    let streamable = open_session(&svc, "2025-11-25").await;
    let resp = test::call_service(&svc, msg(format!("/messages?sessionId={streamable}"))).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn h27_sessions_expire_and_are_capped() {
    let h = harness(&[
        ("TINYTASK_SESSION_IDLE_SECS", "1"),
        ("TINYTASK_MAX_SESSIONS", "2"),
    ]);
    let svc = service!(h);
    let ping = json!({"jsonrpc": "2.0", "id": 1, "method": "ping"});
    // Both sessions make a request, so neither can be evicted: the third initialize is refused.
    let first = open_session(&svc, "2025-11-25").await;
    let second = open_session(&svc, "2025-11-25").await;
    for id in [&first, &second] {
        let req = post(&ping).insert_header(("Mcp-Session-Id", id.as_str()));
        assert_eq!(
            test::call_service(&svc, req.to_request()).await.status(),
            StatusCode::OK
        );
    }
    let resp = test::call_service(&svc, post(&init_body("2025-11-25")).to_request()).await;
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(resp.headers().get(header::RETRY_AFTER).is_some());
    tokio::time::sleep(std::time::Duration::from_millis(1300)).await;
    let resp = test::call_service(
        &svc,
        post(&ping)
            .insert_header(("Mcp-Session-Id", first.as_str()))
            .to_request(),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND, "expired");
}

#[actix_web::test]
async fn health_reports_checks_and_sessions_and_unknown_routes_are_json_404() {
    let h = harness(&[]);
    let svc = service!(h);
    open_session(&svc, "2025-11-25").await;
    let resp = test::call_service(&svc, TestRequest::get().uri("/health").to_request()).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body = json_body(resp).await;
    assert_eq!(body["status"], "healthy");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(body["database"]["query"], "ok");
    assert_eq!(body["sessions"]["streamable_http"], 1);
    assert!(body["uptime_seconds"].is_number());
    let resp = test::call_service(
        &svc,
        TestRequest::get()
            .uri("/nope")
            .insert_header(HOST)
            .to_request(),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert!(json_body(resp).await["error"].is_string());
}

#[actix_web::test]
async fn health_is_503_when_the_database_file_is_gone_and_writes_fail() {
    let h = harness(&[]);
    let svc = service!(h);
    let id = open_session(&svc, "2025-11-25").await;
    let health = || {
        TestRequest::get()
            .uri("/health")
            .insert_header(HOST)
            .to_request()
    };
    assert_eq!(
        test::call_service(&svc, health()).await.status(),
        StatusCode::OK
    );
    std::fs::remove_file(&h.state.db_path).unwrap();
    let resp = test::call_service(&svc, health()).await;
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body = json_body(resp).await;
    assert_eq!(body["status"], "unhealthy");
    assert_eq!(body["failing"], json!(["database.file"]), "{body}");

    // A write into the removed file is refused (never acknowledged into a file nobody can open again),
    // and the write path is reported as failing.
    let call = json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call",
                      "params": {"name": "create_task", "arguments": {"title": "t", "created_by": "me"}}});
    let resp = test::call_service(&svc, post_in(&id, &call).to_request()).await;
    let reply = json_body(resp).await;
    assert_eq!(reply["result"]["isError"], true, "{reply}");
    let body = json_body(test::call_service(&svc, health()).await).await;
    assert_eq!(
        body["failing"],
        json!(["database.file", "database.writable"]),
        "{body}"
    );
    let error = body["database"]["writable"]["error"].as_str().unwrap();
    assert!(error.contains("was removed or replaced"), "{error}");
}
