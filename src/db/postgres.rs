//! The PostgreSQL side of setup: connecting with bounded retries, migrating once however many replicas
//! start together, installing the change capture, and the per-connection session.

use super::{DbError, PgUrl};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use std::time::{Duration, Instant};

/// Session-level advisory lock held while migrating and installing the capture triggers: replicas that
/// start together take turns, and the first one does the work ("ttmg").
pub const MIGRATION_LOCK: i64 = 0x7474_6d67;

/// How long start-up keeps trying to reach PostgreSQL (a database container still starting, a fail-over)
/// before it gives up with exit status 1, unless TINYTASK_DB_CONNECT_SECS says otherwise.
pub const CONNECT_BUDGET: Duration = Duration::from_secs(30);

/// Run on every pooled connection: the capture tables of this connection.
pub(super) fn init_session(conn: &mut PgConnection) -> QueryResult<()> {
    conn.batch_execute(super::capture_pg::SESSION_SQL)
}

/// One connection, retried with doubling pauses (0.25 s … 4 s) until [`CONNECT_BUDGET`] is spent. Each
/// failure is logged; the last one is the error.
pub fn connect_with_retry(url: &PgUrl) -> Result<PgConnection, DbError> {
    connect_within(url, CONNECT_BUDGET)
}

pub fn connect_within(url: &PgUrl, budget: Duration) -> Result<PgConnection, DbError> {
    let started = Instant::now();
    let mut pause = Duration::from_millis(250);
    let mut attempts = 0;
    loop {
        attempts += 1;
        match PgConnection::establish(&url.connect_string()) {
            Ok(conn) => {
                if attempts > 1 {
                    tracing::info!(url = %url, attempts, "connected to PostgreSQL");
                }
                return Ok(conn);
            }
            Err(e) => {
                let message = e
                    .to_string()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ");
                if started.elapsed() + pause > budget {
                    return Err(DbError::Unreachable {
                        url: url.clone(),
                        attempts,
                        secs: started.elapsed().as_secs_f64(),
                        message,
                    });
                }
                tracing::warn!(url = %url, attempt = attempts, retry_in_ms = pause.as_millis() as u64,
                    error = %message, "PostgreSQL is not reachable yet");
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_secs(4));
            }
        }
    }
}

/// Connects (retrying for `budget`), then migrates and installs the capture under [`MIGRATION_LOCK`].
pub(super) fn prepare(url: &PgUrl, budget: Duration) -> Result<(), DbError> {
    let mut conn = connect_within(url, budget)?;
    let setup_err = |message: String| DbError::PgSetup {
        url: url.clone(),
        message,
    };
    conn.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
        .map_err(|e| setup_err(format!("taking the migration lock: {e}")))?;
    let result = migrate_and_install(&mut conn);
    // Also released when the connection closes, which follows at once.
    let _ = conn.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"));
    result.map_err(setup_err)
}

fn migrate_and_install(conn: &mut PgConnection) -> Result<(), String> {
    super::migrate::run_pending_pg(conn).map_err(|e| format!("migrations: {e}"))?;
    conn.transaction(|c| c.batch_execute(&super::capture_pg::install_sql()))
        .map_err(|e| format!("installing the change capture: {e}"))
}

/// One connection attempt (the commit listener retries on its own schedule).
pub fn connect_once(url: &PgUrl) -> Result<PgConnection, diesel::ConnectionError> {
    PgConnection::establish(&url.connect_string())
}
