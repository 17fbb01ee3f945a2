use crate::domain::hierarchy::MAX_DEPTH;
use crate::domain::subtasks::{self, GetSubtasks, MoveSubtask};
use crate::domain::tasks::{self, CreateTask, UpdateTask};
use crate::domain::test_support::{child, conn, create, new_task};
use crate::domain::{PROPAGATION_ACTOR, TaskStatus};

fn set_status(c: &mut crate::domain::Conn, id: i32, status: TaskStatus) {
    tasks::update(
        c,
        UpdateTask {
            id,
            status: Some(status),
            ..UpdateTask::default()
        },
    )
    .unwrap();
}

#[test]
fn subtasks_inherit_the_parent_queue_unless_given() {
    let (_d, mut c) = conn();
    let p = create(
        &mut c,
        CreateTask {
            queue_name: Some("dev".into()),
            ..new_task("p")
        },
    );
    assert_eq!(child(&mut c, p.id, "a").queue_name.as_deref(), Some("dev"));
    let own = create(
        &mut c,
        CreateTask {
            parent_task_id: Some(p.id),
            queue_name: Some("qa".into()),
            ..new_task("b")
        },
    );
    assert_eq!(own.queue_name.as_deref(), Some("qa"));
}

#[test]
fn four_levels_allowed_fifth_rejected() {
    let (_d, mut c) = conn();
    let mut parent = create(&mut c, new_task("level 1"));
    for level in 2..=MAX_DEPTH + 1 {
        parent = child(&mut c, parent.id, &format!("level {level}"));
    }
    let err = tasks::create(
        &mut c,
        CreateTask {
            parent_task_id: Some(parent.id),
            ..new_task("level 5")
        },
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("Maximum nesting depth exceeded"),
        "{err}"
    );
}

#[test]
fn reparenting_counts_the_height_of_the_moved_subtree() {
    let (_d, mut c) = conn();
    let a = create(&mut c, new_task("a"));
    let a2 = child(&mut c, a.id, "a2");
    let a3 = child(&mut c, a2.id, "a3");
    let b = create(&mut c, new_task("b"));
    let b2 = child(&mut c, b.id, "b2");
    let _b3 = child(&mut c, b2.id, "b3");
    // b (height 2) under a3 (depth 2) would need 6 levels: 2.x allowed it.
    let err = subtasks::move_subtask(
        &mut c,
        MoveSubtask {
            subtask_id: b.id,
            new_parent_id: Some(a3.id),
        },
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("Maximum nesting depth exceeded"),
        "{err}"
    );
    // b2 (height 1) under a2 (depth 1) fits exactly in 4 levels.
    let moved = subtasks::move_subtask(
        &mut c,
        MoveSubtask {
            subtask_id: b2.id,
            new_parent_id: Some(a2.id),
        },
    )
    .unwrap();
    assert_eq!(moved.parent_task_id, Some(a2.id));
}

#[test]
fn self_parent_and_cycles_are_rejected() {
    let (_d, mut c) = conn();
    let a = create(&mut c, new_task("a"));
    let b = child(&mut c, a.id, "b");
    let c3 = child(&mut c, b.id, "c");
    let err = tasks::update(
        &mut c,
        UpdateTask {
            id: a.id,
            parent_task_id: Some(Some(a.id)),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("cannot be its own parent"));
    let err = tasks::update(
        &mut c,
        UpdateTask {
            id: a.id,
            parent_task_id: Some(Some(c3.id)),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("circular"), "{err}");
}

#[test]
fn null_new_parent_makes_top_level() {
    let (_d, mut c) = conn();
    let a = create(&mut c, new_task("a"));
    let b = child(&mut c, a.id, "b");
    let moved = subtasks::move_subtask(
        &mut c,
        MoveSubtask {
            subtask_id: b.id,
            new_parent_id: None,
        },
    )
    .unwrap();
    assert_eq!(moved.parent_task_id, None);
    let err = subtasks::move_subtask(
        &mut c,
        MoveSubtask {
            subtask_id: b.id,
            new_parent_id: Some(42),
        },
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "Parent task not found: 42");
}

#[test]
fn parent_status_follows_children() {
    let (_d, mut c) = conn();
    let p = create(&mut c, new_task("p"));
    let a = child(&mut c, p.id, "a");
    let b = child(&mut c, p.id, "b");
    set_status(&mut c, a.id, TaskStatus::Working);
    assert_eq!(
        tasks::get(&mut c, p.id).unwrap().status,
        TaskStatus::Working
    );
    set_status(&mut c, a.id, TaskStatus::Complete);
    // One done, one not started: in progress (2.x said idle).
    assert_eq!(
        tasks::get(&mut c, p.id).unwrap().status,
        TaskStatus::Working
    );
    set_status(&mut c, b.id, TaskStatus::Complete);
    assert_eq!(
        tasks::get(&mut c, p.id).unwrap().status,
        TaskStatus::Complete
    );
    let history = tasks::history(&mut c, p.id).unwrap();
    assert!(
        history
            .iter()
            .all(|h| h.changed_by.as_deref() == Some(PROPAGATION_ACTOR))
    );
    // A new idle child re-opens the parent.
    child(&mut c, p.id, "late");
    assert_eq!(
        tasks::get(&mut c, p.id).unwrap().status,
        TaskStatus::Working
    );
}

#[test]
fn propagation_reaches_grandparents_and_ignores_archived_children() {
    let (_d, mut c) = conn();
    let g = create(&mut c, new_task("g"));
    let p = child(&mut c, g.id, "p");
    let a = child(&mut c, p.id, "a");
    let b = child(&mut c, p.id, "b");
    tasks::archive(&mut c, b.id).unwrap();
    set_status(&mut c, a.id, TaskStatus::Complete);
    assert_eq!(
        tasks::get(&mut c, p.id).unwrap().status,
        TaskStatus::Complete
    );
    assert_eq!(
        tasks::get(&mut c, g.id).unwrap().status,
        TaskStatus::Complete
    );
}

#[test]
fn get_subtasks_direct_or_recursive() {
    let (_d, mut c) = conn();
    let p = create(&mut c, new_task("p"));
    let a = child(&mut c, p.id, "a");
    let a1 = child(&mut c, a.id, "a1");
    let direct = subtasks::list(
        &mut c,
        GetSubtasks {
            parent_task_id: p.id,
            recursive: None,
            include_archived: None,
            offset: None,
            fields: None,
            view: None,
        },
    )
    .unwrap();
    assert_eq!(
        direct.subtasks.iter().map(|t| t.id).collect::<Vec<_>>(),
        [a.id]
    );
    let all = subtasks::list(
        &mut c,
        GetSubtasks {
            parent_task_id: p.id,
            recursive: Some(true),
            include_archived: None,
            offset: None,
            fields: None,
            view: None,
        },
    )
    .unwrap();
    assert_eq!(all.count, 2);
    assert!(all.subtasks.iter().any(|t| t.id == a1.id));
    let err = subtasks::list(
        &mut c,
        GetSubtasks {
            parent_task_id: 99,
            recursive: None,
            include_archived: None,
            offset: None,
            fields: None,
            view: None,
        },
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "Task not found: 99");
}
