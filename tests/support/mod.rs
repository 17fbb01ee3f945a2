//! The one harness of the integration tests: [`TestApp`] builds a server through `tinytask::startup` (the
//! code `tinytask serve` runs) on a fresh database and a free port, runs it, and offers requests both
//! in-process (actix's test service on the server's own shared state: fast, and SSE bodies can be read
//! chunk by chunk) and over the real socket ([`TestApp::address`]), plus the MCP steps tests repeat.
#![allow(dead_code)] // each test binary uses a different subset

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::test::{self, TestRequest};
use actix_web::web;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use tinytask::config::Config;
use tinytask::startup::Application;
use tinytask::transports::http::AppState;

pub const ACCEPT_BOTH: (&str, &str) = ("Accept", "application/json, text/event-stream");
pub const HOST: (&str, &str) = ("Host", "127.0.0.1:3000");

/// A running server on its own temporary database; stopped (SSE streams ended, database checkpointed)
/// when dropped.
pub struct TestApp {
    /// The state every worker shares: sessions, settings, the engine.
    pub state: web::Data<AppState>,
    /// Where the real listener is bound (127.0.0.1, a free port).
    pub address: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

impl TestApp {
    /// The SQLite file the server uses (every TestApp has its own, in a temporary directory).
    pub fn db_file(&self) -> &std::path::Path {
        match &self.state.database {
            tinytask::db::Database::Sqlite(path) => path,
            tinytask::db::Database::Postgres(url) => panic!("TestApp serves SQLite, not {url}"),
        }
    }

    /// A server with the default configuration.
    pub async fn spawn() -> TestApp {
        Self::with(&[]).await
    }

    /// A server with these environment variables set (on top of a fresh TINYTASK_DB_PATH, HTTP mode
    /// on 127.0.0.1).
    pub async fn with(vars: &[(&str, &str)]) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let mut env: HashMap<String, String> = [
            ("TINYTASK_MODE", "http".to_string()),
            ("TINYTASK_HOST", "127.0.0.1".to_string()),
            (
                "TINYTASK_DB_PATH",
                dir.path().join("t.db").display().to_string(),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        env.extend(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let mut config = Config::from_lookup(|k| env.get(k).cloned()).unwrap();
        // A free port, so tests run in parallel (the variable itself only accepts 1-65535).
        config.port = 0;
        let app = Application::build(config).await.unwrap();
        let state = app.http_state().expect("HTTP mode");
        let address = app.address().expect("HTTP mode");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        actix_web::rt::spawn(app.run_until_stopped(async {
            let _ = stopped.await;
        }));
        TestApp {
            state,
            address,
            stop: Some(stop),
            _dir: dir,
        }
    }

    /// Sends `req` in-process through the server's middleware and routes.
    pub async fn send(&self, req: TestRequest) -> ServiceResponse<BoxBody> {
        let svc = test::init_service(tinytask::transports::http::app(self.state.clone())).await;
        test::call_service(&svc, req.to_request())
            .await
            .map_into_boxed_body()
    }

    /// The status `req` gets.
    pub async fn status(&self, req: TestRequest) -> StatusCode {
        self.send(req).await.status()
    }

    /// POST /mcp of `body`, outside any session.
    pub async fn post(&self, body: &Value) -> ServiceResponse<BoxBody> {
        self.send(post(body)).await
    }

    /// POST /mcp of `body` on the Streamable HTTP session `session`.
    pub async fn post_in(&self, session: &str, body: &Value) -> ServiceResponse<BoxBody> {
        self.send(post_in(session, body)).await
    }

    /// initialize + notifications/initialized → the session id (H21).
    pub async fn open_session(&self, version: &str) -> String {
        let resp = self.post(&init_body(version)).await;
        assert_eq!(resp.status(), StatusCode::OK);
        let id = resp
            .headers()
            .get("mcp-session-id")
            .expect("H21: session id on the initialize response")
            .to_str()
            .unwrap()
            .to_string();
        let notify = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
        assert_eq!(
            self.post_in(&id, &notify).await.status(),
            StatusCode::ACCEPTED
        );
        id
    }

    /// tools/call of `name` on `session` → the JSON-RPC response object.
    pub async fn call_tool(&self, session: &str, name: &str, arguments: Value) -> Value {
        let call = json!({"jsonrpc": "2.0", "id": name, "method": "tools/call",
                          "params": {"name": name, "arguments": arguments}});
        let resp = self.post_in(session, &call).await;
        assert_eq!(resp.status(), StatusCode::OK, "{name}");
        json_body(resp).await
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

pub fn init_body(version: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
           "params": {"protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}})
}

/// A well-formed POST /mcp of `body` (loopback Host, both Accept types, JSON content type).
pub fn post(body: &Value) -> TestRequest {
    TestRequest::post()
        .uri("/mcp")
        .insert_header(HOST)
        .insert_header(ACCEPT_BOTH)
        .insert_header(("Content-Type", "application/json"))
        .set_payload(body.to_string())
}

/// POST /mcp of `payload` with exactly `headers` (for the tests of the header rules).
pub fn post_with(headers: &[(&str, &str)], payload: impl Into<String>) -> TestRequest {
    headers
        .iter()
        .fold(TestRequest::post().uri("/mcp"), |req, (name, value)| {
            req.insert_header((*name, *value))
        })
        .set_payload(payload.into())
}

/// `post` on an established Streamable HTTP session.
pub fn post_in(session_id: &str, body: &Value) -> TestRequest {
    post(body).insert_header(("Mcp-Session-Id", session_id))
}

/// A GET of `uri` with the loopback Host.
pub fn get(uri: &str) -> TestRequest {
    TestRequest::get().uri(uri).insert_header(HOST)
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
