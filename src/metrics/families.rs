//! Every metric TinyTask records, registered once with its name and help (docs/HTTP.md lists them). Label
//! sets are small closed sets (tool names, outcomes, transports, route patterns, protocol versions), so no
//! client input can grow the number of series.

use super::histogram::Histogram;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::{Registry, Unit};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct ToolCallLabels {
    pub tool: &'static str,
    pub outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct ToolLabels {
    pub tool: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct RestLabels {
    pub method: &'static str,
    pub route: String,
    pub status: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct RouteLabels {
    pub method: &'static str,
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct SessionLabels {
    pub transport: &'static str,
    pub era: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct TransportLabels {
    pub transport: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct CallLabels {
    pub call: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct KindLabels {
    pub kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: &'static str,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// Handles on the registered metrics (each shares its counters with the registry's copy).
#[derive(Debug)]
pub(super) struct Families {
    pub registry: Registry,
    pub tool_calls: Family<ToolCallLabels, Counter>,
    pub tool_durations: HistogramFamily<ToolLabels>,
    pub rest_requests: Family<RestLabels, Counter>,
    pub rest_durations: HistogramFamily<RouteLabels>,
    pub batch_sizes: Histogram,
    pub batch_durations: Histogram,
    pub sessions: Family<SessionLabels, Gauge>,
    pub streams: Family<TransportLabels, Gauge>,
    pub waiters: Family<CallLabels, Gauge>,
    pub claims: Family<KindLabels, Counter>,
    pub lease_grants: Counter,
    pub lease_expiries: Counter,
}

impl Families {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("tinytask");
        let tool_calls = Family::default();
        registry.register(
            "tool_calls",
            "MCP tools/call requests by tool and outcome (ok, tool_error: an isError result, \
             protocol_error: a JSON-RPC error; tool=\"unknown\" for an unknown or missing tool name)",
            tool_calls.clone(),
        );
        let tool_durations: HistogramFamily<ToolLabels> =
            Family::new_with_constructor(Histogram::latency);
        registry.register_with_unit(
            "tool_call_duration",
            "Time to handle one MCP tools/call, any outcome (waiting tools include their wait)",
            Unit::Seconds,
            tool_durations.clone(),
        );
        let rest_requests = Family::default();
        registry.register(
            "rest_requests",
            "REST requests under /api/v1 by method, route pattern and status class",
            rest_requests.clone(),
        );
        let rest_durations: HistogramFamily<RouteLabels> =
            Family::new_with_constructor(Histogram::latency);
        registry.register_with_unit(
            "rest_request_duration",
            "Time to answer one REST request under /api/v1, by method and route pattern",
            Unit::Seconds,
            rest_durations.clone(),
        );
        let batch_sizes = Histogram::batch_sizes();
        registry.register(
            "write_batch_size",
            "Writes committed together in one group-commit transaction",
            batch_sizes.clone(),
        );
        let batch_durations = Histogram::commit();
        registry.register_with_unit(
            "write_batch_duration",
            "Time of one committed group-commit transaction, from checking out the connection through BEGIN IMMEDIATE, the writes and COMMIT",
            Unit::Seconds,
            batch_durations.clone(),
        );
        let sessions = Family::default();
        registry.register(
            "sessions_open",
            "Open MCP sessions by transport and era (the negotiated protocol version; \
             uninitialized before initialize)",
            sessions.clone(),
        );
        let streams = Family::default();
        registry.register(
            "streams_open",
            "Open server-to-client SSE streams: Streamable HTTP GET streams and legacy SSE streams",
            streams.clone(),
        );
        let waiters = Family::default();
        registry.register(
            "waiters",
            "Calls waiting for the board to change: wait_for_task calls, get_events calls with wait_secs > 0",
            waiters.clone(),
        );
        let claims = Family::default();
        registry.register(
            "claims",
            "Committed claims (signup_for_task, wait_for_task) by kind: personal (the agent's own task) or \
             pool (an unassigned task of a queue)",
            claims.clone(),
        );
        let lease_grants = Counter::default();
        registry.register(
            "lease_grants",
            "Leases granted with committed claims",
            lease_grants.clone(),
        );
        let lease_expiries = Counter::default();
        registry.register(
            "lease_expiries",
            "Leases that expired and whose tasks went back to idle",
            lease_expiries.clone(),
        );
        registry.register(
            "build",
            "The running TinyTask version",
            Info::new(BuildLabels {
                version: env!("CARGO_PKG_VERSION"),
            }),
        );
        let families = Families {
            registry,
            tool_calls,
            tool_durations,
            rest_requests,
            rest_durations,
            batch_sizes,
            batch_durations,
            sessions,
            streams,
            waiters,
            claims,
            lease_grants,
            lease_expiries,
        };
        families.create_fixed_series();
        families
    }

    /// Series whose label values are all known up front exist from the start (at 0), so a rate or an
    /// alert over them works before the first event.
    fn create_fixed_series(&self) {
        for transport in super::gauges::STREAM_TRANSPORTS {
            self.streams
                .get_or_create_owned(&TransportLabels { transport });
        }
        for call in super::gauges::WAITING_CALLS {
            self.waiters.get_or_create_owned(&CallLabels { call });
        }
        for kind in ["personal", "pool"] {
            self.claims.get_or_create_owned(&KindLabels { kind });
        }
    }
}
