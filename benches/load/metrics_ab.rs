//! The cost of recording metrics (`TINYTASK_BENCH_ONLY=metrics`): the same binary with `TINYTASK_METRICS=on`
//! and `off`, alternating in ABBA order (off, on, on, off, …) so that a drift of the machine during the run
//! weighs on both alike. Each run gets a fresh server on a fresh copy of the seeded board (create_task grows
//! it) and measures get_task and create_task over Streamable HTTP; reported as throughput and server CPU
//! per request. Every "on" run checks that its scrape counted the calls it made; every "off" run that
//! `/metrics` is 404.

use super::client::Conn;
use super::scenarios::Scenario;
use super::{Work, drive, server};
use std::path::Path;
use std::time::{Duration, Instant};

/// One run's figures for one scenario.
pub struct Run {
    pub scenario: Scenario,
    pub metrics: bool,
    pub round: usize,
    pub rps: f64,
    pub cpu_us: f64,
    pub p99: f64,
    pub errors: u64,
}

const SCENARIOS: [Scenario; 2] = [Scenario::GetTask, Scenario::CreateTask];

/// `tinytask_tool_calls_total{tool="<tool>",outcome="ok"}` from a scrape, or why not.
async fn scraped_calls(port: u16, tool: &str) -> Result<f64, String> {
    let mut conn = Conn::connect(port).await.map_err(|e| e.to_string())?;
    let r = conn
        .request("GET", "/metrics", &[], b"")
        .await
        .map_err(|e| e.to_string())?;
    if r.status != 200 {
        return Err(format!("/metrics answered HTTP {}", r.status));
    }
    let series = format!(r#"tinytask_tool_calls_total{{tool="{tool}",outcome="ok"}} "#);
    String::from_utf8_lossy(&r.body)
        .lines()
        .find_map(|l| l.strip_prefix(&series)?.parse().ok())
        .ok_or_else(|| format!("no {series} in the scrape"))
}

async fn metrics_status(port: u16) -> u16 {
    let mut conn = Conn::connect(port).await.expect("connect");
    conn.request("GET", "/metrics", &[], b"")
        .await
        .expect("GET /metrics")
        .status
}

/// Runs `rounds` ABBA pairs; `base` is the seeded board, copied afresh for every run.
pub async fn measure(
    dir: &Path,
    base: &Path,
    sessions: usize,
    phase: Duration,
    rounds: usize,
) -> Vec<Run> {
    let mut runs = Vec::new();
    for round in 0..rounds {
        let order = if round % 2 == 0 {
            [false, true]
        } else {
            [true, false]
        };
        for metrics in order {
            let db = dir.join(format!("metrics-{round}-{metrics}.db"));
            std::fs::copy(base, &db).expect("copy the seeded board");
            let port = server::free_port();
            let log = dir.join(format!("metrics-{round}-{metrics}.log"));
            let switch = if metrics { "on" } else { "off" };
            let server = server::spawn_with(&db, port, &log, &[("TINYTASK_METRICS", switch)]);
            server::wait_healthy(port, Instant::now(), Duration::from_secs(10));
            for sc in SCENARIOS {
                eprintln!("metrics {switch}, round {}: {}…", round + 1, sc.key());
                let row = drive(&server, sc.name(), sessions, phase, Work::Tool(sc)).await;
                if metrics {
                    let ok = (row.rps * phase.as_secs_f64()).round();
                    let counted = scraped_calls(port, sc.key()).await.expect("scrape");
                    assert!(
                        counted >= ok,
                        "{}: the scrape counted {counted} ok calls, the client got {ok} answers",
                        sc.key()
                    );
                }
                runs.push(Run {
                    scenario: sc,
                    metrics,
                    round,
                    rps: row.rps,
                    cpu_us: row.cpu_pct * 10_000.0 / row.rps,
                    p99: row.p99,
                    errors: row.errors,
                });
            }
            if !metrics {
                assert_eq!(
                    metrics_status(port).await,
                    404,
                    "TINYTASK_METRICS=off serves /metrics"
                );
            }
            server.stop();
        }
    }
    runs
}

fn mean(v: impl Iterator<Item = f64>) -> f64 {
    let (n, sum) = v.fold((0.0, 0.0), |(n, s), x| (n + 1.0, s + x));
    sum / n
}

/// The report: every run, then per scenario the means with and without and the change.
pub fn markdown(runs: &[Run]) -> String {
    use std::fmt::Write;
    let mut out = String::from(
        "| scenario | round | metrics | req/s | server CPU µs/req | p99 ms | errors |\n|---|---|---|---|---|---|---|\n",
    );
    for r in runs {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.0} | {:.1} | {:.2} | {} |",
            r.scenario.name(),
            r.round + 1,
            if r.metrics { "on" } else { "off" },
            r.rps,
            r.cpu_us,
            r.p99,
            r.errors
        );
    }
    out.push_str(
        "\n| scenario | req/s off (mean) | req/s on (mean) | throughput on vs off | CPU µs/req off | CPU µs/req on | CPU on vs off |\n|---|---|---|---|---|---|---|\n",
    );
    for sc in SCENARIOS {
        let of = |on: bool| {
            runs.iter()
                .filter(move |r| r.scenario == sc && r.metrics == on)
        };
        let (rps_off, rps_on) = (
            mean(of(false).map(|r| r.rps)),
            mean(of(true).map(|r| r.rps)),
        );
        let (cpu_off, cpu_on) = (
            mean(of(false).map(|r| r.cpu_us)),
            mean(of(true).map(|r| r.cpu_us)),
        );
        let _ = writeln!(
            out,
            "| {} | {rps_off:.0} | {rps_on:.0} | {:+.1}% | {cpu_off:.1} | {cpu_on:.1} | {:+.1}% |",
            sc.name(),
            100.0 * (rps_on / rps_off - 1.0),
            100.0 * (cpu_on / cpu_off - 1.0)
        );
    }
    out
}
