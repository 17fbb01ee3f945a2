#!/usr/bin/env python3
"""Writes the seed corpora fuzz/seeds/{tools,jsonrpc}/ (valid calls of every tool, after
tests/python/test_tools.py) and the libFuzzer dictionary fuzz/tinytask.dict. Re-run after adding a tool:
    python3 fuzz/seeds/generate.py
Tool inputs are: one byte = index of the tool in the *sorted* tool names (+ 32*k selects the session's
protocol version k, see fuzz/src/lib.rs), then the JSON arguments."""
import json
import pathlib

HERE = pathlib.Path(__file__).resolve().parent

# Valid argument sets per tool. The harness starts from a small board (fuzz/src/lib.rs, Harness::populate:
# tasks 1..6, comments and links 1..3), and the fuzz db is shared by the whole process.
CALLS = {
    "add_comment": [{"task_id": 1, "content": "  hello  ", "created_by": " bob "}, {"task_id": 2, "content": "anon"}],
    "add_link": [{"task_id": 1, "url": "https://example.com/1", "description": "one"},
                 {"task_id": 1, "url": "https://example.com/a", "created_by": "architect"}],
    "add_task_to_queue": [{"task_id": 1, "queue_name": " dev "}],
    "archive_task": [{"id": 3}],
    "clear_queue": [{"queue_name": "dev"}, {"queue_name": "ghost"}],
    "create_subtask": [{"parent_task_id": 1, "title": "Child", "created_by": "tester"},
                       {"parent_task_id": "2", "title": "C2", "created_by": "t", "priority": 3, "tags": ["x"],
                        "assigned_to": "bob", "description": "d"}],
    "create_task": [{"title": "Write docs", "created_by": "alice"},
                    {"title": "Full", "created_by": "alice", "description": "Desc", "assigned_to": "bob",
                     "priority": -2, "tags": ["a", "b"], "parent_task_id": 1, "queue_name": "dev",
                     "blocked_by_task_id": 2},
                    {"title": "\u00dcn\u00efc\u00f8d\u00e9 \u2713 \"quoted\" \\ back", "created_by": "zo\u00eb",
                     "parent_task_id": None, "blocked_by_task_id": None}],
    "delete_comment": [{"id": 1}],
    "delete_link": [{"id": 1}],
    "delete_task": [{"id": 4}],
    "get_comment": [{"id": 1}],
    "get_my_queue": [{"agent_name": "alice"}],
    "get_queue_stats": [{"queue_name": "dev"}],
    "get_queue_tasks": [{"queue_name": "dev"}, {"queue_name": "dev", "status": ["idle", "working"], "limit": 2,
                                                "offset": 1, "exclude_subtasks": True}],
    "get_subtasks": [{"parent_task_id": 1, "recursive": True}, {"parent_task_id": 1, "include_archived": True}],
    "get_task": [{"id": 1}, {"id": "1"}],
    "get_task_history": [{"task_id": 1}],
    "get_task_with_subtasks": [{"task_id": 1, "recursive": True}],
    "list_comments": [{"task_id": 1}],
    "list_links": [{"task_id": 1}],
    "list_queues": [{}],
    "list_tasks": [{}, {"assigned_to": "bob", "status": "idle", "exclude_status": ["complete"], "queue_name": "dev",
                        "parent_task_id": None, "exclude_subtasks": False, "include_archived": True, "limit": 5,
                        "offset": 0}],
    "move_comment": [{"comment_id": 2, "to_task_id": 1}],
    "move_subtask": [{"subtask_id": 5, "new_parent_id": 2}, {"subtask_id": 5, "new_parent_id": None}],
    "move_task": [{"task_id": 1, "current_agent": "bob", "new_agent": "carol", "comment": "over to you"}],
    "move_task_to_queue": [{"task_id": 1, "new_queue_name": "qa"}],
    "remove_task_from_queue": [{"task_id": 1}],
    "search_tasks": [{"query": "Root"}, {"query": "\"first\" sec* NEAR( OR -x ^y", "status": ["idle", "working"],
                                          "queue_name": "dev", "assigned_to": "alice", "include_archived": True,
                                          "limit": 5, "offset": 1}],
    "signup_for_task": [{"agent_name": "alice"}, {"agent_name": "alice", "queue_name": "dev"}],
    "update_comment": [{"id": 1, "content": "v2"}],
    "update_link": [{"id": 1, "description": "two"}, {"id": 1, "url": "https://example.com/2", "description": None}],
    "update_task": [{"id": 1, "status": "working", "assigned_to": "bob", "changed_by": "alice"},
                    {"id": 2, "description": None, "tags": None, "parent_task_id": None, "queue_name": "",
                     "blocked_by_task_id": 1, "priority": "7", "title": "Renamed", "status": "complete"}],
}

RPC = [
    {"jsonrpc": "2.0", "id": 1, "method": "initialize",
     "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "c", "version": "1"}}},
    {"jsonrpc": "2.0", "method": "notifications/initialized"},
    {"jsonrpc": "2.0", "id": "a", "method": "ping"},
    {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}},
    {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "list_tasks", "arguments": {}}},
    {"jsonrpc": "2.0", "id": 4, "method": "resources/read", "params": {"uri": "queue://alice"}},
    {"jsonrpc": "2.0", "id": 5, "result": {}},
    {"jsonrpc": "2.0", "id": None, "method": "ping"},
    [{"jsonrpc": "2.0", "id": 6, "method": "ping"}, {"jsonrpc": "2.0", "method": "notifications/cancelled"}],
]


def main() -> None:
    names = sorted(CALLS)
    assert len(names) == 32, len(names)
    tools = HERE / "tools"
    tools.mkdir(exist_ok=True)
    for old in tools.iterdir():
        old.unlink()
    for index, name in enumerate(names):
        for n, args in enumerate(CALLS[name]):
            body = json.dumps(args, ensure_ascii=False, separators=(",", ":")).encode()
            (tools / f"{name}-{n}").write_bytes(bytes([index]) + body)
    rpc = HERE / "jsonrpc"
    rpc.mkdir(exist_ok=True)
    for old in rpc.iterdir():
        old.unlink()
    lines = [json.dumps(m, separators=(",", ":")) for m in RPC]
    for n, line in enumerate(lines):
        (rpc / f"message-{n}").write_text(line)
    # A whole stdio session: initialize, initialized, then requests, one per line (blank lines are skipped).
    (rpc / "session-0").write_text("\n".join(lines[:5] + ["", "not json", lines[8]]) + "\n")
    words = set()
    for name in names:
        words.add(name)
        for args in CALLS[name]:
            words.update(args)
    words.update(["jsonrpc", "2.0", "id", "method", "params", "result", "error", "name", "arguments",
                  "initialize", "notifications/initialized", "tools/call", "tools/list", "resources/read",
                  "resources/list", "resources/subscribe", "completion/complete", "logging/setLevel",
                  "protocolVersion", "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05", "idle", "working",
                  "complete", "uri", "queue://", "task://", "null", "true", "false"])
    dict_lines = ["# libFuzzer dictionary for the TinyTask targets (written by fuzz/seeds/generate.py)"]
    dict_lines += [json.dumps(w) for w in sorted(words)]
    dict_lines += ['"\\"%s\\":"' % w for w in sorted(words) if w.isidentifier()]
    (HERE.parent / "tinytask.dict").write_text("\n".join(dict_lines) + "\n")


if __name__ == "__main__":
    main()
