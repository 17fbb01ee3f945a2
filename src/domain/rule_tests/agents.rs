use crate::domain::TaskStatus;
use crate::domain::agents::{self, MoveTask};
use crate::domain::tasks::{self, CreateTask, UpdateTask};
use crate::domain::test_support::{conn, create, new_task};

fn assigned(title: &str, agent: &str, priority: i64) -> CreateTask {
    CreateTask {
        assigned_to: Some(agent.into()),
        priority: Some(priority),
        ..new_task(title)
    }
}

#[test]
fn queue_lists_open_work_most_urgent_first() {
    let (_d, mut c) = conn();
    let low = create(&mut c, assigned("low", "bob", 1));
    let high = create(&mut c, assigned("high", "bob", 5));
    let done = create(&mut c, assigned("done", "bob", 9));
    tasks::update(
        &mut c,
        UpdateTask {
            id: done.id,
            status: Some(TaskStatus::Complete),
            ..Default::default()
        },
    )
    .unwrap();
    create(&mut c, assigned("other", "carol", 9));
    let q = agents::my_queue(
        &mut c,
        agents::MyQueue {
            agent_name: "bob".into(),
            offset: None,
            fields: None,
            view: None,
        },
    )
    .unwrap();
    assert_eq!(
        q.tasks.iter().map(|t| t.id).collect::<Vec<_>>(),
        [high.id, low.id]
    );
    assert_eq!(q.count, 2);
}

#[test]
fn signup_claims_the_most_urgent_unblocked_idle_task() {
    let (_d, mut c) = conn();
    let blocker = create(&mut c, new_task("blocker"));
    let blocked = create(
        &mut c,
        CreateTask {
            blocked_by_task_id: Some(blocker.id),
            ..assigned("blocked", "bob", 9)
        },
    );
    let free = create(&mut c, assigned("free", "bob", 1));
    let s = agents::signup(&mut c, "bob").unwrap();
    assert!(s.claimed);
    let task = s.task.unwrap();
    assert_eq!(task.task.id, free.id);
    assert_eq!(task.task.status, TaskStatus::Working);
    assert_eq!(task.history[0].changed_by.as_deref(), Some("bob"));
    // Only the blocked task is left: nothing to claim, and that is not an error.
    let none = agents::signup(&mut c, "bob").unwrap();
    assert!(!none.claimed && none.task.is_none());
    tasks::update(
        &mut c,
        UpdateTask {
            id: blocker.id,
            status: Some(TaskStatus::Complete),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(
        agents::signup(&mut c, "bob").unwrap().task.unwrap().task.id,
        blocked.id
    );
}

#[test]
fn move_task_hands_over_with_a_comment() {
    let (_d, mut c) = conn();
    let t = create(&mut c, assigned("t", "bob", 0));
    agents::signup(&mut c, "bob").unwrap();
    let moved = agents::move_task(
        &mut c,
        MoveTask {
            task_id: t.id,
            current_agent: "bob".into(),
            new_agent: "carol".into(),
            comment: " please review ".into(),
            lease_token: None,
        },
    )
    .unwrap();
    assert_eq!(moved.task.assigned_to.as_deref(), Some("carol"));
    assert_eq!(moved.task.previous_assigned_to.as_deref(), Some("bob"));
    assert_eq!(moved.task.status, TaskStatus::Idle);
    assert_eq!(moved.comment.content, "please review");
    assert_eq!(moved.comment.created_by.as_deref(), Some("bob"));
}

#[test]
fn move_task_rules() {
    let (_d, mut c) = conn();
    let t = create(&mut c, assigned("t", "bob", 0));
    let mv = |c: &mut crate::domain::Conn, from: &str, note: &str| {
        agents::move_task(
            c,
            MoveTask {
                task_id: t.id,
                current_agent: from.into(),
                new_agent: "carol".into(),
                comment: note.into(),
                lease_token: None,
            },
        )
        .map_err(|e| e.to_string())
    };
    assert_eq!(
        mv(&mut c, "dave", "x").unwrap_err(),
        format!(
            "Task {} is not assigned to dave (currently assigned to: bob)",
            t.id
        )
    );
    assert!(mv(&mut c, "bob", "  ").unwrap_err().contains("`comment`"));
    tasks::update(
        &mut c,
        UpdateTask {
            id: t.id,
            status: Some(TaskStatus::Complete),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(
        mv(&mut c, "bob", "x")
            .unwrap_err()
            .contains("cannot be transferred")
    );
    let err = agents::move_task(
        &mut c,
        MoveTask {
            task_id: 404,
            current_agent: "a".into(),
            new_agent: "b".into(),
            comment: "c".into(),
            lease_token: None,
        },
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "Task not found: 404");
}
