//! Shared harness for the TinyTask fuzz targets (see `fuzz_targets/` and `scripts/fuzz.sh`).
//!
//! Oracles, besides "no panic" (libfuzzer-sys aborts on any panic, even one the engine would turn into a
//! -32603 answer on its spawned task), "no hang" (libFuzzer `-timeout`) and "no unbounded memory"
//! (libFuzzer `-rss_limit_mb`):
//! * every reply the engine produces is one valid JSON-RPC 2.0 message echoing the request id;
//! * nothing logs at ERROR level: the server only does that for server-side failures (a database error,
//!   a handler panic, a serialization failure), never for bad client input.

use serde_json::{Value, json};
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};
use tinytask::domain::Board;
use tinytask::mcp::tools::ToolRegistry;
use tinytask::mcp::{Engine, Session};
use tokio::runtime::Runtime;

/// Protocol versions the tool target's sessions negotiate (selected by the first input byte, see
/// [`Harness::tool_call`]); the first is the one the seed corpus uses.
pub const SESSION_VERSIONS: [&str; 3] = ["2025-11-25", "2025-03-26", "2024-11-05"];

/// One engine against one temporary database, built once per fuzzing process.
pub struct Harness {
    pub rt: Runtime,
    pub engine: Arc<Engine>,
    /// Initialized sessions, one per [`SESSION_VERSIONS`] entry.
    pub sessions: Vec<Arc<Session>>,
    /// Tool names, sorted (so adding a tool in the catalog shifts as few seeds as possible).
    pub tools: Vec<&'static str>,
    next_id: AtomicU64,
    _dir: tempfile::TempDir,
}

static HARNESS: OnceLock<Harness> = OnceLock::new();

/// The process-wide harness (created on first use).
pub fn harness() -> &'static Harness {
    HARNESS.get_or_init(Harness::new)
}

impl Harness {
    fn new() -> Self {
        install_error_oracle();
        let dir = tempfile::Builder::new()
            .prefix("tinytask-fuzz-")
            .tempdir()
            .expect("temp dir for the fuzz database");
        let pool =
            tinytask::db::open(&dir.path().join("fuzz.db"), 2).expect("open the fuzz database");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");
        let engine = rt.block_on(async { Engine::new(Board::new(pool)) });
        let mut tools: Vec<&'static str> = ToolRegistry::new().names().collect();
        tools.sort_unstable();
        let harness = Harness {
            rt,
            engine,
            sessions: Vec::new(),
            tools,
            next_id: AtomicU64::new(1),
            _dir: dir,
        };
        let sessions = SESSION_VERSIONS
            .iter()
            .map(|v| harness.initialized_session(v))
            .collect();
        let harness = Harness {
            sessions,
            ..harness
        };
        harness.populate();
        harness
    }

    /// A small board so that the seeds' ids (1..=6 for tasks, 1..=3 for comments and links) exist and
    /// queues, subtasks, blockers and assignees are there to be found.
    fn populate(&self) {
        let calls = [
            (
                "create_task",
                json!({"title": "Root", "created_by": "alice", "queue_name": "dev", "tags": ["a"]}),
            ),
            (
                "create_task",
                json!({"title": "Blocker", "created_by": "bob", "assigned_to": "bob", "priority": 2}),
            ),
            (
                "create_subtask",
                json!({"parent_task_id": 1, "title": "Child", "created_by": "alice"}),
            ),
            (
                "create_subtask",
                json!({"parent_task_id": 3, "title": "Grandchild", "created_by": "alice"}),
            ),
            (
                "create_task",
                json!({"title": "Blocked", "created_by": "carol", "blocked_by_task_id": 2,
                                   "queue_name": "qa", "assigned_to": "alice"}),
            ),
            (
                "create_task",
                json!({"title": "Spare", "created_by": "dave", "description": "for deletes"}),
            ),
            (
                "add_comment",
                json!({"task_id": 1, "content": "first", "created_by": "bob"}),
            ),
            ("add_comment", json!({"task_id": 1, "content": "second"})),
            ("add_comment", json!({"task_id": 2, "content": "third"})),
            (
                "add_link",
                json!({"task_id": 1, "url": "https://example.com/1", "description": "one"}),
            ),
            (
                "add_link",
                json!({"task_id": 1, "url": "https://example.com/2"}),
            ),
            (
                "add_link",
                json!({"task_id": 2, "url": "https://example.com/3"}),
            ),
            (
                "update_task",
                json!({"id": 2, "status": "working", "changed_by": "bob"}),
            ),
        ];
        for (tool, args) in calls {
            let index = self
                .tools
                .iter()
                .position(|t| *t == tool)
                .expect("known tool");
            let mut input = vec![index as u8];
            input.extend_from_slice(args.to_string().as_bytes());
            self.tool_call(&input);
        }
    }

    fn initialized_session(&self, version: &str) -> Arc<Session> {
        let session = Arc::new(Session::new());
        let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "fuzz", "version": "0"}}});
        let reply = self.handle(&session, init).expect("initialize is answered");
        assert_eq!(
            reply["result"]["protocolVersion"], version,
            "initialize failed: {reply}"
        );
        let done = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
        assert!(self.handle(&session, done).is_none());
        session
    }

    /// Runs one message through the engine; returns the reply parsed back from its wire text.
    pub fn handle(&self, session: &Arc<Session>, message: Value) -> Option<Value> {
        let reply = self
            .rt
            .block_on(self.engine.handle_value(session, message))?;
        let text = reply.into_string();
        if debug() {
            eprintln!("reply: {text}");
        }
        Some(check_wire_message(&text))
    }

    /// Target 2: byte 0 picks the tool (`tools[b % n]`) and the session/protocol version
    /// (`(b / n) % versions`); the rest, if it is JSON, is the `arguments` value of a `tools/call`.
    pub fn tool_call(&self, data: &[u8]) {
        let Some((&selector, rest)) = data.split_first() else {
            return;
        };
        let Ok(mut arguments) = serde_json::from_slice::<Value>(rest) else {
            return;
        };
        let n = self.tools.len();
        let tool = self.tools[selector as usize % n];
        bound_wait(tool, &mut arguments);
        let session = &self.sessions[(selector as usize / n) % self.sessions.len()];
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let request = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": {"name": tool, "arguments": arguments}});
        let reply = self
            .handle(session, request)
            .unwrap_or_else(|| panic!("tools/call {tool} got no reply"));
        assert_eq!(reply["id"], json!(id), "reply id: {reply}");
        // A known tool with object params is always a result; failures are `isError` results (T5).
        let result = reply
            .get("result")
            .unwrap_or_else(|| panic!("tools/call {tool} answered with a JSON-RPC error: {reply}"));
        let content = result["content"]
            .as_array()
            .unwrap_or_else(|| panic!("{tool}: result without content: {reply}"));
        assert!(!content.is_empty(), "{tool}: empty content: {reply}");
        let is_error = result.get("isError").and_then(Value::as_bool) == Some(true);
        if !is_error {
            // The text content of a success is the JSON of the tool's output.
            let text = content[0]["text"]
                .as_str()
                .unwrap_or_else(|| panic!("{tool}: content[0] is not text: {reply}"));
            let parsed: Value = serde_json::from_str(text)
                .unwrap_or_else(|e| panic!("{tool}: content text is not JSON ({e}): {reply}"));
            if let Some(structured) = result.get("structuredContent") {
                assert_eq!(
                    structured, &parsed,
                    "{tool}: structuredContent differs from text"
                );
            }
        }
    }

    /// Target 1, part 2: the stdio transport (line framing, lifecycle, concurrency) over `data` as stdin,
    /// with a fresh session each time. Every line it writes must be one JSON-RPC message.
    pub fn stdio(&self, data: &[u8]) {
        let out = SharedBuf::default();
        let engine = Arc::clone(&self.engine);
        let input = data.to_vec();
        self.rt
            .block_on(tinytask::transports::stdio::serve_io(
                engine,
                &input[..],
                out.clone(),
            ))
            .expect("serve_io on an in-memory pipe");
        let written = out.0.lock().unwrap();
        assert!(
            written.is_empty() || written.ends_with(b"\n"),
            "stdio output does not end with a newline"
        );
        let text = std::str::from_utf8(&written).expect("stdio output is UTF-8");
        for line in text.lines() {
            check_wire_message(line);
        }
    }
}

/// TINYTASK_FUZZ_DEBUG=1 prints every engine reply to stderr (to see what an input does).
fn debug() -> bool {
    static DEBUG: OnceLock<bool> = OnceLock::new();
    *DEBUG.get_or_init(|| std::env::var_os("TINYTASK_FUZZ_DEBUG").is_some_and(|v| v == "1"))
}

/// Target 1, part 1: bytes → JSON → `jsonrpc::decode`, with the error reply it would produce.
pub fn decode(data: &[u8]) {
    use tinytask::mcp::jsonrpc::{self, Message};
    let Ok(value) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let items = match &value {
        Value::Array(items) => items.clone(),
        _ => Vec::new(),
    };
    for value in std::iter::once(value).chain(items) {
        match jsonrpc::decode(value) {
            Ok(Message::Request { id, params, .. }) => {
                assert!(id.is_string() || id.is_i64() || id.is_u64(), "bad id {id}");
                assert!(params.is_object(), "params {params}");
            }
            Ok(Message::Notification { params, .. }) => assert!(params.is_object(), "{params}"),
            Ok(Message::Response) => {}
            Err((id, err)) => {
                assert!(
                    id.is_null() || id.is_string() || id.is_number(),
                    "error id {id}"
                );
                assert!(
                    err.code == -32600 || err.code == -32602,
                    "code {}",
                    err.code
                );
                let reply = check_wire_message(&jsonrpc::failure(&id, &err).into_string());
                assert_eq!(reply["id"], id);
            }
        }
    }
}

/// A reply on the wire: one line of JSON, a JSON-RPC 2.0 object (or a batch of them).
fn check_wire_message(text: &str) -> Value {
    assert!(!text.contains('\n'), "reply contains a raw newline: {text}");
    let value: Value =
        serde_json::from_str(text).unwrap_or_else(|e| panic!("reply is not JSON ({e}): {text}"));
    let check = |m: &Value| {
        assert_eq!(m["jsonrpc"], "2.0", "not JSON-RPC 2.0: {text}");
        let is_reply = m.get("result").is_some() ^ m.get("error").is_some();
        assert!(
            is_reply || m.get("method").is_some(),
            "neither reply nor notification: {text}"
        );
    };
    match &value {
        Value::Array(items) => {
            assert!(!items.is_empty(), "empty batch reply");
            items.iter().for_each(check);
        }
        other => check(other),
    }
    value
}

/// An in-memory `AsyncWrite` whose bytes stay readable after `serve_io` consumed the writer.
#[derive(Clone, Default)]
struct SharedBuf(Arc<Mutex<Vec<u8>>>);

impl tokio::io::AsyncWrite for SharedBuf {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// Aborts (a libFuzzer crash) on any ERROR-level `tracing` event; set TINYTASK_FUZZ_ALLOW_ERROR_LOGS=1 to
/// only print them.
fn install_error_oracle() {
    let fatal = std::env::var_os("TINYTASK_FUZZ_ALLOW_ERROR_LOGS").is_none_or(|v| v != "1");
    let _ = tracing::subscriber::set_global_default(ErrorOracle { fatal });
}

struct ErrorOracle {
    fatal: bool,
}

struct MessageVisitor(String);

impl tracing::field::Visit for MessageVisitor {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        use std::fmt::Write;
        let _ = write!(self.0, " {}={:?}", field.name(), value);
    }
}

impl tracing::Subscriber for ErrorOracle {
    fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
        *metadata.level() == tracing::Level::ERROR
    }
    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(tracing::level_filters::LevelFilter::ERROR)
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut fields = MessageVisitor(String::new());
        event.record(&mut fields);
        eprintln!("ERROR log from {}:{}", event.metadata().target(), fields.0);
        if self.fatal {
            eprintln!(
                "==tinytask-fuzz== the server logged an ERROR (a server-side failure) for this input"
            );
            std::process::abort();
        }
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

/// Waiting tools (`wait_for_task`, `get_events`) would wait up to their timeout on an input that asks
/// for it, which libFuzzer reports as a hang: a wait that would be accepted is cut to 0 s (one look), so
/// the decoding and validation of every value, invalid ones included, are still fuzzed.
fn bound_wait(tool: &str, arguments: &mut Value) {
    let field = match tool {
        "wait_for_task" => "timeout_secs",
        "get_events" => "wait_secs",
        _ => return,
    };
    let Some(args) = arguments.as_object_mut() else {
        return;
    };
    let waits = match args.get(field) {
        None => tool == "wait_for_task", // its default is 30 s
        Some(Value::Number(_)) => true,
        Some(Value::String(s)) => s.trim().parse::<i64>().is_ok(),
        Some(_) => false,
    };
    if waits {
        args.insert(field.to_string(), Value::from(0));
    }
}
