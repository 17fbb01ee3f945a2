"""Helpers for the dependency-graph and event-feed tests (``test_dependencies.py``, ``test_events.py``).

* :func:`stdio_push_session`: a stdio server driven by the official SDK whose session records server
  notifications (http_support's :class:`Inbox`), so the push tests run the same over stdio and HTTP;
* :func:`events_after` / :func:`head`: read the durable event feed (``get_events``) to its end;
* :func:`only`: the single event of a kind (for a task) among some events, with a readable failure;
* :func:`answer_after`: a waiting call, the write that ends the wait, and the wake-up latency.

Every read is bounded (page count, request timeouts); only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable

import anyio
from mcp.client.stdio import StdioServerParameters, stdio_client

from conftest import TT, require_binary, server_env
from http_support import HTT, _session

EVENT_KEYS = ["cursor", "at", "kind", "task_id", "actor", "assignee", "prior_assignee", "queue", "prior_queue",
              "fields"]
PAGE_KEYS = ["count", "events", "next_cursor", "has_more", "oldest_cursor"]
TASK_REF_KEYS = ["id", "title", "status", "is_open"]
NO_SUCH_TASK = 2_147_483_647  # a task id no test creates: a filter that matches nothing
MAX_PAGES = 200


@asynccontextmanager
async def stdio_push_session(workdir: Path, db_name: str = "t.db", **env_extra: str) -> AsyncIterator[HTT]:
    """A stdio server on a fresh database in `workdir`, as an :class:`HTT` (``transport="stdio"``) whose
    inbox records every notification the server sends on stdout."""
    params = StdioServerParameters(command=require_binary(), args=[],
                                   env=server_env(workdir / db_name, "info", **env_extra), cwd=str(workdir))
    with open(workdir / "push-stdio.stderr.log", "w") as errlog:
        async with _session("stdio", stdio_client(params, errlog=errlog), workdir / "push-stdio.stderr.log",
                            None, None) as tt:
            yield tt


def check_page(page: dict) -> dict:
    """The EventPage shape: keys in order, count matching, cursors strictly increasing."""
    assert list(page.keys()) == PAGE_KEYS, f"EventPage keys: {list(page.keys())}"
    assert page["count"] == len(page["events"])
    cursors = [e["cursor"] for e in page["events"]]
    assert cursors == sorted(set(cursors)), f"cursors not strictly increasing within a page: {cursors}"
    for e in page["events"]:
        assert list(e.keys()) == EVENT_KEYS, f"event keys: {list(e.keys())}"
        assert isinstance(e["fields"], dict)
    return page


async def head(tt: TT) -> int:
    """The newest cursor of the feed (0 when empty): a filter that matches nothing returns it as
    next_cursor (documented: "the newest event the read saw")."""
    page = check_page(await tt.call("get_events", {"task_id": NO_SUCH_TASK}))
    assert page["count"] == 0
    return page["next_cursor"]


async def events_after(tt: TT, after: int = 0, limit: int = 1000, **filters: Any) -> list[dict]:
    """Every event after `after` matching `filters`, read page by page to the end (bounded)."""
    out: list[dict] = []
    for _ in range(MAX_PAGES):
        page = check_page(await tt.call("get_events", {"after": after, "limit": limit, **filters}))
        out.extend(page["events"])
        assert page["next_cursor"] >= after, f"next_cursor went back: {page['next_cursor']} < {after}"
        after = page["next_cursor"]
        if not page["has_more"]:
            return out
    raise AssertionError(f"get_events still has_more after {MAX_PAGES} pages")


def only(events: list[dict], kind: str, task_id: int | None = None) -> dict:
    """The one event of `kind` (for `task_id`, when given) among `events`."""
    got = [e for e in events if e["kind"] == kind and (task_id is None or e["task_id"] == task_id)]
    assert len(got) == 1, (f"expected exactly one {kind} event (task {task_id}), got {len(got)}; events: "
                           f"{[(e['cursor'], e['kind'], e['task_id']) for e in events]}")
    return got[0]


async def answer_after(call: Callable[[], Awaitable[Any]], action: Callable[[], Awaitable[Any]],
                       settle: float = 0.4) -> tuple[Any, Any, float]:
    """Starts the waiting `call` (a long-poll, wait_for_task), checks it is still waiting after `settle`
    seconds, runs `action` (the write that should end the wait) and returns (call's answer, action's result,
    seconds from the action's acknowledgement to the call's answer)."""
    got: dict[str, Any] = {}

    async def run() -> None:
        got["answer"] = await call()
        got["at"] = time.monotonic()

    async with anyio.create_task_group() as tg:
        tg.start_soon(run)
        await anyio.sleep(settle)
        assert "answer" not in got, f"answered before the change: {got['answer']}"
        done = await action()
        acked = time.monotonic()
    return got["answer"], done, got["at"] - acked
