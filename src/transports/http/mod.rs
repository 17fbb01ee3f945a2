//! HTTP transports on actix-web: Streamable HTTP (`/mcp`), legacy HTTP+SSE (`/sse` + `/messages`, and
//! 1.x-style `/mcp`), the REST API (`/api/v1`, `/openapi.json`), the web dashboard (`/ui`, `ui/`),
//! `/health`, `/health/live` and `/metrics`. Endpoints and status codes: docs/HTTP.md.

mod answer;
mod authority;
mod body;
mod errors;
mod guard;
mod health;
mod legacy;
mod metrics;
mod rest;
mod rest_metrics;
mod sessions;
mod sse;
mod state;
mod stateless;
mod streamable;
pub mod ui;

pub use state::AppState;

use actix_web::middleware::{Condition, from_fn};
use actix_web::{App, HttpServer, web};
use std::time::Duration;

/// Registers every route on an actix `App` (used by the server and by in-process tests).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(health::READY, web::get().to(health::health))
        .route(health::LIVE, web::get().to(health::live))
        .route("/metrics", web::get().to(metrics::scrape))
        .service(
            web::resource(["/mcp", "/mcp/"])
                .route(web::post().to(streamable::post))
                .route(web::get().to(streamable::get))
                .route(web::delete().to(streamable::delete)),
        )
        .route("/sse", web::get().to(legacy::get_sse))
        .route("/messages", web::post().to(legacy::post_messages))
        .route("/messages/", web::post().to(legacy::post_messages))
        .configure(rest::configure)
        .configure(ui::routes);
}

/// The application with middleware, for a given shared state.
pub fn app(
    state: web::Data<AppState>,
) -> App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    // Outside the guard, so refused REST requests are counted too; not installed at all when off.
    let measured = state.engine.metrics().is_enabled();
    App::new()
        .app_data(state)
        .wrap(from_fn(guard::guard))
        .wrap(Condition::new(
            measured,
            from_fn(rest_metrics::measure_rest),
        ))
        .wrap(from_fn(guard::log_requests))
        .configure(routes)
        .default_service(web::to(errors::not_found))
}

/// A bound, running server (not yet awaited) and what is needed to stop it.
pub struct Running {
    pub server: actix_web::dev::Server,
    pub state: web::Data<AppState>,
    /// The address actually bound (port 0 in the configuration picks a free port).
    pub address: std::net::SocketAddr,
}

/// Binds `host:port` and starts the workers. Signals are handled by the caller (`startup`), which flips the
/// shutdown flag (ending SSE streams) before stopping the server gracefully. `max_connections` is the
/// total cap over all workers (`ops::connections::cap`).
pub fn start(
    state: AppState,
    host: &str,
    port: u16,
    max_connections: usize,
) -> std::io::Result<Running> {
    let state = web::Data::new(state);
    let shared = state.clone();
    // actix counts `max_connections` per worker: split the total so the sum stays under the cap. Beyond
    // it, workers stop accepting and new connections wait in the listen backlog until one closes.
    let cpus = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
    let (workers, per_worker) = crate::ops::connections::per_worker(max_connections, cpus);
    let header_timeout = state.settings.header_timeout;
    let server = HttpServer::new(move || app(shared.clone()))
        .workers(workers)
        .max_connections(per_worker)
        // Slowloris: a connection must deliver a complete request head within this time, else 408 and
        // close (actix's timer is not reset by bytes trickling in).
        .client_request_timeout(header_timeout)
        .disable_signals()
        // A client closing its side means it is gone: end its SSE stream (and legacy session) at once
        // instead of noticing only when a keep-alive write fails up to 30 s later.
        .h1_allow_half_closed(false)
        .shutdown_timeout(5)
        .keep_alive(Duration::from_secs(75))
        .bind((host, port))?;
    // A host name may resolve to several addresses; the first is the one reported (and tests use).
    let address = server
        .addrs()
        .first()
        .copied()
        .ok_or_else(|| std::io::Error::other("bound to no address"))?;
    let server = server.run();
    spawn_reaper(state.clone());
    tracing::info!(
        host,
        port = address.port(),
        workers,
        max_connections = workers * per_worker,
        "HTTP transports listening: /mcp (Streamable HTTP), /sse (legacy SSE), /health, /health/live, /metrics"
    );
    Ok(Running {
        server,
        state,
        address,
    })
}

/// Expires idle Streamable HTTP sessions (H27) and unused sessions of both kinds.
fn spawn_reaper(state: web::Data<AppState>) {
    let shortest = state
        .sessions
        .idle_timeout()
        .min(state.sessions.unused_timeout());
    let period = (shortest / 4).clamp(Duration::from_millis(250), Duration::from_secs(30));
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        let mut shutdown = state.shutdown.clone();
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = shutdown.changed() => return,
            }
            for session in state.sessions.remove_expired() {
                tracing::info!(session = %session.id, unused = session.unused(), "session expired");
                state.end_session(&session);
            }
            // Shared sessions: this replica vouches for the ones active here, and expires the idle ones
            // of every replica (their rows are the truth; a copy expiring here only releases it).
            if let Some(sharing) = &state.sharing {
                let active = state.sessions.active_within(period * 2);
                let sessions = &state.sessions;
                sharing
                    .reap(active, sessions.idle_timeout(), sessions.unused_timeout())
                    .await;
            }
        }
    });
}
