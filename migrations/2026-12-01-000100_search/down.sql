-- Undoes up.sql: the triggers first (so no write can reach a dropped index), then the indexes.
DROP TRIGGER IF EXISTS comments_fts_delete;
DROP TRIGGER IF EXISTS comments_fts_update;
DROP TRIGGER IF EXISTS comments_fts_insert;
DROP TRIGGER IF EXISTS tasks_fts_delete;
DROP TRIGGER IF EXISTS tasks_fts_update;
DROP TRIGGER IF EXISTS tasks_fts_insert;
DROP TABLE IF EXISTS comments_fts;
DROP TABLE IF EXISTS tasks_fts;
