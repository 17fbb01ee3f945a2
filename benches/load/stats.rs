//! Latency percentiles and the report's table rows.

use std::time::Duration;

#[derive(Default)]
pub struct Outcome {
    pub ok: u64,
    pub errors: u64,
    pub first_error: Option<String>,
    /// Latencies of successful calls, in microseconds.
    pub latencies_us: Vec<u32>,
}

impl Outcome {
    pub fn merge(&mut self, other: Outcome) {
        self.ok += other.ok;
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
        self.latencies_us.extend(other.latencies_us);
    }

    pub fn record(&mut self, result: Result<Duration, String>) {
        match result {
            Ok(d) => {
                self.ok += 1;
                self.latencies_us
                    .push(d.as_micros().min(u32::MAX as u128) as u32);
            }
            Err(e) => {
                self.errors += 1;
                self.first_error.get_or_insert(e);
            }
        }
    }

    pub fn percentile_ms(&mut self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return f64::NAN;
        }
        self.latencies_us.sort_unstable();
        let idx = ((self.latencies_us.len() as f64 - 1.0) * p).round() as usize;
        self.latencies_us[idx] as f64 / 1000.0
    }
}

/// One measured scenario.
pub struct Row {
    pub name: String,
    pub sessions: usize,
    pub rps: f64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub errors: u64,
    pub rss_mb: f64,
    pub cpu_pct: f64,
    pub ceiling: Option<(&'static str, f64)>,
}

impl Row {
    pub fn markdown(&self) -> String {
        let ratio = match self.ceiling {
            Some((name, c)) if c > 0.0 => format!("{:.0}% of {name}", 100.0 * self.rps / c),
            _ => "–".into(),
        };
        format!(
            "| {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {} | {:.1} | {:.0}% | {} |",
            self.name,
            self.sessions,
            self.rps,
            self.p50,
            self.p90,
            self.p99,
            self.errors,
            self.rss_mb,
            self.cpu_pct,
            ratio
        )
    }
}

pub const TABLE_HEAD: &str = "| scenario | sessions | req/s | p50 ms | p90 ms | p99 ms | errors | server RSS MB (peak) | server CPU | vs ceiling |\n|---|---|---|---|---|---|---|---|---|---|";
