//! Group commit: one writer thread runs every queued write, as many as are waiting, in one `BEGIN IMMEDIATE`
//! transaction with a savepoint per write, commits once and only then answers each caller.
//!
//! SQLite has one writer at a time, so writes are serial anyway; what a commit per write adds is a thread
//! hand-over, a pool checkout, a WAL append of every touched page and the commit bookkeeping, per write.
//! Batching shares those among the writes that queued up while the previous batch ran (none are delayed
//! on purpose: an idle writer starts a batch as soon as one write arrives). Durability is unchanged: a
//! caller is answered after the COMMIT that contains its write, with the same pragmas
//! (`synchronous=NORMAL`, WAL). A write that fails rolls back to its own savepoint and leaves the others in
//! the batch untouched.

use super::super::changes::{self, Changes};
use super::super::{DomainError, DomainResult};
use crate::db::DbPool;
use diesel::{Connection, SqliteConnection};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Receiver, Sender, channel};
use tokio::sync::oneshot;

/// Most writes committed together (bounds the time the first caller of a batch waits for the others).
const MAX_BATCH: usize = 64;

/// Answers one caller once the batch's commit is known (Ok, or the error that sank the batch).
pub(super) type Answer = Box<dyn FnOnce(Result<(), &DomainError>) + Send>;
/// A queued write: runs inside its savepoint (`None`: the batch could not start, nothing runs) and returns
/// how to answer its caller after the commit.
pub(super) type Job = Box<dyn FnOnce(Option<&mut SqliteConnection>) -> Answer + Send>;

/// Wraps a write for the queue: it will run in its own savepoint, and `reply` gets its result once the
/// batch has committed (or the error that kept the batch from committing).
pub(super) fn job<T, F>(op: F, reply: oneshot::Sender<DomainResult<T>>) -> Job
where
    T: Send + 'static,
    F: FnOnce(&mut SqliteConnection) -> DomainResult<T> + Send + 'static,
{
    Box::new(move |conn| {
        let outcome = conn.map(|c| in_savepoint(c, op));
        Box::new(move |committed| {
            let answer = match committed {
                Ok(()) => outcome.unwrap_or_else(|| {
                    Err(DomainError::Unavailable("the write did not run".into()))
                }),
                Err(e) => Err(DomainError::Unavailable(format!(
                    "the write was not committed: {e}"
                ))),
            };
            // The caller may have gone away (client disconnected); the write stays committed.
            let _ = reply.send(answer);
        })
    })
}

/// Starts the writer thread; it ends when every sender (every `Board` clone) is gone.
pub(super) fn start(pool: DbPool, publish: impl Fn(&Changes) + Send + 'static) -> Sender<Job> {
    let (tx, rx) = channel::<Job>();
    std::thread::Builder::new()
        .name("tinytask-writer".into())
        .spawn(move || writer_loop(&pool, &rx, &publish))
        .expect("spawn the database writer thread");
    tx
}

fn writer_loop(pool: &DbPool, rx: &Receiver<Job>, publish: &dyn Fn(&Changes)) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        batch.extend(rx.try_iter().take(MAX_BATCH - 1));
        let mut answers = Vec::with_capacity(batch.len());
        let committed = run_batch(pool, batch, &mut answers);
        match &committed {
            Ok(_) => answers.into_iter().for_each(|answer| answer(Ok(()))),
            Err(e) => {
                tracing::error!(error = %e, writes = answers.len(), "write batch failed to commit");
                answers.into_iter().for_each(|answer| answer(Err(e)));
            }
        }
        if let Ok(changes) = committed {
            // A failing listener must not take the writer (and every later write) down with it.
            if catch_unwind(AssertUnwindSafe(|| publish(&changes))).is_err() {
                tracing::error!(
                    "a change listener panicked; notifications for this batch were skipped"
                );
            }
        }
    }
}

/// One IMMEDIATE transaction over the whole batch; returns what it changed (drained from the connection's
/// change-capture table, which savepoint rollbacks keep accurate). Writes that never ran (no connection, or
/// BEGIN failed) get an answer too: the batch's error.
fn run_batch(
    pool: &DbPool,
    mut pending: Vec<Job>,
    answers: &mut Vec<Answer>,
) -> DomainResult<Changes> {
    let result = pool
        .get()
        .map_err(|e| DomainError::Unavailable(e.to_string()))
        .and_then(|mut conn| {
            conn.immediate_transaction(|c| {
                for job in pending.drain(..) {
                    answers.push(job(Some(c)));
                }
                changes::drain(c)
            })
        });
    answers.extend(pending.into_iter().map(|job| job(None)));
    result
}

/// Runs one write in a savepoint of the batch's transaction. A panic is contained to its own write (its
/// savepoint is rolled back like any failed write) rather than taking the writer thread down.
fn in_savepoint<T>(
    conn: &mut SqliteConnection,
    op: impl FnOnce(&mut SqliteConnection) -> DomainResult<T>,
) -> DomainResult<T> {
    conn.transaction(|c| {
        catch_unwind(AssertUnwindSafe(|| op(c))).unwrap_or_else(|_| {
            Err(DomainError::Unavailable(
                "the write failed unexpectedly and was rolled back".into(),
            ))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::tasks::{self, CreateTask};
    use diesel::prelude::*;

    fn create(title: &'static str) -> impl FnOnce(&mut SqliteConnection) -> DomainResult<i32> {
        move |c| {
            let args = CreateTask {
                title: title.into(),
                created_by: "tester".into(),
                ..CreateTask::default()
            };
            tasks::create(c, args).map(|t| t.id)
        }
    }

    #[test]
    fn a_failed_or_panicking_write_rolls_back_alone_and_the_batch_commits_once() {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::db::open(&dir.path().join("batch.db"), 2).unwrap();
        let (tx1, mut rx1) = oneshot::channel();
        let (tx2, mut rx2) = oneshot::channel();
        let (tx3, mut rx3) = oneshot::channel();
        let (tx4, mut rx4) = oneshot::channel();
        let half_done_then_fail = |c: &mut SqliteConnection| -> DomainResult<i32> {
            create("rolled back")(c)?;
            Err(DomainError::invalid("title", "fails after its insert"))
        };
        let half_done_then_panic = |c: &mut SqliteConnection| -> DomainResult<i32> {
            create("rolled back too")(c)?;
            panic!("a bug in one write");
        };
        let batch = vec![
            job(create("first"), tx1),
            job(half_done_then_fail, tx2),
            job(half_done_then_panic, tx3),
            job(create("last"), tx4),
        ];
        let mut answers = Vec::new();
        let changes = run_batch(&pool, batch, &mut answers).expect("batch commits");
        assert_eq!(answers.len(), 4);
        assert!(
            rx1.try_recv().is_err(),
            "nobody is answered before the commit is known"
        );
        answers.into_iter().for_each(|a| a(Ok(())));

        let first = rx1.try_recv().unwrap().unwrap();
        let failed = rx2.try_recv().unwrap().unwrap_err().to_string();
        let panicked = rx3.try_recv().unwrap().unwrap_err().to_string();
        let last = rx4.try_recv().unwrap().unwrap();
        assert!(failed.contains("fails after its insert"), "{failed}");
        assert!(panicked.contains("rolled back"), "{panicked}");
        let mut conn = pool.get().unwrap();
        let titles: Vec<String> = crate::db::schema::tasks::table
            .select(crate::db::schema::tasks::title)
            .order(crate::db::schema::tasks::id)
            .load(&mut conn)
            .unwrap();
        assert_eq!(titles, ["first", "last"]);
        assert_eq!(changes.tasks.into_iter().collect::<Vec<_>>(), [first, last]);
    }

    #[test]
    fn callers_get_the_commit_error_when_the_batch_cannot_commit() {
        let (tx, mut rx) = oneshot::channel::<DomainResult<i32>>();
        let answer = job(create("never"), tx)(None);
        answer(Err(&DomainError::Unavailable("disk I/O error".into())));
        let err = rx.try_recv().unwrap().unwrap_err().to_string();
        assert!(
            err.contains("not committed") && err.contains("disk I/O error"),
            "{err}"
        );
    }
}
