//! stdio transport (S1–S5): newline-delimited JSON-RPC on stdin/stdout. Requests run concurrently;
//! replies are written whole, one per line, by a single writer. Returns on stdin EOF once every
//! in-flight request has been answered.

use crate::mcp::jsonrpc::{self, Json, Reply, RpcError};
use crate::mcp::{Engine, Session};
use crate::metrics::Transport;
use serde_json::Value;
use std::sync::Arc;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

/// Largest accepted message; a longer line is answered with an error instead of exhausting memory.
pub const MAX_MESSAGE_BYTES: usize = 4 * 1024 * 1024;

/// Serves the process's stdin/stdout.
pub async fn serve(engine: Arc<Engine>) -> std::io::Result<()> {
    serve_io(
        engine,
        BufReader::new(tokio::io::stdin()),
        tokio::io::stdout(),
    )
    .await
}

/// Serves any reader/writer pair (tests use in-memory pipes).
pub async fn serve_io<R, W>(engine: Arc<Engine>, mut input: R, output: W) -> std::io::Result<()>
where
    R: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let session = Arc::new(Session::new());
    session.count_as(engine.metrics().session_opened(Transport::Stdio));
    let (tx, rx) = mpsc::unbounded_channel::<Json>();
    // Notifications (resource updates, log messages) share the single writer with responses.
    session.set_outbound(Some(tx.clone()));
    let writer = tokio::spawn(write_lines(rx, output));
    let mut in_flight = JoinSet::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        let Some(complete) = read_line(&mut input, &mut line).await? else {
            break;
        };
        let reply = if !complete {
            Some(too_large())
        } else {
            // Invalid UTF-8 is a parse error, as on HTTP (never "repaired" into U+FFFD and stored).
            let text = match std::str::from_utf8(&line) {
                Ok(text) => text.trim(),
                Err(e) => {
                    let err = RpcError::parse_error(format!("invalid UTF-8: {e}"));
                    let _ = tx.send(jsonrpc::failure(&Value::Null, &err).json);
                    continue;
                }
            };
            if text.is_empty() {
                continue;
            }
            match serde_json::from_str::<Value>(text) {
                Err(e) => Some(jsonrpc::failure(&Value::Null, &RpcError::parse_error(e))),
                Ok(value) if Engine::is_lifecycle(&value) => {
                    // initialize must finish before later requests see the session state.
                    engine.handle_value(&session, value).await
                }
                Ok(value) => {
                    // Called here, not inside the task: the request is judged by the session state at
                    // arrival, before any later line (a pipelined initialize) is read.
                    let handled = engine.handle_value(&session, value);
                    let tx = tx.clone();
                    in_flight.spawn(async move {
                        if let Some(reply) = handled.await {
                            let _ = tx.send(reply.json);
                        }
                    });
                    None
                }
            }
        };
        if let Some(reply) = reply {
            let _ = tx.send(reply.json);
        }
        // Reap finished requests so the set does not grow without bound on long sessions.
        while in_flight.try_join_next().is_some() {}
    }
    // The client is gone: waiting calls end without claiming, then every request still running finishes.
    engine.end_session(&session);
    while in_flight.join_next().await.is_some() {}
    session.set_outbound(None);
    drop(tx);
    writer.await.map_err(std::io::Error::other)??;
    tracing::info!("stdin closed; stdio transport finished");
    Ok(())
}

fn too_large() -> Reply {
    let err = RpcError::invalid_request(format!(
        "Invalid Request: message larger than {MAX_MESSAGE_BYTES} bytes"
    ));
    jsonrpc::failure(&Value::Null, &err)
}

/// Reads one line into `buf` (without the newline). `None` at EOF with nothing read; `Some(false)` when the
/// line exceeded [`MAX_MESSAGE_BYTES`] (the rest of it is discarded).
async fn read_line<R: AsyncBufRead + Unpin>(
    input: &mut R,
    buf: &mut Vec<u8>,
) -> std::io::Result<Option<bool>> {
    let mut overflow = false;
    let mut read_any = false;
    loop {
        let chunk = input.fill_buf().await?;
        if chunk.is_empty() {
            return Ok(read_any.then_some(!overflow));
        }
        read_any = true;
        let (part, done) = match chunk.iter().position(|b| *b == b'\n') {
            Some(i) => (&chunk[..i], i + 1),
            None => (chunk, chunk.len()),
        };
        let found_newline = done > part.len();
        if !overflow && buf.len() + part.len() > MAX_MESSAGE_BYTES {
            overflow = true;
            buf.clear();
        }
        if !overflow {
            buf.extend_from_slice(part);
        }
        input.consume(done);
        if found_newline {
            return Ok(Some(!overflow));
        }
    }
}

async fn write_lines<W: AsyncWrite + Unpin>(
    mut rx: mpsc::UnboundedReceiver<Json>,
    mut out: W,
) -> std::io::Result<()> {
    while let Some(message) = rx.recv().await {
        // Compact serialization never contains a raw newline (S1).
        let mut line = String::from(Box::<str>::from(message));
        line.push('\n');
        out.write_all(line.as_bytes()).await?;
        out.flush().await?;
    }
    Ok(())
}

#[cfg(test)]
#[path = "stdio_tests.rs"]
mod tests;
