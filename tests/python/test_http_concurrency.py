"""Many HTTP sessions at once on one server and one database: 50 SDK sessions (30 Streamable HTTP, 20 legacy
/sse) each run a short agent workflow concurrently; no exception, no lost or crossed write."""

from __future__ import annotations

import time

import anyio
import pytest

from conftest import assert_comment, assert_task, assert_task_with_relations, find_history
from http_support import metric, open_session, start_server, streamable_session  # noqa: F401  (fixture)

pytestmark = pytest.mark.anyio

STREAMABLE = 30
LEGACY = 20
SESSIONS = STREAMABLE + LEGACY
QUEUE = "load"
MAX_SECONDS = 30.0


@pytest.mark.timeout(90)
async def test_50_concurrent_sessions_run_workflows_without_lost_writes(start_server):
    server = start_server()
    opened = 0
    all_open = anyio.Event()
    sessions_at_peak: list[int] = []
    results: dict[int, dict] = {}

    async def agent(i: int) -> None:
        nonlocal opened
        kind = "streamable" if i < STREAMABLE else "sse"
        name = f"agent-{i:02d}"
        async with open_session(server, kind) as tt:
            opened += 1
            if opened == SESSIONS:
                sessions_at_peak.append(await anyio.to_thread.run_sync(server.session_count))
                all_open.set()
            await all_open.wait()  # every workflow runs while all 50 sessions are open
            t = await tt.create(f"{kind} task {i}", created_by=name, assigned_to=name, queue_name=QUEUE,
                                priority=i % 7)
            assert_task(t, title=f"{kind} task {i}", created_by=name, assigned_to=name, status="idle")
            c = await tt.call("add_comment", {"task_id": t["id"], "content": f"comment {i}", "created_by": name})
            assert_comment(c, task_id=t["id"], content=f"comment {i}", created_by=name)
            claim = await tt.call("signup_for_task", {"agent_name": name})
            assert claim["claimed"] is True and claim["task"]["id"] == t["id"], f"{name}: {claim}"
            assert claim["task"]["status"] == "working"
            done = await tt.update(t["id"], status="complete", changed_by=name)
            assert_task(done, id=t["id"], status="complete")
            tt.check_stream()
            results[i] = {"task": t["id"], "comment": c["id"], "kind": kind}

    started = time.monotonic()
    with anyio.fail_after(MAX_SECONDS + 15):
        async with anyio.create_task_group() as tg:
            for i in range(SESSIONS):
                tg.start_soon(agent, i)
    elapsed = time.monotonic() - started
    metric(f"{SESSIONS} concurrent sessions ({STREAMABLE} streamable + {LEGACY} legacy) workflow wall time", elapsed)
    assert len(results) == SESSIONS
    assert elapsed < MAX_SECONDS, f"{SESSIONS} concurrent workflows took {elapsed:.1f}s (limit {MAX_SECONDS}s)"

    # no lost writes: a fresh session sees every task, complete, with exactly its comment
    by_task = {r["task"]: i for i, r in results.items()}
    assert len(by_task) == SESSIONS, "two sessions were given the same task id"
    with anyio.fail_after(30):
        async with streamable_session(server) as check:
            listed = await check.list(queue_name=QUEUE)
            assert sorted(t["id"] for t in listed) == sorted(by_task), \
                f"list_tasks(queue_name={QUEUE}) ids differ from the created ones"
            for t in listed:
                i = by_task[t["id"]]
                assert_task(t, status="complete", assigned_to=f"agent-{i:02d}",
                            title=f"{results[i]['kind']} task {i}")
            for task_id, i in by_task.items():
                full = await check.get(task_id)
                assert_task_with_relations(full, status="complete")
                assert [(c["id"], c["content"]) for c in full["comments"]] == \
                    [(results[i]["comment"], f"comment {i}")], f"task {task_id}: comments {full['comments']}"
                find_history(full["history"], "status", new_value="complete", changed_by=f"agent-{i:02d}")
    assert sessions_at_peak and sessions_at_peak[0] == SESSIONS, \
        f"/health sessions while all {SESSIONS} were open: {sessions_at_peak}"
