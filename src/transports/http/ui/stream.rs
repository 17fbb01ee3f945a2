//! `GET /ui/stream`: the event feed as Server-Sent Events, for the dashboard's `EventSource`.
//!
//! - Each feed event is one SSE event `board` whose `id` is its cursor and whose data is the event's JSON
//!   (as `get_events` returns it). `EventSource` remembers the last id and sends it back as
//!   `Last-Event-ID` when it reconnects; the stream then continues right after that cursor, so nothing is
//!   lost and nothing repeats. Without the header it starts at the newest cursor.
//! - First comes one `ready` event (`id` = the cursor it starts after, data `{cursor, resumed}`), so a
//!   client that saw no feed event yet still resumes from there. A `reset` event says events between the
//!   cursor asked for and the oldest one retained were pruned (the client must reload what it shows).
//! - It waits for commits exactly as `get_events` with `wait_secs` does (`domain::waiting::events`): woken
//!   by this process's commits and, through inotify on the WAL, by any other process's, never polling.
//! - Keep-alive comments every 15 s; it ends when the client goes away or the server shuts down. At most
//!   TINYTASK_UI_MAX_STREAMS are open at once (503 + Retry-After beyond).

use crate::domain::events::{EventPage, GetEvents};
use crate::domain::waiting::{self, Stop};
use crate::domain::{Board, events};
use crate::transports::http::errors::HttpError;
use crate::transports::http::sse::KEEP_ALIVE;
use crate::transports::http::state::AppState;
use actix_web::{HttpRequest, HttpResponse, Responder, http::header, web};
use actix_web_lab::sse;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// Events read per wake-up; a client far behind catches up in pages of this size.
const PAGE: i64 = 500;
/// How long one `get_events` wait lasts before it is renewed (the keep-alive runs meanwhile).
const WAIT_SECS: i64 = 60;
/// What EventSource waits before reconnecting after the stream ends (server restart, network cut).
const RETRY: Duration = Duration::from_secs(2);
/// After a failed read (database unavailable), wait this long before reading again.
const ERROR_PAUSE: Duration = Duration::from_secs(1);

/// One open stream's slot; freed when dropped (the stream's task ends).
struct Slot(web::Data<AppState>);

impl Slot {
    fn take(state: &web::Data<AppState>) -> Result<Slot, HttpError> {
        let max = state.settings.ui_max_streams;
        let counter = &state.ui.streams;
        counter
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |open| {
                (open < max).then_some(open + 1)
            })
            .map_err(|_| HttpError::TooManyUiStreams(max))?;
        Ok(Slot(state.clone()))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.ui.streams.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The cursor to continue after, from `Last-Event-ID`, or `None` without the header.
fn resume_cursor(req: &HttpRequest) -> Result<Option<i64>, HttpError> {
    let Some(value) = req.headers().get("last-event-id") else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or("\u{fffd}").trim();
    match text.parse::<i64>() {
        Ok(cursor) if cursor >= 0 => Ok(Some(cursor)),
        _ => Err(HttpError::BadLastEventId(text.to_string())),
    }
}

pub async fn stream(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, HttpError> {
    let resumed = resume_cursor(&req)?;
    let slot = Slot::take(&state)?;
    let board = state.engine.board().clone();
    let start = match resumed {
        Some(cursor) => cursor,
        None => board
            .read(events::newest)
            .await
            .map_err(|e| HttpError::FeedUnavailable(e.to_string()))?,
    };
    let (tx, rx) = mpsc::channel::<sse::Event>(16);
    let shutdown = state.shutdown.clone();
    let counted = state
        .engine
        .metrics()
        .stream_opened(crate::metrics::Transport::Dashboard);
    tokio::spawn(async move {
        let (_slot, _counted) = (slot, counted);
        let ready = serde_json::json!({"cursor": start, "resumed": resumed.is_some()});
        let first = sse::Data::new(ready.to_string())
            .event("ready")
            .id(start.to_string());
        if tx.send(first.into()).await.is_ok() {
            follow(board, start, &tx, shutdown).await;
        }
    });
    Ok(sse::Sse::from_infallible_receiver(rx)
        .with_keep_alive(KEEP_ALIVE)
        .with_retry_duration(RETRY)
        .customize()
        .insert_header((header::CACHE_CONTROL, "no-cache, no-transform"))
        .insert_header(("X-Accel-Buffering", "no"))
        .respond_to(&req)
        .map_into_boxed_body())
}

/// Sends every event after `after` as it commits, until the client goes or the server stops.
async fn follow(
    board: Board,
    mut after: i64,
    tx: &mpsc::Sender<sse::Event>,
    shutdown: watch::Receiver<bool>,
) {
    loop {
        if *shutdown.borrow() {
            return;
        }
        let args = GetEvents {
            after: Some(after),
            limit: Some(PAGE),
            wait_secs: Some(WAIT_SECS),
            ..GetEvents::default()
        };
        let stop = Stop::new(vec![shutdown.clone()]);
        let page = tokio::select! {
            page = waiting::events(board.clone(), args, stop) => page,
            () = tx.closed() => return,
        };
        match page {
            Ok(page) => match send_page(tx, after, &page).await {
                Some(next) => after = next,
                None => return,
            },
            Err(e) => {
                tracing::warn!(error = %e, "dashboard stream: the event feed cannot be read");
                tokio::select! {
                    () = tokio::time::sleep(ERROR_PAUSE) => {}
                    () = tx.closed() => return,
                }
            }
        }
    }
}

/// Sends `page` (read after `after`); the cursor to continue after, or `None` when the client is gone.
async fn send_page(tx: &mpsc::Sender<sse::Event>, after: i64, page: &EventPage) -> Option<i64> {
    // Events after `after` were pruned before this read could see them: say so once.
    if page.oldest_cursor.is_some_and(|oldest| oldest > after + 1) {
        let reset = serde_json::json!({"after": after, "oldest_cursor": page.oldest_cursor});
        tx.send(sse::Data::new(reset.to_string()).event("reset").into())
            .await
            .ok()?;
    }
    for event in &page.events {
        let data = serde_json::to_string(event).unwrap_or_default();
        let message = sse::Data::new(data)
            .event("board")
            .id(event.cursor.to_string());
        tx.send(message.into()).await.ok()?;
    }
    Some(page.next_cursor.max(after))
}

#[cfg(test)]
mod tests {
    use super::resume_cursor;
    use actix_web::test::TestRequest;

    #[test]
    fn last_event_id_must_be_a_cursor() {
        let req = |v: &str| {
            TestRequest::default()
                .insert_header(("Last-Event-ID", v))
                .to_http_request()
        };
        assert_eq!(
            resume_cursor(&TestRequest::default().to_http_request()).unwrap(),
            None
        );
        assert_eq!(resume_cursor(&req("42")).unwrap(), Some(42));
        assert_eq!(resume_cursor(&req(" 0 ")).unwrap(), Some(0));
        for bad in ["-1", "x", "1.5", ""] {
            assert!(resume_cursor(&req(bad)).is_err(), "{bad:?}");
        }
    }
}
