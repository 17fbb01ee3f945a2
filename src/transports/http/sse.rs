//! Server→client SSE streams (Streamable GET stream and legacy SSE): messages from the session's outbound
//! channel become `event: message` events; keep-alive comments every 15 s (P3); the stream ends when the
//! client goes away, the session is closed, or the server shuts down (so clients reconnect later).

use crate::mcp::jsonrpc::{Json, Reply};
use actix_web::HttpResponse;
use actix_web::Responder;
use actix_web_lab::sse;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// Keep-alive comment interval: well under common proxy (60 s) and client (300 s) idle timeouts.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Keep-alive of a waiting call's answer stream: short, so a client that went away is noticed (its
/// stream's write fails) within a few seconds.
pub const WAITING_KEEP_ALIVE: Duration = Duration::from_secs(1);

/// The answer to a POST whose call may wait (wait_for_task, get_events with wait_secs) as an SSE stream:
/// comments keep it alive until the reply is one `message` event. When the client goes away, actix drops
/// the stream, and with it `handled`: the call stops waiting and claims nothing.
pub fn waiting_answer(
    req: &actix_web::HttpRequest,
    handled: impl std::future::Future<Output = Option<Reply>> + Send + 'static,
) -> HttpResponse {
    let (tx, rx) = mpsc::channel::<sse::Event>(1);
    tokio::spawn(async move {
        tokio::select! {
            reply = handled => if let Some(reply) = reply {
                let event = sse::Data::new(String::from(Box::<str>::from(reply.json))).event("message");
                let _ = tx.send(event.into()).await;
            },
            () = tx.closed() => {}
        }
    });
    sse::Sse::from_infallible_receiver(rx)
        .with_keep_alive(WAITING_KEEP_ALIVE)
        .customize()
        .insert_header(("Cache-Control", "no-cache, no-transform"))
        .insert_header(("X-Accel-Buffering", "no"))
        .respond_to(req)
        .map_into_boxed_body()
}

/// Builds the streaming response. `first` is sent before any message (the legacy `endpoint` event);
/// `on_close` runs once when the stream ends, whatever the reason.
pub fn stream(
    req: &actix_web::HttpRequest,
    mut messages: mpsc::UnboundedReceiver<Json>,
    mut shutdown: watch::Receiver<bool>,
    first: Option<sse::Event>,
    on_close: impl FnOnce() + Send + 'static,
) -> HttpResponse {
    let (tx, rx) = mpsc::channel::<sse::Event>(64);
    tokio::spawn(async move {
        let mut open = match first {
            Some(event) => tx.send(event).await.is_ok(),
            None => true,
        };
        while open && !*shutdown.borrow() {
            tokio::select! {
                message = messages.recv() => match message {
                    Some(m) => open = tx.send(sse::Data::new(String::from(Box::<str>::from(m))).event("message").into()).await.is_ok(),
                    None => open = false,
                },
                _ = shutdown.changed() => open = false,
                _ = tx.closed() => open = false,
            }
        }
        on_close();
    });
    sse::Sse::from_infallible_receiver(rx)
        .with_keep_alive(KEEP_ALIVE)
        .customize()
        .insert_header(("Cache-Control", "no-cache, no-transform"))
        .insert_header(("X-Accel-Buffering", "no"))
        .respond_to(req)
        .map_into_boxed_body()
}
