use super::*;
use crate::config::{Toolset, Toolsets};
use crate::mcp::tools::ToolRegistry;

/// The newest legacy version: it lists outputSchema, so its tools/list is the largest.
const LATEST: &str = "2025-11-25";
/// The oldest version: no outputSchema, no titles in the spec (the same entries without output schemas).
const OLDEST: &str = "2024-11-05";
/// The budget of `core` (issue 13 §3): what an agent's work loop costs in its context.
const CORE_BUDGET_BYTES: usize = 12 * 1024;

/// Every named set, each as its own TINYTASK_TOOLSETS value.
const SETS: [Toolset; 9] = [
    Toolset::Core,
    Toolset::Tasks,
    Toolset::Subtasks,
    Toolset::Queues,
    Toolset::Comments,
    Toolset::Links,
    Toolset::Coordination,
    Toolset::Search,
    Toolset::All,
];

fn only(set: Toolset) -> Toolsets {
    Toolsets::parse(set.as_str()).unwrap()
}

fn listed(registry: &ToolRegistry, version: &str, sets: &Toolsets) -> (Vec<String>, usize) {
    let list = registry.list(version, sets);
    let names = list["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect();
    (names, serde_json::to_string(&list).unwrap().len())
}

#[test]
fn every_tool_belongs_to_a_named_set_and_all_is_never_declared() {
    for tool in &ToolRegistry::new().tools {
        assert!(
            !tool.sets.is_empty(),
            "{} belongs to no tool set",
            tool.name
        );
        assert!(
            !tool.sets.contains(&Toolset::All),
            "{}: `all` is implied",
            tool.name
        );
    }
}

#[test]
fn core_is_the_work_loop() {
    let (names, _) = listed(&ToolRegistry::new(), LATEST, &only(Toolset::Core));
    assert_eq!(
        names,
        [
            "update_task",
            "get_task",
            "move_task",
            "add_comment",
            "search_tasks",
            "wait_for_task",
            "heartbeat",
            "release_task",
            "list_ready_tasks",
        ]
    );
}

#[test]
fn core_tools_list_fits_its_budget() {
    let (_, bytes) = listed(&ToolRegistry::new(), LATEST, &only(Toolset::Core));
    assert!(
        bytes <= CORE_BUDGET_BYTES,
        "core tools/list is {bytes} bytes, over {CORE_BUDGET_BYTES}"
    );
}

#[test]
fn every_set_lists_something_and_the_union_of_the_named_sets_is_all() {
    let registry = ToolRegistry::new();
    let mut union = std::collections::BTreeSet::new();
    for set in SETS {
        let (names, _) = listed(&registry, LATEST, &only(set));
        assert!(!names.is_empty(), "{} lists no tool", set.as_str());
        if set != Toolset::All {
            union.extend(names);
        }
    }
    let (all, _) = listed(&registry, LATEST, &Toolsets::all());
    assert_eq!(union.into_iter().collect::<Vec<_>>().len(), all.len());
    assert_eq!(all.len(), registry.names().count());
}

#[test]
fn overlapping_sets_serve_their_union_once() {
    let registry = ToolRegistry::new();
    let (both, _) = listed(
        &registry,
        LATEST,
        &Toolsets::parse("core,coordination").unwrap(),
    );
    let mut unique = both.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), both.len());
    for name in ["wait_for_task", "get_events", "get_task", "add_dependency"] {
        assert!(both.iter().any(|n| n == name), "{name}");
    }
    assert!(!both.iter().any(|n| n == "create_task"));
}

#[test]
fn a_hidden_tool_is_refused_naming_the_sets_to_enable() {
    let registry = ToolRegistry::new();
    let core = only(Toolset::Core);
    let refused = |name: &str, sets: &Toolsets| refusal(registry.get(name).unwrap(), sets);
    assert_eq!(
        refused("create_subtask", &core).as_deref(),
        Some(
            "create_subtask is not enabled on this server: add subtasks to TINYTASK_TOOLSETS (now: core)"
        )
    );
    assert_eq!(
        refused("wait_for_task", &Toolsets::parse("queues,links").unwrap()).as_deref(),
        Some(
            "wait_for_task is not enabled on this server: add core or coordination to TINYTASK_TOOLSETS \
             (now: queues,links)"
        )
    );
    assert_eq!(refused("get_task", &core), None);
    assert_eq!(refused("clear_queue", &Toolsets::all()), None);
}

/// Prints the table of docs/benchmarks.md "Tool sets: tools/list bytes (issue 13)":
/// `cargo test --lib toolsets::tests::print_tools_list_bytes -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement printer, not a check"]
#[allow(clippy::print_stdout)] // stdio mode owns stdout, but this runs in the test harness only
fn print_tools_list_bytes() {
    let registry = ToolRegistry::new();
    println!("| TINYTASK_TOOLSETS | tools | bytes {LATEST} | bytes {OLDEST} |");
    println!("|---|---|---|---|");
    for set in SETS {
        let (names, latest) = listed(&registry, LATEST, &only(set));
        let (_, oldest) = listed(&registry, OLDEST, &only(set));
        println!(
            "| `{}` | {} | {latest} | {oldest} |",
            set.as_str(),
            names.len()
        );
    }
}

#[test]
fn prompts_are_told_which_of_their_tools_are_hidden() {
    let tools = crate::mcp::tools::ToolRegistry::new();
    let core = Toolsets::parse("core").unwrap();
    let text = "Claim with wait_for_task(agent_name), then create_subtask(parent_task_id, title).";
    let note = super::hidden_note(text, &tools, &core).expect("create_subtask is not in core");
    assert!(
        note.contains("create_subtask") && !note.contains("wait_for_task"),
        "{note}"
    );
    assert!(note.contains("TINYTASK_TOOLSETS=core"), "{note}");
    assert_eq!(super::hidden_note(text, &tools, &Toolsets::all()), None);
}
