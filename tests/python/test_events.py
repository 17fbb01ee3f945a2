"""The durable event feed (issue §5) through the official SDK.

* one test per event kind: the event exists once, for the right task, with the right actor and fields
  (old → new; updated_at is never a field; tags are arrays; a lease shows holder/expires_at, never the token);
* cursors strictly increasing; paging with after/next_cursor and limit; has_more; filters task_id,
  agent_name (actor or assignee before/after), queue_name (before/after); parameter validation;
* wait_secs long-polls: returns as soon as an event commits (latency measured), or empty with next_cursor
  unchanged at the timeout;
* an event is in the transaction of its change: a failed write leaves none, every write tool that changes
  something leaves at least one; get_task_history keeps its shape;
* 32 concurrent writers on one HTTP server, and writers in 3 processes on one file, with a concurrent
  reader following the feed with wait_secs: every predicted event exactly once, cursors strictly
  increasing, each task's events in its writer's acknowledgement order, the reader saw all of them in order;
* retention: events older than TINYTASK_EVENT_RETENTION_DAYS are pruned at startup, recent ones kept; 0
  keeps everything.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections import defaultdict
from contextlib import AsyncExitStack
from datetime import datetime, timedelta, timezone
from typing import Any, Awaitable, Callable

import anyio
import pytest

import pg_support
from conftest import TOOL_PARAMS, READ_ONLY_TOOLS, TT, assert_history, open_tt
from feed_support import answer_after, check_page, events_after, head, only
from http_support import HttpServer, http_server, metric, start_server, streamable_session  # noqa: F401  (fixtures)
from process_support import stdio_server

pytestmark = pytest.mark.anyio

PROPAGATION = "tinytask:propagation"
LEASE_ACTOR = "tinytask:lease"


def ch(old: Any, new: Any) -> dict:
    return {"old": old, "new": new}


async def new_events(tt: TT, before: int) -> list[dict]:
    return await events_after(tt, before)


# ============================================================================================ one per kind

# Each scenario: async (tt) -> (events of the action, the subject task id); the checks follow in the table.


async def _task_created(tt: TT):
    before = await head(tt)
    t = await tt.create("Created", created_by="alice", assigned_to="bob", priority=3, tags=["x", "y"],
                        queue_name="q1", description="d")
    e = only(await new_events(tt, before), "task_created", t["id"])
    assert e["fields"] == {"title": ch(None, "Created"), "description": ch(None, "d"), "status": ch(None, "idle"),
                           "assigned_to": ch(None, "bob"), "created_by": ch(None, "alice"), "priority": ch(None, 3),
                           "tags": ch(None, ["x", "y"]), "queue_name": ch(None, "q1")}
    assert (e["actor"], e["assignee"], e["queue"]) == ("alice", "bob", "q1")
    return e


async def _task_updated(tt: TT):
    t = await tt.create("U", priority=1, tags=["a"])
    before = await head(tt)
    await tt.update(t["id"], priority=5, tags=["b", "c"], title="U2", changed_by="carol")
    e = only(await new_events(tt, before), "task_updated", t["id"])
    assert e["fields"] == {"title": ch("U", "U2"), "priority": ch(1, 5), "tags": ch(["a"], ["b", "c"])}
    assert e["actor"] == "carol"
    # no changed_by: actor null; a no-op update (same values) makes no event
    before = await head(tt)
    await tt.update(t["id"], description="now described")
    e2 = only(await new_events(tt, before), "task_updated", t["id"])
    assert e2["actor"] is None and e2["fields"] == {"description": ch(None, "now described")}
    before = await head(tt)
    await tt.update(t["id"], priority=5, changed_by="carol")
    assert await new_events(tt, before) == [], "an update that changes nothing is no event"
    return e


async def _claim(tt: TT, agent: str = "dave", lease_secs: int = 60) -> tuple[dict, dict]:
    t = await tt.create("Claimable", assigned_to=agent, queue_name="q1")
    got = await tt.call("signup_for_task", {"agent_name": agent, "lease_secs": lease_secs})
    assert got["claimed"] is True and got["task"]["id"] == t["id"], got
    return t, got


async def _task_claimed(tt: TT):
    before = await head(tt)
    t, got = await _claim(tt)
    events = await new_events(tt, before)
    e = only(events, "task_claimed", t["id"])
    assert e["actor"] == "dave"
    assert e["fields"]["status"] == ch("idle", "working")
    lease = e["fields"]["lease"]
    assert lease["old"] is None and lease["new"]["holder"] == "dave"
    assert lease["new"]["expires_at"] == got["lease"]["expires_at"]
    assert got["lease"]["token"] not in json.dumps(events), "the lease token leaked into the feed"
    assert set(e["fields"]) == {"status", "lease"}, e["fields"]
    return e


async def _task_released(tt: TT):
    t, got = await _claim(tt)
    before = await head(tt)
    await tt.call("release_task", {"task_id": t["id"], "agent_name": "dave", "comment": "giving up"})
    events = await new_events(tt, before)
    e = only(events, "task_released", t["id"])
    assert e["actor"] == "dave" and e["fields"]["status"] == ch("working", "idle")
    assert e["fields"]["lease"]["old"]["holder"] == "dave" and e["fields"]["lease"]["new"] is None
    c = only(events, "comment_added", t["id"])
    assert c["actor"] == "dave" and c["fields"]["content"] == ch(None, "giving up")
    assert got["lease"]["token"] not in json.dumps(events)
    return e


async def _lease_expired(tt: TT):
    t, got = await _claim(tt, lease_secs=1)
    deadline = time.monotonic() + 10
    while True:
        events = [e for e in await new_events(tt, 0) if e["kind"] == "lease_expired"]
        if events or time.monotonic() > deadline:
            break
        await anyio.sleep(0.2)
    e = only(events, "lease_expired", t["id"])
    assert e["actor"] == LEASE_ACTOR and e["fields"]["status"] == ch("working", "idle")
    assert e["fields"]["lease"]["new"] is None and e["fields"]["lease"]["old"]["holder"] == "dave"
    assert (await tt.get(t["id"]))["status"] == "idle"
    return e


async def _lease_renewed(tt: TT):
    t, got = await _claim(tt)
    await anyio.sleep(0.05)  # expires_at has millisecond resolution
    before = await head(tt)
    hb = await tt.call("heartbeat", {"task_id": t["id"], "agent_name": "dave", "lease_token": got["lease"]["token"]})
    events = await new_events(tt, before)
    e = only(events, "lease_renewed", t["id"])
    assert e["actor"] == "dave" and set(e["fields"]) == {"lease"}
    assert e["fields"]["lease"]["old"]["expires_at"] == got["lease"]["expires_at"]
    assert e["fields"]["lease"]["new"]["expires_at"] == hb["lease"]["expires_at"]
    assert e["fields"]["lease"]["new"]["holder"] == "dave"
    assert got["lease"]["token"] not in json.dumps(events)
    return e


async def _task_moved(tt: TT):
    t = await tt.create("Handed over", assigned_to="coder", queue_name="q1")
    before = await head(tt)
    await tt.call("move_task", {"task_id": t["id"], "current_agent": "coder", "new_agent": "reviewer",
                                "comment": "please review"})
    events = await new_events(tt, before)
    e = only(events, "task_moved", t["id"])
    assert e["actor"] == "coder" and (e["assignee"], e["prior_assignee"]) == ("reviewer", "coder")
    assert e["fields"]["assigned_to"] == ch("coder", "reviewer")
    assert e["fields"]["previous_assigned_to"] == ch(None, "coder")
    assert only(events, "comment_added", t["id"])["fields"]["content"] == ch(None, "please review")
    return e


async def _task_archived(tt: TT):
    t = await tt.create("Old")
    before = await head(tt)
    archived = await tt.call("archive_task", {"id": t["id"]})
    e = only(await new_events(tt, before), "task_archived", t["id"])
    assert e["actor"] is None, "archive_task names no one"
    assert set(e["fields"]) == {"archived_at"} and e["fields"]["archived_at"]["old"] is None
    assert e["fields"]["archived_at"]["new"].replace(" ", "T").startswith(archived["archived_at"][:19])
    return e


async def _task_deleted(tt: TT):
    t = await tt.create("Doomed", created_by="zed", assigned_to="ann", queue_name="q1", priority=2)
    before = await head(tt)
    await tt.call("delete_task", {"id": t["id"]})
    e = only(await new_events(tt, before), "task_deleted", t["id"])
    assert e["actor"] is None and (e["assignee"], e["queue"]) == ("ann", "q1")
    assert e["fields"]["title"] == ch("Doomed", None) and e["fields"]["priority"] == ch(2, None)
    return e


async def _comment(tt: TT) -> tuple[dict, dict]:
    t = await tt.create("Commented")
    c = await tt.call("add_comment", {"task_id": t["id"], "content": "first", "created_by": "eve"})
    return t, c


async def _comment_added(tt: TT):
    before = await head(tt)
    t, c = await _comment(tt)
    e = only(await new_events(tt, before), "comment_added", t["id"])
    assert e["actor"] == "eve"
    assert e["fields"] == {"task_id": ch(None, t["id"]), "content": ch(None, "first"), "created_by": ch(None, "eve"),
                           "id": ch(None, c["id"])}
    return e


async def _comment_changed(tt: TT):
    t, c = await _comment(tt)
    before = await head(tt)
    await tt.call("update_comment", {"id": c["id"], "content": "second"})
    e = only(await new_events(tt, before), "comment_changed", t["id"])
    assert e["actor"] is None and e["fields"] == {"content": ch("first", "second"), "id": ch(c["id"], c["id"])}
    return e


async def _comment_deleted(tt: TT):
    t, c = await _comment(tt)
    before = await head(tt)
    await tt.call("delete_comment", {"id": c["id"]})
    e = only(await new_events(tt, before), "comment_deleted", t["id"])
    assert e["fields"]["content"] == ch("first", None) and e["fields"]["id"] == ch(c["id"], None)
    return e


async def _comment_moved(tt: TT):
    t, c = await _comment(tt)
    target = await tt.create("Target")
    before = await head(tt)
    await tt.call("move_comment", {"comment_id": c["id"], "to_task_id": target["id"]})
    e = only(await new_events(tt, before), "comment_moved")
    assert e["fields"]["task_id"] == ch(t["id"], target["id"])
    return e


async def _link(tt: TT) -> tuple[dict, dict]:
    t = await tt.create("Linked")
    link = await tt.call("add_link", {"task_id": t["id"], "url": "https://example.com/a", "created_by": "lin"})
    return t, link


async def _link_added(tt: TT):
    before = await head(tt)
    t, link = await _link(tt)
    e = only(await new_events(tt, before), "link_added", t["id"])
    assert e["actor"] == "lin" and e["fields"]["url"] == ch(None, "https://example.com/a")
    assert e["fields"]["id"] == ch(None, link["id"])
    return e


async def _link_changed(tt: TT):
    t, link = await _link(tt)
    before = await head(tt)
    await tt.call("update_link", {"id": link["id"], "url": "https://example.com/b", "description": "spec"})
    e = only(await new_events(tt, before), "link_changed", t["id"])
    assert e["fields"] == {"url": ch("https://example.com/a", "https://example.com/b"),
                           "description": ch(None, "spec"), "id": ch(link["id"], link["id"])}
    return e


async def _link_deleted(tt: TT):
    t, link = await _link(tt)
    before = await head(tt)
    await tt.call("delete_link", {"id": link["id"]})
    e = only(await new_events(tt, before), "link_deleted", t["id"])
    assert e["fields"]["url"] == ch("https://example.com/a", None)
    return e


async def _dependency_added(tt: TT):
    a = await tt.create("A")
    t = await tt.create("T", assigned_to="ann", queue_name="q1")
    before = await head(tt)
    await tt.call("add_dependency", {"task_id": t["id"], "depends_on_task_id": a["id"], "changed_by": "fred"})
    e = only(await new_events(tt, before), "dependency_added", t["id"])
    assert e["actor"] == "fred" and e["fields"] == {"depends_on_task_id": ch(None, a["id"])}
    assert (e["assignee"], e["queue"]) == ("ann", "q1")
    # depends_on on create_task: task_created then dependency_added; an existing edge again: no event
    before = await head(tt)
    u = await tt.create("U", created_by="gil", depends_on=[a["id"]])
    evs = await new_events(tt, before)
    assert [(x["kind"], x["task_id"]) for x in evs] == [("task_created", u["id"]), ("dependency_added", u["id"])]
    assert evs[1]["actor"] == "gil"
    before = await head(tt)
    again = await tt.call("add_dependency", {"task_id": t["id"], "depends_on_task_id": a["id"]})
    assert again["changed"] is False and await new_events(tt, before) == []
    return e


async def _dependency_removed(tt: TT):
    a, b = await tt.create("A"), await tt.create("B")
    t = await tt.create("T", depends_on=[a["id"]])
    before = await head(tt)
    await tt.call("remove_dependency", {"task_id": t["id"], "depends_on_task_id": a["id"], "changed_by": "fred"})
    e = only(await new_events(tt, before), "dependency_removed", t["id"])
    assert e["actor"] == "fred" and e["fields"] == {"depends_on_task_id": ch(a["id"], None)}
    # update_task depends_on replaces: one removed, one added
    await tt.update(t["id"], depends_on=[a["id"]])
    before = await head(tt)
    await tt.update(t["id"], depends_on=[b["id"]], changed_by="hal")
    evs = await new_events(tt, before)
    assert sorted((x["kind"], x["fields"]["depends_on_task_id"]["old"] or x["fields"]["depends_on_task_id"]["new"],
                   x["actor"]) for x in evs) == [("dependency_added", b["id"], "hal"),
                                                ("dependency_removed", a["id"], "hal")]
    return e


KINDS: dict[str, Callable[[TT], Awaitable[dict]]] = {
    "task_created": _task_created, "task_updated": _task_updated, "task_claimed": _task_claimed,
    "task_released": _task_released, "lease_expired": _lease_expired, "lease_renewed": _lease_renewed,
    "task_moved": _task_moved, "task_archived": _task_archived, "task_deleted": _task_deleted,
    "comment_added": _comment_added, "comment_changed": _comment_changed, "comment_deleted": _comment_deleted,
    "comment_moved": _comment_moved, "link_added": _link_added, "link_changed": _link_changed,
    "link_deleted": _link_deleted, "dependency_added": _dependency_added, "dependency_removed": _dependency_removed,
}
XFAIL_KINDS: dict[str, str] = {}  # kinds the server is known not to emit yet (none)


@pytest.mark.parametrize("kind", [pytest.param(k, marks=pytest.mark.xfail(strict=True, reason=XFAIL_KINDS[k]))
                                  if k in XFAIL_KINDS else k for k in KINDS])
async def test_event_kind(tt, kind):
    e = await KINDS[kind](tt)
    assert e["kind"] == kind
    assert "updated_at" not in e["fields"]
    assert isinstance(e["at"], str) and e["at"].endswith("Z") and len(e["at"]) == 24, e["at"]


async def test_parent_status_propagation_is_acted_by_tinytask(tt):
    parent = await tt.create("Epic", created_by="pm")
    child = await tt.sub(parent["id"], "Only child", created_by="pm")
    before = await head(tt)
    await tt.update(child["id"], status="complete", changed_by="dev")
    evs = await new_events(tt, before)
    assert only(evs, "task_updated", child["id"])["actor"] == "dev"
    p = only(evs, "task_updated", parent["id"])
    assert p["actor"] == PROPAGATION and p["fields"] == {"status": ch("idle", "complete")}


# ============================================================================================ paging, filters


async def test_cursors_paging_has_more_and_validation(tt):
    empty = check_page(await tt.call("get_events", {}))
    assert empty == {"count": 0, "events": [], "next_cursor": 0, "has_more": False, "oldest_cursor": None}
    for i in range(25):
        await tt.create(f"T{i}")
    full = await events_after(tt, 0)
    cursors = [e["cursor"] for e in full]
    assert len(full) == 25 and all(b > a for a, b in zip(cursors, cursors[1:])), cursors
    assert [e["kind"] for e in full] == ["task_created"] * 25
    default = check_page(await tt.call("get_events", {}))
    assert default["count"] == 25 and default["has_more"] is False and default["next_cursor"] == cursors[-1]
    assert default["oldest_cursor"] == cursors[0]

    pages, after = [], 0
    for _ in range(10):
        page = check_page(await tt.call("get_events", {"after": after, "limit": 10}))
        pages.append(page)
        after = page["next_cursor"]
        if not page["has_more"]:
            break
    assert [p["count"] for p in pages] == [10, 10, 5]
    assert [p["has_more"] for p in pages] == [True, True, False]
    assert [e for p in pages for e in p["events"]] == full
    assert [p["next_cursor"] for p in pages] == [cursors[9], cursors[19], cursors[24]]
    # at the end: empty, next_cursor unchanged
    end = check_page(await tt.call("get_events", {"after": cursors[-1]}))
    assert (end["count"], end["next_cursor"], end["has_more"]) == (0, cursors[-1], False)
    mid = check_page(await tt.call("get_events", {"after": cursors[4], "limit": 1}))
    assert [e["cursor"] for e in mid["events"]] == [cursors[5]] and mid["has_more"] is True

    for args, param in (({"limit": 0}, "limit"), ({"limit": 1001}, "limit"), ({"wait_secs": -1}, "wait_secs"),
                        ({"wait_secs": 301}, "wait_secs"), ({"after": -1}, "after")):
        text = await tt.err("get_events", args)
        assert f"`{param}`" in text, text
    assert await tt.err("get_events", {"limit": 0}) == "Invalid `limit`: must be between 1 and 1000, got 0"
    assert await tt.err("get_events", {"wait_secs": 301}) == "Invalid `wait_secs`: must be between 0 and 300 seconds, got 301"
    assert check_page(await tt.call("get_events", {"limit": 1000}))["count"] == 25


async def test_filters_task_agent_and_queue(tt):
    t = await tt.create("Tracked", created_by="zed", assigned_to="ann", queue_name="q1")
    other = await tt.create("Other", created_by="yan", queue_name="q3")
    await tt.call("move_task_to_queue", {"task_id": t["id"], "new_queue_name": "q2"})
    await tt.update(t["id"], assigned_to="bob", changed_by="carl")
    await tt.update(t["id"], priority=7, changed_by="carl")
    await tt.call("add_comment", {"task_id": other["id"], "content": "c", "created_by": "ann"})

    def summary(evs):
        return [(e["kind"], e["task_id"], tuple(sorted(e["fields"]))) for e in evs]

    by_task = await events_after(tt, 0, task_id=t["id"])
    assert [e["kind"] for e in by_task] == ["task_created", "task_updated", "task_updated", "task_updated"]
    assert all(e["task_id"] == t["id"] for e in by_task)
    # agent_name: actor, assignee after, or assignee before
    ann = await events_after(tt, 0, agent_name="ann")
    assert summary(ann) == [("task_created", t["id"], tuple(sorted(by_task[0]["fields"]))),
                            ("task_updated", t["id"], ("queue_name",)),
                            ("task_updated", t["id"], ("assigned_to", "previous_assigned_to")),
                            ("comment_added", other["id"], ("content", "created_by", "id", "task_id"))]
    reassign = ann[2]
    assert (reassign["assignee"], reassign["prior_assignee"], reassign["actor"]) == ("bob", "ann", "carl")
    carl = await events_after(tt, 0, agent_name="carl")
    assert [e["cursor"] for e in carl] == [by_task[2]["cursor"], by_task[3]["cursor"]]
    bob = await events_after(tt, 0, agent_name="bob")
    assert [e["cursor"] for e in bob] == [by_task[2]["cursor"], by_task[3]["cursor"]]
    # queue_name: queue after or before
    q1 = await events_after(tt, 0, queue_name="q1")
    assert [e["cursor"] for e in q1] == [by_task[0]["cursor"], by_task[1]["cursor"]]
    assert (q1[1]["queue"], q1[1]["prior_queue"]) == ("q2", "q1")
    q2 = await events_after(tt, 0, queue_name="q2")
    assert [e["cursor"] for e in q2] == [e["cursor"] for e in by_task[1:]]
    # a comment is an event of its task: it matches the task's queue too
    q3 = await events_after(tt, 0, queue_name="q3")
    assert [(e["kind"], e["task_id"]) for e in q3] == [("task_created", other["id"]), ("comment_added", other["id"])]
    # combined filters, and a filter that matches nothing still advances next_cursor to the newest
    assert [e["cursor"] for e in await events_after(tt, 0, queue_name="q2", agent_name="ann")] == \
        [by_task[1]["cursor"], by_task[2]["cursor"]]
    none = check_page(await tt.call("get_events", {"agent_name": "nobody"}))
    assert none["count"] == 0 and none["next_cursor"] == await head(tt) > 0
    # has_more with a filter: limit 1 pages through the filtered events only
    page = check_page(await tt.call("get_events", {"task_id": t["id"], "limit": 1}))
    assert page["has_more"] is True and page["next_cursor"] == by_task[0]["cursor"]


async def test_comment_and_link_events_match_the_tasks_agent_and_queue_filters(tt):
    t = await tt.create("Discussed", created_by="pm", assigned_to="ann", queue_name="q1")
    await tt.call("add_comment", {"task_id": t["id"], "content": "hi", "created_by": "bob"})
    await tt.call("add_link", {"task_id": t["id"], "url": "https://example.com/x", "created_by": "bob"})
    for filters in ({"queue_name": "q1"}, {"agent_name": "ann"}):
        kinds = [e["kind"] for e in await events_after(tt, 0, **filters)]
        assert kinds == ["task_created", "comment_added", "link_added"], (filters, kinds)


# ============================================================================================ long-poll


@pytest.mark.timeout(40)
async def test_wait_secs_returns_as_soon_as_an_event_commits(http_server):
    with anyio.fail_after(35):
        async with streamable_session(http_server) as reader, streamable_session(http_server) as writer:
            start = await head(reader)
            latencies = []
            for i in range(3):
                page, t, latency = await answer_after(
                    lambda: reader.call("get_events", {"after": start, "wait_secs": 20}),
                    lambda: writer.create(f"wake {i}", created_by="w"))
                check_page(page)
                latencies.append(latency)
                assert [e["task_id"] for e in page["events"]] == [t["id"]], page
                assert page["next_cursor"] == page["events"][-1]["cursor"] > start
                start = page["next_cursor"]
            metric("get_events wait_secs wake-up after a commit (max of 3)", max(latencies))
            assert max(latencies) < 1.5, f"long-poll latencies {latencies}"
            # a filtered long-poll ignores events that do not match and waits on
            async def elsewhere_then_here():
                await writer.create("elsewhere", created_by="w", queue_name="not-watched")
                await anyio.sleep(0.5)
                return await writer.create("here", created_by="w", queue_name="watched")

            page, t, _ = await answer_after(
                lambda: reader.call("get_events", {"after": start, "queue_name": "watched", "wait_secs": 20}),
                elsewhere_then_here)
            assert [e["task_id"] for e in page["events"]] == [t["id"]], "answered for a non-matching event"


async def test_wait_secs_times_out_empty_with_next_cursor_unchanged(tt):
    await tt.create("one")
    now = await head(tt)
    started = time.monotonic()
    page = check_page(await tt.call("get_events", {"after": now, "wait_secs": 2}))
    waited = time.monotonic() - started
    assert page["count"] == 0 and page["events"] == [] and page["next_cursor"] == now and page["has_more"] is False
    assert 1.8 <= waited < 6.0, f"waited {waited:.2f}s for wait_secs=2"
    # wait_secs with events already there returns at once
    started = time.monotonic()
    page = check_page(await tt.call("get_events", {"after": 0, "wait_secs": 10}))
    assert page["count"] == 1 and time.monotonic() - started < 2.0


# ============================================================================================ transactionality


async def test_failed_writes_leave_no_event(tt):
    a = await tt.create("A")
    b = await tt.create("B", depends_on=[a["id"]])
    c = await tt.call("add_comment", {"task_id": a["id"], "content": "c"})
    before = await head(tt)
    failing = [
        ("update_task", {"id": a["id"], "status": "bogus"}),
        ("update_task", {"id": a["id"], "title": "new title", "priority": "high"}),
        ("update_task", {"id": a["id"], "title": "new title", "depends_on": [b["id"]]}),  # cycle, after the title
        ("update_task", {"id": a["id"], "title": "new title", "blocked_by_task_id": 99999}),
        ("update_task", {"id": 99999, "title": "x"}),
        ("create_task", {"title": "N", "created_by": "x", "depends_on": [a["id"], 99999]}),
        ("create_task", {"title": "", "created_by": "x"}),
        ("add_dependency", {"task_id": a["id"], "depends_on_task_id": b["id"]}),
        ("add_dependency", {"task_id": a["id"], "depends_on_task_id": a["id"]}),
        ("remove_dependency", {"task_id": b["id"], "depends_on_task_id": b["id"]}),
        ("add_comment", {"task_id": 99999, "content": "x"}),
        ("update_comment", {"id": c["id"], "content": ""}),
        ("move_comment", {"comment_id": c["id"], "to_task_id": 99999}),
        ("move_task", {"task_id": a["id"], "current_agent": "not-the-assignee", "new_agent": "y", "comment": "x"}),
        ("heartbeat", {"task_id": a["id"], "agent_name": "nobody"}),
        ("release_task", {"task_id": a["id"], "agent_name": "nobody"}),
        ("create_subtask", {"parent_task_id": 99999, "title": "s", "created_by": "x"}),
        ("add_link", {"task_id": a["id"], "url": ""}),
        ("delete_task", {"id": 99999}),
    ]
    for name, args in failing:
        await tt.err(name, args)
        assert await head(tt) == before, f"failed {name}({args}) left events: {await new_events(tt, before)}"
    full = await tt.get(a["id"])
    assert full["title"] == "A" and full["depends_on"] == [] and full["blocked_by_task_id"] is None


async def test_every_write_tool_that_changes_something_leaves_an_event(tt):
    covered: dict[str, int] = {}

    async def step(name: str, args: dict) -> Any:
        before = await head(tt)
        data = await tt.call(name, args)
        evs = await new_events(tt, before)
        assert evs, f"{name}({args}) succeeded but left no event"
        covered[name] = len(evs)
        return data

    t = await step("create_task", {"title": "T", "created_by": "a", "assigned_to": "ag", "queue_name": "q"})
    u = await step("create_task", {"title": "U", "created_by": "a"})
    await step("update_task", {"id": t["id"], "priority": 3})
    s = await step("create_subtask", {"parent_task_id": t["id"], "title": "S", "created_by": "a"})
    await step("move_subtask", {"subtask_id": s["id"], "new_parent_id": u["id"]})
    await step("add_dependency", {"task_id": u["id"], "depends_on_task_id": t["id"]})
    await step("remove_dependency", {"task_id": u["id"], "depends_on_task_id": t["id"]})
    claim = await step("signup_for_task", {"agent_name": "ag", "lease_secs": 60})
    await anyio.sleep(0.05)
    await step("heartbeat", {"task_id": t["id"], "agent_name": "ag"})
    await step("release_task", {"task_id": t["id"], "agent_name": "ag", "lease_token": claim["lease"]["token"]})
    await step("wait_for_task", {"agent_name": "ag", "timeout_secs": 1, "lease_secs": 0})
    await step("move_task", {"task_id": t["id"], "current_agent": "ag", "new_agent": "rev", "comment": "x"})
    await step("remove_task_from_queue", {"task_id": t["id"]})
    await step("add_task_to_queue", {"task_id": t["id"], "queue_name": "q"})
    await step("move_task_to_queue", {"task_id": t["id"], "new_queue_name": "q2"})
    await step("clear_queue", {"queue_name": "q2"})
    c = await step("add_comment", {"task_id": t["id"], "content": "c"})
    await step("update_comment", {"id": c["id"], "content": "c2"})
    moved = await step("move_comment", {"comment_id": c["id"], "to_task_id": u["id"]})
    await step("delete_comment", {"id": moved["id"]})
    link = await step("add_link", {"task_id": t["id"], "url": "https://example.com/x"})
    await step("update_link", {"id": link["id"], "description": "d"})
    await step("delete_link", {"id": link["id"]})
    await step("archive_task", {"id": u["id"]})
    await step("delete_task", {"id": t["id"]})
    write_tools = set(TOOL_PARAMS) - READ_ONLY_TOOLS
    assert write_tools - set(covered) == set(), f"write tools not exercised: {write_tools - set(covered)}"


async def test_get_task_history_keeps_its_shape(tt):
    t = await tt.create("H")
    await tt.update(t["id"], status="working", assigned_to="ann", changed_by="pm")
    await tt.call("add_dependency", {"task_id": t["id"], "depends_on_task_id": (await tt.create("D"))["id"]})
    res = await tt.call("get_task_history", {"task_id": t["id"]})
    assert list(res.keys()) == ["task_id", "count", "history"] and res["task_id"] == t["id"]
    assert res["count"] == len(res["history"]) >= 2
    for h in res["history"]:
        assert_history(h, task_id=t["id"])
    fields = {(h["field_name"], h["old_value"], h["new_value"], h["changed_by"]) for h in res["history"]}
    assert ("status", "idle", "working", "pm") in fields and ("assigned_to", None, "ann", "pm") in fields
    assert (await tt.get(t["id"]))["history"] == res["history"]


# ============================================================================================ concurrency


WRITERS = 32
UPDATES = 5  # per writer: create, UPDATES priority changes, one comment


async def _writer(tt: TT, i: int, acks: dict[str, list[tuple[str, int]]], task_ids: dict[str, int]) -> None:
    name = f"writer-{i:02d}"
    t = await tt.create(f"{name} task", created_by=name, queue_name=f"wq-{i % 4}")
    task_ids[name] = t["id"]
    acks[name].append(("task_created", 0))
    for p in range(1, UPDATES + 1):
        await tt.update(t["id"], priority=p, changed_by=name)
        acks[name].append(("task_updated", p))
    await tt.call("add_comment", {"task_id": t["id"], "content": f"done {i}", "created_by": name})
    acks[name].append(("comment_added", 0))


def _key(e: dict) -> tuple[str, int]:
    if e["kind"] == "task_updated":
        assert set(e["fields"]) == {"priority"}, e
        assert e["fields"]["priority"]["new"] == e["fields"]["priority"]["old"] + 1, e
        return ("task_updated", e["fields"]["priority"]["new"])
    return (e["kind"], 0)


async def _follow(reader: TT, start: int, want: int, seen: list[dict], done: anyio.Event, deadline: float) -> None:
    """Follows the feed with long-polls until `want` events after `start` were seen (or the deadline)."""
    after = start
    while len(seen) < want and time.monotonic() < deadline:
        page = check_page(await reader.call("get_events", {"after": after, "wait_secs": 5, "limit": 50}))
        seen.extend(page["events"])
        after = page["next_cursor"]
    done.set()


def _check_feed(feed: list[dict], seen: list[dict], acks: dict[str, list[tuple[str, int]]],
                task_ids: dict[str, int]) -> None:
    cursors = [e["cursor"] for e in feed]
    assert all(b > a for a, b in zip(cursors, cursors[1:])), "cursors not strictly increasing"
    expected = sum(len(v) for v in acks.values())
    assert len(feed) == expected, f"feed has {len(feed)} events, {expected} writes were acknowledged"
    by_task: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for e in feed:
        by_task[e["task_id"]].append(_key(e))
    for name, tid in task_ids.items():
        assert by_task[tid] == acks[name], (f"{name} (task {tid}): feed order {by_task[tid]} differs from the "
                                            f"acknowledgement order {acks[name]}")
        actors = {e["actor"] for e in feed if e["task_id"] == tid}
        assert actors == {name}, f"task {tid}: actors {actors}"
    assert set(by_task) == set(task_ids.values()), "events for tasks nobody wrote"
    assert [e["cursor"] for e in seen] == cursors, (
        f"the concurrent reader saw {len(seen)} events (dupes: {len(seen) - len({e['cursor'] for e in seen})}), "
        f"the feed holds {len(feed)}")
    assert seen == feed


@pytest.mark.timeout(120)
async def test_32_concurrent_writers_events_complete_and_ordered(start_server):
    server = start_server()
    acks: dict[str, list[tuple[str, int]]] = defaultdict(list)
    task_ids: dict[str, int] = {}
    seen: list[dict] = []
    want = WRITERS * (UPDATES + 2)
    with anyio.fail_after(100):
        async with AsyncExitStack() as stack:
            reader = await stack.enter_async_context(streamable_session(server))
            sessions = [await stack.enter_async_context(streamable_session(server)) for _ in range(WRITERS)]
            start = await head(reader)
            done = anyio.Event()
            started = time.monotonic()
            async with anyio.create_task_group() as tg:
                tg.start_soon(_follow, reader, start, want, seen, done, time.monotonic() + 60)
                async with anyio.create_task_group() as writers:
                    for i, s in enumerate(sessions):
                        writers.start_soon(_writer, s, i, acks, task_ids)
                elapsed = time.monotonic() - started
                await done.wait()
            metric(f"{WRITERS} writers x {UPDATES + 2} writes wall time", elapsed)
            feed = await events_after(reader, start)
    _check_feed(feed, seen, acks, task_ids)


@pytest.mark.timeout(120)
async def test_writers_in_three_processes_on_one_file_events_complete_and_ordered(tmp_path):
    server = HttpServer(tmp_path, "http", "shared.db")
    acks: dict[str, list[tuple[str, int]]] = defaultdict(list)
    task_ids: dict[str, int] = {}
    seen: list[dict] = []
    per_process = 6
    want = 3 * per_process * (UPDATES + 2)
    try:
        with anyio.fail_after(100):
            async with AsyncExitStack() as stack:
                reader = await stack.enter_async_context(streamable_session(server))
                http_writers = [await stack.enter_async_context(streamable_session(server))
                                for _ in range(per_process)]
                stdio_a = await stack.enter_async_context(stdio_server(server.db_path, tmp_path, "feed-a"))
                stdio_b = await stack.enter_async_context(stdio_server(server.db_path, tmp_path, "feed-b"))
                start = await head(reader)
                done = anyio.Event()
                async with anyio.create_task_group() as tg:
                    tg.start_soon(_follow, reader, start, want, seen, done, time.monotonic() + 60)
                    async with anyio.create_task_group() as writers:
                        for i in range(per_process):
                            writers.start_soon(_writer, http_writers[i], i, acks, task_ids)
                            # one SDK session per stdio process, several writers on it concurrently
                            writers.start_soon(_writer, stdio_a.tt, per_process + i, acks, task_ids)
                            writers.start_soon(_writer, stdio_b.tt, 2 * per_process + i, acks, task_ids)
                    await done.wait()
                feed = await events_after(reader, start)
                # every process reads the same feed
                assert await events_after(stdio_a.tt, start) == feed
                assert await events_after(stdio_b.tt, start) == feed
    finally:
        server.kill()
    _check_feed(feed, seen, acks, task_ids)


# ============================================================================================ retention


def _iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def _insert_old_events(db_path, ats: list[str]) -> None:
    """Events dated in the past, written by an outside writer (on PostgreSQL, with the cursors the event clock
    hands out, as TinyTask's own writes take them)."""
    if pg_support.ADMIN_URL:
        for at in ats:
            pg_support.query(db_path, "WITH c AS (UPDATE tinytask_event_clock SET last = last + 1 RETURNING last) "
                             "INSERT INTO task_events (cursor, at, kind, task_id, actor, fields) "
                             "SELECT last, %s, 'task_updated', NULL, 'the-past', '{}' FROM c RETURNING cursor", (at,))
        return
    con = sqlite3.connect(str(db_path), timeout=10)
    try:
        with con:
            for at in ats:
                con.execute("INSERT INTO task_events (at, kind, task_id, actor, fields) VALUES (?, 'task_updated', "
                            "NULL, 'the-past', '{}')", (at,))
    finally:
        con.close()


async def _oldest_after_startup(tt: TT, want: int, timeout: float = 10.0) -> int | None:
    deadline = time.monotonic() + timeout
    while True:
        oldest = check_page(await tt.call("get_events", {"limit": 1}))["oldest_cursor"]
        if oldest == want or time.monotonic() > deadline:
            return oldest
        await anyio.sleep(0.1)


@pytest.mark.timeout(60)
async def test_retention_prunes_old_events_at_startup_and_zero_keeps_all(tmp_path):
    async with open_tt(tmp_path, TINYTASK_EVENT_RETENTION_DAYS="0") as tt:  # creates the schema
        assert await head(tt) == 0
    now = datetime.now(timezone.utc)
    old = [_iso(datetime(2000, 1, 1, tzinfo=timezone.utc)), _iso(datetime(2020, 6, 1, tzinfo=timezone.utc)),
           _iso(now - timedelta(days=3)), _iso(now - timedelta(days=1, hours=1))]
    recent_at = _iso(now - timedelta(hours=12))
    _insert_old_events(tmp_path / "t.db", old + [recent_at])  # cursors 1-5, in time order

    # 0 = keep forever: nothing pruned (give the startup upkeep time to run)
    async with open_tt(tmp_path, TINYTASK_EVENT_RETENTION_DAYS="0") as tt:
        for i in range(3):
            await tt.create(f"recent {i}")
        await anyio.sleep(1.5)
        everything = await events_after(tt, 0)
        assert [e["cursor"] for e in everything] == [1, 2, 3, 4, 5, 6, 7, 8]
        assert [e["at"] for e in everything[:5]] == old + [recent_at]
        assert check_page(await tt.call("get_events", {}))["oldest_cursor"] == 1

    # 1 day: the four events older than a day go at startup; the 12-hour-old one and the new ones stay
    async with open_tt(tmp_path, TINYTASK_EVENT_RETENTION_DAYS="1") as tt:
        started = time.monotonic()
        oldest = await _oldest_after_startup(tt, 5)
        assert oldest == 5, f"oldest_cursor {oldest} 10 s after a start with retention 1 day (want 5)"
        metric("event retention: pruned after startup within", time.monotonic() - started)
        kept = await events_after(tt, 0)
        assert [e["cursor"] for e in kept] == [5, 6, 7, 8]
        assert kept[0]["at"] == recent_at and [e["kind"] for e in kept[1:]] == ["task_created"] * 3
        # a reader whose cursor fell below oldest_cursor - 1 can tell it missed events
        page = check_page(await tt.call("get_events", {"after": 1}))
        assert page["oldest_cursor"] == 5 and page["events"][0]["cursor"] == 5
        # new events keep counting from where the feed was: cursors are never reused
        await tt.create("after pruning")
        assert await head(tt) == 9


@pytest.mark.timeout(60)
async def test_wait_secs_wakes_on_a_commit_by_another_process(tmp_path):
    server = HttpServer(tmp_path, "http", "shared.db")
    try:
        with anyio.fail_after(50):
            async with streamable_session(server) as reader, \
                    stdio_server(server.db_path, tmp_path, "feed-writer") as other:
                start = await head(reader)
                latencies = []
                for i in range(3):
                    page, t, latency = await answer_after(
                        lambda: reader.call("get_events", {"after": start, "wait_secs": 20}),
                        lambda: other.tt.create(f"from the other process {i}", created_by="p2"))
                    latencies.append(latency)
                    assert [e["task_id"] for e in page["events"]] == [t["id"]], page
                    start = page["next_cursor"]
                metric("get_events wait_secs wake-up after another process's commit (max of 3)", max(latencies))
                assert max(latencies) < 2.0, f"cross-process long-poll latencies {latencies}"
    finally:
        server.kill()


@pytest.mark.timeout(60)
async def test_paging_under_a_small_response_cap_loses_nothing(tmp_path):
    async with open_tt(tmp_path, TINYTASK_MAX_RESPONSE_BYTES="4096") as tt:
        made = [(await tt.create(f"big {i}", description=chr(ord("a") + i) * 1500))["id"] for i in range(12)]
        first = check_page(await tt.call("get_events", {}))
        assert first["has_more"] is True and 1 <= first["count"] < 12, (first["count"], first["has_more"])
        assert first["next_cursor"] == first["events"][-1]["cursor"]
        everything = await events_after(tt, 0)
        assert [e["task_id"] for e in everything] == made
        assert len({e["cursor"] for e in everything}) == 12
