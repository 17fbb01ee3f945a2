"""Lean list answers (docs/TOOLS.md "Projections"): `fields` and `view` on every task-list tool and on the JSON
task-list resources, driven through the official SDK (which validates structuredContent against each tool's
outputSchema), plus the REST query parameters that map to them.

Default (neither given) is the whole task, unchanged; `view: "summary"` is a fixed set; `fields` is the keys to
keep (id always, task order); both together are the union.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import httpx2
import jsonschema
import pytest
from mcp import MCPError

from conftest import TASK_KEYS, TT
from http_support import HttpServer

pytestmark = pytest.mark.anyio

SUMMARY_KEYS = ["id", "title", "status", "assigned_to", "priority", "queue_name", "is_currently_blocked"]
LEAN = ["status", "title"]  # asked out of order on purpose: answers keep the task's own order
LEAN_KEYS = ["id", "title", "status"]
ALLOWED = ", ".join(TASK_KEYS)


async def board(tt: TT) -> dict[str, Any]:
    """A parent with three subtasks, all assigned to bob in queue q, one blocked, words to search for."""
    blocker = await tt.create("omega blocker", queue_name="other")
    parent = await tt.create("alpha parent", assigned_to="bob", queue_name="q", tags=["x"],
                             description="a long description that a list rarely needs " * 4)
    for i in range(3):
        child = await tt.sub(parent["id"], f"alpha child {i}", assigned_to="bob", priority=i, queue_name="q")
        if i == 0:
            await tt.update(child["id"], blocked_by_task_id=blocker["id"])
    return {"parent": parent["id"]}


def list_tools(parent: int) -> list[tuple[str, dict, str]]:
    """(tool, arguments that list the board's tasks, the key of its task list)."""
    return [
        ("list_tasks", {}, "tasks"),
        ("get_my_queue", {"agent_name": "bob"}, "tasks"),
        ("get_subtasks", {"parent_task_id": parent, "recursive": True}, "subtasks"),
        ("get_task_with_subtasks", {"task_id": parent, "recursive": True}, "subtasks"),
        ("get_queue_tasks", {"queue_name": "q"}, "tasks"),
        ("list_ready_tasks", {}, "tasks"),
        ("search_tasks", {"query": "alpha"}, "results"),
    ]


TOOLS = [name for name, _, _ in list_tools(0)]


def items(name: str, answer: dict, at: str) -> list[dict]:
    listed = answer[at]
    assert listed, f"{name}: nothing listed in {answer}"
    return [hit["task"] for hit in listed] if name == "search_tasks" else listed


async def output_schema(tt: TT, name: str) -> dict:
    tools = {t.name: t for t in (await tt.session.list_tools()).tools}
    return tools[name].output_schema


def item_schema(schema: dict, name: str, at: str) -> dict:
    item = schema["properties"][at]["items"]
    return item["properties"]["task"] if name == "search_tasks" else item


@pytest.mark.parametrize("name", TOOLS)
async def test_list_tool_projections_keep_the_asked_keys_and_validate(tt, name):
    parent = (await board(tt))["parent"]
    _, args, at = next(t for t in list_tools(parent) if t[0] == name)
    schema = await output_schema(tt, name)
    # tt.call checks structuredContent == the text's JSON; the SDK validated it against outputSchema.
    whole = await tt.call(name, args)
    summary = await tt.call(name, {**args, "view": "summary"})
    lean = await tt.call(name, {**args, "fields": LEAN})
    both = await tt.call(name, {**args, "view": "summary", "fields": ["description"]})
    full = await tt.call(name, {**args, "view": "full"})
    assert full == whole
    for answer in (whole, summary, lean, both):
        jsonschema.validate(answer, schema)  # the same check, made here so it cannot be skipped
        assert [k for k in answer if k != at] == [k for k in whole if k != at], f"{name}: envelope changed"
    by_id = {t["id"]: t for t in items(name, whole, at)}
    for t in items(name, whole, at):
        assert list(t) == TASK_KEYS, f"{name}: default is the whole task"
    for t in items(name, summary, at):
        assert list(t) == SUMMARY_KEYS, name
        assert all(t[k] == by_id[t["id"]][k] for k in t), name
    for t in items(name, lean, at):
        assert list(t) == LEAN_KEYS, name
    for t in items(name, both, at):
        assert list(t) == ["id", "title", "description"] + SUMMARY_KEYS[2:], name
    assert [t["id"] for t in items(name, lean, at)] == list(by_id), f"{name}: same tasks, same order"
    assert len(json.dumps(lean)) < len(json.dumps(whole)) / 2, name


async def test_the_declared_schema_is_what_lets_a_projected_answer_validate(tt):
    """A projected answer would fail validation if the listed task still required its 2.x keys: the test
    above would catch a schema that forgot to relax them."""
    await board(tt)
    schema = await output_schema(tt, "list_tasks")
    # A listed task may require its id at most (tools/list keeps only the item's type, `object`).
    assert set(item_schema(schema, "list_tasks", "tasks").get("required", [])) <= {"id"}
    strict = copy.deepcopy(schema)
    strict["properties"]["tasks"]["items"]["required"] = ["id", "title", "status", "priority", "tags",
                                                          "is_currently_blocked"]
    lean = await tt.call("list_tasks", {"fields": ["title"]})
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(lean, strict)
    jsonschema.validate(await tt.call("list_tasks", {}), strict)


@pytest.mark.parametrize("name", TOOLS)
async def test_projection_errors_name_the_parameter_and_the_allowed_values(tt, name):
    parent = (await board(tt))["parent"]
    _, args, _ = next(t for t in list_tools(parent) if t[0] == name)
    err = await tt.err(name, {**args, "fields": ["id", "owner"]})
    assert "fields[1]" in err and '"owner"' in err and ALLOWED in err, err
    err = await tt.err(name, {**args, "view": "tiny"})
    assert "view" in err and "full, summary" in err, err
    err = await tt.err(name, {**args, "fields": []})
    assert "fields" in err and "at least one" in err and ALLOWED in err, err


@pytest.mark.parametrize("uri", ["tasks://active", "tasks://archived", "queue://bob"])
async def test_task_list_resources_take_view_and_fields(tt, uri):
    await board(tt)
    for t in (await tt.call("list_tasks", {}))["tasks"][:2]:
        if uri == "tasks://archived":
            await tt.call("archive_task", {"id": t["id"]})

    async def read(u: str) -> list[dict]:
        res = await tt.session.read_resource(u)
        assert str(res.contents[0].uri) == u
        tasks = json.loads(res.contents[0].text)["tasks"]
        assert tasks, f"{u}: empty"
        return tasks

    assert all(list(t) == TASK_KEYS for t in await read(uri))
    assert all(list(t) == SUMMARY_KEYS for t in await read(f"{uri}?view=summary"))
    assert all(list(t) == LEAN_KEYS for t in await read(f"{uri}?fields=status,title&offset=0"))
    whole = await read(uri)
    assert [t["id"] for t in await read(f"{uri}?fields=title&offset=1")] == [t["id"] for t in whole[1:]]


async def test_resource_projection_mistakes_are_invalid_params(tt):
    for uri, fragment in [("tasks://active?fields=owner", ALLOWED), ("tasks://active?view=tiny", "full, summary"),
                          ("queue://bob?fields=", "at least one"),
                          ("task://1/comments?view=summary", "tasks://active, tasks://archived")]:
        with pytest.raises(MCPError) as caught:
            await tt.session.read_resource(uri)
        assert caught.value.code == -32602, f"{uri}: {caught.value.code} {caught.value.message}"
        assert fragment in caught.value.message, caught.value.message
        assert caught.value.data == {"uri": uri}


def test_rest_list_routes_take_fields_and_view_as_query_parameters(tmp_path):
    server = HttpServer(tmp_path)
    try:
        with httpx2.Client(base_url=f"{server.base}/api/v1", timeout=30.0) as api:
            for title in ("rest one", "rest two"):
                r = api.post("/tasks", json={"title": title, "created_by": "rest", "assigned_to": "bob"})
                assert r.status_code == 201, r.text
            whole = api.get("/tasks").json()
            assert [list(t) for t in whole] == [TASK_KEYS] * 2
            lean = api.get("/tasks", params={"fields": "title,status"})
            assert lean.status_code == 200, lean.text
            assert [list(t) for t in lean.json()] == [LEAN_KEYS] * 2
            repeated = api.get("/tasks?fields=title&fields=status&limit=1").json()
            assert [list(t) for t in repeated] == [LEAN_KEYS]
            summary = api.get("/tasks", params={"view": "summary"}).json()
            assert [list(t) for t in summary] == [SUMMARY_KEYS] * 2
            queue = api.get("/agents/bob/queue", params={"view": "summary"})
            assert queue.status_code == 200, queue.text
            bad = api.get("/tasks", params={"fields": "owner"})
            assert bad.status_code == 400 and "fields" in bad.json()["error"] and ALLOWED in bad.json()["error"]
            doc = httpx2.get(f"{server.base}/openapi.json", timeout=30.0).json()
            params = {p["name"]: p for p in doc["paths"]["/api/v1/tasks"]["get"]["parameters"]}
            assert params["fields"]["schema"]["type"] == "array" and params["fields"]["explode"] is False
            assert params["fields"]["schema"]["items"]["type"] == "string"
            assert params["view"]["schema"]["enum"] == ["full", "summary"]
    finally:
        server.kill()
