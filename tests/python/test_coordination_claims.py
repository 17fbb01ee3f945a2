"""Pool claims and leases (issue 11, §1, §2 and §7): signup_for_task with queue_name, list_ready_tasks order,
lease grant/renewal/expiry/fencing/release, lease visibility, and claim races on one server and across three
processes sharing one database file.

Timing: leases of 2 s; the release at expiry must be pushed to a subscriber within 2 s of expires_at (asserted
≤ 2.5 s, the figure is printed); the rest of the waits are generous because the machine is shared."""

from __future__ import annotations

import json
import time
from collections import Counter
from contextlib import AsyncExitStack

import anyio
import pytest

from conftest import assert_history, find_history, ids, legacy_only
from coordination_support import (
    all_events,
    assert_lease,
    kinds,
    lease_epoch,
    signup,
    stdio_session,
    wall_of,
)
from http_support import HTT, HttpServer, metric, start_server, streamable_session  # noqa: F401 (fixture)
from process_support import query

pytestmark = pytest.mark.anyio

LEASE = 2  # seconds: the short lease of the expiry tests
EXPIRY_PUSH_BOUND = 2.5  # seconds after expires_at (the issue: "within 2 s of expiry")


# --------------------------------------------------------------------------------------------------------------
# pool claim rules


async def test_pool_claim_takes_unassigned_or_own_never_someone_elses(tt):
    q = "pool-a"
    free = await tt.create("unassigned", queue_name=q, priority=1)
    theirs = await tt.create("someone else's", queue_name=q, priority=9, assigned_to="bob")
    mine = await tt.create("alice's own", queue_name=q, priority=5, assigned_to="alice")
    await tt.create("other queue", queue_name="pool-b", priority=10)
    await tt.create("no queue", priority=10)

    first = await signup(tt, "alice", q, claimed=True)
    assert first["task"]["id"] == mine["id"], f"want alice's own (prio 5) first, bob's (prio 9) skipped: {first}"
    second = await signup(tt, "alice", q, claimed=True)
    assert second["task"]["id"] == free["id"], second
    assert second["task"]["queue_name"] == q
    # the pool claim recorded the assignment in history, by the agent
    h = find_history(second["task"]["history"], "assigned_to", old_value=None, new_value="alice")
    assert_history(h, changed_by="alice")
    find_history(second["task"]["history"], "status", old_value="idle", new_value="working", changed_by="alice")
    none_left = await signup(tt, "alice", q, claimed=False)
    assert q in none_left["message"], none_left
    still = await tt.get(theirs["id"])
    assert (still["status"], still["assigned_to"]) == ("idle", "bob"), still
    # bob's own task is claimable by bob from the pool
    assert (await signup(tt, "bob", q, claimed=True))["task"]["id"] == theirs["id"]


async def test_pool_claim_order_priority_then_age_and_matches_list_ready_tasks(tt):
    q = "ordered"
    made = []
    for title, prio in [("a p2", 2), ("b p5", 5), ("c p5", 5), ("d p0", 0), ("e p9", 9), ("f p2", 2)]:
        made.append(await tt.create(title, queue_name=q, priority=prio))
    by_title = {t["title"]: t["id"] for t in made}
    want = [by_title[x] for x in ("e p9", "b p5", "c p5", "a p2", "f p2", "d p0")]
    ready = await tt.call("list_ready_tasks", {"agent_name": "carol", "queue_name": q})
    assert ready["count"] == len(want) and ids(ready["tasks"]) == want, ready
    assert all(t["lease"] is None and t["status"] == "idle" for t in ready["tasks"])
    # queue_name alone: the queue's unassigned tasks, same order
    assert ids((await tt.call("list_ready_tasks", {"queue_name": q}))["tasks"]) == want
    claimed = []
    for _ in want:
        claimed.append((await signup(tt, "carol", q, claimed=True))["task"]["id"])
    assert claimed == want, f"successive pool claims {claimed} != list_ready_tasks order {want}"
    await signup(tt, "carol", q, claimed=False)
    assert (await tt.call("list_ready_tasks", {"queue_name": q}))["tasks"] == []


async def test_pool_claim_skips_blocked_dependent_and_archived(tt):
    q = "skips"
    blocker = await tt.create("blocker", priority=0, assigned_to="someone")
    dep = await tt.create("dependency", priority=0, assigned_to="someone")
    blocked = await tt.create("blocked", queue_name=q, priority=9, blocked_by_task_id=blocker["id"])
    dependent = await tt.create("depends", queue_name=q, priority=8, depends_on=[dep["id"]])
    archived = await tt.create("archived", queue_name=q, priority=7)
    await tt.call("archive_task", {"id": archived["id"]})
    plain = await tt.create("plain", queue_name=q, priority=1)
    ready = await tt.call("list_ready_tasks", {"agent_name": "dan", "queue_name": q})
    assert ids(ready["tasks"]) == [plain["id"]], ready
    assert (await signup(tt, "dan", q, claimed=True))["task"]["id"] == plain["id"]
    await signup(tt, "dan", q, claimed=False)
    # completing the blocker / the dependency makes them claimable, in priority order
    await tt.update(blocker["id"], status="complete")
    await tt.update(dep["id"], status="complete")
    assert (await signup(tt, "dan", q, claimed=True))["task"]["id"] == blocked["id"]
    assert (await signup(tt, "dan", q, claimed=True))["task"]["id"] == dependent["id"]
    await signup(tt, "dan", q, claimed=False)
    assert (await tt.get(archived["id"]))["status"] == "idle"


async def test_signup_without_queue_name_is_unchanged(tt):
    await tt.create("pool task, unassigned", queue_name="p", priority=9)
    own_low = await tt.create("own low", assigned_to="erin", priority=1)
    own_high = await tt.create("own high", assigned_to="erin", priority=4, queue_name="p")
    res = await signup(tt, "erin", claimed=True)
    assert res["task"]["id"] == own_high["id"], res
    # no assigned_to history row: it already was erin's
    assert [h["field_name"] for h in res["task"]["history"]].count("assigned_to") == 0, res["task"]["history"]
    assert (await signup(tt, "erin", claimed=True))["task"]["id"] == own_low["id"]
    res = await signup(tt, "erin", claimed=False)
    assert res["message"] == "No idle, unblocked tasks available for agent erin", res
    # the unassigned pool task was never taken without queue_name
    assert [t["assigned_to"] for t in await tt.list(queue_name="p", status="idle")] == [None]


# --------------------------------------------------------------------------------------------------------------
# leases


async def test_lease_shape_default_and_override(tt):
    a = await tt.create("default lease", assigned_to="fay")
    res = await signup(tt, "fay", claimed=True)
    assert_lease(res["lease"], 1800)
    view = await tt.get(a["id"])
    assert view["lease"] == {"holder": "fay", "expires_at": res["lease"]["expires_at"]}, view["lease"]
    await tt.create("short lease", assigned_to="fay")
    res2 = await signup(tt, "fay", claimed=True, lease_secs=30)
    assert_lease(res2["lease"], 30)
    assert res2["lease"]["token"] != res["lease"]["token"]
    await tt.create("no lease", assigned_to="fay")
    res3 = await signup(tt, "fay", claimed=True, lease_secs=0)
    assert res3["lease"] is None and res3["task"]["lease"] is None, res3


@pytest.mark.parametrize("tool", ["signup_for_task", "wait_for_task"])
@pytest.mark.parametrize("bad", [-1, 604801])
async def test_lease_secs_out_of_range_is_rejected(tt, tool, bad):
    text = await tt.err(tool, {"agent_name": "x", "lease_secs": bad, **({"timeout_secs": 0} if tool == "wait_for_task"
                                                                       else {})})
    assert "lease_secs" in text and "0" in text and "604800" in text and str(bad) in text, text


@pytest.mark.timeout(30)
async def test_leases_off_with_env_zero(tmp_path):
    async with stdio_session(tmp_path, TINYTASK_LEASE_SECS="0") as tt:
        t = await tt.create("no lease", assigned_to="gus")
        res = await signup(tt, "gus", claimed=True)
        assert res["lease"] is None and res["task"]["lease"] is None, res
        # a per-call lease_secs still takes one
        t2 = await tt.create("with lease", assigned_to="gus")
        res2 = await signup(tt, "gus", claimed=True, lease_secs=LEASE)
        assert res2["task"]["id"] == t2["id"]
        assert_lease(res2["lease"], LEASE)
        heartbeat = await tt.err("heartbeat", {"task_id": t["id"], "agent_name": "gus"})
        assert f"Task {t['id']}" in heartbeat and "no lease" in heartbeat, heartbeat
        await anyio.sleep(LEASE + 1.5)
        assert (await tt.get(t["id"]))["status"] == "working", "a claim without a lease must never expire"
        assert (await tt.get(t2["id"]))["status"] == "idle", "the per-call 2 s lease should have expired"


async def test_heartbeat_renews_and_is_precise_about_errors(tt):
    t = await tt.create("beat", assigned_to="hal")
    res = await signup(tt, "hal", claimed=True, lease_secs=60)
    before = lease_epoch(res["lease"]["expires_at"])
    await anyio.sleep(0.3)
    hb = await tt.call("heartbeat", {"task_id": t["id"], "agent_name": "hal", "lease_token": res["lease"]["token"]})
    assert list(hb) == ["task_id", "agent", "lease"] and hb["task_id"] == t["id"] and hb["agent"] == "hal", hb
    assert list(hb["lease"]) == ["holder", "expires_at"] and hb["lease"]["holder"] == "hal", hb
    after = lease_epoch(hb["lease"]["expires_at"])
    assert after >= before + 0.25, f"heartbeat did not move expires_at later: {before} -> {after}"
    assert (await tt.get(t["id"]))["lease"]["expires_at"] == hb["lease"]["expires_at"]
    # not the holder
    text = await tt.err("heartbeat", {"task_id": t["id"], "agent_name": "ivy"})
    assert f"Task {t['id']}" in text and "hal" in text and "ivy" in text, text
    # no lease at all
    idle = await tt.create("idle")
    text = await tt.err("heartbeat", {"task_id": idle["id"], "agent_name": "hal"})
    assert f"Task {idle['id']}" in text and "no lease" in text, text
    text = await tt.err("heartbeat", {"task_id": 999999, "agent_name": "hal"})
    assert "999999" in text, text


@pytest.mark.parametrize("write", ["update_task", "add_comment", "add_link"])
async def test_holders_writes_renew_the_lease_others_do_not(tt, write):
    t = await tt.create("renew", assigned_to="jan")
    res = await signup(tt, "jan", claimed=True, lease_secs=60)
    original = res["lease"]["expires_at"]

    async def do(by: str, n: int) -> None:
        if write == "update_task":
            await tt.update(t["id"], description=f"edit {n}", changed_by=by)
        elif write == "add_comment":
            await tt.call("add_comment", {"task_id": t["id"], "content": f"note {n}", "created_by": by})
        else:
            await tt.call("add_link", {"task_id": t["id"], "url": f"https://example.com/{n}", "created_by": by})

    await anyio.sleep(0.3)
    await do("kim", 1)
    assert (await tt.get(t["id"]))["lease"]["expires_at"] == original, f"{write} by another agent renewed the lease"
    await do("jan", 2)
    renewed = (await tt.get(t["id"]))["lease"]
    assert renewed["holder"] == "jan"
    assert lease_epoch(renewed["expires_at"]) >= lease_epoch(original) + 0.25, (
        f"{write} by the holder did not renew: {original} -> {renewed['expires_at']}")


@pytest.mark.parametrize("how", ["complete", "reassign", "archive", "move_task"])
async def test_lease_ends_with_the_claim(tt, how):
    t = await tt.create("ends", assigned_to="lee")
    res = await signup(tt, "lee", claimed=True, lease_secs=60)
    if how == "complete":
        await tt.update(t["id"], status="complete", changed_by="lee")
    elif how == "reassign":
        await tt.update(t["id"], assigned_to="max", changed_by="lee")
    elif how == "archive":
        await tt.call("archive_task", {"id": t["id"]})
    else:
        await tt.call("move_task", {"task_id": t["id"], "current_agent": "lee", "new_agent": "max",
                                    "comment": "yours", "lease_token": res["lease"]["token"]})
    assert (await tt.get(t["id"]))["lease"] is None, f"lease still there after {how}"
    if how == "move_task":
        moved = [e for e in await all_events(tt, task_id=t["id"]) if e["kind"] == "task_moved"]
        assert len(moved) == 1 and moved[0]["actor"] == "lee" and moved[0]["assignee"] == "max", moved
    text = await tt.err("heartbeat", {"task_id": t["id"], "agent_name": "lee"})
    assert "no lease" in text, text


async def test_lease_is_shown_in_views_but_never_the_token(tt):
    q = "views"
    t = await tt.create("visible", queue_name=q)
    res = await signup(tt, "nia", q, claimed=True, lease_secs=120)
    token = res["lease"]["token"]
    want = {"holder": "nia", "expires_at": res["lease"]["expires_at"]}
    assert res["task"]["lease"] == want, res["task"]["lease"]
    assert (await tt.get(t["id"]))["lease"] == want
    listed = {x["id"]: x for x in await tt.list()}
    assert listed[t["id"]]["lease"] == want
    dumps = [await tt.get(t["id"]), await tt.list(), await tt.call("get_queue_tasks", {"queue_name": q}),
             await tt.call("get_my_queue", {"agent_name": "nia"}), await all_events(tt),
             await tt.call("get_task_history", {"task_id": t["id"]})]
    for d in dumps:
        assert token not in json.dumps(d), f"lease token leaked into a view: {json.dumps(d)[:300]}"


async def test_release_task_semantics(tt):
    q = "rel"
    pooled = await tt.create("pooled", queue_name=q)
    res = await signup(tt, "oli", q, claimed=True, lease_secs=60)
    text = await tt.err("release_task", {"task_id": pooled["id"], "agent_name": "pat"})
    assert f"Task {pooled['id']}" in text and "oli" in text and "pat" in text, text
    rel = await tt.call("release_task", {"task_id": pooled["id"], "agent_name": "oli", "comment": "cannot finish",
                                         "lease_token": res["lease"]["token"]})
    assert list(rel) == ["released", "task", "comment", "message"] and rel["released"] is True, rel
    assert (rel["task"]["status"], rel["task"]["assigned_to"], rel["task"]["previous_assigned_to"],
            rel["task"]["lease"]) == ("idle", None, "oli", None), rel["task"]
    assert rel["comment"]["content"] == "cannot finish" and rel["comment"]["created_by"] == "oli", rel
    evs = await all_events(tt, task_id=pooled["id"])
    released = [e for e in evs if e["kind"] == "task_released"]
    assert len(released) == 1 and released[0]["actor"] == "oli", evs
    # back in the pool: anyone can take it
    assert (await signup(tt, "pat", q, claimed=True))["task"]["id"] == pooled["id"]
    # a task that was the agent's own stays the agent's, idle
    own = await tt.create("own", assigned_to="quin")
    await signup(tt, "quin", claimed=True)
    rel = await tt.call("release_task", {"task_id": own["id"], "agent_name": "quin"})
    assert (rel["task"]["status"], rel["task"]["assigned_to"], rel["comment"]) == ("idle", "quin", None), rel
    # releasing again: not claimed
    text = await tt.err("release_task", {"task_id": own["id"], "agent_name": "quin"})
    assert f"Task {own['id']}" in text and "not claimed" in text, text


async def test_release_of_a_pool_claim_without_lease_returns_it_to_the_pool(tt):
    """release_task's contract: the task becomes idle "and unassigned, back in its queue's pool, when it was
    claimed from the pool unassigned" — also when the claim took no lease (lease_secs=0 / leases off)."""
    t = await tt.create("pooled, no lease", queue_name="nolease")
    res = await signup(tt, "uma", "nolease", claimed=True, lease_secs=0)
    assert res["lease"] is None
    rel = await tt.call("release_task", {"task_id": t["id"], "agent_name": "uma"})
    assert (rel["task"]["status"], rel["task"]["assigned_to"], rel["task"]["previous_assigned_to"]) == \
        ("idle", None, "uma"), f"a released pool claim without lease is not back in the pool: {rel['task']}"
    assert (await signup(tt, "vic", "nolease", claimed=True))["task"]["id"] == t["id"]


# --------------------------------------------------------------------------------------------------------------
# expiry and fencing


async def _expiry_case(actor: HTT, sub: HTT, transport: str) -> None:
    q = f"expiry-{transport}"
    t = await actor.create(f"expires over {transport}", queue_name=q)
    uri = f"task://{t['id']}"
    with anyio.fail_after(10):
        await sub.session.subscribe_resource(uri)
    await sub.wait_push_ready()
    res = await signup(actor, "rex", q, claimed=True, lease_secs=LEASE)
    expires = lease_epoch(res["lease"]["expires_at"])
    mark = sub.inbox.mark()
    # the first resources/updated for the task after the lease's expiry time (the claim's own may come first)
    arrived_wall = None
    deadline = time.monotonic() + LEASE + 6
    while arrived_wall is None and time.monotonic() < deadline:
        at = await sub.inbox.wait_updated(uri, mark, max(0.01, deadline - time.monotonic()))
        if at is None:
            break
        mark = next(i for i, (tm, n) in enumerate(sub.inbox.notes) if tm == at) + 1
        if wall_of(at) >= expires - 0.05:
            arrived_wall = wall_of(at)
    assert arrived_wall is not None, (
        f"[{transport}] no resources/updated {uri} after the lease expired at {res['lease']['expires_at']}; "
        f"seen: {sub.inbox.describe()}")
    delay = arrived_wall - expires
    metric(f"lease expiry push [{transport}] after expires_at", delay)
    assert delay <= EXPIRY_PUSH_BOUND, (
        f"[{transport}] the lease-expiry release was pushed {delay:.2f} s after expires_at (issue: within 2 s; "
        f"allowed {EXPIRY_PUSH_BOUND} s)")

    task = await actor.call("get_task", {"id": t["id"]})
    assert (task["status"], task["assigned_to"], task["previous_assigned_to"], task["lease"]) == \
        ("idle", None, "rex", None), task
    find_history(task["history"], "status", old_value="working", new_value="idle")
    find_history(task["history"], "assigned_to", old_value="rex", new_value=None)
    evs = await all_events(actor, task_id=t["id"])
    assert kinds(evs) [-1:] == ["lease_expired"] and kinds(evs).count("task_claimed") == 1, kinds(evs)
    assert evs[-1]["actor"] == "tinytask:lease", evs[-1]

    # fencing: someone else claims it; every write with rex's old token is rejected naming task, token, holder
    stale = res["lease"]["token"]
    fresh = await signup(actor, "sam", q, claimed=True, lease_secs=120)
    assert fresh["task"]["id"] == t["id"]
    calls = [
        ("update_task", {"id": t["id"], "status": "complete", "changed_by": "rex", "lease_token": stale}),
        ("move_task", {"task_id": t["id"], "current_agent": "sam", "new_agent": "rex", "comment": "mine",
                       "lease_token": stale}),
        ("heartbeat", {"task_id": t["id"], "agent_name": "rex", "lease_token": stale}),
        ("release_task", {"task_id": t["id"], "agent_name": "rex", "lease_token": stale}),
    ]
    for name, args in calls:
        text = await actor.err(name, args)
        assert str(t["id"]) in text and stale in text and "sam" in text, f"{name} with a stale token: {text}"
    after = await actor.call("get_task", {"id": t["id"]})
    assert (after["status"], after["assigned_to"], after["lease"]["holder"]) == ("working", "sam", "sam"), after


@pytest.mark.slow
@pytest.mark.timeout(40)
@legacy_only("resources/subscribe (the 2026-07-28 push is subscriptions/listen: test_listen.py)")
async def test_lease_expiry_release_history_event_push_and_fencing_stdio(tmp_path):
    async with stdio_session(tmp_path) as tt:
        await _expiry_case(tt, tt, "stdio")


@pytest.mark.slow
@pytest.mark.timeout(40)
@legacy_only("resources/subscribe (the 2026-07-28 push is subscriptions/listen: test_listen.py)")
async def test_lease_expiry_release_history_event_push_and_fencing_streamable(start_server):
    server = start_server()
    async with streamable_session(server) as actor, streamable_session(server) as sub:
        await _expiry_case(actor, sub, "streamable")


# --------------------------------------------------------------------------------------------------------------
# races

RACE_AGENTS = 32
RACE_ROUNDS = 20


async def _seed(sessions: list[HTT], queue: str, n: int) -> list[int]:
    made: list[int] = []

    async def one(k: int) -> None:
        for i in range(k, n, len(sessions)):
            made.append((await sessions[k].create(f"{queue} #{i}", created_by="seeder", queue_name=queue,
                                                  priority=i % 7))["id"])

    async with anyio.create_task_group() as tg:
        for k in range(len(sessions)):
            tg.start_soon(one, k)
    assert len(made) == n
    return made


async def _race(agents: list[tuple[str, HTT]], queue: str, rounds: int) -> tuple[list[tuple[str, int]], int]:
    """Every agent tries `rounds` pool claims, all at once; returns the claims and the claimed=false count."""
    claims: list[tuple[str, int]] = []
    misses = 0

    async def agent(name: str, tt: HTT) -> None:
        nonlocal misses
        for _ in range(rounds):
            res = await tt.call("signup_for_task", {"agent_name": name, "queue_name": queue})
            if res["claimed"]:
                assert res["task"]["assigned_to"] == name and res["task"]["status"] == "working", res
                claims.append((name, res["task"]["id"]))
            else:
                misses += 1

    async with anyio.create_task_group() as tg:
        for name, tt in agents:
            tg.start_soon(agent, name, tt)
    return claims, misses


def _check_exactly_once(db, tasks: list[int], claims: list[tuple[str, int]], events: list[dict]) -> list[str]:
    problems = []
    per_task = Counter(t for _, t in claims)
    double = {t: n for t, n in per_task.items() if n > 1}
    if double:
        problems.append(f"{len(double)} tasks claimed more than once (by the results): {dict(list(double.items())[:8])}")
    unclaimed = set(tasks) - set(per_task)
    if unclaimed:
        problems.append(f"{len(unclaimed)} tasks never claimed: {sorted(unclaimed)[:10]}")
    holder = dict((t, a) for a, t in claims)
    rows = {r[0]: r[1:] for r in query(db, "SELECT id, status, assigned_to FROM tasks")}
    wrong = {t: rows.get(t) for t in tasks if rows.get(t) != ("working", holder.get(t))}
    if wrong:
        problems.append(f"{len(wrong)} tasks whose database row is not working/assigned to its claimer: "
                        f"{dict(list(wrong.items())[:8])}")
    working = Counter(r[0] for r in query(db, "SELECT task_id FROM task_history WHERE field_name = 'status' "
                                              "AND new_value = 'working'"))
    bad_hist = {t: working.get(t, 0) for t in tasks if working.get(t, 0) != 1}
    if bad_hist:
        problems.append(f"{len(bad_hist)} tasks with != 1 idle→working history row: {dict(list(bad_hist.items())[:8])}")
    claimed_events = Counter(e["task_id"] for e in events if e["kind"] == "task_claimed")
    bad_ev = {t: claimed_events.get(t, 0) for t in tasks if claimed_events.get(t, 0) != 1}
    if bad_ev:
        problems.append(f"{len(bad_ev)} tasks with != 1 task_claimed event: {dict(list(bad_ev.items())[:8])}")
    leases = Counter(r[0] for r in query(db, "SELECT task_id FROM task_leases"))
    if set(leases) != set(tasks):
        problems.append(f"task_leases rows: {len(leases)} for {len(tasks)} claimed tasks")
    return problems


@pytest.mark.slow
@pytest.mark.timeout(150)
async def test_32_agents_20_rounds_pool_claims_on_one_http_server(start_server):
    server = start_server()
    queue = "race-one"
    n = RACE_AGENTS * RACE_ROUNDS
    started = time.monotonic()
    async with AsyncExitStack() as stack:
        sessions = [await stack.enter_async_context(streamable_session(server)) for _ in range(RACE_AGENTS)]
        with anyio.fail_after(60):
            tasks = await _seed(sessions[:8], queue, n)
        seeded = time.monotonic()
        with anyio.fail_after(90):
            claims, misses = await _race([(f"racer-{i:02d}", s) for i, s in enumerate(sessions)], queue, RACE_ROUNDS)
        raced = time.monotonic()
        # one more round: the pool is empty for everyone
        extra, extra_misses = await _race([(f"racer-{i:02d}", s) for i, s in enumerate(sessions)], queue, 1)
        events = await all_events(sessions[0], queue_name=queue)
    metric("race one server: seed 640 tasks", seeded - started)
    metric("race one server: 32 agents x 20 pool claims", raced - seeded)
    metric("race one server: claimed=false answers", misses, "calls")
    problems = _check_exactly_once(server.db_path, tasks, claims, events)
    if extra:
        problems.append(f"claims from an exhausted pool: {extra}")
    assert extra_misses == RACE_AGENTS
    assert len(claims) + misses == n, (len(claims), misses)
    assert not problems, "\n".join(problems)


@pytest.mark.slow
@pytest.mark.timeout(150)
async def test_pool_claims_across_three_processes_on_one_file(start_server):
    servers = [start_server(db_name="shared.db")]
    servers += [start_server(db_name="shared.db") for _ in range(2)]
    assert len({s.db_path for s in servers}) == 1 and len({s.port for s in servers}) == 3
    queue = "race-three"
    agents_n, rounds = 30, 10
    n = agents_n * rounds
    started = time.monotonic()
    async with AsyncExitStack() as stack:
        sessions = [await stack.enter_async_context(streamable_session(servers[i % 3])) for i in range(agents_n)]
        with anyio.fail_after(60):
            tasks = await _seed(sessions[:6], queue, n)
        with anyio.fail_after(90):
            claims, misses = await _race([(f"p{i % 3}-agent-{i:02d}", s) for i, s in enumerate(sessions)], queue,
                                         rounds + 2)
        events = await all_events(sessions[1], queue_name=queue)
    metric("race three processes: 30 agents x 12 pool claims", time.monotonic() - started)
    problems = _check_exactly_once(servers[0].db_path, tasks, claims, events)
    assert not problems, "\n".join(problems)
    by_process = Counter(a.split("-")[0] for a, _ in claims)
    assert len(by_process) == 3, f"claims did not come from all three processes: {by_process}"
