//! A realistic board, written straight into the database file before the server starts: tasks spread over
//! agents and queues, some subtasks and blockers, comments and links.

use diesel::connection::SimpleConnection;
use std::fmt::Write;
use std::path::Path;

/// Tasks on the board: `TINYTASK_BENCH_TASKS` (default 10,000; 1,000 reproduces the conditions of the
/// README's TinyTask 2.x figures).
/// Read once: the load generator asks for it on every request.
pub fn tasks() -> usize {
    static TASKS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *TASKS.get_or_init(|| {
        std::env::var("TINYTASK_BENCH_TASKS")
            .ok()
            .and_then(|v| v.parse().ok())
            .filter(|n| *n > 0)
            .unwrap_or(10_000)
    })
}
pub const AGENTS: usize = 50;
pub const QUEUES: usize = 10;

pub fn seed(db: &Path) {
    let pool = tinytask::db::open(db, 1).expect("create the bench database");
    let mut conn = pool.get().unwrap();
    let mut sql = String::from("BEGIN;\n");
    for i in 1..=tasks() {
        let agent = i % AGENTS;
        let queue = i % QUEUES;
        let status = ["idle", "idle", "working", "complete"][i % 4];
        // Every 10th task is a subtask of the task before it; every 25th is blocked by an earlier one.
        let parent = if i % 10 == 0 {
            (i - 1).to_string()
        } else {
            "NULL".into()
        };
        let blocker = if i % 25 == 0 {
            (i - 7).to_string()
        } else {
            "NULL".into()
        };
        let _ = writeln!(
            sql,
            "INSERT INTO tasks (title, description, status, assigned_to, created_by, priority, tags, parent_task_id, \
             queue_name, blocked_by_task_id) VALUES ('Task {i}', 'Seeded task number {i} for the benchmark', '{status}', \
             'agent-{agent}', 'seed', {}, '[\"bench\",\"q{queue}\"]', {parent}, 'queue-{queue}', {blocker});",
            i % 7
        );
        if i % 2 == 0 {
            let _ = writeln!(
                sql,
                "INSERT INTO comments (task_id, content, created_by) VALUES ({i}, 'Progress note on task {i}', 'agent-{agent}');"
            );
        }
        if i % 5 == 0 {
            let _ = writeln!(
                sql,
                "INSERT INTO links (task_id, url, description, created_by) VALUES ({i}, 'https://example.test/pr/{i}', 'PR', 'agent-{agent}');"
            );
        }
    }
    sql.push_str("COMMIT;\nPRAGMA wal_checkpoint(TRUNCATE);\n");
    conn.batch_execute(&sql).expect("seed the board");
}
