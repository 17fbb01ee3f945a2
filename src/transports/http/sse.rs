//! Server→client SSE streams (Streamable GET stream and legacy SSE): messages from the session's outbound
//! channel become `event: message` events; keep-alive comments every 15 s (P3); the stream ends when the
//! client goes away, the session is closed, or the server shuts down (so clients reconnect later).

use crate::mcp::jsonrpc::Json;
use actix_web::HttpResponse;
use actix_web::Responder;
use actix_web_lab::sse;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// Keep-alive comment interval: well under common proxy (60 s) and client (300 s) idle timeouts.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);

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
