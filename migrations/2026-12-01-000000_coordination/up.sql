-- Agent coordination (issue 11): leases, a dependency graph and the durable event feed. Additive only: new
-- tables, no column of the Node originals' tables changes, so TinyTask 1.x/2.x can still open and write the
-- file (they simply do not see these tables).

-- The current claim of a task: who holds it, the fencing token, and until when. One row per claimed task;
-- a task without a row is not claimed (leases off, or never claimed through signup/wait_for_task).
CREATE TABLE IF NOT EXISTS task_leases (
    task_id INTEGER PRIMARY KEY REFERENCES tasks(id) ON DELETE CASCADE,
    agent TEXT NOT NULL,
    token TEXT NOT NULL,
    -- Unix time in milliseconds: compared and computed in one unit on every backend.
    expires_at INTEGER NOT NULL,
    -- 1 when the task was unassigned and claimed from its queue: on expiry it goes back to the pool.
    pooled INTEGER NOT NULL DEFAULT 0,
    -- The length it was granted for: heartbeats renew it by as much.
    duration_ms INTEGER NOT NULL,
    claimed_at DATETIME DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX IF NOT EXISTS idx_task_leases_expires_at ON task_leases(expires_at);

-- Any number of dependencies per task, besides the 2.x column blocked_by_task_id (which counts as one).
CREATE TABLE IF NOT EXISTS task_dependencies (
    task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    depends_on_task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (task_id, depends_on_task_id),
    CHECK (task_id <> depends_on_task_id)
);
CREATE INDEX IF NOT EXISTS idx_task_dependencies_depends_on ON task_dependencies(depends_on_task_id);

-- The event feed: every change, appended in the transaction of the change. AUTOINCREMENT makes the cursor
-- strictly increasing and never reused (even after pruning), and since SQLite has one writer at a time,
-- cursor order is commit order, across processes too. No foreign key: events outlive deleted tasks.
CREATE TABLE IF NOT EXISTS task_events (
    cursor INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    kind TEXT NOT NULL,
    task_id INTEGER,
    actor TEXT,
    -- The task's assignee and queue after the change (before it, for a deletion), and before it when it
    -- changed: what the agent_name and queue_name filters of get_events match.
    assignee TEXT,
    prior_assignee TEXT,
    queue TEXT,
    prior_queue TEXT,
    -- JSON object: field -> {"old": …, "new": …}.
    fields TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_task_events_task ON task_events(task_id, cursor);
