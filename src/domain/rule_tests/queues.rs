use crate::domain::queues::{self, AddToQueue, MoveToQueue, QueueTasks};
use crate::domain::tasks::{self, CreateTask, TaskFilter};
use crate::domain::test_support::{conn, create, new_task};

fn in_queue(title: &str, queue: &str, agent: Option<&str>) -> CreateTask {
    CreateTask {
        queue_name: Some(queue.into()),
        assigned_to: agent.map(Into::into),
        ..new_task(title)
    }
}

#[test]
fn queues_list_stats_and_tasks() {
    let (_d, mut c) = conn();
    create(&mut c, in_queue("a", "dev", Some("bob")));
    create(&mut c, in_queue("b", "dev", None));
    create(&mut c, in_queue("c", "qa", Some("carol")));
    let gone = create(&mut c, in_queue("d", "old", None));
    tasks::archive(&mut c, gone.id).unwrap();
    assert_eq!(queues::list(&mut c).unwrap().queues, ["dev", "qa"]);
    let s = queues::stats(&mut c, " dev ").unwrap();
    assert_eq!(
        (s.total_tasks, s.assigned, s.unassigned, s.by_status.idle),
        (2, 1, 1, 2)
    );
    assert_eq!(s.agents, ["bob"]);
    assert_eq!(queues::stats(&mut c, "nope").unwrap().total_tasks, 0);
    let listed = queues::tasks(
        &mut c,
        QueueTasks(TaskFilter {
            queue_name: Some("dev".into()),
            assigned_to: Some("bob".into()),
            ..Default::default()
        }),
    )
    .unwrap();
    assert_eq!(listed.count, 1);
    assert_eq!(listed.filters.include_archived, Some(false));
    assert!(
        queues::stats(&mut c, "  ")
            .unwrap_err()
            .to_string()
            .contains("`queue_name`")
    );
}

#[test]
fn add_move_remove_and_clear() {
    let (_d, mut c) = conn();
    let t = create(&mut c, new_task("t"));
    let added = queues::add_task(
        &mut c,
        AddToQueue {
            task_id: t.id,
            queue_name: "dev".into(),
        },
    )
    .unwrap();
    assert_eq!(added.queue_name.as_deref(), Some("dev"));
    let moved = queues::move_task(
        &mut c,
        MoveToQueue {
            task_id: t.id,
            new_queue_name: "qa".into(),
        },
    )
    .unwrap();
    assert_eq!(moved.queue_name.as_deref(), Some("qa"));
    assert_eq!(queues::remove_task(&mut c, t.id).unwrap().queue_name, None);
    let long = "x".repeat(256);
    let err = queues::add_task(
        &mut c,
        AddToQueue {
            task_id: t.id,
            queue_name: long,
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("too long"), "{err}");
    create(&mut c, in_queue("a", "dev", None));
    create(&mut c, in_queue("b", "dev", None));
    assert_eq!(queues::clear(&mut c, "dev").unwrap().tasks_cleared, 2);
    assert!(queues::list(&mut c).unwrap().queues.is_empty());
    let history = tasks::history(&mut c, t.id).unwrap();
    assert_eq!(
        history
            .iter()
            .filter(|h| h.field_name == "queue_name")
            .count(),
        3
    );
}
