//! Text renderings of the `text/plain` resources (formats of TinyTask 2.x, with the hierarchy drawn as a
//! real tree instead of 2.x's flattened list).

use crate::domain::TaskStatus;
use crate::domain::projection::Listed;
use crate::domain::queues::QueueStats;
use crate::domain::views::Task;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::fmt::Write;

fn assignee(task: &Task) -> &str {
    task.assigned_to.as_deref().unwrap_or("unassigned")
}

/// `task://hierarchy/{id}`: header lines, then every descendant under its own parent.
pub fn hierarchy(root: &Task, descendants: &[Listed]) -> String {
    let mut out = format!(
        "Task #{}: {}\nStatus: {}\nPriority: {}\n",
        root.id,
        root.title,
        root.status.as_str(),
        root.priority
    );
    if let Some(a) = &root.assigned_to {
        let _ = writeln!(out, "Assigned To: {a}");
    }
    if let Some(q) = &root.queue_name {
        let _ = writeln!(out, "Queue: {q}");
    }
    if let Some(d) = &root.description {
        let _ = writeln!(out, "Description: {d}");
    }
    let _ = write!(out, "\nSubtask Count: {}\n", descendants.len());
    if descendants.is_empty() {
        return out;
    }
    let mut children: HashMap<i32, Vec<&Task>> = HashMap::new();
    for t in descendants.iter().map(|l| &**l) {
        children
            .entry(t.parent_task_id.unwrap_or_default())
            .or_default()
            .push(t);
    }
    out.push_str("\nSubtasks:\n");
    draw(&mut out, &children, root.id, "");
    out
}

fn draw(out: &mut String, children: &HashMap<i32, Vec<&Task>>, parent: i32, prefix: &str) {
    let Some(kids) = children.get(&parent) else {
        return;
    };
    for (i, t) in kids.iter().enumerate() {
        let last = i + 1 == kids.len();
        let blocked = if t.is_currently_blocked {
            " (blocked)"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "{prefix}{}#{}: {} [{}] ({}){blocked}",
            if last { "└─ " } else { "├─ " },
            t.id,
            t.title,
            t.status.as_str(),
            assignee(t)
        );
        draw(
            out,
            children,
            t.id,
            &format!("{prefix}{}", if last { "   " } else { "│  " }),
        );
    }
}

/// `queue://list`.
pub fn queue_list(stats: &[QueueStats]) -> String {
    if stats.is_empty() {
        return "No queues found.\n".into();
    }
    let mut out = String::from("Active Queues:\n\n");
    for s in stats {
        let _ = write!(
            out,
            "{}:\n  Total Tasks: {}\n  Assigned: {}, Unassigned: {}\n  Status: {} idle, {} working, {} complete\n  Agents: {}\n\n",
            s.queue_name,
            s.total_tasks,
            s.assigned,
            s.unassigned,
            s.by_status.idle,
            s.by_status.working,
            s.by_status.complete,
            if s.agents.is_empty() {
                "none".to_string()
            } else {
                s.agents.join(", ")
            }
        );
    }
    out
}

/// `queue://stats/{queue_name}`.
pub fn queue_stats(s: &QueueStats) -> String {
    let mut out = format!(
        "Queue: {}\n\nTotal Tasks: {}\nAssigned: {}\nUnassigned: {}\n\nBy Status:\n  Idle: {}\n  Working: {}\n  Complete: {}\n\n",
        s.queue_name,
        s.total_tasks,
        s.assigned,
        s.unassigned,
        s.by_status.idle,
        s.by_status.working,
        s.by_status.complete
    );
    if s.agents.is_empty() {
        out.push_str("No agents assigned to this queue.\n");
    } else {
        let _ = writeln!(out, "Agents ({}):", s.agents.len());
        for a in &s.agents {
            let _ = writeln!(out, "  - {a}");
        }
    }
    out
}

/// `queue://tasks/{queue_name}`: tasks grouped by status.
pub fn queue_tasks(queue: &str, tasks: &[Listed]) -> String {
    if tasks.is_empty() {
        return format!("No tasks found in queue: {queue}\n");
    }
    let mut out = format!("Queue: {queue}\nTotal Tasks: {}\n\n", tasks.len());
    for status in TaskStatus::ALL {
        let group: Vec<&Task> = tasks
            .iter()
            .map(|l| &**l)
            .filter(|t| t.status == status)
            .collect();
        if group.is_empty() {
            continue;
        }
        let label = status.as_str();
        let _ = writeln!(
            out,
            "{}{} ({}):",
            label[..1].to_uppercase(),
            &label[1..],
            group.len()
        );
        for t in group {
            let _ = writeln!(
                out,
                "  #{}: {} ({}) [priority: {}]",
                t.id,
                t.title,
                assignee(t),
                t.priority
            );
        }
        out.push('\n');
    }
    out
}

/// `queue://{agent_name}/summary`: counts by status and priority band (high > 5, medium 0–5, low < 0) of
/// the agent's open tasks, given as (status, priority) pairs.
pub fn agent_summary(agent: &str, open: &[(String, Option<i32>)]) -> Value {
    let count =
        |f: &dyn Fn(&str, i32) -> bool| open.iter().filter(|(s, p)| f(s, p.unwrap_or(0))).count();
    json!({
        "agent": agent.trim(),
        "total": open.len(),
        "by_status": {
            "idle": count(&|s, _| s == TaskStatus::Idle.as_str()),
            "working": count(&|s, _| s == TaskStatus::Working.as_str()),
        },
        "by_priority": {
            "high": count(&|_, p| p > 5),
            "medium": count(&|_, p| (0..=5).contains(&p)),
            "low": count(&|_, p| p < 0),
        },
    })
}
