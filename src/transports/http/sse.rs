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
    answer_stream(req, None, handled, None)
}

/// Like [`waiting_answer`], with the request's own notifications (`messages`: a listen stream's, log
/// messages it asked for) sent as events before its reply, and ending early when the server shuts down.
pub fn answer_stream(
    req: &actix_web::HttpRequest,
    messages: Option<mpsc::UnboundedReceiver<Json>>,
    handled: impl std::future::Future<Output = Option<Reply>> + Send + 'static,
    shutdown: Option<watch::Receiver<bool>>,
) -> HttpResponse {
    let (tx, rx) = mpsc::channel::<sse::Event>(16);
    tokio::spawn(forward_answer(tx, messages, handled, shutdown));
    sse::Sse::from_infallible_receiver(rx)
        .with_keep_alive(WAITING_KEEP_ALIVE)
        .customize()
        .insert_header(("Cache-Control", "no-cache, no-transform"))
        .insert_header(("X-Accel-Buffering", "no"))
        .respond_to(req)
        .map_into_boxed_body()
}

fn message_event(message: Json) -> sse::Event {
    sse::Data::new(String::from(Box::<str>::from(message)))
        .event("message")
        .into()
}

/// The next notification, or never once there are none to come.
async fn next_message(messages: &mut Option<mpsc::UnboundedReceiver<Json>>) -> Option<Json> {
    match messages {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// Feeds one answer stream: notifications as they come, then the reply (after any notification sent
/// before it), then the end. Stops when the client is gone or the server shuts down.
async fn forward_answer(
    tx: mpsc::Sender<sse::Event>,
    mut messages: Option<mpsc::UnboundedReceiver<Json>>,
    handled: impl std::future::Future<Output = Option<Reply>> + Send + 'static,
    mut shutdown: Option<watch::Receiver<bool>>,
) {
    let mut handled = std::pin::pin!(handled);
    loop {
        let shutting_down = async {
            match shutdown.as_mut() {
                Some(rx) => {
                    let _ = rx.wait_for(|stopping| *stopping).await;
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            biased;
            message = next_message(&mut messages) => match message {
                Some(m) => if tx.send(message_event(m)).await.is_err() { return },
                None => messages = None,
            },
            reply = &mut handled => {
                while let Some(m) = messages.as_mut().and_then(|rx| rx.try_recv().ok()) {
                    if tx.send(message_event(m)).await.is_err() {
                        return;
                    }
                }
                if let Some(reply) = reply {
                    let _ = tx.send(message_event(reply.json)).await;
                }
                return;
            }
            () = tx.closed() => return,
            () = shutting_down => return,
        }
    }
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
