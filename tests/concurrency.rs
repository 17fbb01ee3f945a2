//! `signup_for_task` is an atomic claim: many agents (real threads, each with its own connection pool, as
//! separate processes would have) racing on one database file never claim a task twice.

use std::collections::HashSet;
use std::sync::{Arc, Barrier};
use tinytask::domain::tasks::{self, CreateTask};
use tinytask::domain::{Board, agents};

const AGENTS: usize = 16;
const TASKS: usize = 10;

/// Ten idle tasks assigned to the shared agent name "crew"; returns their ids.
fn seed(board: &Board) -> HashSet<i32> {
    (0..TASKS)
        .map(|i| {
            let args = CreateTask {
                title: format!("task {i}"),
                created_by: "lead".into(),
                assigned_to: Some("crew".into()),
                ..CreateTask::default()
            };
            board
                .write_blocking(move |c| tasks::create(c, args.clone()))
                .unwrap()
                .id
        })
        .collect()
}

#[test]
fn sixteen_agents_claim_ten_tasks_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("race.db");
    let expected = seed(&Board::new(tinytask::db::open(&path, 1).unwrap()));

    let barrier = Arc::new(Barrier::new(AGENTS));
    let handles: Vec<_> = (0..AGENTS)
        .map(|_| {
            let (path, barrier) = (path.clone(), Arc::clone(&barrier));
            std::thread::spawn(move || {
                let board = Board::new(tinytask::db::open(&path, 1).unwrap());
                barrier.wait();
                let mut claimed = Vec::new();
                loop {
                    let signup = board.write_blocking(|c| agents::signup(c, "crew")).unwrap();
                    match signup.task {
                        Some(t) => claimed.push(t.task.id),
                        None => return claimed,
                    }
                }
            })
        })
        .collect();

    let all: Vec<i32> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    let unique: HashSet<i32> = all.iter().copied().collect();
    assert_eq!(all.len(), TASKS, "each task claimed exactly once: {all:?}");
    assert_eq!(unique, expected);
}

/// The same race inside one process: 16 concurrent tasks share one `Board` (its write queue and pool).
#[test]
fn concurrent_signups_on_one_board_claim_each_task_once() {
    let dir = tempfile::tempdir().unwrap();
    let board = Board::new(tinytask::db::open(&dir.path().join("one.db"), 8).unwrap());
    seed(&board);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    let claimed: Vec<i32> = runtime.block_on(async {
        let handles: Vec<_> = (0..AGENTS)
            .map(|_| {
                let board = board.clone();
                tokio::spawn(
                    async move { board.write(|c| agents::signup(c, "crew")).await.unwrap() },
                )
            })
            .collect();
        let mut ids = Vec::new();
        for h in handles {
            if let Some(t) = h.await.unwrap().task {
                ids.push(t.task.id);
            }
        }
        ids
    });
    let unique: HashSet<i32> = claimed.iter().copied().collect();
    assert_eq!((claimed.len(), unique.len()), (TASKS, TASKS), "{claimed:?}");
}
