//! The reader threads: a fixed set of threads that run read-only operations, each on a pooled connection.
//!
//! Reads used to go to tokio's blocking pool. Under load that pool kept growing (to ~60–90 threads: every
//! actix worker has its own runtime and pool), and every thread that allocates gets its own glibc malloc
//! arena, which keeps its high-water mark — resident memory grew with the thread count, not with the work.
//! A fixed set of threads fed from one queue bounds both; waiting reads are queued closures, not threads.

use crate::db::DbPool;
use crate::domain::{DomainError, DomainResult};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

/// A queued read: gets the pool, takes a connection itself (so the pool's size bounds the connections).
pub(super) type ReadJob = Box<dyn FnOnce(&DbPool) + Send>;

/// Starts `threads` reader threads; they end when every sender (every `Board` clone) is gone.
pub(super) fn start(pool: &DbPool, threads: usize) -> Sender<ReadJob> {
    let (tx, rx) = channel::<ReadJob>();
    let rx = Arc::new(Mutex::new(rx));
    for i in 0..threads {
        let (pool, rx) = (pool.clone(), Arc::clone(&rx));
        std::thread::Builder::new()
            .name(format!("tinytask-reader-{i}"))
            .spawn(move || reader_loop(&pool, &rx))
            .expect("spawn a database reader thread");
    }
    tx
}

fn reader_loop(pool: &DbPool, rx: &Mutex<Receiver<ReadJob>>) {
    loop {
        // One idle thread waits in recv() holding the lock, the others wait for the lock.
        let job = rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
        match job {
            Ok(job) => job(pool),
            Err(_) => return,
        }
    }
}

/// Runs `op` on a pooled connection; a panic becomes an error for this caller only.
pub(super) fn run<T>(
    pool: &DbPool,
    op: impl FnOnce(&mut crate::domain::Conn) -> DomainResult<T>,
) -> DomainResult<T> {
    catch_unwind(AssertUnwindSafe(|| {
        let mut conn = pool
            .get()
            .map_err(|e| DomainError::Unavailable(e.to_string()))?;
        op(&mut conn)
    }))
    .unwrap_or_else(|_| {
        Err(DomainError::Unavailable(
            "the read failed unexpectedly".into(),
        ))
    })
}
