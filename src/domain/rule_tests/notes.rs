use crate::domain::comments::{self, AddComment, MoveComment, UpdateComment};
use crate::domain::links::{self, AddLink, UpdateLink};
use crate::domain::tasks::TaskItems;
use crate::domain::test_support::{conn, create, new_task};

fn items(task_id: i32) -> TaskItems {
    TaskItems {
        task_id,
        offset: None,
    }
}

fn comment(c: &mut crate::domain::Conn, task_id: i32, text: &str) -> crate::domain::views::Comment {
    comments::add(
        c,
        AddComment {
            task_id,
            content: text.into(),
            created_by: Some("bob".into()),
        },
    )
    .unwrap()
}

#[test]
fn comments_crud() {
    let (_d, mut c) = conn();
    let t = create(&mut c, new_task("t"));
    let first = comment(&mut c, t.id, " hello ");
    assert_eq!(first.content, "hello");
    let updated = comments::update(
        &mut c,
        UpdateComment {
            id: first.id,
            content: "bye".into(),
        },
    )
    .unwrap();
    assert_eq!(updated.content, "bye");
    assert_eq!(comments::list(&mut c, items(t.id)).unwrap().count, 1);
    comments::delete(&mut c, first.id).unwrap();
    assert_eq!(
        comments::get(&mut c, first.id).unwrap_err().to_string(),
        format!("Comment not found: {}", first.id)
    );
    assert_eq!(
        comments::list(&mut c, items(999)).unwrap_err().to_string(),
        "Task not found: 999"
    );
    let err = comments::add(
        &mut c,
        AddComment {
            task_id: t.id,
            content: " ".into(),
            created_by: None,
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("`content`"));
}

#[test]
fn move_comment_copies_and_leaves_a_forwarding_note() {
    let (_d, mut c) = conn();
    let a = create(&mut c, new_task("a"));
    let b = create(&mut c, new_task("b"));
    let original = comment(&mut c, a.id, "note");
    let moved = comments::move_to(
        &mut c,
        MoveComment {
            comment_id: original.id,
            to_task_id: b.id,
        },
    )
    .unwrap();
    assert_eq!(
        (
            moved.task_id,
            moved.content.as_str(),
            moved.created_by.as_deref()
        ),
        (b.id, "note", Some("bob"))
    );
    let left = comments::get(&mut c, original.id).unwrap();
    assert_eq!(
        left.content,
        format!("Comment moved to task {} comment {}", b.id, moved.id)
    );
    let err = comments::move_to(
        &mut c,
        MoveComment {
            comment_id: moved.id,
            to_task_id: b.id,
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("already belongs"), "{err}");
    let err = comments::move_to(
        &mut c,
        MoveComment {
            comment_id: moved.id,
            to_task_id: 500,
        },
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "Target task not found: 500");
}

#[test]
fn links_crud() {
    let (_d, mut c) = conn();
    let t = create(&mut c, new_task("t"));
    let link = links::add(
        &mut c,
        AddLink {
            task_id: t.id,
            url: " https://x.test/pr/1 ".into(),
            description: Some("PR".into()),
            created_by: None,
        },
    )
    .unwrap();
    assert_eq!(link.url, "https://x.test/pr/1");
    let cleared = links::update(
        &mut c,
        UpdateLink {
            id: link.id,
            url: None,
            description: Some(None),
        },
    )
    .unwrap();
    assert_eq!(
        (cleared.url.as_str(), cleared.description),
        ("https://x.test/pr/1", None)
    );
    let err = links::update(
        &mut c,
        UpdateLink {
            id: link.id,
            url: Some(String::new()),
            description: None,
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("`url`"));
    assert_eq!(links::list(&mut c, items(t.id)).unwrap().count, 1);
    links::delete(&mut c, link.id).unwrap();
    assert_eq!(
        links::delete(&mut c, link.id).unwrap_err().to_string(),
        format!("Link not found: {}", link.id)
    );
}
