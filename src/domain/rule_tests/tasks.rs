use crate::domain::input::StatusSet;
use crate::domain::tasks::{self, TaskFilter, UpdateTask};
use crate::domain::test_support::{child, conn, create, new_task};
use crate::domain::{DomainError, TaskStatus};

#[test]
fn create_trims_text_defaults_status_and_priority() {
    let (_d, mut c) = conn();
    let t = create(
        &mut c,
        tasks::CreateTask {
            title: "  Write spec  ".into(),
            description: Some("   ".into()),
            tags: Some(vec![" a ".into(), String::new()]),
            ..new_task("")
        },
    );
    assert_eq!(t.title, "Write spec");
    assert_eq!(t.description, None);
    assert_eq!(t.status, TaskStatus::Idle);
    assert_eq!(t.priority, 0);
    assert_eq!(t.tags, vec!["a"]);
    assert!(t.created_at.as_deref().unwrap().ends_with('Z'));
}

#[test]
fn create_requires_title_and_created_by() {
    let (_d, mut c) = conn();
    let err = tasks::create(&mut c, new_task("  ")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Invalid `title`: must not be empty or blank"
    );
    let err = tasks::create(
        &mut c,
        tasks::CreateTask {
            created_by: " ".into(),
            ..new_task("x")
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("`created_by`"));
}

#[test]
fn create_rejects_out_of_range_priority() {
    let (_d, mut c) = conn();
    let err = tasks::create(
        &mut c,
        tasks::CreateTask {
            priority: Some(1 << 40),
            ..new_task("x")
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("`priority`"), "{err}");
}

#[test]
fn update_changes_only_given_fields_and_records_history() {
    let (_d, mut c) = conn();
    let t = create(
        &mut c,
        tasks::CreateTask {
            assigned_to: Some("alice".into()),
            ..new_task("a")
        },
    );
    let u = tasks::update(
        &mut c,
        UpdateTask {
            id: t.id,
            assigned_to: Some(Some("bob".into())),
            status: Some(TaskStatus::Working),
            priority: Some(5),
            changed_by: Some("lead".into()),
            ..UpdateTask::default()
        },
    )
    .unwrap();
    assert_eq!(u.assigned_to.as_deref(), Some("bob"));
    assert_eq!(u.previous_assigned_to.as_deref(), Some("alice"));
    assert_eq!(u.status, TaskStatus::Working);
    assert_eq!(u.title, "a");
    let history = tasks::history(&mut c, t.id).unwrap();
    let fields: Vec<_> = history.iter().map(|h| h.field_name.as_str()).collect();
    assert_eq!(fields, ["status", "assigned_to", "priority"]);
    assert!(
        history
            .iter()
            .all(|h| h.changed_by.as_deref() == Some("lead"))
    );
    assert_eq!(history[1].old_value.as_deref(), Some("alice"));
    assert_eq!(history[1].new_value.as_deref(), Some("bob"));
}

#[test]
fn update_with_nothing_new_changes_nothing() {
    let (_d, mut c) = conn();
    let t = create(&mut c, new_task("same"));
    let u = tasks::update(
        &mut c,
        UpdateTask {
            id: t.id,
            title: Some("same".into()),
            ..UpdateTask::default()
        },
    )
    .unwrap();
    assert_eq!(u, t);
    assert!(tasks::history(&mut c, t.id).unwrap().is_empty());
}

#[test]
fn null_clears_optional_fields() {
    let (_d, mut c) = conn();
    let parent = create(&mut c, new_task("p"));
    let t = create(
        &mut c,
        tasks::CreateTask {
            description: Some("d".into()),
            queue_name: Some("dev".into()),
            parent_task_id: Some(parent.id),
            tags: Some(vec!["x".into()]),
            ..new_task("t")
        },
    );
    let u = tasks::update(
        &mut c,
        UpdateTask {
            id: t.id,
            description: Some(None),
            queue_name: Some(None),
            parent_task_id: Some(None),
            tags: Some(None),
            ..UpdateTask::default()
        },
    )
    .unwrap();
    assert_eq!(
        (u.description, u.queue_name, u.parent_task_id),
        (None, None, None)
    );
    assert!(u.tags.is_empty());
}

#[test]
fn unknown_ids_are_not_found_errors() {
    let (_d, mut c) = conn();
    assert!(matches!(
        tasks::get(&mut c, 99),
        Err(DomainError::NotFound {
            entity: "Task",
            id: 99
        })
    ));
    let err = tasks::update(
        &mut c,
        UpdateTask {
            id: 5,
            ..UpdateTask::default()
        },
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "Task not found: 5");
    assert_eq!(
        tasks::delete(&mut c, 7).unwrap_err().to_string(),
        "Task not found: 7"
    );
    assert_eq!(
        tasks::archive(&mut c, 8).unwrap_err().to_string(),
        "Task not found: 8"
    );
}

#[test]
fn archive_bumps_updated_at_and_keeps_first_archived_at() {
    let (_d, mut c) = conn();
    let t = create(&mut c, new_task("old"));
    diesel::connection::SimpleConnection::batch_execute(
        &mut c,
        "UPDATE tasks SET updated_at = '2020-01-01 00:00:00'",
    )
    .unwrap();
    let a = tasks::archive(&mut c, t.id).unwrap();
    assert!(a.archived_at.is_some());
    assert_ne!(a.updated_at.as_deref(), Some("2020-01-01T00:00:00Z"));
    diesel::connection::SimpleConnection::batch_execute(
        &mut c,
        "UPDATE tasks SET archived_at = '2021-01-01 00:00:00'",
    )
    .unwrap();
    let again = tasks::archive(&mut c, t.id).unwrap();
    assert_eq!(again.archived_at.as_deref(), Some("2021-01-01T00:00:00Z"));
}

#[test]
fn delete_promotes_subtasks_and_unblocks_dependents() {
    let (_d, mut c) = conn();
    let root = create(&mut c, new_task("root"));
    let mid = child(&mut c, root.id, "mid");
    let leaf = child(&mut c, mid.id, "leaf");
    let dependent = create(
        &mut c,
        tasks::CreateTask {
            blocked_by_task_id: Some(mid.id),
            ..new_task("dep")
        },
    );
    let deleted = tasks::delete(&mut c, mid.id).unwrap();
    assert_eq!(deleted.promoted_subtask_ids, vec![leaf.id]);
    assert_eq!(
        tasks::get(&mut c, leaf.id).unwrap().parent_task_id,
        Some(root.id)
    );
    assert_eq!(
        tasks::get(&mut c, dependent.id).unwrap().blocked_by_task_id,
        None
    );
    assert!(tasks::get(&mut c, mid.id).is_err());
}

#[test]
fn list_orders_by_priority_then_age_and_filters() {
    let (_d, mut c) = conn();
    let low = create(&mut c, new_task("low"));
    let high = create(
        &mut c,
        tasks::CreateTask {
            priority: Some(9),
            ..new_task("high")
        },
    );
    let sub = child(&mut c, low.id, "sub");
    tasks::update(
        &mut c,
        UpdateTask {
            id: sub.id,
            status: Some(TaskStatus::Complete),
            ..UpdateTask::default()
        },
    )
    .unwrap();
    let archived = create(&mut c, new_task("gone"));
    tasks::archive(&mut c, archived.id).unwrap();

    let ids = |c: &mut crate::domain::Conn, f: TaskFilter| -> Vec<i32> {
        tasks::list(c, &f)
            .unwrap()
            .tasks
            .into_iter()
            .map(|t| t.id)
            .collect()
    };
    assert_eq!(
        ids(&mut c, TaskFilter::default()),
        [high.id, low.id, sub.id]
    );
    assert_eq!(
        ids(
            &mut c,
            TaskFilter {
                exclude_subtasks: Some(true),
                ..Default::default()
            }
        ),
        [high.id, low.id]
    );
    assert_eq!(
        ids(
            &mut c,
            TaskFilter {
                parent_task_id: Some(None),
                ..Default::default()
            }
        ),
        [high.id, low.id]
    );
    assert_eq!(
        ids(
            &mut c,
            TaskFilter {
                parent_task_id: Some(Some(low.id)),
                ..Default::default()
            }
        ),
        [sub.id]
    );
    let status = |s: Vec<TaskStatus>| Some(StatusSet(s));
    // `low` became complete with its only subtask (parent status propagation).
    let complete = status(vec![TaskStatus::Complete]);
    assert_eq!(
        ids(
            &mut c,
            TaskFilter {
                status: complete.clone(),
                ..Default::default()
            }
        ),
        [low.id, sub.id]
    );
    assert_eq!(
        ids(
            &mut c,
            TaskFilter {
                exclude_status: complete,
                ..Default::default()
            }
        ),
        [high.id]
    );
    let both = status(vec![TaskStatus::Idle, TaskStatus::Complete]);
    assert_eq!(
        ids(
            &mut c,
            TaskFilter {
                status: both,
                ..Default::default()
            }
        )
        .len(),
        3
    );
    assert_eq!(
        ids(
            &mut c,
            TaskFilter {
                include_archived: Some(true),
                ..Default::default()
            }
        )
        .len(),
        4
    );
    assert_eq!(
        ids(
            &mut c,
            TaskFilter {
                limit: Some(1),
                ..Default::default()
            }
        ),
        [high.id]
    );
    assert_eq!(
        ids(
            &mut c,
            TaskFilter {
                offset: Some(2),
                ..Default::default()
            }
        ),
        [sub.id]
    );
    assert_eq!(
        ids(
            &mut c,
            TaskFilter {
                limit: Some(1),
                offset: Some(1),
                ..Default::default()
            }
        ),
        [low.id]
    );
    let err = tasks::list(
        &mut c,
        &TaskFilter {
            limit: Some(0),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("`limit`"));
    let err = tasks::list(
        &mut c,
        &TaskFilter {
            offset: Some(-1),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("`offset`"));
}

#[test]
fn get_with_relations_includes_history() {
    let (_d, mut c) = conn();
    let t = create(&mut c, new_task("h"));
    tasks::update(
        &mut c,
        UpdateTask {
            id: t.id,
            title: Some("h2".into()),
            ..UpdateTask::default()
        },
    )
    .unwrap();
    let full = tasks::get_with_relations(&mut c, t.id).unwrap();
    assert_eq!(full.history.len(), 1);
    assert_eq!(full.history[0].field_name, "title");
    let json = serde_json::to_value(&full).unwrap();
    let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
    assert_eq!(keys.first().map(|k| k.as_str()), Some("id"));
    assert_eq!(
        &keys[keys.len() - 7..],
        [
            "is_currently_blocked",
            "lease",
            "comments",
            "links",
            "history",
            "depends_on",
            "dependents"
        ]
    );
}
