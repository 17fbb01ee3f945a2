//! In-process harness shared by the HTTP integration tests: an `AppState` on a fresh database, request
//! builders and the initialize handshake.
#![allow(dead_code)] // each test binary uses a different subset

use actix_web::body::MessageBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::test::{self, TestRequest};
use actix_web::web;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use tinytask::config::Config;
use tinytask::domain::Board;
use tinytask::mcp::Engine;
use tinytask::transports::http::AppState;

pub struct Harness {
    _dir: tempfile::TempDir,
    pub state: web::Data<AppState>,
    _shutdown: tokio::sync::watch::Sender<bool>,
}

/// Shared state on a fresh database, with the shutdown sender that keeps SSE streams open while held.
pub fn raw_state(
    vars: &[(&str, &str)],
) -> (
    tempfile::TempDir,
    AppState,
    tokio::sync::watch::Sender<bool>,
) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let mut map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    map.insert("TINYTASK_DB_PATH".into(), db.display().to_string());
    let config = Config::from_lookup(|k| map.get(k).cloned()).unwrap();
    let engine = Engine::new(Board::new(tinytask::db::open(&db, 2).unwrap()));
    let (tx, rx) = tokio::sync::watch::channel(false);
    let state = AppState::new(&config, engine, rx, Arc::new(AtomicBool::new(false)));
    (dir, state, tx)
}

pub fn harness(vars: &[(&str, &str)]) -> Harness {
    let (dir, state, tx) = raw_state(vars);
    Harness {
        _dir: dir,
        state: web::Data::new(state),
        _shutdown: tx,
    }
}

pub const ACCEPT_BOTH: (&str, &str) = ("Accept", "application/json, text/event-stream");
pub const HOST: (&str, &str) = ("Host", "127.0.0.1:3000");

pub fn init_body(version: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
           "params": {"protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}})
}

pub fn post(body: &Value) -> TestRequest {
    TestRequest::post()
        .uri("/mcp")
        .insert_header(HOST)
        .insert_header(ACCEPT_BOTH)
        .insert_header(("Content-Type", "application/json"))
        .set_payload(body.to_string())
}

/// `post` on an established Streamable HTTP session.
pub fn post_in(session_id: &str, body: &Value) -> TestRequest {
    post(body).insert_header(("Mcp-Session-Id", session_id))
}

pub async fn json_body(resp: ServiceResponse<impl MessageBody>) -> Value {
    let bytes = test::read_body(resp).await;
    serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&bytes)))
}

/// First chunk of a streaming body (SSE), without waiting for its end. The body is returned too: dropping
/// it closes the stream (and ends a legacy session).
pub async fn first_chunk<B: MessageBody>(
    resp: ServiceResponse<B>,
) -> (String, std::pin::Pin<Box<B>>) {
    let mut body = Box::pin(resp.into_body());
    let chunk = std::future::poll_fn(|cx| body.as_mut().poll_next(cx)).await;
    match chunk {
        Some(Ok(bytes)) => (String::from_utf8_lossy(&bytes).into_owned(), body),
        _ => panic!("stream ended without data"),
    }
}

#[macro_export]
macro_rules! service {
    ($h:expr) => {
        actix_web::test::init_service(tinytask::transports::http::app($h.state.clone())).await
    };
}

/// initialize → session id (H21).
pub async fn open_session(
    svc: &impl actix_web::dev::Service<
        actix_http::Request,
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
    >,
    version: &str,
) -> String {
    let resp = test::call_service(svc, post(&init_body(version)).to_request()).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let id = resp
        .headers()
        .get("mcp-session-id")
        .expect("H21: session id on the initialize response")
        .to_str()
        .unwrap()
        .to_string();
    let notify = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    let resp = test::call_service(
        svc,
        post(&notify)
            .insert_header(("Mcp-Session-Id", id.as_str()))
            .to_request(),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    id
}
