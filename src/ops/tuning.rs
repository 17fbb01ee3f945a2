//! Process-level sizing chosen from measurements (docs/benchmarks.md, "Reader threads").

/// Concurrent database readers: one per CPU, at least 2, at most 8. Reads of a board that fits in the page
/// cache are CPU-bound, so more readers only add threads, connections and malloc arenas: on 2 cores, 2
/// readers gave the best throughput and 24.6 MB peak RSS, 6 readers 5–15% less throughput and 39 MB.
pub fn database_readers() -> usize {
    std::thread::available_parallelism()
        .map_or(2, std::num::NonZero::get)
        .clamp(2, 8)
}
