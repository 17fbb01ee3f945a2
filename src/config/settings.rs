//! The table of every `TINYTASK_*` variable: each is defined here once, and nowhere else.
//!
//! `Config::from_lookup` reads each field through its entry (so the name, default and allowed values used
//! are the ones shown), `--help` lists [`ALL`] in this order, and `docs_tests.rs` checks README.md,
//! .env.example and docker-compose.yml against it.

use super::http::{MAX_CONNECTIONS_LIMIT, MAX_TIMEOUT_SECS};
use super::setting::{Allowed, Fallback::*, Setting};
use super::values::{LogFormat, LogLevel, Mode, Switch, Toolset, UiMode};

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;

/// Defines each setting as a constant and lists them all in [`ALL`], so none can be left out of `--help`
/// or the documentation check.
macro_rules! settings {
    ($($(#[$doc:meta])* $id:ident = $name:literal, $default:expr, $allowed:expr, $help:literal;)+) => {
        $($(#[$doc])* pub const $id: Setting = Setting {
            name: $name,
            default: $default,
            allowed: $allowed,
            help: $help,
        };)+
        /// Every setting, in the order of `--help`.
        pub const ALL: &[Setting] = &[$($id),+];
    };
}

// The size-limit ranges keep a misconfiguration from disabling a limit in effect (a huge value) or making
// the board unusable (0). Their defaults are also `domain::limits::Limits::default` (the domain's own unit
// tests use it); `limits_default_and_parse_within_their_ranges` keeps the two equal.
settings! {
    // --- general ---
    /// `sse` is accepted as an alias of `http` (TinyTask 2.x deprecated it the same way).
    MODE = "TINYTASK_MODE", Value("both"), Allowed::Choice(Mode::ALLOWED),
        "which transports run (sse is an alias of http)";
    /// A literal IP: the static binary in the scratch image cannot resolve host names.
    HOST = "TINYTASK_HOST", Value("127.0.0.1"), Allowed::IpAddress,
        "the address the HTTP server binds (the container image sets 0.0.0.0)";
    PORT = "TINYTASK_PORT", Value("3000"), Allowed::Range(1, 65535), "HTTP port";
    DB_PATH = "TINYTASK_DB_PATH", Value("./data/tinytask.db"), Allowed::Text,
        "SQLite database file; its directory is created when missing";
    /// Unset: SQLite at TINYTASK_DB_PATH. docs/SCALING.md: several replicas on one PostgreSQL database.
    DATABASE_URL = "TINYTASK_DATABASE_URL", Derived("(unset: SQLite)"), Allowed::PostgresUrl,
        "PostgreSQL instead of SQLite (TINYTASK_DB_PATH is then unused)";
    DB_CONNECT_SECS = "TINYTASK_DB_CONNECT_SECS", Value("30"), Allowed::Range(0, 3600),
        "seconds start-up keeps retrying an unreachable PostgreSQL before exiting 1 (0: one attempt)";
    LOG_LEVEL = "TINYTASK_LOG_LEVEL", Value("info"), Allowed::Choice(LogLevel::ALLOWED),
        "logs always go to stderr";
    LOG_FORMAT = "TINYTASK_LOG_FORMAT", Value("text"), Allowed::Choice(LogFormat::ALLOWED),
        "format of the log lines";

    // --- MCP tools (mcp::tools::toolsets) ---
    /// `all` keeps every tool, as before the setting existed; the REST API and dashboard always have all.
    TOOLSETS = "TINYTASK_TOOLSETS", Value("all"), Allowed::List(Toolset::ALLOWED),
        "tool sets MCP clients see and may call (their union); core is an agent's work loop";

    // --- HTTP transports ---
    MAX_BODY_BYTES = "TINYTASK_MAX_BODY_BYTES", Value("4194304"), Allowed::Positive,
        "largest HTTP request body in bytes (larger → 413)";
    SESSION_IDLE_SECS = "TINYTASK_SESSION_IDLE_SECS", Value("1800"), Allowed::Positive,
        "idle seconds before a Streamable HTTP session expires";
    MAX_SESSIONS = "TINYTASK_MAX_SESSIONS", Value("1000"), Allowed::Positive,
        "open HTTP sessions allowed at once; when full, the least recently used session that never made a request is evicted";
    /// Unused sessions must not outlive used ones, hence the idle timeout as the upper bound (and the
    /// default is lowered to it when it is smaller).
    UNUSED_SESSION_SECS = "TINYTASK_UNUSED_SESSION_SECS", Value("60"),
        Allowed::UpTo("TINYTASK_SESSION_IDLE_SECS"),
        "seconds a session that made no request after initialize lives";
    /// Slowloris protection.
    HEADER_TIMEOUT_SECS = "TINYTASK_HEADER_TIMEOUT_SECS", Value("10"), Allowed::Range(1, MAX_TIMEOUT_SECS),
        "seconds allowed for a request's headers to arrive (then 408 and the connection closes)";
    BODY_TIMEOUT_SECS = "TINYTASK_BODY_TIMEOUT_SECS", Value("30"), Allowed::Range(1, MAX_TIMEOUT_SECS),
        "seconds allowed for a whole request body to arrive (then 408 and the connection closes)";
    /// The real bound, the open-files limit minus a reserve, is checked at startup once the limit has been
    /// raised (`ops::connections::cap`).
    MAX_CONNECTIONS = "TINYTASK_MAX_CONNECTIONS", Derived("(from the open-files limit)"),
        Allowed::Range(1, MAX_CONNECTIONS_LIMIT),
        "open HTTP connections (SSE streams included), at most the open-files limit minus a reserve";
    ALLOWED_ORIGINS = "TINYTASK_ALLOWED_ORIGINS", Derived("(loopback)"), Allowed::Text,
        "comma-separated Origin values allowed on MCP requests, or *";
    ALLOWED_HOSTS = "TINYTASK_ALLOWED_HOSTS", Derived("(loopback*)"), Allowed::Text,
        "comma-separated Host names allowed, or *; *loopback names when bound to loopback, any otherwise";
    /// Never logged.
    AUTH_TOKEN = "TINYTASK_AUTH_TOKEN", Derived("(unset)"), Allowed::Text,
        "when set, HTTP requests (except /health) need Authorization: Bearer <token>";

    // --- web dashboard (transports::http::ui) ---
    /// `readonly` hides the operator actions and refuses cookie-authenticated writes; `off` removes /ui.
    UI = "TINYTASK_UI", Value("on"), Allowed::Choice(UiMode::ALLOWED),
        "the web dashboard at /ui: on, readonly (views only) or off (no /ui routes)";
    /// Each stream holds a connection and a waiter on the board: bounded so one client cannot exhaust them.
    UI_MAX_STREAMS = "TINYTASK_UI_MAX_STREAMS", Value("64"), Allowed::Range(1, 10_000),
        "dashboard live-update streams (GET /ui/stream) open at once; beyond, 503 + Retry-After";

    // --- metrics (GET /metrics) ---
    /// Off: nothing is recorded and /metrics is 404 (so one binary can be measured with and without).
    METRICS = "TINYTASK_METRICS", Value("on"), Allowed::Choice(Switch::ALLOWED),
        "Prometheus metrics: on records them and serves GET /metrics, off records nothing (404)";
    /// Never logged. Opens /metrics only, so a scraper's credential cannot call tools.
    METRICS_TOKEN = "TINYTASK_METRICS_TOKEN", Derived("(unset)"), Allowed::Text,
        "when set, GET /metrics needs Authorization: Bearer <this token> (TINYTASK_AUTH_TOKEN works too)";

    // --- size limits (domain::limits) ---
    MAX_TITLE_BYTES = "TINYTASK_MAX_TITLE_BYTES", Value("4096"), Allowed::Range(1, MIB),
        "longest task title in bytes";
    MAX_DESCRIPTION_BYTES = "TINYTASK_MAX_DESCRIPTION_BYTES", Value("65536"), Allowed::Range(1, 16 * MIB),
        "longest task description in bytes";
    MAX_COMMENT_BYTES = "TINYTASK_MAX_COMMENT_BYTES", Value("65536"), Allowed::Range(1, 16 * MIB),
        "longest comment (and move_task hand-off note) in bytes";
    MAX_LINK_BYTES = "TINYTASK_MAX_LINK_BYTES", Value("8192"), Allowed::Range(1, MIB),
        "longest link url or link description in bytes";
    MAX_TAG_BYTES = "TINYTASK_MAX_TAG_BYTES", Value("256"), Allowed::Range(1, 64 * KIB),
        "longest tag in bytes";
    MAX_TAGS = "TINYTASK_MAX_TAGS", Value("100"), Allowed::Range(1, 10_000), "tags per task";
    MAX_NAME_BYTES = "TINYTASK_MAX_NAME_BYTES", Value("1024"), Allowed::Range(1, 64 * KIB),
        "longest agent/person name (created_by, assigned_to, changed_by, agents) in bytes";
    MAX_RESPONSE_BYTES = "TINYTASK_MAX_RESPONSE_BYTES", Value("4194304"), Allowed::Range(4 * KIB, 1024 * MIB),
        "largest JSON result of a list before it is cut (has_more, next_offset)";
    MAX_SUBSCRIPTIONS_PER_SESSION = "TINYTASK_MAX_SUBSCRIPTIONS_PER_SESSION", Value("1000"),
        Allowed::Range(1, 1_000_000), "resource subscriptions one session may hold";

    // --- agent coordination (domain::leases, domain::events) ---
    /// 0 turns leases off: claims then behave exactly as in TinyTask 2.x (held until the agent acts).
    LEASE_SECS = "TINYTASK_LEASE_SECS", Value("1800"), Allowed::Range(0, 604_800),
        "seconds a claim (signup_for_task, wait_for_task) lasts without a heartbeat; 0 turns leases off";
    /// 0 keeps every event forever.
    EVENT_RETENTION_DAYS = "TINYTASK_EVENT_RETENTION_DAYS", Value("30"), Allowed::Range(0, 36_500),
        "days the event feed (get_events) keeps events before pruning them; 0 keeps them forever";
}
