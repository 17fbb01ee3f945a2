-- Legacy Streamable HTTP sessions (Mcp-Session-Id, protocol 2025-03-26 … 2025-11-25) shared by every replica,
-- so a round-robin balancer may send each request of a session to any of them (README "Running several
-- replicas"). A replica keeps a copy of the sessions it serves; this table is the truth it is loaded from and
-- written through to before a lifecycle change is answered (src/mcp/shared/). Only PostgreSQL has it: on
-- SQLite one process serves the board's HTTP clients, and its sessions live in its memory.
CREATE TABLE tinytask_sessions (
    id TEXT COLLATE "C" PRIMARY KEY,
    -- The negotiated version, once initialize was answered.
    protocol_version TEXT COLLATE "C",
    -- notifications/initialized arrived.
    initialized BOOLEAN NOT NULL DEFAULT FALSE,
    -- logging/setLevel's level (debug … emergency), NULL until set.
    log_level TEXT COLLATE "C",
    client TEXT COLLATE "C",
    -- The session made a request other than initialize (unused sessions expire sooner and may be evicted).
    used BOOLEAN NOT NULL DEFAULT FALSE,
    -- Last activity on any replica, in milliseconds since the Unix epoch (idle expiry).
    seen_ms BIGINT NOT NULL
);

CREATE INDEX tinytask_sessions_seen ON tinytask_sessions (seen_ms);

-- resources/subscribe of those sessions: `uri` as the client wrote it (notifications echo it), `target` the
-- resource it names in one canonical spelling (what a committed change is matched against).
CREATE TABLE tinytask_session_subscriptions (
    session_id TEXT COLLATE "C" NOT NULL REFERENCES tinytask_sessions (id) ON DELETE CASCADE,
    uri TEXT COLLATE "C" NOT NULL,
    target TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (session_id, uri)
);

CREATE INDEX tinytask_session_subscriptions_target ON tinytask_session_subscriptions (target, session_id);
