//! `search_tasks`: fields, comments and their merge per task, ranking, filters, index upkeep on every write
//! (including writes that bypass the domain, as the Node originals' do), hostile query text and limits.

use crate::domain::Conn;
use crate::domain::comments::{self, AddComment, MoveComment, UpdateComment};
use crate::domain::input::StatusSet;
use crate::domain::limits::{Limits, with_limits};
use crate::domain::search::{self, Field, SearchResults, SearchTasks};
use crate::domain::tasks::{self, CreateTask, UpdateTask};
use crate::domain::test_support::{child, conn, create, new_task};
use crate::domain::{DomainError, TaskStatus};
use diesel::RunQueryDsl;
use diesel::connection::SimpleConnection;

fn q(query: &str) -> SearchTasks {
    SearchTasks {
        query: query.into(),
        ..SearchTasks::default()
    }
}

fn run(c: &mut Conn, args: SearchTasks) -> SearchResults {
    search::search(c, args).expect("search")
}

/// The ids of the tasks matching `query`, in id order (for tests about what matches, not its rank).
fn ids(c: &mut Conn, query: &str) -> Vec<i32> {
    sorted(hit_ids(&run(c, q(query))))
}

fn sorted(mut ids: Vec<i32>) -> Vec<i32> {
    ids.sort_unstable();
    ids
}

fn hit_ids(r: &SearchResults) -> Vec<i32> {
    r.results.iter().map(|h| h.task.id).collect()
}

fn task(c: &mut Conn, title: &str, description: Option<&str>, tags: &[&str]) -> i32 {
    create(
        c,
        CreateTask {
            description: description.map(str::to_string),
            tags: Some(tags.iter().map(|t| (*t).to_string()).collect()),
            ..new_task(title)
        },
    )
    .id
}

fn comment(c: &mut Conn, task_id: i32, text: &str) -> i32 {
    comments::add(
        c,
        AddComment {
            task_id,
            content: text.into(),
            created_by: None,
        },
    )
    .unwrap()
    .id
}

/// FTS5's own consistency check of both indexes (fails with an SQLite error when an index disagrees with
/// itself). On PostgreSQL there is nothing of TinyTask's to check: the search documents are generated
/// columns of the rows, and PostgreSQL maintains them and their GIN indexes in the row's own write.
fn integrity(c: &mut Conn) {
    if c.backend() == crate::domain::Backend::Postgres {
        return;
    }
    c.batch_execute(
        "INSERT INTO tasks_fts (tasks_fts) VALUES ('integrity-check');
         INSERT INTO comments_fts (comments_fts) VALUES ('integrity-check');",
    )
    .expect("FTS integrity-check");
}

#[test]
fn each_field_matches_and_says_so_with_a_marked_snippet() {
    let (_d, mut c) = conn();
    let title = task(&mut c, "Fix the login page", None, &[]);
    let description = task(
        &mut c,
        "Other",
        Some("Users cannot login after the update"),
        &[],
    );
    let tagged = task(&mut c, "Third", None, &["backend", "login"]);
    let commented = task(&mut c, "Fourth", None, &[]);
    let note = comment(&mut c, commented, "Reproduced: login fails on staging");
    task(&mut c, "Unrelated", Some("nothing here"), &["frontend"]);

    let r = run(&mut c, q("LOGIN"));
    assert_eq!(r.query, "LOGIN");
    assert_eq!(r.count, 4);
    let by_id = |id: i32| r.results.iter().find(|h| h.task.id == id).unwrap();
    assert_eq!(by_id(title).matched, [Field::Title]);
    assert_eq!(by_id(title).snippet, "Fix the [login] page");
    assert_eq!(by_id(title).comment_id, None);
    assert_eq!(by_id(description).matched, [Field::Description]);
    assert_eq!(
        by_id(description).snippet,
        "Users cannot [login] after the update"
    );
    // Tags are indexed as their words, not as the stored JSON text.
    assert_eq!(by_id(tagged).matched, [Field::Tags]);
    assert_eq!(by_id(tagged).snippet, "backend [login]");
    assert_eq!(by_id(commented).matched, [Field::Comments]);
    assert_eq!(by_id(commented).comment_id, Some(note));
    assert_eq!(
        by_id(commented).snippet,
        "Reproduced: [login] fails on staging"
    );
    // The task view is exactly get_task's.
    assert_eq!(*by_id(title).task, tasks::get(&mut c, title).unwrap());
}

#[test]
fn all_terms_must_appear_but_may_be_spread_over_fields_and_comments() {
    let (_d, mut c) = conn();
    let spread = task(&mut c, "Alpha work", Some("some text"), &["gamma"]);
    let note = comment(&mut c, spread, "beta was discussed");
    let partial = task(&mut c, "Alpha only", None, &[]);
    let r = run(&mut c, q("alpha beta gamma"));
    assert_eq!(hit_ids(&r), [spread]);
    assert_eq!(
        r.results[0].matched,
        [Field::Title, Field::Tags, Field::Comments]
    );
    assert_eq!(r.results[0].comment_id, Some(note));
    // The snippet comes from the task's own fields when they match, with every term marked there.
    assert!(r.results[0].snippet.contains("[Alpha]"), "{r:?}");
    assert_eq!(ids(&mut c, "alpha"), [spread, partial]);
    assert!(ids(&mut c, "alpha delta").is_empty());
}

#[test]
fn ranking_prefers_titles_and_denser_matches_and_breaks_ties_by_id() {
    let (_d, mut c) = conn();
    let long = "filler ".repeat(30);
    let in_description = task(&mut c, "Plain", Some(&format!("{long} cache")), &[]);
    let in_title = task(&mut c, "Cache eviction", None, &[]);
    for i in 0..5 {
        task(&mut c, &format!("noise {i}"), None, &[]);
    }
    let r = run(&mut c, q("cache"));
    assert_eq!(hit_ids(&r), [in_title, in_description]);
    assert!(r.results[0].score > r.results[1].score, "{r:?}");
    assert!(r.results.iter().all(|h| h.score > 0.0));

    // Identical texts score the same and come out in id order.
    let (_d, mut c) = conn();
    let a = task(&mut c, "twin", None, &[]);
    let b = task(&mut c, "twin", None, &[]);
    let r = run(&mut c, q("twin"));
    assert_eq!(hit_ids(&r), [a, b]);
    assert_eq!(r.results[0].score, r.results[1].score);
}

#[test]
fn the_best_comment_is_named_and_comment_edits_are_reflected() {
    let (_d, mut c) = conn();
    let t = task(&mut c, "Task", None, &[]);
    let weak = comment(
        &mut c,
        t,
        "deploy later, and many other words to dilute the match here",
    );
    let strong = comment(&mut c, t, "deploy deploy");
    let r = run(&mut c, q("deploy"));
    assert_eq!(r.results[0].comment_id, Some(strong));
    assert_eq!(r.results[0].snippet, "[deploy] [deploy]");

    comments::update(
        &mut c,
        UpdateComment {
            id: strong,
            content: "rollback".into(),
        },
    )
    .unwrap();
    assert_eq!(run(&mut c, q("deploy")).results[0].comment_id, Some(weak));
    assert_eq!(ids(&mut c, "rollback"), [t]);
    comments::delete(&mut c, weak).unwrap();
    assert!(ids(&mut c, "deploy").is_empty());

    // Moving a comment moves what it makes searchable.
    let other = task(&mut c, "Other", None, &[]);
    let moved = comments::move_to(
        &mut c,
        MoveComment {
            comment_id: strong,
            to_task_id: other,
        },
    )
    .unwrap();
    let r = run(&mut c, q("rollback"));
    assert_eq!(hit_ids(&r), [other]);
    assert_eq!(r.results[0].comment_id, Some(moved.id));
    integrity(&mut c);
}

#[test]
fn task_updates_deletes_and_archives_are_reflected() {
    let (_d, mut c) = conn();
    let t = task(&mut c, "Old title", Some("first text"), &["one"]);
    let sub = child(&mut c, t, "Subtask about zebras").id;
    comment(&mut c, sub, "zebra stripes");
    tasks::update(
        &mut c,
        UpdateTask {
            id: t,
            title: Some("New heading".into()),
            description: Some(None),
            tags: Some(Some(vec!["two".into()])),
            ..UpdateTask::default()
        },
    )
    .unwrap();
    assert!(ids(&mut c, "old").is_empty());
    assert!(ids(&mut c, "first").is_empty());
    assert!(ids(&mut c, "one").is_empty());
    assert_eq!(ids(&mut c, "heading two"), [t]);

    tasks::archive(&mut c, sub).unwrap();
    assert!(ids(&mut c, "zebra*").is_empty(), "archived: left out");
    let all = run(
        &mut c,
        SearchTasks {
            include_archived: Some(true),
            ..q("zebra*")
        },
    );
    assert_eq!(hit_ids(&all), [sub]);
    assert!(all.results[0].task.archived_at.is_some());

    tasks::delete(&mut c, sub).unwrap();
    let everything = SearchTasks {
        include_archived: Some(true),
        ..q("zebra*")
    };
    assert!(run(&mut c, everything).results.is_empty());
    integrity(&mut c);
}

#[test]
fn writes_that_bypass_the_domain_keep_the_indexes_right() {
    // The Node originals write with plain SQL, and delete subtasks and comments by ON DELETE CASCADE.
    let (_d, mut c) = conn();
    c.batch_execute(
        r#"INSERT INTO tasks (id, title, status, tags) VALUES (100, 'Parent kiwi', 'idle', '["fruit"]');
           INSERT INTO tasks (id, title, status, parent_task_id, tags) VALUES (101, 'Child kiwi', 'idle', 100, 'not json');
           INSERT INTO comments (task_id, content) VALUES (101, 'kiwi comment');
           UPDATE tasks SET status = 'working', updated_at = CURRENT_TIMESTAMP WHERE id = 100;"#,
    )
    .unwrap();
    assert_eq!(ids(&mut c, "kiwi"), [100, 101]);
    assert_eq!(ids(&mut c, "fruit"), [100]);
    assert_eq!(
        ids(&mut c, "json"),
        [101],
        "tags that are not JSON: indexed as text"
    );
    c.batch_execute("DELETE FROM tasks WHERE id = 100;")
        .unwrap();
    assert!(ids(&mut c, "kiwi").is_empty());
    let indexed = match c.backend() {
        crate::domain::Backend::Sqlite => {
            "(SELECT count(*) FROM tasks_fts) + (SELECT count(*) FROM comments_fts)"
        }
        // The search documents are columns of the rows: the cascade must have removed the rows.
        crate::domain::Backend::Postgres => {
            "(SELECT count(*) FROM tasks) + (SELECT count(*) FROM comments)"
        }
    };
    let rows: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(indexed))
        .get_result(&mut *c)
        .unwrap();
    assert_eq!(rows, 0, "the cascade emptied both indexes");
    integrity(&mut c);
}

#[test]
fn filters_narrow_the_results() {
    let (_d, mut c) = conn();
    let mk = |c: &mut Conn, queue: &str, agent: &str| {
        create(
            c,
            CreateTask {
                queue_name: Some(queue.into()),
                assigned_to: Some(agent.into()),
                ..new_task("report")
            },
        )
        .id
    };
    let a = mk(&mut c, "dev", "alice");
    let b = mk(&mut c, "ops", "alice");
    let d = mk(&mut c, "dev", "bob");
    comment(&mut c, d, "report attached");
    tasks::update(
        &mut c,
        UpdateTask {
            id: b,
            status: Some(TaskStatus::Working),
            ..UpdateTask::default()
        },
    )
    .unwrap();
    let with = |c: &mut Conn, f: SearchTasks| sorted(hit_ids(&run(c, f)));
    assert_eq!(
        with(
            &mut c,
            SearchTasks {
                queue_name: Some(" dev ".into()),
                ..q("report")
            }
        ),
        [a, d]
    );
    assert_eq!(
        with(
            &mut c,
            SearchTasks {
                assigned_to: Some("alice".into()),
                ..q("report")
            }
        ),
        [a, b]
    );
    assert_eq!(
        with(
            &mut c,
            SearchTasks {
                status: Some(StatusSet(vec![TaskStatus::Working])),
                ..q("report")
            }
        ),
        [b]
    );
    assert_eq!(
        with(
            &mut c,
            SearchTasks {
                status: Some(StatusSet(vec![TaskStatus::Idle, TaskStatus::Complete])),
                queue_name: Some("dev".into()),
                assigned_to: Some("bob".into()),
                ..q("report")
            }
        ),
        [d]
    );
    // Blank filters are no filters, as in list_tasks.
    assert_eq!(
        with(
            &mut c,
            SearchTasks {
                queue_name: Some("  ".into()),
                status: Some(StatusSet(Vec::new())),
                ..q("report")
            }
        )
        .len(),
        3
    );
}

#[test]
fn prefixes_and_phrases() {
    let (_d, mut c) = conn();
    let a = task(&mut c, "Deployment pipeline", None, &[]);
    let b = task(&mut c, "pipeline for deployment", None, &[]);
    assert_eq!(ids(&mut c, "deploy*"), [a, b]);
    assert!(ids(&mut c, "deploy").is_empty(), "no prefix without *");
    assert_eq!(ids(&mut c, "\"deployment pipeline\""), [a]);
    assert_eq!(ids(&mut c, "\"pipeline for\"*"), [b]);
    // Punctuation inside a word makes a phrase of its parts, as in the indexed text.
    let c3 = task(&mut c, "Upgrade to v2.1-rc", None, &[]);
    assert_eq!(ids(&mut c, "v2.1-rc"), [c3]);
    assert_eq!(ids(&mut c, "DÉJÀ"), Vec::<i32>::new());
    let accented = task(&mut c, "Déjà vu in 東京", None, &[]);
    assert_eq!(ids(&mut c, "déjà"), [accented]);
    assert_eq!(ids(&mut c, "東京"), [accented]);
}

#[test]
fn hostile_queries_never_reach_sqlite_as_syntax() {
    let (_d, mut c) = conn();
    let t = task(
        &mut c,
        "AND OR NOT NEAR quote\"d (paren) col:on",
        Some("x^y -minus *star"),
        &["a:b"],
    );
    comment(&mut c, t, "\"\"\" NEAR( * ) ");
    let hostile = [
        "\"",
        "\"\"",
        "\"\"\"",
        "a\"b",
        "NEAR(",
        "NEAR(a b, 3)",
        "near/2",
        "*",
        "**",
        "a*b*",
        "*a",
        "-",
        "-a",
        "a -b",
        ":",
        "title:",
        "title: x",
        "{title}: x",
        "{title description}",
        "^",
        "^a",
        "(",
        ")",
        "(a OR b",
        "a) AND (b",
        "AND",
        "OR",
        "NOT",
        "a AND",
        "NOT a",
        "a OR OR b",
        "+",
        "a+b",
        "[a]",
        "'a'",
        "`a`",
        "\\",
        "a\\\"b",
        "%_",
        ";DROP TABLE tasks;--",
        "\u{0}",
        "a\u{0}b",
        "\u{200b}",
        "\u{feff}x",
        "é",
        "e\u{301}",
        "\u{301}",
        "東京",
        "🚀",
        "🚀x",
        "\u{e000}",
        "ǅ",
        "Ⅻ",
        "①",
        "x\ny\tz",
        "",
        "   ",
    ];
    for text in hostile {
        match search::search(&mut c, q(text)) {
            Ok(_) => {}
            Err(DomainError::Invalid { field, .. }) => assert_eq!(field, "query", "{text:?}"),
            Err(e) => panic!("{text:?}: {e}"),
        }
    }
    // The operator words are searched as words.
    assert_eq!(ids(&mut c, "AND OR NOT NEAR"), [t]);
    assert_eq!(ids(&mut c, "quote\"d"), [t]);
    assert_eq!(ids(&mut c, "col:on"), [t]);
    assert_eq!(ids(&mut c, "NEAR( * )"), [t]);
    let err = search::search(&mut c, q("( * )")).unwrap_err().to_string();
    assert!(
        err.starts_with("Invalid `query`: \"( * )\" contains no word"),
        "{err}"
    );
}

#[test]
fn limit_offset_and_query_length_are_checked() {
    let (_d, mut c) = conn();
    for i in 0..25 {
        task(&mut c, &format!("item {i}"), None, &[]);
    }
    assert_eq!(run(&mut c, q("item")).count, 20, "default limit");
    let page = |c: &mut Conn, limit: i64, offset: i64| {
        hit_ids(&run(
            c,
            SearchTasks {
                limit: Some(limit),
                offset: Some(offset),
                ..q("item")
            },
        ))
    };
    let all = page(&mut c, 100, 0);
    assert_eq!(all.len(), 25);
    assert_eq!(page(&mut c, 10, 20), all[20..]);
    for bad in [0, -1, 101] {
        let err = search::search(
            &mut c,
            SearchTasks {
                limit: Some(bad),
                ..q("item")
            },
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("Invalid `limit`: must be between 1 and 100, got {bad}")
        );
    }
    let err = search::search(
        &mut c,
        SearchTasks {
            offset: Some(-1),
            ..q("item")
        },
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Invalid `offset`: must be at least 0, got -1"
    );
    let small = Limits {
        title_bytes: 8,
        ..Limits::default()
    };
    let err = with_limits(small, || {
        search::search(&mut c, q("item item")).unwrap_err()
    });
    assert_eq!(
        err.to_string(),
        "Invalid `query`: 9 bytes exceeds the limit of 8 bytes (TINYTASK_MAX_TITLE_BYTES)"
    );
}

#[test]
fn a_result_over_the_response_cap_is_cut_and_pages_on() {
    let (_d, mut c) = conn();
    let text = "y".repeat(3000);
    for _ in 0..10 {
        task(&mut c, "big", Some(&text), &[]);
    }
    let cap = Limits {
        response_bytes: 12 * 1024,
        ..Limits::default()
    };
    with_limits(cap, || {
        let first = run(&mut c, q("big"));
        assert!(first.cut.is_cut());
        assert!(first.count >= 1 && first.count < 10);
        assert!(crate::domain::limits::json_len(&first) <= 12 * 1024);
        let mut seen = first.count;
        let mut next_offset = first.cut.next_offset;
        while let Some(offset) = next_offset {
            let page = run(
                &mut c,
                SearchTasks {
                    offset: Some(offset),
                    limit: Some(100),
                    ..q("big")
                },
            );
            assert!(page.count >= 1, "paging makes progress");
            seen += page.count;
            next_offset = page.cut.next_offset;
        }
        assert_eq!(seen, 10, "the pages hold every match once");
    });
}

#[test]
fn long_snippets_are_bounded() {
    let (_d, mut c) = conn();
    let word = "w".repeat(5000);
    task(&mut c, "t", Some(&format!("{word} needle {word}")), &[]);
    let r = run(&mut c, q("needle"));
    assert!(
        r.results[0].snippet.chars().count() <= 301,
        "{}",
        r.results[0].snippet.len()
    );
    assert!(r.results[0].snippet.ends_with('…'));
}

#[test]
fn filters_reach_past_the_first_ranked_tasks_and_scores_add_up_over_terms() {
    let (_d, mut c) = conn();
    let mut rare = Vec::new();
    for i in 0..200 {
        let queue = if i >= 197 { "rare" } else { "busy" };
        let description = if i % 40 == 0 { Some("special") } else { None };
        let id = create(
            &mut c,
            CreateTask {
                queue_name: Some(queue.into()),
                description: description.map(str::to_string),
                ..new_task("common")
            },
        )
        .id;
        if queue == "rare" {
            rare.push(id);
        }
    }
    // The three tasks of the queue rank last (equal scores, highest ids): the walk goes past its first chunk.
    let r = run(
        &mut c,
        SearchTasks {
            queue_name: Some("rare".into()),
            ..q("common")
        },
    );
    assert_eq!(hit_ids(&r), rare);

    // Scoring only the candidates (5 of the 200 tasks holding "common") gives the scores of the full pass.
    let both = run(&mut c, q("common special"));
    assert_eq!(both.count, 5);
    let page = |c: &mut Conn, query: &str, offset: i64| {
        run(
            c,
            SearchTasks {
                limit: Some(100),
                offset: Some(offset),
                ..q(query)
            },
        )
        .results
    };
    let mut alone: Vec<(i32, f64)> = Vec::new();
    for hits in [
        page(&mut c, "common", 0),
        page(&mut c, "common", 100),
        page(&mut c, "special", 0),
    ] {
        alone.extend(hits.iter().map(|h| (h.task.id, h.score)));
    }
    assert_eq!(alone.len(), 205);
    for hit in &both.results {
        let sum: f64 = alone
            .iter()
            .filter(|(id, _)| *id == hit.task.id)
            .map(|(_, s)| s)
            .sum();
        // Each score is rounded to 4 decimals, and the sum once more.
        assert!(
            (hit.score - sum).abs() < 2e-4,
            "{}: {} vs {sum}",
            hit.task.id,
            hit.score
        );
    }
}
