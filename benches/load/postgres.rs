//! The load benchmark on PostgreSQL (`TINYTASK_BENCH_DATABASE_URL=postgres://…`, a server the benchmark may
//! create a database on; `scripts/postgres-env.sh` starts one): the seeded board copied into a fresh
//! database `tinytask_bench` with `tinytask copy-data`, served by 1 replica and then by 3 (the workers spread
//! over them round robin, each with a session on its replica: client-side balancing, so nginx's own cost is
//! not in the figures). Ceiling measured in the same run: PostgreSQL's own single-row insert rate, pgbench
//! with as many clients as the benchmark has sessions, each insert its own transaction.

use crate::scenarios::Scenario;
use crate::server::{self, Server};
use crate::stats::Row;
use crate::{Work, drive_on};
use diesel::Connection;
use diesel::connection::SimpleConnection;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use tinytask::db::PgUrl;

const DATABASE: &str = "tinytask_bench";

/// The scenarios run on each replica count: a read, the writes, the mix.
const SCENARIOS: [Scenario; 5] = [
    Scenario::GetTask,
    Scenario::ListTasks,
    Scenario::CreateTask,
    Scenario::UpdateTask,
    Scenario::AgentWorkflow,
];

pub struct Report {
    /// pgbench's single-row insert rate (transactions/s).
    pub ceiling: f64,
    pub rows: Vec<Row>,
}

/// The benchmark database's URL, created empty (dropped first when a previous run left it).
fn fresh_database(admin: &str) -> PgUrl {
    let admin = PgUrl::parse(admin).expect("TINYTASK_BENCH_DATABASE_URL is a postgres:// URL");
    let mut conn =
        diesel::PgConnection::establish(&admin.connect_string()).expect("connect to PostgreSQL");
    // Two calls: one batch would be one implicit transaction, which DROP/CREATE DATABASE refuse.
    conn.batch_execute(&format!("DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
        .expect("drop the previous benchmark database");
    conn.batch_execute(&format!("CREATE DATABASE {DATABASE}"))
        .expect("create the benchmark database");
    admin.with_param("dbname", DATABASE).expect("a URL")
}

/// Puts the seeded board into the database (`tinytask copy-data --replace`, ids and all).
fn copy_board(board: &Path, url: &PgUrl) {
    let out = Command::new(server::binary())
        .args(["copy-data", "--replace", "--from"])
        .arg(board)
        .args(["--to", &url.connect_string()])
        .env("TINYTASK_LOG_LEVEL", "warn")
        .output()
        .expect("run tinytask copy-data");
    assert!(
        out.status.success(),
        "copy-data failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn pgbench() -> String {
    let installed = std::fs::read_dir("/usr/lib/postgresql")
        .ok()
        .and_then(|dirs| {
            dirs.filter_map(Result::ok)
                .map(|d| d.path().join("bin/pgbench"))
                .find(|p| p.exists())
        });
    installed.map_or_else(|| "pgbench".into(), |p| p.display().to_string())
}

/// pgbench: `clients` connections inserting one row per transaction for `duration`; transactions/s.
fn insert_ceiling(url: &PgUrl, dir: &Path, clients: usize, duration: Duration) -> f64 {
    let mut conn = diesel::PgConnection::establish(&url.connect_string()).expect("connect");
    conn.batch_execute(
        "CREATE TABLE IF NOT EXISTS bench_ceiling (id SERIAL PRIMARY KEY, title TEXT NOT NULL, \
         status TEXT NOT NULL, created_by TEXT)",
    )
    .expect("create the ceiling table");
    let script = dir.join("insert.sql");
    std::fs::write(
        &script,
        "INSERT INTO bench_ceiling (title, status, created_by) VALUES ('ceiling', 'idle', 'bench');\n",
    )
    .unwrap();
    let out = Command::new(pgbench())
        .args(["-n", "-f"])
        .arg(&script)
        .args(["-c", &clients.to_string(), "-j", "2", "-T"])
        .arg(duration.as_secs().max(1).to_string())
        .arg(url.connect_string())
        .output()
        .expect("run pgbench (Debian's postgresql package has it)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "pgbench failed: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // "tps = 4273.123 (without initial connection time)"
    text.lines()
        .find_map(|l| l.trim().strip_prefix("tps = "))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .expect("pgbench printed its tps")
}

fn start(url: &PgUrl, dir: &Path, name: &str) -> Server {
    let port = server::free_port();
    let url = url.connect_string();
    let server = server::spawn_with(
        &dir.join(format!("{name}.db")),
        port,
        &dir.join(format!("{name}.log")),
        &[("TINYTASK_DATABASE_URL", url.as_str())],
    );
    server::wait_healthy(port, Instant::now(), Duration::from_secs(30));
    server
}

pub async fn measure(
    admin: &str,
    board: &Path,
    dir: &Path,
    sessions: usize,
    phase: Duration,
    http_ceiling: f64,
) -> Report {
    let url = fresh_database(admin);
    eprintln!("postgres: pgbench single-row inserts, {sessions} clients…");
    let ceiling = insert_ceiling(&url, dir, sessions, phase);
    let mut rows = Vec::new();
    for replicas in [1usize, 3] {
        copy_board(board, &url);
        let servers: Vec<Server> = (0..replicas)
            .map(|i| start(&url, dir, &format!("pg-{replicas}-{i}")))
            .collect();
        let on: Vec<&Server> = servers.iter().collect();
        for sc in SCENARIOS {
            let name = format!(
                "postgres, {replicas} replica{}: {}",
                if replicas == 1 { "" } else { "s" },
                sc.name()
            );
            eprintln!("{name}…");
            let mut row = drive_on(&on, &name, sessions, phase, Work::Tool(sc)).await;
            row.ceiling = Some(if sc.is_write() {
                ("pgbench", ceiling)
            } else {
                (crate::LIVE, http_ceiling)
            });
            rows.push(row);
        }
        for s in servers {
            s.stop();
        }
    }
    Report { ceiling, rows }
}
