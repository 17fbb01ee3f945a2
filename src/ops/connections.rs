//! The cap on open HTTP connections (TINYTASK_MAX_CONNECTIONS): every connection, SSE streams included,
//! holds a file descriptor, and running out of descriptors breaks everything at once (accept fails, the
//! database cannot open its WAL, legitimate clients time out). The cap keeps connections below the
//! open-files limit with a reserve for everything else the process opens.

use crate::config::MAX_CONNECTIONS_LIMIT;

/// Descriptors kept for non-connection use: database files (each pooled SQLite connection holds the
/// database, its WAL and its shared-memory file), the listener, per-worker epoll/eventfd handles,
/// stdio and logs, plus 1/16 of the limit as slack for sockets being accepted or closed.
pub fn reserve(open_files: u64, db_connections: u64) -> u64 {
    64 + 3 * db_connections + open_files / 16
}

/// The effective cap: the configured value when it fits under `open_files - reserve`, else an error
/// naming the variable and the allowed range; unset = that bound itself.
pub fn cap(
    configured: Option<usize>,
    open_files: u64,
    db_connections: u64,
) -> Result<usize, String> {
    let bound = open_files
        .saturating_sub(reserve(open_files, db_connections))
        .min(MAX_CONNECTIONS_LIMIT);
    if bound == 0 {
        return Err(format!(
            "the open files limit ({open_files}) is too low to serve HTTP; raise it (ulimit -n) above {}",
            reserve(open_files, db_connections)
        ));
    }
    match configured {
        None => Ok(bound as usize),
        Some(n) if n as u64 <= bound => Ok(n),
        Some(n) => Err(format!(
            "invalid TINYTASK_MAX_CONNECTIONS=\"{n}\": allowed values are an integer from 1 to {bound} \
             (the open files limit {open_files} minus {} reserved for the database, listeners and logs)",
            reserve(open_files, db_connections)
        )),
    }
}

/// The soft open-files limit in force (call after `preflight::raise_open_files_limit`).
pub fn open_files_limit() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: a plain syscall on a valid, owned struct.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0 {
        limit.rlim_cur
    } else {
        1024 // the common default; the derived cap then stays conservative
    }
}

/// Splits a total cap over actix workers (its `max_connections` is per worker): (workers, per worker),
/// never more in total than `total`.
pub fn per_worker(total: usize, workers: usize) -> (usize, usize) {
    let workers = workers.clamp(1, total.max(1));
    (workers, (total / workers).max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_cap_stays_below_the_limit_with_a_reserve() {
        // 1024 - (64 + 27 + 64) = 869
        assert_eq!(cap(None, 1024, 9), Ok(869));
        assert_eq!(cap(None, 20_000, 9), Ok(20_000 - (64 + 27 + 1250)));
        assert_eq!(cap(None, u64::MAX, 9), Ok(1_000_000));
        assert!(cap(None, 64, 9).unwrap_err().contains("too low"));
    }

    #[test]
    fn configured_cap_must_fit() {
        assert_eq!(cap(Some(200), 1024, 9), Ok(200));
        assert_eq!(cap(Some(869), 1024, 9), Ok(869));
        let err = cap(Some(870), 1024, 9).unwrap_err();
        assert!(
            err.starts_with(
                "invalid TINYTASK_MAX_CONNECTIONS=\"870\": allowed values are an integer from 1 to 869"
            ),
            "{err}"
        );
    }

    #[test]
    fn workers_share_the_cap_without_exceeding_it() {
        assert_eq!(per_worker(200, 2), (2, 100));
        assert_eq!(per_worker(201, 2), (2, 100));
        assert_eq!(per_worker(1, 2), (1, 1));
        let (w, each) = per_worker(869, 8);
        assert!(w * each <= 869);
    }
}
