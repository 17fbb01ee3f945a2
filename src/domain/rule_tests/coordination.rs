//! Pool claims, leases, dependencies and the event feed, through the domain functions (the transports and
//! the SDK clients are covered by tests/python/test_coordination_*.py, test_dependencies.py, test_events.py).

use crate::domain::Conn;
use crate::domain::changes;
use crate::domain::claims::{self, Claim, ListReady, Scope};
use crate::domain::dependencies::{self, DependencyArgs};
use crate::domain::events::{self, Event, GetEvents};
use crate::domain::leases;
use crate::domain::tasks::{self, CreateTask, UpdateTask};
use crate::domain::test_support::{conn, create, new_task};
use crate::domain::{DomainResult, TaskStatus, comments};
use std::time::Duration;

/// Runs `op` as the writer does: then flushes its captured changes into the feed.
fn write<T>(c: &mut Conn, op: impl FnOnce(&mut Conn) -> DomainResult<T>) -> DomainResult<T> {
    let out = op(c)?;
    changes::flush(c)?;
    Ok(out)
}

fn feed(c: &mut Conn) -> Vec<Event> {
    events::page(c, &GetEvents::default()).unwrap().events
}

fn pooled(title: &str, queue: &str, assignee: Option<&str>, priority: i64) -> CreateTask {
    CreateTask {
        queue_name: Some(queue.into()),
        assigned_to: assignee.map(Into::into),
        priority: Some(priority),
        ..new_task(title)
    }
}

fn claim(c: &mut Conn, agent: &str, queue: Option<&str>) -> Option<i32> {
    write(c, |c| {
        claims::signup(
            c,
            Claim {
                agent_name: agent.into(),
                queue_name: queue.map(Into::into),
                lease_secs: None,
            },
        )
    })
    .unwrap()
    .task
    .map(|t| t.task.id)
}

#[test]
fn a_pool_claim_takes_unassigned_or_own_tasks_by_urgency_and_assigns_them() {
    let (_d, mut c) = conn();
    let others = create(&mut c, pooled("bob's", "q", Some("bob"), 9));
    let low = create(&mut c, pooled("low", "q", None, 1));
    let own = create(&mut c, pooled("own", "q", Some("ann"), 5));
    let high = create(&mut c, pooled("high", "q", None, 7));
    let _elsewhere = create(&mut c, pooled("other queue", "r", None, 9));
    let ready = claims::ready(
        &mut c,
        ListReady {
            agent_name: Some("ann".into()),
            queue_name: Some("q".into()),
            limit: None,
            fields: None,
            view: None,
        },
    )
    .unwrap();
    let order: Vec<i32> = ready.tasks.iter().map(|t| t.id).collect();
    assert_eq!(
        order,
        [high.id, own.id, low.id],
        "what signup would take, in order"
    );
    for expected in order {
        assert_eq!(claim(&mut c, "ann", Some("q")), Some(expected));
    }
    assert_eq!(
        claim(&mut c, "ann", Some("q")),
        None,
        "bob's task is not in ann's pool"
    );
    let taken = tasks::get(&mut c, high.id).unwrap();
    assert_eq!(taken.assigned_to.as_deref(), Some("ann"));
    assert_eq!(taken.status, TaskStatus::Working);
    assert_eq!(
        tasks::get(&mut c, others.id).unwrap().status,
        TaskStatus::Idle
    );
}

#[test]
fn claims_skip_tasks_with_an_open_dependency_of_either_kind() {
    let (_d, mut c) = conn();
    let dep = create(&mut c, new_task("dep"));
    let blocker = create(&mut c, new_task("blocker"));
    let task = create(
        &mut c,
        CreateTask {
            assigned_to: Some("ann".into()),
            blocked_by_task_id: Some(blocker.id),
            depends_on: Some(vec![dep.id]),
            ..new_task("waits")
        },
    );
    assert!(tasks::get(&mut c, task.id).unwrap().is_currently_blocked);
    assert_eq!(claim(&mut c, "ann", None), None);
    tasks::archive(&mut c, blocker.id).unwrap();
    assert_eq!(claim(&mut c, "ann", None), None, "dep still open");
    let done = UpdateTask {
        id: dep.id,
        status: Some(TaskStatus::Complete),
        ..UpdateTask::default()
    };
    tasks::update(&mut c, done).unwrap();
    assert!(!tasks::get(&mut c, task.id).unwrap().is_currently_blocked);
    assert_eq!(claim(&mut c, "ann", None), Some(task.id));
}

#[test]
fn cycles_are_rejected_at_any_depth_across_blockers_and_dependencies() {
    let (_d, mut c) = conn();
    let a = create(&mut c, new_task("a"));
    let b = create(
        &mut c,
        CreateTask {
            blocked_by_task_id: Some(a.id),
            ..new_task("b")
        },
    );
    let c3 = create(
        &mut c,
        CreateTask {
            depends_on: Some(vec![b.id]),
            ..new_task("c")
        },
    );
    let back = DependencyArgs {
        task_id: a.id,
        depends_on_task_id: c3.id,
        changed_by: None,
    };
    let err = dependencies::add(&mut c, back).unwrap_err().to_string();
    assert!(
        err.contains("cycle") && err.contains(&c3.id.to_string()),
        "{err}"
    );
    let as_blocker = UpdateTask {
        id: a.id,
        blocked_by_task_id: Some(Some(c3.id)),
        ..UpdateTask::default()
    };
    let err = tasks::update(&mut c, as_blocker).unwrap_err().to_string();
    assert!(err.contains("circular"), "{err}");
    let own = DependencyArgs {
        task_id: a.id,
        depends_on_task_id: a.id,
        changed_by: None,
    };
    let err = dependencies::add(&mut c, own).unwrap_err().to_string();
    assert!(
        err.contains("`depends_on_task_id`") && err.contains("itself"),
        "{err}"
    );
    let deps: Vec<i32> = dependencies::depends_on(&mut c, c3.id)
        .unwrap()
        .iter()
        .map(|d| d.id)
        .collect();
    assert_eq!(deps, [b.id]);
    let dependents: Vec<i32> = dependencies::dependents(&mut c, a.id)
        .unwrap()
        .iter()
        .map(|d| d.id)
        .collect();
    assert_eq!(dependents, [b.id], "blocked_by counts as a dependency");
}

#[test]
fn an_expired_pool_lease_goes_back_to_the_pool_and_fences_the_old_token() {
    let (_d, mut c) = conn();
    let t = create(&mut c, pooled("t", "q", None, 0));
    let scope = Scope::Pool {
        agent: "ann".into(),
        queue: "q".into(),
    };
    let first = write(&mut c, |c| {
        claims::claim(c, &scope, Some(Duration::from_millis(1)))
    })
    .unwrap();
    let token = first.lease.expect("a lease").token;
    std::thread::sleep(Duration::from_millis(5));
    let released = write(&mut c, leases::expire_due).unwrap();
    assert_eq!(released, [t.id]);
    let back = tasks::get(&mut c, t.id).unwrap();
    assert_eq!(back.status, TaskStatus::Idle);
    assert_eq!(back.assigned_to, None, "back in the pool");
    assert_eq!(back.previous_assigned_to.as_deref(), Some("ann"));
    assert_eq!(back.lease, None);
    let kinds: Vec<(String, Option<String>)> = feed(&mut c)
        .into_iter()
        .map(|e| (e.kind, e.actor))
        .collect();
    assert_eq!(
        kinds.last(),
        Some(&(
            "lease_expired".to_string(),
            Some(leases::LEASE_ACTOR.into())
        ))
    );
    // Bob claims it now; ann's old token is fenced off, naming the task, the token and the holder.
    let bob = Scope::Pool {
        agent: "bob".into(),
        queue: "q".into(),
    };
    write(&mut c, |c| {
        claims::claim(c, &bob, Some(Duration::from_secs(60)))
    })
    .unwrap();
    let stale = UpdateTask {
        id: t.id,
        title: Some("ann still thinks it is hers".into()),
        changed_by: Some("ann".into()),
        lease_token: Some(token.clone()),
        ..UpdateTask::default()
    };
    let err = tasks::update(&mut c, stale).unwrap_err().to_string();
    for part in [t.id.to_string(), token, "claimed by bob".to_string()] {
        assert!(err.contains(&part), "{err} lacks {part}");
    }
}

#[test]
fn the_holders_writes_renew_its_lease_and_completing_ends_it() {
    let (_d, mut c) = conn();
    let t = create(&mut c, pooled("t", "q", Some("ann"), 0));
    let scope = Scope::Agent("ann".into());
    let got = write(&mut c, |c| {
        claims::claim(c, &scope, Some(Duration::from_secs(1)))
    })
    .unwrap();
    let first = got.task.unwrap().task.lease.expect("shown on the task");
    std::thread::sleep(Duration::from_millis(20));
    let note = comments::AddComment {
        task_id: t.id,
        content: "progress".into(),
        created_by: Some("ann".into()),
    };
    comments::add(&mut c, note).unwrap();
    let renewed = tasks::get(&mut c, t.id).unwrap().lease.unwrap();
    assert!(
        renewed.expires_at > first.expires_at,
        "{renewed:?} vs {first:?}"
    );
    let done = UpdateTask {
        id: t.id,
        status: Some(TaskStatus::Complete),
        changed_by: Some("ann".into()),
        ..UpdateTask::default()
    };
    let task = tasks::update(&mut c, done).unwrap();
    assert_eq!(task.lease, None, "a complete task holds no lease");
}

#[test]
fn every_change_becomes_one_event_with_its_fields_and_actor() {
    let (_d, mut c) = conn();
    let parent = write(&mut c, |c| tasks::create(c, new_task("parent"))).unwrap();
    let child = write(&mut c, |c| {
        tasks::create(
            c,
            CreateTask {
                parent_task_id: Some(parent.id),
                assigned_to: Some("ann".into()),
                tags: Some(vec!["x".into()]),
                ..new_task("child")
            },
        )
    })
    .unwrap();
    claim(&mut c, "ann", None);
    let events = feed(&mut c);
    let kinds: Vec<(&str, Option<i32>, Option<&str>)> = events
        .iter()
        .map(|e| (e.kind.as_str(), e.task_id, e.actor.as_deref()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("task_created", Some(parent.id), Some("tester")),
            ("task_created", Some(child.id), Some("tester")),
            ("task_claimed", Some(child.id), Some("ann")),
            // The parent follows its child: TinyTask itself acts.
            (
                "task_updated",
                Some(parent.id),
                Some(crate::domain::PROPAGATION_ACTOR)
            ),
        ]
    );
    assert_eq!(events[1].fields["tags"]["new"], serde_json::json!(["x"]));
    let claimed = &events[2].fields;
    assert_eq!(claimed["status"]["old"], "idle");
    assert_eq!(claimed["status"]["new"], "working");
    assert_eq!(claimed["lease"]["new"]["holder"], "ann");
    assert!(
        claimed["lease"]["new"].get("token").is_none(),
        "never the token"
    );
    assert!(events.windows(2).all(|w| w[0].cursor < w[1].cursor));
    // A write that changes nothing but updated_at is no event.
    let before = events.len();
    write(&mut c, |c| {
        tasks::update(
            c,
            UpdateTask {
                id: child.id,
                title: Some("child".into()),
                ..UpdateTask::default()
            },
        )
    })
    .unwrap();
    assert_eq!(feed(&mut c).len(), before);
}

#[test]
fn filtered_reads_advance_the_cursor_past_what_they_scanned() {
    let (_d, mut c) = conn();
    write(&mut c, |c| tasks::create(c, pooled("a", "q", None, 0))).unwrap();
    write(&mut c, |c| tasks::create(c, pooled("b", "r", None, 0))).unwrap();
    let page = events::page(
        &mut c,
        &GetEvents {
            queue_name: Some("nowhere".into()),
            ..GetEvents::default()
        },
    )
    .unwrap();
    assert_eq!((page.count, page.next_cursor, page.has_more), (0, 2, false));
    let limited = events::page(
        &mut c,
        &GetEvents {
            limit: Some(1),
            ..GetEvents::default()
        },
    )
    .unwrap();
    assert_eq!(
        (limited.count, limited.next_cursor, limited.has_more),
        (1, 1, true)
    );
    let err = events::page(
        &mut c,
        &GetEvents {
            limit: Some(0),
            ..GetEvents::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("`limit`") && err.contains("1 and 1000"),
        "{err}"
    );
}

#[test]
fn iso_millis_formats_unix_milliseconds_in_utc() {
    assert_eq!(leases::iso_millis(0), "1970-01-01T00:00:00.000Z");
    assert_eq!(
        leases::iso_millis(1_764_604_800_123),
        "2025-12-01T16:00:00.123Z"
    );
    assert_eq!(
        leases::iso_millis(951_782_400_000),
        "2000-02-29T00:00:00.000Z"
    );
}

#[test]
fn a_comment_move_is_one_event_and_notes_carry_their_tasks_assignee_and_queue() {
    let (_d, mut c) = conn();
    let from = write(&mut c, |c| {
        tasks::create(c, pooled("from", "q", Some("ann"), 0))
    })
    .unwrap();
    let to = write(&mut c, |c| {
        tasks::create(c, pooled("to", "r", Some("bob"), 0))
    })
    .unwrap();
    let note = write(&mut c, |c| {
        comments::add(
            c,
            comments::AddComment {
                task_id: from.id,
                content: "hello".into(),
                created_by: Some("carol".into()),
            },
        )
    })
    .unwrap();
    let copy = write(&mut c, |c| {
        comments::move_to(
            c,
            comments::MoveComment {
                comment_id: note.id,
                to_task_id: to.id,
            },
        )
    })
    .unwrap();
    let events = feed(&mut c);
    let added = &events[2];
    assert_eq!(added.kind, "comment_added");
    assert_eq!(
        (added.assignee.as_deref(), added.queue.as_deref()),
        (Some("ann"), Some("q"))
    );
    assert_eq!(events.len(), 4, "{events:?}");
    let moved = &events[3];
    assert_eq!(moved.kind, "comment_moved");
    assert_eq!(moved.task_id, Some(to.id));
    assert_eq!(moved.fields["id"]["old"], note.id);
    assert_eq!(moved.fields["id"]["new"], copy.id);
    assert_eq!(moved.fields["task_id"]["old"], from.id);
    assert_eq!(
        (moved.assignee.as_deref(), moved.prior_assignee.as_deref()),
        (Some("bob"), Some("ann"))
    );
}
