"""``subscriptions/listen`` (M8), per-request log level (M9) and cancellation (M10) of the 2026-07-28 era, on the
raw wire: httpx2 against a spawned ``TINYTASK_MODE=http`` server, JSON lines on a spawned stdio server.

A listen is one long-lived POST whose SSE answer starts with ``notifications/subscriptions/acknowledged`` (the
honoured subset of the filter), then carries only the kinds asked for, each tagged with ``_meta``
``io.modelcontextprotocol/subscriptionId`` = the listen request's id, and keep-alive comments; the client closing
the stream ends it. On stdio the notifications share stdout, told apart by that id; ``notifications/cancelled``
ends it. Changes made elsewhere (a second HTTP client, the REST API, a legacy session) must arrive.

Keep-alives are not configurable (src/transports/http/sse.rs: answer streams every second, plain streams every
15 s), so the keep-alive test allows 17 s per comment.
"""

from __future__ import annotations

import json
import time
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

import anyio
import httpx2
import pytest

from conftest import (
    META_LOG_LEVEL,
    META_SUBSCRIPTION_ID,
    RawServer,
    compact,
    modern_params,
)
from http_support import (
    HttpServer,
    metric,
    modern_headers,
    raw_initialize,
    raw_tool,
    start_server,  # noqa: F401  (fixture)
)
from test_metrics import samples

pytestmark = pytest.mark.anyio

ACK = "notifications/subscriptions/acknowledged"
UPDATED = "notifications/resources/updated"
LIST_CHANGED = "notifications/resources/list_changed"
PUSH_BOUND = 2.0  # seconds for a change to reach a listener (legacy push measures ~4 ms; the spec aims at 100 ms)
QUIET = 0.7  # seconds of silence that count as "nothing was sent"
KEEP_ALIVE_BOUND = 17.0  # seconds per keep-alive comment: the longest period the server uses (15 s), plus slack
SETTLE = 0.6  # seconds for a waiting call to be registered before the test acts
COUNT_SETTLE = 5.0  # seconds for a closed stream to leave the server's counts


# --------------------------------------------------------------------------------------------------------------
# raw modern HTTP


async def modern_post(client: httpx2.AsyncClient, server: HttpServer, method: str, params: dict | None,
                      id: Any, extra_meta: dict | None = None) -> httpx2.Response:
    name = (params or {}).get("uri" if method == "resources/read" else "name")
    body = {"jsonrpc": "2.0", "id": id, "method": method, "params": modern_params(params, extra=extra_meta)}
    return await client.post(server.mcp_url, content=compact(body),
                             headers=modern_headers(method, name if isinstance(name, str) else None))


async def modern_tool(client: httpx2.AsyncClient, server: HttpServer, name: str, args: dict, id: Any = 1) -> Any:
    r = await modern_post(client, server, "tools/call", {"name": name, "arguments": args}, id)
    assert r.status_code == 200 and r.headers.get("content-type", "").startswith("application/json"), \
        f"{name}: HTTP {r.status_code} {r.headers.get('content-type')!r} {r.text[:300]!r}"
    msg = r.json()
    assert msg.get("id") == id and "result" in msg and not msg["result"].get("isError"), f"{name}: {msg}"
    return json.loads(msg["result"]["content"][0]["text"])


def sse_messages(text: str) -> list[dict]:
    """Every JSON message of a complete SSE body, in order."""
    out = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        data = [ln[5:].lstrip(" ") for ln in block.split("\n") if ln.startswith("data:")]
        if data and "".join(data).strip():
            out.append(json.loads("\n".join(data)))
    return out


class ListenStream:
    """The open SSE answer of a listen POST: JSON messages and keep-alive comments, each read with a timeout."""

    def __init__(self, response: httpx2.Response, listen_id: Any):
        self.response = response
        self.listen_id = listen_id
        self._lines = response.aiter_lines()
        self.comments: list[float] = []  # monotonic arrival times of comment lines
        self.messages: list[tuple[float, dict]] = []

    async def next_message(self, timeout: float, until_comment: bool = False) -> dict | None:
        """The next JSON message, or None when `timeout` passes first (or, `until_comment`, at the next comment
        line); fails when the stream ends."""
        data: list[str] = []
        with anyio.move_on_after(timeout):
            async for line in self._lines:
                if line.startswith(":"):
                    self.comments.append(time.monotonic())
                    if until_comment:
                        return None
                    continue
                if line == "":
                    if "".join(data).strip():  # (an event without data, e.g. a priming id, carries nothing)
                        msg = json.loads("\n".join(data))
                        self.messages.append((time.monotonic(), msg))
                        return msg
                    data = []
                    continue
                field, _, value = line.partition(":")
                if field == "data":
                    data.append(value[1:] if value.startswith(" ") else value)
            raise AssertionError(f"the listen stream {self.listen_id!r} ended; messages: {self.messages}")
        return None

    async def next_notification(self, timeout: float) -> dict:
        msg = await self.next_message(timeout)
        assert msg is not None, f"no notification within {timeout}s on listen {self.listen_id!r}"
        assert "id" not in msg and msg.get("method"), f"a listen stream carried a non-notification: {msg}"
        sub_id = ((msg.get("params") or {}).get("_meta") or {}).get(META_SUBSCRIPTION_ID, "<missing>")
        assert sub_id == self.listen_id and type(sub_id) is type(self.listen_id), \
            f"{msg['method']} carries subscriptionId {sub_id!r}, not the listen id {self.listen_id!r}: {msg}"
        return msg

    async def wait_update(self, uri: str, allowed: tuple[str, ...] = (), timeout: float = PUSH_BOUND) -> float:
        """Arrival time of the next resources/updated for `uri`. Before it, only updates of the `allowed` URIs
        (others the listen asked for, which the same change may touch) may come; anything else fails."""
        deadline = time.monotonic() + timeout
        seen = []
        while True:
            msg = await self.next_notification(max(0.05, deadline - time.monotonic()))
            seen.append(msg)
            got = msg["params"].get("uri") if msg["method"] == UPDATED else None
            if got == uri:
                return self.messages[-1][0]
            assert got in allowed, f"waiting for {UPDATED} {{uri: {uri}}}, got {seen}"

    async def assert_quiet(self, why: str) -> None:
        msg = await self.next_message(QUIET)
        assert msg is None, f"{why}: the listen stream carried {msg}"


@asynccontextmanager
async def listen(client: httpx2.AsyncClient, server: HttpServer, notifications: dict,
                 listen_id: Any = "listen-1") -> AsyncIterator[tuple[ListenStream, dict]]:
    """Opens a listen POST; yields the stream and the acknowledgement (checked to come first). Leaving closes the
    stream (the client's way of ending the subscription)."""
    body = {"jsonrpc": "2.0", "id": listen_id, "method": "subscriptions/listen",
            "params": modern_params({"notifications": notifications})}
    async with client.stream("POST", server.mcp_url, content=compact(body),
                             headers=modern_headers("subscriptions/listen")) as r:
        assert r.status_code == 200, f"listen: HTTP {r.status_code} {(await r.aread())[:300]!r}"
        assert r.headers.get("content-type", "").startswith("text/event-stream"), r.headers
        assert "mcp-session-id" not in r.headers, "a listen was given an Mcp-Session-Id"
        stream = ListenStream(r, listen_id)
        ack = await stream.next_notification(5.0)
        assert ack["method"] == ACK, f"the first message of a listen stream is {ack}, not {ACK}"
        yield stream, ack["params"]["notifications"]


@pytest.fixture
async def client():
    async with httpx2.AsyncClient(timeout=httpx2.Timeout(10.0, read=30.0)) as c:
        yield c


@pytest.fixture
def server(start_server):  # noqa: F811  (fixture)
    return start_server()


# --------------------------------------------------------------------------------------------------------------
# HTTP


@pytest.mark.parametrize("listen_id", ["listen-a", 0])
async def test_ack_first_then_only_the_requested_uri_each_tagged_with_the_listen_id(server, client, listen_id):
    a = await modern_tool(client, server, "create_task", {"title": "watched", "created_by": "t"})
    b = await modern_tool(client, server, "create_task", {"title": "not watched", "created_by": "t"})
    uri = f"task://{a['id']}"
    async with listen(client, server, {"resourceSubscriptions": [uri]}, listen_id) as (stream, honoured):
        assert honoured == {"resourceSubscriptions": [uri]}, honoured
        # changes to what was not asked for (another task, the task list) first: nothing may arrive for them
        await modern_tool(client, server, "update_task", {"id": b["id"], "priority": 4}, 2)
        await modern_tool(client, server, "create_task", {"title": "list grows", "created_by": "t"}, 3)
        started = time.monotonic()
        await modern_tool(client, server, "update_task", {"id": a["id"], "priority": 5}, 4)
        arrived = await stream.wait_update(uri)
        metric("listen push latency task:// after update_task (modern HTTP)", arrived - started)
        await stream.assert_quiet("after the one change of the watched task")


async def test_the_ack_is_the_honoured_subset_of_the_filter(server, client):
    t = await modern_tool(client, server, "create_task", {"title": "t", "created_by": "t", "assigned_to": "ana",
                                                          "queue_name": "lq"})
    subscribable = [f"task://{t['id']}", "queue://ana", "queue://tasks/lq", "tasks://active"]
    asked = {"resourceSubscriptions": [*subscribable, "task://1/comments"], "resourcesListChanged": True,
             "toolsListChanged": True, "promptsListChanged": True}
    async with listen(client, server, asked) as (_, honoured):
        assert set(honoured) <= set(asked), f"the ack names kinds nobody asked for: {honoured}"
        for kind, value in honoured.items():
            if kind != "resourceSubscriptions":
                assert value is True, f"{kind}: {value!r}"
        # every URI kind a legacy client may subscribe to is honoured; the unsupported one is not
        assert sorted(honoured.get("resourceSubscriptions", [])) == sorted(subscribable), honoured


async def test_changes_from_another_client_the_rest_api_and_a_legacy_session_arrive(server, client):
    t = await modern_tool(client, server, "create_task", {"title": "shared", "created_by": "t"})
    uri = f"task://{t['id']}"
    async with listen(client, server, {"resourceSubscriptions": [uri, "tasks://active"]}) as (stream, _), \
            httpx2.AsyncClient(timeout=10.0) as other:
        # (the task is also in tasks://active, so that update may come with each change of it)
        started = time.monotonic()
        await modern_tool(other, server, "update_task", {"id": t["id"], "priority": 2}, "other-1")
        arrived = await stream.wait_update(uri, ("tasks://active",))
        metric("listen push latency: change by a second HTTP client", arrived - started)

        started = time.monotonic()
        r = await other.post(f"{server.base}/api/v1/tasks", json={"title": "via REST", "created_by": "rest"})
        assert r.status_code == 201, f"REST POST /api/v1/tasks: HTTP {r.status_code} {r.text[:300]!r}"
        arrived = await stream.wait_update("tasks://active", (uri,))
        metric("listen push latency: REST create -> tasks://active", arrived - started)

        sid = await raw_initialize(other, server.mcp_url)
        started = time.monotonic()
        await raw_tool(other, server.mcp_url, sid, "update_task", {"id": t["id"], "priority": 3})
        arrived = await stream.wait_update(uri, ("tasks://active",))
        metric("listen push latency: change by a legacy session", arrived - started)


@pytest.mark.timeout(45)
async def test_an_idle_listen_gets_keep_alive_comments(server, client):
    async with listen(client, server, {"resourceSubscriptions": ["tasks://active"]}) as (stream, _):
        # two comments after the ack (a first one may just be the stream's opening flush): their interval is
        # the keep-alive period
        start = len(stream.comments)
        for _ in range(2):
            msg = await stream.next_message(KEEP_ALIVE_BOUND, until_comment=True)
            assert msg is None, f"an idle listen carried {msg}"
        got = stream.comments[start:]
        assert len(got) >= 2, f"fewer than 2 keep-alive comments within {2 * KEEP_ALIVE_BOUND}s on an idle listen"
        metric("listen keep-alive: interval between comments", got[-1] - got[-2])


def open_counts(server: HttpServer) -> tuple[float, int]:
    """(all tinytask_streams_open series summed, /health subscriptions)."""
    streams = sum(v for (name, _), v in samples(server).items() if name == "tinytask_streams_open")
    status, health = server.health()
    assert status == 200, health
    return streams, health["subscriptions"]


async def wait_counts(server: HttpServer, want: Any, what: str) -> tuple[float, int]:
    deadline = time.monotonic() + COUNT_SETTLE
    seen = []
    while True:
        got = await anyio.to_thread.run_sync(open_counts, server)
        seen.append(got)
        if want(got):
            return got
        assert time.monotonic() < deadline, f"(streams_open, subscriptions) never {what}; seen {seen[-5:]}"
        await anyio.sleep(0.05)


async def test_closing_the_stream_ends_the_listen(server, client):
    t = await modern_tool(client, server, "create_task", {"title": "t", "created_by": "t"})
    uri = f"task://{t['id']}"
    base_streams, base_subs = await anyio.to_thread.run_sync(open_counts, server)
    async with listen(client, server, {"resourceSubscriptions": [uri]}):
        # the open listen shows in what the server exposes: its subscription in /health (and, should it count
        # listen streams, tinytask_streams_open)
        open_ = await wait_counts(server, lambda c: c[0] > base_streams or c[1] > base_subs, "counting the listen")
        metric("listen: /health subscriptions + tinytask_streams_open above the baseline while open",
               float(open_[1] - base_subs + open_[0] - base_streams), "count")
    await wait_counts(server, lambda c: c == (base_streams, base_subs), "back to the counts before the listen")
    # the server keeps serving, and a new listen starts from nothing
    async with listen(client, server, {"resourceSubscriptions": [uri]}, "listen-2") as (stream, _):
        await modern_tool(client, server, "update_task", {"id": t["id"], "priority": 9}, 5)
        await stream.wait_update(uri)


# --------------------------------------------------------------------------------------------------------------
# stdio


def stdio_modern(s: RawServer, method: str, params: dict | None, id: Any, extra_meta: dict | None = None) -> None:
    s.send({"jsonrpc": "2.0", "id": id, "method": method, "params": modern_params(params, extra=extra_meta)})


def stdio_until_response(s: RawServer, id: Any, timeout: float = 5.0,
                         cancelled: tuple[Any, ...] = ()) -> tuple[dict, list[dict]]:
    """Reads stdout until the response to `id`; returns it and the notifications read before it. A response to
    one of the `cancelled` ids may come meanwhile (a server need not send one), but never as a result."""
    notes = []
    deadline = time.monotonic() + timeout
    while True:
        msg = s.recv(max(0.05, deadline - time.monotonic()))
        if "id" in msg and "method" not in msg:
            if msg["id"] in cancelled:
                assert "result" not in msg, f"the cancelled request {msg['id']!r} was answered with a result: {msg}"
                continue
            assert msg["id"] == id, f"response to {msg['id']!r} while waiting for {id!r}: {msg}"
            return msg, notes
        notes.append(msg)


def stdio_tool(s: RawServer, name: str, args: dict, id: Any, cancelled: tuple[Any, ...] = ()) -> Any:
    """A modern tools/call on stdio that must succeed: its parsed JSON."""
    stdio_modern(s, "tools/call", {"name": name, "arguments": args}, id)
    resp, _ = stdio_until_response(s, id, cancelled=cancelled)
    assert "result" in resp and not resp["result"].get("isError"), f"stdio {name}: {resp}"
    return json.loads(resp["result"]["content"][0]["text"])


def stdio_notes(s: RawServer, seconds: float) -> list[dict]:
    """Every message of the next `seconds`."""
    out = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            out.append(s.recv(max(0.05, deadline - time.monotonic())))
        except AssertionError as e:
            if str(e).startswith("no message from server within"):
                break
            raise
    return out


def sub_id(msg: dict) -> Any:
    return ((msg.get("params") or {}).get("_meta") or {}).get(META_SUBSCRIPTION_ID)


def test_stdio_listen_acknowledged_tagged_and_ended_by_cancel(tmp_path):
    s = RawServer(tmp_path)
    try:
        task = stdio_tool(s, "create_task", {"title": "w", "created_by": "s"}, 1)
        other = stdio_tool(s, "create_task", {"title": "o", "created_by": "s"}, 2)
        uri = f"task://{task['id']}"
        stdio_modern(s, "subscriptions/listen", {"notifications": {"resourceSubscriptions": [uri]}}, "L1")
        ack = s.recv()
        assert ack.get("method") == ACK and sub_id(ack) == "L1", f"first message after listen: {ack}"
        assert ack["params"]["notifications"] == {"resourceSubscriptions": [uri]}, ack

        # the other task's change: a response and nothing else
        stdio_modern(s, "tools/call", {"name": "update_task", "arguments": {"id": other["id"], "priority": 1}}, 3)
        _, notes = stdio_until_response(s, 3)
        notes += stdio_notes(s, QUIET)
        assert notes == [], f"an unwatched change was sent to the listener: {notes}"

        # the watched task's change: the notification, tagged with the listen id
        stdio_modern(s, "tools/call", {"name": "update_task", "arguments": {"id": task["id"], "priority": 2}}, 4)
        _, notes = stdio_until_response(s, 4)
        notes += stdio_notes(s, QUIET)
        assert [(n["method"], n["params"].get("uri"), sub_id(n)) for n in notes] == [(UPDATED, uri, "L1")], notes

        # notifications/cancelled ends the listen: later changes are not sent
        s.send({"jsonrpc": "2.0", "method": "notifications/cancelled",
                "params": modern_params({"requestId": "L1", "reason": "done"})})
        stdio_modern(s, "tools/call", {"name": "update_task", "arguments": {"id": task["id"], "priority": 3}}, 5)
        _, notes = stdio_until_response(s, 5, cancelled=("L1",))
        notes += stdio_notes(s, QUIET)
        assert [n for n in notes if n.get("method") == UPDATED] == [], f"a cancelled listen still got {notes}"
    finally:
        s.kill()


# --------------------------------------------------------------------------------------------------------------
# per-request log level (M9)


async def test_log_level_in_meta_sends_log_messages_on_that_requests_stream_only(server, client):
    args = {"title": "logged", "created_by": "logger"}
    r = await modern_post(client, server, "tools/call", {"name": "create_task", "arguments": args}, "log-1",
                          {META_LOG_LEVEL: "debug"})
    assert r.status_code == 200 and r.headers.get("content-type", "").startswith("text/event-stream"), \
        f"a request asking for debug logs: HTTP {r.status_code} {r.headers.get('content-type')!r}"
    messages = sse_messages(r.text)
    assert messages and messages[-1].get("id") == "log-1" and "result" in messages[-1], messages
    logs = messages[:-1]
    assert logs, "logLevel debug: no notifications/message before the answer"
    for m in logs:
        assert m.get("method") == "notifications/message", m
        assert m["params"]["level"] in ("debug", "info", "notice", "warning", "error", "critical", "alert",
                                        "emergency"), m
        assert m["params"].get("data") is not None, m
    # without the key: a plain JSON answer, no log messages anywhere
    quiet = await modern_post(client, server, "tools/call", {"name": "create_task", "arguments": args}, "log-2")
    assert quiet.headers.get("content-type", "").startswith("application/json"), quiet.headers
    assert quiet.json()["id"] == "log-2" and "result" in quiet.json()


def test_log_level_in_meta_on_stdio(tmp_path):
    s = RawServer(tmp_path)
    try:
        args = {"title": "logged", "created_by": "logger"}
        stdio_modern(s, "tools/call", {"name": "create_task", "arguments": args}, 1)
        _, notes = stdio_until_response(s, 1)
        assert notes == [], f"no logLevel, yet: {notes}"
        stdio_modern(s, "tools/call", {"name": "create_task", "arguments": args}, 2, {META_LOG_LEVEL: "debug"})
        resp, notes = stdio_until_response(s, 2)
        assert "result" in resp, resp
        assert notes and all(n.get("method") == "notifications/message" for n in notes), notes
    finally:
        s.kill()


# --------------------------------------------------------------------------------------------------------------
# cancellation (M10): a cancelled wait_for_task claims nothing


async def assert_unclaimed(client: httpx2.AsyncClient, server: HttpServer, task_id: int, why: str) -> None:
    await anyio.sleep(QUIET)
    t = await modern_tool(client, server, "get_task", {"id": task_id}, "check")
    assert (t["status"], t["assigned_to"], t["lease"]) == ("idle", "ghost", None), f"{why}: claimed: {t}"


@pytest.mark.timeout(30)
async def test_closing_a_waiting_requests_stream_cancels_it(server, client):
    answered = None
    with anyio.move_on_after(SETTLE) as scope:
        answered = await modern_post(client, server, "tools/call", {"name": "wait_for_task", "arguments": {
            "agent_name": "ghost", "timeout_secs": 20}}, "w-1")
    assert scope.cancelled_caught, f"wait_for_task answered although nothing was claimable: HTTP " \
                                   f"{answered.status_code} {answered.text[:300]!r}"
    async with httpx2.AsyncClient(timeout=10.0) as other:
        t = await modern_tool(other, server, "create_task", {"title": "for the ghost", "created_by": "t",
                                                             "assigned_to": "ghost"})
        await assert_unclaimed(other, server, t["id"], "the waiting POST was closed")


@pytest.mark.timeout(30)
def test_notifications_cancelled_on_stdio_cancels_a_wait(tmp_path):
    s = RawServer(tmp_path)
    try:
        stdio_modern(s, "tools/call", {"name": "wait_for_task", "arguments": {"agent_name": "ghost",
                                                                           "timeout_secs": 20}}, "w-1")
        time.sleep(SETTLE)
        s.send({"jsonrpc": "2.0", "method": "notifications/cancelled",
                "params": modern_params({"requestId": "w-1", "reason": "gone"})})
        time.sleep(0.3)
        task = stdio_tool(s, "create_task", {"title": "for the ghost", "created_by": "t", "assigned_to": "ghost"}, 2,
                          cancelled=("w-1",))
        time.sleep(QUIET)
        t = stdio_tool(s, "get_task", {"id": task["id"]}, 3, cancelled=("w-1",))
        assert (t["status"], t["assigned_to"], t["lease"]) == ("idle", "ghost", None), f"claimed after cancel: {t}"
    finally:
        s.kill()
