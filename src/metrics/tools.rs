//! Tool-call metrics with every handle resolved once, when the engine builds its tool registry: a call
//! indexes a vector by the tool's position and bumps atomics, without hashing a label set.

use super::Metrics;
use super::families::{ToolCallLabels, ToolLabels};
use super::histogram::Histogram;
use prometheus_client::metrics::counter::Counter;
use std::time::{Duration, Instant};

/// How a tools/call ended (the `outcome` label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    /// An `isError` result: bad arguments or a business rule.
    ToolError,
    /// A JSON-RPC error: unknown tool, missing name, or the handler panicked.
    ProtocolError,
}

const OUTCOMES: [(Outcome, &str); 3] = [
    (Outcome::Ok, "ok"),
    (Outcome::ToolError, "tool_error"),
    (Outcome::ProtocolError, "protocol_error"),
];

/// The label of calls whose tool name is missing or unknown (no tool of the registry has this name:
/// `mcp/tools/tests.rs` checks it).
pub const UNKNOWN_TOOL: &str = "unknown";

#[derive(Debug)]
struct ToolHandles {
    /// Indexed like [`OUTCOMES`].
    calls: [Counter; 3],
    duration: Histogram,
}

impl ToolHandles {
    fn record(&self, outcome: Outcome, elapsed: Duration) {
        self.calls[outcome as usize].inc();
        self.duration.observe_duration(elapsed);
    }
}

/// The handles of every tool, in the registry's order, and the count of calls of unknown tools (not
/// timed: they end before any work). Empty when metrics are off.
#[derive(Debug, Default)]
pub struct ToolCalls {
    tools: Vec<ToolHandles>,
    unknown: Option<Counter>,
}

impl Metrics {
    /// Resolves the handles of `names`, in order (the engine's tool registry order).
    pub fn tool_calls(&self, names: impl Iterator<Item = &'static str>) -> ToolCalls {
        let Some(f) = self.families() else {
            return ToolCalls::default();
        };
        let handles = |tool: &'static str| ToolHandles {
            calls: OUTCOMES.map(|(_, outcome)| {
                f.tool_calls
                    .get_or_create_owned(&ToolCallLabels { tool, outcome })
            }),
            duration: f.tool_durations.get_or_create_owned(&ToolLabels { tool }),
        };
        let unknown = f.tool_calls.get_or_create_owned(&ToolCallLabels {
            tool: UNKNOWN_TOOL,
            outcome: "protocol_error",
        });
        ToolCalls {
            tools: names.map(handles).collect(),
            unknown: Some(unknown),
        }
    }
}

impl ToolCalls {
    /// Starts timing a call of the tool at `index` of the registry.
    pub fn start(&self, index: usize) -> ToolTimer<'_> {
        ToolTimer {
            handles: self.tools.get(index),
            started: Instant::now(),
            finished: false,
        }
    }

    /// Counts a call naming no known tool (a protocol error).
    pub fn unknown_tool(&self) {
        if let Some(counter) = &self.unknown {
            counter.inc();
        }
    }
}

/// Times one call. Dropped without [`ToolTimer::finish`] — the handler panicked and the engine answers
/// -32603 — it records a protocol error.
#[derive(Debug)]
#[must_use = "finish the timer with the call's outcome"]
pub struct ToolTimer<'a> {
    handles: Option<&'a ToolHandles>,
    started: Instant,
    finished: bool,
}

impl ToolTimer<'_> {
    /// Records the call's outcome and returns how long it took.
    pub fn finish(mut self, outcome: Outcome) -> Duration {
        self.finished = true;
        let elapsed = self.started.elapsed();
        if let Some(h) = self.handles {
            h.record(outcome, elapsed);
        }
        elapsed
    }
}

impl Drop for ToolTimer<'_> {
    fn drop(&mut self) {
        if !self.finished
            && let Some(h) = self.handles
        {
            h.record(Outcome::ProtocolError, self.started.elapsed());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calls(m: &Metrics, tool: &'static str, outcome: &'static str) -> u64 {
        m.families()
            .unwrap()
            .tool_calls
            .get_or_create(&ToolCallLabels { tool, outcome })
            .get()
    }

    #[test]
    fn each_outcome_is_counted_under_its_tool_and_timed() {
        let m = Metrics::new(true);
        let tools = m.tool_calls(["get_task", "create_task"].into_iter());
        tools.start(0).finish(Outcome::Ok);
        tools.start(0).finish(Outcome::Ok);
        tools.start(1).finish(Outcome::ToolError);
        tools.unknown_tool();
        assert_eq!(calls(&m, "get_task", "ok"), 2);
        assert_eq!(calls(&m, "get_task", "tool_error"), 0);
        assert_eq!(calls(&m, "create_task", "tool_error"), 1);
        assert_eq!(calls(&m, "unknown", "protocol_error"), 1);
        let timed = |tool| {
            m.families()
                .unwrap()
                .tool_durations
                .get_or_create(&ToolLabels { tool })
                .snapshot()
                .1
        };
        assert_eq!((timed("get_task"), timed("create_task")), (2, 1));
    }

    #[test]
    fn a_timer_dropped_unfinished_is_a_protocol_error() {
        let m = Metrics::new(true);
        let tools = m.tool_calls(["get_task"].into_iter());
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _timer = tools.start(0);
            panic!("a handler bug");
        }));
        assert!(panicked.is_err());
        assert_eq!(calls(&m, "get_task", "protocol_error"), 1);
        assert_eq!(calls(&m, "get_task", "ok"), 0);
    }

    #[test]
    fn disabled_metrics_resolve_no_handles() {
        let tools = Metrics::disabled().tool_calls(["get_task"].into_iter());
        assert!(tools.tools.is_empty() && tools.unknown.is_none());
        assert!(tools.start(0).finish(Outcome::Ok) < Duration::from_secs(1));
    }
}
