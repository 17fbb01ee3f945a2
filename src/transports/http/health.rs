//! `GET /health`: a cheap real check — a query on a pooled connection, and the write path's real state
//! as the writer saw it (the last write that reached the database, or a probe write through the same
//! writer after 30 s of failures) — plus open sessions by transport and uptime. 200 when healthy, 503
//! naming the failing check.
//!
//! It never opens the database file itself: POSIX locks are per process and file, so closing any handle
//! on the file would release every lock SQLite holds on it and let another process delete the live WAL.

use super::state::AppState;
use actix_web::{HttpResponse, web};
use diesel::RunQueryDsl;
use serde_json::{Value, json};
use std::sync::atomic::Ordering;
use std::time::Duration;

pub async fn health(state: web::Data<AppState>) -> HttpResponse {
    let board = state.engine.board();
    let query = board.read(|c| {
        diesel::sql_query("SELECT 1").execute(c)?;
        Ok(())
    });
    let query = match tokio::time::timeout(Duration::from_secs(2), query).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("query timed out after 2 s".to_string()),
    };
    // Bounded like the query: a writer stuck behind another process's lock must not hang /health.
    let _ = tokio::time::timeout(Duration::from_secs(2), board.recheck_writes()).await;
    let write_failure = board.write_failure();
    // Only a stat of the path: never an open (see the module documentation).
    let file = match std::fs::metadata(&state.db_path) {
        Ok(_) => Ok(()),
        Err(e) => Err(format!("{}: {e}", state.db_path.display())),
    };
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
            "path": state.db_path.display().to_string(),
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
