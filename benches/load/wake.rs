//! Wake latency of `wait_for_task` (issue 11): how long after the commit that makes a task claimable the
//! waiting agent that claims it has its answer.
//!
//! `waiters` Streamable HTTP sessions (distinct agents) each keep one `wait_for_task` open. A producer
//! session then creates one task at a time and waits until some waiter's answer carries it. Both instants
//! are read on the client with one clock: latency = the claiming waiter's answer − the create_task answer
//! (the producer is answered after the COMMIT, so this is commit → claim answer as the clients see it; it
//! can be slightly negative when the waiter's answer beats the producer's). The winner re-arms its wait
//! at once; the others keep waiting. Between tasks the producer pauses `TINYTASK_BENCH_WAKE_SETTLE_MS`
//! (default 5) so that the winner's new wait has reached the server and the losers are asleep again.
//!
//! - **pool**: every waiter waits on the same queue (`queue_name`); tasks are created unassigned in it,
//!   so every waiter wakes for every task and one claims it.
//! - **personal**: every waiter waits for its own tasks (`agent_name` only); task k is assigned to
//!   waiter k mod `waiters`, so only that one wakes.
//!
//! Checked: every task is claimed exactly once (by its assignee, in personal mode), and no other claim
//! arrives (a late duplicate is looked for after the last task).

use crate::client::{ACCEPT_JSON, McpSession};
use crate::server::Server;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Pool,
    Personal,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Pool => "pool (one queue, all wake)",
            Mode::Personal => "personal (assigned, one wakes)",
        }
    }

    fn tag(self) -> &'static str {
        match self {
            Mode::Pool => "pool",
            Mode::Personal => "personal",
        }
    }
}

/// One `wait_for_task` answer that claimed a task, as the waiter saw it.
struct Claim {
    task: i64,
    waiter: usize,
    at: Instant,
}

enum Event {
    Claimed(Claim),
    Failed(String),
}

/// The measurement of one mode.
pub struct WakeRow {
    pub mode: Mode,
    pub waiters: usize,
    pub tasks: usize,
    /// Tasks claimed exactly once (by the right agent, in personal mode).
    pub claimed_once: usize,
    /// Claims beyond the first of a task, of unknown tasks, or by the wrong agent.
    pub bad_claims: usize,
    /// Tasks no waiter claimed within the time limit.
    pub missing: usize,
    pub errors: usize,
    pub first_error: Option<String>,
    /// create_task answered → claiming waiter answered, µs (may be negative).
    pub after_commit_us: Vec<i64>,
    /// create_task sent → claiming waiter answered, µs.
    pub after_send_us: Vec<i64>,
    /// Server CPU per task (create, every wake-up, claim, re-arm), µs.
    pub cpu_us_per_task: f64,
    /// `/proc/loadavg` (1-minute) before and after.
    pub load: (f64, f64),
}

fn micros(later: Instant, earlier: Instant) -> i64 {
    match later.checked_duration_since(earlier) {
        Some(d) => d.as_micros() as i64,
        None => -(earlier.duration_since(later).as_micros() as i64),
    }
}

fn pointer_i64(body: &[u8], path: &str) -> Option<i64> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    v.pointer(path)?.as_i64()
}

pub fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(f64::NAN)
}

fn agent(mode: Mode, i: usize) -> String {
    format!("wake-{}-{i}", mode.tag())
}

const QUEUE: &str = "wake-pool";

/// One waiter: waits, reports each claim, re-arms; until aborted.
async fn waiter(port: u16, mode: Mode, i: usize, events: mpsc::UnboundedSender<Event>) {
    let mut session = match McpSession::open(port).await {
        Ok(s) => s,
        Err(e) => {
            let _ = events.send(Event::Failed(format!("waiter {i}: open: {e}")));
            return;
        }
    };
    let args = match mode {
        Mode::Pool => format!(
            r#"{{"agent_name":"{}","queue_name":"{QUEUE}","timeout_secs":300}}"#,
            agent(mode, i)
        ),
        Mode::Personal => format!(
            r#"{{"agent_name":"{}","timeout_secs":300}}"#,
            agent(mode, i)
        ),
    };
    loop {
        let answer = session
            .call_accepting("wait_for_task", &args, ACCEPT_JSON)
            .await;
        let at = Instant::now();
        let event = match answer {
            Ok(body) => match pointer_i64(&body, "/result/structuredContent/task/id") {
                Some(task) => Event::Claimed(Claim {
                    task,
                    waiter: i,
                    at,
                }),
                // Timed out (claimed: false): wait again.
                None => continue,
            },
            Err(e) => Event::Failed(format!("waiter {i}: {e}")),
        };
        let failed = matches!(event, Event::Failed(_));
        if events.send(event).is_err() || failed {
            return;
        }
    }
}

fn fail(row: &mut WakeRow, e: String) {
    row.errors += 1;
    row.first_error.get_or_insert(e);
}

fn setting(var: &str, default: u64) -> u64 {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs one mode: `waiters` waiting sessions, `tasks` tasks created one at a time.
pub async fn measure(server: &Server, mode: Mode, waiters: usize, tasks: usize) -> WakeRow {
    let settle = Duration::from_millis(setting("TINYTASK_BENCH_WAKE_SETTLE_MS", 5));
    let port = server.port;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let handles: Vec<_> = (0..waiters)
        .map(|i| tokio::spawn(waiter(port, mode, i, tx.clone())))
        .collect();
    drop(tx);
    let mut producer = McpSession::open(port).await.expect("producer session");
    // Every waiter has opened its session and sent its first wait.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let mut row = WakeRow {
        mode,
        waiters,
        tasks,
        claimed_once: 0,
        bad_claims: 0,
        missing: 0,
        errors: 0,
        first_error: None,
        after_commit_us: Vec::with_capacity(tasks),
        after_send_us: Vec::with_capacity(tasks),
        cpu_us_per_task: f64::NAN,
        load: (load_average(), f64::NAN),
    };
    // Claims per task id, and the assignee each task was created for.
    let mut claims: HashMap<i64, usize> = HashMap::new();
    let mut assignee: HashMap<i64, usize> = HashMap::new();
    let mut early: Vec<Claim> = Vec::new();
    let cpu0 = server.cpu_seconds();
    for k in 0..tasks {
        tokio::time::sleep(settle).await;
        let target = k % waiters;
        let args = match mode {
            Mode::Pool => format!(
                r#"{{"title":"Wake task {k}","created_by":"wake-producer","queue_name":"{QUEUE}"}}"#
            ),
            Mode::Personal => format!(
                r#"{{"title":"Wake task {k}","created_by":"wake-producer","assigned_to":"{}"}}"#,
                agent(mode, target)
            ),
        };
        let sent = Instant::now();
        let created = producer.call("create_task", &args).await;
        let answered = Instant::now();
        let id = match created
            .map(|b| pointer_i64(&b, "/result/structuredContent/id").ok_or("no task id"))
        {
            Ok(Ok(id)) => id,
            Ok(Err(e)) => {
                fail(&mut row, format!("create_task: {e}"));
                continue;
            }
            Err(e) => {
                fail(&mut row, e);
                continue;
            }
        };
        assignee.insert(id, target);
        // The claim of `id`: perhaps already in (a claim can arrive before the create_task answer).
        let mut got = early
            .iter()
            .position(|c| c.task == id)
            .map(|p| early.swap_remove(p));
        let limit = answered + Duration::from_secs(10);
        while got.is_none() {
            match tokio::time::timeout_at(limit.into(), rx.recv()).await {
                Ok(Some(Event::Claimed(c))) if c.task == id => got = Some(c),
                // A second claim of a task created earlier (judged below), or one not created yet.
                Ok(Some(Event::Claimed(c))) if assignee.contains_key(&c.task) => {
                    *claims.entry(c.task).or_default() += 1;
                }
                Ok(Some(Event::Claimed(c))) => early.push(c),
                Ok(Some(Event::Failed(e))) => fail(&mut row, e),
                Ok(None) | Err(_) => break,
            }
        }
        match got {
            Some(c) => {
                *claims.entry(id).or_default() += 1;
                if mode == Mode::Personal && c.waiter != target {
                    row.bad_claims += 1;
                }
                row.after_commit_us.push(micros(c.at, answered));
                row.after_send_us.push(micros(c.at, sent));
            }
            None => row.missing += 1,
        }
    }
    let cpu = server.cpu_seconds() - cpu0;
    row.cpu_us_per_task = cpu * 1e6 / tasks as f64;
    // Late duplicates: anything claimed after the last task was.
    let drain_until = Instant::now() + Duration::from_millis(500);
    while let Ok(Some(event)) = tokio::time::timeout_at(drain_until.into(), rx.recv()).await {
        match event {
            Event::Claimed(c) => *claims.entry(c.task).or_default() += 1,
            Event::Failed(e) => fail(&mut row, e),
        }
    }
    // Claims of tasks never created (should not exist), left over from above.
    for c in early {
        *claims.entry(c.task).or_default() += 1;
    }
    row.load.1 = load_average();
    for h in &handles {
        h.abort();
    }
    for (task, n) in &claims {
        if assignee.contains_key(task) {
            row.bad_claims += n.saturating_sub(1);
        } else {
            row.bad_claims += n;
        }
    }
    row.claimed_once = assignee
        .keys()
        .filter(|t| claims.get(t) == Some(&1))
        .count();
    row
}

fn percentile(sorted: &[i64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx] as f64 / 1000.0
}

pub const WAKE_HEAD: &str = "| wake-up | waiters | tasks | claimed exactly once | p50 ms | p90 ms | p99 ms | max ms | min ms | p99 from create sent ms | server CPU per task | load avg (1 min) before → after |\n|---|---|---|---|---|---|---|---|---|---|---|---|";

impl WakeRow {
    pub fn markdown(&mut self) -> String {
        self.after_commit_us.sort_unstable();
        self.after_send_us.sort_unstable();
        let a = &self.after_commit_us;
        let once = if self.bad_claims == 0 && self.missing == 0 && self.errors == 0 {
            format!("{} of {} ✓", self.claimed_once, self.tasks)
        } else {
            format!(
                "{} of {} ✗ ({} bad claims, {} missing, {} errors)",
                self.claimed_once, self.tasks, self.bad_claims, self.missing, self.errors
            )
        };
        format!(
            "| {} | {} | {} | {once} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.0} µs | {:.2} → {:.2} |",
            self.mode.name(),
            self.waiters,
            self.tasks,
            percentile(a, 0.50),
            percentile(a, 0.90),
            percentile(a, 0.99),
            percentile(a, 1.0),
            percentile(a, 0.0),
            percentile(&self.after_send_us, 0.99),
            self.cpu_us_per_task,
            self.load.0,
            self.load.1,
        )
    }
}
