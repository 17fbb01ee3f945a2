//! `GET /metrics`: the Prometheus scrape (OpenMetrics text, docs/HTTP.md "Metrics"). The board's counts are
//! read on a reader thread at scrape time; everything else was recorded as it happened. 404 with
//! `TINYTASK_METRICS=off`, like any unknown route.

use super::errors::HttpError;
use super::state::AppState;
use crate::domain::board_stats;
use crate::metrics::CONTENT_TYPE;
use actix_web::{HttpRequest, HttpResponse, web};

pub async fn scrape(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, HttpError> {
    let metrics = state.engine.metrics();
    if !metrics.is_enabled() {
        return Err(HttpError::NoRoute {
            method: req.method().clone(),
            path: req.path().to_string(),
        });
    }
    let board = match state.engine.board().read(board_stats::snapshot).await {
        Ok(snapshot) => Some(snapshot),
        Err(e) => {
            // The scrape still answers (the recorded metrics are worth having); the gauge says why not all.
            tracing::warn!(error = %e, "metrics: reading the board's counts failed");
            None
        }
    };
    let text = metrics.render(board.as_ref()).unwrap_or_default();
    Ok(HttpResponse::Ok()
        .content_type(CONTENT_TYPE)
        .insert_header(("Cache-Control", "no-store"))
        .body(text))
}
