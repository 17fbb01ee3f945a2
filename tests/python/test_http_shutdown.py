"""Graceful shutdown of the HTTP server with many open SSE streams: SIGTERM → exit status 0 in < 2 s, and the
writes made before are in the database when the server restarts on it."""

from __future__ import annotations

import anyio
import httpx2
import pytest

from conftest import LATEST_VERSION, assert_task
from http_support import (
    RawLegacyStream,
    metric,
    raw_initialize,
    raw_tool,
    start_server,  # noqa: F401  (fixture)
    streamable_session,
)

pytestmark = pytest.mark.anyio

STREAMABLE_STREAMS = 50  # GET /mcp streams of initialized Streamable HTTP sessions
LEGACY_STREAMS = 50  # GET /sse legacy streams
MAX_EXIT_SECONDS = 2.0


@pytest.mark.timeout(60)
async def test_sigterm_with_100_open_sse_streams_exits_0_quickly_and_keeps_writes(start_server):
    server = start_server(db_name="shutdown.db")
    limits = httpx2.Limits(max_connections=400, max_keepalive_connections=100)
    streams: list[httpx2.Response] = []
    readers: list[RawLegacyStream] = []
    async with httpx2.AsyncClient(timeout=httpx2.Timeout(10.0, read=60.0), limits=limits) as c:
        sids: list[str] = []

        async def streamable_stream() -> None:
            sid = await raw_initialize(c, server.mcp_url)
            sids.append(sid)
            req = c.build_request("GET", server.mcp_url, headers={
                "Accept": "text/event-stream", "Mcp-Session-Id": sid, "MCP-Protocol-Version": LATEST_VERSION})
            resp = await c.send(req, stream=True)
            streams.append(resp)
            assert resp.status_code == 200, f"GET /mcp stream: HTTP {resp.status_code}"
            assert resp.headers.get("content-type", "").startswith("text/event-stream")

        async def legacy_stream() -> None:
            req = c.build_request("GET", server.sse_url, headers={"Accept": "text/event-stream"})
            resp = await c.send(req, stream=True)
            streams.append(resp)
            assert resp.status_code == 200, f"GET /sse: HTTP {resp.status_code}"
            reader = RawLegacyStream(resp)
            readers.append(reader)  # keep it: a collected line iterator closes its response
            event, data = await reader.next_event()
            assert event == "endpoint" and "sessionId=" in data, (event, data)

        with anyio.fail_after(30):
            async with anyio.create_task_group() as tg:
                for _ in range(STREAMABLE_STREAMS):
                    tg.start_soon(streamable_stream)
                for _ in range(LEGACY_STREAMS):
                    tg.start_soon(legacy_stream)
        assert len(streams) == STREAMABLE_STREAMS + LEGACY_STREAMS
        open_sessions = await anyio.to_thread.run_sync(server.session_count)
        assert open_sessions == STREAMABLE_STREAMS + LEGACY_STREAMS, f"/health sessions: {open_sessions}"

        with anyio.fail_after(10):
            task = await raw_tool(c, server.mcp_url, sids[0], "create_task",
                                  {"title": "written before SIGTERM", "created_by": "shutdown", "priority": 4})
        assert_task(task, title="written before SIGTERM")

        code, seconds = await anyio.to_thread.run_sync(server.terminate, 15.0)
        metric(f"SIGTERM to exit with {len(streams)} open SSE streams", seconds)

        with anyio.fail_after(10):
            for resp in streams:
                await resp.aclose()

    assert code == 0, f"exit status {code} after SIGTERM; stderr tail:\n{server.stderr_tail()}"
    assert seconds < MAX_EXIT_SECONDS, \
        f"server took {seconds:.2f}s to exit after SIGTERM with {len(streams)} open SSE streams " \
        f"(limit {MAX_EXIT_SECONDS}s)"

    # restart on the same database: the write is there
    again = start_server(db_name="shutdown.db")
    async with streamable_session(again) as tt:
        got = await tt.get(task["id"])
        assert (got["title"], got["created_by"], got["priority"]) == ("written before SIGTERM", "shutdown", 4)


@pytest.mark.timeout(30)
async def test_sigterm_idle_server_exits_0(start_server):
    server = start_server()
    async with streamable_session(server) as tt:
        await tt.create("idle shutdown", created_by="x")
    code, seconds = await anyio.to_thread.run_sync(server.terminate, 10.0)
    metric("SIGTERM to exit, idle server", seconds)
    assert code == 0, f"exit status {code}; stderr tail:\n{server.stderr_tail()}"
    assert seconds < MAX_EXIT_SECONDS, f"idle server took {seconds:.2f}s to exit after SIGTERM"
