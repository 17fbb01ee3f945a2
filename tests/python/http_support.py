"""Helpers for the HTTP transport tests (``test_http_*.py``).

The server under test is the binary of ``conftest.TINYTASK_BIN`` started as a subprocess with::

    TINYTASK_MODE=http|both  TINYTASK_HOST=127.0.0.1  TINYTASK_PORT=<free port>
    TINYTASK_DB_PATH=<tmp>/t.db  TINYTASK_LOG_LEVEL=info

and considered up once ``GET /health`` answers 200 (polled for at most 10 s). Only 127.0.0.1 is ever contacted.

Clients:
* the official SDK (``mcp`` 2.3.0): :func:`streamable_session` (``streamable_http_client`` on ``/mcp``, in the
  era of ``TINYTASK_PY_ERA`` unless told: initialized, or pinned to 2026-07-28 with no session at all) and
  :func:`legacy_session` (``sse_client`` on ``/sse`` or, 1.x style, on ``/mcp``; always legacy), both yielding a
  :class:`HTT` (conftest's :class:`TT` plus an :class:`Inbox` that records server notifications with arrival
  times);
* raw ``httpx2`` requests (:func:`raw_initialize`, :func:`raw_request`) for wire-level work.

Nothing may hang: SDK requests time out after ``REQUEST_TIMEOUT`` seconds, every wait below has a deadline,
and pytest-timeout is the backstop.
"""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import socket
import subprocess
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator, Callable

import anyio
import httpx2
import pytest
from mcp import ClientSession
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import LoggingMessageNotification, ResourceUpdatedNotification

import pg_support
from conftest import (
    LATEST_VERSION,
    MODERN_VERSION,
    REQUEST_TIMEOUT,
    TT,
    RawServer,
    start_era,
    assert_comment,
    assert_link,
    assert_task,
    assert_task_with_relations,
    compact,
    ids,
    kill_process,
    require_binary,
)

HOST = "127.0.0.1"
STARTUP_TIMEOUT = 10.0  # seconds for /health to answer 200 after spawn
SSE_READ_TIMEOUT = 60.0  # the SDK's legacy reader gives up after this long without an event

ACCEPT_BOTH = "application/json, text/event-stream"


def metric(name: str, value: float, unit: str = "s") -> None:
    """Prints a measured figure (visible with ``-rP``/``-s``); also appended to $TINYTASK_HTTP_METRICS if set."""
    line = f"[http-metric] {name} = {value:.4f} {unit}"
    print(line)
    path = os.environ.get("TINYTASK_HTTP_METRICS")
    if path:
        with open(path, "a") as f:
            f.write(line + "\n")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------------------------------------------
# the server process


class HttpServer:
    """A TinyTask process serving HTTP on 127.0.0.1:<free port>.

    ``mode="both"`` also serves stdio: the process is then a conftest :class:`RawServer` (``self.raw``) whose
    stdin/stdout speak JSON-RPC lines while HTTP clients connect to the same process.
    """

    def __init__(self, workdir: Path, mode: str = "http", db_name: str = "t.db", log_level: str = "info",
                 port: int | None = None, **env_extra: str):
        binary = require_binary()
        self.workdir = Path(workdir)
        self.mode = mode
        self.db_path = self.workdir / db_name
        self.port = port or free_port()
        self.base = f"http://{HOST}:{self.port}"
        self.mcp_url = f"{self.base}/mcp"
        self.sse_url = f"{self.base}/sse"
        self.health_url = f"{self.base}/health"
        settings = {"TINYTASK_MODE": mode, "TINYTASK_HOST": HOST, "TINYTASK_PORT": str(self.port), **env_extra}
        self.raw: RawServer | None = None
        if mode == "both":
            self.raw = RawServer(self.workdir, log_level, db_name, **settings)
            self.proc = self.raw.proc
            self.stderr_path = self.raw.stderr_path
            self._stderr = None
        else:
            env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
            env.update(settings)
            env.update({"TINYTASK_DB_PATH": str(self.db_path), "TINYTASK_LOG_LEVEL": log_level})
            if pg_support.ADMIN_URL and "TINYTASK_DATABASE_URL" not in env_extra:
                # The board standing for this path in PostgreSQL (pg_support): several HttpServers given the
                # same path share it, as they would share the file.
                env["TINYTASK_DATABASE_URL"] = pg_support.database_url(self.db_path)
            self.stderr_path = self.workdir / f"server-{self.port}.stderr.log"
            self._stderr = open(self.stderr_path, "wb")
            # stdin is /dev/null as under a service manager: an HTTP server must not care about stdin EOF.
            self.proc = subprocess.Popen([binary], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=self._stderr, env=env, cwd=str(self.workdir))
        self.startup_seconds = self._wait_healthy()

    def _wait_healthy(self) -> float:
        started = time.monotonic()
        deadline = started + STARTUP_TIMEOUT
        last = "no answer"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"server exited with {self.proc.returncode} before /health answered "
                            f"(mode={self.mode}); stderr tail:\n{self.stderr_tail()}", pytrace=False)
            try:
                r = httpx2.get(self.health_url, timeout=1.0)
                if r.status_code == 200:
                    return time.monotonic() - started
                last = f"HTTP {r.status_code}: {r.text[:300]}"
            except httpx2.HTTPError as e:
                last = repr(e)
            time.sleep(0.05)
        self.kill()
        pytest.fail(f"GET /health did not answer 200 within {STARTUP_TIMEOUT}s (mode={self.mode}, last: {last}); "
                    f"stderr tail:\n{self.stderr_tail()}", pytrace=False)

    # --- inspection
    def health(self) -> tuple[int, Any]:
        r = httpx2.get(self.health_url, timeout=2.0)
        try:
            body = r.json()
        except ValueError:
            body = r.text
        return r.status_code, body

    def session_count(self) -> int:
        status, body = self.health()
        assert status == 200, f"/health: HTTP {status} {body!r}"
        return health_session_count(body)

    async def wait_session_count(self, predicate: Callable[[int], bool], timeout: float, what: str) -> int:
        deadline = time.monotonic() + timeout
        seen: list[int] = []
        while True:
            n = await anyio.to_thread.run_sync(self.session_count)
            if not seen or seen[-1] != n:
                seen.append(n)
            if predicate(n):
                return n
            if time.monotonic() > deadline:
                raise AssertionError(f"/health sessions never became {what} within {timeout}s; counts seen: {seen}; "
                                     f"last health: {self.health()[1]!r}")
            await anyio.sleep(0.05)

    def stderr_tail(self, n: int = 3000) -> str:
        try:
            if self._stderr is not None:
                self._stderr.flush()
            return self.stderr_path.read_text(errors="replace")[-n:]
        except (OSError, ValueError):
            return ""

    # --- shutdown
    def terminate(self, timeout: float = 10.0) -> tuple[int, float]:
        """SIGTERM; returns (exit status, seconds until exit). Fails if it does not exit within `timeout`."""
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"server did not exit within {timeout}s of SIGTERM; stderr tail:\n{self.stderr_tail()}")
        return code, time.monotonic() - started

    def kill(self) -> None:
        if self.raw is not None:
            self.raw.kill()
            return
        try:
            kill_process(self.proc)
        finally:
            if self._stderr is not None and not self._stderr.closed:
                self._stderr.close()


def health_session_count(body: Any) -> int:
    """Open HTTP sessions in a /health body: ``sessions.streamable_http + sessions.legacy_sse`` (``sessions`` may
    also be a plain integer or carry a ``total``). The stdio connection of a `both`-mode server is not counted."""
    sessions = body.get("sessions") if isinstance(body, dict) else None
    if isinstance(sessions, int) and not isinstance(sessions, bool):
        return sessions
    if isinstance(sessions, dict):
        if isinstance(sessions.get("total"), int):
            return sessions["total"]
        parts = [sessions[k] for k in ("streamable_http", "legacy_sse") if isinstance(sessions.get(k), int)]
        if len(parts) == 2:
            return sum(parts)
    raise AssertionError(f"/health body has no `sessions` counts (streamable_http, legacy_sse): {body!r}")


# --------------------------------------------------------------------------------------------------------------
# SDK sessions


class Inbox:
    """message_handler for ClientSession: records every server notification with its arrival time."""

    def __init__(self) -> None:
        self.notes: list[tuple[float, Any]] = []
        self.errors: list[Exception] = []

    async def __call__(self, message: Any) -> None:
        if isinstance(message, Exception):
            self.errors.append(message)
        else:
            self.notes.append((time.monotonic(), message))

    def mark(self) -> int:
        return len(self.notes)

    def updated(self, since: int = 0) -> list[tuple[float, str]]:
        return [(t, str(n.params.uri)) for t, n in self.notes[since:] if isinstance(n, ResourceUpdatedNotification)]

    def log_messages(self, since: int = 0) -> list[Any]:
        return [n.params for _, n in self.notes[since:] if isinstance(n, LoggingMessageNotification)]

    def describe(self, since: int = 0) -> str:
        return repr([getattr(n, "method", n) if not isinstance(n, ResourceUpdatedNotification)
                     else f"resources/updated {n.params.uri}" for _, n in self.notes[since:]])

    async def wait_updated(self, uri: str, since: int, timeout: float) -> float | None:
        """Arrival time of the first resources/updated for `uri` after index `since`, or None after `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            for t, u in self.updated(since):
                if u == uri:
                    return t
            if time.monotonic() >= deadline:
                return None
            await anyio.sleep(0.002)

    async def wait_log_message(self, since: int, timeout: float) -> list[Any]:
        deadline = time.monotonic() + timeout
        while True:
            got = self.log_messages(since)
            if got or time.monotonic() >= deadline:
                return got
            await anyio.sleep(0.005)


class GetStreamWatch:
    """httpx2 response hook: notes when the Streamable HTTP session's GET /mcp stream has been answered."""

    def __init__(self) -> None:
        self.status: int | None = None
        self.opened_at: float | None = None

    async def __call__(self, response: httpx2.Response) -> None:
        if response.request.method == "GET" and self.status is None:
            self.status = response.status_code
            self.opened_at = time.monotonic()


class HTT(TT):
    """conftest's TT over HTTP, plus the session's notification inbox and transport name."""

    def __init__(self, session: ClientSession, inbox: Inbox, stderr_path: Path | None, transport: str,
                 get_watch: GetStreamWatch | None = None):
        super().__init__(session, inbox.errors, stderr_path or Path("/dev/null"))
        self.inbox = inbox
        self.transport = transport
        self.get_watch = get_watch

    def check_stream(self) -> None:
        assert not self.stream_errors, f"[{self.transport}] transport/stream errors seen by the SDK: {self.stream_errors!r}"

    async def wait_push_ready(self, timeout: float = 5.0) -> None:
        """Returns once server→client notifications can reach this session: for Streamable HTTP, once the SDK's
        GET /mcp stream has been answered 200 (the SDK opens it after notifications/initialized); a legacy
        session's stream is open from the start."""
        if self.get_watch is None:
            return
        deadline = time.monotonic() + timeout
        while self.get_watch.status is None:
            if time.monotonic() > deadline:
                raise AssertionError(f"the SDK's GET /mcp stream was not answered within {timeout}s")
            await anyio.sleep(0.005)
        assert self.get_watch.status == 200, f"GET /mcp stream answered HTTP {self.get_watch.status}"

    async def read_json(self, uri: str) -> Any:
        with anyio.fail_after(REQUEST_TIMEOUT + 2):
            res = await self.session.read_resource(uri)
        self.check_stream()
        assert len(res.contents) == 1, f"{uri}: {res.contents!r}"
        content = res.contents[0]
        assert str(content.uri) == uri, f"content uri {content.uri!r} != {uri!r}"
        assert isinstance(content.text, str), f"{uri}: no text content: {content!r}"
        try:
            return json.loads(content.text)
        except ValueError:
            raise AssertionError(f"{uri} is not JSON: {content.text[:200]!r}")


@asynccontextmanager
async def _session(transport: str, streams_cm: Any, stderr_path: Path | None, inbox: Inbox | None,
                   logging_callback: Any, get_watch: GetStreamWatch | None = None, era: str | None = None,
                   **session_kw: Any) -> AsyncIterator[HTT]:
    inbox = inbox or Inbox()
    async with streams_cm as streams:
        read, write = streams[0], streams[1]
        async with ClientSession(read, write, read_timeout_seconds=REQUEST_TIMEOUT, message_handler=inbox,
                                 logging_callback=logging_callback, **session_kw) as session:
            await start_era(session, era)
            tt = HTT(session, inbox, stderr_path, transport, get_watch)
            yield tt
            tt.check_stream()


@asynccontextmanager
async def streamable_session(server: HttpServer | str, *, inbox: Inbox | None = None, logging_callback: Any = None,
                             era: str | None = None, **session_kw: Any) -> AsyncIterator[HTT]:
    """SDK Streamable HTTP client on ``/mcp`` in `era` (default ``TINYTASK_PY_ERA``; legacy: initialized), on an
    httpx2 client with the SDK's default timeouts and a hook that notes when the GET stream is answered (see
    :meth:`HTT.wait_push_ready`). `session_kw` goes to ``ClientSession`` (e.g. ``log_level``)."""
    url = server if isinstance(server, str) else server.mcp_url
    stderr = None if isinstance(server, str) else server.stderr_path
    watch = GetStreamWatch()
    async with httpx2.AsyncClient(timeout=httpx2.Timeout(30.0, read=300.0),
                                  event_hooks={"response": [watch]}) as client:
        async with _session("streamable", streamable_http_client(url, http_client=client), stderr, inbox,
                            logging_callback, watch, era, **session_kw) as tt:
            yield tt


def legacy_session(server: HttpServer, path: str = "/sse", *, inbox: Inbox | None = None,
                   logging_callback: Any = None) -> Any:
    """SDK legacy HTTP+SSE client: ``path="/sse"`` (2024-11-05 endpoints) or ``"/mcp"`` (TinyTask 1.x style)."""
    url = server.base + path
    return _session(f"legacy{path}", sse_client(url, timeout=REQUEST_TIMEOUT, sse_read_timeout=SSE_READ_TIMEOUT),
                    server.stderr_path, inbox, logging_callback, era="legacy")


def open_session(server: HttpServer, kind: str, **kw: Any) -> Any:
    """kind: "streamable", "sse" (legacy /sse) or "mcp-sse" (legacy on /mcp)."""
    if kind == "streamable":
        return streamable_session(server, **kw)
    if kind == "sse":
        return legacy_session(server, "/sse", **kw)
    if kind == "mcp-sse":
        return legacy_session(server, "/mcp", **kw)
    raise ValueError(kind)


# --------------------------------------------------------------------------------------------------------------
# raw HTTP


def init_params(version: str = LATEST_VERSION) -> dict:
    return {"protocolVersion": version, "capabilities": {},
            "clientInfo": {"name": "tinytask-http-tests", "version": "0.0.1"}}


def rpc_from_response(r: httpx2.Response) -> Any:
    """The JSON-RPC message of a POST answer given as application/json or as text/event-stream (the last event
    with data that is a response)."""
    ctype = r.headers.get("content-type", "").lower()
    if ctype.startswith("application/json"):
        return r.json()
    if ctype.startswith("text/event-stream"):
        found = None
        for block in r.text.replace("\r\n", "\n").split("\n\n"):
            data = "\n".join(ln[5:].lstrip(" ") if ln.startswith("data:") else "" for ln in block.split("\n")
                             if ln.startswith("data:"))
            if data.strip():
                msg = json.loads(data)
                if isinstance(msg, dict) and ("result" in msg or "error" in msg):
                    found = msg
        assert found is not None, f"SSE answer holds no JSON-RPC response: {r.text[:500]!r}"
        return found
    raise AssertionError(f"unexpected content-type {ctype!r} (HTTP {r.status_code}): {r.text[:300]!r}")


def session_headers(session_id: str | None, version: str = LATEST_VERSION) -> dict[str, str]:
    h = {"Accept": ACCEPT_BOTH, "Content-Type": "application/json", "MCP-Protocol-Version": version}
    if session_id:
        h["Mcp-Session-Id"] = session_id
    return h


# The methods whose Mcp-Name header mirrors a body parameter (M4), and which one.
NAME_PARAM = {"tools/call": "name", "prompts/get": "name", "resources/read": "uri"}
_HEADER_SAFE = re.compile(r"^[\x20-\x7e]*$")


def header_value(value: str) -> str:
    """An Mcp-Name value as the spec's "Value Encoding" sends it: printable ASCII without edge whitespace
    verbatim, anything else as ``=?base64?<standard base64 of the UTF-8>?=``."""
    if _HEADER_SAFE.match(value) and value == value.strip() and not value.startswith("=?base64?"):
        return value
    return f"=?base64?{base64.b64encode(value.encode('utf-8')).decode('ascii')}?="


def modern_headers(method: str, name: str | None = None, version: str = MODERN_VERSION,
                   accept: str = ACCEPT_BOTH) -> dict[str, str]:
    """The headers of a 2026-07-28 POST /mcp (M4): no session id; Mcp-Name only when `name` is given."""
    h = {"Accept": accept, "Content-Type": "application/json", "MCP-Protocol-Version": version,
         "Mcp-Method": method}
    if name is not None:
        h["Mcp-Name"] = header_value(name)
    return h


async def raw_initialize(client: httpx2.AsyncClient, mcp_url: str, version: str = LATEST_VERSION) -> str:
    """initialize + notifications/initialized over raw POSTs; returns the Mcp-Session-Id."""
    r = await client.post(mcp_url, content=compact({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                                                    "params": init_params(version)}),
                          headers={"Accept": ACCEPT_BOTH, "Content-Type": "application/json"})
    assert r.status_code == 200, f"initialize: HTTP {r.status_code} {r.text[:300]!r}"
    sid = r.headers.get("mcp-session-id")
    assert sid, f"initialize answer has no Mcp-Session-Id header: {dict(r.headers)}"
    msg = rpc_from_response(r)
    assert msg.get("result", {}).get("protocolVersion") == version, msg
    r2 = await client.post(mcp_url, content=compact({"jsonrpc": "2.0", "method": "notifications/initialized"}),
                           headers=session_headers(sid, version))
    assert r2.status_code == 202, f"notifications/initialized: HTTP {r2.status_code} {r2.text[:300]!r}"
    return sid


async def raw_request(client: httpx2.AsyncClient, mcp_url: str, session_id: str, method: str,
                      params: Any = None, id: int = 2) -> dict:
    body: dict[str, Any] = {"jsonrpc": "2.0", "id": id, "method": method}
    if params is not None:
        body["params"] = params
    r = await client.post(mcp_url, content=compact(body), headers=session_headers(session_id))
    assert r.status_code == 200, f"{method}: HTTP {r.status_code} {r.text[:300]!r}"
    msg = rpc_from_response(r)
    assert msg.get("id") == id, f"{method}: response id {msg.get('id')!r} != {id}: {msg}"
    return msg


async def raw_tool(client: httpx2.AsyncClient, mcp_url: str, session_id: str, name: str, args: dict) -> Any:
    msg = await raw_request(client, mcp_url, session_id, "tools/call", {"name": name, "arguments": args})
    assert "result" in msg, f"{name}: {msg}"
    res = msg["result"]
    assert not res.get("isError"), f"{name}: {res}"
    return json.loads(res["content"][0]["text"])


class RawLegacyStream:
    """A raw legacy SSE stream: reads events (with a timeout each) from an open httpx2 streaming response.
    Keep the object referenced while the stream must stay open: when its line iterator is garbage-collected,
    httpx2 closes the response."""

    def __init__(self, response: httpx2.Response):
        self.response = response
        self._lines = response.aiter_lines()

    async def next_event(self, timeout: float = 5.0) -> tuple[str, str]:
        """Next event as (event name, data); comments and keep-alives are skipped."""
        event, data = "message", []
        with anyio.fail_after(timeout):
            async for line in self._lines:
                if line == "":
                    if data:
                        return event, "\n".join(data)
                    event = "message"
                    continue
                if line.startswith(":"):
                    continue
                field, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                if field == "event":
                    event = value
                elif field == "data":
                    data.append(value)
        raise AssertionError("legacy SSE stream ended")


# --------------------------------------------------------------------------------------------------------------
# the compact multi-agent workflow shared by the transport tests


async def run_workflow(tt: TT, tag: str) -> dict[str, Any]:
    """Product → epic in a queue; architect → two subtasks (one blocked by the other), a comment and a link;
    coder → signup (skips the blocked task), hands over with move_task; reviewer completes; the blocked task
    becomes claimable; completion propagates to the epic; the epic is archived. Returns the ids."""
    product, arch, coder, reviewer = (f"{role}-{tag}" for role in ("product", "architect", "coder", "reviewer"))
    queue = f"q-{tag}"

    epic = await tt.create(f"Epic {tag}", created_by=product, queue_name=queue, priority=5, tags=["http", tag])
    assert_task(epic, title=f"Epic {tag}", status="idle", created_by=product, queue_name=queue, priority=5,
                tags=["http", tag], parent_task_id=None, archived_at=None, is_currently_blocked=False)
    design = await tt.sub(epic["id"], f"Design {tag}", created_by=arch, assigned_to=coder, priority=3)
    assert_task(design, parent_task_id=epic["id"], queue_name=queue, assigned_to=coder, status="idle")
    impl = await tt.sub(epic["id"], f"Implement {tag}", created_by=arch, assigned_to=coder, priority=9)
    impl = await tt.update(impl["id"], blocked_by_task_id=design["id"], changed_by=arch)
    assert_task(impl, blocked_by_task_id=design["id"], is_currently_blocked=True, queue_name=queue)

    comment = await tt.call("add_comment", {"task_id": epic["id"], "content": f"plan for {tag}", "created_by": arch})
    assert_comment(comment, task_id=epic["id"], content=f"plan for {tag}", created_by=arch)
    link = await tt.call("add_link", {"task_id": design["id"], "url": f"https://example.com/{tag}/spec",
                                      "description": "spec", "created_by": arch})
    assert_link(link, task_id=design["id"], url=f"https://example.com/{tag}/spec", description="spec")

    claim = await tt.call("signup_for_task", {"agent_name": coder})
    assert claim["claimed"] is True and claim["agent"] == coder, claim
    assert_task_with_relations(claim["task"], id=design["id"], status="working", assigned_to=coder)
    assert [x["id"] for x in claim["task"]["links"]] == [link["id"]]

    moved = await tt.call("move_task", {"task_id": design["id"], "current_agent": coder, "new_agent": reviewer,
                                        "comment": "ready for review"})
    assert_task(moved["task"], id=design["id"], assigned_to=reviewer, previous_assigned_to=coder, status="idle")
    assert_comment(moved["comment"], task_id=design["id"], created_by=coder, content="ready for review")
    rq = await tt.call("get_my_queue", {"agent_name": reviewer})
    assert rq["agent"] == reviewer and ids(rq["tasks"]) == [design["id"]], rq

    done = await tt.update(design["id"], status="complete", changed_by=reviewer)
    assert_task(done, status="complete")
    impl_now = await tt.get(impl["id"])
    assert_task_with_relations(impl_now, blocked_by_task_id=design["id"], is_currently_blocked=False)

    claim2 = await tt.call("signup_for_task", {"agent_name": coder})
    assert claim2["claimed"] is True and claim2["task"]["id"] == impl["id"], claim2
    assert claim2["task"]["status"] == "working"
    assert (await tt.get(epic["id"]))["status"] == "working", "epic with one complete + one working child"

    await tt.update(impl["id"], status="complete", changed_by=coder)
    epic_now = await tt.get(epic["id"])
    assert_task_with_relations(epic_now, status="complete")
    assert [c["id"] for c in epic_now["comments"]] == [comment["id"]]

    archived = await tt.call("archive_task", {"id": epic["id"]})
    assert_task(archived, id=epic["id"])
    assert archived["archived_at"] is not None
    assert epic["id"] not in ids(await tt.list(queue_name=queue))
    assert epic["id"] in ids(await tt.list(queue_name=queue, include_archived=True))
    return {"epic": epic["id"], "design": design["id"], "impl": impl["id"], "comment": comment["id"],
            "link": link["id"], "queue": queue}


# --------------------------------------------------------------------------------------------------------------
# fixtures (import them into a test module to use them)


@pytest.fixture(scope="module")
def http_server(tmp_path_factory):
    """One `TINYTASK_MODE=http` server (fresh database) shared by the tests of a module."""
    server = HttpServer(tmp_path_factory.mktemp("http"))
    yield server
    server.kill()


@pytest.fixture
def start_server(tmp_path):
    """Factory for servers owned by one test: start_server(mode="http", db_name=None, **env) -> HttpServer.
    Each start gets its own database unless `db_name` names an earlier one. All are killed at teardown."""
    started: list[HttpServer] = []

    def start(mode: str = "http", db_name: str | None = None, **env_extra: str) -> HttpServer:
        server = HttpServer(tmp_path, mode, db_name or f"t{len(started) + 1}.db", **env_extra)
        started.append(server)
        return server

    yield start
    for server in started:
        server.kill()
