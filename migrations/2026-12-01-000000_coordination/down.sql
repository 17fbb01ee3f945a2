DROP TABLE IF EXISTS task_events;
DROP TABLE IF EXISTS task_dependencies;
DROP TABLE IF EXISTS task_leases;
