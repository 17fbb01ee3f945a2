"""The REST API (`/api/v1`): TinyTask 2.x's 30 routes with their status codes, bare-array lists and error
shapes, the routes beyond 2.x (claims with leases, waiting, dependencies, ready list, events, search), the
precise errors, and REST and MCP seeing each other's writes on one server.

Runs against a server it starts (`TINYTASK_MODE=http`), or, with TINYTASK_TARGET_URL=http://host:port/mcp
(the Docker acceptance suite), against that running server: every test then uses its own names, so the
board's other contents do not matter. Tests that need a configured server (a token) skip there.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import anyio
import httpx2
import pytest

from conftest import TARGET_URL, TASK_KEYS, assert_comment, assert_link, assert_task
from http_support import HttpServer, start_server, streamable_session  # noqa: F401 (fixture)

pytestmark = pytest.mark.anyio

# The Docker acceptance suite accepts skips only for this reason (a configured server cannot be reached there).
TARGET_SKIP = "TINYTASK_TARGET_URL points the suite at a running server"


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """The server's base URL (http://127.0.0.1:<port>)."""
    if TARGET_URL:
        yield TARGET_URL.rsplit("/mcp", 1)[0]
        return
    server = HttpServer(tmp_path_factory.mktemp("rest"))
    yield server.base
    server.kill()


@pytest.fixture
def api(base):
    with httpx2.Client(base_url=f"{base}/api/v1", timeout=30.0) as client:
        yield client


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def ok(r: httpx2.Response, status: int = 200) -> Any:
    assert r.status_code == status, f"{r.request.method} {r.request.url}: HTTP {r.status_code} {r.text[:400]}"
    assert r.headers["content-type"].startswith("application/json"), r.headers
    return r.json()


def fails(r: httpx2.Response, status: int, *fragments: str) -> str:
    assert r.status_code == status, f"{r.request.method} {r.request.url}: HTTP {r.status_code} {r.text[:400]}"
    body = r.json()
    assert list(body) == ["error"], f"2.x error shape is {{error}}: {body}"
    for fragment in fragments:
        assert fragment in body["error"], f"{fragment!r} not in {body['error']!r}"
    return body["error"]


def new_task(api: httpx2.Client, title: str = "rest task", **kw: Any) -> dict:
    return ok(api.post("/tasks", json={"title": title, "created_by": "rest", **kw}), 201)


# --- 2.x routes -------------------------------------------------------------------------------------------


def test_tasks_create_list_get_update_archive_delete(api):
    queue = unique("q")
    t = new_task(api, "first", queue_name=queue, priority=5, tags=["a", "b"])
    assert_task(t, title="first", status="idle", priority=5, tags=["a", "b"], queue_name=queue)
    assert list(t)[: len(TASK_KEYS)] == TASK_KEYS, "REST shows the MCP task keys in the MCP order"
    # 2.x clients send status with a new task: idle is accepted (and is what a new task is), others are refused.
    assert ok(api.post("/tasks", json={"title": "s", "created_by": "rest", "status": "idle",
                                       "queue_name": queue}), 201)["status"] == "idle"
    fails(api.post("/tasks", json={"title": "s", "created_by": "rest", "status": "working"}), 400,
          "status", "always idle")

    listed = ok(api.get("/tasks", params={"queue_name": queue}))
    assert isinstance(listed, list) and [x["title"] for x in listed] == ["first", "s"], "bare array, urgent first"
    assert ok(api.get("/tasks", params={"queue_name": queue, "status": "idle,working", "limit": 1}))[0]["id"] == t["id"]
    assert ok(api.get("/tasks", params={"queue_name": queue, "exclude_status": "idle"})) == []

    got = ok(api.get(f"/tasks/{t['id']}"))
    for key in ("comments", "links", "history", "depends_on", "dependents"):
        assert key in got, f"get_task relations: {key} missing from {list(got)}"

    changed = ok(api.patch(f"/tasks/{t['id']}", json={"status": "working", "assigned_to": "ann",
                                                      "changed_by": "op", "tags": None}))
    assert_task(changed, status="working", assigned_to="ann", tags=[])
    history = ok(api.get(f"/tasks/{t['id']}/history"))
    assert any(h["field_name"] == "status" and h["changed_by"] == "op" for h in history["history"]), history

    archived = ok(api.post(f"/tasks/{t['id']}/archive"))
    assert archived["archived_at"], archived
    assert [x["id"] for x in ok(api.get("/tasks", params={"queue_name": queue}))] != [t["id"]]
    assert t["id"] in [x["id"] for x in ok(api.get("/tasks", params={"queue_name": queue,
                                                                       "include_archived": "true"}))]
    deleted = ok(api.delete(f"/tasks/{t['id']}"))
    assert deleted["success"] is True and deleted["id"] == t["id"], deleted
    fails(api.get(f"/tasks/{t['id']}"), 404, f"Task not found: {t['id']}")


def test_subtasks_hierarchy_and_reparenting(api):
    parent = new_task(api, "parent")
    child = ok(api.post(f"/tasks/{parent['id']}/subtasks", json={"title": "child", "created_by": "rest"}), 201)
    grandchild = ok(api.post(f"/tasks/{child['id']}/subtasks", json={"title": "gc", "created_by": "rest"}), 201)
    assert child["parent_task_id"] == parent["id"]
    assert [s["id"] for s in ok(api.get(f"/tasks/{parent['id']}/subtasks"))] == [child["id"]]
    assert {s["id"] for s in ok(api.get(f"/tasks/{parent['id']}/subtasks", params={"recursive": "true"}))} == {
        child["id"], grandchild["id"]}
    # 2.x: the hierarchy route is recursive unless told otherwise (MCP's default is not).
    assert ok(api.get(f"/tasks/{parent['id']}/hierarchy"))["subtask_count"] == 2
    assert ok(api.get(f"/tasks/{parent['id']}/hierarchy", params={"recursive": "false"}))["subtask_count"] == 1
    fails(api.patch(f"/tasks/{grandchild['id']}/parent", json={}), 400, "new_parent_id is required")
    moved = ok(api.patch(f"/tasks/{grandchild['id']}/parent", json={"new_parent_id": None}))
    assert moved["parent_task_id"] is None
    assert [t["id"] for t in ok(api.get("/tasks", params={"parent_task_id": parent["id"]}))] == [child["id"]]
    top = ok(api.get("/tasks", params={"parent_task_id": "null", "limit": 1000}))
    assert grandchild["id"] in [t["id"] for t in top] and child["id"] not in [t["id"] for t in top]


def test_agents_queue_signup_and_transfer(api):
    agent, other = unique("ann"), unique("bob")
    t = new_task(api, "for ann", assigned_to=agent, priority=2)
    assert [x["id"] for x in ok(api.get(f"/agents/{agent}/queue"))] == [t["id"]]
    claimed = ok(api.post(f"/agents/{agent}/signup"))
    assert claimed["id"] == t["id"] and claimed["status"] == "working" and "comments" in claimed
    assert fails(api.post(f"/agents/{agent}/signup"), 404) == "No idle tasks available for signup"
    fails(api.post(f"/tasks/{t['id']}/transfer", json={"current_agent": agent, "new_agent": other}), 400,
          "comment")
    moved = ok(api.post(f"/tasks/{t['id']}/transfer",
                        json={"current_agent": agent, "new_agent": other, "comment": "yours now"}))
    assert set(moved) >= {"task", "comment"}, moved
    assert moved["task"]["assigned_to"] == other and moved["comment"]["content"] == "yours now"


def test_queue_routes(api):
    queue, queue2 = unique("q"), unique("q")
    a, b = new_task(api, "a"), new_task(api, "b")
    assert ok(api.post(f"/queues/{queue}/tasks", json={"task_id": a["id"]}))["queue_name"] == queue
    ok(api.post(f"/queues/{queue}/tasks", json={"task_id": str(b["id"])}))
    assert queue in ok(api.get("/queues")), "bare array of names"
    stats = ok(api.get(f"/queues/{queue}/stats"))
    assert stats["total_tasks"] == 2 and stats["by_status"]["idle"] == 2, stats
    assert {x["id"] for x in ok(api.get(f"/queues/{queue}/tasks"))} == {a["id"], b["id"]}
    assert ok(api.patch(f"/tasks/{a['id']}/queue", json={"new_queue_name": queue2}))["queue_name"] == queue2
    fails(api.patch(f"/tasks/{a['id']}/queue", json={}), 400, "new_queue_name")
    assert ok(api.delete(f"/tasks/{a['id']}/queue"))["queue_name"] is None
    cleared = ok(api.delete(f"/queues/{queue}/tasks"))
    assert cleared == {"success": True, "queue_name": queue, "tasks_removed": 1}, cleared
    fails(api.post(f"/queues/{queue}/tasks", json={}), 400, "task_id")


def test_comment_and_link_routes(api):
    t, u = new_task(api, "c"), new_task(api, "d")
    c = ok(api.post(f"/tasks/{t['id']}/comments", json={"content": "hello", "created_by": "op"}), 201)
    assert_comment(c, content="hello", created_by="op", task_id=t["id"])
    assert [x["id"] for x in ok(api.get(f"/tasks/{t['id']}/comments"))] == [c["id"]]
    assert ok(api.patch(f"/comments/{c['id']}", json={"content": "edited"}))["content"] == "edited"
    assert ok(api.get(f"/comments/{c['id']}"))["content"] == "edited"
    fails(api.post(f"/tasks/{t['id']}/comments", json={}), 400, "content")
    moved = ok(api.post(f"/comments/{c['id']}/move", json={"to_task_id": u["id"]}), 201)
    assert moved["task_id"] == u["id"] and moved["content"] == "edited"
    assert ok(api.delete(f"/comments/{moved['id']}"))["id"] == moved["id"]
    fails(api.get(f"/comments/{moved['id']}"), 404, "not found")

    link = ok(api.post(f"/tasks/{t['id']}/links", json={"url": "https://example.org/x", "created_by": "op"}), 201)
    assert_link(link, url="https://example.org/x", task_id=t["id"])
    assert [x["id"] for x in ok(api.get(f"/tasks/{t['id']}/links"))] == [link["id"]]
    assert ok(api.patch(f"/links/{link['id']}", json={"description": "spec"}))["description"] == "spec"
    assert ok(api.delete(f"/links/{link['id']}"))["success"] is True
    fails(api.post(f"/tasks/{t['id']}/links", json={"description": "no url"}), 400, "url")


# --- beyond 2.x --------------------------------------------------------------------------------------------


def test_claim_heartbeat_release_and_ready(api):
    queue, agent = unique("pool"), unique("worker")
    t = new_task(api, "pooled", queue_name=queue, priority=9)
    ready = ok(api.get("/ready", params={"queue_name": queue}))
    assert [x["id"] for x in ready["tasks"]] == [t["id"]], ready
    claim = ok(api.post(f"/agents/{agent}/claim", json={"queue_name": queue, "lease_secs": 60}))
    assert claim["claimed"] is True and claim["task"]["id"] == t["id"], claim
    token = claim["lease"]["token"]
    beat = ok(api.post(f"/tasks/{t['id']}/heartbeat", json={"agent_name": agent, "lease_token": token}))
    assert beat["lease"]["holder"] == agent, beat
    fails(api.post(f"/tasks/{t['id']}/heartbeat", json={"agent_name": agent, "lease_token": "stale"}), 400,
          "lease_token")
    released = ok(api.post(f"/tasks/{t['id']}/release", json={"agent_name": agent, "comment": "later"}))
    assert released["released"] is True and released["task"]["status"] == "idle", released
    none = ok(api.post(f"/agents/{agent}/claim", json={"queue_name": unique("empty")}))
    assert none["claimed"] is False and none["task"] is None


async def test_wait_route_is_woken_by_an_mcp_write(base):
    queue, agent = unique("waitq"), unique("waiter")
    async with httpx2.AsyncClient(base_url=f"{base}/api/v1", timeout=30.0) as client:
        quick = await client.post(f"/agents/{agent}/wait", json={"queue_name": queue, "timeout_secs": 0})
        assert ok(quick)["claimed"] is False
        result: dict[str, Any] = {}

        async def waiter() -> None:
            r = await client.post(f"/agents/{agent}/wait", json={"queue_name": queue, "timeout_secs": 20})
            result["body"], result["at"] = ok(r), time.monotonic()

        async with anyio.create_task_group() as tg:
            tg.start_soon(waiter)
            await anyio.sleep(0.5)
            async with streamable_session(f"{base}/mcp") as tt:
                created_at = time.monotonic()
                task = await tt.create("wake me", queue_name=queue)
        assert result["body"]["claimed"] is True and result["body"]["task"]["id"] == task["id"], result
        assert result["at"] - created_at < 2.0, f"woken {result['at'] - created_at:.2f}s after the MCP write"


def test_dependencies_events_and_search(api):
    word = unique("zebra")
    a = new_task(api, f"blocker {word}")
    b = new_task(api, "waits", description=f"needs the {word} first")
    added = ok(api.post(f"/tasks/{b['id']}/dependencies", json={"depends_on_task_id": a["id"], "changed_by": "op"}))
    assert added["changed"] is True and ok(api.get(f"/tasks/{b['id']}"))["is_currently_blocked"] is True
    fails(api.post(f"/tasks/{a['id']}/dependencies", json={"depends_on_task_id": b["id"]}), 400, "cycle")
    removed = ok(api.delete(f"/tasks/{b['id']}/dependencies/{a['id']}", params={"changed_by": "op"}))
    assert removed["changed"] is True

    events = ok(api.get("/events", params={"task_id": b["id"], "limit": 100}))
    kinds = [e["kind"] for e in events["events"]]
    assert "dependency_added" in kinds and "dependency_removed" in kinds, kinds
    later = ok(api.get("/events", params={"task_id": b["id"], "after": events["next_cursor"]}))
    assert later["events"] == []

    found = ok(api.get("/search", params={"query": word}))
    assert {h["task"]["id"] for h in found["results"]} == {a["id"], b["id"]}, found
    assert ok(api.get("/search", params={"query": word, "status": "complete"}))["results"] == []


# --- errors ------------------------------------------------------------------------------------------------


def test_errors_name_the_parameter_and_keep_the_2x_shape(api):
    fails(api.get("/tasks/abc"), 400, "id must be an integer")
    fails(api.get("/tasks", params={"limit": "x"}), 400, "limit must be an integer")
    fails(api.get("/tasks", params={"include_archived": "yes"}), 400, "include_archived must be 'true' or 'false'")
    fails(api.get("/tasks", params={"status": "done"}), 400, "allowed values: idle, working, complete")
    fails(api.get("/tasks", params={"colour": "red"}), 400, "unknown parameter \"colour\"", "allowed parameters:")
    fails(api.post("/tasks", json={"title": "x"}), 400, "created_by")
    fails(api.post("/tasks", json={"title": "x", "created_by": "r", "priority": "high"}), 400, "priority")
    fails(api.post("/tasks", content=b"{x", headers={"content-type": "application/json"}), 400, "Invalid JSON body")
    fails(api.post("/tasks", json=[1, 2]), 400, "JSON object")
    fails(api.post("/tasks", content=b"title=x", headers={"content-type": "text/plain"}), 415, "application/json")
    t = new_task(api)
    fails(api.patch(f"/tasks/{t['id']}", json={"id": 5}), 400, "given by the path")
    fails(api.patch(f"/tasks/{t['id']}", json={"status": "done"}), 400, "allowed values: idle, working, complete")
    r = api.put(f"/tasks/{t['id']}", json={})
    fails(r, 405, "Method Not Allowed")
    assert r.headers["allow"] == "GET, PATCH, DELETE"
    fails(api.get("/nowhere"), 404, "Not found")


def test_body_limit_applies(base, start_server):
    if TARGET_URL:
        pytest.skip(f"needs a server started with a small TINYTASK_MAX_BODY_BYTES; {TARGET_SKIP}")
    server = start_server(TINYTASK_MAX_BODY_BYTES="2048")
    r = httpx2.post(f"{server.base}/api/v1/tasks", json={"title": "x" * 4096, "created_by": "r"})
    fails(r, 413, "2048 bytes")


def test_token_host_and_origin_rules_apply(start_server):
    if TARGET_URL:
        pytest.skip(f"needs a server started with TINYTASK_AUTH_TOKEN; {TARGET_SKIP}")
    server = start_server(TINYTASK_AUTH_TOKEN="s3cret-token")
    url = f"{server.base}/api/v1/tasks"
    assert httpx2.get(url).status_code == 401
    assert httpx2.get(url, headers={"authorization": "Bearer wrong"}).status_code == 401
    assert httpx2.get(url, headers={"authorization": "Bearer s3cret-token"}).status_code == 200
    assert httpx2.get(f"{server.base}/openapi.json").status_code == 401
    auth = {"authorization": "Bearer s3cret-token"}
    assert httpx2.get(url, headers={**auth, "origin": "https://evil.example"}).status_code == 403
    assert httpx2.get(url, headers={**auth, "host": "evil.example"}).status_code == 403
    preflight = httpx2.options(url, headers={"origin": "http://localhost:5173",
                                             "access-control-request-method": "PATCH"})
    assert "PATCH" in preflight.headers["access-control-allow-methods"], preflight.headers


async def test_rest_and_mcp_see_each_others_writes(base):
    async with streamable_session(f"{base}/mcp") as tt, httpx2.AsyncClient(base_url=f"{base}/api/v1") as api:
        via_mcp = await tt.create("from mcp", queue_name=unique("mix"))
        r = await api.get(f"/tasks/{via_mcp['id']}")
        assert ok(r)["title"] == "from mcp"
        r = await api.patch(f"/tasks/{via_mcp['id']}", json={"priority": 7, "changed_by": "operator"})
        assert ok(r)["priority"] == 7
        seen = await tt.get(via_mcp["id"])
        assert seen["priority"] == 7 and any(h["changed_by"] == "operator" for h in seen["history"])
        r = await api.post("/tasks", json={"title": "from rest", "created_by": "rest"})
        assert (await tt.get(ok(r, 201)["id"]))["title"] == "from rest"


def test_a_wait_whose_client_disconnects_claims_nothing(api, base):
    queue, agent = unique("gone"), unique("leaver")
    with pytest.raises(httpx2.ReadTimeout):
        httpx2.post(f"{base}/api/v1/agents/{agent}/wait", json={"queue_name": queue, "timeout_secs": 20},
                    timeout=httpx2.Timeout(10.0, read=0.5))
    time.sleep(0.3)
    t = new_task(api, "nobody waits for me", queue_name=queue)
    time.sleep(1.0)
    after = ok(api.get(f"/tasks/{t['id']}"))
    assert after["status"] == "idle" and after["assigned_to"] is None, f"the abandoned wait claimed it: {after}"
