//! Databases created by the Node TinyTask 2.x and 1.x are adopted in place without losing anything.
//! Fixtures are built here from the originals' schema SQL (tests/fixtures/).

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};
use std::path::Path;
use tinytask::domain::{Conn, agents, search, subtasks, tasks};

const SCHEMA_2X: &str = include_str!("fixtures/tinytask-2x-schema.sql");
const SCHEMA_1X: &str = include_str!("fixtures/tinytask-1x-schema.sql");

fn build_fixture(path: &Path, schema: &str, rows: &str) {
    let mut conn = SqliteConnection::establish(&path.to_string_lossy()).unwrap();
    conn.batch_execute(schema).unwrap();
    conn.batch_execute(rows).unwrap();
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = Integer)]
    n: i32,
}

fn columns(conn: &mut Conn) -> Vec<String> {
    diesel::sql_query("SELECT name FROM pragma_table_info('tasks')")
        .load::<Name>(conn)
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect()
}

fn count(conn: &mut Conn, sql: &str) -> i32 {
    diesel::sql_query(sql).get_result::<Count>(conn).unwrap().n
}

const ROWS_2X: &str = r#"
INSERT INTO tasks (id, title, description, status, assigned_to, previous_assigned_to, created_by, priority, tags,
                   parent_task_id, queue_name, blocked_by_task_id, created_at, updated_at, archived_at)
VALUES (1, 'Epic', 'The big one', 'working', 'architect', 'product', 'product', 5, '["epic"]', NULL, 'dev', NULL,
        '2026-01-02 03:04:05', '2026-01-03 03:04:05', NULL),
       (2, 'Child', NULL, 'idle', 'coder', NULL, 'architect', 1, '[]', 1, 'dev', 3,
        '2026-01-02 04:00:00', '2026-01-02 04:00:00', NULL),
       (3, 'Blocker', NULL, 'working', 'coder', NULL, 'architect', 0, NULL, NULL, NULL, NULL,
        '2026-01-02 05:00:00', '2026-01-02 05:00:00', NULL),
       (4, 'Old', NULL, 'complete', NULL, NULL, 'product', 0, NULL, NULL, NULL, NULL,
        '2025-12-01 00:00:00', '2025-12-02 00:00:00', '2025-12-03 00:00:00');
INSERT INTO comments (id, task_id, content, created_by, created_at, updated_at)
VALUES (1, 1, 'Kick-off notes', 'product', '2026-01-02 03:05:00', '2026-01-02 03:05:00');
INSERT INTO links (id, task_id, url, description, created_by, created_at)
VALUES (1, 2, 'https://example.test/pr/7', 'PR', 'coder', '2026-01-02 06:00:00');
"#;

#[test]
fn a_2x_database_is_served_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tinytask.db");
    build_fixture(&path, SCHEMA_2X, ROWS_2X);

    let pool = tinytask::db::open(&path, 2).expect("adopting a 2.x database");
    let mut conn = pool.get().unwrap();
    let epic = tasks::get_with_relations(&mut conn, 1).unwrap();
    assert_eq!(epic.task.title, "Epic");
    assert_eq!(epic.task.description.as_deref(), Some("The big one"));
    assert_eq!(epic.task.previous_assigned_to.as_deref(), Some("product"));
    assert_eq!(epic.task.tags, vec!["epic"]);
    assert_eq!(
        epic.task.created_at.as_deref(),
        Some("2026-01-02T03:04:05Z")
    );
    assert_eq!(
        epic.task.updated_at.as_deref(),
        Some("2026-01-03T03:04:05Z")
    );
    assert_eq!(epic.comments[0].content, "Kick-off notes");
    assert!(epic.history.is_empty());

    let child = tasks::get_with_relations(&mut conn, 2).unwrap();
    assert_eq!(
        (child.task.parent_task_id, child.task.queue_name.as_deref()),
        (Some(1), Some("dev"))
    );
    assert!(child.task.is_currently_blocked);
    assert_eq!(child.links[0].url, "https://example.test/pr/7");
    let old = tasks::get(&mut conn, 4).unwrap();
    assert_eq!(old.archived_at.as_deref(), Some("2025-12-03T00:00:00Z"));
    let coder = agents::MyQueue {
        agent_name: "coder".into(),
        offset: None,
        fields: None,
        view: None,
    };
    assert_eq!(agents::my_queue(&mut conn, coder).unwrap().count, 2);

    // Every migration recorded as applied, and opening again is a no-op.
    let migrations = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .unwrap()
        .filter(|e| e.as_ref().is_ok_and(|e| e.path().is_dir()))
        .count();
    assert_eq!(
        count(
            &mut conn,
            "SELECT COUNT(*) AS n FROM __diesel_schema_migrations"
        ),
        migrations as i32
    );
    drop(conn);
    drop(pool);
    let pool = tinytask::db::open(&path, 1).unwrap();
    assert_eq!(
        tasks::get(&mut pool.get().unwrap(), 1).unwrap().title,
        "Epic"
    );
}

const ROWS_1X: &str = r#"
INSERT INTO tasks (id, title, description, status, assigned_to, created_by, priority, tags, created_at, updated_at,
                   archived_at)
VALUES (7, 'Legacy task', 'from 1.x', 'working', 'bob', 'alice', 3, '["old"]', '2025-12-20 10:00:00',
        '2025-12-21 10:00:00', NULL),
       (9, 'Done', NULL, 'complete', NULL, NULL, 0, NULL, '2025-12-20 11:00:00', '2025-12-20 12:00:00',
        '2025-12-22 00:00:00');
INSERT INTO comments (task_id, content, created_by, created_at, updated_at)
VALUES (7, 'first', 'alice', '2025-12-20 10:30:00', '2025-12-20 10:30:00');
INSERT INTO links (task_id, url, description, created_by, created_at)
VALUES (7, '/src/main.rs', NULL, 'bob', '2025-12-20 10:40:00');
"#;

#[test]
fn a_1x_database_is_upgraded_in_place_without_loss() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    build_fixture(&path, SCHEMA_1X, ROWS_1X);

    let pool = tinytask::db::open(&path, 2).expect("upgrading a 1.x database");
    let mut conn = pool.get().unwrap();
    let cols = columns(&mut conn);
    for c in [
        "previous_assigned_to",
        "parent_task_id",
        "queue_name",
        "blocked_by_task_id",
    ] {
        assert!(cols.iter().any(|x| x == c), "missing {c} in {cols:?}");
    }
    let t = tasks::get_with_relations(&mut conn, 7).unwrap();
    assert_eq!(
        (t.task.title.as_str(), t.task.priority, t.task.tags.clone()),
        ("Legacy task", 3, vec!["old".into()])
    );
    assert_eq!(t.task.created_at.as_deref(), Some("2025-12-20T10:00:00Z"));
    assert_eq!((t.comments.len(), t.links.len()), (1, 1));
    assert_eq!(
        tasks::get(&mut conn, 9).unwrap().archived_at.as_deref(),
        Some("2025-12-22T00:00:00Z")
    );
    assert_eq!(
        count(
            &mut conn,
            "SELECT COUNT(*) AS n FROM pragma_foreign_key_check"
        ),
        0
    );

    // The new features work on the upgraded data, and ids continue after the old ones.
    let sub = subtasks::create(
        &mut conn,
        subtasks::CreateSubtask {
            parent_task_id: 7,
            title: "New subtask".into(),
            created_by: "carol".into(),
            description: None,
            assigned_to: None,
            priority: None,
            tags: None,
            queue_name: None,
        },
    )
    .unwrap();
    assert_eq!(sub.parent_task_id, Some(7));
    assert!(sub.id > 9);
    // Deleting the task still cascades to its comments (foreign keys survived the rebuild).
    tasks::delete(&mut conn, 7).unwrap();
    assert_eq!(count(&mut conn, "SELECT COUNT(*) AS n FROM comments"), 0);
}

#[test]
fn a_1x_upgrade_keeps_the_id_counter_after_a_deleted_highest_task() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let rows: String = (1..=30)
        .map(|i| {
            format!(
                "INSERT INTO tasks (id, title, status, created_by, created_at, updated_at) \
                 VALUES ({i}, 'task {i}', 'idle', 'alice', '2025-12-20 10:00:00', '2025-12-20 10:00:00');"
            )
        })
        .chain(["DELETE FROM tasks WHERE id = 30;".to_string()])
        .collect();
    build_fixture(&path, SCHEMA_1X, &rows);

    let pool = tinytask::db::open(&path, 2).expect("upgrading a 1.x database");
    let mut conn = pool.get().unwrap();
    assert_eq!(
        count(
            &mut conn,
            "SELECT seq AS n FROM sqlite_sequence WHERE name = 'tasks'"
        ),
        30,
        "the counter survives the rebuild"
    );
    let next = tasks::create(
        &mut conn,
        tasks::CreateTask {
            title: "new".into(),
            created_by: "carol".into(),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(
        next.id, 31,
        "1.x itself would give 31; 30 belonged to a deleted task"
    );
}

fn search(conn: &mut Conn, query: &str) -> Vec<i32> {
    let args = search::SearchTasks {
        query: query.into(),
        include_archived: Some(true),
        ..Default::default()
    };
    let mut ids: Vec<i32> = search::search(conn, args)
        .unwrap()
        .results
        .iter()
        .map(|h| h.task.id)
        .collect();
    ids.sort_unstable();
    ids
}

#[test]
fn rows_written_before_the_search_migration_are_indexed_by_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tinytask.db");
    build_fixture(&path, SCHEMA_2X, ROWS_2X);
    let pool = tinytask::db::open(&path, 1).unwrap();
    let mut conn = pool.get().unwrap();
    assert_eq!(search(&mut conn, "epic"), [1], "title and tags");
    assert_eq!(search(&mut conn, "big"), [1], "description");
    assert_eq!(search(&mut conn, "kick*"), [1], "comment");
    assert_eq!(
        search(&mut conn, "old"),
        [4],
        "an archived task, with include_archived"
    );
    assert_eq!(
        count(&mut conn, "SELECT COUNT(*) AS n FROM tasks_fts"),
        4,
        "one index row per task"
    );

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    build_fixture(&path, SCHEMA_1X, ROWS_1X);
    let pool = tinytask::db::open(&path, 1).unwrap();
    let mut conn = pool.get().unwrap();
    assert_eq!(
        search(&mut conn, "legacy old first"),
        [7],
        "a 1.x database too"
    );
}

#[test]
fn the_search_migration_reverts_and_reapplies_cleanly() {
    use diesel::migration::MigrationSource;
    use diesel_migrations::MigrationHarness;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tinytask.db");
    build_fixture(&path, SCHEMA_2X, ROWS_2X);
    drop(tinytask::db::open(&path, 1).unwrap());
    let mut conn = SqliteConnection::establish(&path.to_string_lossy()).unwrap();
    let migrations =
        MigrationSource::<diesel::sqlite::Sqlite>::migrations(&tinytask::db::MIGRATIONS).unwrap();
    let migration = migrations
        .iter()
        .find(|m| m.name().to_string().ends_with("_search"))
        .expect("the search migration");
    conn.revert_migration(migration.as_ref()).unwrap();
    let mut conn = Conn::Sqlite(conn);
    let leftovers = count(
        &mut conn,
        "SELECT COUNT(*) AS n FROM sqlite_master WHERE name LIKE '%fts%'",
    );
    assert_eq!(leftovers, 0, "down.sql drops every table and trigger");
    // The Node originals' writes work without the triggers, and the next start indexes them.
    conn.batch_execute(
        "INSERT INTO tasks (title, status) VALUES ('Written while reverted', 'idle');",
    )
    .unwrap();
    drop(conn);
    let pool = tinytask::db::open(&path, 1).unwrap();
    assert_eq!(search(&mut pool.get().unwrap(), "reverted"), [5]);
}
