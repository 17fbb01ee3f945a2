//! Startup check that the database directory is writable: SQLite needs to create `-wal`/`-shm` files next
//! to the database, so a read-only directory would otherwise fail later with an obscure error. The message
//! names the path, its owner, the uid we run as and the fix.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

pub fn check_writable_dir(db_path: &Path) -> Result<(), String> {
    let dir = match db_path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(d) => d.to_path_buf(),
        None => Path::new(".").to_path_buf(),
    };
    let probe = dir.join(format!(".tinytask-write-check-{}", std::process::id()));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => {
            // SAFETY: geteuid has no preconditions and cannot fail.
            let uid = unsafe { libc::geteuid() };
            let gid = unsafe { libc::getegid() };
            let owner = std::fs::metadata(&dir)
                .map_or_else(|_| "unknown".into(), |m| format!("{}:{}", m.uid(), m.gid()));
            Err(format!(
                "database directory {} is not writable ({e}); it is owned by {owner} and tinytask runs as uid {uid} \
                 gid {gid}; fix: chown {uid}:{gid} {} (or mount a writable volume there)",
                dir.display(),
                dir.display()
            ))
        }
    }
}

/// Raises the soft open-files limit to the hard limit: every SSE stream holds a socket, and the common
/// default soft limit (1024) would cap a busy server far below what the hard limit allows.
pub fn raise_open_files_limit() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain syscalls on a valid, owned struct.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max
        {
            let wanted = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &wanted) == 0 {
                tracing::debug!(
                    from = limit.rlim_cur,
                    to = limit.rlim_max,
                    "raised the open files limit"
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writable_directory_passes() {
        let dir = tempfile::tempdir().unwrap();
        assert!(check_writable_dir(&dir.path().join("t.db")).is_ok());
    }

    #[test]
    fn unwritable_directory_names_path_owner_uid_and_fix() {
        // /proc refuses new files even for root (the CI user), so this fails for every uid.
        let err = check_writable_dir(Path::new("/proc/tinytask.db")).unwrap_err();
        assert!(err.contains("/proc is not writable"), "{err}");
        assert!(
            err.contains("owned by 0:0")
                && err.contains("runs as uid")
                && err.contains("fix: chown"),
            "{err}"
        );
    }
}
