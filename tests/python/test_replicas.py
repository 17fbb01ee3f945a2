"""Several replicas on one PostgreSQL board behind a round-robin balancer (issue 14 §3): three TinyTask processes
and nginx with the shipped balancer configuration, on 127.0.0.1 (replicas_support.py).

* the tool suites in both eras through the balancer (every request may reach another replica: legacy sessions
  too, shared through PostgreSQL; test_replicas_sessions.py sends one session's requests to chosen replicas);
* 64 agents racing pool claims through the balancer: every task claimed exactly once, by claims spread over the
  replicas;
* a change written through replica A reaches a `subscriptions/listen` stream on replica C;
* SIGKILL of one replica during a write burst: every acknowledged write is in the database, and the clients go
  on through the other replicas;
* PostgreSQL restarted under load: the replicas recover by themselves, and clients see errors only while it is
  down.

Run on PostgreSQL only (TINYTASK_PY_DATABASE_URL; scripts/test.sh sets it); without it every test is skipped
with that reason.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter

import anyio
import httpx2
import pytest

from conftest import REPO_ROOT, compact, modern_params
from http_support import modern_headers
from replicas_support import Cluster, client, cluster, tool  # noqa: F401 (fixtures)

pytestmark = pytest.mark.anyio

# The tool suites of Docker check 12 in the 2026-07-28 era (tests/docker/acceptance.py MODERN_SUITE_FILES).
sys.path.insert(0, str(REPO_ROOT / "tests" / "docker"))
import acceptance  # noqa: E402

PUSH_BOUND = 3.0  # seconds for a commit on one replica to reach a listener on another (LISTEN poll: 25 ms)


@pytest.mark.timeout(900)
@pytest.mark.parametrize("era", ["legacy", "modern"])
def test_the_tool_suites_pass_through_the_balancer_in_both_eras(cluster, era):
    # Legacy: every SDK session initializes through the balancer, and its later requests (round robin, no
    # stickiness) reach the other replicas, which take the session in from PostgreSQL (src/mcp/shared/).
    suite = acceptance.SUITE_FILES if era == "legacy" else acceptance.MODERN_SUITE_FILES
    files = [str(REPO_ROOT / "tests" / "python" / f) for f in suite]
    env = {k: v for k, v in os.environ.items() if k != "TINYTASK_PY_DATABASE_URL"}
    env.update({"TINYTASK_TARGET_URL": cluster.balancer.mcp_url, "TINYTASK_PY_ERA": era})
    r = subprocess.run([sys.executable, "-m", "pytest", *files, "-q", "-p", "no:cacheprovider", "-rfE"],
                       cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=870)
    assert r.returncode == 0, f"the suites through the balancer failed:\n{r.stdout[-6000:]}\n{r.stderr[-2000:]}"
    served = Counter(cluster.balancer.upstreams())
    assert len(served) == 3 and min(served.values()) > 100, f"requests per replica: {served}"


@pytest.mark.timeout(180)
async def test_64_agents_racing_pool_claims_through_the_balancer_never_claim_twice(cluster, client):
    url = cluster.balancer.mcp_url
    tasks = 320
    for i in range(tasks):
        await tool(client, url, "create_task", {"title": f"pool {i}", "created_by": "lead", "queue_name": "pool",
                                                "priority": i % 5})
    claims: list[tuple[str, int]] = []

    async def agent(n: int) -> None:
        name = f"agent-{n:02d}"
        while True:
            r = await tool(client, url, "signup_for_task", {"agent_name": name, "queue_name": "pool"}, id=n)
            if not r["claimed"]:
                return
            claims.append((name, r["task"]["id"]))

    async with anyio.create_task_group() as tg:
        for n in range(64):
            tg.start_soon(agent, n)
    ids = [task_id for _, task_id in claims]
    twice = [task_id for task_id, n in Counter(ids).items() if n > 1]
    assert not twice, f"tasks claimed more than once: {twice}"
    assert len(ids) == tasks, f"{len(ids)} claims for {tasks} tasks"
    # The database agrees: each task is working and assigned to the agent whose claim was acknowledged.
    rows = dict(cluster.query("SELECT id, assigned_to FROM tasks WHERE status = 'working'"))
    assert rows == {task_id: name for name, task_id in claims}
    # Exactly one claim event per task, in strictly increasing, gap-free cursors.
    events = cluster.query("SELECT cursor, task_id FROM task_events WHERE kind = 'task_claimed' ORDER BY cursor")
    assert sorted(t for _, t in events) == sorted(ids)
    cursors = [c for (c,) in cluster.query("SELECT cursor FROM task_events ORDER BY cursor")]
    assert cursors == list(range(1, len(cursors) + 1)), "event cursors are gap-free and start at 1"
    served = Counter(u for u in cluster.balancer.upstreams())
    assert len(served) == 3, f"the claims went through every replica: {served}"


async def read_listen(client: httpx2.AsyncClient, url: str, uri: str, seen: list[dict], ready: anyio.Event,
                      done: anyio.Event) -> None:
    body = {"jsonrpc": "2.0", "id": "listen-c", "method": "subscriptions/listen",
            "params": modern_params({"notifications": {"resourceSubscriptions": [uri]}})}
    async with client.stream("POST", url, content=compact(body),
                             headers=modern_headers("subscriptions/listen")) as r:
        assert r.status_code == 200, await r.aread()
        data: list[str] = []
        async for line in r.aiter_lines():
            if line.startswith("data:"):
                data.append(line[5:].strip())
            elif line == "" and data:
                msg = json.loads("".join(data))
                data = []
                if msg.get("method") == "notifications/subscriptions/acknowledged":
                    ready.set()
                else:
                    seen.append(msg)
                    if msg.get("method") == "notifications/resources/updated":
                        done.set()
                        return


@pytest.mark.timeout(60)
async def test_a_change_through_replica_a_reaches_a_listener_on_replica_c(cluster, client):
    a, c = cluster.replica_url(0), cluster.replica_url(2)
    task = await tool(client, a, "create_task", {"title": "watched", "created_by": "lead"})
    uri = f"task://{task['id']}"
    seen: list[dict] = []
    ready, done = anyio.Event(), anyio.Event()
    async with anyio.create_task_group() as tg:
        tg.start_soon(read_listen, client, c, uri, seen, ready, done)
        with anyio.fail_after(10):
            await ready.wait()
        started = time.monotonic()
        await tool(client, a, "update_task", {"id": task["id"], "status": "working"})
        with anyio.fail_after(PUSH_BOUND):
            await done.wait()
        elapsed = time.monotonic() - started
        tg.cancel_scope.cancel()
    assert seen[-1]["params"]["uri"] == uri, seen
    print(f"replica A → listener on replica C: {elapsed * 1000:.0f} ms")


@pytest.mark.timeout(120)
async def test_sigkill_of_a_replica_during_a_write_burst_loses_no_acknowledged_write(cluster, client):
    url = cluster.balancer.mcp_url
    acknowledged: list[int] = []
    failures: list[str] = []
    stop = anyio.Event()

    async def writer(n: int) -> None:
        i = 0
        while not stop.is_set():
            i += 1
            try:
                t = await tool(client, url, "create_task", {"title": f"burst {n}-{i}", "created_by": f"w{n}"}, id=i)
                acknowledged.append(t["id"])
            except (RuntimeError, httpx2.HTTPError) as e:
                failures.append(f"{type(e).__name__}: {e}"[:200])

    async with anyio.create_task_group() as tg:
        for n in range(16):
            tg.start_soon(writer, n)
        await anyio.sleep(2.0)
        before_kill = len(acknowledged)
        cluster.sigkill(1)
        killed_at = len(acknowledged)
        await anyio.sleep(3.0)
        stop.set()
    after_kill = len(acknowledged) - killed_at
    assert before_kill > 50 and after_kill > 50, \
        f"writes went on through the other replicas: {before_kill} before, {after_kill} after the kill"
    stored = {i for (i,) in cluster.query("SELECT id FROM tasks")}
    missing = sorted(set(acknowledged) - stored)
    assert not missing, f"acknowledged but not in the database: {missing[:20]}"
    # Only requests that were on the killed replica may fail (nginx does not replay a POST elsewhere).
    assert len(failures) <= 16, f"{len(failures)} failed requests: {failures[:5]}"
    print(f"{len(acknowledged)} acknowledged writes, all stored; {len(failures)} failed at the kill")


@pytest.mark.timeout(180)
async def test_the_replicas_recover_by_themselves_when_postgres_restarts_under_load(cluster, client):
    url = cluster.balancer.mcp_url
    log: list[tuple[float, bool]] = []
    stop = anyio.Event()

    async def worker(n: int) -> None:
        i = 0
        while not stop.is_set():
            i += 1
            try:
                await tool(client, url, "create_task", {"title": f"load {n}-{i}", "created_by": "load"}, id=i)
                log.append((time.monotonic(), True))
            except (RuntimeError, httpx2.HTTPError):
                log.append((time.monotonic(), False))
                await anyio.sleep(0.05)

    script = str(REPO_ROOT / "scripts" / "postgres-env.sh")
    async with anyio.create_task_group() as tg:
        for n in range(8):
            tg.start_soon(worker, n)
        await anyio.sleep(2.0)
        down_at = time.monotonic()
        await anyio.to_thread.run_sync(lambda: subprocess.run([script, "stop"], check=True, capture_output=True))
        await anyio.sleep(2.0)
        await anyio.to_thread.run_sync(lambda: subprocess.run([script], check=True, capture_output=True))
        up_at = time.monotonic()
        await anyio.sleep(8.0)
        stop.set()
    ok_before = sum(1 for t, ok in log if ok and t < down_at)
    errors_before = sum(1 for t, ok in log if not ok and t < down_at)
    assert ok_before > 20 and errors_before == 0, (ok_before, errors_before)
    # Recovered without restarting any replica: requests succeed again soon after PostgreSQL is back, and
    # nothing fails once they do.
    back = [t for t, ok in log if ok and t > up_at]
    assert back, "no request succeeded after PostgreSQL came back"
    recovered_in = back[0] - up_at
    late_errors = [t for t, ok in log if not ok and t > back[0] + 1.0]
    assert recovered_in < 6.0 and not late_errors, \
        f"first success {recovered_in:.1f} s after restart; {len(late_errors)} errors after recovery"
    for server in cluster.replicas:
        assert server is not None and server.proc.poll() is None, "a replica exited"
        status, body = server.health()
        assert status == 200, body
    print(f"recovered {recovered_in:.2f} s after PostgreSQL was back; "
          f"{sum(1 for _, ok in log if not ok)} errors while it was down")
