//! `?view=` / `?fields=` on the JSON task-list resources, and their errors.

use super::read;
use crate::domain::Board;
use crate::domain::projection::{SUMMARY, TaskField};
use crate::domain::tasks::{self, CreateTask};
use serde_json::{Value, json};

async fn board() -> (Board, crate::domain::test_support::TestDb) {
    let (dir, pool) = crate::domain::test_support::pool("resources", 2);
    let board = Board::new(pool);
    board
        .write(|c| {
            for (title, archive) in [("one", false), ("two", false), ("gone", true)] {
                let t = tasks::create(
                    c,
                    CreateTask {
                        title: title.into(),
                        created_by: "t".into(),
                        assigned_to: Some("bob".into()),
                        description: Some("text a list does not need".into()),
                        ..CreateTask::default()
                    },
                )?;
                if archive {
                    tasks::archive(c, t.id)?;
                }
            }
            Ok(())
        })
        .await
        .unwrap();
    (board, dir)
}

/// The task objects of a JSON list resource.
async fn listed(board: &Board, uri: &str) -> Vec<serde_json::Map<String, Value>> {
    let out = read(board, &json!({"uri": uri}))
        .await
        .unwrap_or_else(|e| panic!("{uri}: {e:?}"));
    assert_eq!(out["contents"][0]["uri"], uri);
    let body: Value = serde_json::from_str(out["contents"][0]["text"].as_str().unwrap()).unwrap();
    let tasks = body["tasks"].as_array().unwrap();
    assert!(!tasks.is_empty(), "{uri}: {body}");
    tasks
        .iter()
        .map(|t| t.as_object().unwrap().clone())
        .collect()
}

fn keys(t: &serde_json::Map<String, Value>) -> Vec<&str> {
    t.keys().map(String::as_str).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_task_list_resource_takes_view_and_fields() {
    let (board, _dir) = board().await;
    let summary: Vec<&str> = SUMMARY.iter().map(|f| f.key()).collect();
    for base in ["tasks://active", "tasks://archived", "queue://bob"] {
        for t in listed(&board, base).await {
            assert_eq!(t.len(), TaskField::ALL.len(), "{base}");
        }
        for t in listed(&board, &format!("{base}?view=summary")).await {
            assert_eq!(keys(&t), summary, "{base}");
        }
        for t in listed(&board, &format!("{base}?fields=title,status&offset=0")).await {
            assert_eq!(keys(&t), ["id", "title", "status"], "{base}");
        }
        let both = listed(&board, &format!("{base}?view=summary&fields=description")).await;
        assert!(keys(&both[0]).contains(&"description"), "{base}");
        assert_eq!(both[0].len(), summary.len() + 1, "{base}");
    }
    // The offset still pages a projected list.
    let second = listed(&board, "tasks://active?fields=title&offset=1").await;
    assert_eq!(second.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn projection_mistakes_are_invalid_params_naming_the_parameter() {
    let (board, _dir) = board().await;
    for (uri, names) in [
        ("tasks://active?fields=owner", "`fields`"),
        ("tasks://archived?view=tiny", "`view`"),
        ("queue://bob?fields=", "`fields`"),
        (
            "task://1/comments?view=summary",
            "tasks://active, tasks://archived",
        ),
    ] {
        let err = read(&board, &json!({"uri": uri})).await.unwrap_err();
        assert_eq!(err.code, -32602, "{uri}: {err:?}");
        assert!(err.message.contains(names), "{uri}: {err:?}");
        assert_eq!(err.data.as_deref(), Some(&json!({ "uri": uri })));
    }
    // Unknown query keys stay what they were: a resource this server does not have.
    let err = read(&board, &json!({"uri": "tasks://active?page=2"}))
        .await
        .unwrap_err();
    assert_eq!(err.code, -32002);
}
