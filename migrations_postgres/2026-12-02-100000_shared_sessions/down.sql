DROP TABLE tinytask_session_subscriptions;
DROP TABLE tinytask_sessions;
