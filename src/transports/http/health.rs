//! `GET /health`: a cheap real check (a query on a pooled connection, the database file writable), open
//! sessions by transport, uptime. 200 when healthy, 503 naming the failing check.

use super::state::AppState;
use actix_web::{HttpResponse, web};
use diesel::RunQueryDsl;
use serde_json::json;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// The database file (and its WAL, when present) can be opened for writing, without writing anything.
fn writable(path: &Path) -> Result<(), String> {
    let open = |p: &Path| std::fs::OpenOptions::new().append(true).open(p).map(drop);
    open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let wal = path.with_file_name(format!(
        "{}-wal",
        path.file_name().unwrap_or_default().to_string_lossy()
    ));
    if wal.exists() {
        open(&wal).map_err(|e| format!("{}: {e}", wal.display()))?;
    }
    Ok(())
}

pub async fn health(state: web::Data<AppState>) -> HttpResponse {
    let query = state.engine.board().read(|c| {
        diesel::sql_query("SELECT 1").execute(c)?;
        Ok(())
    });
    let query = match tokio::time::timeout(Duration::from_secs(2), query).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("query timed out after 2 s".to_string()),
    };
    let path = state.db_path.clone();
    let write = tokio::task::spawn_blocking(move || writable(&path))
        .await
        .unwrap_or_else(|e| Err(e.to_string()));
    let mut failing = Vec::new();
    if query.is_err() {
        failing.push("database.query");
    }
    if write.is_err() {
        failing.push("database.writable");
    }
    let (streamable, legacy) = state.sessions.counts();
    let stdio = state.stdio.load(Ordering::Relaxed);
    let mut transports = vec!["streamable-http", "sse"];
    if stdio {
        transports.insert(0, "stdio");
    }
    let body = json!({
        "status": if failing.is_empty() { "healthy" } else { "unhealthy" },
        "version": env!("CARGO_PKG_VERSION"),
        "uptime_seconds": state.started.elapsed().as_secs_f64(),
        "database": {
            "status": if failing.is_empty() { "ok" } else { "error" },
            "path": state.db_path.display().to_string(),
            "query": query.err().unwrap_or_else(|| "ok".into()),
            "writable": write.err().unwrap_or_else(|| "ok".into()),
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
    if body["failing"].as_array().is_some_and(|f| f.is_empty()) {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}
