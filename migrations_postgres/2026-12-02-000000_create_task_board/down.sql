DROP TABLE IF EXISTS tinytask_event_clock;
DROP TABLE IF EXISTS task_events;
DROP TABLE IF EXISTS task_dependencies;
DROP TABLE IF EXISTS task_leases;
DROP TABLE IF EXISTS task_history;
DROP TABLE IF EXISTS links;
DROP TABLE IF EXISTS comments;
DROP TABLE IF EXISTS tasks;
DROP FUNCTION IF EXISTS tinytask_capture_task, tinytask_capture_dependents, tinytask_capture_comments,
    tinytask_capture_links, tinytask_capture_lease, tinytask_capture_dependency;
DROP FUNCTION IF EXISTS tinytask_tag_words(TEXT);
DROP FUNCTION IF EXISTS tinytask_words(TEXT);
DROP FUNCTION IF EXISTS tinytask_now();
