"""Which era the high-level ``mcp.Client`` ends up in against TinyTask, over stdio and Streamable HTTP
(issue 13 §5): ``mode="auto"`` (the SDK's default) probes ``server/discover`` and adopts 2026-07-28 with no
handshake; ``mode="legacy"`` runs ``initialize`` and keeps 2025-11-25; ``mode="2026-07-28"`` pins the modern era
without a probe. Each client then does real work (a task created and read back, structured content checked),
and over HTTP the answers show which era served it: a legacy session has an ``Mcp-Session-Id``, a modern client
never receives one (M4)."""

from __future__ import annotations

import json
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client

from conftest import LATEST_VERSION, MODERN_VERSION, require_binary, server_env
from http_support import http_server  # noqa: F401  (fixture)

pytestmark = pytest.mark.anyio

CONNECT_BOUND = 5.0  # seconds: the auto probe is answered at once, so connecting must never wait for its timeout
MODES = {"auto": MODERN_VERSION, "legacy": LATEST_VERSION, MODERN_VERSION: MODERN_VERSION}


class SeenHeaders:
    """httpx2 response hook: the Mcp-Session-Id headers of every answer the client received."""

    def __init__(self) -> None:
        self.session_ids: list[str] = []
        self.answers = 0

    async def __call__(self, response: httpx2.Response) -> None:
        self.answers += 1
        if sid := response.headers.get("mcp-session-id"):
            self.session_ids.append(sid)


@asynccontextmanager
async def client_for(transport: str, mode: str, workdir: Path, url: str | None,
                     seen: SeenHeaders) -> AsyncIterator[Client]:
    """A connected ``mcp.Client`` in `mode` (response cache off, so every call reaches the server)."""
    if transport == "stdio":
        params = StdioServerParameters(command=require_binary(), args=[], env=server_env(workdir / "t.db"),
                                       cwd=str(workdir))
        with open(workdir / f"era-{mode}.stderr.log", "w") as errlog:
            async with Client(stdio_client(params, errlog=errlog), mode=mode, cache=None,
                              read_timeout_seconds=10) as client:
                yield client
        return
    assert url
    async with httpx2.AsyncClient(timeout=httpx2.Timeout(30.0, read=60.0),
                                  event_hooks={"response": [seen]}) as http:
        async with Client(streamable_http_client(url, http_client=http), mode=mode, cache=None,
                          read_timeout_seconds=10) as client:
            yield client


async def work(client: Client, tag: str) -> None:
    created = await client.call_tool("create_task", {"title": f"era {tag}", "created_by": "era-tests"})
    assert created.is_error is not True, created
    data = json.loads(created.content[0].text)
    assert data["title"] == f"era {tag}"
    assert created.structured_content == data, "structuredContent differs from the text JSON"
    got = await client.call_tool("get_task", {"id": data["id"]})
    assert got.is_error is not True and json.loads(got.content[0].text)["id"] == data["id"], got


@pytest.mark.parametrize("transport", ["stdio", "http"])
@pytest.mark.parametrize("mode", list(MODES))
async def test_client_mode_decides_the_era(tmp_path, http_server, transport, mode):  # noqa: F811  (fixture)
    seen = SeenHeaders()
    url = http_server.mcp_url if transport == "http" else None
    with anyio.fail_after(15):
        started = time.monotonic()
        async with client_for(transport, mode, tmp_path, url, seen) as client:
            connect_seconds = time.monotonic() - started
            assert client.protocol_version == MODES[mode], f"[{transport}] mode={mode}: {client.protocol_version}"
            session = client.session
            if MODES[mode] == MODERN_VERSION:
                assert session.initialize_result is None, f"[{transport}] mode={mode} ran the handshake"
                if mode == "auto":  # adopted from the server's own discover answer
                    assert session.discover_result is not None
                    assert MODERN_VERSION in session.discover_result.supported_versions
                    assert client.server_info is not None and client.server_info.name == "tinytask-mcp", \
                        f"server/discover _meta serverInfo: {client.server_info!r}"
                    assert session.server_capabilities.tools is not None
            else:
                assert session.initialize_result is not None and session.discover_result is None
                assert client.server_info is not None and client.server_info.name
            await work(client, f"{transport}-{mode}")
    assert connect_seconds < CONNECT_BOUND, f"[{transport}] mode={mode}: connect took {connect_seconds:.2f}s"
    if transport == "http":
        assert seen.answers >= 3, f"only {seen.answers} HTTP answers seen"
        if MODES[mode] == MODERN_VERSION:
            assert seen.session_ids == [], f"mode={mode}: the server minted Mcp-Session-Id {seen.session_ids}"
        else:
            assert seen.session_ids, "mode=legacy: the initialize answer carried no Mcp-Session-Id"
            assert len(set(seen.session_ids)) == 1, f"one session expected: {set(seen.session_ids)}"


async def test_auto_and_legacy_clients_share_one_board(http_server):  # noqa: F811  (fixture)
    """M11: a modern and a legacy client on the same endpoint see each other's writes at once."""
    seen = SeenHeaders()
    with anyio.fail_after(15):
        async with client_for("http", "auto", Path("."), http_server.mcp_url, seen) as modern, \
                client_for("http", "legacy", Path("."), http_server.mcp_url, seen) as legacy:
            assert (modern.protocol_version, legacy.protocol_version) == (MODERN_VERSION, LATEST_VERSION)
            res = await modern.call_tool("create_task", {"title": "written modern", "created_by": "m"})
            task = json.loads(res.content[0].text)
            got = await legacy.call_tool("get_task", {"id": task["id"]})
            assert json.loads(got.content[0].text)["title"] == "written modern"
            await legacy.call_tool("update_task", {"id": task["id"], "status": "working", "changed_by": "l"})
            again: Any = json.loads((await modern.call_tool("get_task", {"id": task["id"]})).content[0].text)
            assert again["status"] == "working"
