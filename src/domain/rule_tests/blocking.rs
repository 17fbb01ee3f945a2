use crate::domain::TaskStatus;
use crate::domain::tasks::{self, CreateTask, UpdateTask};
use crate::domain::test_support::{conn, create, new_task};

fn block(
    c: &mut crate::domain::Conn,
    id: i32,
    by: Option<i32>,
) -> Result<crate::domain::views::Task, String> {
    tasks::update(
        c,
        UpdateTask {
            id,
            blocked_by_task_id: Some(by),
            ..UpdateTask::default()
        },
    )
    .map_err(|e| e.to_string())
}

#[test]
fn blocked_until_the_blocker_is_complete() {
    let (_d, mut c) = conn();
    let a = create(&mut c, new_task("a"));
    let b = create(
        &mut c,
        CreateTask {
            blocked_by_task_id: Some(a.id),
            ..new_task("b")
        },
    );
    assert!(b.is_currently_blocked);
    tasks::update(
        &mut c,
        UpdateTask {
            id: a.id,
            status: Some(TaskStatus::Complete),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(!tasks::get(&mut c, b.id).unwrap().is_currently_blocked);
}

#[test]
fn unknown_blocker_is_rejected_on_create_and_update() {
    let (_d, mut c) = conn();
    let err = tasks::create(
        &mut c,
        CreateTask {
            blocked_by_task_id: Some(77),
            ..new_task("x")
        },
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "Blocking task not found: 77");
    let a = create(&mut c, new_task("a"));
    assert_eq!(
        block(&mut c, a.id, Some(78)).unwrap_err(),
        "Blocking task not found: 78"
    );
}

#[test]
fn self_block_and_cycles_of_any_length_are_rejected() {
    let (_d, mut c) = conn();
    let a = create(&mut c, new_task("a"));
    let b = create(&mut c, new_task("b"));
    let d = create(&mut c, new_task("d"));
    assert!(
        block(&mut c, a.id, Some(a.id))
            .unwrap_err()
            .contains("cannot be blocked by itself")
    );
    block(&mut c, b.id, Some(a.id)).unwrap();
    block(&mut c, d.id, Some(b.id)).unwrap();
    // a ← b ← d; blocking a by d closes a 3-cycle (2.x only checked one hop).
    let err = block(&mut c, a.id, Some(d.id)).unwrap_err();
    assert!(err.contains("circular"), "{err}");
}

#[test]
fn null_unblocks() {
    let (_d, mut c) = conn();
    let a = create(&mut c, new_task("a"));
    let b = create(
        &mut c,
        CreateTask {
            blocked_by_task_id: Some(a.id),
            ..new_task("b")
        },
    );
    let unblocked = block(&mut c, b.id, None).unwrap();
    assert_eq!(unblocked.blocked_by_task_id, None);
    assert!(!unblocked.is_currently_blocked);
}
