"""Legacy HTTP+SSE (2024-11-05, checklist §8 E1–E9): `GET /sse` + `POST /messages?sessionId=…`, and the TinyTask
1.x style on `/mcp` (`GET /mcp` asking for SSE without a session id, endpoint `/mcp?sessionId=…`), driven by the
SDK's `sse_client` and by raw httpx2 streams."""

from __future__ import annotations

import json
import time

import anyio
import httpx2
import pytest

from conftest import LATEST_VERSION, assert_task, compact
from http_support import (
    RawLegacyStream,
    http_server,  # noqa: F401  (fixture)
    init_params,
    legacy_session,
    metric,
    run_workflow,
    start_server,  # noqa: F401  (fixture)
    streamable_session,
)

pytestmark = pytest.mark.anyio

LEGACY_PATHS = ["/sse", "/mcp"]
MAX_REMOVAL_SECONDS = 5.0  # E7: a closed stream must not leave its session behind for long
ENDPOINT_PREFIX = {"/sse": "/messages?sessionId=", "/mcp": "/mcp?sessionId="}


@pytest.mark.parametrize("path", LEGACY_PATHS)
async def test_legacy_sdk_client_runs_the_workflow(http_server, path):
    async with legacy_session(http_server, path) as tt:
        assert tt.protocol_version == LATEST_VERSION
        with anyio.fail_after(30):
            got = await run_workflow(tt, f"legacy{path.replace('/', '-')}")
            # tools/list and ping over the legacy transport too
            tools = (await tt.session.list_tools()).tools
            assert len(tools) == 32
            assert await tt.session.send_ping() is not None
    # the same board through Streamable HTTP
    async with streamable_session(http_server) as other:
        assert (await other.get(got["epic"]))["status"] == "complete"


@pytest.mark.parametrize("path", LEGACY_PATHS)
async def test_legacy_endpoint_event_202_and_response_on_stream(http_server, path):
    # E2: first event is `endpoint` with a relative URI; E4: POST → 202 and the response arrives on the stream as
    # `event: message`; E3: one JSON-RPC message per event.
    async with httpx2.AsyncClient(timeout=httpx2.Timeout(5.0, read=30.0)) as c:
        async with c.stream("GET", http_server.base + path, headers={"Accept": "text/event-stream"}) as resp:
            assert resp.status_code == 200, f"GET {path}: HTTP {resp.status_code}"
            assert resp.headers.get("content-type", "").startswith("text/event-stream")
            stream = RawLegacyStream(resp)
            event, endpoint = await stream.next_event()
            assert event == "endpoint", (event, endpoint)
            assert endpoint.startswith(ENDPOINT_PREFIX[path]), f"endpoint {endpoint!r}"
            assert len(endpoint) > len(ENDPOINT_PREFIX[path])
            post_url = http_server.base + endpoint
            r = await c.post(post_url, content=compact({"jsonrpc": "2.0", "id": "init-1", "method": "initialize",
                                                        "params": init_params("2024-11-05")}),
                             headers={"Content-Type": "application/json"})
            assert r.status_code == 202, f"POST initialize: HTTP {r.status_code} {r.text[:200]!r}"
            event, data = await stream.next_event()
            assert event == "message"
            msg = json.loads(data)
            assert msg["id"] == "init-1" and msg["result"]["protocolVersion"] == "2024-11-05", msg
            r = await c.post(post_url, content=compact({"jsonrpc": "2.0", "method": "notifications/initialized"}),
                             headers={"Content-Type": "application/json"})
            assert r.status_code == 202, f"POST notifications/initialized: HTTP {r.status_code}"
            r = await c.post(post_url, content=compact({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
                "name": "create_task", "arguments": {"title": f"raw legacy {path}", "created_by": "raw"}}}),
                headers={"Content-Type": "application/json"})
            assert r.status_code == 202, f"POST tools/call: HTTP {r.status_code}"
            event, data = await stream.next_event()
            msg = json.loads(data)
            assert event == "message" and msg["id"] == 2, (event, msg)
            task = json.loads(msg["result"]["content"][0]["text"])
            assert_task(task, title=f"raw legacy {path}", created_by="raw")


async def test_legacy_message_endpoint_without_or_with_unknown_session(http_server):
    # E5: missing sessionId → 400, unknown session → 404
    body = compact({"jsonrpc": "2.0", "id": 1, "method": "ping"})
    async with httpx2.AsyncClient(timeout=5) as c:
        r = await c.post(http_server.base + "/messages", content=body, headers={"Content-Type": "application/json"})
        assert r.status_code == 400, f"POST /messages without sessionId: HTTP {r.status_code} {r.text[:200]!r}"
        r = await c.post(http_server.base + "/messages?sessionId=00000000-0000-4000-8000-000000000000",
                         content=body, headers={"Content-Type": "application/json"})
        assert r.status_code == 404, f"POST /messages unknown session: HTTP {r.status_code} {r.text[:200]!r}"


@pytest.mark.parametrize(("path_a", "path_b"), [("/sse", "/sse"), ("/sse", "/mcp")])
async def test_two_legacy_clients_interleaving_never_see_each_others_responses(http_server, path_a, path_b):
    # Both SDK clients number their requests 0, 1, 2, … — a response routed to the wrong stream would be accepted
    # by the other client under the same id and show up as a foreign title/creator.
    calls = 40

    async def worker(tt, who: str, results: list):
        async def one(i: int):
            title = f"{who} task {i}"
            t = await tt.create(title, created_by=who)
            assert (t["title"], t["created_by"]) == (title, who), f"{who} got a foreign result: {t}"
            g = await tt.get(t["id"])
            assert (g["id"], g["title"], g["created_by"]) == (t["id"], title, who), f"{who} got {g}"
            results.append(t["id"])

        async with anyio.create_task_group() as tg:
            for i in range(calls):
                tg.start_soon(one, i)

    got_a: list[int] = []
    got_b: list[int] = []
    with anyio.fail_after(40):
        async with legacy_session(http_server, path_a) as a, legacy_session(http_server, path_b) as b:
            async with anyio.create_task_group() as tg:
                tg.start_soon(worker, a, f"alpha{path_a.replace('/', '-')}", got_a)
                tg.start_soon(worker, b, f"beta{path_b.replace('/', '-')}", got_b)
            a.check_stream()
            b.check_stream()
    assert len(got_a) == calls and len(got_b) == calls
    assert len(set(got_a) | set(got_b)) == 2 * calls, "task ids repeated across the two clients"


@pytest.mark.timeout(60)
@pytest.mark.parametrize("path", LEGACY_PATHS)
async def test_legacy_session_is_removed_when_its_stream_closes(start_server, path):
    # E7: the session lives as long as the SSE connection (/health `sessions` goes back down once the client
    # has closed the stream). The wait runs up to 35 s so the failure message reports the real removal time.
    server = start_server()
    base = server.session_count()
    async with legacy_session(server, path) as tt:
        await tt.create("while connected", created_by="e7")
        opened = await server.wait_session_count(lambda n: n == base + 1, 3, f"{base + 1} while connected")
        assert opened == base + 1
    closed_at = time.monotonic()
    await server.wait_session_count(lambda n: n == base, 35, f"{base} after the stream closed")
    removal = time.monotonic() - closed_at
    metric(f"legacy {path} session removal after client closed the stream", removal)
    assert removal <= MAX_REMOVAL_SECONDS, (
        f"legacy {path} session was removed {removal:.1f}s after the client closed its stream "
        f"(allowed {MAX_REMOVAL_SECONDS}s)")
