"""The dependency graph (issue §4) through the official SDK, over stdio and Streamable HTTP.

Rules: any number of dependencies per task (add_dependency, remove_dependency, depends_on on create_task and
update_task, where update replaces the set and []/null clears it); blocked_by_task_id counts as one
dependency and shows in depends_on; cycles are rejected at any depth across both kinds of edge; self
dependency and unknown ids are rejected naming the id; is_currently_blocked while any dependency is open
(open = neither complete nor archived; a deleted dependency is gone); get_task's depends_on/dependents;
list_ready_tasks is exactly the successive signup_for_task order; when the last open dependency closes (or
is removed, archived, deleted) the dependent's task://, queue://{agent} and queue://tasks/{queue}
subscribers are notified and a waiting wait_for_task claims it.
"""

from __future__ import annotations

import uuid
from typing import Any

import anyio
import pytest

from conftest import TT, assert_task, assert_task_with_relations, find_history, ids, legacy_only
from feed_support import TASK_REF_KEYS, answer_after, stdio_push_session
from http_support import HTT, HttpServer, http_server, metric, streamable_session  # noqa: F401  (fixture)
from process_support import stdio_server
from test_http_push import expect_push, subscribe

pytestmark = pytest.mark.anyio


def refs(items: list[dict]) -> list[tuple[int, str, bool]]:
    for r in items:
        assert list(r.keys()) == TASK_REF_KEYS, f"dependency ref keys: {list(r.keys())}"
    return [(r["id"], r["status"], r["is_open"]) for r in items]


def cycle_text(task: int, dep: int) -> str:
    return (f"Cannot make task {task} depend on task {dep}: task {dep} already depends on task {task} "
            f"(directly or through other tasks), so this would create a cycle")


async def blocked(tt: TT, task_id: int) -> bool:
    return (await tt.get(task_id))["is_currently_blocked"]


# ============================================================================================ graph rules


async def test_many_dependencies_and_blocked_by_counts_as_one(tt):
    a, b, x = [await tt.create(n) for n in ("A", "B", "X")]
    t = await tt.create("T", depends_on=[a["id"], b["id"]], blocked_by_task_id=x["id"])
    assert_task(t, blocked_by_task_id=x["id"], is_currently_blocked=True)
    full = assert_task_with_relations(await tt.get(t["id"]))
    # depends_on lists the blocked_by edge too, by id, each with id, title, status (and is_open)
    assert [(r["id"], r["title"], r["status"], r["is_open"]) for r in full["depends_on"]] == [
        (a["id"], "A", "idle", True), (b["id"], "B", "idle", True), (x["id"], "X", "idle", True)]
    assert full["dependents"] == []
    for dep in (a, b, x):
        dependents = (await tt.get(dep["id"]))["dependents"]
        assert [(r["id"], r["title"], r["status"], r["is_open"]) for r in dependents] == [(t["id"], "T", "idle", True)]

    # blocked while any of the three is open, whichever kind of edge
    await tt.update(a["id"], status="complete")
    assert await blocked(tt, t["id"])
    await tt.update(x["id"], status="complete")
    assert await blocked(tt, t["id"]), "b (a task_dependencies edge) is still open"
    await tt.update(b["id"], status="working")
    assert await blocked(tt, t["id"]), "working is not complete"
    await tt.update(b["id"], status="complete")
    assert not await blocked(tt, t["id"])
    assert refs((await tt.get(t["id"]))["depends_on"]) == [
        (a["id"], "complete", False), (b["id"], "complete", False), (x["id"], "complete", False)]
    # reopening either kind blocks again
    await tt.update(x["id"], status="idle")
    assert await blocked(tt, t["id"])
    await tt.update(x["id"], status="complete")
    await tt.update(a["id"], status="idle")
    assert await blocked(tt, t["id"])
    # list views carry the same flag
    listed = {x_["id"]: x_ for x_ in await tt.list()}
    assert listed[t["id"]]["is_currently_blocked"] is True
    # add_dependency of the existing blocked_by edge or an existing edge changes nothing
    for dep in (x, a):
        same = await tt.call("add_dependency", {"task_id": t["id"], "depends_on_task_id": dep["id"]})
        assert same["changed"] is False, same
        assert same["message"] == f"Task {t['id']} already depends on task {dep['id']}"
        assert [r["id"] for r in same["depends_on"]] == [a["id"], b["id"], x["id"]]


async def test_cycles_at_any_depth_across_both_kinds_of_edge_are_rejected(tt):
    # chain D -> C (depends_on) -> B (blocked_by) -> A (depends_on): D depends on A at depth 3
    a = await tt.create("A")
    b = await tt.create("B", depends_on=[a["id"]])
    c = await tt.create("C", blocked_by_task_id=b["id"])
    d = await tt.create("D")
    added = await tt.call("add_dependency", {"task_id": d["id"], "depends_on_task_id": c["id"], "changed_by": "x"})
    assert added["changed"] is True and added["message"] == f"Task {d['id']} now depends on task {c['id']}"
    assert [r["id"] for r in added["depends_on"]] == [c["id"]]
    assert added["task"]["is_currently_blocked"] is True

    # closing the loop A -> D, by every way of adding an edge
    text = await tt.err("add_dependency", {"task_id": a["id"], "depends_on_task_id": d["id"]})
    assert text == cycle_text(a["id"], d["id"]), text
    text = await tt.err("update_task", {"id": a["id"], "depends_on": [d["id"]]})
    assert text == cycle_text(a["id"], d["id"]), text
    text = await tt.err("update_task", {"id": a["id"], "blocked_by_task_id": d["id"]})
    assert text == (f"Cannot block task {a['id']} by task {d['id']}: it would create a circular blocking chain"), text
    # shorter loops too: A -> C (depth 2), A -> B (depth 1, via depends_on), B -> C (blocked_by edge back)
    for task, dep in ((a, c), (a, b), (b, c), (c, d)):
        text = await tt.err("add_dependency", {"task_id": task["id"], "depends_on_task_id": dep["id"]})
        assert text == cycle_text(task["id"], dep["id"]), text
    # nothing was written by the rejected calls
    full_a = await tt.get(a["id"])
    assert full_a["depends_on"] == [] and full_a["blocked_by_task_id"] is None
    assert [r["id"] for r in full_a["dependents"]] == [b["id"]]
    # a parallel edge that is no cycle is fine: D -> A directly (D already reaches A)
    ok = await tt.call("add_dependency", {"task_id": d["id"], "depends_on_task_id": a["id"]})
    assert ok["changed"] is True and [r["id"] for r in ok["depends_on"]] == [a["id"], c["id"]]


async def test_self_dependency_is_rejected(tt):
    t = await tt.create("T")
    text = await tt.err("add_dependency", {"task_id": t["id"], "depends_on_task_id": t["id"]})
    assert text == f"Invalid `depends_on_task_id`: task {t['id']} cannot depend on itself", text
    text = await tt.err("update_task", {"id": t["id"], "depends_on": [t["id"]]})
    assert text == f"Invalid `depends_on`: task {t['id']} cannot depend on itself", text
    text = await tt.err("update_task", {"id": t["id"], "blocked_by_task_id": t["id"]})
    assert "blocked_by_task_id" in text and "itself" in text, text
    full = await tt.get(t["id"])
    assert full["depends_on"] == [] and full["blocked_by_task_id"] is None


async def test_unknown_ids_are_named(tt):
    t = await tt.create("T")
    known = await tt.create("K")
    text = await tt.err("add_dependency", {"task_id": t["id"], "depends_on_task_id": 9999})
    assert text == "Invalid `depends_on_task_id`: no task with id 9999 exists", text
    text = await tt.err("add_dependency", {"task_id": 9998, "depends_on_task_id": t["id"]})
    assert "9998" in text and "not found" in text.lower(), text
    text = await tt.err("remove_dependency", {"task_id": 9997, "depends_on_task_id": t["id"]})
    assert "9997" in text, text
    text = await tt.err("create_task", {"title": "N", "created_by": "x", "depends_on": [known["id"], 9996]})
    assert text == "Invalid `depends_on`: no task with id 9996 exists", text
    text = await tt.err("update_task", {"id": t["id"], "depends_on": [known["id"], 9995]})
    assert text == "Invalid `depends_on`: no task with id 9995 exists", text
    text = await tt.err("update_task", {"id": t["id"], "depends_on": [known["id"], known["id"]]})
    assert "depends_on" in text and str(known["id"]) in text, text
    # nothing was created or changed by the rejected calls
    assert sorted(ids(await tt.list())) == [t["id"], known["id"]]
    assert (await tt.get(t["id"]))["depends_on"] == []


async def test_update_replaces_the_set_and_empty_or_null_clears_it(tt):
    a, b, c, x = [await tt.create(n) for n in ("A", "B", "C", "X")]
    t = await tt.create("T", depends_on=[a["id"], b["id"]], blocked_by_task_id=x["id"])
    upd = await tt.update(t["id"], depends_on=[c["id"], b["id"]], changed_by="planner")
    assert_task(upd, blocked_by_task_id=x["id"], is_currently_blocked=True)
    assert [r["id"] for r in (await tt.get(t["id"]))["depends_on"]] == [b["id"], c["id"], x["id"]]
    assert (await tt.get(a["id"]))["dependents"] == []
    # an update without depends_on leaves the set alone
    await tt.update(t["id"], priority=4)
    assert [r["id"] for r in (await tt.get(t["id"]))["depends_on"]] == [b["id"], c["id"], x["id"]]
    # [] clears the task_dependencies edges; blocked_by_task_id is its own parameter and stays
    await tt.update(t["id"], depends_on=[])
    full = await tt.get(t["id"])
    assert [r["id"] for r in full["depends_on"]] == [x["id"]] and full["blocked_by_task_id"] == x["id"]
    await tt.update(t["id"], depends_on=[a["id"]])
    assert [r["id"] for r in (await tt.get(t["id"]))["depends_on"]] == [a["id"], x["id"]]
    await tt.update(t["id"], depends_on=None)
    assert [r["id"] for r in (await tt.get(t["id"]))["depends_on"]] == [x["id"]]
    await tt.update(t["id"], blocked_by_task_id=None)
    full = await tt.get(t["id"])
    assert full["depends_on"] == [] and full["is_currently_blocked"] is False


async def test_remove_dependency_of_either_kind(tt):
    a, x = await tt.create("A"), await tt.create("X")
    t = await tt.create("T", depends_on=[a["id"]], blocked_by_task_id=x["id"])
    r = await tt.call("remove_dependency", {"task_id": t["id"], "depends_on_task_id": a["id"], "changed_by": "ed"})
    assert r["changed"] is True and r["message"] == f"Task {t['id']} no longer depends on task {a['id']}"
    assert [d["id"] for d in r["depends_on"]] == [x["id"]]
    assert_task(r["task"], blocked_by_task_id=x["id"], is_currently_blocked=True)
    # removing the blocked_by edge clears the 2.x column (and records it in the history, as 2.x would)
    r = await tt.call("remove_dependency", {"task_id": t["id"], "depends_on_task_id": x["id"], "changed_by": "ed"})
    assert r["changed"] is True and r["depends_on"] == []
    assert_task(r["task"], blocked_by_task_id=None, is_currently_blocked=False)
    full = await tt.get(t["id"])
    assert full["blocked_by_task_id"] is None and full["depends_on"] == []
    find_history(full["history"], "blocked_by_task_id", old_value=str(x["id"]), new_value=None, changed_by="ed")
    assert (await tt.get(x["id"]))["dependents"] == []
    # removing a dependency that does not exist is an error naming both tasks
    for dep in (a, x):
        text = await tt.err("remove_dependency", {"task_id": t["id"], "depends_on_task_id": dep["id"]})
        assert text == f"Task {t['id']} does not depend on task {dep['id']}", text


async def test_archived_or_deleted_dependency_no_longer_blocks(tt):
    a, b, x = [await tt.create(n) for n in ("A", "B", "X")]
    t = await tt.create("T", depends_on=[a["id"], b["id"]], blocked_by_task_id=x["id"])
    await tt.call("archive_task", {"id": a["id"]})  # documented: archived = closed
    full = await tt.get(t["id"])
    assert full["is_currently_blocked"] is True
    assert refs(full["depends_on"]) == [(a["id"], "idle", False), (b["id"], "idle", True), (x["id"], "idle", True)]
    await tt.call("delete_task", {"id": b["id"]})
    full = await tt.get(t["id"])
    assert refs(full["depends_on"]) == [(a["id"], "idle", False), (x["id"], "idle", True)], "deleted edge gone"
    assert full["is_currently_blocked"] is True
    await tt.call("archive_task", {"id": x["id"]})
    assert not await blocked(tt, t["id"]), "every dependency archived or deleted"
    # deleting the blocked_by task clears blocked_by_task_id (2.x ON DELETE SET NULL)
    y = await tt.create("Y")
    u = await tt.create("U", blocked_by_task_id=y["id"])
    assert await blocked(tt, u["id"])
    await tt.call("delete_task", {"id": y["id"]})
    full = await tt.get(u["id"])
    assert full["blocked_by_task_id"] is None and full["depends_on"] == [] and full["is_currently_blocked"] is False
    # the dependents view of an archived dependency still lists the open dependent
    assert refs((await tt.get(a["id"]))["dependents"]) == [(t["id"], "idle", True)]


# ============================================================================================ ready tasks


async def _seed_board(tt: TT, agent: str, queue: str) -> dict[str, int]:
    """A board where claim order is decided by priority, then age, then id, with tasks that must be left out:
    blocked (each kind of edge), archived, working, complete, other agents', other queues'."""
    done = await tt.create("done dep")
    await tt.update(done["id"], status="complete")
    open_dep = await tt.create("open dep", assigned_to="someone-else")
    made: dict[str, int] = {}

    async def make(name: str, **kw: Any) -> int:
        made[name] = (await tt.create(name, **kw))["id"]
        return made[name]

    for who, q in ((agent, None), (agent, queue), (None, queue), ("other", queue)):
        tag = f"{who or 'pool'}-{q or 'noq'}"
        await make(f"{tag} p1", assigned_to=who, queue_name=q, priority=1)
        await make(f"{tag} p5", assigned_to=who, queue_name=q, priority=5)
        await make(f"{tag} p5 second", assigned_to=who, queue_name=q, priority=5)
        await make(f"{tag} p3 done-dep", assigned_to=who, queue_name=q, priority=3, depends_on=[done["id"]])
        await make(f"{tag} blocked dep", assigned_to=who, queue_name=q, priority=9, depends_on=[open_dep["id"]])
        await make(f"{tag} blocked by", assigned_to=who, queue_name=q, priority=9, blocked_by_task_id=open_dep["id"])
        arch = await make(f"{tag} archived", assigned_to=who, queue_name=q, priority=9)
        await tt.call("archive_task", {"id": arch})
        work = await make(f"{tag} working", assigned_to=who, queue_name=q, priority=9)
        await tt.update(work, status="working")
        comp = await make(f"{tag} complete", assigned_to=who, queue_name=q, priority=9)
        await tt.update(comp, status="complete")
    return made


async def _drain(tt: TT, agent: str, queue: str | None) -> list[int]:
    """Successive signup_for_task claims until nothing is claimable; before each claim list_ready_tasks(limit=1)
    names exactly the task that is then claimed."""
    claimed: list[int] = []
    ready_args: dict[str, Any] = {"agent_name": agent}
    signup_args: dict[str, Any] = {"agent_name": agent, "lease_secs": 0}
    if queue is not None:
        ready_args["queue_name"] = signup_args["queue_name"] = queue
    for _ in range(50):
        nxt = await tt.call("list_ready_tasks", {**ready_args, "limit": 1})
        got = await tt.call("signup_for_task", signup_args)
        if not got["claimed"]:
            assert nxt["count"] == 0 and nxt["tasks"] == [], f"ready listed {ids(nxt['tasks'])} but signup took none"
            return claimed
        assert ids(nxt["tasks"]) == [got["task"]["id"]], (
            f"list_ready_tasks(limit=1) said {ids(nxt['tasks'])}, signup_for_task took {got['task']['id']}")
        claimed.append(got["task"]["id"])
    raise AssertionError("more than 50 claims")


@pytest.mark.parametrize("scope", ["agent", "pool", "queue-only"])
async def test_list_ready_tasks_is_the_successive_signup_order(tt, scope):
    agent, queue = "ann", "build"
    made = await _seed_board(tt, agent, queue)
    if scope == "agent":
        args, drain = {"agent_name": agent}, (agent, None)
    elif scope == "pool":
        args, drain = {"agent_name": agent, "queue_name": queue}, (agent, queue)
    else:  # a queue's unassigned tasks: what any new member of the pool would take
        args, drain = {"queue_name": queue}, (f"newcomer-{uuid.uuid4().hex[:6]}", queue)
    ready = await tt.call("list_ready_tasks", args)
    assert list(ready.keys())[:4] == ["agent_name", "queue_name", "count", "tasks"], list(ready.keys())
    assert ready["agent_name"] == args.get("agent_name") and ready["queue_name"] == args.get("queue_name")
    assert ready["count"] == len(ready["tasks"]) > 0
    for t in ready["tasks"]:
        assert_task(t, status="idle", archived_at=None, is_currently_blocked=False)
    order = ids(ready["tasks"])
    names = {v: k for k, v in made.items()}
    # same-second creations: claim order is priority desc, then age, then id (= creation order here)
    prefixes = {"agent": [f"{agent}-noq", f"{agent}-{queue}"], "pool": [f"{agent}-{queue}", f"pool-{queue}"],
                "queue-only": [f"pool-{queue}"]}[scope]
    groups = [("p5", "p5 second"), ("p3 done-dep",), ("p1",)]
    assert [names[i] for i in order] == [f"{p} {s}" for g in groups for p in prefixes for s in g]
    assert await _drain(tt, *drain) == order


async def test_list_ready_tasks_board_scope_and_limit(tt):
    made = await _seed_board(tt, "ann", "build")
    board = await tt.call("list_ready_tasks", {"limit": 1000})
    assert board["agent_name"] is None and board["queue_name"] is None
    # the whole board: every idle, unblocked, non-archived task, by priority desc, then age, then id
    everything = await tt.list()
    expect = [t["id"] for t in sorted((t for t in everything if t["status"] == "idle"
                                       and not t["is_currently_blocked"]),
                                      key=lambda t: (-t["priority"], t["created_at"], t["id"]))]
    assert ids(board["tasks"]) == expect
    assert made["other-build p5"] in expect and made["ann-build blocked dep"] not in expect
    assert ids((await tt.call("list_ready_tasks", {}))["tasks"]) == expect[:50], "default limit 50"
    assert ids((await tt.call("list_ready_tasks", {"limit": 3}))["tasks"]) == expect[:3]
    for bad in (0, -1, 1001):
        text = await tt.err("list_ready_tasks", {"limit": bad})
        assert text == f"Invalid `limit`: must be between 1 and 1000, got {bad}", text


# ============================================================================================ unblocking pushes


CHANGES = ["complete", "remove", "archive", "delete"]
EDGES = ["depends_on", "blocked_by"]


async def _setup_dependent(actor: TT, edge: str) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:8]
    agent, queue = f"agent-{tag}", f"q-{tag}"
    first = await actor.create(f"first dep {tag}")
    last = await actor.create(f"last dep {tag}")
    kw: dict[str, Any] = ({"depends_on": [first["id"], last["id"]]} if edge == "depends_on"
                          else {"depends_on": [first["id"]], "blocked_by_task_id": last["id"]})
    t = await actor.create(f"dependent {tag}", assigned_to=agent, queue_name=queue, **kw)
    assert t["is_currently_blocked"] is True
    await actor.update(first["id"], status="complete")  # not the last one: still blocked
    assert (await actor.get(t["id"]))["is_currently_blocked"] is True
    return {"task": t["id"], "last": last["id"], "agent": agent, "queue": queue}


async def _close_last(actor: TT, s: dict[str, Any], change: str) -> None:
    if change == "complete":
        await actor.update(s["last"], status="complete", changed_by="closer")
    elif change == "remove":
        await actor.call("remove_dependency", {"task_id": s["task"], "depends_on_task_id": s["last"]})
    elif change == "archive":
        await actor.call("archive_task", {"id": s["last"]})
    else:
        await actor.call("delete_task", {"id": s["last"]})


async def _expect_unblock_pushes(actor: TT, sub: HTT, edge: str, change: str) -> None:
    s = await _setup_dependent(actor, edge)
    uris = [f"task://{s['task']}", f"queue://{s['agent']}", f"queue://tasks/{s['queue']}"]
    for uri in uris:
        await subscribe(sub, uri)
    await sub.wait_push_ready()
    mark = sub.inbox.mark()
    await expect_push(sub, uris[0], lambda: _close_last(actor, s, change), f"{change} of the last {edge} dependency")
    for uri in uris[1:]:
        assert await sub.inbox.wait_updated(uri, mark, 3.0) is not None, (
            f"[{sub.transport}] no resources/updated {uri} after {change} of the last {edge} dependency; "
            f"got {sub.inbox.describe(mark)}")
    assert (await actor.get(s["task"]))["is_currently_blocked"] is False
    ready = await actor.call("list_ready_tasks", {"agent_name": s["agent"]})
    assert ids(ready["tasks"]) == [s["task"]]


@pytest.mark.timeout(30)
@legacy_only("resources/subscribe (the 2026-07-28 push is subscriptions/listen: test_listen.py)")
@pytest.mark.parametrize("edge", EDGES)
@pytest.mark.parametrize("change", CHANGES)
async def test_unblocking_notifies_subscribers_over_stdio(tmp_path, edge, change):
    with anyio.fail_after(25):
        async with stdio_push_session(tmp_path) as tt:
            await _expect_unblock_pushes(tt, tt, edge, change)
            tt.check_stream()


@pytest.mark.timeout(30)
@legacy_only("resources/subscribe (the 2026-07-28 push is subscriptions/listen: test_listen.py)")
@pytest.mark.parametrize("edge", EDGES)
@pytest.mark.parametrize("change", CHANGES)
async def test_unblocking_notifies_subscribers_over_streamable_http(http_server, edge, change):
    with anyio.fail_after(25):
        async with streamable_session(http_server) as actor, streamable_session(http_server) as sub:
            await _expect_unblock_pushes(actor, sub, edge, change)
            sub.check_stream()


@pytest.mark.timeout(40)
async def test_waiting_wait_for_task_claims_when_the_last_dependency_completes(http_server):
    tag = uuid.uuid4().hex[:8]
    agent = f"waiter-{tag}"
    with anyio.fail_after(35):
        async with streamable_session(http_server) as actor, streamable_session(http_server) as waiter:
            a, b = await actor.create(f"A {tag}"), await actor.create(f"B {tag}")
            t = await actor.create(f"T {tag}", assigned_to=agent, depends_on=[a["id"]], blocked_by_task_id=b["id"])

            async def finish_b():
                # completing A leaves T blocked by B: the waiter must still be waiting after it
                await actor.update(a["id"], status="complete")
                await anyio.sleep(0.5)
                return await actor.update(b["id"], status="complete")

            r, _, latency = await answer_after(
                lambda: waiter.call("wait_for_task", {"agent_name": agent, "timeout_secs": 8, "lease_secs": 0}),
                finish_b)
            metric("wait_for_task wake-up after the last dependency completed", latency)
            assert r["claimed"] is True and r["task"]["id"] == t["id"], r
            assert r["task"]["status"] == "working" and r["task"]["is_currently_blocked"] is False
            assert latency >= 0, "wait_for_task answered before B completed (T was still blocked by B)"
            assert latency < 2.0, f"wait_for_task answered {latency:.2f}s after the unblocking write"


@pytest.mark.timeout(40)
@pytest.mark.parametrize("change", ["complete", "delete"])
async def test_pool_wait_for_task_wakes_when_another_process_unblocks(tmp_path, change):
    """The waiter is in one process (HTTP), the unblocking write in another (stdio) on the same file; the
    waiter waits on the queue's pool and the dependent is unassigned."""
    server = HttpServer(tmp_path, "http", "shared.db")
    try:
        with anyio.fail_after(35):
            async with streamable_session(server) as waiter, \
                    stdio_server(server.db_path, tmp_path, "unblocker") as other:
                dep = await other.tt.create("dependency")
                t = await other.tt.create("pooled dependent", queue_name="pool", depends_on=[dep["id"]])

                async def unblock():
                    if change == "complete":
                        return await other.tt.update(dep["id"], status="complete")
                    return await other.tt.call("delete_task", {"id": dep["id"]})

                r, _, latency = await answer_after(
                    lambda: waiter.call("wait_for_task", {"agent_name": "w", "queue_name": "pool",
                                                          "timeout_secs": 8, "lease_secs": 0}),
                    unblock, settle=0.6)
                assert r["claimed"] is True and r["task"]["id"] == t["id"] and r["task"]["assigned_to"] == "w", r
                metric(f"cross-process pool wait_for_task wake-up after {change} of the dependency", latency)
                assert latency < 2.0, f"woke {latency:.2f}s after the unblocking write in the other process"
    finally:
        server.kill()
