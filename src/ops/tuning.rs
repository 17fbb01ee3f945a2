//! Process-level sizing chosen from measurements (docs/benchmarks.md, "RSS under load").

/// Concurrent database readers: twice the CPUs (a reader waits on SQLite I/O part of the time), at least 2,
/// at most 8. Each reader is a blocking thread with its own connection and page cache, and each costs
/// about 5 MB of resident memory under load; more than this bought no throughput on 2 cores.
pub fn database_readers() -> usize {
    std::thread::available_parallelism()
        .map_or(2, |n| n.get() * 2)
        .clamp(2, 8)
}

/// Blocking threads besides the readers: the stdin reader (stdio), `/health`'s disk probe, the shutdown
/// checkpoint. Bounding the pool matters: tokio otherwise grew it to ~90 threads under read load.
pub const OTHER_BLOCKING_THREADS: usize = 4;

/// glibc only: serve allocations of 64 KiB and more (the JSON of big list answers) with their own mappings,
/// returned to the OS when freed, instead of letting each thread's malloc arena keep its high-water mark.
/// Measured with 4 readers: peak RSS 43 → 34 MB; `get_my_queue` (≈ 100 KB answers) −20% throughput,
/// other scenarios unchanged.
pub fn limit_allocator_retention() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt is thread-safe and only changes allocator parameters.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 64 * 1024);
    }
}
