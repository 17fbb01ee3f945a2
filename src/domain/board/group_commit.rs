//! Group commit: one writer thread runs every queued write, as many as are waiting, in one `BEGIN IMMEDIATE`
//! transaction with a savepoint per write, commits once and only then answers each caller.
//!
//! SQLite has one writer at a time, so writes are serial anyway; what a commit per write adds is a thread
//! hand-over, a pool checkout, a WAL append of every touched page and the commit bookkeeping, per write.
//! Batching shares those among the writes that queued up while the previous batch ran (none are delayed
//! on purpose: an idle writer starts a batch as soon as one write arrives). Durability is unchanged: a
//! caller is answered after the COMMIT that contains its write, with the same pragmas
//! (`synchronous=NORMAL`, WAL).
//!
//! One write's failure never fails the others:
//! - a write that fails rolls back to its own savepoint and leaves the rest of the batch untouched;
//! - a write whose error made SQLite abandon the whole transaction (disk full, I/O error, out of memory can
//!   do that) is answered with its error, and the batch runs again without it in a fresh transaction —
//!   writes are re-runnable closures for this reason;
//! - when the COMMIT itself fails, every write of the batch runs again in a transaction of its own, so
//!   each caller gets the fate of its own write.

use super::file_guard::FileGuard;
use super::write_health::WriteHealth;
use crate::db::DbPool;
use crate::domain::Conn;
use crate::domain::changes::{self, Changes};
use crate::domain::{DomainError, DomainResult};
use crate::metrics::Metrics;
use diesel::connection::SimpleConnection;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};
use tokio::sync::oneshot;

/// Most writes committed together (bounds the time the first caller of a batch waits for the others).
const MAX_BATCH: usize = 64;

/// A queued write: run (possibly more than once) inside a savepoint of the batch's transaction, then
/// answered once the fate of that transaction is known.
pub(super) trait QueuedWrite: Send {
    /// Runs the write and keeps its result. `false` when the transaction did not survive it: SQLite
    /// rolled everything back, and the batch must start over.
    fn run(&mut self, conn: &mut Conn) -> bool;
    /// What the last successful run changed (empty after a failed one).
    fn take_changes(&mut self) -> Changes;
    /// How the kept result bears on the write path: `Some(Ok)` it succeeded, `Some(Err)` it failed
    /// because of the database, `None` it failed because of its input (or has not run).
    fn storage_outcome(&self) -> Option<Result<(), String>>;
    /// Answers the caller: the kept result once its transaction committed, else the commit's error.
    fn answer(self: Box<Self>, committed: Result<(), &DomainError>);
}

pub(super) type Job = Box<dyn QueuedWrite>;

struct Write<T, F> {
    op: F,
    result: Option<DomainResult<T>>,
    changes: Changes,
    reply: oneshot::Sender<DomainResult<T>>,
}

/// Wraps a write for the queue; `reply` gets its result once its transaction has committed.
pub(super) fn job<T, F>(op: F, reply: oneshot::Sender<DomainResult<T>>) -> Job
where
    T: Send + 'static,
    F: FnMut(&mut Conn) -> DomainResult<T> + Send + 'static,
{
    Box::new(Write {
        op,
        result: None,
        changes: Changes::default(),
        reply,
    })
}

impl<T: Send, F> QueuedWrite for Write<T, F>
where
    F: FnMut(&mut Conn) -> DomainResult<T> + Send,
{
    fn run(&mut self, conn: &mut Conn) -> bool {
        let (result, intact) = in_savepoint(conn, &mut self.op);
        self.changes = match &result {
            Ok((_, changes)) => changes.clone(),
            Err(_) => Changes::default(),
        };
        self.result = Some(result.map(|(value, _)| value));
        intact
    }

    fn take_changes(&mut self) -> Changes {
        std::mem::take(&mut self.changes)
    }

    fn storage_outcome(&self) -> Option<Result<(), String>> {
        match self.result.as_ref()? {
            Ok(_) => Some(Ok(())),
            Err(e) if e.is_storage_failure() => Some(Err(e.to_string())),
            Err(_) => None,
        }
    }

    fn answer(self: Box<Self>, committed: Result<(), &DomainError>) {
        let answer = match committed {
            Ok(()) => self
                .result
                .unwrap_or_else(|| Err(DomainError::Unavailable("the write did not run".into()))),
            Err(e) => Err(DomainError::Unavailable(format!(
                "the write was not committed: {e}"
            ))),
        };
        // The caller may have gone away (client disconnected); the write stays committed.
        let _ = self.reply.send(answer);
    }
}

/// Starts the writer thread; it ends when every sender (every `Board` clone) is gone.
pub(super) fn start(
    pool: DbPool,
    health: Arc<WriteHealth>,
    metrics: Metrics,
    publish: impl Fn(&Changes) + Send + 'static,
) -> Sender<Job> {
    let (tx, rx) = channel::<Job>();
    let file = FileGuard::new(&pool);
    std::thread::Builder::new()
        .name("tinytask-writer".into())
        .spawn(move || {
            let writer = Writer {
                pool: &pool,
                health: &health,
                metrics: &metrics,
            };
            writer_loop(&writer, file.as_ref(), &rx, &publish);
        })
        .expect("spawn the database writer thread");
    tx
}

/// What the writer thread works with.
pub(super) struct Writer<'a> {
    pub pool: &'a DbPool,
    pub health: &'a WriteHealth,
    /// Batch sizes and commit times.
    pub metrics: &'a Metrics,
}

fn writer_loop(
    writer: &Writer<'_>,
    file: Option<&FileGuard>,
    rx: &Receiver<Job>,
    publish: &dyn Fn(&Changes),
) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        batch.extend(rx.try_iter().take(MAX_BATCH - 1));
        if let Some(Err(e)) = file.map(FileGuard::check) {
            writer.health.failed(&e.to_string());
            batch.into_iter().for_each(|job| job.answer(Err(&e)));
            continue;
        }
        commit_batch(writer, batch, &mut |changes| {
            // A failing listener must not take the writer (and every later write) down with it.
            if catch_unwind(AssertUnwindSafe(|| publish(changes))).is_err() {
                tracing::error!(
                    "a change listener panicked; notifications for this batch were skipped"
                );
            }
        });
    }
}

/// How one attempt at committing a batch ended.
enum Attempt {
    Committed(Changes),
    /// The write at this index made SQLite abandon the transaction; nothing of the batch was kept.
    Lost(usize),
    /// No write ran (no connection, or `BEGIN IMMEDIATE` failed).
    NotStarted(DomainError),
    /// Every write ran, but the transaction could not commit.
    CommitFailed(DomainError),
}

/// Commits `batch`, answering every write of it (see the module documentation for the failure rules).
pub(super) fn commit_batch(
    writer: &Writer<'_>,
    mut batch: Vec<Job>,
    publish: &mut dyn FnMut(&Changes),
) {
    let health = writer.health;
    while !batch.is_empty() {
        let started = std::time::Instant::now();
        match attempt(writer.pool, &mut batch) {
            Attempt::Committed(changes) => {
                writer
                    .metrics
                    .batch_committed(batch.len(), started.elapsed());
                record(health, &batch);
                batch.into_iter().for_each(|job| job.answer(Ok(())));
                publish(&changes);
                return;
            }
            Attempt::Lost(culprit) => {
                let culprit = batch.remove(culprit);
                record(health, std::slice::from_ref(&culprit));
                tracing::warn!(
                    others = batch.len(),
                    "a write aborted its batch's transaction; running the others again"
                );
                // Its kept result is its own error; `Ok` here means "answer with what you got".
                culprit.answer(Ok(()));
            }
            Attempt::NotStarted(e) => {
                tracing::error!(error = %e, writes = batch.len(), "write batch could not start");
                health.failed(&e.to_string());
                batch.into_iter().for_each(|job| job.answer(Err(&e)));
                return;
            }
            Attempt::CommitFailed(e) if batch.len() == 1 => {
                tracing::error!(error = %e, "write failed to commit");
                health.failed(&e.to_string());
                batch.into_iter().for_each(|job| job.answer(Err(&e)));
                return;
            }
            Attempt::CommitFailed(e) => {
                tracing::warn!(error = %e, writes = batch.len(), "write batch failed to commit; committing its writes one by one");
                for job in batch {
                    commit_batch(writer, vec![job], publish);
                }
                return;
            }
        }
    }
}

/// Records the write-path outcome of each write, in order (the last one that reached the database wins).
fn record(health: &WriteHealth, jobs: &[Job]) {
    for outcome in jobs.iter().filter_map(|job| job.storage_outcome()) {
        match outcome {
            Ok(()) => health.succeeded(),
            Err(e) => health.failed(&e),
        }
    }
}

/// Why the closure of the batch's transaction stopped early.
enum Abort {
    Lost(usize),
    Failed(DomainError),
}

/// diesel's BEGIN/COMMIT errors.
impl From<diesel::result::Error> for Abort {
    fn from(e: diesel::result::Error) -> Self {
        Abort::Failed(e.into())
    }
}

/// One write transaction (`Conn::write_transaction`) over the whole batch; on commit returns what it changed (what each write's
/// `changes::flush` read from the change-capture table, which savepoint rollbacks keep accurate).
fn attempt(pool: &DbPool, batch: &mut [Job]) -> Attempt {
    let mut conn = match pool.get() {
        Ok(conn) => conn,
        Err(e) => return Attempt::NotStarted(DomainError::Unavailable(e.to_string())),
    };
    let (mut started, mut lost) = (false, None);
    let result = conn.write_transaction(|c| {
        started = true;
        let mut changes = Changes::default();
        for (i, job) in batch.iter_mut().enumerate() {
            if !job.run(c) {
                // Noted outside the closure too: diesel reports its own failed ROLLBACK (SQLite has
                // already rolled back) instead of the closure's error.
                lost = Some(i);
                return Err(Abort::Lost(i));
            }
            changes.merge(job.take_changes());
        }
        // PostgreSQL: tell the other replicas, on commit (see `foreign_pg`).
        if let (Conn::Pg(_), Some(range)) = (&*c, changes.cursors) {
            super::foreign_pg::notify(c, range)?;
        }
        Ok::<_, Abort>(changes)
    });
    match (result, lost) {
        (_, Some(i)) | (Err(Abort::Lost(i)), None) => Attempt::Lost(i),
        (Ok(changes), None) => Attempt::Committed(changes),
        (Err(Abort::Failed(e)), None) if !started => Attempt::NotStarted(e),
        (Err(Abort::Failed(e)), None) => Attempt::CommitFailed(e),
    }
}

/// Runs one write in a savepoint of the batch's transaction. Returns its result and whether the
/// transaction survived it. A panic is contained to its own write (its savepoint is rolled back like any
/// failed write) rather than taking the writer thread down.
///
/// The savepoint is managed with plain SQL, not diesel's nested `transaction`: when SQLite has already
/// rolled the whole transaction back, diesel would replace the write's own error ("database or disk is
/// full") with the failed `ROLLBACK TO`'s ("no such savepoint").
fn in_savepoint<T>(
    conn: &mut Conn,
    op: &mut impl FnMut(&mut Conn) -> DomainResult<T>,
) -> (DomainResult<(T, Changes)>, bool) {
    if let Err(e) = conn.batch_execute("SAVEPOINT tinytask_write") {
        return (Err(e.into()), false);
    }
    // The write's events are appended inside its own savepoint: they commit or roll back with it.
    let result = catch_unwind(AssertUnwindSafe(|| {
        op(conn).and_then(|value| Ok((value, changes::flush(conn)?)))
    }))
    .unwrap_or_else(|_| {
        Err(DomainError::Unavailable(
            "the write failed unexpectedly and was rolled back".into(),
        ))
    });
    let end = if result.is_ok() {
        "RELEASE tinytask_write"
    } else {
        "ROLLBACK TO tinytask_write; RELEASE tinytask_write"
    };
    match conn.batch_execute(end) {
        Ok(()) => (result, true),
        // Keep the write's own error: it is what made SQLite end the transaction.
        Err(e) => (result.and(Err(e.into())), false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::schema::tasks::dsl as t;
    use crate::domain::tasks::{self, CreateTask};
    use diesel::prelude::*;
    use std::collections::BTreeSet;

    type Reply<T> = oneshot::Receiver<DomainResult<T>>;

    fn create_described(
        title: &'static str,
        description: Option<String>,
    ) -> impl FnMut(&mut Conn) -> DomainResult<i32> {
        move |c| {
            let args = CreateTask {
                title: title.into(),
                description: description.clone(),
                created_by: "tester".into(),
                ..CreateTask::default()
            };
            tasks::create(c, args).map(|t| t.id)
        }
    }

    fn create(title: &'static str) -> impl FnMut(&mut Conn) -> DomainResult<i32> {
        create_described(title, None)
    }

    /// A create that needs about 15 new pages (a 60 kB description).
    fn create_big(title: &'static str) -> impl FnMut(&mut Conn) -> DomainResult<i32> {
        create_described(title, Some("x".repeat(60_000)))
    }

    /// Queues `op`; returns the job and where its answer arrives.
    fn queued<T: Send + 'static>(
        op: impl FnMut(&mut Conn) -> DomainResult<T> + Send + 'static,
    ) -> (Job, Reply<T>) {
        let (tx, rx) = oneshot::channel();
        (job(op, tx), rx)
    }

    fn pool() -> (crate::domain::test_support::TestDb, DbPool) {
        crate::domain::test_support::pool("batch", 2)
    }

    /// Runs one batch; returns every change set published (one per commit).
    fn commit(pool: &DbPool, batch: Vec<Job>, health: &WriteHealth) -> Vec<Changes> {
        commit_counted(pool, batch, health, &Metrics::disabled())
    }

    fn commit_counted(
        pool: &DbPool,
        batch: Vec<Job>,
        health: &WriteHealth,
        metrics: &Metrics,
    ) -> Vec<Changes> {
        let mut published = Vec::new();
        let writer = Writer {
            pool,
            health,
            metrics,
        };
        commit_batch(&writer, batch, &mut |c| published.push(c.clone()));
        published
    }

    fn titles(pool: &DbPool) -> Vec<String> {
        t::tasks
            .select(t::title)
            .order(t::id)
            .load(&mut pool.get().unwrap())
            .unwrap()
    }

    #[test]
    fn a_failed_or_panicking_write_rolls_back_alone_and_the_batch_commits_once() {
        let (_dir, pool) = pool();
        let half_done_then_fail = |c: &mut Conn| -> DomainResult<i32> {
            create("rolled back")(c)?;
            Err(DomainError::invalid("title", "fails after its insert"))
        };
        let half_done_then_panic = |c: &mut Conn| -> DomainResult<i32> {
            create("rolled back too")(c)?;
            panic!("a bug in one write");
        };
        let (j1, mut rx1) = queued(create("first"));
        let (j2, mut rx2) = queued(half_done_then_fail);
        let (j3, mut rx3) = queued(half_done_then_panic);
        let (j4, mut rx4) = queued(create("last"));
        let health = WriteHealth::default();
        let published = commit(&pool, vec![j1, j2, j3, j4], &health);

        let first = rx1.try_recv().unwrap().unwrap();
        let failed = rx2.try_recv().unwrap().unwrap_err().to_string();
        let panicked = rx3.try_recv().unwrap().unwrap_err().to_string();
        let last = rx4.try_recv().unwrap().unwrap();
        assert!(failed.contains("fails after its insert"), "{failed}");
        assert!(panicked.contains("rolled back"), "{panicked}");
        assert_eq!(titles(&pool), ["first", "last"]);
        assert_eq!(published.len(), 1, "one commit for the batch");
        assert_eq!(published[0].tasks, BTreeSet::from([first, last]));
        assert_eq!(
            health.current(),
            None,
            "input errors are not write-path failures"
        );
    }

    #[test]
    fn a_write_that_aborts_the_transaction_fails_alone_and_the_others_commit() {
        let (_dir, pool) = pool();
        // What SQLite does on disk full / I/O error / out of memory mid-transaction: it rolls the whole
        // transaction back and the statement fails. Injected: the write ends the transaction itself.
        let aborts_everything = |c: &mut Conn| -> DomainResult<i32> {
            create("lost with the transaction")(c)?;
            c.batch_execute("ROLLBACK")?;
            Err(DomainError::Unavailable("disk I/O error (injected)".into()))
        };
        let (j1, mut rx1) = queued(create("before"));
        let (j2, mut rx2) = queued(aborts_everything);
        let (j3, mut rx3) = queued(create("after"));
        let health = WriteHealth::default();
        let published = commit(&pool, vec![j1, j2, j3], &health);

        let err = rx2.try_recv().unwrap().unwrap_err().to_string();
        assert!(err.contains("disk I/O error (injected)"), "{err}");
        let before = rx1
            .try_recv()
            .unwrap()
            .expect("an earlier write is re-run and commits");
        let after = rx3.try_recv().unwrap().expect("a later write commits");
        assert_eq!(titles(&pool), ["before", "after"]);
        assert_eq!(published.len(), 1);
        assert_eq!(published[0].tasks, BTreeSet::from([before, after]));
        assert_eq!(health.current(), None, "the last write succeeded");
    }

    #[test]
    fn disk_full_fails_only_the_write_that_needs_space() {
        let (_dir, pool) = pool();
        if !crate::domain::test_support::on_sqlite(&pool) {
            return; // SQLite's own disk-full (max_page_count); PostgreSQL has no per-connection cap
        }
        // A real SQLITE_FULL: cap the writer connection's database at its current size, so only a write
        // that needs new pages (a 60 kB description) fails.
        let cap = |c: &mut Conn| -> DomainResult<()> {
            c.batch_execute("PRAGMA max_page_count = 1")?; // clamps to the current page count
            Ok(())
        };
        let (j0, mut rx0) = queued(cap);
        let (j1, mut rx1) = queued(create("small before"));
        let (j2, mut rx2) = queued(create_big("big"));
        let (j3, mut rx3) = queued(create("small after"));
        let health = WriteHealth::default();
        commit(&pool, vec![j0, j1, j2, j3], &health);
        rx0.try_recv().unwrap().unwrap();
        let err = rx2.try_recv().unwrap().unwrap_err().to_string();
        assert!(err.contains("database or disk is full"), "{err}");
        rx1.try_recv().unwrap().expect("small write before commits");
        rx3.try_recv().unwrap().expect("small write after commits");
        assert_eq!(titles(&pool), ["small before", "small after"]);

        // The failure is the last write-path outcome until another write succeeds.
        let (j4, mut rx4) = queued(create_big("big again"));
        commit(&pool, vec![j4], &health);
        assert!(rx4.try_recv().unwrap().is_err());
        let failure = health.current().expect("disk full is reported");
        assert!(
            failure.error.contains("database or disk is full"),
            "{failure:?}"
        );
        let uncap = |c: &mut Conn| -> DomainResult<()> {
            c.batch_execute("PRAGMA max_page_count = 1073741823")?;
            Ok(())
        };
        let (j5, _) = queued(uncap);
        let (j6, mut rx6) = queued(create_big("fits"));
        commit(&pool, vec![j5, j6], &health);
        rx6.try_recv().unwrap().expect("fits again");
        assert_eq!(health.current(), None);
    }

    #[test]
    fn when_the_commit_fails_each_write_gets_its_own_fate() {
        let (_dir, pool) = pool();
        if !crate::domain::test_support::on_sqlite(&pool) {
            return; // made to fail at COMMIT with SQLite's defer_foreign_keys
        }
        // Fails only at COMMIT: a deferred foreign key pointing nowhere.
        let fails_at_commit = |c: &mut Conn| -> DomainResult<()> {
            c.batch_execute(
                "PRAGMA defer_foreign_keys = ON; \
                 INSERT INTO comments (task_id, content, created_by) VALUES (999999, 'orphan', 'x')",
            )?;
            Ok(())
        };
        let (j1, mut rx1) = queued(create("one"));
        let (j2, mut rx2) = queued(fails_at_commit);
        let (j3, mut rx3) = queued(create("two"));
        let health = WriteHealth::default();
        let published = commit(&pool, vec![j1, j2, j3], &health);
        rx1.try_recv().unwrap().expect("commits on its own");
        rx3.try_recv().unwrap().expect("commits on its own");
        let err = rx2.try_recv().unwrap().unwrap_err().to_string();
        assert!(err.contains("FOREIGN KEY"), "{err}");
        assert_eq!(titles(&pool), ["one", "two"]);
        assert_eq!(published.len(), 2, "one commit per successful write");
    }

    #[test]
    fn each_committed_batch_is_measured_once_with_its_size() {
        let (_dir, pool) = pool();
        let metrics = Metrics::new(true);
        let (j1, _r1) = queued(create("one"));
        let (j2, _r2) = queued(create("two"));
        let (j3, _r3) = queued(create("three"));
        let health = WriteHealth::default();
        commit_counted(&pool, vec![j1, j2, j3], &health, &metrics);
        let (j4, _r4) = queued(create("four"));
        commit_counted(&pool, vec![j4], &health, &metrics);
        let text = metrics.render(None).unwrap();
        let has = |line: &str| text.lines().any(|l| l == line);
        assert!(has("tinytask_write_batch_size_count 2"), "{text}");
        assert!(has("tinytask_write_batch_size_sum 4.0"), "{text}");
        assert!(
            has("tinytask_write_batch_duration_seconds_count 2"),
            "{text}"
        );
    }

    #[test]
    fn callers_get_the_error_when_the_batch_cannot_start() {
        let (tx, mut rx) = oneshot::channel::<DomainResult<i32>>();
        job(create("never"), tx).answer(Err(&DomainError::Unavailable("disk I/O error".into())));
        let err = rx.try_recv().unwrap().unwrap_err().to_string();
        assert!(
            err.contains("not committed") && err.contains("disk I/O error"),
            "{err}"
        );
    }
}
