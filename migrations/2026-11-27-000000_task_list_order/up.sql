-- Indexes in the tools' list order (priority DESC, created_at, id), so `list_tasks`/`get_queue_tasks` with
-- a `limit` read the first matching rows in order and stop, instead of fetching and sorting every row of
-- the queue (or of the board), and `signup_for_task` walks the agent's idle tasks in order until the first
-- unblocked one. Measured in docs/benchmarks.md. Additive: the Node originals' schema and queries are
-- unaffected.
CREATE INDEX IF NOT EXISTS idx_tasks_list_order ON tasks(priority DESC, created_at, id);
CREATE INDEX IF NOT EXISTS idx_tasks_queue_list_order ON tasks(queue_name, priority DESC, created_at, id);
CREATE INDEX IF NOT EXISTS idx_tasks_agent_list_order ON tasks(assigned_to, status, priority DESC, created_at, id);
