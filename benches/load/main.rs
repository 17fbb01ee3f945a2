//! TinyTask load benchmark: `cargo bench --bench load` (or `just bench`).
//!
//! Starts the release server on a fresh seeded database, opens N Streamable HTTP sessions (initialize +
//! initialized, as real clients do) and drives `tools/call` for a fixed time per scenario, checking every
//! response. Ceilings measured in the same run: the server's `/health/live` throughput (the liveness probe,
//! which does no work: the HTTP stack alone) and a raw diesel single-row insert loop on the same disk
//! (storage). `/health` (readiness, which runs the database checks) is measured too, as a row of its own. Also: start → healthy, idle RSS, RSS with
//! 1,000 idle SSE streams, production image size; the wake latency of `wait_for_task` (wake.rs); and the
//! cost of recording metrics, on vs off (metrics_ab.rs).
//! Prints a markdown report (docs/benchmarks.md).

// The report is this program's output: stdout is its purpose here (the server's stdout rule does not apply).
#![allow(clippy::print_stdout)]

mod client;
mod metrics_ab;
mod postgres;
mod projections;
mod scenarios;
mod seed;
mod server;
mod stats;
mod wake;

use client::{Conn, McpSession};
use scenarios::{Rng, Scenario, Workflow};
use stats::{Outcome, Row, TABLE_HEAD};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How a benchmark worker talks to the server: an MCP session, or raw HTTP for the probes.
enum Client {
    Mcp(McpSession),
    Raw(Conn),
}

/// What a worker repeats: an MCP scenario, or a plain `GET` of a probe path.
#[derive(Clone, Copy)]
pub(crate) enum Work {
    Tool(Scenario),
    Get(&'static str),
}

/// The HTTP ceiling: the liveness probe answers without touching the database or any lock.
pub(crate) const LIVE: &str = "/health/live";
/// The readiness probe: a query, the write path's state and a `stat` of the database file per call.
const READY: &str = "/health";

fn secs(var: &str, default: f64) -> Duration {
    Duration::from_secs_f64(
        std::env::var(var)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default),
    )
}

/// Runs `sessions` workers for `duration`, sampling the server's RSS; returns the scenario's row.
async fn drive(
    server: &server::Server,
    name: &str,
    sessions: usize,
    duration: Duration,
    work: Work,
) -> Row {
    drive_on(&[server], name, sessions, duration, work).await
}

/// [`drive`] over several servers (replicas of one board): worker `i` talks to server `i % n`; RSS and CPU
/// are the servers' sums.
async fn drive_on(
    servers: &[&server::Server],
    name: &str,
    sessions: usize,
    duration: Duration,
    work: Work,
) -> Row {
    let mut workers = Vec::new();
    let start_gate = Arc::new(tokio::sync::Barrier::new(sessions + 1));
    for i in 0..sessions {
        let gate = Arc::clone(&start_gate);
        let port = servers[i % servers.len()].port;
        workers.push(tokio::spawn(async move {
            let mut outcome = Outcome::default();
            let mut rng = Rng::new(i as u64 + 1);
            let mut wf = Workflow::default();
            let agent = i % seed::AGENTS;
            let mut client = match work {
                Work::Tool(_) => Client::Mcp(McpSession::open(port).await.expect("open session")),
                Work::Get(_) => Client::Raw(Conn::connect(port).await.expect("connect")),
            };
            gate.wait().await;
            let deadline = Instant::now() + duration;
            while Instant::now() < deadline {
                let t0 = Instant::now();
                let result = match (&mut client, work) {
                    (Client::Mcp(s), Work::Tool(sc)) => {
                        scenarios::step(s, sc, &mut rng, agent, &mut wf).await
                    }
                    (Client::Raw(c), Work::Get(path)) => {
                        match c.request("GET", path, &[], b"").await {
                            Ok(r) if r.status == 200 => Ok(()),
                            Ok(r) => Err(format!("{path} HTTP {}", r.status)),
                            Err(e) => Err(e.to_string()),
                        }
                    }
                    _ => unreachable!("the client is opened for its work"),
                };
                outcome.record(result.map(|_| t0.elapsed()));
            }
            outcome
        }));
    }
    start_gate.wait().await;
    let cpu_seconds = || servers.iter().map(|s| s.cpu_seconds()).sum::<f64>();
    let rss_mb = || servers.iter().map(|s| s.rss_mb()).sum::<f64>();
    let cpu0 = cpu_seconds();
    let t0 = Instant::now();
    let sampling = Arc::new(AtomicBool::new(true));
    let mut peak_rss = rss_mb();
    let mut total = Outcome::default();
    let mut pending = workers;
    while !pending.is_empty() {
        tokio::time::sleep(Duration::from_millis(100)).await;
        peak_rss = peak_rss.max(rss_mb());
        let (done, rest): (Vec<_>, Vec<_>) = pending
            .into_iter()
            .partition(tokio::task::JoinHandle::is_finished);
        for h in done {
            total.merge(h.await.expect("worker"));
        }
        pending = rest;
    }
    sampling.store(false, Ordering::Relaxed);
    let elapsed = t0.elapsed().as_secs_f64();
    let cpu = 100.0 * (cpu_seconds() - cpu0) / elapsed;
    if let Some(e) = &total.first_error {
        eprintln!("  {name}: {} errors, first: {e}", total.errors);
    }
    Row {
        name: name.to_string(),
        sessions,
        rps: total.ok as f64 / duration.as_secs_f64(),
        p50: total.percentile_ms(0.50),
        p90: total.percentile_ms(0.90),
        p99: total.percentile_ms(0.99),
        errors: total.errors,
        rss_mb: peak_rss,
        cpu_pct: cpu,
        ceiling: None,
    }
}

/// One scenario at `sessions`, reported against `ceiling` (name, req/s).
async fn scenario_row(
    server: &server::Server,
    sc: Scenario,
    sessions: usize,
    phase: Duration,
    ceiling: (&'static str, f64),
) -> Row {
    eprintln!("{}…", sc.name());
    let mut row = drive(server, sc.name(), sessions, phase, Work::Tool(sc)).await;
    row.ceiling = Some(ceiling);
    row
}

/// Storage ceiling: single-row inserts, each its own IMMEDIATE transaction, same pragmas, same disk.
fn storage_ceiling(dir: &Path, duration: Duration) -> f64 {
    use diesel::prelude::*;
    use tinytask::db::schema::tasks;
    let pool = tinytask::db::open(&dir.join("ceiling.db"), 1).unwrap();
    let mut conn = pool.get().unwrap();
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < duration {
        conn.write_transaction(|c| {
            diesel::insert_into(tasks::table)
                .values((
                    tasks::title.eq("ceiling"),
                    tasks::status.eq("idle"),
                    tasks::created_by.eq("bench"),
                ))
                .execute(c)
        })
        .unwrap();
        n += 1;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn count(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `TINYTASK_BENCH_ONLY=update_task,sweep`: run only these scenarios (keys as in `Scenario::key`, plus
/// `sweep`, `projections`, `wake` and `metrics`), e.g. while profiling one path. Unset: everything.
fn selected(key: &str) -> bool {
    std::env::var("TINYTASK_BENCH_ONLY")
        .map_or(true, |only| only.split(',').any(|k| k.trim() == key))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn raise_fd_limit() {
    let mut l = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain syscalls on an owned struct.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut l) == 0 {
            l.rlim_cur = l.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &l);
        }
    }
}

fn image_size() -> String {
    let out = std::process::Command::new("docker")
        .args(["image", "inspect", "-f", "{{.Size}}", "tinytask-mcp:latest"])
        .output();
    match out {
        Ok(o) if o.status.success() => {
            let bytes: f64 = String::from_utf8_lossy(&o.stdout)
                .trim()
                .parse()
                .unwrap_or(f64::NAN);
            format!("{:.1} MB", bytes / 1e6)
        }
        _ => "not measured (no tinytask-mcp:latest image / Docker engine)".into(),
    }
}

/// RSS with `n` idle legacy SSE streams open (each a separate connection holding a session).
async fn rss_with_streams(server: &server::Server, n: usize) -> (f64, usize) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut streams = Vec::with_capacity(n);
    for _ in 0..n {
        let mut s = tokio::net::TcpStream::connect(("127.0.0.1", server.port))
            .await
            .expect("connect");
        s.write_all(
            format!(
                "GET /sse HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nAccept: text/event-stream\r\n\r\n",
                server.port
            )
            .as_bytes(),
        )
        .await
        .unwrap();
        let mut buf = [0u8; 512];
        let got = s.read(&mut buf).await.unwrap();
        assert!(
            String::from_utf8_lossy(&buf[..got]).contains("200"),
            "stream refused"
        );
        streams.push(s);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss = server.rss_mb();
    let open = streams.len();
    drop(streams);
    (rss, open)
}

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return; // `cargo test --benches` / harness probes: nothing to list.
    }
    raise_fd_limit();
    let phase = secs("TINYTASK_BENCH_SECONDS", 4.0);
    let sweep_phase = secs("TINYTASK_BENCH_SWEEP_SECONDS", 3.0);
    let sessions = count("TINYTASK_BENCH_SESSIONS", 32);
    let dir = tempfile::tempdir().expect("temp dir");
    let began = Instant::now();
    let load_at_start = wake::load_average();

    // Start → healthy, median of 10 (fresh database each time, migrations included).
    let mut startups = Vec::new();
    let mut idle_rss = Vec::new();
    for i in 0..10 {
        let db = dir.path().join(format!("start-{i}.db"));
        let port = server::free_port();
        let t = Instant::now();
        let s = server::spawn(&db, port, &dir.path().join("start.log"));
        startups
            .push(server::wait_healthy(port, t, Duration::from_secs(10)).as_secs_f64() * 1000.0);
        std::thread::sleep(Duration::from_millis(200));
        idle_rss.push(s.rss_mb());
        s.stop();
    }

    eprintln!("seeding {} tasks…", seed::tasks());
    let db = dir.path().join("bench.db");
    seed::seed(&db);
    // The metrics A/B runs on pristine copies of the board (the main server below writes to this one).
    let pristine = dir.path().join("pristine.db");
    std::fs::copy(&db, &pristine).expect("copy the seeded board");
    let storage = storage_ceiling(dir.path(), Duration::from_secs(3));

    let port = server::free_port();
    let log = dir.path().join("server.log");
    let server = server::spawn(&db, port, &log);
    server::wait_healthy(port, Instant::now(), Duration::from_secs(10));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut rows = Vec::new();
    let mut wakes = Vec::new();
    let mut metrics_runs = Vec::new();
    let mut projection_rows = Vec::new();
    let mut on_postgres = None;
    runtime.block_on(async {
        eprintln!("ceiling: {LIVE}…");
        let live = drive(
            &server,
            "ceiling: GET /health/live (liveness, no work)",
            sessions,
            phase,
            Work::Get(LIVE),
        )
        .await;
        let http_ceiling = live.rps;
        rows.push(live);
        eprintln!("readiness: {READY}…");
        let mut ready = drive(
            &server,
            "readiness: GET /health (database checks)",
            sessions,
            phase,
            Work::Get(READY),
        )
        .await;
        ready.ceiling = Some((LIVE, http_ceiling));
        rows.push(ready);
        // Reads, then the sweep (same board), then writes (which grow the board).
        for sc in Scenario::ALL
            .into_iter()
            .filter(|sc| !sc.is_write() && selected(sc.key()))
        {
            let ceiling = if sc.is_write() {
                ("storage", storage)
            } else {
                (LIVE, http_ceiling)
            };
            rows.push(scenario_row(&server, sc, sessions, phase, ceiling).await);
        }
        if selected("projections") {
            projection_rows = projections::measure(&server, sessions, phase).await;
        }
        for n in [1, 8, 32, 128].into_iter().filter(|_| selected("sweep")) {
            eprintln!("sweep {n}…");
            let mut row = drive(
                &server,
                "sweep: get_task",
                n,
                sweep_phase,
                Work::Tool(Scenario::GetTask),
            )
            .await;
            row.ceiling = Some((LIVE, http_ceiling));
            rows.push(row);
        }
        for sc in Scenario::ALL
            .into_iter()
            .filter(|sc| sc.is_write() && selected(sc.key()))
        {
            let ceiling = if sc.is_write() {
                ("storage", storage)
            } else {
                (LIVE, http_ceiling)
            };
            rows.push(scenario_row(&server, sc, sessions, phase, ceiling).await);
        }
        // Last: its waiters and tasks do not disturb the scenarios above.
        if selected("wake") {
            let waiters = count("TINYTASK_BENCH_WAKE_WAITERS", 32);
            let tasks = count("TINYTASK_BENCH_WAKE_TASKS", 500);
            for mode in [wake::Mode::Pool, wake::Mode::Personal] {
                eprintln!("wake: {}…", mode.name());
                let row = wake::measure(&server, mode, waiters, tasks).await;
                if let Some(e) = &row.first_error {
                    eprintln!("  wake: {} errors, first: {e}", row.errors);
                }
                wakes.push(row);
            }
        }
        if selected("metrics") {
            let rounds = count("TINYTASK_BENCH_METRICS_ROUNDS", 3);
            metrics_runs =
                metrics_ab::measure(dir.path(), &pristine, sessions, phase, rounds).await;
        }
        // TINYTASK_BENCH_DATABASE_URL: the same board on PostgreSQL, 1 and 3 replicas (postgres.rs).
        if let Ok(admin) = std::env::var("TINYTASK_BENCH_DATABASE_URL")
            && selected("postgres")
        {
            on_postgres = Some(
                postgres::measure(&admin, &pristine, dir.path(), sessions, phase, http_ceiling)
                    .await,
            );
        }
    });
    let (streams_rss, streams) = runtime.block_on(rss_with_streams(&server, 1000));
    let loaded_rss = rows.iter().map(|r| r.rss_mb).fold(0.0, f64::max);
    server.stop();

    println!("## Results\n");
    println!(
        "Storage ceiling (raw diesel single-row insert, one IMMEDIATE transaction each, same pragmas, same disk): **{storage:.0} inserts/s**\n"
    );
    println!("{TABLE_HEAD}");
    for r in &rows {
        println!("{}", r.markdown());
    }
    if !projection_rows.is_empty() {
        println!("\nLean list answers (same call, same board; bytes = the JSON-RPC answer body)\n");
        print!("{}", projections::markdown(&projection_rows));
    }
    if !wakes.is_empty() {
        println!(
            "\nWake latency of `wait_for_task`: claiming waiter's answer − create_task's answer (client clock)\n"
        );
        println!("{}", wake::WAKE_HEAD);
        for w in &mut wakes {
            println!("{}", w.markdown());
        }
    }
    if let Some(pg) = &on_postgres {
        println!(
            "\nOn PostgreSQL (TINYTASK_BENCH_DATABASE_URL; the same seeded board, copied with copy-data; workers spread over the replicas)\n"
        );
        println!(
            "PostgreSQL ceiling (pgbench, single-row INSERT per transaction, {sessions} clients): **{:.0} inserts/s**\n",
            pg.ceiling
        );
        println!("{TABLE_HEAD}");
        for r in &pg.rows {
            println!("{}", r.markdown());
        }
    }
    if !metrics_runs.is_empty() {
        println!(
            "\nMetrics on vs off (same binary, TINYTASK_METRICS, ABBA order, fresh server and board per run)\n"
        );
        print!("{}", metrics_ab::markdown(&metrics_runs));
    }
    println!("\n| measurement | value |\n|---|---|");
    println!(
        "| start → healthy (median of 10) | {:.1} ms |",
        median(startups.clone())
    );
    println!(
        "| start → healthy (min / max) | {:.1} / {:.1} ms |",
        startups.iter().copied().fold(f64::MAX, f64::min),
        startups.iter().copied().fold(0.0, f64::max)
    );
    println!(
        "| idle RSS after start (median) | {:.1} MB |",
        median(idle_rss)
    );
    println!("| peak RSS under load (all scenarios) | {loaded_rss:.1} MB |");
    println!("| RSS with {streams} idle SSE streams | {streams_rss:.1} MB |");
    println!("| production image size | {} |", image_size());
    println!(
        "| load average (1 min) at start / end | {load_at_start:.2} / {:.2} |",
        wake::load_average()
    );
    println!(
        "| benchmark wall time | {:.0} s |",
        began.elapsed().as_secs_f64()
    );
}
