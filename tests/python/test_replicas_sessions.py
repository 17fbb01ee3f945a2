"""One legacy Streamable HTTP session (2025-06-18, Mcp-Session-Id) spread over three replicas on one PostgreSQL
board, with every request sent to a chosen replica: what a round-robin balancer without stickiness does to it
(issue 14 §1; the design is in src/mcp/shared/).

* initialize on A, notifications/initialized on B, logging/setLevel on C, tool calls anywhere;
* resources/subscribe on B, the GET stream on C, a write through A: C's stream gets the resource update and
  the log message of A's tool call;
* notifications/cancelled on A stops a waiting call running on B;
* resources/unsubscribe on A: C's stream gets no more updates;
* DELETE on B: C's stream ends, and every replica answers the id with 404;
* the replica that ran initialize is SIGKILLed: the session goes on through the others;
* idle and unused sessions expire on every replica, a session active on alternating replicas does not.

Run on PostgreSQL only (TINYTASK_PY_DATABASE_URL; scripts/test.sh sets it).
"""

from __future__ import annotations

import json
import time
from typing import Any

import anyio
import httpx2
import pytest

from conftest import compact
from http_support import rpc_from_response, session_headers
from replicas_support import Cluster, client, cluster  # noqa: F401 (fixtures)

pytestmark = pytest.mark.anyio

VERSION = "2025-06-18"
NOTE_BOUND = 3.0  # seconds for a change or note to reach the stream on another replica (polls: 25 ms)


class Session:
    """Raw POSTs of one session, each to the replica the test names."""

    def __init__(self, cluster: Cluster, client: httpx2.AsyncClient):
        self.cluster, self.client = cluster, client
        self.sid: str | None = None
        self.next_id = 1

    def url(self, replica: int) -> str:
        return self.cluster.replica_url(replica)

    async def post(self, replica: int, body: dict, **kw: Any) -> httpx2.Response:
        return await self.client.post(self.url(replica), content=compact(body),
                                      headers=session_headers(self.sid, VERSION), **kw)

    async def request(self, replica: int, method: str, params: dict | None = None) -> dict:
        self.next_id += 1
        body: dict[str, Any] = {"jsonrpc": "2.0", "id": self.next_id, "method": method}
        if params is not None:
            body["params"] = params
        r = await self.post(replica, body)
        assert r.status_code == 200, f"{method} on replica {replica}: HTTP {r.status_code} {r.text[:300]!r}"
        return rpc_from_response(r)

    async def tool(self, replica: int, name: str, args: dict) -> Any:
        msg = await self.request(replica, "tools/call", {"name": name, "arguments": args})
        assert "result" in msg and not msg["result"].get("isError"), f"{name}: {msg}"
        return json.loads(msg["result"]["content"][0]["text"])

    async def notify(self, replica: int, method: str, params: dict | None = None) -> None:
        body: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            body["params"] = params
        r = await self.post(replica, body)
        assert r.status_code == 202, f"{method} on replica {replica}: HTTP {r.status_code} {r.text[:300]!r}"

    async def initialize(self, replica: int) -> None:
        body = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
                "params": {"protocolVersion": VERSION, "capabilities": {},
                           "clientInfo": {"name": "replica-sessions", "version": "1"}}}
        r = await self.client.post(self.url(replica), content=compact(body),
                                   headers={"Accept": "application/json, text/event-stream",
                                            "Content-Type": "application/json"})
        assert r.status_code == 200, r.text
        self.sid = r.headers["mcp-session-id"]
        assert rpc_from_response(r)["result"]["protocolVersion"] == VERSION


async def read_stream(client: httpx2.AsyncClient, url: str, sid: str, seen: list[dict], opened: anyio.Event,
                      ended: anyio.Event) -> None:
    """The session's GET stream on one replica: every message into `seen`; `ended` when the server ends it."""
    headers = {"Accept": "text/event-stream", "Mcp-Session-Id": sid, "MCP-Protocol-Version": VERSION}
    async with client.stream("GET", url, headers=headers, timeout=httpx2.Timeout(60.0)) as r:
        assert r.status_code == 200, f"GET stream: HTTP {r.status_code}"
        opened.set()
        async for line in r.aiter_lines():
            if line.startswith("data:") and line[5:].strip():
                seen.append(json.loads(line[5:]))
    ended.set()


async def until(predicate, bound: float, what: str, seen: list[dict]) -> float:
    start = time.monotonic()
    while not predicate():
        assert time.monotonic() - start < bound, f"not within {bound} s: {what}; the stream got {seen}"
        await anyio.sleep(0.02)
    return time.monotonic() - start


def updates(seen: list[dict], uri: str) -> int:
    return sum(1 for m in seen if m.get("method") == "notifications/resources/updated"
               and m["params"]["uri"] == uri)


@pytest.mark.timeout(120)
async def test_one_legacy_session_is_served_by_every_replica_without_stickiness(cluster, client):
    s = Session(cluster, client)
    await s.initialize(0)
    await s.notify(1, "notifications/initialized")
    assert (await s.request(2, "logging/setLevel", {"level": "debug"}))["result"] == {}
    task = await s.tool(2, "create_task", {"title": "shared session", "created_by": "t"})
    uri = f"task://{task['id']}"
    assert (await s.request(1, "resources/subscribe", {"uri": uri}))["result"] == {}

    seen: list[dict] = []
    opened, ended = anyio.Event(), anyio.Event()
    async with anyio.create_task_group() as tg:
        tg.start_soon(read_stream, client, s.url(2), s.sid, seen, opened, ended)
        with anyio.fail_after(10):
            await opened.wait()

        # A write through A: the update and A's log message both reach the stream on C.
        await s.tool(0, "update_task", {"id": task["id"], "status": "working", "changed_by": "t"})
        took = await until(lambda: updates(seen, uri) >= 1, NOTE_BOUND, "the resource update on replica C", seen)
        await until(lambda: any(m.get("method") == "notifications/message"
                                and m["params"]["data"].get("tool") == "update_task" for m in seen),
                    NOTE_BOUND, "the log message of replica A's tool call on replica C", seen)
        print(f"\nMETRIC shared_session_update_ms={took * 1000:.0f}")

        # A waiting call on B, cancelled through A: B stops waiting (and, PP2, does not answer it).
        waiting_id = 900
        body = {"jsonrpc": "2.0", "id": waiting_id, "method": "tools/call",
                "params": {"name": "wait_for_task", "arguments": {"agent_name": "nobody", "timeout_secs": 30}}}
        started = time.monotonic()

        async def cancel_soon() -> None:
            await anyio.sleep(0.5)
            await s.notify(0, "notifications/cancelled", {"requestId": waiting_id, "reason": "test"})

        tg.start_soon(cancel_soon)
        r = await s.post(1, body, timeout=httpx2.Timeout(40.0))
        waited = time.monotonic() - started
        assert waited < 0.5 + NOTE_BOUND, f"the cancelled wait on replica B lasted {waited:.1f} s"
        assert '"result"' not in r.text, f"a cancelled request was answered: {r.text[:300]!r}"

        # Unsubscribed through A: no more updates on C.
        assert (await s.request(0, "resources/unsubscribe", {"uri": uri}))["result"] == {}
        before = updates(seen, uri)
        await s.tool(1, "update_task", {"id": task["id"], "status": "idle", "changed_by": "t"})
        await s.tool(0, "get_task", {"id": task["id"]})  # a later request: the update had its chance
        await anyio.sleep(0.5)
        assert updates(seen, uri) == before, "an update arrived after resources/unsubscribe"

        # DELETE on B: C's stream ends, and no replica knows the session any more.
        r = await client.delete(s.url(1), headers=session_headers(s.sid, VERSION))
        assert r.status_code == 204, r.text
        with anyio.fail_after(NOTE_BOUND):
            await ended.wait()
    for replica in range(3):
        r = await s.post(replica, {"jsonrpc": "2.0", "id": 5, "method": "tools/list"})
        assert r.status_code == 404, f"replica {replica} still serves the deleted session: {r.status_code}"
    assert cluster.query("SELECT count(*) FROM tinytask_sessions") == [(0,)]


@pytest.mark.timeout(60)
async def test_an_unknown_session_id_is_refused_by_every_replica(cluster, client):
    for replica in range(3):
        r = await client.post(cluster.replica_url(replica), content=compact({"jsonrpc": "2.0", "id": 1,
                                                                             "method": "tools/list"}),
                              headers=session_headers("0" * 32, VERSION))
        assert r.status_code == 404, r.text
        assert r.json()["error"]["code"] == -32600


@pytest.mark.timeout(120)
async def test_a_session_outlives_the_replica_it_started_on(cluster, client):
    s = Session(cluster, client)
    await s.initialize(0)
    await s.notify(1, "notifications/initialized")
    made = await s.tool(0, "create_task", {"title": "before the kill", "created_by": "t"})
    cluster.sigkill(0)
    # The replica that ran initialize is gone: the session goes on through the others, with its state.
    for replica in (1, 2, 1, 2):
        got = await s.tool(replica, "get_task", {"id": made["id"]})
        assert got["title"] == "before the kill"
    assert (await s.request(2, "logging/setLevel", {"level": "error"}))["result"] == {}
    assert cluster.query("SELECT log_level, used FROM tinytask_sessions") == [("error", True)]


@pytest.mark.timeout(120)
async def test_idle_sessions_expire_on_every_replica_and_active_ones_do_not(tmp_path, client):
    cluster = Cluster(tmp_path, TINYTASK_SESSION_IDLE_SECS="3", TINYTASK_UNUSED_SESSION_SECS="2")
    try:
        idle, active, unused = Session(cluster, client), Session(cluster, client), Session(cluster, client)
        for s in (idle, active, unused):
            await s.initialize(0)
        for s in (idle, active):
            await s.notify(1, "notifications/initialized")
            await s.tool(1, "list_tasks", {"limit": 1})
        # `active` keeps working, each request on another replica, for twice the idle timeout.
        deadline = time.monotonic() + 6
        turn = 0
        while time.monotonic() < deadline:
            await active.tool(turn % 3, "list_tasks", {"limit": 1})
            turn += 1
            await anyio.sleep(0.5)
        for replica in range(3):
            await active.tool(replica, "list_tasks", {"limit": 1})
            for gone in (idle, unused):
                r = await gone.post(replica, {"jsonrpc": "2.0", "id": 9, "method": "tools/list"})
                assert r.status_code == 404, f"an expired session is still served by replica {replica}"
        assert cluster.query("SELECT id FROM tinytask_sessions") == [(active.sid,)]
    finally:
        cluster.close()

