//! [`Engine`]: decodes JSON-RPC, enforces the lifecycle and routes each method. Shared by all transports;
//! knows nothing about how bytes arrive.

use super::era::{self, Envelope};
use super::fanout::Fanout;
use super::foreign_push::Relay;
use super::jsonrpc::{self, Json, Message, Reply, RpcError, to_json};
use super::logging::log_to;
use super::protocol::{BATCH_VERSION, MODERN_VERSION, McpLogLevel};
use super::session::Session;
use super::shared::Sharing;
use super::tools::{self, ToolOutcome, ToolRegistry};
use super::{completion, lifecycle, listen, logging, modern, resources};
use crate::config::Toolsets;
use crate::domain::Board;
use crate::domain::waiting::Stop;
use crate::metrics::{Metrics, Outcome, ToolCalls};
use serde_json::{Value, json};
use std::sync::{Arc, Weak};

/// The era a request is served in (M1), decided for each request.
enum Era {
    /// Part of the legacy session it arrived on, whose version was this (`None`: not initialized yet).
    Legacy(Option<String>),
    /// Stateless 2026-07-28, with what its `_meta` says.
    Modern(Envelope),
}

impl Era {
    fn of(
        method: &str,
        params: &Value,
        version_at_arrival: &Option<String>,
    ) -> Result<Era, RpcError> {
        if !era::is_modern(method, params) {
            return Ok(Era::Legacy(version_at_arrival.clone()));
        }
        era::check_keys(params)?;
        era::check_version(params).map(Era::Modern)
    }
}

pub struct Engine {
    board: Board,
    tools: ToolRegistry,
    /// The metric handles of every tool of `tools`, in its order.
    tool_calls: ToolCalls,
    /// Resource subscriptions in memory and, on PostgreSQL, shared sessions' streams (`shared`).
    fanout: Arc<Fanout>,
    /// Pushes other processes' commits to `fanout` while anyone listens.
    relay: Arc<Relay>,
    /// What MCP clients see and may call (TINYTASK_TOOLSETS); `tools` itself keeps every tool.
    toolsets: Toolsets,
}

impl Engine {
    /// An engine serving every tool (see [`Engine::with_toolsets`]).
    pub fn new(board: Board) -> Arc<Self> {
        Self::with_toolsets(board, Toolsets::all())
    }

    /// Builds the engine and connects it to the board's change feed (for resource subscriptions).
    pub fn with_toolsets(board: Board, toolsets: Toolsets) -> Arc<Self> {
        Arc::new_cyclic(|weak: &Weak<Engine>| {
            let weak = weak.clone();
            board.on_change(Box::new(move |changes| {
                if let Some(engine) = weak.upgrade() {
                    let _ = engine.fanout.deliver(changes);
                }
            }));
            let tools = ToolRegistry::new();
            let tool_calls = board.metrics().tool_calls(tools.names());
            Engine {
                board,
                tools,
                tool_calls,
                fanout: Arc::default(),
                relay: Arc::default(),
                toolsets,
            }
        })
    }

    /// Forgets a session that ended (its subscriptions stop, its waiting calls end without claiming).
    pub fn end_session(&self, session: &Session) {
        session.close();
        self.fanout.subscriptions.forget(session);
    }

    /// Number of live resource subscriptions held in this process's memory (for /health; shared
    /// sessions' subscriptions live in the database).
    pub fn subscription_count(&self) -> usize {
        self.fanout.subscriptions.count()
    }

    /// Shares the legacy sessions the transport marks shared (`Sharing::hold`) with the other replicas
    /// on the board's PostgreSQL database. Once per engine; later calls return the same.
    pub fn share_sessions(&self) -> Arc<Sharing> {
        Arc::clone(
            self.fanout
                .sharing
                .get_or_init(|| Sharing::start(self.board.clone())),
        )
    }

    fn sharing_of(&self, session: &Session) -> Option<&Arc<Sharing>> {
        session.shared_id()?;
        self.fanout.sharing.get()
    }

    /// A shared session's stream opened here: committed changes (this replica's and, through the relay,
    /// the others') are matched against its subscriptions until it closes.
    pub fn shared_stream_opened(&self) {
        if let Some(sharing) = self.fanout.sharing.get() {
            sharing.stream_opened();
            self.relay.ensure(&self.board, &self.fanout);
        }
    }

    pub fn shared_stream_closed(&self) {
        if let Some(sharing) = self.fanout.sharing.get() {
            sharing.stream_closed();
        }
    }

    pub fn board(&self) -> &Board {
        &self.board
    }

    /// The process's metrics (the board's).
    pub fn metrics(&self) -> &Metrics {
        self.board.metrics()
    }

    /// The tool registry: the REST API maps its routes onto these tools, their schemas and handlers.
    pub fn tools(&self) -> &ToolRegistry {
        &self.tools
    }

    /// Whether a message changes the session's lifecycle state; transports must handle those in arrival
    /// order (everything else may run concurrently).
    pub fn is_lifecycle(value: &Value) -> bool {
        matches!(
            value.get("method").and_then(Value::as_str),
            Some("initialize" | "notifications/initialized")
        )
    }

    /// Whether a message is a call of a tool that may wait for the board to change (wait_for_task,
    /// get_events): a transport that answers messages in order must run it aside (legacy SSE does).
    pub fn may_wait(&self, value: &Value) -> bool {
        value.get("method").and_then(Value::as_str) == Some("tools/call")
            && value
                .pointer("/params/name")
                .and_then(Value::as_str)
                .and_then(|name| self.tools.get(name))
                .is_some_and(|tool| tool.waits)
    }

    /// Handles a decoded message or batch. `None` means nothing to send back (notifications, responses).
    ///
    /// The message is judged by the session's lifecycle state at the moment of this call (its arrival),
    /// not when the returned future first runs: a transport that runs requests concurrently must not let a
    /// `tools/call` sent before `initialize` see the session initialized by it.
    pub fn handle_value(
        self: &Arc<Self>,
        session: &Arc<Session>,
        value: Value,
    ) -> impl std::future::Future<Output = Option<Reply>> + Send + 'static {
        let version = session.version();
        let (engine, session) = (Arc::clone(self), Arc::clone(session));
        async move { engine.handle_arrived(&session, value, version).await }
    }

    async fn handle_arrived(
        self: &Arc<Self>,
        session: &Arc<Session>,
        value: Value,
        version: Option<String>,
    ) -> Option<Reply> {
        let Value::Array(items) = value else {
            return self.handle_one(session, value, false, &version).await;
        };
        if version.as_deref() != Some(BATCH_VERSION) {
            let err = RpcError::invalid_request(format!(
                "Invalid Request: JSON-RPC batches are only allowed with protocol version {BATCH_VERSION}"
            ));
            return Some(jsonrpc::failure(&Value::Null, &err));
        }
        if items.is_empty() {
            let err = RpcError::invalid_request("Invalid Request: empty batch");
            return Some(jsonrpc::failure(&Value::Null, &err));
        }
        let mut replies = Vec::new();
        for item in items {
            if let Some(reply) = self.handle_one(session, item, true, &version).await {
                replies.push(reply);
            }
        }
        (!replies.is_empty()).then(|| jsonrpc::batch(&replies))
    }

    async fn handle_one(
        self: &Arc<Self>,
        session: &Arc<Session>,
        value: Value,
        in_batch: bool,
        version: &Option<String>,
    ) -> Option<Reply> {
        match jsonrpc::decode(value) {
            Err((id, err)) => Some(jsonrpc::failure(&id, &err)),
            Ok(Message::Response) => None,
            Ok(Message::Notification { method, params }) => {
                self.notification(session, &method, &params).await;
                None
            }
            Ok(Message::Request { id, method, params }) => {
                tracing::debug!(method = %method, session = session.id(), "request");
                if in_batch && method == "initialize" {
                    let err = RpcError::invalid_request(
                        "Invalid Request: initialize must not be part of a batch",
                    );
                    return Some(jsonrpc::failure(&id, &err));
                }
                let era = match Era::of(&method, &params, version) {
                    Ok(era) => era,
                    Err(err) => return Some(jsonrpc::failure(&id, &err)),
                };
                // Run on its own task so a panic anywhere becomes a -32603 answer instead of a hung client (P8).
                let engine = Arc::clone(self);
                let session = Arc::clone(session);
                let method_name = method.clone();
                // Dropped with this future: a request whose transport gave up on it stops waiting.
                let (cancelled, guard) = session.track_request(&id);
                let (in_task, task_id) = (Arc::clone(&session), id.clone());
                let outcome = tokio::spawn(async move {
                    engine
                        .request(&in_task, &task_id, &method, params, era, cancelled)
                        .await
                })
                .await;
                // PP2: the receiver of a cancelled request SHOULD NOT respond to it.
                if guard.cancelled_by_client() {
                    tracing::debug!(method = %method_name, "request cancelled by the client; not answered");
                    return None;
                }
                Some(match outcome {
                    Ok(Ok(result)) => jsonrpc::success(&id, &result),
                    Ok(Err(err)) => jsonrpc::failure(&id, &err),
                    Err(join) => {
                        tracing::error!(method = %method_name, error = %join, "request handler panicked");
                        jsonrpc::failure(
                            &id,
                            &RpcError::internal("Internal error while handling the request"),
                        )
                    }
                })
            }
        }
    }

    async fn notification(&self, session: &Session, method: &str, params: &Value) {
        let sharing = self.sharing_of(session);
        match method {
            "notifications/initialized" => {
                session.mark_initialized();
                if let Some(sharing) = sharing
                    && let Err(e) = sharing.save(session).await
                {
                    tracing::warn!(error = %e.message, "cannot record notifications/initialized");
                }
            }
            // Waiting calls (wait_for_task, get_events) stop; others finish quickly, and a cancel that
            // arrives late or names an unknown request is ignored (PP2). A shared session's request
            // may run on another replica: they are all told.
            "notifications/cancelled" => {
                if let Some(id) = params.get("requestId") {
                    session.cancel_request(id);
                    if let (Some(sharing), Some(sid)) = (sharing, session.shared_id()) {
                        sharing.cancel(sid, id).await;
                    }
                }
            }
            other => tracing::debug!(method = other, "ignoring notification"),
        }
    }

    async fn request(
        &self,
        session: &Arc<Session>,
        id: &Value,
        method: &str,
        params: Value,
        era: Era,
        cancelled: tokio::sync::watch::Receiver<bool>,
    ) -> Result<Json, RpcError> {
        let stop = Stop::new(vec![cancelled, session.closed()]);
        match era {
            Era::Legacy(version) => {
                self.legacy_request(session, method, params, version, stop)
                    .await
            }
            Era::Modern(envelope) => {
                tracing::debug!(
                    method,
                    client = envelope.client.as_deref().unwrap_or("?"),
                    "stateless request"
                );
                self.modern_request(session, id, method, params, envelope, stop)
                    .await
                    .map(|result| modern::decorate(method, result))
                    .map_err(modern::error)
            }
        }
    }

    /// A request of a legacy session, judged by the session's state when it arrived (`version_at_arrival`).
    async fn legacy_request(
        &self,
        session: &Arc<Session>,
        method: &str,
        params: Value,
        version_at_arrival: Option<String>,
        stop: Stop,
    ) -> Result<Json, RpcError> {
        let sharing = self.sharing_of(session);
        match method {
            "initialize" => {
                let result = lifecycle::initialize(session, &params)?;
                // Written through before it is answered: the client's next request may reach any replica.
                if let Some(sharing) = sharing {
                    sharing.save(session).await?;
                }
                return Ok(to_json(&result));
            }
            "ping" => return Ok(to_json(&json!({}))),
            _ => {}
        }
        // L5: anything else before initialize is an error.
        let Some(version) = version_at_arrival else {
            return Err(RpcError::invalid_request(format!(
                "Invalid Request: the session is not initialized; send initialize before {method}"
            )));
        };
        let result = match method {
            "tools/call" => {
                return self
                    .call_tool(session, session, params, &version, stop)
                    .await;
            }
            "resources/subscribe" => match sharing {
                Some(sharing) => sharing.subscribe(session, &params).await,
                None => {
                    let subscribed = self.fanout.subscriptions.subscribe(session, &params);
                    self.relay.ensure(&self.board, &self.fanout);
                    subscribed
                }
            },
            "resources/unsubscribe" => match sharing {
                Some(sharing) => sharing.unsubscribe(session, &params).await,
                None => self.fanout.subscriptions.unsubscribe(session, &params),
            },
            "logging/setLevel" => {
                let set = logging::set_level(session, &params)?;
                if let Some(sharing) = sharing {
                    sharing.save(session).await?;
                }
                Ok(set)
            }
            _ => return self.dispatch(method, params, &version).await,
        };
        result.map(|v| to_json(&v))
    }

    /// A stateless 2026-07-28 request (M1): nothing is read from or kept on `connection` but its channel,
    /// its cancellations and its end.
    async fn modern_request(
        &self,
        connection: &Arc<Session>,
        id: &Value,
        method: &str,
        params: Value,
        envelope: Envelope,
        stop: Stop,
    ) -> Result<Json, RpcError> {
        if modern::removed(method) {
            return Err(RpcError::method_not_found(method));
        }
        match method {
            era::DISCOVER => Ok(to_json(&modern::discover())),
            "subscriptions/listen" => {
                let Some(_slot) = connection.begin_wait() else {
                    return Err(RpcError::invalid_request(format!(
                        "Invalid Request: subscriptions/listen: {}",
                        connection.wait_refusal()
                    )));
                };
                self.relay.ensure(&self.board, &self.fanout);
                listen::listen(&self.fanout.subscriptions, connection, id, &params, stop)
                    .await
                    .map(|v| to_json(&v))
            }
            "tools/call" => {
                let context = Session::for_request(connection, envelope.log_level);
                self.call_tool(connection, &context, params, MODERN_VERSION, stop)
                    .await
            }
            _ => self.dispatch(method, params, MODERN_VERSION).await,
        }
    }

    /// The methods both eras share, served the same way in each (only `version` shapes the answer).
    async fn dispatch(&self, method: &str, params: Value, version: &str) -> Result<Json, RpcError> {
        let result = match method {
            "tools/list" => Ok(self.tools.list(version, &self.toolsets)),
            "resources/list" => Ok(resources::list()),
            "resources/templates/list" => Ok(resources::templates()),
            "resources/read" => resources::read(&self.board, &params).await,
            "prompts/list" => super::prompts::list(&params),
            "prompts/get" => {
                let note = |text: &str| tools::hidden_note(text, &self.tools, &self.toolsets);
                super::prompts::get(&self.board, &params, note).await
            }
            "completion/complete" => completion::complete(&self.board, params).await,
            _ => Err(RpcError::method_not_found(method)),
        };
        result.map(|v| to_json(&v))
    }

    /// `session` holds the call's place among its connection's waiting calls; `context` receives its log
    /// messages (the same session for legacy requests).
    async fn call_tool(
        &self,
        session: &Session,
        context: &Session,
        params: Value,
        version: &str,
        stop: Stop,
    ) -> Result<Json, RpcError> {
        let Some(name) = params.get("name").and_then(Value::as_str) else {
            self.tool_calls.unknown_tool();
            return Err(RpcError::invalid_params(
                "Invalid params: tools/call requires a string \"name\"",
            ));
        };
        let Some((index, tool)) = self.tools.lookup(name) else {
            self.tool_calls.unknown_tool();
            return Err(RpcError::invalid_params(format!("Unknown tool: {name}"))
                .with_data(json!({ "tool": name })));
        };
        let arguments = params.get("arguments").cloned().unwrap_or(Value::Null);
        // Dropped unfinished (the tool panicked), it counts a protocol error.
        let timer = self.tool_calls.start(index);
        // A tool outside the configured sets is refused before it could take a waiting slot.
        let refusal = tools::refusal(tool, &self.toolsets);
        let slot = if tool.waits && refusal.is_none() {
            session.begin_wait().map(Some)
        } else {
            Some(None)
        };
        let outcome = match (refusal, slot) {
            (Some(message), _) => ToolOutcome::refused(message),
            (None, Some(_slot)) => {
                self.tools
                    .call(tool, &self.board, arguments, version, stop)
                    .await
            }
            (None, None) => ToolOutcome::refused(format!("{name}: {}", session.wait_refusal())),
        };
        let failed = outcome.error.is_some();
        let elapsed = timer.finish(if failed {
            Outcome::ToolError
        } else {
            Outcome::Ok
        });
        let elapsed_ms = elapsed.as_secs_f64() * 1000.0;
        tracing::debug!(tool = name, failed, elapsed_ms, "tools/call");
        if let Some(message) = &outcome.error {
            log_to(
                context,
                McpLogLevel::Warning,
                &json!({"tool": name, "error": message}),
            );
        } else {
            log_to(
                context,
                McpLogLevel::Debug,
                &json!({"tool": name, "elapsed_ms": elapsed_ms}),
            );
        }
        Ok(outcome.result)
    }
}
