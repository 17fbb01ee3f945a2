-- Full-text search for `search_tasks` (issue 11): two FTS5 indexes kept in sync by persistent triggers, so
-- that every writer of the file (TinyTask, a second TinyTask process, the Node 2.x originals through
-- better-sqlite3, which compiles FTS5 and the JSON functions in) updates them inside its own write
-- transaction. Additive only: no existing table, column or index changes, and the 2.x statements keep
-- working unchanged (the triggers add their work to the same statement).
--
-- * tasks_fts: one row per task (rowid = tasks.id) with the title, the description and the tags as plain
--   words (tags are stored as a JSON array text; its words, not its brackets and quotes, are indexed, so
--   snippets read "backend urgent", not '["backend","urgent"]'; a value that is not a JSON array, written
--   by hand or by an old client, is indexed as it is: the first WHEN keeps json_type from ever seeing it,
--   because CASE, unlike AND, evaluates its branches in order).
-- * comments_fts: one row per comment (rowid = comments.id) with its content and its task id. A comment
--   write costs the work of that comment only (never a re-concatenation of the task's other comments);
--   tasks and their comments are merged per task at query time (src/domain/search/fts.rs).
--
-- The indexes keep their own copy of the text (not `content=`) so that a delete needs only the rowid: an
-- external-content index must be told the exact old values, and any row changed while the triggers were
-- absent would leave it unrepairable. Deleting a task deletes its comments through ON DELETE CASCADE, which
-- fires the comment trigger too (and subtasks deleted by the Node originals' cascade fire the task trigger).
-- Updates reindex only when an indexed column really changed: status, assignee and timestamp updates (most
-- of the writes) cost nothing more.

CREATE VIRTUAL TABLE tasks_fts USING fts5(title, description, tags, tokenize = 'unicode61');
CREATE VIRTUAL TABLE comments_fts USING fts5(content, task_id UNINDEXED, tokenize = 'unicode61');

CREATE TRIGGER tasks_fts_insert AFTER INSERT ON tasks BEGIN
    INSERT INTO tasks_fts (rowid, title, description, tags)
    VALUES (NEW.id, NEW.title, NEW.description,
            CASE WHEN NOT json_valid(NEW.tags) THEN NEW.tags WHEN json_type(NEW.tags) = 'array'
                 THEN (SELECT group_concat(value, ' ') FROM json_each(NEW.tags))
                 ELSE NEW.tags END);
END;

CREATE TRIGGER tasks_fts_update AFTER UPDATE OF id, title, description, tags ON tasks
WHEN OLD.id IS NOT NEW.id OR OLD.title IS NOT NEW.title OR OLD.description IS NOT NEW.description
     OR OLD.tags IS NOT NEW.tags
BEGIN
    DELETE FROM tasks_fts WHERE rowid = OLD.id;
    INSERT INTO tasks_fts (rowid, title, description, tags)
    VALUES (NEW.id, NEW.title, NEW.description,
            CASE WHEN NOT json_valid(NEW.tags) THEN NEW.tags WHEN json_type(NEW.tags) = 'array'
                 THEN (SELECT group_concat(value, ' ') FROM json_each(NEW.tags))
                 ELSE NEW.tags END);
END;

CREATE TRIGGER tasks_fts_delete AFTER DELETE ON tasks BEGIN
    DELETE FROM tasks_fts WHERE rowid = OLD.id;
END;

CREATE TRIGGER comments_fts_insert AFTER INSERT ON comments BEGIN
    INSERT INTO comments_fts (rowid, content, task_id) VALUES (NEW.id, NEW.content, NEW.task_id);
END;

CREATE TRIGGER comments_fts_update AFTER UPDATE OF id, content, task_id ON comments
WHEN OLD.id IS NOT NEW.id OR OLD.content IS NOT NEW.content OR OLD.task_id IS NOT NEW.task_id
BEGIN
    DELETE FROM comments_fts WHERE rowid = OLD.id;
    INSERT INTO comments_fts (rowid, content, task_id) VALUES (NEW.id, NEW.content, NEW.task_id);
END;

CREATE TRIGGER comments_fts_delete AFTER DELETE ON comments BEGIN
    DELETE FROM comments_fts WHERE rowid = OLD.id;
END;

-- Existing rows (a TinyTask 3.x board, or a Node 2.x database being adopted), in this migration's
-- transaction: the board is searchable as soon as it is served.
INSERT INTO tasks_fts (rowid, title, description, tags)
SELECT id, title, description,
       CASE WHEN NOT json_valid(tags) THEN tags WHEN json_type(tags) = 'array'
            THEN (SELECT group_concat(value, ' ') FROM json_each(tags))
            ELSE tags END
FROM tasks;
INSERT INTO comments_fts (rowid, content, task_id) SELECT id, content, task_id FROM comments;
