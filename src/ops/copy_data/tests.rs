//! Copies between backends: every row and every tool view equal afterwards, counters that continue, a
//! non-empty target refused or replaced, a failed copy leaving the target as it was.
//!
//! One side is `test_support::database` (a SQLite file, or a PostgreSQL schema when scripts/test.sh sets
//! TINYTASK_TEST_DATABASE_URL), the other a SQLite file: SQLite→SQLite in the first run, SQLite→PostgreSQL
//! and PostgreSQL→SQLite in the second.

use super::*;
use crate::db::schema::{
    comments, links, task_dependencies, task_events, task_history, task_leases, tasks as t,
};
use crate::domain::claims::{self, Claim};
use crate::domain::comments::AddComment;
use crate::domain::dependencies::{self, DependencyArgs};
use crate::domain::events::{self, GetEvents};
use crate::domain::links::AddLink;
use crate::domain::search::{self, SearchTasks};
use crate::domain::tasks::{self, CreateTask, UpdateTask};
use crate::domain::test_support::{TestDb, database, new_task};
use crate::domain::{DomainResult, changes};
use diesel::prelude::*;

/// Runs `op` as the writer does (in a write transaction, its captured changes appended to the feed).
fn write<T>(c: &mut Conn, op: impl FnOnce(&mut Conn) -> DomainResult<T>) -> T {
    c.write_transaction(|c| {
        let out = op(c)?;
        changes::flush(c)?;
        Ok::<_, crate::domain::DomainError>(out)
    })
    .expect("write")
}

fn sqlite_file(dir: &tempfile::TempDir, name: &str) -> Database {
    Database::Sqlite(dir.path().join(name))
}

/// A board with what a copy could get wrong: a subtask whose parent has a larger id, a task blocked by a
/// newer one, dependencies, a lease, comments, links, history, events, search terms, an archived task, and
/// a deleted last task (its id must not be handed out again).
fn build_board(db: &Database) -> crate::db::DbPool {
    let pool = crate::db::open_database(db, 1).expect("open source");
    let c = &mut *pool.get().unwrap();
    let task = |c: &mut Conn, args: CreateTask| write(c, |c| tasks::create(c, args)).id;
    let first = task(
        c,
        CreateTask {
            description: Some("Roll out the zeppelin release".into()),
            tags: Some(vec!["backend".into(), "urgent".into()]),
            ..new_task("Deploy the backend")
        },
    );
    let child = task(c, new_task("Child created first"));
    let parent = task(c, new_task("Parent created later"));
    let blocker = task(c, new_task("Blocker created later"));
    write(c, |c| {
        tasks::update(
            c,
            UpdateTask {
                id: child,
                parent_task_id: Some(Some(parent)),
                changed_by: Some("ann".into()),
                ..UpdateTask::default()
            },
        )
    });
    write(c, |c| {
        tasks::update(
            c,
            UpdateTask {
                id: first,
                blocked_by_task_id: Some(Some(blocker)),
                priority: Some(5),
                changed_by: Some("ann".into()),
                ..UpdateTask::default()
            },
        )
    });
    write(c, |c| {
        dependencies::add(
            c,
            DependencyArgs {
                task_id: parent,
                depends_on_task_id: blocker,
                changed_by: Some("ann".into()),
            },
        )
    });
    write(c, |c| {
        crate::domain::comments::add(
            c,
            AddComment {
                task_id: first,
                content: "Watch the quokka dashboards while it rolls".into(),
                created_by: Some("bob".into()),
            },
        )
    });
    write(c, |c| {
        crate::domain::links::add(
            c,
            AddLink {
                task_id: parent,
                url: "https://example.org/runbook".into(),
                description: Some("runbook".into()),
                created_by: None,
            },
        )
    });
    task(
        c,
        CreateTask {
            queue_name: Some("ops".into()),
            ..new_task("Pooled work")
        },
    );
    let claimed = write(c, |c| {
        claims::signup(
            c,
            Claim {
                agent_name: "carol".into(),
                queue_name: Some("ops".into()),
                lease_secs: Some(600),
            },
        )
    });
    assert!(claimed.claimed, "the pooled task is claimed with a lease");
    let archived = task(c, new_task("Old news"));
    write(c, |c| tasks::archive(c, archived));
    let gone = task(c, new_task("Deleted last"));
    write(c, |c| tasks::delete(c, gone));
    pool
}

/// Every row of every table, in key order.
#[derive(Debug, PartialEq)]
struct AllRows {
    tasks: Vec<rows::Task>,
    comments: Vec<rows::Comment>,
    links: Vec<rows::Link>,
    history: Vec<rows::History>,
    leases: Vec<rows::Lease>,
    dependencies: Vec<rows::Dependency>,
    events: Vec<rows::Event>,
}

fn all_rows(c: &mut Conn) -> AllRows {
    AllRows {
        tasks: t::table
            .order(t::id)
            .select(rows::Task::as_select())
            .load(c)
            .unwrap(),
        comments: comments::table
            .order(comments::id)
            .select(rows::Comment::as_select())
            .load(c)
            .unwrap(),
        links: links::table
            .order(links::id)
            .select(rows::Link::as_select())
            .load(c)
            .unwrap(),
        history: task_history::table
            .order(task_history::id)
            .select(rows::History::as_select())
            .load(c)
            .unwrap(),
        leases: task_leases::table
            .order(task_leases::task_id)
            .select(rows::Lease::as_select())
            .load(c)
            .unwrap(),
        dependencies: task_dependencies::table
            .order((
                task_dependencies::task_id,
                task_dependencies::depends_on_task_id,
            ))
            .select(rows::Dependency::as_select())
            .load(c)
            .unwrap(),
        events: task_events::table
            .order(task_events::cursor)
            .select(rows::Event::as_select())
            .load(c)
            .unwrap(),
    }
}

/// The task ids and matched fields of a search (scores and snippets are each backend's own).
fn found(c: &mut Conn, query: &str) -> Vec<(i64, serde_json::Value, Option<i32>)> {
    let results = search::search(
        c,
        SearchTasks {
            query: query.into(),
            include_archived: Some(true),
            ..SearchTasks::default()
        },
    )
    .unwrap();
    results
        .results
        .iter()
        .map(|hit| {
            let json = serde_json::to_value(hit).unwrap();
            (
                json["task"]["id"].as_i64().unwrap(),
                json["matched"].clone(),
                hit.comment_id,
            )
        })
        .collect()
}

/// Rows, tool views (tasks with relations, the event feed from 0, searches) equal on both sides.
fn assert_same_board(source: &crate::db::DbPool, target: &crate::db::DbPool) {
    let s = &mut *source.get().unwrap();
    let d = &mut *target.get().unwrap();
    let rows = all_rows(s);
    assert!(!rows.tasks.is_empty() && !rows.events.is_empty() && !rows.leases.is_empty());
    assert_eq!(rows, all_rows(d), "every row of every table");
    for task in &rows.tasks {
        let id = task.id.unwrap();
        assert_eq!(
            tasks::get_with_relations(s, id).unwrap(),
            tasks::get_with_relations(d, id).unwrap(),
            "task {id} with its relations"
        );
    }
    let feed = GetEvents {
        limit: Some(1000),
        ..GetEvents::default()
    };
    let (from, to) = (
        events::page(s, &feed).unwrap(),
        events::page(d, &feed).unwrap(),
    );
    assert_eq!(from.events, to.events);
    assert_eq!(
        (from.next_cursor, from.oldest_cursor),
        (to.next_cursor, to.oldest_cursor)
    );
    for query in ["zeppelin", "quokka", "urgent", "runbook"] {
        let hits = found(s, query);
        assert_eq!(hits, found(d, query), "search {query:?}");
        if query != "runbook" {
            assert_eq!(hits.len(), 1, "search {query:?} finds its task: {hits:?}");
        }
    }
}

/// A task created on `pool` the way a tool creates it: its id and the cursor of its first event.
fn next_ids(pool: &crate::db::DbPool) -> (i32, i64) {
    let c = &mut *pool.get().unwrap();
    let before = events::newest(c).unwrap();
    let id = write(c, |c| tasks::create(c, new_task("after the copy"))).id;
    let feed = events::page(
        c,
        &GetEvents {
            after: Some(before),
            ..GetEvents::default()
        },
    )
    .unwrap();
    (id, feed.events[0].cursor)
}

/// Copies a built board from `from` to `to` and checks everything the copy promises.
fn copy_and_check(from: &Database, to: &Database) {
    let source = build_board(from);
    let report = copy(from, to, false, BATCH_ROWS).expect("copy");
    let counts = report.tables.iter().find(|c| c.table == "tasks").unwrap();
    assert_eq!((counts.source, counts.target), (6, 6), "{report:?}");
    assert!(report.tables.iter().all(|c| c.source == c.target));
    let target = crate::db::open_database(to, 1).unwrap();
    assert_same_board(&source, &target);

    let again = copy(from, to, false, BATCH_ROWS).unwrap_err();
    assert!(
        matches!(again, CopyError::NotEmpty { .. }) && again.to_string().contains("--replace"),
        "{again}"
    );
    assert_eq!(again.exit_status(), 1);

    // The target's counters continue where the source's stood: the same next id (the deleted last task's
    // id is not reused) and the same next event cursor on both.
    let on_target = next_ids(&target);
    let on_source = next_ids(&source);
    assert_eq!(on_target, on_source);
    let max_copied = report.tables[0].source;
    assert!(on_target.0 > max_copied as i32 + 1, "{on_target:?}");

    // --replace empties the target (now holding one more task) and copies the board again.
    let report = copy(from, to, true, 2).expect("copy --replace, two rows per statement");
    assert_eq!(report.tables[0].target, 7);
    assert_same_board(&source, &target);
    let next = next_ids(&target);
    assert_eq!(next.0, on_source.0 + 1, "counters never go back");
}

#[test]
fn copies_a_board_from_the_test_backend_to_sqlite() {
    let (_guard, from) = database("copy_from");
    let dir = tempfile::tempdir().unwrap();
    copy_and_check(&from, &sqlite_file(&dir, "target.db"));
}

#[test]
fn copies_a_board_from_sqlite_to_the_test_backend() {
    let dir = tempfile::tempdir().unwrap();
    let (_guard, to) = database("copy_to");
    copy_and_check(&sqlite_file(&dir, "source.db"), &to);
}

#[test]
fn a_failed_copy_leaves_the_target_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let from = sqlite_file(&dir, "broken.db");
    build_board(&from);
    // A comment of a task that does not exist (foreign keys off, as an old tool could leave it).
    let Database::Sqlite(path) = &from else {
        unreachable!()
    };
    let mut raw = crate::db::establish(path).unwrap();
    diesel::connection::SimpleConnection::batch_execute(&mut raw, "PRAGMA foreign_keys = OFF")
        .unwrap();
    diesel::sql_query("INSERT INTO comments (task_id, content) VALUES (999, 'orphan')")
        .execute(&mut raw)
        .unwrap();
    let (_guard, to): (TestDb, Database) = database("copy_failed");
    let err = copy(&from, &to, false, BATCH_ROWS).unwrap_err();
    assert!(matches!(err, CopyError::Database(_)), "{err}");
    assert_eq!(err.exit_status(), 1);
    let target = crate::db::open_database(&to, 1).unwrap();
    let counts = tables::counts(&mut target.get().unwrap()).unwrap();
    assert_eq!(counts, vec![0; 7], "nothing was written");
}

#[test]
fn refuses_a_missing_source_and_a_copy_onto_itself() {
    let dir = tempfile::tempdir().unwrap();
    let missing = sqlite_file(&dir, "missing.db");
    let err = copy(&missing, &sqlite_file(&dir, "t.db"), false, BATCH_ROWS).unwrap_err();
    assert!(err.to_string().starts_with("--from:"), "{err}");
    assert!(
        !dir.path().join("missing.db").exists(),
        "no source is created"
    );
    let db = sqlite_file(&dir, "same.db");
    build_board(&db);
    let err = copy(&db, &db, true, BATCH_ROWS).unwrap_err();
    assert!(err.to_string().contains("same database"), "{err}");
    assert_eq!(err.exit_status(), 2);
}

#[test]
fn reads_each_argument_as_a_path_or_a_postgres_url() {
    assert_eq!(
        location("--from", "data/board.db").unwrap(),
        Database::Sqlite("data/board.db".into())
    );
    assert!(matches!(
        location("--to", "postgresql://tt@127.0.0.1:5432/board").unwrap(),
        Database::Postgres(_)
    ));
    for (value, says) in [
        ("postgres://[::1/db", "not a valid PostgreSQL URL"),
        ("postgres://h/db?nosuchoption=1", "nosuchoption"),
        ("mysql://u:pw@h/db", "unsupported URL scheme"),
        ("  ", "empty"),
    ] {
        let err = location("--to", value).unwrap_err();
        assert_eq!(err.exit_status(), 2, "{value}");
        let text = err.to_string();
        assert!(text.starts_with("--to: ") && text.contains(says), "{text}");
        assert!(!text.contains("pw"), "no password shown: {text}");
    }
}

#[test]
fn verification_names_every_table_whose_counts_differ() {
    let counts = vec![
        TableCount {
            table: "tasks",
            source: 3,
            target: 3,
        },
        TableCount {
            table: "comments",
            source: 2,
            target: 1,
        },
    ];
    let read = |rows| tables::Copied { rows, max_key: 0 };
    assert!(verify(&counts[..1], &[read(3)]).is_ok());
    let err = verify(&counts, &[read(3), read(2)]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "row counts differ after copying, so nothing was copied: comments: source 2, read 2, target 1"
    );
    assert!(verify(&counts[..1], &[read(2)]).is_err(), "rows read short");
}

#[test]
fn reads_a_live_source_in_one_snapshot() {
    let (_guard, from) = database("copy_live");
    let source = crate::db::open_database(&from, 2).unwrap();
    {
        let c = &mut *source.get().unwrap();
        for i in 0..200 {
            write(c, |c| tasks::create(c, new_task(&format!("before {i}"))));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let to = sqlite_file(&dir, "live_target.db");
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    // A server's writes while the copy reads: each makes a task and its event in one transaction.
    let writer = {
        let (pool, done) = (source.clone(), done.clone());
        std::thread::spawn(move || {
            let c = &mut *pool.get().unwrap();
            let mut written = 0;
            while !done.load(std::sync::atomic::Ordering::Relaxed) && written < 5000 {
                write(c, |c| tasks::create(c, new_task("during the copy")));
                written += 1;
            }
            written
        })
    };
    // Two rows per statement: the copy takes long enough for writes to land between its reads.
    let report = copy(&from, &to, false, 2);
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let written = writer.join().unwrap();
    let report = report.expect("copy of a live board");
    assert!(written > 0, "the writer ran during the copy");
    let target = crate::db::open_database(&to, 1).unwrap();
    let rows = all_rows(&mut target.get().unwrap());
    // A snapshot: every copied task has its creation event, and every copied event its task.
    let ids: std::collections::BTreeSet<i32> = rows.tasks.iter().filter_map(|t| t.id).collect();
    let evented: std::collections::BTreeSet<i32> =
        rows.events.iter().filter_map(|e| e.task_id).collect();
    assert_eq!(ids, evented);
    assert_eq!(report.tables[0].target as usize, ids.len());
    assert!(ids.len() >= 200, "{}", ids.len());
}
