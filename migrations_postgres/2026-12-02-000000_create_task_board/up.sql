-- TinyTask's board on PostgreSQL: the tables, columns and meaning of the SQLite schema (migrations/), in one
-- migration (there is no older PostgreSQL board to upgrade). Differences, each on purpose:
-- * Text columns use the "C" collation: comparisons and ORDER BY are bytewise, as in SQLite, whatever the
--   database's locale, so both backends list in the same order.
-- * Timestamps are TEXT in SQLite's format ('2026-12-01 16:00:00', UTC; tinytask_now()), so every value
--   reads, sorts and copies (`tinytask copy-data`) identically on both backends.
-- * The event cursor is assigned from tinytask_event_clock inside the write's transaction (see there), not
--   from a sequence: commit-ordered and gap-free across replicas.
-- * Full-text search uses PostgreSQL's text search (generated tsvector columns with GIN indexes) instead
--   of FTS5. Change capture uses ordinary triggers over per-connection TEMP tables (src/db/capture_pg.rs,
--   installed at start).

CREATE FUNCTION tinytask_now() RETURNS TEXT LANGUAGE sql STABLE
AS $$ SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') $$;

-- The words of a tags value: a JSON array's strings joined by spaces; anything else (not JSON, not an
-- array) as it is — the rule of the SQLite search triggers.
CREATE FUNCTION tinytask_tag_words(tags TEXT) RETURNS TEXT LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    IF tags IS NULL THEN
        RETURN NULL;
    END IF;
    IF jsonb_typeof(tags::jsonb) = 'array' THEN
        RETURN (SELECT string_agg(value, ' ') FROM jsonb_array_elements_text(tags::jsonb));
    END IF;
    RETURN tags;
EXCEPTION WHEN others THEN
    RETURN tags;
END $$;

-- The words of a text as FTS5's unicode61 tokenizer sees them: runs of letters and digits, everything else
-- a separator (PostgreSQL's own parser would keep "v2.1-rc" or an e-mail address as one token). Search
-- queries are cut into words the same way (src/domain/search/query.rs). The database's default collation,
-- not the columns' "C": under "C", PostgreSQL's regular expressions see no letter beyond ASCII, and "Déjà"
-- would be cut into "d" and "j". (The database needs a UTF-8 locale, as initdb gives it by default.)
CREATE FUNCTION tinytask_words(body TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE
AS $$ SELECT regexp_replace(coalesce(body, '') COLLATE "default", '[^[:alnum:]]+', ' ', 'g') $$;

CREATE TABLE tasks (
    id SERIAL PRIMARY KEY,
    title TEXT COLLATE "C" NOT NULL,
    description TEXT COLLATE "C",
    status TEXT COLLATE "C" NOT NULL CHECK (status IN ('idle', 'working', 'complete')),
    assigned_to TEXT COLLATE "C",
    previous_assigned_to TEXT COLLATE "C",
    created_by TEXT COLLATE "C",
    priority INTEGER DEFAULT 0,
    tags TEXT COLLATE "C",
    parent_task_id INTEGER REFERENCES tasks(id) ON DELETE CASCADE,
    queue_name TEXT COLLATE "C",
    blocked_by_task_id INTEGER REFERENCES tasks(id) ON DELETE SET NULL,
    created_at TEXT COLLATE "C" DEFAULT tinytask_now(),
    updated_at TEXT COLLATE "C" DEFAULT tinytask_now(),
    archived_at TEXT COLLATE "C",
    -- Title (weight A), tags (B) and description (D) for search_tasks.
    search_doc tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', tinytask_words(title)), 'A')
        || setweight(to_tsvector('simple', tinytask_words(tinytask_tag_words(tags))), 'B')
        || setweight(to_tsvector('simple', tinytask_words(description)), 'D')) STORED
);

CREATE TABLE comments (
    id SERIAL PRIMARY KEY,
    task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    content TEXT COLLATE "C" NOT NULL,
    created_by TEXT COLLATE "C",
    created_at TEXT COLLATE "C" DEFAULT tinytask_now(),
    updated_at TEXT COLLATE "C" DEFAULT tinytask_now(),
    search_doc tsvector GENERATED ALWAYS AS (to_tsvector('simple', tinytask_words(content))) STORED
);

CREATE TABLE links (
    id SERIAL PRIMARY KEY,
    task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    url TEXT COLLATE "C" NOT NULL,
    description TEXT COLLATE "C",
    created_by TEXT COLLATE "C",
    created_at TEXT COLLATE "C" DEFAULT tinytask_now()
);

CREATE TABLE task_history (
    id SERIAL PRIMARY KEY,
    task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    field_name TEXT COLLATE "C" NOT NULL,
    old_value TEXT COLLATE "C",
    new_value TEXT COLLATE "C",
    changed_by TEXT COLLATE "C",
    changed_at TEXT COLLATE "C" DEFAULT tinytask_now()
);

CREATE INDEX idx_tasks_assigned_to ON tasks(assigned_to);
CREATE INDEX idx_tasks_status ON tasks(status);
CREATE INDEX idx_tasks_assigned_status ON tasks(assigned_to, status);
CREATE INDEX idx_tasks_archived ON tasks(archived_at);
CREATE INDEX idx_tasks_parent_task_id ON tasks(parent_task_id);
CREATE INDEX idx_tasks_queue_name ON tasks(queue_name);
CREATE INDEX idx_tasks_queue_status ON tasks(queue_name, status);
CREATE INDEX idx_tasks_queue_assigned ON tasks(queue_name, assigned_to);
CREATE INDEX idx_tasks_blocked_by ON tasks(blocked_by_task_id);
CREATE INDEX idx_comments_task_id ON comments(task_id);
CREATE INDEX idx_links_task_id ON links(task_id);
CREATE INDEX idx_history_task_id ON task_history(task_id);
-- The tools' list order (priority DESC, created_at, id), as in SQLite. TinyTask never writes a NULL
-- priority; only a board copied from a Node-era SQLite file can hold one, and PostgreSQL lists such a task
-- first where SQLite lists it last (docs/POSTGRES.md).
CREATE INDEX idx_tasks_list_order ON tasks(priority DESC, created_at, id);
CREATE INDEX idx_tasks_queue_list_order ON tasks(queue_name, priority DESC, created_at, id);
CREATE INDEX idx_tasks_agent_list_order ON tasks(assigned_to, status, priority DESC, created_at, id);
CREATE INDEX idx_tasks_search ON tasks USING GIN (search_doc);
CREATE INDEX idx_comments_search ON comments USING GIN (search_doc);

CREATE TABLE task_leases (
    task_id INTEGER PRIMARY KEY REFERENCES tasks(id) ON DELETE CASCADE,
    agent TEXT COLLATE "C" NOT NULL,
    token TEXT COLLATE "C" NOT NULL,
    expires_at BIGINT NOT NULL,
    pooled INTEGER NOT NULL DEFAULT 0,
    duration_ms BIGINT NOT NULL,
    claimed_at TEXT COLLATE "C" DEFAULT tinytask_now()
);
CREATE INDEX idx_task_leases_expires_at ON task_leases(expires_at);

CREATE TABLE task_dependencies (
    task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    depends_on_task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    created_at TEXT COLLATE "C" DEFAULT tinytask_now(),
    PRIMARY KEY (task_id, depends_on_task_id),
    CHECK (task_id <> depends_on_task_id)
);
CREATE INDEX idx_task_dependencies_depends_on ON task_dependencies(depends_on_task_id);

-- The event feed. `cursor` has no default: each write takes its cursors from tinytask_event_clock.
CREATE TABLE task_events (
    cursor BIGINT PRIMARY KEY,
    at TEXT COLLATE "C" NOT NULL
        DEFAULT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    kind TEXT COLLATE "C" NOT NULL,
    task_id INTEGER,
    actor TEXT COLLATE "C",
    assignee TEXT COLLATE "C",
    prior_assignee TEXT COLLATE "C",
    queue TEXT COLLATE "C",
    prior_queue TEXT COLLATE "C",
    fields TEXT COLLATE "C" NOT NULL
);
CREATE INDEX idx_task_events_task ON task_events(task_id, cursor);

-- The last cursor handed out (never lowered by pruning, like SQLite's AUTOINCREMENT). A write advances it
-- with an UPDATE in its own transaction: the row lock it takes is held until that transaction ends, so
-- the next write (on any replica) gets its cursors only after this one committed or rolled back. Cursor
-- order is therefore commit order, and a rolled-back write gives its cursors back: no gaps.
CREATE TABLE tinytask_event_clock (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last BIGINT NOT NULL
);
INSERT INTO tinytask_event_clock (id, last) VALUES (1, 0);
