DROP INDEX IF EXISTS idx_tasks_agent_list_order;
DROP INDEX IF EXISTS idx_tasks_queue_list_order;
DROP INDEX IF EXISTS idx_tasks_list_order;
