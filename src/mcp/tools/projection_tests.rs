//! `fields` / `view` on every task-list tool: the kept keys, the default unchanged, the errors, and answers
//! that still fit the declared output schema.

use super::*;
use crate::domain::projection::{SUMMARY, TaskField};
use serde_json::{Map, json};

const ALL_KEYS: usize = TaskField::ALL.len();

/// The task-list tools, with arguments that make each return the board's tasks (and where the tasks sit in
/// its answer).
fn list_tools(parent: i64) -> Vec<(&'static str, Value, &'static str)> {
    vec![
        ("list_tasks", json!({}), "/tasks"),
        ("get_my_queue", json!({"agent_name": "bob"}), "/tasks"),
        (
            "get_subtasks",
            json!({"parent_task_id": parent, "recursive": true}),
            "/subtasks",
        ),
        (
            "get_task_with_subtasks",
            json!({"task_id": parent, "recursive": true}),
            "/subtasks",
        ),
        ("get_queue_tasks", json!({"queue_name": "q"}), "/tasks"),
        ("list_ready_tasks", json!({}), "/tasks"),
        ("search_tasks", json!({"query": "alpha"}), "/results"),
    ]
}

struct Fixture {
    registry: ToolRegistry,
    board: Board,
    parent: i64,
    _dir: crate::domain::test_support::TestDb,
}

async fn fixture() -> Fixture {
    let (dir, pool) = crate::domain::test_support::pool("projection", 2);
    let board = Board::new(pool);
    let registry = ToolRegistry::new();
    let f = Fixture {
        registry,
        board,
        parent: 0,
        _dir: dir,
    };
    let parent = f
        .call_ok(
            "create_task",
            json!({"title": "alpha parent", "created_by": "t", "assigned_to": "bob", "queue_name": "q",
                   "description": "a long description nobody needs in a list", "tags": ["x"]}),
        )
        .await;
    let parent = parent["id"].as_i64().unwrap();
    for i in 0..3 {
        f.call_ok(
            "create_subtask",
            json!({"parent_task_id": parent, "title": format!("alpha child {i}"), "created_by": "t",
                   "assigned_to": "bob", "priority": i}),
        )
        .await;
    }
    Fixture { parent, ..f }
}

impl Fixture {
    async fn call(&self, name: &str, args: Value) -> Result<Value, String> {
        let tool = self.registry.get(name).unwrap();
        self.registry
            .run(tool, &self.board, args, Stop::never())
            .await
            .map(|raw| serde_json::from_str(raw.get()).unwrap())
            .map_err(|e| e.to_string())
    }

    async fn call_ok(&self, name: &str, args: Value) -> Value {
        self.call(name, args)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    /// The listed tasks of `name`'s answer with `extra` arguments merged in.
    async fn tasks(
        &self,
        name: &str,
        args: &Value,
        at: &str,
        extra: Value,
    ) -> Vec<Map<String, Value>> {
        let mut args = args.clone();
        args.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let out = self.call_ok(name, args).await;
        let items = out.pointer(at).and_then(Value::as_array).unwrap().clone();
        assert!(!items.is_empty(), "{name}: no tasks in {out}");
        items
            .into_iter()
            .map(|item| {
                let task = if name == "search_tasks" {
                    item["task"].clone()
                } else {
                    item
                };
                task.as_object().unwrap().clone()
            })
            .collect()
    }
}

fn keys(task: &Map<String, Value>) -> Vec<&str> {
    task.keys().map(String::as_str).collect()
}

/// The declared item schema of `name`'s task list.
fn item_schema(registry: &ToolRegistry, name: &str, at: &str) -> Value {
    let output = Value::Object(registry.get(name).unwrap().output_schema().clone());
    let list = &output["properties"][at.trim_start_matches('/')]["items"];
    if name == "search_tasks" {
        list["properties"]["task"].clone()
    } else {
        list.clone()
    }
}

/// What a JSON Schema validator would check of a task object against the declared item schema: every key
/// declared, every required key present, no additional keys.
fn fits(schema: &Value, task: &Map<String, Value>) -> bool {
    let props = schema["properties"].as_object().unwrap();
    let required = schema["required"].as_array().unwrap();
    task.keys().all(|k| props.contains_key(k))
        && required
            .iter()
            .all(|r| task.contains_key(r.as_str().unwrap()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_list_tool_projects_and_defaults_to_whole_tasks() {
    let f = fixture().await;
    let summary_keys: Vec<&str> = SUMMARY.iter().map(|k| k.key()).collect();
    for (name, args, at) in list_tools(f.parent) {
        let whole = f.tasks(name, &args, at, json!({})).await;
        for task in &whole {
            assert_eq!(task.len(), ALL_KEYS, "{name}: {task:?}");
            // The whole task is get_task's view (without relations).
            let id = task["id"].clone();
            let got = f.call_ok("get_task", json!({"id": id})).await;
            for (k, v) in task {
                assert_eq!(&got[k], v, "{name}: {k}");
            }
        }
        let summary = f.tasks(name, &args, at, json!({"view": "summary"})).await;
        let lean = f
            .tasks(name, &args, at, json!({"fields": ["status", "title"]}))
            .await;
        let both = f
            .tasks(
                name,
                &args,
                at,
                json!({"view": "summary", "fields": ["tags"]}),
            )
            .await;
        let full = f.tasks(name, &args, at, json!({"view": "full"})).await;
        assert_eq!(full, whole, "{name}: view full is the default");
        assert_eq!(summary.len(), whole.len(), "{name}");
        let schema = item_schema(&f.registry, name, at);
        for (i, w) in whole.iter().enumerate() {
            assert_eq!(keys(&summary[i]), summary_keys, "{name}");
            assert_eq!(keys(&lean[i]), ["id", "title", "status"], "{name}");
            assert_eq!(
                keys(&both[i]),
                [
                    "id",
                    "title",
                    "status",
                    "assigned_to",
                    "priority",
                    "tags",
                    "queue_name",
                    "is_currently_blocked"
                ],
                "{name}"
            );
            for (k, v) in &summary[i] {
                assert_eq!(&w[k], v, "{name}: summary {k} differs from the whole task");
            }
            for t in [w, &summary[i], &lean[i], &both[i]] {
                assert!(fits(&schema, t), "{name}: {t:?} does not fit {schema}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn projection_errors_name_the_parameter_and_the_allowed_values() {
    let f = fixture().await;
    for (name, args, _) in list_tools(f.parent) {
        let with = |extra: Value| {
            let mut a = args.clone();
            a.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            a
        };
        let err = f
            .call(name, with(json!({"fields": ["id", "owner"]})))
            .await
            .unwrap_err();
        assert!(
            err.contains("`fields[1]`") && err.contains("\"owner\""),
            "{name}: {err}"
        );
        assert!(err.contains(&TaskField::allowed()), "{name}: {err}");
        let err = f
            .call(name, with(json!({"view": "tiny"})))
            .await
            .unwrap_err();
        assert!(
            err.contains("`view`") && err.contains("full, summary"),
            "{name}: {err}"
        );
        let err = f.call(name, with(json!({"fields": []}))).await.unwrap_err();
        assert!(
            err.contains("`fields`") && err.contains("at least one"),
            "{name}: {err}"
        );
        let err = f
            .call(name, with(json!({"fields": "id"})))
            .await
            .unwrap_err();
        assert!(
            err.contains("`fields`") && err.contains("an array"),
            "{name}: {err}"
        );
        // Values of the wrong type still get the allowed values.
        let err = f.call(name, with(json!({"view": 5}))).await.unwrap_err();
        assert!(
            err.contains("`view`") && err.contains("one of full, summary"),
            "{name}: {err}"
        );
        let err = f
            .call(name, with(json!({"fields": [5]})))
            .await
            .unwrap_err();
        assert!(
            err.contains("`fields[0]`") && err.contains(&TaskField::allowed()),
            "{name}: {err}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_queue_tasks_does_not_echo_the_projection_as_a_filter() {
    let f = fixture().await;
    let out = f
        .call_ok(
            "get_queue_tasks",
            json!({"queue_name": "q", "view": "summary", "status": "idle"}),
        )
        .await;
    assert_eq!(
        out["filters"],
        json!({"status": ["idle"], "include_archived": false})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lean_answer_is_smaller() {
    let f = fixture().await;
    let whole = f.call_ok("list_tasks", json!({})).await.to_string().len();
    let lean = f
        .call_ok("list_tasks", json!({"fields": ["title"]}))
        .await
        .to_string()
        .len();
    assert!(lean * 3 < whole, "lean {lean} bytes vs whole {whole}");
}
