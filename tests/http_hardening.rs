//! Reliability rules of the HTTP layer (docs/HTTP.md "Limits"): session exhaustion (eviction of unused
//! sessions, fast expiry), Host/Origin strictness (also on /health), bearer scheme case, id echo in
//! transport-level errors, and the header/body timeouts on a real listening server.

use actix_web::http::{StatusCode, header};
use actix_web::test::TestRequest;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

mod support;
use support::*;

fn ping(id: &Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "ping"})
}

#[actix_web::test]
async fn a_flood_of_initializes_never_locks_out_new_clients_or_evicts_active_sessions() {
    let app = TestApp::with(&[("TINYTASK_MAX_SESSIONS", "20")]).await;
    let active = app.open_session("2025-11-25").await;
    let req = post(&ping(&json!(1))).insert_header(("Mcp-Session-Id", active.as_str()));
    assert_eq!(app.status(req).await, StatusCode::OK);
    let started = Instant::now();
    for _ in 0..500 {
        let resp = app.send(post(&init_body("2025-11-25"))).await;
        assert_eq!(
            resp.status(),
            StatusCode::OK,
            "a flood initialize is served"
        );
    }
    let flood = started.elapsed();
    let started = Instant::now();
    let fresh = app.open_session("2025-11-25").await;
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(
        app.state.sessions.counts().0,
        20,
        "the cap holds ({flood:?})"
    );
    for (id, n) in [(&active, 2), (&fresh, 3)] {
        let req = post(&ping(&json!(n))).insert_header(("Mcp-Session-Id", id.as_str()));
        let resp = app.send(req).await;
        assert_eq!(resp.status(), StatusCode::OK, "active sessions survive");
    }
}

#[actix_web::test]
async fn only_when_every_session_is_used_initialize_and_sse_get_503_with_retry_after() {
    let app = TestApp::with(&[("TINYTASK_MAX_SESSIONS", "2")]).await;
    for n in 0..2 {
        let id = app.open_session("2025-11-25").await;
        let req = post(&ping(&json!(n))).insert_header(("Mcp-Session-Id", id.as_str()));
        assert_eq!(app.status(req).await, StatusCode::OK);
    }
    let resp = app.send(post(&init_body("2025-11-25"))).await;
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(resp.headers().get(header::RETRY_AFTER).unwrap(), "30");
    let sse = get("/sse");
    let resp = app.send(sse).await;
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE, "legacy too");
    assert_eq!(resp.headers().get(header::RETRY_AFTER).unwrap(), "30");
}

#[actix_web::test]
async fn an_unused_legacy_stream_is_evicted_and_its_stream_ends() {
    let app = TestApp::with(&[("TINYTASK_MAX_SESSIONS", "1")]).await;
    let sse = || get("/sse");
    let resp = app.send(sse()).await;
    let (first, mut lurker) = first_chunk(resp).await;
    assert!(first.starts_with("event: endpoint"), "{first}");
    let resp = app.send(post(&init_body("2025-11-25"))).await;
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "the unused legacy session made room"
    );
    // The evicted stream ends (its channel is closed), well before any keep-alive.
    let ended = tokio::time::timeout(Duration::from_secs(2), async {
        use actix_web::body::MessageBody;
        while let Some(chunk) = std::future::poll_fn(|cx| lurker.as_mut().poll_next(cx)).await {
            assert!(chunk.is_ok(), "stream error");
        }
    })
    .await;
    assert!(ended.is_ok(), "the evicted legacy stream did not end");
}

#[actix_web::test]
async fn unused_sessions_expire_after_the_short_timeout_used_ones_do_not() {
    let app = TestApp::with(&[("TINYTASK_UNUSED_SESSION_SECS", "1")]).await;
    let unused = app.open_session("2025-11-25").await;
    let used = app.open_session("2025-11-25").await;
    let req = post(&ping(&json!(1))).insert_header(("Mcp-Session-Id", used.as_str()));
    assert_eq!(app.status(req).await, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(1300)).await;
    for (id, want) in [(&unused, StatusCode::NOT_FOUND), (&used, StatusCode::OK)] {
        let req = post(&ping(&json!(2))).insert_header(("Mcp-Session-Id", id.as_str()));
        assert_eq!(app.status(req).await, want);
    }
}

fn health(host: Option<&str>) -> TestRequest {
    let req = TestRequest::get().uri("/health");
    match host {
        Some(h) => req.insert_header(("Host", h)),
        None => req,
    }
}

#[actix_web::test]
async fn health_applies_the_host_allow_list_but_keeps_the_healthcheck_working() {
    let app = TestApp::spawn().await;
    for (host, want) in [
        (Some("evil.com"), StatusCode::FORBIDDEN),
        (Some("[::1]evil.com"), StatusCode::FORBIDDEN),
        (Some("127.0.0.1:3000"), StatusCode::OK), // what `tinytask healthcheck` sends
        (Some("localhost:3000"), StatusCode::OK),
        (None, StatusCode::OK),
    ] {
        let resp = app.send(health(host)).await;
        assert_eq!(resp.status(), want, "Host {host:?}");
        if want == StatusCode::FORBIDDEN {
            let body = json_body(resp).await;
            assert!(body.get("database").is_none(), "no health details: {body}");
        }
    }
    // A public name list (reverse proxy): the container's healthcheck on 127.0.0.1 still works.
    let app = TestApp::with(&[("TINYTASK_ALLOWED_HOSTS", "tasks.example.com")]).await;
    for (host, want) in [
        ("tasks.example.com", StatusCode::OK),
        ("127.0.0.1:3000", StatusCode::OK),
        ("evil.com", StatusCode::FORBIDDEN),
    ] {
        let resp = app.send(health(Some(host))).await;
        assert_eq!(resp.status(), want, "Host {host:?}");
    }
    // Bound to 0.0.0.0 (the image) with the default list: any Host, like every other endpoint.
    let app = TestApp::with(&[("TINYTASK_HOST", "0.0.0.0")]).await;
    let resp = app.send(health(Some("tinytask:3000"))).await;
    assert_eq!(resp.status(), StatusCode::OK);
}

#[actix_web::test]
async fn malformed_host_and_origin_values_are_403() {
    let app = TestApp::spawn().await;
    for host in [
        "[::1]evil.com",
        "localhost:80@evil.com",
        "127.0.0.1:80:evil.com",
        "localhost:abc",
        "localhost/x",
    ] {
        let req = post(&init_body("2025-11-25")).insert_header(("Host", host));
        let resp = app.send(req).await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "Host {host:?}");
    }
    for origin in [
        "http://127.0.0.1:80:evil.com",
        "http://localhost:80@evil.com",
        "http://[::1]evil.com",
        "null",
    ] {
        let req = post(&init_body("2025-11-25")).insert_header(("Origin", origin));
        let resp = app.send(req).await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "Origin {origin:?}");
    }
    for (host, origin) in [
        ("localhost:3000", "http://localhost:3000"),
        ("[::1]:3000", "http://[::1]:3000"),
        ("localhost", "https://localhost"),
    ] {
        let req = post(&init_body("2025-11-25"))
            .insert_header(("Host", host))
            .insert_header(("Origin", origin));
        let resp = app.send(req).await;
        assert_eq!(
            resp.status(),
            StatusCode::OK,
            "Host {host:?} Origin {origin:?}"
        );
    }
}

#[actix_web::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let app = TestApp::with(&[("TINYTASK_AUTH_TOKEN", "s3cret")]).await;
    for (value, want) in [
        ("BEARER s3cret", StatusCode::OK),
        ("bearer s3cret", StatusCode::OK),
        ("Bearer  s3cret", StatusCode::OK),
        ("Basic s3cret", StatusCode::UNAUTHORIZED),
        ("BEARER wrong", StatusCode::UNAUTHORIZED),
    ] {
        let req = post(&init_body("2025-11-25")).insert_header(("Authorization", value));
        let resp = app.send(req).await;
        assert_eq!(resp.status(), want, "Authorization: {value}");
    }
}

#[actix_web::test]
async fn transport_rejections_echo_the_request_id() {
    let app = TestApp::spawn().await;
    let session = app.open_session("2025-11-25").await;
    let cases = [
        // bad MCP-Protocol-Version (H30)
        (
            post(&ping(&json!(7)))
                .insert_header(("Mcp-Session-Id", session.as_str()))
                .insert_header(("MCP-Protocol-Version", "1999-01-01")),
            StatusCode::BAD_REQUEST,
            json!(7),
        ),
        // missing session (H22)
        (
            post(&ping(&json!("abc"))),
            StatusCode::BAD_REQUEST,
            json!("abc"),
        ),
        // unknown session (H23)
        (
            post(&ping(&json!(0))).insert_header(("Mcp-Session-Id", "nope")),
            StatusCode::NOT_FOUND,
            json!(0),
        ),
        // a batch has no single id
        (
            post(&json!([ping(&json!(1)), ping(&json!(2))])),
            StatusCode::BAD_REQUEST,
            Value::Null,
        ),
    ];
    for (req, status, id) in cases {
        let resp = app.send(req).await;
        assert_eq!(resp.status(), status);
        let body = json_body(resp).await;
        assert_eq!(body["id"], id, "{body}");
        assert!(body["error"]["code"].is_number(), "{body}");
    }
}

// The timeouts live in actix's connection handling, so these tests talk to the real listener.

/// Reads until the server closes the connection (or `limit` passes); returns what was read.
async fn read_until_closed(stream: &mut tokio::net::TcpStream, limit: Duration) -> Option<String> {
    let mut got = Vec::new();
    let read = tokio::time::timeout(limit, stream.read_to_end(&mut got)).await;
    read.ok()
        .map(|_| String::from_utf8_lossy(&got).into_owned())
}

#[actix_web::test]
async fn a_trickling_body_gets_408_and_the_connection_is_closed() {
    let app = TestApp::with(&[("TINYTASK_BODY_TIMEOUT_SECS", "1")]).await;
    let port = app.address.port();
    let mut stream = tokio::net::TcpStream::connect(app.address).await.unwrap();
    let head = format!(
        "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n\
         Accept: application/json\r\nContent-Length: 100\r\n\r\n{{\"js"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let answer = read_until_closed(&mut stream, Duration::from_secs(5))
        .await
        .expect("the server did not close the slow connection");
    let took = started.elapsed();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("TINYTASK_BODY_TIMEOUT_SECS"), "{answer}");
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(3),
        "{took:?}"
    );
}

#[actix_web::test]
async fn incomplete_headers_are_cut_after_the_header_timeout() {
    let app = TestApp::with(&[("TINYTASK_HEADER_TIMEOUT_SECS", "1")]).await;
    let mut stream = tokio::net::TcpStream::connect(app.address).await.unwrap();
    stream.write_all(b"POST /mcp HTTP/1.1\r\nHo").await.unwrap();
    let started = Instant::now();
    let answer = read_until_closed(&mut stream, Duration::from_secs(5))
        .await
        .expect("the server did not close the connection");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
}
