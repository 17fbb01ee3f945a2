"""Server push over HTTP: `resources/subscribe` → `notifications/resources/updated {uri}` (R5) for changes made by
another session (Streamable HTTP, legacy SSE, and stdio of a `both`-mode server), `resources/unsubscribe`,
unsupported URIs (-32602), and `notifications/message` after `logging/setLevel` (LG1/LG2).

Latency is measured from just before the other session sends its change to the arrival of the notification at
the subscriber; the assertion allows 1 s (the spec target is 100 ms) and the message reports the figure."""

from __future__ import annotations

import time
import uuid
from typing import Any, Awaitable, Callable

import anyio
import pytest
from mcp import MCPError

from conftest import LATEST_VERSION
from http_support import (
    HTT,
    http_server,  # noqa: F401  (fixture)
    metric,
    open_session,
    start_server,  # noqa: F401  (fixture)
    streamable_session,
)

pytestmark = pytest.mark.anyio

MAX_LATENCY = 1.0  # seconds allowed here; the target is 0.1 s
WAIT_FOR_PUSH = 3.0  # how long to wait for a notification that must come (latency is asserted separately)
QUIET_WAIT = 0.5  # how long to wait to show that a notification does not come

TRANSPORTS = ["streamable", "sse", "mcp-sse"]  # Streamable HTTP, legacy /sse, legacy 1.x-style on /mcp


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def subscribe(tt: HTT, uri: str) -> None:
    with anyio.fail_after(10):
        res = await tt.session.subscribe_resource(uri)
    assert res is not None


async def unsubscribe(tt: HTT, uri: str) -> None:
    with anyio.fail_after(10):
        res = await tt.session.unsubscribe_resource(uri)
    assert res is not None


async def expect_push(sub: HTT, uri: str, change: Callable[[], Awaitable[Any]], what: str) -> float:
    """Runs `change` (made elsewhere) and returns the latency of `notifications/resources/updated {uri}` at `sub`."""
    mark = sub.inbox.mark()
    started = time.monotonic()
    await change()
    arrived = await sub.inbox.wait_updated(uri, mark, WAIT_FOR_PUSH)
    assert arrived is not None, (
        f"[{sub.transport}] no notifications/resources/updated {{uri: {uri}}} within {WAIT_FOR_PUSH}s after {what}; "
        f"notifications received since: {sub.inbox.describe(mark)}")
    latency = arrived - started
    metric(f"push latency [{sub.transport}] {uri.split('://')[0]}:// after {what}", latency)
    assert latency <= MAX_LATENCY, (
        f"[{sub.transport}] resources/updated {uri} arrived {latency * 1000:.1f} ms after {what} "
        f"(allowed {MAX_LATENCY * 1000:.0f} ms, target 100 ms)")
    return latency


async def expect_quiet(tt: HTT, mark: int, uri: str | None = None, why: str = "") -> None:
    """No resources/updated (for `uri`, or for anything when None) reaches `tt` within QUIET_WAIT after `mark`."""
    await anyio.sleep(QUIET_WAIT)
    got = [u for _, u in tt.inbox.updated(mark) if uri is None or u == uri]
    assert not got, f"[{tt.transport}] unexpected notifications/resources/updated {got} ({why})"


# Each scenario: (setup(actor) -> (uri, state), change(actor, state) -> coroutine).
async def _setup_task(actor: HTT):
    t = await actor.create(unique("watched task"), created_by="actor")
    return f"task://{t['id']}", t["id"]


async def _change_task(actor: HTT, task_id: int, n: int):
    await actor.update(task_id, priority=n, changed_by="actor")


async def _setup_agent_queue(actor: HTT):
    agent = unique("agent")
    return f"queue://{agent}", agent


async def _change_agent_queue(actor: HTT, agent: str, n: int):
    await actor.create(f"for {agent} #{n}", created_by="actor", assigned_to=agent)


async def _setup_queue_tasks(actor: HTT):
    queue = unique("pushq")
    return f"queue://tasks/{queue}", queue


async def _change_queue_tasks(actor: HTT, queue: str, n: int):
    await actor.create(f"in {queue} #{n}", created_by="actor", queue_name=queue)


async def _setup_active(actor: HTT):
    return "tasks://active", None


async def _change_active(actor: HTT, _state: Any, n: int):
    await actor.create(unique(f"active #{n}"), created_by="actor")


SCENARIOS = {
    "task": (_setup_task, _change_task),
    "agent-queue": (_setup_agent_queue, _change_agent_queue),
    "queue-tasks": (_setup_queue_tasks, _change_queue_tasks),
    "tasks-active": (_setup_active, _change_active),
}


@pytest.mark.timeout(30)
@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("scenario", list(SCENARIOS))
async def test_subscriber_is_pushed_changes_made_by_another_session(http_server, transport, scenario):
    setup, change = SCENARIOS[scenario]
    with anyio.fail_after(25):
        async with streamable_session(http_server) as actor, \
                open_session(http_server, transport) as sub, \
                open_session(http_server, transport) as bystander:
            uri, state = await setup(actor)
            await subscribe(sub, uri)
            await sub.wait_push_ready()
            await bystander.wait_push_ready()
            bystander_mark = bystander.inbox.mark()

            # R5: the change made by another session reaches the subscriber within the latency bound …
            await expect_push(sub, uri, lambda: change(actor, state, 1), f"{scenario} change by another session")
            # … and nobody else (the bystander never subscribed)
            await expect_quiet(bystander, bystander_mark, None, "bystander never subscribed")
            # only subscribed URIs are ever pushed to the subscriber
            foreign = {u for _, u in sub.inbox.updated() if u != uri}
            assert not foreign, f"[{transport}] subscriber of {uri} got updates for {foreign}"

            # the subscriber's own change is pushed as well (a change is a change, whoever made it)
            await expect_push(sub, uri, lambda: change(sub, state, 2), f"{scenario} change by the subscriber itself")

            # after resources/unsubscribe: nothing more
            await unsubscribe(sub, uri)
            mark = sub.inbox.mark()
            await change(actor, state, 3)
            await expect_quiet(sub, mark, uri, "after resources/unsubscribe")
            sub.check_stream()
            bystander.check_stream()


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("uri", ["task://1/comments", "foo://x"])
async def test_subscribe_to_unsupported_uri_is_invalid_params(http_server, transport, uri):
    async with open_session(http_server, transport) as tt:
        with anyio.fail_after(10), pytest.raises(MCPError) as info:
            await tt.session.subscribe_resource(uri)
        assert info.value.code == -32602, f"[{transport}] subscribe {uri}: {info.value.code} {info.value.message}"
        # the session stays usable
        assert (await tt.create("still fine", created_by="x"))["title"] == "still fine"


@pytest.mark.timeout(30)
@pytest.mark.parametrize("transport", ["streamable", "sse"])
async def test_change_over_stdio_is_pushed_to_http_subscriber_in_both_mode(start_server, transport):
    server = start_server(mode="both")
    raw = server.raw
    assert raw is not None
    init = await anyio.to_thread.run_sync(raw.initialize)
    assert init["protocolVersion"] == LATEST_VERSION
    task = await anyio.to_thread.run_sync(raw.tool_json, "create_task", {"title": "stdio task", "created_by": "cli"})
    uri = f"task://{task['id']}"
    with anyio.fail_after(20):
        async with open_session(server, transport) as sub:
            assert (await sub.get(task["id"]))["title"] == "stdio task"  # one database for stdio and HTTP
            await subscribe(sub, uri)
            await subscribe(sub, "tasks://active")
            await sub.wait_push_ready()

            async def stdio_update():
                await anyio.to_thread.run_sync(
                    raw.tool_json, "update_task", {"id": task["id"], "priority": 7, "changed_by": "cli"})

            await expect_push(sub, uri, stdio_update, "update_task over stdio")

            async def stdio_create():
                await anyio.to_thread.run_sync(raw.tool_json, "create_task", {"title": "2nd", "created_by": "cli"})

            await expect_push(sub, "tasks://active", stdio_create, "create_task over stdio")
            sub.check_stream()


@pytest.mark.timeout(30)
async def test_change_over_http_is_pushed_to_stdio_subscriber_in_both_mode(start_server):
    server = start_server(mode="both")
    raw = server.raw
    assert raw is not None
    await anyio.to_thread.run_sync(raw.initialize)
    task = await anyio.to_thread.run_sync(raw.tool_json, "create_task", {"title": "watched on stdio",
                                                                         "created_by": "cli"})
    uri = f"task://{task['id']}"
    assert await anyio.to_thread.run_sync(raw.result, "resources/subscribe", {"uri": uri}) == {}

    def next_update(timeout: float) -> tuple[dict, float]:
        deadline = time.monotonic() + timeout
        while True:
            msg = raw.recv(max(0.01, deadline - time.monotonic()))
            if msg.get("method") == "notifications/resources/updated":
                return msg, time.monotonic()
            assert "id" not in msg, f"unexpected response on stdio: {msg}"

    with anyio.fail_after(20):
        async with streamable_session(server) as actor:
            started = time.monotonic()
            await actor.update(task["id"], priority=3, changed_by="http")
            msg, arrived = await anyio.to_thread.run_sync(next_update, WAIT_FOR_PUSH)
    assert msg == {"jsonrpc": "2.0", "method": "notifications/resources/updated", "params": {"uri": uri}}, msg
    latency = arrived - started
    metric("push latency [stdio subscriber] task:// after update over Streamable HTTP", latency)
    assert latency <= MAX_LATENCY, f"stdio got resources/updated {latency * 1000:.1f} ms after the HTTP change"


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_debug_level_tool_call_yields_log_messages(http_server, transport):
    via_callback: list[Any] = []

    async def on_log(params):
        via_callback.append(params)

    async with open_session(http_server, transport, logging_callback=on_log) as tt:
        await tt.wait_push_ready()
        with anyio.fail_after(10):
            await tt.session.set_logging_level("debug")
        mark = tt.inbox.mark()
        await tt.create("logged", created_by="logger")
        got = await tt.inbox.wait_log_message(mark, WAIT_FOR_PUSH)
        assert got, f"[{transport}] no notifications/message within {WAIT_FOR_PUSH}s after a tool call at debug level"
        levels = {"debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"}
        for p in got:
            assert p.level in levels, p
            assert p.data is not None, p
        assert via_callback, "logging_callback was not called"
        tt.check_stream()


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_emergency_level_tool_error_yields_no_log_messages(http_server, transport):
    async with open_session(http_server, transport) as tt:
        await tt.wait_push_ready()
        with anyio.fail_after(10):
            await tt.session.set_logging_level("emergency")
        mark = tt.inbox.mark()
        text = await tt.err("get_task", {"id": 987654})
        assert "987654" in text
        await anyio.sleep(QUIET_WAIT)
        got = tt.inbox.log_messages(mark)
        assert not got, f"[{transport}] notifications/message below emergency after setLevel(emergency): {got}"
