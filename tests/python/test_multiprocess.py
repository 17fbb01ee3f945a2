"""Several TinyTask processes on one SQLite file, with outside readers, `/health` and `tinytask healthcheck`
throughout — the setting of the reliability issue "`/health` drops the server's SQLite locks":

    `/health` opened and closed the database file; POSIX locks belong to the (process, file) pair, so that
    close released every lock the server's SQLite connections held on it. The next outside process to open and
    close the file (the `sqlite3` CLI, a backup script) then believed it was the last connection and deleted
    `-wal`/`-shm`: every later acknowledged write went into the unlinked WAL — invisible to other processes
    (double claims) and gone after SIGKILL.

* :func:`test_health_and_outside_reader_keep_the_wal_and_every_write` — the exact repro, fast: create,
  `/health`, outside open/close, 10 more creates, SIGKILL: all 11 present; the server still holds its locks
  on the file and its `-wal` is not unlinked while it runs.
* :func:`test_three_processes_32_agents_race_signup_with_health_and_outside_readers` — one HTTP server and two
  stdio servers (official SDK clients: Streamable HTTP and stdio) plus outside readers on one file; 32 agents
  race `signup_for_task` for 20 rounds; then SIGKILL everything: no double claim, every acknowledged write
  present, `integrity_check` ok.

Every problem is collected and reported together with the figures, so a failing run shows how bad it was.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections import Counter, defaultdict
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import anyio
import pytest

import pg_support
from conftest import TT, kill_process
from http_support import HttpServer, metric, streamable_session
from process_support import (
    SQLITE3_CLI,
    Outcome,
    file_locks,
    healthcheck_cmd,
    integrity,
    outside_read,
    query,
    sqlite3_cli_read,
    stdio_server,
)

# Several processes on one SQLite file (WAL, locks, sqlite3 readers); the PostgreSQL counterpart is
# test_replicas.py.
pytestmark = [pytest.mark.anyio, pytest.mark.skipif(bool(pg_support.ADMIN_URL), reason=pg_support.SQLITE_ONLY)]

AGENTS = 32
ROUNDS = 20
TASKS_PER_ROUND = 20  # fewer than AGENTS: every round, 12 agents must lose the race
MAX_SECONDS = 75.0


def deleted_fds(pid: int, db_path: Path) -> list[str]:
    """Open files of `pid` that are the database's files but unlinked (``/proc/<pid>/fd`` says "(deleted)")."""
    out = []
    fd_dir = f"/proc/{pid}/fd"
    try:
        names = os.listdir(fd_dir)
    except OSError:
        return out
    for fd in names:
        try:
            target = os.readlink(f"{fd_dir}/{fd}")
        except OSError:
            continue
        if target.startswith(str(db_path)) and target.endswith("(deleted)"):
            out.append(target)
    return out


async def attempt(tt: TT, name: str, args: dict) -> Outcome:
    """A tool call through the SDK, classified: "ok" (acknowledged), "error" (isError), "lost" (exception)."""
    try:
        res = await tt.call_result(name, args)
    except Exception as e:  # noqa: BLE001 - any failure to get an answer counts as not acknowledged
        return Outcome("lost", text=f"{type(e).__name__}: {e}")
    text = res.content[0].text if res.content else ""
    if res.is_error:
        return Outcome("error", text=text)
    return Outcome("ok", data=json.loads(text))


def check_locks(pid: int, what: str, db_path: Path, problems: list[str]) -> bool:
    locks = file_locks(pid, db_path)
    gone = deleted_fds(pid, db_path)
    ok = True
    if not locks:
        problems.append(f"{what} (pid {pid}) holds no lock on {db_path.name} (/proc/locks) — its SQLite locks "
                        f"were dropped")
        ok = False
    if gone:
        problems.append(f"{what} (pid {pid}) writes to unlinked database files: {gone}")
        ok = False
    return ok


# --------------------------------------------------------------------------------------------------------------


@pytest.mark.timeout(60)
async def test_health_and_outside_reader_keep_the_wal_and_every_write(tmp_path):
    server = HttpServer(tmp_path, "http", "repro.db")
    db = server.db_path
    wal = Path(f"{db}-wal")
    problems: list[str] = []
    acked: dict[int, str] = {}
    try:
        async with streamable_session(server) as tt:
            first = await tt.create("repro first", created_by="repro")
            acked[first["id"]] = first["title"]
            status, body = await anyio.to_thread.run_sync(server.health)
            assert status == 200, f"/health: {status} {body!r}"
            check_locks(server.proc.pid, "HTTP server after /health", db, problems)
            seen = await anyio.to_thread.run_sync(outside_read, db)
            if SQLITE3_CLI:
                seen = await anyio.to_thread.run_sync(sqlite3_cli_read, db)
            assert seen == 1, f"outside reader saw {seen} tasks, want 1"
            if not wal.exists():
                problems.append(f"{wal.name} was deleted by the outside reader's close while the server runs")
            for i in range(10):
                t = await tt.create(f"repro after health {i}", created_by="repro")
                acked[t["id"]] = t["title"]
            check_locks(server.proc.pid, "HTTP server after /health + outside reader + 10 writes", db, problems)
            visible = await anyio.to_thread.run_sync(outside_read, db)
            if visible != 11:
                problems.append(f"an outside reader sees {visible} of the 11 acknowledged tasks while the server runs")
            server.kill()  # SIGKILL, with the session still open
    except Exception:
        server.kill()
        raise
    rows = dict(query(db, "SELECT id, title FROM tasks"))
    lost = {i: t for i, t in acked.items() if rows.get(i) != t}
    check = integrity(db)
    metric("repro: acknowledged creates", len(acked), "writes")
    metric("repro: acknowledged creates lost after SIGKILL", len(lost), "writes")
    if lost:
        problems.append(f"{len(lost)} of {len(acked)} acknowledged creates lost after SIGKILL: {sorted(lost)}")
    if check != "ok":
        problems.append(f"integrity_check after SIGKILL: {check}")
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------------------------------------------


class Ledger:
    """Everything acknowledged (or not) during the race, and the background probes' tallies."""

    def __init__(self) -> None:
        self.creates: dict[int, tuple[str, str]] = {}  # task id -> (title, assigned_to)
        self.comments: dict[int, tuple[int, str]] = {}  # comment id -> (task id, content)
        self.completed: set[int] = set()  # task ids acknowledged complete
        self.claims: list[tuple[int, str, int]] = []  # (round, agent, task id)
        self.attempts = 0
        self.not_claimed = 0
        self.failed: Counter[str] = Counter()  # "<tool> <kind>" -> count (errors and lost answers)
        self.failure_samples: list[str] = []
        self.probes: Counter[str] = Counter()
        self.probe_failures: list[str] = []

    def fail(self, what: str, out: Outcome) -> None:
        self.failed[f"{what} {out.kind}"] += 1
        if len(self.failure_samples) < 8:
            self.failure_samples.append(f"{what}: {out!r}")

    @property
    def acked_writes(self) -> int:
        return len(self.creates) + len(self.comments) + len(self.completed) + len(self.claims)


@pytest.mark.timeout(150)
async def test_three_processes_32_agents_race_signup_with_health_and_outside_readers(tmp_path):
    db = tmp_path / "shared.db"
    wal = Path(f"{db}-wal")
    led = Ledger()
    problems: list[str] = []
    lock_checks = Counter()
    lock_failures: dict[str, int] = {}
    started = time.monotonic()

    server = HttpServer(tmp_path, "http", db.name)
    pids: dict[str, int] = {"http": server.proc.pid}
    stack = AsyncExitStack()
    try:
        # --- phase 1, the sequence: the HTTP server alone, a write, /health, an outside open/close
        http_sessions: list[TT] = []
        for _ in range(11):
            http_sessions.append(await stack.enter_async_context(streamable_session(server)))
        seed = await http_sessions[0].create("before the other processes", created_by="setup")
        led.creates[seed["id"]] = (seed["title"], None)
        status, body = await anyio.to_thread.run_sync(server.health)
        assert status == 200, f"/health: {status} {body!r}"
        await anyio.to_thread.run_sync(outside_read, db)
        lock_checks["ok" if check_locks(pids["http"], "HTTP server (alone, after /health + outside reader)",
                                        db, problems) else "missing"] += 1
        if not wal.exists():
            problems.append(f"{wal.name} deleted by an outside reader while the HTTP server runs")

        # --- phase 2: two stdio servers join on the same file
        s1 = await stack.enter_async_context(stdio_server(db, tmp_path, "stdio-1"))
        s2 = await stack.enter_async_context(stdio_server(db, tmp_path, "stdio-2"))
        pids["stdio-1"], pids["stdio-2"] = s1.pid, s2.pid
        # 32 agents: 11 on their own HTTP sessions, 11 on stdio-1, 10 on stdio-2
        agents: list[tuple[str, TT]] = []
        for a in range(AGENTS):
            if a < 11:
                agents.append((f"agent-{a:02d}@http", http_sessions[a]))
            elif a < 22:
                agents.append((f"agent-{a:02d}@stdio-1", s1.tt))
            else:
                agents.append((f"agent-{a:02d}@stdio-2", s2.tt))
        seeders = [http_sessions[0], s1.tt, s2.tt]

        stop = anyio.Event()

        async def probe(name: str, period: float, fn: Any, good: Any) -> None:
            while not stop.is_set():
                try:
                    result = await anyio.to_thread.run_sync(fn)
                    ok = good(result)
                except Exception as e:  # noqa: BLE001
                    result, ok = f"{type(e).__name__}: {e}", False
                led.probes[f"{name} {'ok' if ok else 'failed'}"] += 1
                if not ok and len(led.probe_failures) < 8:
                    led.probe_failures.append(f"{name}: {result!r}")
                with anyio.move_on_after(period):
                    await stop.wait()

        async def race_round(r: int) -> None:
            pool = f"pool-{r:02d}"

            async def seed_one(i: int) -> None:
                title = f"round {r} task {i}"
                out = await attempt(seeders[i % 3], "create_task", {
                    "title": title, "created_by": f"seeder-{i % 3}", "assigned_to": pool, "priority": i % 5})
                if out.kind == "ok":
                    led.creates[out.data["id"]] = (title, pool)
                else:
                    led.fail("create_task", out)

            async with anyio.create_task_group() as tg:
                for i in range(TASKS_PER_ROUND):
                    tg.start_soon(seed_one, i)

            claimed_this_round: list[int] = []

            async def agent(name: str, tt: TT) -> None:
                led.attempts += 1
                out = await attempt(tt, "signup_for_task", {"agent_name": pool})
                if out.kind != "ok":
                    led.fail("signup_for_task", out)
                    return
                if not out.data["claimed"]:
                    led.not_claimed += 1
                    return
                task_id = out.data["task"]["id"]
                led.claims.append((r, name, task_id))
                claimed_this_round.append(task_id)
                content = f"{name} claimed task {task_id} in round {r}"
                c = await attempt(tt, "add_comment", {"task_id": task_id, "content": content, "created_by": name})
                if c.kind == "ok":
                    led.comments[c.data["id"]] = (task_id, content)
                else:
                    led.fail("add_comment", c)
                u = await attempt(tt, "update_task", {"id": task_id, "status": "complete", "changed_by": name})
                if u.kind == "ok":
                    led.completed.add(task_id)
                else:
                    led.fail("update_task", u)

            async with anyio.create_task_group() as tg:
                for name, tt in agents:
                    tg.start_soon(agent, name, tt)
            if len(claimed_this_round) != TASKS_PER_ROUND:
                problems.append(f"round {r}: {len(claimed_this_round)} claims for {TASKS_PER_ROUND} acknowledged "
                                f"idle tasks and {AGENTS} agents")
            for what, pid in pids.items():
                found: list[str] = []
                ok = check_locks(pid, f"{what} after round {r}", db, found)
                lock_checks["ok" if ok else "missing"] += 1
                if not ok:
                    lock_failures[what] = lock_failures.get(what, 0) + 1
                    if lock_failures[what] == 1:  # the first time per process; the count is reported below
                        problems.extend(found)

        def health_ok() -> Any:
            return server.health()

        with anyio.fail_after(MAX_SECONDS):
            async with anyio.create_task_group() as bg:
                bg.start_soon(probe, "outside sqlite3 module read", 0.02, lambda: outside_read(db),
                              lambda n: isinstance(n, int))
                if SQLITE3_CLI:
                    bg.start_soon(probe, "outside sqlite3 CLI read", 0.25, lambda: sqlite3_cli_read(db),
                                  lambda n: isinstance(n, int))
                bg.start_soon(probe, "GET /health", 0.1, health_ok, lambda sb: sb[0] == 200)
                bg.start_soon(probe, "tinytask healthcheck", 0.5, lambda: healthcheck_cmd(server.port),
                              lambda rc: rc[0] == 0)
                for r in range(ROUNDS):
                    await race_round(r)
                stop.set()

        # --- the end: every process SIGKILLed mid-life
        if not wal.exists():
            problems.append(f"{wal.name} missing while three servers run on the file")
        for what, pid in pids.items():
            kill_process(pid)
    finally:
        for pid in pids.values():
            kill_process(pid)
        server.kill()
        try:
            with anyio.fail_after(20):
                await stack.aclose()
        except Exception:  # noqa: BLE001 - the servers were SIGKILLed under the sessions on purpose
            pass
    elapsed = time.monotonic() - started

    # --- reopen the file: what survived
    def read(sql: str) -> list[tuple]:
        try:
            return query(db, sql)
        except sqlite3.DatabaseError as e:  # a corrupted file: every acknowledged write it should hold is lost
            problems.append(f"after SIGKILL, {sql!r} failed: {e}")
            return []

    try:
        check = integrity(db)
    except sqlite3.DatabaseError as e:
        check = f"integrity_check itself failed: {e}"
    tasks = {row[0]: row[1:] for row in read("SELECT id, title, assigned_to, status FROM tasks")}
    comments = {row[0]: row[1:] for row in read("SELECT id, task_id, content FROM comments")}
    working = Counter(row[0] for row in read(
        "SELECT task_id FROM task_history WHERE field_name = 'status' AND new_value = 'working'"))

    lost_creates = [i for i, (title, _) in led.creates.items() if i not in tasks or tasks[i][0] != title]
    lost_comments = [i for i, v in led.comments.items() if comments.get(i) != v]
    lost_completes = [i for i in led.completed if i not in tasks or tasks[i][2] != "complete"]
    claims_per_task = Counter(task for _, _, task in led.claims)
    double = {t: n for t, n in claims_per_task.items() if n > 1}
    claimed_by: dict[int, list[str]] = defaultdict(list)
    for _, name, task in led.claims:
        claimed_by[task].append(name)
    history_mismatch = {t: working.get(t, 0) for t in claims_per_task if working.get(t, 0) != 1}
    wrong_pool = [t for r, _, t in led.claims if t in tasks and tasks[t][1] != f"pool-{r:02d}"]
    lost = len(lost_creates) + len(lost_comments) + len(lost_completes)

    metric("multiprocess: signup_for_task attempts", led.attempts, "calls")
    metric("multiprocess: claims acknowledged", len(led.claims), "claims")
    metric("multiprocess: claimed=false answers", led.not_claimed, "calls")
    metric("multiprocess: double claims (tasks claimed by >1 agent)", len(double), "tasks")
    metric("multiprocess: acknowledged writes (creates+claims+comments+completes)", led.acked_writes, "writes")
    metric("multiprocess: acknowledged writes lost after SIGKILL", lost, "writes")
    metric("multiprocess: tool calls failed or unanswered", sum(led.failed.values()), "calls")
    for probe_name, n in sorted(led.probes.items()):
        metric(f"multiprocess: probe {probe_name}", n, "calls")
    metric("multiprocess: lock checks ok", lock_checks["ok"], "checks")
    metric("multiprocess: lock checks with the locks gone", lock_checks["missing"], "checks")
    metric("multiprocess: wall time", elapsed)

    if lock_failures:
        problems.append(f"rounds after which a server held no lock on the file / wrote to unlinked files: "
                        f"{lock_failures} (of {ROUNDS})")
    if check != "ok":
        problems.append(f"integrity_check after SIGKILL: {check[:300]!r}")
    if double:
        problems.append(f"{len(double)} tasks claimed by more than one agent: "
                        f"{ {t: claimed_by[t] for t in list(double)[:5]} }")
    if history_mismatch:
        problems.append(f"{len(history_mismatch)} claimed tasks whose history has != 1 idle→working entry "
                        f"(task: entries): {dict(list(history_mismatch.items())[:8])}")
    if wrong_pool:
        problems.append(f"claimed tasks not assigned to the round's pool: {wrong_pool[:8]}")
    if lost:
        problems.append(f"acknowledged writes lost after SIGKILL: {len(lost_creates)} creates "
                        f"{lost_creates[:8]}, {len(lost_comments)} comments {lost_comments[:8]}, "
                        f"{len(lost_completes)} completes {lost_completes[:8]}")
    if led.failed:
        problems.append(f"tool calls failed: {dict(led.failed)}; samples: {led.failure_samples}")
    probe_failed = {k: v for k, v in led.probes.items() if k.endswith("failed")}
    if probe_failed:
        problems.append(f"probes failed: {probe_failed}; samples: {led.probe_failures}")
    if led.attempts != AGENTS * ROUNDS:
        problems.append(f"{led.attempts} signup attempts, want {AGENTS * ROUNDS}")
    assert led.probes["GET /health ok"] > 0 and led.probes["tinytask healthcheck ok"] > 0 \
        and led.probes["outside sqlite3 module read ok"] > 0, f"probes never ran: {dict(led.probes)}"
    assert not problems, "\n".join(problems)
    assert elapsed < MAX_SECONDS + 30
