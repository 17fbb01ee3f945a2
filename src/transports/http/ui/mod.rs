//! The live web dashboard at `/ui` (README "Dashboard", docs/HTTP.md): a server-rendered HTML shell plus
//! small vanilla scripts, embedded in the binary from `assets/ui/`, that read and change the board through
//! the REST API (`/api/v1`) and follow the event feed through `GET /ui/stream` (SSE).
//!
//! - `access`: who may reach `/ui` and `/api/v1` from a browser (login cookie, CSRF, read-only, off);
//! - `cookie`: the stateless signed login cookie and its CSRF token;
//! - `login`: the login and logout forms;
//! - `page`: the HTML pages (board shell, login form);
//! - `assets`: the embedded CSS, scripts and icon;
//! - `headers`: the Content-Security-Policy and other headers of every `/ui` response;
//! - `stream`: the live feed, resumable with `Last-Event-ID`.

pub mod access;
mod assets;
pub mod cookie;
mod headers;
mod login;
mod page;
mod stream;

use super::errors;
use actix_web::middleware::from_fn;
use actix_web::{HttpResponse, http::header, web};
use std::sync::atomic::AtomicUsize;

/// Dashboard state shared by every worker (inside `AppState`).
#[derive(Debug, Default)]
pub struct UiState {
    /// Live-update streams open now (bounded by TINYTASK_UI_MAX_STREAMS).
    streams: AtomicUsize,
}

/// Registers the dashboard's routes. They are always registered; with `TINYTASK_UI=off` the guard answers
/// every dashboard path 404 before it reaches them (`access::decide`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(to_dashboard))
        .route("/ui", web::get().to(to_dashboard))
        .service(
            web::scope("/ui")
                .wrap(from_fn(headers::secure))
                .route("/", web::get().to(page::index))
                .route("/login", web::post().to(login::login))
                .route("/logout", web::post().to(login::logout))
                .route("/stream", web::get().to(stream::stream))
                .route("/assets/{name}", web::get().to(assets::serve))
                .default_service(web::to(errors::not_found)),
        );
}

/// `GET /` and `GET /ui`: the dashboard lives at `/ui/` (relative asset paths resolve below it).
async fn to_dashboard() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/ui/"))
        .finish()
}
