//! Text limits on every write, and the response cut of every list (with small limits on this thread).

use crate::domain::Conn;
use crate::domain::agents::{self, MoveTask, MyQueue};
use crate::domain::comments::{self, AddComment, UpdateComment};
use crate::domain::limits::{Limits, json_len, with_limits};
use crate::domain::links::{self, AddLink, UpdateLink};
use crate::domain::queues::{self, QueueTasks};
use crate::domain::subtasks::{self, CreateSubtask, GetSubtasks, TaskWithSubtasksArgs};
use crate::domain::tasks::{self, CreateTask, TaskFilter, TaskItems, UpdateTask};
use crate::domain::test_support::{conn, create, new_task};

fn small() -> Limits {
    Limits {
        title_bytes: 10,
        description_bytes: 20,
        comment_bytes: 30,
        link_bytes: 15,
        tag_bytes: 4,
        max_tags: 2,
        name_bytes: 8,
        ..Limits::default()
    }
}

fn err<T: std::fmt::Debug>(r: crate::domain::DomainResult<T>) -> String {
    r.unwrap_err().to_string()
}

fn over(field: &str, size: usize, limit: usize, var: &str) -> String {
    format!("Invalid `{field}`: {size} bytes exceeds the limit of {limit} bytes ({var})")
}

#[test]
fn every_write_checks_its_text_limits() {
    let (_d, mut c) = conn();
    let t = create(&mut c, new_task("t"));
    with_limits(small(), || {
        let c = &mut *c;
        let long = |n: usize| "x".repeat(n);
        let create_with = |c: &mut Conn, args: CreateTask| err(tasks::create(c, args));
        assert_eq!(
            create_with(c, new_task(&long(11))),
            over("title", 11, 10, "TINYTASK_MAX_TITLE_BYTES")
        );
        // The stored (trimmed) text is measured: padding does not count.
        assert!(tasks::create(c, new_task(&format!("  {}  ", long(10)))).is_ok());
        assert_eq!(
            create_with(
                c,
                CreateTask {
                    description: Some(long(21)),
                    ..new_task("t")
                }
            ),
            over("description", 21, 20, "TINYTASK_MAX_DESCRIPTION_BYTES")
        );
        assert_eq!(
            create_with(
                c,
                CreateTask {
                    created_by: long(9),
                    ..new_task("t")
                }
            ),
            over("created_by", 9, 8, "TINYTASK_MAX_NAME_BYTES")
        );
        assert_eq!(
            create_with(
                c,
                CreateTask {
                    assigned_to: Some(long(9)),
                    ..new_task("t")
                }
            ),
            over("assigned_to", 9, 8, "TINYTASK_MAX_NAME_BYTES")
        );
        assert_eq!(
            create_with(
                c,
                CreateTask {
                    tags: Some(vec!["a".into(), "b".into(), "c".into()]),
                    ..new_task("t")
                }
            ),
            "Invalid `tags`: 3 tags exceeds the limit of 2 tags (TINYTASK_MAX_TAGS)"
        );
        assert_eq!(
            create_with(
                c,
                CreateTask {
                    tags: Some(vec!["ok".into(), "toolong".into()]),
                    ..new_task("t")
                }
            ),
            "Invalid `tags`: tag 1 is 7 bytes, which exceeds the limit of 4 bytes (TINYTASK_MAX_TAG_BYTES)"
        );
        let update = |c: &mut Conn, args: UpdateTask| err(tasks::update(c, args));
        assert_eq!(
            update(
                c,
                UpdateTask {
                    id: t.id,
                    title: Some(long(11)),
                    ..Default::default()
                }
            ),
            over("title", 11, 10, "TINYTASK_MAX_TITLE_BYTES")
        );
        assert_eq!(
            update(
                c,
                UpdateTask {
                    id: t.id,
                    description: Some(Some(long(21))),
                    ..Default::default()
                }
            ),
            over("description", 21, 20, "TINYTASK_MAX_DESCRIPTION_BYTES")
        );
        assert_eq!(
            update(
                c,
                UpdateTask {
                    id: t.id,
                    changed_by: Some(long(9)),
                    ..Default::default()
                }
            ),
            over("changed_by", 9, 8, "TINYTASK_MAX_NAME_BYTES")
        );
        assert_eq!(
            update(
                c,
                UpdateTask {
                    id: t.id,
                    tags: Some(Some(vec!["12345".into()])),
                    ..Default::default()
                }
            ),
            "Invalid `tags`: tag 0 is 5 bytes, which exceeds the limit of 4 bytes (TINYTASK_MAX_TAG_BYTES)"
        );
        assert_eq!(
            err(subtasks::create(
                c,
                CreateSubtask {
                    parent_task_id: t.id,
                    title: "s".into(),
                    created_by: "me".into(),
                    description: Some(long(21)),
                    assigned_to: None,
                    priority: None,
                    tags: None,
                    queue_name: None,
                }
            )),
            over("description", 21, 20, "TINYTASK_MAX_DESCRIPTION_BYTES")
        );
        assert_eq!(
            err(comments::add(
                c,
                AddComment {
                    task_id: t.id,
                    content: long(31),
                    created_by: None
                }
            )),
            over("content", 31, 30, "TINYTASK_MAX_COMMENT_BYTES")
        );
        let ok = comments::add(
            c,
            AddComment {
                task_id: t.id,
                content: long(30),
                created_by: Some(long(8)),
            },
        )
        .unwrap();
        assert_eq!(
            err(comments::update(
                c,
                UpdateComment {
                    id: ok.id,
                    content: long(31)
                }
            )),
            over("content", 31, 30, "TINYTASK_MAX_COMMENT_BYTES")
        );
        assert_eq!(
            err(links::add(
                c,
                AddLink {
                    task_id: t.id,
                    url: long(16),
                    description: None,
                    created_by: None
                }
            )),
            over("url", 16, 15, "TINYTASK_MAX_LINK_BYTES")
        );
        let link = links::add(
            c,
            AddLink {
                task_id: t.id,
                url: long(15),
                description: Some(long(15)),
                created_by: None,
            },
        )
        .unwrap();
        assert_eq!(
            err(links::update(
                c,
                UpdateLink {
                    id: link.id,
                    url: None,
                    description: Some(Some(long(16)))
                }
            )),
            over("description", 16, 15, "TINYTASK_MAX_LINK_BYTES")
        );
        assert_eq!(
            err(agents::move_task(
                c,
                MoveTask {
                    task_id: t.id,
                    current_agent: "a".into(),
                    new_agent: "b".into(),
                    comment: long(31),
                    lease_token: None,
                }
            )),
            over("comment", 31, 30, "TINYTASK_MAX_COMMENT_BYTES")
        );
        assert_eq!(
            err(agents::signup(c, &long(9))),
            over("agent_name", 9, 8, "TINYTASK_MAX_NAME_BYTES")
        );
    });
}

/// 12 tasks whose JSON is about 600 bytes each (a 300-byte description and a 250-byte title).
fn board(c: &mut Conn) -> Vec<i32> {
    (0..12)
        .map(|i| {
            create(
                c,
                CreateTask {
                    description: Some(format!("{i:03}{}", "d".repeat(297))),
                    assigned_to: Some("bob".into()),
                    queue_name: Some("dev".into()),
                    ..new_task(&"t".repeat(250))
                },
            )
            .id
        })
        .collect()
}

fn capped(bytes: usize) -> Limits {
    Limits {
        response_bytes: bytes,
        ..Limits::default()
    }
}

fn filter(offset: i64) -> TaskFilter {
    TaskFilter {
        offset: Some(offset),
        ..TaskFilter::default()
    }
}

#[test]
fn lists_that_fit_are_unchanged() {
    let (_d, mut c) = conn();
    board(&mut c);
    let full = tasks::list(&mut c, &TaskFilter::default()).unwrap();
    let json = serde_json::to_value(&full).unwrap();
    assert_eq!(
        json.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["count", "tasks"]
    );
    assert_eq!(full.count, 12);
    // A cap of exactly the result's size still fits it whole.
    let exact = json_len(&full);
    let same = with_limits(capped(exact), || {
        tasks::list(&mut c, &TaskFilter::default()).unwrap()
    });
    assert_eq!(json_len(&same), exact);
    assert!(same.cut.has_more.is_none());
}

#[test]
fn a_list_over_the_cap_is_cut_at_a_task_boundary_and_pages_to_completion() {
    let (_d, mut c) = conn();
    let all = board(&mut c);
    let cap = 2000;
    with_limits(capped(cap), || {
        let mut seen = Vec::new();
        let mut offset = 0;
        let mut pages = 0;
        loop {
            let page = tasks::list(&mut c, &filter(offset)).unwrap();
            let size = json_len(&page);
            assert!(size <= cap, "page of {size} bytes > cap {cap}");
            assert!(page.count >= 1 && page.count == page.tasks.len());
            seen.extend(page.tasks.iter().map(|t| t.id));
            pages += 1;
            match page.cut.next_offset {
                Some(next) => {
                    assert_eq!(page.cut.has_more, Some(true));
                    assert_eq!(next, offset + page.count as i64);
                    let json = serde_json::to_value(&page).unwrap();
                    assert_eq!(json["has_more"], true);
                    assert_eq!(json["next_offset"], next);
                    offset = next;
                }
                None => break,
            }
        }
        assert_eq!(seen, all, "every task once, in list order");
        assert!(
            pages >= 4,
            "600-byte tasks in 2000-byte pages: {pages} pages"
        );
        // `limit` still applies first; a limited list that fits is not flagged.
        let limited = tasks::list(
            &mut c,
            &TaskFilter {
                limit: Some(2),
                ..TaskFilter::default()
            },
        )
        .unwrap();
        assert_eq!(limited.count, 2);
        assert!(limited.cut.has_more.is_none());
    });
}

#[test]
fn one_task_larger_than_the_cap_is_still_returned_so_paging_progresses() {
    let (_d, mut c) = conn();
    let all = board(&mut c);
    with_limits(capped(100), || {
        let page = tasks::list(&mut c, &filter(0)).unwrap();
        assert_eq!(
            page.tasks.iter().map(|t| t.id).collect::<Vec<_>>(),
            [all[0]]
        );
        assert_eq!(page.cut.next_offset, Some(1));
        let last = tasks::list(&mut c, &filter(11)).unwrap();
        assert_eq!(last.count, 1);
        assert!(last.cut.has_more.is_none(), "nothing after the last task");
    });
}

#[test]
fn every_task_list_tool_is_cut_and_pageable() {
    let (_d, mut c) = conn();
    let all = board(&mut c);
    let parent = all[0];
    for child in &all[1..] {
        subtasks::move_subtask(
            &mut c,
            subtasks::MoveSubtask {
                subtask_id: *child,
                new_parent_id: Some(parent),
            },
        )
        .unwrap();
    }
    let cap = 2000;
    with_limits(capped(cap), || {
        let c = &mut *c;
        // Pages through a tool (given an offset, returns ids, has_more, next_offset and the JSON size).
        let drain = |f: &mut dyn FnMut(i64) -> (Vec<i32>, Option<i64>, usize)| {
            let (mut ids, mut offset) = (Vec::new(), 0);
            loop {
                let (page, next, size) = f(offset);
                assert!(size <= cap, "{size} > {cap}");
                ids.extend(page);
                match next {
                    Some(n) => offset = n,
                    None => return ids,
                }
            }
        };
        let queue = drain(&mut |o| {
            let mut f = filter(o);
            f.queue_name = Some("dev".into());
            let r = queues::tasks(c, QueueTasks(f)).unwrap();
            let ids = r.tasks.iter().map(|t| t.id).collect();
            (ids, r.cut.next_offset, json_len(&r))
        });
        assert_eq!(queue.len(), 12);
        let mine = drain(&mut |o| {
            let args = MyQueue {
                agent_name: "bob".into(),
                offset: Some(o),
                fields: None,
                view: None,
            };
            let r = agents::my_queue(c, args).unwrap();
            let ids = r.tasks.iter().map(|t| t.id).collect();
            (ids, r.cut.next_offset, json_len(&r))
        });
        assert_eq!(mine.len(), 12);
        let subs = drain(&mut |o| {
            let args = GetSubtasks {
                parent_task_id: parent,
                recursive: Some(true),
                include_archived: None,
                offset: Some(o),
                fields: None,
                view: None,
            };
            let r = subtasks::list(c, args).unwrap();
            let ids = r.subtasks.iter().map(|t| t.id).collect();
            (ids, r.cut.next_offset, json_len(&r))
        });
        assert_eq!(subs, all[1..]);
        let with = subtasks::with_subtasks(
            c,
            TaskWithSubtasksArgs {
                task_id: parent,
                recursive: None,
                fields: None,
                view: None,
            },
        )
        .unwrap();
        assert!(json_len(&with) <= cap);
        assert_eq!(with.cut.has_more, Some(true));
        assert_eq!(with.cut.next_offset, Some(with.subtask_count as i64));
    });
}

#[test]
fn comments_links_and_history_are_cut_and_get_task_names_what_it_cut() {
    let (_d, mut c) = conn();
    let t = create(&mut c, new_task("t"));
    for i in 0..20 {
        comments::add(
            &mut c,
            AddComment {
                task_id: t.id,
                content: format!("{i:02}{}", "c".repeat(200)),
                created_by: None,
            },
        )
        .unwrap();
        links::add(
            &mut c,
            AddLink {
                task_id: t.id,
                url: format!("https://example.com/{i:02}/{}", "l".repeat(100)),
                description: None,
                created_by: None,
            },
        )
        .unwrap();
    }
    let full = tasks::get_with_relations(&mut c, t.id).unwrap();
    assert!(full.relations_truncated.is_none());
    assert!(
        !serde_json::to_string(&full)
            .unwrap()
            .contains("relations_truncated")
    );
    let cap = 3000;
    with_limits(capped(cap), || {
        let got = tasks::get_with_relations(&mut c, t.id).unwrap();
        assert!(json_len(&got) <= cap, "{}", json_len(&got));
        assert_eq!(got.relations_truncated, Some(vec!["comments", "links"]));
        // The kept comments are the oldest ones.
        assert_eq!(
            got.comments.iter().map(|x| x.id).collect::<Vec<_>>(),
            full.comments[..got.comments.len()]
                .iter()
                .map(|x| x.id)
                .collect::<Vec<_>>()
        );
        let mut ids = Vec::new();
        let mut offset = 0;
        loop {
            let page = comments::list(
                &mut c,
                TaskItems {
                    task_id: t.id,
                    offset: Some(offset),
                },
            )
            .unwrap();
            assert!(json_len(&page) <= cap);
            ids.extend(page.comments.iter().map(|x| x.id));
            match page.cut.next_offset {
                Some(n) => offset = n,
                None => break,
            }
        }
        assert_eq!(ids, full.comments.iter().map(|x| x.id).collect::<Vec<_>>());
        let links = links::list(
            &mut c,
            TaskItems {
                task_id: t.id,
                offset: Some(18),
            },
        )
        .unwrap();
        assert_eq!(links.count, 2, "the last two links fit");
        assert!(links.cut.has_more.is_none());
    });
    let bad = comments::list(
        &mut c,
        TaskItems {
            task_id: t.id,
            offset: Some(-1),
        },
    );
    assert_eq!(err(bad), "Invalid `offset`: must be at least 0, got -1");
}
