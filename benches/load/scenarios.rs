//! What each session sends in a scenario. Arguments vary per call (ids, agents, queues) from a cheap
//! per-session xorshift generator, so the server does not serve one cached row.

use crate::client::McpSession;
use crate::seed::{AGENTS, QUEUES, tasks};

pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scenario {
    GetTask,
    GetMyQueue,
    ListTasks,
    /// search_tasks for one task's number: a word only that task (and its comment) holds.
    SearchOne,
    /// search_tasks for two words held by 10,000 and 1,000 tasks: ranks 1,000 matches, returns 20.
    SearchBroad,
    CreateTask,
    AddComment,
    UpdateTask,
    /// signup → comment → link → move or complete, per agent.
    AgentWorkflow,
}

impl Scenario {
    pub const ALL: [Scenario; 9] = [
        Scenario::GetTask,
        Scenario::GetMyQueue,
        Scenario::ListTasks,
        Scenario::SearchOne,
        Scenario::SearchBroad,
        Scenario::CreateTask,
        Scenario::AddComment,
        Scenario::UpdateTask,
        Scenario::AgentWorkflow,
    ];

    /// Short name for `TINYTASK_BENCH_ONLY`.
    pub fn key(self) -> &'static str {
        match self {
            Scenario::GetTask => "get_task",
            Scenario::GetMyQueue => "get_my_queue",
            Scenario::ListTasks => "list_tasks",
            Scenario::SearchOne => "search",
            Scenario::SearchBroad => "search_broad",
            Scenario::CreateTask => "create_task",
            Scenario::AddComment => "add_comment",
            Scenario::UpdateTask => "update_task",
            Scenario::AgentWorkflow => "workflow",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Scenario::GetTask => "read: get_task",
            Scenario::GetMyQueue => "read: get_my_queue",
            Scenario::ListTasks => "read: list_tasks (queue + status, limit 50)",
            Scenario::SearchOne => "read: search_tasks (1 word, 1 match)",
            Scenario::SearchBroad => "read: search_tasks (2 words, 1,000 matches, limit 20)",
            Scenario::CreateTask => "write: create_task",
            Scenario::AddComment => "write: add_comment",
            Scenario::UpdateTask => "write: update_task (status, assignee)",
            Scenario::AgentWorkflow => "mix: agent workflow",
        }
    }

    pub fn is_write(self) -> bool {
        matches!(
            self,
            Scenario::CreateTask
                | Scenario::AddComment
                | Scenario::UpdateTask
                | Scenario::AgentWorkflow
        )
    }
}

/// Per-session state of the agent workflow.
#[derive(Default)]
pub struct Workflow {
    step: usize,
    task: Option<i64>,
}

fn claimed_id(body: &[u8]) -> Option<i64> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    v.pointer("/result/structuredContent/task/id")?.as_i64()
}

/// A search answer must hold `n` results: a search that silently finds nothing would measure nothing.
/// A substring of `structuredContent` (compact JSON), not a parse: the client shares the server's CPUs.
fn expect_results(body: &[u8], n: usize) -> Result<(), String> {
    let want = format!(r#""count":{n},"results""#);
    if body.windows(want.len()).any(|w| w == want.as_bytes()) {
        Ok(())
    } else {
        let text = String::from_utf8_lossy(body);
        Err(format!(
            "search_tasks: expected {n} results: {}",
            &text[..text.len().min(300)]
        ))
    }
}

/// Issues one tool call of the scenario; returns the call's outcome.
pub async fn step(
    s: &mut McpSession,
    scenario: Scenario,
    rng: &mut Rng,
    agent: usize,
    wf: &mut Workflow,
) -> Result<(), String> {
    let task = rng.below(tasks()) + 1;
    let other = rng.below(AGENTS);
    let queue = rng.below(QUEUES);
    match scenario {
        Scenario::GetTask => s.call("get_task", &format!(r#"{{"id":{task}}}"#)).await.map(drop),
        Scenario::GetMyQueue => s.call("get_my_queue", &format!(r#"{{"agent_name":"agent-{other}"}}"#)).await.map(drop),
        Scenario::ListTasks => s
            .call(
                "list_tasks",
                &format!(r#"{{"queue_name":"queue-{queue}","status":["idle","working"],"limit":50}}"#),
            )
            .await
            .map(drop),
        Scenario::SearchOne => s
            .call("search_tasks", &format!(r#"{{"query":"{task}"}}"#))
            .await
            .and_then(|body| expect_results(&body, 1)),
        Scenario::SearchBroad => s
            .call(
                "search_tasks",
                &format!(r#"{{"query":"benchmark q{queue}","limit":20}}"#),
            )
            .await
            .and_then(|body| expect_results(&body, 20)),
        Scenario::CreateTask => s
            .call(
                "create_task",
                &format!(
                    r#"{{"title":"Bench task {task}","created_by":"bench","assigned_to":"agent-{other}","queue_name":"queue-{queue}","priority":{},"tags":["bench"]}}"#,
                    task % 5
                ),
            )
            .await
            .map(drop),
        Scenario::AddComment => s
            .call("add_comment", &format!(r#"{{"task_id":{task},"content":"Bench comment","created_by":"agent-{other}"}}"#))
            .await
            .map(drop),
        Scenario::UpdateTask => {
            let status = ["idle", "working"][rng.below(2)];
            s.call("update_task", &format!(r#"{{"id":{task},"status":"{status}","assigned_to":"agent-{other}","changed_by":"bench"}}"#))
                .await
                .map(drop)
        }
        Scenario::AgentWorkflow => workflow_step(s, agent, other, wf).await,
    }
}

async fn workflow_step(
    s: &mut McpSession,
    agent: usize,
    other: usize,
    wf: &mut Workflow,
) -> Result<(), String> {
    let me = format!("agent-{agent}");
    let result = match (wf.step, wf.task) {
        (_, None) | (0, _) => {
            let body = s.call("signup_for_task", &format!(r#"{{"agent_name":"{me}"}}"#)).await?;
            wf.task = claimed_id(&body);
            wf.step = usize::from(wf.task.is_some());
            return Ok(());
        }
        (1, Some(id)) => s.call("add_comment", &format!(r#"{{"task_id":{id},"content":"Working on it","created_by":"{me}"}}"#)).await,
        (2, Some(id)) => s
            .call("add_link", &format!(r#"{{"task_id":{id},"url":"https://example.test/pr/{id}","description":"PR","created_by":"{me}"}}"#))
            .await,
        (_, Some(id)) => {
            let r = if id % 2 == 0 {
                let to = if other == agent { (other + 1) % AGENTS } else { other };
                s.call("move_task", &format!(r#"{{"task_id":{id},"current_agent":"{me}","new_agent":"agent-{to}","comment":"Over to you"}}"#))
                    .await
            } else {
                s.call("update_task", &format!(r#"{{"id":{id},"status":"complete","changed_by":"{me}"}}"#)).await
            };
            wf.step = 0;
            wf.task = None;
            return r.map(drop);
        }
    };
    wf.step += 1;
    result.map(drop)
}
