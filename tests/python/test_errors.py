"""Argument and entity errors for every tool (table-driven).

Errors are tool results with isError and one line of text that names the parameter (or the unknown id) at fault;
an unknown tool is a JSON-RPC error. One server (one database) serves the whole module; the entities the
cases point at are created once. Destructive tools point at "victim" entities, so that a server wrongly
accepting a bad call cannot break the other cases.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from mcp import MCPError

from conftest import TOOL_PARAMS, open_tt

pytestmark = pytest.mark.anyio

UNKNOWN = 987654  # an id that never exists in this module's database

ID_PARAMS = {"id", "task_id", "parent_task_id", "blocked_by_task_id", "subtask_id", "new_parent_id", "comment_id",
             "to_task_id", "depends_on_task_id"}
INT_PARAMS = {"priority", "limit", "offset", "lease_secs", "timeout_secs", "after", "wait_secs"}
BOOL_PARAMS = {"include_archived", "exclude_subtasks", "recursive"}
ARRAY_PARAMS = {"tags", "exclude_status", "depends_on", "fields"}

# Valid arguments per tool ("$X" placeholders are replaced by the ids created in the fixture).
BASE_ARGS: dict[str, dict[str, Any]] = {
    "create_task": {"title": "x", "created_by": "x"},
    "update_task": {"id": "$T1"},
    "get_task": {"id": "$T1"},
    "delete_task": {"id": "$VT"},
    "archive_task": {"id": "$VT"},
    "list_tasks": {},
    "get_my_queue": {"agent_name": "alice"},
    "signup_for_task": {"agent_name": "nobody"},
    "move_task": {"task_id": "$VT", "current_agent": "victim-agent", "new_agent": "bob", "comment": "c"},
    "create_subtask": {"parent_task_id": "$T1", "title": "x", "created_by": "x"},
    "get_subtasks": {"parent_task_id": "$T1"},
    "get_task_with_subtasks": {"task_id": "$T1"},
    "move_subtask": {"subtask_id": "$VT"},
    "list_queues": {},
    "get_queue_stats": {"queue_name": "dev"},
    "add_task_to_queue": {"task_id": "$VT", "queue_name": "victim"},
    "remove_task_from_queue": {"task_id": "$VT"},
    "move_task_to_queue": {"task_id": "$VT", "new_queue_name": "victim"},
    "get_queue_tasks": {"queue_name": "dev"},
    "clear_queue": {"queue_name": "victim"},
    "add_comment": {"task_id": "$VT", "content": "x"},
    "update_comment": {"id": "$VC", "content": "x"},
    "delete_comment": {"id": "$VC"},
    "list_comments": {"task_id": "$T1"},
    "get_comment": {"id": "$C1"},
    "move_comment": {"comment_id": "$VC", "to_task_id": "$VT"},
    "add_link": {"task_id": "$VT", "url": "https://example.com"},
    "update_link": {"id": "$VL"},
    "delete_link": {"id": "$VL"},
    "list_links": {"task_id": "$T1"},
    "get_task_history": {"task_id": "$T1"},
    "search_tasks": {"query": "x"},
    "wait_for_task": {"agent_name": "nobody", "timeout_secs": 0},
    "heartbeat": {"task_id": "$T1", "agent_name": "nobody"},
    "release_task": {"task_id": "$T1", "agent_name": "nobody"},
    "list_ready_tasks": {},
    "add_dependency": {"task_id": "$T1", "depends_on_task_id": "$T2"},
    "remove_dependency": {"task_id": "$T1", "depends_on_task_id": "$T2"},
    "get_events": {},
}
assert set(BASE_ARGS) == set(TOOL_PARAMS)


def wrong_value(param: str) -> Any:
    if param in ID_PARAMS or param in INT_PARAMS:
        return "abc"
    if param in BOOL_PARAMS:
        return "yes"
    if param in ARRAY_PARAMS:
        return 42
    if param == "status":
        return 5
    return 123  # a number for a string


def word(name: str) -> str:
    """Marker for 'name appears as a whole word' (so `id` does not match inside `invalid`)."""
    return f"word:{name}"


def _cases() -> list[Any]:
    cases: list[Any] = []

    def add(case_id: str, tool: str, args: dict, expected: list[str]) -> None:
        cases.append(pytest.param(tool, args, expected, id=case_id))

    for tool, (required, optional) in TOOL_PARAMS.items():
        base = BASE_ARGS[tool]
        # missing each required parameter
        for p in required:
            args = {k: v for k, v in base.items() if k != p}
            add(f"{tool}-missing-{p}", tool, args, [word(p), "missing"])
        # wrong type for every parameter
        for p in required + optional:
            add(f"{tool}-wrongtype-{p}", tool, {**base, p: wrong_value(p)}, [word(p)])
        # unknown extra parameter: named, and the allowed parameters are listed (TOOLS.md "allowed: …")
        add(f"{tool}-unknown-param", tool, {**base, "bogus_param": 1},
            ["bogus_param"] + [word(p) for p in required + optional])

    # unknown ids, on every tool that takes one
    unknown_id_cases = [
        ("update_task", {"id": UNKNOWN, "title": "x"}),
        ("update_task", {"id": "$T1", "parent_task_id": UNKNOWN}),
        ("update_task", {"id": "$T1", "blocked_by_task_id": UNKNOWN}),
        ("get_task", {"id": UNKNOWN}),
        ("delete_task", {"id": UNKNOWN}),
        ("archive_task", {"id": UNKNOWN}),
        ("create_task", {"title": "x", "created_by": "x", "parent_task_id": UNKNOWN}),
        ("create_task", {"title": "x", "created_by": "x", "blocked_by_task_id": UNKNOWN}),
        ("move_task", {"task_id": UNKNOWN, "current_agent": "a", "new_agent": "b", "comment": "c"}),
        ("create_subtask", {"parent_task_id": UNKNOWN, "title": "x", "created_by": "x"}),
        ("get_subtasks", {"parent_task_id": UNKNOWN}),
        ("get_task_with_subtasks", {"task_id": UNKNOWN}),
        ("move_subtask", {"subtask_id": UNKNOWN}),
        ("move_subtask", {"subtask_id": "$T2", "new_parent_id": UNKNOWN}),
        ("add_task_to_queue", {"task_id": UNKNOWN, "queue_name": "q"}),
        ("remove_task_from_queue", {"task_id": UNKNOWN}),
        ("move_task_to_queue", {"task_id": UNKNOWN, "new_queue_name": "q"}),
        ("add_comment", {"task_id": UNKNOWN, "content": "x"}),
        ("update_comment", {"id": UNKNOWN, "content": "x"}),
        ("delete_comment", {"id": UNKNOWN}),
        ("list_comments", {"task_id": UNKNOWN}),
        ("get_comment", {"id": UNKNOWN}),
        ("move_comment", {"comment_id": UNKNOWN, "to_task_id": "$T2"}),
        ("move_comment", {"comment_id": "$C1", "to_task_id": UNKNOWN}),
        ("add_link", {"task_id": UNKNOWN, "url": "https://example.com"}),
        ("update_link", {"id": UNKNOWN, "url": "https://example.com"}),
        ("delete_link", {"id": UNKNOWN}),
        ("list_links", {"task_id": UNKNOWN}),
        ("get_task_history", {"task_id": UNKNOWN}),
        ("heartbeat", {"task_id": UNKNOWN, "agent_name": "a"}),
        ("release_task", {"task_id": UNKNOWN, "agent_name": "a"}),
        ("add_dependency", {"task_id": UNKNOWN, "depends_on_task_id": "$T2"}),
        ("add_dependency", {"task_id": "$T1", "depends_on_task_id": UNKNOWN}),
        ("remove_dependency", {"task_id": UNKNOWN, "depends_on_task_id": "$T2"}),
        ("create_task", {"title": "x", "created_by": "x", "depends_on": [UNKNOWN]}),
        ("update_task", {"id": "$T1", "depends_on": [UNKNOWN]}),
    ]
    for tool, args in unknown_id_cases:
        param = next(k for k, v in args.items() if v in (UNKNOWN, [UNKNOWN]))
        add(f"{tool}-unknown-id-{param}", tool, args, [str(UNKNOWN)])

    # bad enum values: the message names the parameter and lists the allowed values
    allowed = ["done", "idle", "working", "complete"]
    add("update_task-bad-status", "update_task", {"id": "$T1", "status": "done"}, [word("status")] + allowed)
    add("list_tasks-bad-status", "list_tasks", {"status": "done"}, [word("status")] + allowed)
    add("list_tasks-bad-status-in-array", "list_tasks", {"status": ["idle", "done"]}, [word("status")] + allowed)
    add("list_tasks-bad-exclude_status", "list_tasks", {"exclude_status": ["done"]},
        [word("exclude_status")] + allowed)
    add("get_queue_tasks-bad-status", "get_queue_tasks", {"queue_name": "dev", "status": "done"},
        [word("status")] + allowed)
    add("get_queue_tasks-bad-exclude_status", "get_queue_tasks", {"queue_name": "dev", "exclude_status": ["done"]},
        [word("exclude_status")] + allowed)

    # integer-id rules: null, "", fractional floats, booleans and ids < 1 are rejected
    for label, value in [("null", None), ("empty-string", ""), ("float", 1.5), ("bool", True), ("zero", 0),
                         ("negative", -3), ("non-numeric-string", "5x")]:
        add(f"get_task-id-{label}", "get_task", {"id": value}, [word("id")])
    add("add_comment-task_id-null", "add_comment", {"task_id": None, "content": "x"}, [word("task_id")])
    add("move_comment-to_task_id-float", "move_comment", {"comment_id": "$C1", "to_task_id": 2.5},
        [word("to_task_id")])

    # required strings must be non-blank
    for tool, args, p in [
        ("create_task", {"title": "   ", "created_by": "x"}, "title"),
        ("create_task", {"title": "x", "created_by": "  "}, "created_by"),
        ("create_subtask", {"parent_task_id": "$T1", "title": "", "created_by": "x"}, "title"),
        ("get_my_queue", {"agent_name": "  "}, "agent_name"),
        ("signup_for_task", {"agent_name": ""}, "agent_name"),
        ("move_task", {"task_id": "$T1", "current_agent": "alice", "new_agent": "bob", "comment": "  "}, "comment"),
        ("move_task", {"task_id": "$T1", "current_agent": " ", "new_agent": "bob", "comment": "c"}, "current_agent"),
        ("move_task", {"task_id": "$T1", "current_agent": "alice", "new_agent": "", "comment": "c"}, "new_agent"),
        ("add_comment", {"task_id": "$T1", "content": "   "}, "content"),
        ("update_comment", {"id": "$C1", "content": ""}, "content"),
        ("add_link", {"task_id": "$T1", "url": "  "}, "url"),
        ("get_queue_stats", {"queue_name": " "}, "queue_name"),
        ("add_task_to_queue", {"task_id": "$T1", "queue_name": ""}, "queue_name"),
        ("move_task_to_queue", {"task_id": "$T1", "new_queue_name": "  "}, "new_queue_name"),
        ("get_queue_tasks", {"queue_name": ""}, "queue_name"),
        ("clear_queue", {"queue_name": "  "}, "queue_name"),
        ("update_task", {"id": "$T1", "title": "  "}, "title"),
    ]:
        add(f"{tool}-blank-{p}", tool, args, [word(p)])

    # numeric ranges and lengths
    long_name = "q" * 256
    for tool, args, p in [
        ("list_tasks", {"limit": 0}, "limit"),
        ("list_tasks", {"offset": -1}, "offset"),
        ("list_tasks", {"limit": 2.5}, "limit"),
        ("get_queue_tasks", {"queue_name": "dev", "limit": 0}, "limit"),
        ("get_queue_tasks", {"queue_name": "dev", "offset": -5}, "offset"),
        ("create_task", {"title": "x", "created_by": "x", "priority": 1.5}, "priority"),
        ("create_task", {"title": "x", "created_by": "x", "tags": [1, 2]}, "tags"),
        ("create_task", {"title": "x", "created_by": "x", "queue_name": long_name}, "queue_name"),
        ("add_task_to_queue", {"task_id": "$T1", "queue_name": long_name}, "queue_name"),
        ("move_task_to_queue", {"task_id": "$T1", "new_queue_name": long_name}, "new_queue_name"),
        ("update_task", {"id": "$T1", "queue_name": long_name}, "queue_name"),
    ]:
        add(f"{tool}-range-{p}-{args[p] if not isinstance(args[p], str) else 'long'}", tool, args, [word(p)])

    # create_task has no status parameter (tasks always start idle)
    add("create_task-status-is-unknown", "create_task", {"title": "x", "created_by": "x", "status": "working"},
        [word("status")])
    return cases


CASES = _cases()


def resolve(value: Any, ctx: dict[str, int]) -> Any:
    if isinstance(value, str) and value.startswith("$"):
        return ctx[value[1:]]
    if isinstance(value, dict):
        return {k: resolve(v, ctx) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, ctx) for v in value]
    return value


@pytest.fixture(scope="module")
async def ett(tmp_path_factory):
    """One server for the module, with: T1 (alice), T2, comment C1 on T1, link L1 on T1, and the victims VT, VC
    (comment on T2) and VL (link on T2)."""
    async with open_tt(tmp_path_factory.mktemp("errors")) as server:
        t1 = await server.create("T1", assigned_to="alice", queue_name="dev")
        t2 = await server.create("T2")
        vt = await server.create("Victim", queue_name="victim")
        c1 = await server.call("add_comment", {"task_id": t1["id"], "content": "c1"})
        vc = await server.call("add_comment", {"task_id": t2["id"], "content": "victim"})
        l1 = await server.call("add_link", {"task_id": t1["id"], "url": "https://example.com/l1"})
        vl = await server.call("add_link", {"task_id": t2["id"], "url": "https://example.com/victim"})
        server.ctx = {"T1": t1["id"], "T2": t2["id"], "VT": vt["id"], "C1": c1["id"], "VC": vc["id"],
                      "L1": l1["id"], "VL": vl["id"]}
        assert UNKNOWN not in server.ctx.values()
        yield server


def check_expected(text: str, expected: list[str]) -> None:
    for e in expected:
        if e.startswith("word:"):
            name = e[5:]
            assert re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", text), \
                f"error text does not name `{name}`: {text!r}"
        elif e == "missing":
            assert "missing" in text.lower(), f"error text does not say 'missing': {text!r}"
        else:
            assert e in text, f"{e!r} not in error text: {text!r}"


@pytest.mark.parametrize(("tool", "args", "expected"), CASES)
async def test_tool_error(ett, tool, args, expected):
    text = await ett.err(tool, resolve(args, ett.ctx))
    check_expected(text, expected)


async def test_error_cases_left_victims_alone(ett):
    """Every case above failed without side effects on the entities the fixture made."""
    ctx = ett.ctx
    vt = await ett.get(ctx["VT"])
    assert vt["archived_at"] is None and vt["queue_name"] == "victim" and vt["parent_task_id"] is None
    assert vt["comments"] == [] and vt["links"] == []
    assert (await ett.call("get_comment", {"id": ctx["VC"]}))["content"] == "victim"
    links = (await ett.call("list_links", {"task_id": ctx["T2"]}))["links"]
    assert [link["url"] for link in links] == ["https://example.com/victim"]
    titles = [t["title"] for t in await ett.list(include_archived=True)]
    assert sorted(titles) == ["T1", "T2", "Victim"]


async def test_unknown_tool_is_jsonrpc_invalid_params_error(ett):
    with pytest.raises(MCPError) as info:
        await ett.session.call_tool("no_such_tool", {})
    assert info.value.code == -32602
    assert "no_such_tool" in info.value.message


async def test_missing_arguments_object_reports_required_parameter(ett):
    res = await ett.session.call_tool("get_task", None)
    assert res.is_error is True
    assert re.search(r"(?<![A-Za-z0-9_])id(?![A-Za-z0-9_])", res.content[0].text), res.content[0].text
