//! The two health probes. `GET /health` (readiness): the board's health probe (`Board::health`: a query,
//! the write path's real state, a `stat` of the database file) plus open sessions by transport and uptime,
//! as JSON; 200 when healthy, 503 naming the failing check. `GET /health/live` (liveness): 200 whenever
//! the HTTP stack answers, touching neither the database nor any lock, so it is also the benchmark's
//! ceiling for "the HTTP stack alone". Both follow the same guard rules (see [`is_probe`]).

use super::state::AppState;
use actix_web::{HttpResponse, web};
use serde_json::{Value, json};
use std::sync::atomic::Ordering;

/// The readiness probe's path.
pub const READY: &str = "/health";
/// The liveness probe's path.
pub const LIVE: &str = "/health/live";

/// Whether `path` is one of the probes: the guard exempts them from auth and Origin checks (monitors
/// send neither) but not from the Host allow-list, and the request log writes them at debug.
pub fn is_probe(path: &str) -> bool {
    path == READY || path == LIVE
}

/// `GET /health/live`: the process is up and its HTTP workers answer. Deliberately no other state: a
/// liveness probe that fails on a database problem would get a healthy-but-degraded server restarted.
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

pub async fn health(state: web::Data<AppState>) -> HttpResponse {
    let db = state.engine.board().health(&state.database).await;
    let (file, query, write_failure) = (db.file, db.query, db.write_failure);
    let mut failing = Vec::new();
    if file.is_err() {
        failing.push("database.file");
    }
    if query.is_err() {
        failing.push("database.query");
    }
    if write_failure.is_some() {
        failing.push("database.writable");
    }
    let writable = match &write_failure {
        None => Value::from("ok"),
        Some(f) => json!({
            "error": f.error,
            "failed_writes": f.failures,
            "failing_for_seconds": f.age().as_secs_f64(),
        }),
    };
    let (streamable, legacy) = state.sessions.counts();
    let stdio = state.stdio.load(Ordering::Relaxed);
    let mut transports = vec!["streamable-http", "sse"];
    if stdio {
        transports.insert(0, "stdio");
    }
    let healthy = failing.is_empty();
    let body = json!({
        "status": if healthy { "healthy" } else { "unhealthy" },
        "version": env!("CARGO_PKG_VERSION"),
        "uptime_seconds": state.started.elapsed().as_secs_f64(),
        "database": {
            "status": if healthy { "ok" } else { "error" },
            "backend": match state.database {
                crate::db::Database::Sqlite(_) => "sqlite",
                crate::db::Database::Postgres(_) => "postgres",
            },
            // The file, or the URL without its password.
            "path": state.database.to_string(),
            "file": file.err().unwrap_or_else(|| "ok".into()),
            "query": query.err().unwrap_or_else(|| "ok".into()),
            "writable": writable,
        },
        "sessions": {
            "streamable_http": streamable,
            "legacy_sse": legacy,
            "stdio": usize::from(stdio),
            "max": state.sessions.max(),
            "idle_timeout_seconds": state.sessions.idle_timeout().as_secs(),
        },
        "subscriptions": state.engine.subscription_count(),
        "transport": transports,
        "failing": failing,
    });
    if healthy {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}
