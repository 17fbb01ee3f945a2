"""Shared fixtures and helpers for the TinyTask Python integration tests.

The server under test is the binary named by env ``TINYTASK_BIN`` (default ``<repo>/target/debug/tinytask``).
Every server gets its own temporary SQLite database and is spawned with::

    TINYTASK_MODE=stdio  TINYTASK_DB_PATH=<tmp>/t.db  TINYTASK_LOG_LEVEL=debug

(debug on purpose: any log line that leaks onto stdout breaks the protocol and is caught here).

Two ways to talk to it:
* the official MCP Python SDK (``stdio_client`` + ``ClientSession``), wrapped in :class:`TT`;
* :class:`RawServer`, which writes JSON-RPC lines to stdin and reads stdout lines with timeouts.

External mode (``TINYTASK_TARGET_URL=http://127.0.0.1:P/mcp``, used by tests/docker/acceptance.py to run the
tool suites against the production container): :func:`open_tt` (so the ``tt`` fixture and test_errors' module
server) connects with the SDK's Streamable HTTP client to that running server instead of spawning one, and
first empties the board through the tools (every task deleted, checked empty), so each test still starts on
an empty board. Tests that need a locally spawned binary (``raw``, :func:`require_binary`) are skipped there
with the reason. Without the variable nothing changes.

Backend: ``TINYTASK_PY_DATABASE_URL`` (an admin URL of a PostgreSQL server) runs every spawned server on
PostgreSQL, one database per SQLite path the test would have used (pg_support.py); tests of the SQLite file
itself call :func:`sqlite_only` and are skipped there with the reason.

Era and transport (scripts/test.sh runs the suite files once per combination it lists):
* ``TINYTASK_PY_ERA=legacy`` (default): every SDK session of :func:`open_tt` and http_support's
  ``streamable_session`` starts with ``initialize`` and negotiates 2025-11-25.
  ``TINYTASK_PY_ERA=modern``: the SDK is pinned to 2026-07-28 exactly as ``mcp.Client(target,
  mode="2026-07-28")`` pins it (no handshake, no probe: every request carries its own ``_meta`` and, over HTTP,
  the ``MCP-Protocol-Version``/``Mcp-Method``/``Mcp-Name`` headers). Tests of what that era removed
  (initialize and version negotiation, sessions, ping, logging/setLevel, resources/subscribe, batches, the raw
  stdio lifecycle) are skipped with a reason naming TINYTASK_PY_ERA.
* ``TINYTASK_PY_TRANSPORT=stdio`` (default): :func:`open_tt` spawns the binary on stdio.
  ``TINYTASK_PY_TRANSPORT=http``: it spawns a ``TINYTASK_MODE=http`` server and connects over Streamable HTTP.
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import threading
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import mcp_types
import pytest
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

import pg_support

REPO_ROOT = Path(__file__).resolve().parents[2]
TINYTASK_BIN = os.environ.get("TINYTASK_BIN") or str(REPO_ROOT / "target" / "debug" / "tinytask")
# External mode: the MCP endpoint of an already running server (e.g. the production container). Unset: stdio.
TARGET_URL = os.environ.get("TINYTASK_TARGET_URL") or None
EXTERNAL_SKIP = "needs a locally spawned stdio binary; TINYTASK_TARGET_URL points the suite at a running server"

REQUEST_TIMEOUT = 10.0  # seconds for any single request; pytest-timeout is the per-test backstop
RAW_TIMEOUT = 5.0  # seconds to wait for one stdout line in raw tests

LATEST_VERSION = "2025-11-25"  # the newest legacy (handshake) version
LEGACY_VERSIONS = ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25")
MODERN_VERSION = "2026-07-28"  # the stateless era: no initialize, per-request _meta (docs: mcp-protocol.md §9)
ALL_VERSIONS = LEGACY_VERSIONS + (MODERN_VERSION,)  # oldest first
# What server/discover must list (M2): every served version, newest first.
SUPPORTED_VERSIONS = list(reversed(ALL_VERSIONS))


def env_choice(name: str, allowed: tuple[str, ...]) -> str:
    """The value of env `name` (unset or empty: the first allowed value); anything else stops the run with a
    message naming the variable and the allowed values."""
    value = os.environ.get(name) or allowed[0]
    if value not in allowed:
        raise pytest.UsageError(f"{name}={value!r} is not one of the allowed values: {', '.join(allowed)}")
    return value


ERA = env_choice("TINYTASK_PY_ERA", ("legacy", "modern"))
TRANSPORT = env_choice("TINYTASK_PY_TRANSPORT", ("stdio", "http"))
MODERN = ERA == "modern"


# The request _meta keys of the 2026-07-28 era (M3): version and capabilities required, client info optional.
META_VERSION = "io.modelcontextprotocol/protocolVersion"
META_CAPABILITIES = "io.modelcontextprotocol/clientCapabilities"
META_CLIENT_INFO = "io.modelcontextprotocol/clientInfo"
META_SERVER_INFO = "io.modelcontextprotocol/serverInfo"
META_LOG_LEVEL = "io.modelcontextprotocol/logLevel"
META_SUBSCRIPTION_ID = "io.modelcontextprotocol/subscriptionId"


def modern_meta(version: str = MODERN_VERSION, extra: dict | None = None) -> dict:
    """The ``params._meta`` a 2026-07-28 request carries (`extra`: more keys, e.g. the log level)."""
    return {META_VERSION: version, META_CLIENT_INFO: {"name": "tinytask-raw-tests", "version": "0.0.1"},
            META_CAPABILITIES: {}, **(extra or {})}


def modern_params(params: dict | None = None, version: str = MODERN_VERSION, extra: dict | None = None) -> dict:
    """`params` (default none) with the 2026-07-28 ``_meta`` added."""
    return {**(params or {}), "_meta": modern_meta(version, extra)}


def legacy_only(what: str) -> pytest.MarkDecorator:
    """Marks a test of something the 2026-07-28 era removed: skipped when the suite runs modern."""
    return pytest.mark.skipif(MODERN, reason=f"{what} is legacy-only: TINYTASK_PY_ERA=modern speaks "
                                             f"{MODERN_VERSION}, which has none")

ISO_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
STATUSES = ("idle", "working", "complete")

TASK_KEYS = [
    "id", "title", "description", "status", "assigned_to", "previous_assigned_to", "created_by", "priority",
    "tags", "parent_task_id", "queue_name", "blocked_by_task_id", "created_at", "updated_at", "archived_at",
    "is_currently_blocked", "lease",
]
TASK_WITH_RELATIONS_KEYS = TASK_KEYS + ["comments", "links", "history", "depends_on", "dependents"]
TASK_WITH_SUBTASKS_KEYS = TASK_KEYS + ["subtasks", "subtask_count"]
COMMENT_KEYS = ["id", "task_id", "content", "created_by", "created_at", "updated_at"]
LINK_KEYS = ["id", "task_id", "url", "description", "created_by", "created_at"]
HISTORY_KEYS = ["id", "task_id", "field_name", "old_value", "new_value", "changed_by", "changed_at"]

# The 32 tools of docs/TOOLS.md: name -> (required params, optional params), in the documented order. The
# `offset` of get_my_queue, get_subtasks, list_comments, list_links and get_task_history is TinyTask's own
# (for paging a list cut at the response size limit); 2.x had none. So are `fields` and `view` of the
# task-list tools (lean answers, docs/TOOLS.md "Projections").
TOOL_PARAMS: dict[str, tuple[list[str], list[str]]] = {
    "create_task": (["title", "created_by"], ["description", "assigned_to", "priority", "tags", "parent_task_id",
                                              "queue_name", "blocked_by_task_id", "depends_on"]),
    "update_task": (["id"], ["title", "description", "status", "assigned_to", "priority", "tags", "parent_task_id",
                             "queue_name", "blocked_by_task_id", "changed_by", "depends_on", "lease_token"]),
    "get_task": (["id"], []),
    "delete_task": (["id"], []),
    "archive_task": (["id"], []),
    "list_tasks": ([], ["assigned_to", "status", "exclude_status", "include_archived", "limit", "offset",
                        "queue_name", "parent_task_id", "exclude_subtasks", "fields", "view"]),
    "get_my_queue": (["agent_name"], ["offset", "fields", "view"]),
    "signup_for_task": (["agent_name"], ["queue_name", "lease_secs"]),
    "move_task": (["task_id", "current_agent", "new_agent", "comment"], ["lease_token"]),
    "create_subtask": (["parent_task_id", "title", "created_by"], ["description", "assigned_to", "priority", "tags",
                                                                   "queue_name"]),
    "get_subtasks": (["parent_task_id"], ["recursive", "include_archived", "offset", "fields", "view"]),
    "get_task_with_subtasks": (["task_id"], ["recursive", "fields", "view"]),
    "move_subtask": (["subtask_id"], ["new_parent_id"]),
    "list_queues": ([], []),
    "get_queue_stats": (["queue_name"], []),
    "add_task_to_queue": (["task_id", "queue_name"], []),
    "remove_task_from_queue": (["task_id"], []),
    "move_task_to_queue": (["task_id", "new_queue_name"], []),
    "get_queue_tasks": (["queue_name"], ["assigned_to", "status", "exclude_status", "parent_task_id",
                                         "exclude_subtasks", "include_archived", "limit", "offset", "fields",
                                         "view"]),
    "clear_queue": (["queue_name"], []),
    "add_comment": (["task_id", "content"], ["created_by"]),
    "update_comment": (["id", "content"], []),
    "delete_comment": (["id"], []),
    "list_comments": (["task_id"], ["offset"]),
    "get_comment": (["id"], []),
    "move_comment": (["comment_id", "to_task_id"], []),
    "add_link": (["task_id", "url"], ["description", "created_by"]),
    "update_link": (["id"], ["url", "description"]),
    "delete_link": (["id"], []),
    "list_links": (["task_id"], ["offset"]),
    "get_task_history": (["task_id"], ["offset"]),
    "search_tasks": (["query"], ["status", "queue_name", "assigned_to", "include_archived", "limit", "offset",
                                 "fields", "view"]),
    # Agent coordination (issue 11; docs/TOOLS.md "Coordination").
    "wait_for_task": (["agent_name"], ["queue_name", "timeout_secs", "lease_secs"]),
    "heartbeat": (["task_id", "agent_name"], ["lease_token"]),
    "release_task": (["task_id", "agent_name"], ["comment", "lease_token"]),
    "list_ready_tasks": ([], ["agent_name", "queue_name", "limit", "fields", "view"]),
    "add_dependency": (["task_id", "depends_on_task_id"], ["changed_by"]),
    "remove_dependency": (["task_id", "depends_on_task_id"], ["changed_by"]),
    "get_events": ([], ["after", "limit", "task_id", "agent_name", "queue_name", "wait_secs"]),
}
# The 31 tools of TinyTask 2.x (with get_task_history), search_tasks and the coordination tools.
TOOL_COUNT = 39
assert len(TOOL_PARAMS) == TOOL_COUNT

READ_ONLY_TOOLS = {
    "get_task", "list_tasks", "get_my_queue", "get_subtasks", "get_task_with_subtasks", "list_queues",
    "get_queue_stats", "get_queue_tasks", "list_comments", "get_comment", "list_links", "get_task_history",
    "list_ready_tasks", "get_events", "search_tasks",
}
DELETE_TOOLS = {"delete_task", "delete_comment", "delete_link", "remove_dependency"}

RESOURCES = {"tasks://active", "tasks://archived", "queue://list"}
RESOURCE_TEMPLATES = {
    "task://{id}", "task://{id}/comments", "task://{id}/links", "task://hierarchy/{id}", "queue://{agent_name}",
    "queue://{agent_name}/summary", "queue://stats/{queue_name}", "queue://tasks/{queue_name}",
}


# --------------------------------------------------------------------------------------------------------------
# environment


def require_binary() -> str:
    if TARGET_URL:
        pytest.skip(EXTERNAL_SKIP)
    if not (os.path.isfile(TINYTASK_BIN) and os.access(TINYTASK_BIN, os.X_OK)):
        pytest.fail(f"TinyTask binary not found or not executable: {TINYTASK_BIN} (set TINYTASK_BIN)", pytrace=False)
    return TINYTASK_BIN


def server_env(db_path: Path | str, log_level: str = "debug", **extra: str) -> dict[str, str]:
    env = {
        "TINYTASK_MODE": "stdio",
        "TINYTASK_DB_PATH": str(db_path),
        "TINYTASK_LOG_LEVEL": log_level,
    }
    if pg_support.ADMIN_URL:
        # The same board for the same path, in PostgreSQL (pg_support); TINYTASK_DB_PATH is then unused.
        env["TINYTASK_DATABASE_URL"] = pg_support.database_url(db_path)
    env.update(extra)
    return env


def sqlite_only() -> None:
    """Skips a test that reads or damages the SQLite file itself when the suite runs on PostgreSQL."""
    if pg_support.ADMIN_URL:
        pytest.skip(pg_support.SQLITE_ONLY)


# --------------------------------------------------------------------------------------------------------------
# processes


def pid_alive(pid: int) -> bool:
    """Whether `pid` is a live process (a zombie or a vanished pid counts as dead)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except OSError:
        return False


def kill_process(target: subprocess.Popen | int, timeout: float = 5.0) -> None:
    """SIGKILL a process and wait (bounded) until it is gone. The one kill helper of the suite: `target` is a
    ``Popen`` we spawned (reaped with ``wait``) or the pid of a process someone else spawned, e.g. an SDK
    ``stdio_client`` server (polled through /proc until it is gone or a zombie its parent has not reaped yet).
    Already-exited processes are fine; a process still alive after `timeout` fails the test."""
    if isinstance(target, subprocess.Popen):
        if target.poll() is None:
            target.kill()
            try:
                target.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                raise AssertionError(f"pid {target.pid} still alive {timeout}s after SIGKILL") from None
        return
    try:
        os.kill(target, signal.SIGKILL)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while pid_alive(target) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not pid_alive(target), f"pid {target} still alive {timeout}s after SIGKILL"


def compact(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def version_at_least(version: str, minimum: str) -> bool:
    return ALL_VERSIONS.index(version) >= ALL_VERSIONS.index(minimum)


# --------------------------------------------------------------------------------------------------------------
# shape assertions


def assert_iso(value: Any, what: str = "timestamp") -> None:
    assert isinstance(value, str) and ISO_RE.match(value), f"{what} is not YYYY-MM-DDTHH:MM:SSZ: {value!r}"


def assert_task(t: Any, keys: list[str] = TASK_KEYS, **expected: Any) -> dict:
    """Checks a Task (or Task + extra keys) object: exact key order, value types, and the given field values."""
    assert isinstance(t, dict), f"task is not an object: {t!r}"
    assert list(t.keys()) == keys, f"task keys/order differ:\n got  {list(t.keys())}\n want {keys}"
    assert isinstance(t["id"], int) and not isinstance(t["id"], bool) and t["id"] >= 1
    assert isinstance(t["title"], str) and t["title"]
    assert t["description"] is None or isinstance(t["description"], str)
    assert t["status"] in STATUSES, t["status"]
    for k in ("assigned_to", "previous_assigned_to", "created_by", "queue_name"):
        assert t[k] is None or isinstance(t[k], str), (k, t[k])
    assert isinstance(t["priority"], int) and not isinstance(t["priority"], bool)
    assert isinstance(t["tags"], list) and all(isinstance(x, str) for x in t["tags"]), f"tags: {t['tags']!r}"
    for k in ("parent_task_id", "blocked_by_task_id"):
        assert t[k] is None or (isinstance(t[k], int) and not isinstance(t[k], bool)), (k, t[k])
    assert_iso(t["created_at"], "created_at")
    assert_iso(t["updated_at"], "updated_at")
    if t["archived_at"] is not None:
        assert_iso(t["archived_at"], "archived_at")
    assert isinstance(t["is_currently_blocked"], bool)
    for k, v in expected.items():
        assert t[k] == v, f"task #{t['id']} {k}: got {t[k]!r}, want {v!r}"
    return t


def assert_task_with_relations(t: Any, **expected: Any) -> dict:
    assert_task(t, TASK_WITH_RELATIONS_KEYS, **expected)
    for c in t["comments"]:
        assert_comment(c, task_id=t["id"])
    for link in t["links"]:
        assert_link(link, task_id=t["id"])
    for h in t["history"]:
        assert_history(h, task_id=t["id"])
    return t


def assert_comment(c: Any, **expected: Any) -> dict:
    assert isinstance(c, dict)
    assert list(c.keys()) == COMMENT_KEYS, f"comment keys/order differ: {list(c.keys())}"
    assert isinstance(c["id"], int) and isinstance(c["task_id"], int)
    assert isinstance(c["content"], str)
    assert c["created_by"] is None or isinstance(c["created_by"], str)
    assert_iso(c["created_at"], "comment created_at")
    assert_iso(c["updated_at"], "comment updated_at")
    for k, v in expected.items():
        assert c[k] == v, f"comment {k}: got {c[k]!r}, want {v!r}"
    return c


def assert_link(link: Any, **expected: Any) -> dict:
    assert isinstance(link, dict)
    assert list(link.keys()) == LINK_KEYS, f"link keys/order differ: {list(link.keys())}"
    assert isinstance(link["id"], int) and isinstance(link["task_id"], int)
    assert isinstance(link["url"], str) and link["url"]
    assert link["description"] is None or isinstance(link["description"], str)
    assert link["created_by"] is None or isinstance(link["created_by"], str)
    assert_iso(link["created_at"], "link created_at")
    for k, v in expected.items():
        assert link[k] == v, f"link {k}: got {link[k]!r}, want {v!r}"
    return link


def assert_history(h: Any, **expected: Any) -> dict:
    assert isinstance(h, dict)
    assert list(h.keys()) == HISTORY_KEYS, f"history keys/order differ: {list(h.keys())}"
    assert isinstance(h["id"], int) and isinstance(h["task_id"], int)
    assert isinstance(h["field_name"], str)
    for k in ("old_value", "new_value", "changed_by"):
        assert h[k] is None or isinstance(h[k], str), (k, h[k])
    assert_iso(h["changed_at"], "history changed_at")
    for k, v in expected.items():
        assert h[k] == v, f"history {k}: got {h[k]!r}, want {v!r}"
    return h


def find_history(history: list[dict], field: str, **expected: Any) -> dict:
    """Returns the first history entry for `field` matching all `expected` values (fails if none)."""
    for h in history:
        if h["field_name"] == field and all(h.get(k) == v for k, v in expected.items()):
            return h
    raise AssertionError(f"no history entry field_name={field!r} {expected}; history: {history}")


def ids(tasks: list[dict]) -> list[int]:
    return [t["id"] for t in tasks]


# --------------------------------------------------------------------------------------------------------------
# SDK-based client


class TT:
    """A TinyTask server driven through the official SDK's ClientSession."""

    def __init__(self, session: ClientSession, stream_errors: list[Exception], stderr_path: Path):
        self.session = session
        self.stream_errors = stream_errors
        self.stderr_path = stderr_path

    @property
    def protocol_version(self) -> str:
        return self.session.protocol_version or ""

    def check_stream(self) -> None:
        assert not self.stream_errors, f"server wrote non-JSON-RPC output on stdout: {self.stream_errors!r}"

    async def call_result(self, name: str, args: dict | None = None, read_timeout: float | None = None):
        """`read_timeout`: this request's SDK read timeout (default: the session's REQUEST_TIMEOUT), for calls
        that may wait longer (wait_for_task)."""
        with anyio.fail_after((read_timeout or REQUEST_TIMEOUT) + 2):
            res = await self.session.call_tool(name, {} if args is None else args,
                                               read_timeout_seconds=read_timeout)
        self.check_stream()
        return res

    async def call(self, name: str, args: dict | None = None, read_timeout: float | None = None) -> Any:
        """Calls a tool that must succeed; returns the parsed JSON of content[0].text (checked against
        structuredContent for protocol >= 2025-06-18)."""
        res = await self.call_result(name, args, read_timeout)
        texts = [getattr(c, "text", None) for c in res.content]
        assert not res.is_error, f"{name}({args}) returned isError: {texts}"
        assert len(res.content) == 1, f"{name}: expected exactly one content item, got {res.content!r}"
        item = res.content[0]
        assert item.type == "text", f"{name}: content[0] is {item.type}, not text"
        text = item.text
        try:
            data = json.loads(text)
        except ValueError as e:  # pragma: no cover - reported as failure
            raise AssertionError(f"{name}: content[0].text is not JSON: {text!r}") from e
        assert text == compact(data), f"{name}: result text is not compact JSON: {text[:200]!r}"
        assert isinstance(data, dict), f"{name}: result is not a JSON object: {text[:200]!r}"
        if version_at_least(self.protocol_version, "2025-06-18"):
            assert res.structured_content == data, (
                f"{name}: structuredContent differs from text JSON:\n{res.structured_content!r}\n{data!r}")
        return data

    async def err(self, name: str, args: dict | None = None) -> str:
        """Calls a tool that must fail with isError; returns the error text (one line)."""
        res = await self.call_result(name, args)
        texts = [getattr(c, "text", None) for c in res.content]
        assert res.is_error is True, f"{name}({args}) was expected to fail but returned: {texts}"
        assert len(res.content) == 1 and res.content[0].type == "text", f"{name}: error content: {res.content!r}"
        text = res.content[0].text
        assert text.strip(), f"{name}: empty error text"
        assert "\n" not in text.strip(), f"{name}: error text is not one line: {text!r}"
        return text

    # small conveniences used across modules
    async def create(self, title: str, created_by: str = "tester", **kw: Any) -> dict:
        return await self.call("create_task", {"title": title, "created_by": created_by, **kw})

    async def sub(self, parent_id: int, title: str, created_by: str = "tester", **kw: Any) -> dict:
        return await self.call("create_subtask",
                               {"parent_task_id": parent_id, "title": title, "created_by": created_by, **kw})

    async def update(self, task_id: int, **kw: Any) -> dict:
        return await self.call("update_task", {"id": task_id, **kw})

    async def get(self, task_id: int) -> dict:
        return await self.call("get_task", {"id": task_id})

    async def list(self, **kw: Any) -> list[dict]:
        data = await self.call("list_tasks", kw)
        assert data["count"] == len(data["tasks"])
        return data["tasks"]


async def reset_board(tt: TT) -> int:
    """External mode: deletes every task (archived ones too; comments, links and history go with them) so that
    the test starts on an empty board as it would on a fresh database. Returns how many were deleted."""
    deleted = 0
    refused: dict[int, str] = {}
    for _ in range(10):
        tasks = await tt.list(include_archived=True)
        if not tasks:
            return deleted
        for t in tasks:
            res = await tt.call_result("delete_task", {"id": t["id"]})
            if res.is_error:
                refused[t["id"]] = " ".join(getattr(c, "text", "") for c in res.content)
            deleted += not res.is_error
    left = ids(await tt.list(include_archived=True))
    why = "; ".join(f"#{i}: {refused[i]}" for i in left[:3] if i in refused)
    raise AssertionError(f"cannot empty the board for the next test: tasks {left[:10]} left; delete_task: {why}")


@asynccontextmanager
async def open_external_tt():
    """External mode: an SDK Streamable HTTP session on ``TARGET_URL`` with an emptied board."""
    from http_support import streamable_session  # it imports this module

    assert TARGET_URL
    async with streamable_session(TARGET_URL) as server:
        await reset_board(server)
        queues = await server.call("list_queues")
        assert queues == {"count": 0, "queues": []}, f"queues left on the emptied board: {queues}"
        yield server


@asynccontextmanager
async def open_tt(workdir: Path, log_level: str = "debug", db_name: str = "t.db", **env_extra: str):
    """Spawns the server over stdio with a fresh database in `workdir` (and the extra environment variables
    `env_extra`) and yields an initialized :class:`TT` (external mode: a session on the running server, board
    emptied; see the module docstring)."""
    if TARGET_URL:
        if db_name != "t.db" or env_extra:
            pytest.skip("a second database or a configured server needs a locally spawned server "
                        "(TINYTASK_TARGET_URL is set)")
        async with open_external_tt() as server:
            yield server
        return
    if TRANSPORT == "http":
        from http_support import HttpServer, streamable_session  # it imports this module

        server = HttpServer(workdir, "http", db_name, log_level, **env_extra)
        try:
            async with streamable_session(server) as tt:
                yield tt
        finally:
            server.kill()
        return
    binary = require_binary()
    params = StdioServerParameters(command=binary, args=[], env=server_env(workdir / db_name, log_level, **env_extra),
                                   cwd=str(workdir))
    async with sdk_stdio_session(params, workdir / "server.stderr.log") as tt:
        yield tt
        tt.check_stream()


def pinned_discover() -> mcp_types.DiscoverResult:
    """What ``mcp.Client(target, mode="2026-07-28")`` adopts when given no prior discover result: the pinned
    version only, no server capabilities known. Adopting it sends nothing, so the server sees each request on its
    own, as a stateless client sends it."""
    return mcp_types.DiscoverResult(supported_versions=[MODERN_VERSION], capabilities=mcp_types.ServerCapabilities(),
                                    result_type="complete", ttl_ms=0, cache_scope="public")


async def start_era(session: ClientSession, era: str | None = None) -> None:
    """Legacy: the initialize handshake. Modern: pin the session to 2026-07-28 (see :func:`pinned_discover`)."""
    if (era or ERA) == "modern":
        session.adopt(pinned_discover())
        return
    with anyio.fail_after(REQUEST_TIMEOUT):
        await session.initialize()


@asynccontextmanager
async def sdk_stdio_session(params: StdioServerParameters, stderr_path: Path, message_handler: Any = None,
                            era: str | None = None, **session_kw: Any):
    """Starts `params` with the SDK's ``stdio_client`` (stderr to `stderr_path`) and yields a :class:`TT` in
    `era` (default ``TINYTASK_PY_ERA``: initialized, or pinned to 2026-07-28); stream errors the SDK reports are
    collected for :meth:`TT.check_stream`. A `message_handler` with an ``errors`` list (http_support's ``Inbox``)
    replaces the default one, to record notifications. `session_kw` goes to ``ClientSession`` (e.g.
    ``log_level``, ``logging_callback``)."""
    stream_errors: list[Exception] = getattr(message_handler, "errors", [])

    async def on_message(message: Any) -> None:
        if isinstance(message, Exception):
            stream_errors.append(message)

    if message_handler is not None:
        on_message = message_handler

    with open(stderr_path, "w") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write):
            async with ClientSession(read, write, read_timeout_seconds=REQUEST_TIMEOUT,
                                     message_handler=on_message, **session_kw) as session:
                await start_era(session, era)
                yield TT(session, stream_errors, stderr_path)


@pytest.fixture(scope="session")
def anyio_backend():
    return "asyncio"


@pytest.fixture
async def tt(tmp_path):
    """A fresh server (fresh database) per test, connected with the SDK."""
    async with open_tt(tmp_path) as server:
        yield server


# --------------------------------------------------------------------------------------------------------------
# raw stdio client


class RawServer:
    """Spawns the binary and exchanges raw JSON-RPC lines; every read has a timeout so hangs fail fast."""

    def __init__(self, workdir: Path, log_level: str = "debug", db_name: str = "t.db", **env_extra: str):
        binary = require_binary()
        self.workdir = workdir
        self.stderr_path = workdir / f"raw-{id(self)}.stderr.log"
        self._stderr = open(self.stderr_path, "wb")
        env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
        env.update(server_env(workdir / db_name, log_level, **env_extra))
        self.proc = subprocess.Popen([binary], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
                                     env=env, cwd=str(workdir))
        self._lines: queue.Queue[str | None] = queue.Queue()
        self.stdout_lines: list[str] = []  # everything the server wrote on stdout, in order
        self._reader = threading.Thread(target=self._read_stdout, daemon=True)
        self._reader.start()
        self._next_id = 1000

    def _read_stdout(self) -> None:
        assert self.proc.stdout is not None
        for raw in iter(self.proc.stdout.readline, b""):
            line = raw.decode("utf-8", errors="replace").rstrip("\n")
            self.stdout_lines.append(line)
            self._lines.put(line)
        self._lines.put(None)

    # --- sending
    def send_line(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text.encode("utf-8") + b"\n")
        self.proc.stdin.flush()

    def send(self, obj: Any) -> None:
        self.send_line(compact(obj))

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    # --- receiving
    def recv(self, timeout: float = RAW_TIMEOUT) -> Any:
        """Next stdout line as JSON (fails on timeout, EOF or a non-JSON line)."""
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no message from server within {timeout}s; stderr tail: {self.stderr_tail()}")
        if line is None:
            raise AssertionError(f"server closed stdout (exit {self.proc.poll()}); stderr tail: {self.stderr_tail()}")
        try:
            return json.loads(line)
        except ValueError:
            raise AssertionError(f"non-JSON line on stdout: {line!r}")

    def recv_response(self, timeout: float = RAW_TIMEOUT) -> Any:
        """Next response (or batch array), skipping server notifications."""
        while True:
            msg = self.recv(timeout)
            if isinstance(msg, dict) and "method" in msg and "id" not in msg:
                continue  # server notification (e.g. logging)
            return msg

    def request(self, method: str, params: Any = None, id: Any = None, timeout: float = RAW_TIMEOUT) -> dict:
        """Sends a request and returns the full response object (its id is checked)."""
        if id is None:
            id = self.new_id()
        msg: dict[str, Any] = {"jsonrpc": "2.0", "id": id, "method": method}
        if params is not None:
            msg["params"] = params
        self.send(msg)
        resp = self.recv_response(timeout)
        assert isinstance(resp, dict), f"expected one response object, got {resp!r}"
        assert resp.get("jsonrpc") == "2.0", resp
        assert "id" in resp and resp["id"] == id and type(resp["id"]) is type(id), \
            f"response id {resp.get('id')!r} does not echo request id {id!r}: {resp}"
        return resp

    def result(self, method: str, params: Any = None, **kw: Any) -> Any:
        resp = self.request(method, params, **kw)
        assert "result" in resp and "error" not in resp, f"{method} failed: {resp}"
        return resp["result"]

    def error(self, method: str, params: Any = None, **kw: Any) -> dict:
        resp = self.request(method, params, **kw)
        assert "error" in resp and "result" not in resp, f"{method} was expected to fail: {resp}"
        err = resp["error"]
        assert isinstance(err.get("code"), int) and isinstance(err.get("message"), str), err
        return err

    def notify(self, method: str, params: Any = None) -> None:
        msg: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            msg["params"] = params
        self.send(msg)

    def initialize(self, version: str = LATEST_VERSION) -> dict:
        result = self.result("initialize", {
            "protocolVersion": version,
            "capabilities": {},
            "clientInfo": {"name": "tinytask-raw-tests", "version": "0.0.1"},
        })
        self.notify("notifications/initialized")
        return result

    def call_tool(self, name: str, args: dict | None = None) -> dict:
        return self.result("tools/call", {"name": name, "arguments": {} if args is None else args})

    def tool_json(self, name: str, args: dict | None = None) -> Any:
        res = self.call_tool(name, args)
        assert not res.get("isError"), res
        return json.loads(res["content"][0]["text"])

    # --- shutdown
    def close_stdin(self) -> None:
        if self.proc.stdin and not self.proc.stdin.closed:
            try:
                self.proc.stdin.close()
            except BrokenPipeError:
                pass

    def wait_exit(self, timeout: float = 5.0) -> int:
        self.close_stdin()
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"server did not exit within {timeout}s after stdin EOF")

    def all_stdout(self, timeout: float = 5.0) -> list[str]:
        """Closes stdin, waits for exit and returns every stdout line."""
        self.wait_exit(timeout)
        self._reader.join(timeout)
        return list(self.stdout_lines)

    def stderr_tail(self, n: int = 2000) -> str:
        try:
            self._stderr.flush()
            return self.stderr_path.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def kill(self) -> None:
        try:
            kill_process(self.proc)
        finally:
            self.close_stdin()
            if self.proc.stdout:
                self.proc.stdout.close()
            self._stderr.close()


@pytest.fixture
def raw(tmp_path):
    """Factory: raw(log_level="debug", **env) -> RawServer (a fresh db per test); all are killed at teardown."""
    if TARGET_URL:
        pytest.skip(f"raw stdio JSON-RPC lines: {EXTERNAL_SKIP}")
    if MODERN:
        # Every raw test of the suite files drives the legacy lifecycle (initialize first, negotiation, batches,
        # stdout framing of a session); the modern raw wire has its own files (test_modern_http, test_listen).
        pytest.skip(f"the raw stdio lifecycle (initialize, negotiation, batches) is legacy-only: "
                    f"TINYTASK_PY_ERA=modern speaks {MODERN_VERSION}, which has none")
    started: list[RawServer] = []

    def start(log_level: str = "debug", **env_extra: str) -> RawServer:
        db_name = "t.db" if not started else f"t{len(started) + 1}.db"
        server = RawServer(tmp_path, log_level, db_name, **env_extra)
        started.append(server)
        return server

    yield start
    for server in started:
        server.kill()
