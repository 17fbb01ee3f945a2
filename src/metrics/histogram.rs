//! [`Histogram`]: a fixed-bucket histogram updated with atomics only.
//!
//! prometheus-client's own histogram takes a mutex on every observation; this one is observed on every
//! tool call and write batch, from every worker thread, so it keeps one atomic counter per bucket and an
//! integer sum (nanoseconds for durations) instead. The count is the sum of the buckets, so a scrape
//! always shows a `+Inf` bucket equal to `_count`, even while observations land.

use prometheus_client::encoding::{EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::{MetricType, TypedMetric};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of tool-call and REST latencies, in seconds: 100 µs (a cached read) to 300 s (the longest
/// `wait_for_task` / `get_events` wait).
pub const LATENCY_SECONDS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
];

/// Upper bounds of a write batch's transaction time, in seconds: 50 µs to 5 s (the busy timeout is 10 s).
pub const COMMIT_SECONDS: &[f64] = &[
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
    5.0,
];

/// Upper bounds of a write batch's size (writes per transaction; group_commit's MAX_BATCH is 64).
pub const BATCH_SIZES: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0];

/// What one integer step of an observation is worth in the exposed unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Unit {
    /// Durations, observed in nanoseconds, exposed in seconds.
    Seconds,
    /// Plain counts.
    Count,
}

impl Unit {
    fn scale(self) -> f64 {
        match self {
            Unit::Seconds => 1e-9,
            Unit::Count => 1.0,
        }
    }
}

#[derive(Debug)]
struct Inner {
    /// Upper bounds as exposed (`le`).
    bounds: &'static [f64],
    /// The same bounds in observation steps, for the comparison on the hot path.
    steps: Box<[u64]>,
    /// One counter per bound, plus the `+Inf` bucket.
    buckets: Box<[AtomicU64]>,
    /// Sum of the observations, in steps.
    sum: AtomicU64,
    unit: Unit,
}

/// Cheap to clone: clones share the same counters (as prometheus-client's metrics do).
#[derive(Debug, Clone)]
pub struct Histogram {
    inner: Arc<Inner>,
}

impl Histogram {
    /// `bounds` must be increasing.
    pub fn new(bounds: &'static [f64], unit: Unit) -> Self {
        debug_assert!(bounds.windows(2).all(|w| w[0] < w[1]), "bounds increase");
        let steps = bounds
            .iter()
            .map(|b| (b / unit.scale()).round() as u64)
            .collect();
        let buckets = (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect();
        Histogram {
            inner: Arc::new(Inner {
                bounds,
                steps,
                buckets,
                sum: AtomicU64::new(0),
                unit,
            }),
        }
    }

    pub fn latency() -> Self {
        Self::new(LATENCY_SECONDS, Unit::Seconds)
    }

    pub fn commit() -> Self {
        Self::new(COMMIT_SECONDS, Unit::Seconds)
    }

    pub fn batch_sizes() -> Self {
        Self::new(BATCH_SIZES, Unit::Count)
    }

    /// Records one observation of `steps` (nanoseconds or a count, as the unit says).
    pub fn observe_steps(&self, steps: u64) {
        let inner = &*self.inner;
        // The first bound at or above the value (`le` is inclusive); past the last: +Inf.
        let i = inner.steps.partition_point(|bound| *bound < steps);
        inner.buckets[i].fetch_add(1, Ordering::Relaxed);
        inner.sum.fetch_add(steps, Ordering::Relaxed);
    }

    pub fn observe_duration(&self, elapsed: Duration) {
        debug_assert_eq!(self.inner.unit, Unit::Seconds);
        self.observe_steps(u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX));
    }

    pub fn observe_count(&self, n: u64) {
        debug_assert_eq!(self.inner.unit, Unit::Count);
        self.observe_steps(n);
    }

    /// (sum in the exposed unit, count, per-bucket counts with their upper bounds, `+Inf` last).
    pub fn snapshot(&self) -> (f64, u64, Vec<(f64, u64)>) {
        let inner = &*self.inner;
        let buckets: Vec<(f64, u64)> = inner
            .bounds
            .iter()
            .copied()
            .chain(std::iter::once(f64::INFINITY))
            .zip(inner.buckets.iter().map(|b| b.load(Ordering::Relaxed)))
            .collect();
        let count = buckets.iter().map(|(_, n)| n).sum();
        let sum = inner.sum.load(Ordering::Relaxed) as f64 * inner.unit.scale();
        (sum, count, buckets)
    }
}

impl TypedMetric for Histogram {
    const TYPE: MetricType = MetricType::Histogram;
}

impl EncodeMetric for Histogram {
    fn encode(&self, mut encoder: MetricEncoder<'_>) -> Result<(), std::fmt::Error> {
        let (sum, count, buckets) = self.snapshot();
        encoder.encode_histogram::<NoLabelSet>(sum, count, &buckets, None)
    }

    fn metric_type(&self) -> MetricType {
        Self::TYPE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observations_land_in_the_first_bucket_at_or_above_them() {
        let h = Histogram::latency();
        h.observe_duration(Duration::from_micros(100)); // exactly a bound: le is inclusive
        h.observe_duration(Duration::from_micros(101));
        h.observe_duration(Duration::from_millis(3));
        h.observe_duration(Duration::from_secs(1000)); // past every bound
        let (sum, count, buckets) = h.snapshot();
        assert_eq!(count, 4);
        assert!((sum - 1000.003201).abs() < 1e-9, "{sum}");
        let at = |bound: f64| buckets.iter().find(|(b, _)| *b == bound).unwrap().1;
        assert_eq!(at(0.0001), 1);
        assert_eq!(at(0.00025), 1);
        assert_eq!(at(0.005), 1);
        assert_eq!(at(f64::INFINITY), 1);
        assert_eq!(buckets.len(), LATENCY_SECONDS.len() + 1);
    }

    #[test]
    fn counts_are_exposed_in_their_own_unit_and_clones_share_them() {
        let h = Histogram::batch_sizes();
        let clone = h.clone();
        clone.observe_count(1);
        clone.observe_count(3);
        clone.observe_count(64);
        let (sum, count, buckets) = h.snapshot();
        assert_eq!((sum, count), (68.0, 3));
        let nonzero: Vec<_> = buckets.into_iter().filter(|(_, n)| *n > 0).collect();
        assert_eq!(nonzero, [(1.0, 1), (4.0, 1), (64.0, 1)]);
    }
}
