"""Tool sets (TINYTASK_TOOLSETS, issue 13 §3; README "Tool sets"): which tools a configured server lists, the
size of `core`'s tools/list, the error for a tool outside the sets, the startup error for an unknown set name,
and that the REST API (the operator's surface) and the per-tool metrics are not narrowed."""

from __future__ import annotations

import json
import subprocess

import httpx2
import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families

from conftest import LATEST_VERSION, TOOL_PARAMS, open_tt, require_binary, server_env
from http_support import start_server, streamable_session  # noqa: F401 (fixture)

pytestmark = pytest.mark.anyio

# The work loop of an agent, in registry order (docs/TOOLS.md "Tool sets").
CORE = ["update_task", "get_task", "move_task", "add_comment", "search_tasks", "wait_for_task", "heartbeat",
        "release_task", "list_ready_tasks"]
QUEUES = ["list_queues", "get_queue_stats", "add_task_to_queue", "remove_task_from_queue", "move_task_to_queue",
          "get_queue_tasks", "clear_queue"]
LINKS = ["add_link", "update_link", "delete_link", "list_links"]
COORDINATION = ["signup_for_task", "wait_for_task", "heartbeat", "release_task", "list_ready_tasks",
                "add_dependency", "remove_dependency", "get_events"]
CORE_BUDGET = 12 * 1024  # bytes of core's tools/list result (2025-11-25, with outputSchema)
ALLOWED = "core, tasks, subtasks, queues, comments, links, coordination, search, all"


def raw_tools_list(workdir, version: str, **env: str) -> dict:
    """tools/list of a fresh stdio server (initialize, initialized, tools/list, then stdin EOF ends it)."""
    lines = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize",
         "params": {"protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "sets", "version": "1"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
    ]
    r = subprocess.run([require_binary()], input="".join(json.dumps(m) + "\n" for m in lines),
                       capture_output=True, text=True, timeout=15, cwd=str(workdir),
                       env=server_env(workdir / "raw.db", "warn", **env))
    assert r.returncode == 0, f"exit {r.returncode}: {r.stderr[-2000:]}"
    replies = [json.loads(line) for line in r.stdout.splitlines()]
    (listed,) = [m for m in replies if m.get("id") == 2]
    return listed["result"]


def modern_requests(workdir, requests: list[dict], **env: str) -> dict:
    """Stateless 2026-07-28 requests (the protocol version in each request's `_meta`, no initialize) to a fresh
    stdio server: id -> reply."""
    meta = {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": {},
            "io.modelcontextprotocol/clientInfo": {"name": "sets", "version": "1"}}
    lines = [{"jsonrpc": "2.0", "id": i, "method": method, "params": {"_meta": meta, **params}}
             for i, (method, params) in enumerate(((r["method"], r.get("params", {})) for r in requests), 1)]
    r = subprocess.run([require_binary()], input="".join(json.dumps(m) + "\n" for m in lines),
                       capture_output=True, text=True, timeout=15, cwd=str(workdir),
                       env=server_env(workdir / "modern.db", "warn", **env))
    assert r.returncode == 0, f"exit {r.returncode}: {r.stderr[-2000:]}"
    return {m["id"]: m for m in map(json.loads, r.stdout.splitlines())}


def result_bytes(result: dict) -> int:
    return len(json.dumps(result, separators=(",", ":"), ensure_ascii=False).encode())


async def test_core_lists_the_work_loop_within_12_kb(tmp_path):
    result = raw_tools_list(tmp_path, LATEST_VERSION, TINYTASK_TOOLSETS="core")
    assert [t["name"] for t in result["tools"]] == CORE
    assert all(isinstance(t.get("outputSchema"), dict) for t in result["tools"]), "2025-11-25 lists outputSchema"
    size = result_bytes(result)
    print(f"core tools/list ({LATEST_VERSION}): {size} bytes")
    assert size <= CORE_BUDGET, f"core tools/list is {size} bytes, over {CORE_BUDGET}"
    oldest = raw_tools_list(tmp_path, "2024-11-05", TINYTASK_TOOLSETS="core")
    assert [t["name"] for t in oldest["tools"]] == CORE
    assert all("outputSchema" not in t for t in oldest["tools"])
    assert result_bytes(oldest) < size


async def test_the_2026_era_lists_and_refuses_the_same(tmp_path):
    replies = modern_requests(tmp_path, [
        {"method": "tools/list"},
        {"method": "tools/call", "params": {"name": "create_subtask", "arguments": {}}},
    ], TINYTASK_TOOLSETS="core")
    listed = replies[1]["result"]
    assert [t["name"] for t in listed["tools"]] == CORE
    print(f"core tools/list (2026-07-28, with its result envelope): {result_bytes(listed)} bytes")
    refused = replies[2]["result"]
    assert refused["isError"] is True, refused
    assert [c["text"] for c in refused["content"]] == [
        "create_subtask is not enabled on this server: add subtasks to TINYTASK_TOOLSETS (now: core)"]


async def test_sets_overlap_and_their_union_is_served(tmp_path):
    async with open_tt(tmp_path, TINYTASK_TOOLSETS="queues, LINKS") as tt:
        names = [t.name for t in (await tt.session.list_tools()).tools]
        assert names == QUEUES + LINKS
    async with open_tt(tmp_path, db_name="u.db", TINYTASK_TOOLSETS="core,coordination") as tt:
        names = [t.name for t in (await tt.session.list_tools()).tools]
        assert len(names) == len(set(names)) == len(set(CORE) | set(COORDINATION))
        assert set(names) == set(CORE) | set(COORDINATION)


async def test_default_and_all_list_every_tool(tmp_path):
    assert len(raw_tools_list(tmp_path, LATEST_VERSION)["tools"]) == len(TOOL_PARAMS)
    assert len(raw_tools_list(tmp_path, LATEST_VERSION, TINYTASK_TOOLSETS="core,all")["tools"]) == len(TOOL_PARAMS)


async def test_a_hidden_tool_is_an_error_naming_the_set_to_enable(tmp_path):
    async with open_tt(tmp_path, TINYTASK_TOOLSETS="core") as tt:
        # Refused before its arguments are read: the message is about the set, whatever was sent.
        for args in ({"parent_task_id": 1, "title": "t", "created_by": "me"}, {"bogus": True}):
            assert await tt.err("create_subtask", args) == (
                "create_subtask is not enabled on this server: add subtasks to TINYTASK_TOOLSETS (now: core)")
        assert (await tt.err("create_task", {"title": "t", "created_by": "me"})).startswith(
            "create_task is not enabled on this server: add tasks to TINYTASK_TOOLSETS")
        # Enabled tools work as always.
        ready = await tt.call("list_ready_tasks", {})
        assert ready["count"] == 0, ready
    async with open_tt(tmp_path, db_name="q.db", TINYTASK_TOOLSETS="queues,links") as tt:
        assert await tt.err("wait_for_task", {"agent_name": "a", "timeout_secs": 0}) == (
            "wait_for_task is not enabled on this server: add core or coordination to TINYTASK_TOOLSETS "
            "(now: queues,links)")


@pytest.mark.parametrize("value, bad", [("core,subtask", "subtask"), ("core,,tasks", ""), ("everything", "everything")])
async def test_an_unknown_set_name_stops_startup_with_the_allowed_names(tmp_path, value, bad):
    r = subprocess.run([require_binary()], stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=15,
                       cwd=str(tmp_path), env=server_env(tmp_path / "t.db", TINYTASK_TOOLSETS=value))
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert r.stdout == ""
    want = (f"tinytask: invalid TINYTASK_TOOLSETS={json.dumps(value)}: allowed values are comma-separated names "
            f"among {ALLOWED}; {json.dumps(bad)} is not one of them")
    assert r.stderr.strip() == want


async def test_rest_api_keeps_every_tool_and_metrics_count_the_refusal(start_server):  # noqa: F811
    server = start_server("http", TINYTASK_TOOLSETS="core")
    # The operator surface is not narrowed: create_task (not in core) over REST.
    created = httpx2.post(f"{server.base}/api/v1/tasks", json={"title": "rest", "created_by": "op"}, timeout=10)
    assert created.status_code == 201, created.text
    async with streamable_session(server) as tt:
        assert [t.name for t in (await tt.session.list_tools()).tools] == CORE
        text = await tt.err("create_task", {"title": "mcp", "created_by": "agent"})
        assert text.startswith("create_task is not enabled on this server: add tasks to TINYTASK_TOOLSETS"), text
        got = await tt.call("get_task", {"id": created.json()["id"]})
        assert got["title"] == "rest"
    metrics = httpx2.get(f"{server.base}/metrics", timeout=5).text
    calls = {
        (s.labels.get("tool"), s.labels.get("outcome")): s.value
        for family in text_string_to_metric_families(metrics) for s in family.samples
        if s.name == "tinytask_tool_calls_total"
    }
    assert calls.get(("create_task", "tool_error")) == 1, calls
    assert calls.get(("get_task", "ok")) == 1, calls
