"""Resource subscriptions across processes on one database file, in both eras.

Several TinyTask processes may serve one SQLite file (a stdio server per agent beside an HTTP server). A
subscriber must hear of a change whichever process committed it: here the subscriber's server is an HTTP
process and the writer is a separate stdio process on the same file.
"""

from __future__ import annotations

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from conftest import REQUEST_TIMEOUT, require_binary, server_env
from http_support import HttpServer, Inbox, streamable_session

pytestmark = pytest.mark.anyio

# The relay looks after each foreign-commit wake-up, and every 5 s without one.
DELIVERY_TIMEOUT = 10.0


def writer_params(server: HttpServer) -> StdioServerParameters:
    """A second process (stdio) on the HTTP server's database file."""
    return StdioServerParameters(command=require_binary(), args=[],
                                 env=server_env(server.db_path, "warn"), cwd=str(server.workdir))


async def test_listen_hears_a_change_committed_by_another_process(tmp_path):
    server = HttpServer(tmp_path)
    try:
        async with Client(server.mcp_url, mode="2026-07-28") as reader, \
                Client(writer_params(server), mode="legacy") as writer:
            created = await reader.call_tool("create_task", {"title": "watched", "created_by": "reader"})
            task_id = created.structured_content["id"]
            async with reader.listen(resource_subscriptions=[f"task://{task_id}"]) as sub:
                assert sub.honored.resource_subscriptions == [f"task://{task_id}"]
                changed = await writer.call_tool("update_task", {"id": task_id, "title": "changed elsewhere"})
                assert not changed.is_error
                with anyio.fail_after(DELIVERY_TIMEOUT):
                    async for event in sub:
                        assert event.uri == f"task://{task_id}"
                        break
            read = await reader.read_resource(f"task://{task_id}")
            assert "changed elsewhere" in read.contents[0].text
    finally:
        server.terminate()


async def test_legacy_subscription_hears_a_change_committed_by_another_process(tmp_path):
    server = HttpServer(tmp_path)
    try:
        inbox = Inbox()
        async with streamable_session(server, inbox=inbox) as reader, \
                Client(writer_params(server), mode="legacy") as writer:
            task = await reader.create("watched")
            await reader.wait_push_ready()
            uri = f"task://{task['id']}"
            with anyio.fail_after(REQUEST_TIMEOUT):
                await reader.session.subscribe_resource(uri)
            since = inbox.mark()
            changed = await writer.call_tool("update_task", {"id": task["id"], "status": "working"})
            assert not changed.is_error
            waited = await inbox.wait_updated(uri, since, DELIVERY_TIMEOUT)
            assert waited is not None, f"no update for {uri}: {inbox.describe(since)}"
    finally:
        server.terminate()
