"""Helpers for the agent-coordination tests (``test_coordination_claims.py``, ``test_coordination_wait.py``):
pool claims, leases and ``wait_for_task``.

* :func:`stdio_session` — a stdio server through the SDK whose notifications are recorded (an ``Inbox``), so
  lease-expiry pushes can be measured over stdio as over HTTP;
* claim helpers that check the ``{agent, claimed, task, message, lease}`` shape of signup_for_task and
  wait_for_task on every call;
* :class:`Waiter` — a ``wait_for_task`` running in the background, with the monotonic time its answer came;
* lease timestamps (``expires_at``, ISO 8601 UTC with milliseconds) as wall-clock seconds, and the wall-clock
  time of an ``Inbox`` arrival (which records ``time.monotonic()``);
* the event feed read to the end (:func:`all_events`).

Only 127.0.0.1 is ever contacted; every wait has a deadline.
"""

from __future__ import annotations

import calendar
import re
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator

import anyio
from mcp.client.stdio import StdioServerParameters

from conftest import TT, assert_task_with_relations, require_binary, sdk_stdio_session, server_env
from http_support import HTT, Inbox

SIGNUP_KEYS = ["agent", "claimed", "task", "message", "lease"]
LEASE_ISO_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{3})Z$")
TOKEN_RE = re.compile(r"^[0-9a-f]{32}$")


@asynccontextmanager
async def stdio_session(workdir: Path, db_name: str = "t.db", log_level: str = "info",
                        **env_extra: str) -> AsyncIterator[HTT]:
    """A stdio server (SDK ``stdio_client``) on `workdir`/`db_name`, as an :class:`HTT` whose ``inbox`` records
    every notification with its arrival time."""
    params = StdioServerParameters(command=require_binary(), args=[],
                                   env=server_env(workdir / db_name, log_level, **env_extra), cwd=str(workdir))
    inbox = Inbox()
    async with sdk_stdio_session(params, workdir / f"stdio-{db_name}.stderr.log", inbox) as tt:
        yield HTT(tt.session, inbox, tt.stderr_path, "stdio")


# --------------------------------------------------------------------------------------------------------------
# time


def lease_epoch(expires_at: str) -> float:
    """``2026-12-01T16:00:00.123Z`` → unix seconds (float). Fails on any other format."""
    m = LEASE_ISO_RE.match(expires_at or "")
    assert m, f"lease expires_at is not ISO 8601 UTC with milliseconds: {expires_at!r}"
    y, mo, d, h, mi, s, ms = (int(x) for x in m.groups())
    return calendar.timegm((y, mo, d, h, mi, s)) + ms / 1000.0


def wall_of(monotonic_at: float) -> float:
    """The wall-clock (unix) time of a ``time.monotonic()`` reading taken moments ago."""
    return monotonic_at + (time.time() - time.monotonic())


# --------------------------------------------------------------------------------------------------------------
# claims


def assert_lease(lease: Any, secs: float, slack: float = 3.0) -> dict:
    """A claim's lease: exactly ``{token, expires_at}``, a 128-bit hex token, expiring `secs` from now."""
    assert isinstance(lease, dict) and list(lease) == ["token", "expires_at"], f"lease shape: {lease!r}"
    assert TOKEN_RE.match(lease["token"]), f"lease token is not 32 hex digits: {lease['token']!r}"
    left = lease_epoch(lease["expires_at"]) - time.time()
    assert secs - slack <= left <= secs + 1.0, f"lease expires in {left:.2f} s, want ≈{secs} s: {lease}"
    return lease


def assert_signup(res: Any, agent: str, claimed: bool) -> dict:
    """The shape shared by signup_for_task and wait_for_task."""
    assert isinstance(res, dict) and list(res) == SIGNUP_KEYS, f"signup result keys: {list(res)} (want {SIGNUP_KEYS})"
    assert res["agent"] == agent, res
    assert res["claimed"] is claimed, f"claimed is {res['claimed']}, want {claimed}: {res}"
    assert isinstance(res["message"], str) and res["message"], res
    if claimed:
        assert_task_with_relations(res["task"], status="working", assigned_to=agent)
    else:
        assert res["task"] is None and res["lease"] is None, res
    return res


async def signup(tt: TT, agent: str, queue: str | None = None, claimed: bool | None = None, **kw: Any) -> dict:
    """signup_for_task (with queue_name when given); checks the shape, and `claimed` when given."""
    args: dict[str, Any] = {"agent_name": agent, **kw}
    if queue is not None:
        args["queue_name"] = queue
    res = await tt.call("signup_for_task", args)
    return assert_signup(res, agent, res.get("claimed") if claimed is None else claimed)


async def wait_for(tt: TT, agent: str, queue: str | None = None, timeout_secs: float = 10,
                   **kw: Any) -> tuple[dict, float]:
    """wait_for_task; returns (checked result, seconds it took)."""
    args: dict[str, Any] = {"agent_name": agent, "timeout_secs": timeout_secs, **kw}
    if queue is not None:
        args["queue_name"] = queue
    started = time.monotonic()
    res = await tt.call("wait_for_task", args, read_timeout=float(timeout_secs) + 10)
    took = time.monotonic() - started
    return assert_signup(res, agent, res.get("claimed")), took


class Waiter:
    """A wait_for_task started in the background (``start`` in a task group); ``result`` and ``at`` (monotonic
    arrival) once it answered, ``error`` if the call raised."""

    def __init__(self, tt: TT, agent: str, queue: str | None = None, timeout_secs: float = 10, **kw: Any):
        self.tt, self.agent, self.queue, self.timeout_secs, self.kw = tt, agent, queue, timeout_secs, kw
        self.result: dict | None = None
        self.at: float | None = None
        self.error: BaseException | None = None
        self.done = anyio.Event()

    async def run(self) -> None:
        try:
            self.result, _ = await wait_for(self.tt, self.agent, self.queue, self.timeout_secs, **self.kw)
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.error = e
        finally:
            self.at = time.monotonic()
            self.done.set()

    async def answer(self, timeout: float) -> dict:
        with anyio.fail_after(timeout):
            await self.done.wait()
        assert self.error is None, f"wait_for_task({self.agent}) raised {self.error!r}"
        assert self.result is not None
        return self.result


async def all_events(tt: TT, **filters: Any) -> list[dict]:
    """The whole event feed (matching `filters`), paged to the end."""
    out: list[dict] = []
    after = 0
    for _ in range(1000):
        page = await tt.call("get_events", {"after": after, "limit": 1000, **filters})
        out.extend(page["events"])
        after = page["next_cursor"]
        if not page["has_more"]:
            return out
    raise AssertionError("get_events never reached the end of the feed")


def kinds(events: list[dict], task_id: int | None = None) -> list[str]:
    return [e["kind"] for e in events if task_id is None or e["task_id"] == task_id]
