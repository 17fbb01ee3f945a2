//! Lean list answers (`TINYTASK_BENCH_ONLY=projections`): the read scenario's list_tasks call (queue +
//! status, limit 50) whole, with `view: "summary"` and with `fields: ["id","title","status"]`, one after
//! the other on the same server and board, reporting the answer's size next to its throughput.

use crate::client::McpSession;
use crate::scenarios::Rng;
use crate::seed::QUEUES;
use crate::server::Server;
use crate::stats::Outcome;
use std::fmt::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One projection of the call.
#[derive(Clone, Copy)]
struct Variant {
    name: &'static str,
    /// JSON members added to the list_tasks arguments (with a leading comma), or "".
    extra: &'static str,
}

const VARIANTS: [Variant; 3] = [
    Variant {
        name: "list_tasks limit 50 (whole tasks)",
        extra: "",
    },
    Variant {
        name: "list_tasks limit 50, view summary",
        extra: r#","view":"summary""#,
    },
    Variant {
        name: "list_tasks limit 50, fields id,title,status",
        extra: r#","fields":["id","title","status"]"#,
    },
];

/// A measured variant.
pub struct ProjectionRow {
    name: &'static str,
    rps: f64,
    p50: f64,
    p99: f64,
    errors: u64,
    /// Mean size of the JSON-RPC answer body (content text + structuredContent).
    bytes: f64,
}

/// Every answer must list 50 tasks: a lean answer that lost its tasks would measure nothing. A substring
/// of structuredContent, not a parse (the client shares the server's CPUs).
fn expect_fifty(body: &[u8]) -> Result<(), String> {
    const WANT: &[u8] = br#""count":50,"tasks""#;
    if body.windows(WANT.len()).any(|w| w == WANT) {
        Ok(())
    } else {
        let text = String::from_utf8_lossy(body);
        Err(format!(
            "list_tasks: expected 50 tasks: {}",
            &text[..text.len().min(300)]
        ))
    }
}

async fn run(server: &Server, v: Variant, sessions: usize, duration: Duration) -> ProjectionRow {
    let port = server.port;
    let gate = Arc::new(tokio::sync::Barrier::new(sessions + 1));
    let mut workers = Vec::with_capacity(sessions);
    for i in 0..sessions {
        let gate = Arc::clone(&gate);
        workers.push(tokio::spawn(async move {
            let mut outcome = Outcome::default();
            let (mut bytes, mut answers) = (0u64, 0u64);
            let mut rng = Rng::new(i as u64 + 101);
            let mut s = McpSession::open(port).await.expect("open session");
            gate.wait().await;
            let deadline = Instant::now() + duration;
            while Instant::now() < deadline {
                let queue = rng.below(QUEUES);
                let args = format!(
                    r#"{{"queue_name":"queue-{queue}","status":["idle","working"],"limit":50{}}}"#,
                    v.extra
                );
                let t0 = Instant::now();
                let result = s.call("list_tasks", &args).await.and_then(|body| {
                    bytes += body.len() as u64;
                    answers += 1;
                    expect_fifty(&body)
                });
                outcome.record(result.map(|()| t0.elapsed()));
            }
            (outcome, bytes, answers)
        }));
    }
    gate.wait().await;
    let mut total = Outcome::default();
    let (mut bytes, mut answers) = (0u64, 0u64);
    for w in workers {
        let (o, b, n) = w.await.expect("worker");
        total.merge(o);
        bytes += b;
        answers += n;
    }
    if let Some(e) = &total.first_error {
        eprintln!("  {}: {} errors, first: {e}", v.name, total.errors);
    }
    ProjectionRow {
        name: v.name,
        rps: total.ok as f64 / duration.as_secs_f64(),
        p50: total.percentile_ms(0.50),
        p99: total.percentile_ms(0.99),
        errors: total.errors,
        bytes: bytes as f64 / answers.max(1) as f64,
    }
}

/// Each variant for `phase` with `sessions` sessions.
pub async fn measure(server: &Server, sessions: usize, phase: Duration) -> Vec<ProjectionRow> {
    let mut rows = Vec::new();
    for v in VARIANTS {
        eprintln!("projections: {}…", v.name);
        rows.push(run(server, v, sessions, phase).await);
    }
    rows
}

/// The report's table; ratios are against the first (whole-task) row.
pub fn markdown(rows: &[ProjectionRow]) -> String {
    let mut out = String::from(
        "| answer | req/s | p50 ms | p99 ms | errors | bytes per answer | vs whole tasks (req/s, bytes) |\n\
         |---|---|---|---|---|---|---|\n",
    );
    let base = rows.first().map(|r| (r.rps, r.bytes));
    for r in rows {
        let ratio = match base {
            Some((rps, bytes)) if rps > 0.0 && bytes > 0.0 => format!(
                "{:.2}× req/s, {:.0}% of the bytes",
                r.rps / rps,
                100.0 * r.bytes / bytes
            ),
            _ => "–".into(),
        };
        let _ = writeln!(
            out,
            "| {} | {:.0} | {:.2} | {:.2} | {} | {:.0} | {ratio} |",
            r.name, r.rps, r.p50, r.p99, r.errors, r.bytes
        );
    }
    out
}
