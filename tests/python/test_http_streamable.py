"""Streamable HTTP (`POST/GET/DELETE /mcp`, checklist §7) in legacy sessions, driven by the official SDK's
`streamable_http_client`. (The high-level `mcp.Client` in each mode, auto included: test_era.py; the stateless
2026-07-28 era on the raw wire: test_modern_http.py.)"""

from __future__ import annotations

import json

import anyio
import httpx2
import pytest

from conftest import LATEST_VERSION, TOOL_COUNT, TOOL_PARAMS, assert_task, assert_task_with_relations, compact
from http_support import (
    http_server,  # noqa: F401  (fixture)
    raw_initialize,
    raw_request,
    rpc_from_response,
    run_workflow,
    session_headers,
    streamable_session,
)

pytestmark = pytest.mark.anyio


async def test_streamable_initialize_negotiates_2025_11_25(http_server):
    async with streamable_session(http_server) as tt:
        assert tt.protocol_version == LATEST_VERSION
        init = tt.session.initialize_result
        assert init.server_info.name and init.server_info.version
        caps = tt.session.server_capabilities
        assert caps.tools is not None and caps.logging is not None
        assert caps.resources is not None and caps.resources.subscribe is True, \
            f"resources.subscribe must be declared (R5): {caps.resources!r}"


async def test_streamable_tools_list_has_the_32_tools(http_server):
    async with streamable_session(http_server) as tt:
        with anyio.fail_after(10):
            tools = (await tt.session.list_tools()).tools
        names = [t.name for t in tools]
        assert len(names) == TOOL_COUNT and set(names) == set(TOOL_PARAMS), sorted(names)


async def test_streamable_multi_agent_workflow(http_server):
    async with streamable_session(http_server) as tt:
        with anyio.fail_after(30):
            got = await run_workflow(tt, "streamable")
        tt.check_stream()
    # a second, independent session sees the same board (one database for all sessions)
    async with streamable_session(http_server) as other:
        epic = await other.get(got["epic"])
        assert_task_with_relations(epic, status="complete", queue_name=got["queue"])
        assert epic["archived_at"] is not None


async def test_streamable_ping(http_server):
    async with streamable_session(http_server) as tt:
        with anyio.fail_after(5):
            res = await tt.session.send_ping()
        assert res is not None


async def test_streamable_set_logging_level(http_server):
    async with streamable_session(http_server) as tt:
        with anyio.fail_after(10):
            for level in ("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"):
                res = await tt.session.set_logging_level(level)
                assert res is not None
            # the session keeps working afterwards
            t = await tt.create("after setLevel", created_by="logger")
        assert_task(t, title="after setLevel")


async def test_streamable_read_task_resource(http_server):
    async with streamable_session(http_server) as tt:
        t = await tt.create("Resource over HTTP", created_by="reader", assigned_to="alice")
        c = await tt.call("add_comment", {"task_id": t["id"], "content": "a note", "created_by": "reader"})
        uri = f"task://{t['id']}"
        with anyio.fail_after(10):
            res = await tt.session.read_resource(uri)
        assert len(res.contents) == 1 and str(res.contents[0].uri) == uri, res.contents
        assert res.contents[0].mime_type == "application/json", res.contents[0]
        data = json.loads(res.contents[0].text)
        assert_task_with_relations(data, id=t["id"], title="Resource over HTTP", assigned_to="alice")
        assert [x["id"] for x in data["comments"]] == [c["id"]], data


async def test_streamable_session_lifecycle_raw(http_server):
    # H21 session id on the initialize answer; H18 one GET stream per session (second → 409);
    # H24 DELETE → 204; H23 the deleted session id → 404 afterwards.
    async with httpx2.AsyncClient(timeout=5) as c:
        sid = await raw_initialize(c, http_server.mcp_url)
        assert all(0x21 <= ord(ch) <= 0x7E for ch in sid), f"session id not visible ASCII: {sid!r}"
        msg = await raw_request(c, http_server.mcp_url, sid, "ping", id=7)
        assert msg == {"jsonrpc": "2.0", "id": 7, "result": {}}, msg
        get_headers = {"Accept": "text/event-stream", "Mcp-Session-Id": sid, "MCP-Protocol-Version": LATEST_VERSION}
        async with c.stream("GET", http_server.mcp_url, headers=get_headers) as first:
            assert first.status_code == 200, f"GET stream: HTTP {first.status_code}"
            assert first.headers.get("content-type", "").startswith("text/event-stream")
            second = await c.get(http_server.mcp_url, headers=get_headers)
            assert second.status_code == 409, f"second GET stream: HTTP {second.status_code} {second.text[:200]!r}"
        r = await c.delete(http_server.mcp_url, headers={"Mcp-Session-Id": sid,
                                                         "MCP-Protocol-Version": LATEST_VERSION})
        assert r.status_code == 204, f"DELETE: HTTP {r.status_code} {r.text[:200]!r}"
        gone = await c.post(http_server.mcp_url, content=compact({"jsonrpc": "2.0", "id": 8, "method": "ping"}),
                            headers=session_headers(sid))
        assert gone.status_code == 404, f"POST on deleted session: HTTP {gone.status_code} {gone.text[:200]!r}"


async def test_streamable_sessions_are_isolated_by_id(http_server):
    # two raw sessions, each request answered on its own POST with the right id and result
    async with httpx2.AsyncClient(timeout=5) as c:
        a = await raw_initialize(c, http_server.mcp_url)
        b = await raw_initialize(c, http_server.mcp_url)
        assert a != b
        ra = await raw_request(c, http_server.mcp_url, a, "tools/call",
                               {"name": "create_task", "arguments": {"title": "from A", "created_by": "a"}}, id=3)
        rb = await raw_request(c, http_server.mcp_url, b, "tools/call",
                               {"name": "create_task", "arguments": {"title": "from B", "created_by": "b"}}, id=3)
        ta = json.loads(ra["result"]["content"][0]["text"])
        tb = json.loads(rb["result"]["content"][0]["text"])
        assert (ta["title"], tb["title"]) == ("from A", "from B")
        assert ta["id"] != tb["id"]
        r = await c.post(http_server.mcp_url, content=compact({"jsonrpc": "2.0", "id": 4, "method": "ping"}),
                         headers=session_headers(a))
        assert rpc_from_response(r) == {"jsonrpc": "2.0", "id": 4, "result": {}}
