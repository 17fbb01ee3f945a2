"""Fault tests: the storage under a running HTTP server fails, and the server must tell the truth.

* disk full (a small tmpfs for the data directory; skipped with the reason when this environment cannot mount
  one): every write is either acknowledged and durable or answered with an error naming the cause — never
  acknowledged and lost; `/health` is 503 while writes fail and 200 again once a write succeeds; the server
  never crashes or hangs; after SIGKILL every acknowledged write is there and `integrity_check` is ok;
* disk full, then freed, with no client writing: `/health` re-checks the write path by itself and is 200 again
  (within 45 s) instead of reporting the last failure forever;
* disk full under concurrent writes: writes that fit are not failed because another write of the same
  group-commit batch did not fit;
* SIGKILL in the middle of concurrent create/comment/update bursts (several times): after each restart every
  acknowledged write is there, integrity ok;
* the database file removed while the server runs: writes fail with an error (not acknowledged into a deleted
  file), `/health` 503, no crash or hang;
* the database made read-only under the running server: writes fail, `/health` 503; made writable again: a
  write succeeds and `/health` recovers.

A write is "acknowledged" when the tool call answered without isError; "answered with an error" is isError (or
a JSON-RPC error); "lost" is no answer at all (only expected after the test SIGKILLs the server).
"""

from __future__ import annotations

import os
import random
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path

import anyio
import pytest

import pg_support
from http_support import HttpServer, metric
from process_support import (
    Outcome,
    RawClient,
    fill_disk,
    free_bytes,
    integrity,
    query,
    tmpfs,
)

# Faults of the SQLite file and its file system; PostgreSQL's counterparts (a replica killed, the server
# restarted) are in test_replicas.py.
pytestmark = [pytest.mark.anyio, pytest.mark.skipif(bool(pg_support.ADMIN_URL), reason=pg_support.SQLITE_ONLY)]

BURST_CLIENTS = 8
MIN_ACKED = 40  # acknowledged writes per cycle before the SIGKILL can come
STORAGE_WORDS = ("full", "readonly", "read-only", "read only", "i/o", "moved", "removed", "deleted", "disk",
                 "unable to open", "permission", "not permitted")


def names_storage_cause(text: str) -> bool:
    t = text.lower()
    return any(w in t for w in STORAGE_WORDS)


async def health(server: HttpServer) -> tuple[int, object]:
    """GET /health (2 s timeout inside HttpServer.health: a hang fails the test)."""
    return await anyio.to_thread.run_sync(server.health)


async def expect_recovery(c, server: HttpServer, acked: dict[int, str], problems: list[str], title: str,
                          after: str) -> None:
    """Once the cause is gone, the next write is acknowledged and /health is 200 again."""
    out = await c.tool("create_task", {"title": title, "created_by": "recovery"})
    if out.kind == "ok":
        acked[out.data["id"]] = title
    else:
        problems.append(f"the first write after {after} failed: {out!r}")
    status, body = await health(server)
    if status != 200:
        problems.append(f"/health still {status} after {after} and a successful write: {str(body)[:300]}")


def require_mount(mnt: Path | None) -> Path:
    if mnt is None:
        pytest.skip(f"cannot mount a tmpfs for the data directory here ({getattr(tmpfs, 'last_error', '?')}); "
                    "the disk-full tests need root/CAP_SYS_ADMIN")
    return mnt


def check_durable(db: Path, acked: dict[int, str], failed_titles: list[str]) -> list[str]:
    """Problems after the server is gone: acknowledged creates missing, error-answered ones present, integrity."""
    problems = []
    rows = dict(query(db, "SELECT id, title FROM tasks"))
    lost = sorted(i for i, title in acked.items() if rows.get(i) != title)
    if lost:
        problems.append(f"{len(lost)} of {len(acked)} acknowledged writes lost: {lost[:10]}")
    titles = set(rows.values())
    ghosts = [t for t in failed_titles if t in titles]
    if ghosts:
        problems.append(f"{len(ghosts)} writes answered with an error ('not committed') are in the database: "
                        f"{ghosts[:5]}")
    check = integrity(db)
    if check != "ok":
        problems.append(f"integrity_check: {check[:300]}")
    return problems


# --------------------------------------------------------------------------------------------------------------
# disk full


@pytest.mark.timeout(90)
async def test_disk_full_writes_fail_with_the_cause_health_503_and_recovery(tmp_path):
    with tmpfs(tmp_path / "mnt", "8m") as mnt:
        mnt = require_mount(mnt)
        db = mnt / "t.db"
        server = HttpServer(tmp_path, "http", str(db))  # stderr log stays off the small filesystem
        acked: dict[int, str] = {}
        failed: list[tuple[str, str]] = []
        problems: list[str] = []
        health_after_failure: list[int] = []
        started = time.monotonic()
        try:
            async with RawClient(server.mcp_url) as c:
                for i in range(5):
                    out = await c.tool("create_task", {"title": f"before full {i}", "created_by": "df"})
                    assert out.kind == "ok", out
                    acked[out.data["id"]] = f"before full {i}"
                filler = mnt / "filler"
                filled = await anyio.to_thread.run_sync(fill_disk, filler)
                attempts = 0
                for i in range(80):
                    title = f"while full {i}"
                    attempts += 1
                    with anyio.fail_after(15):
                        out = await c.tool("create_task", {"title": title, "created_by": "df",
                                                           "description": f"{i} " + "d" * 6000})
                    if out.kind == "ok":
                        acked[out.data["id"]] = title
                        continue
                    if out.kind == "lost":
                        problems.append(f"write {i} got no answer with the disk full: {out.text}")
                        break
                    failed.append((title, out.text))
                    status, body = await health(server)
                    health_after_failure.append(status)
                    if status != 503:
                        problems.append(f"/health answered {status} right after a write failed with "
                                        f"{out.text!r}: {str(body)[:300]}")
                    if len(failed) >= 8:
                        break
                assert failed, (f"no write failed after filling the disk ({filled} bytes filler, "
                                f"{free_bytes(mnt)} bytes free, {attempts} writes acknowledged) — the test did not "
                                "reach disk full")
                vague = [t for _, t in failed if "full" not in t.lower()]
                if vague:
                    problems.append(f"{len(vague)} disk-full write errors do not name the cause: {vague[:3]}")
                assert server.proc.poll() is None, f"server died with the disk full: {server.stderr_tail()}"

                filler.unlink()
                await expect_recovery(c, server, acked, problems, "after space freed", "freeing the space")
            server.kill()  # SIGKILL
            problems += check_durable(db, acked, [t for t, _ in failed])
            # a restarted server reads them all back
            again = HttpServer(tmp_path, "http", str(db))
            try:
                async with RawClient(again.mcp_url) as c:
                    for task_id, title in acked.items():
                        out = await c.tool("get_task", {"id": task_id})
                        if out.kind != "ok" or out.data["title"] != title:
                            problems.append(f"after restart, task {task_id}: {out!r}")
                            break
            finally:
                again.kill()
        finally:
            server.kill()
        metric("disk full: writes acknowledged (incl. before full)", len(acked), "writes")
        metric("disk full: writes answered with an error", len(failed), "writes")
        metric("disk full: /health 503 right after a failed write", health_after_failure.count(503), "checks")
        metric("disk full: /health other right after a failed write",
               len(health_after_failure) - health_after_failure.count(503), "checks")
        metric("disk full: test time", time.monotonic() - started)
        if failed:
            print(f"disk-full error text sample: {failed[0][1]!r}")
        assert not problems, "\n".join(problems)


@pytest.mark.timeout(90)
async def test_disk_full_then_freed_an_idle_server_reports_healthy_again_by_itself(tmp_path):
    """Writes fail on a full disk (/health 503); the space is freed and no client writes again: /health must not
    stay 503 forever (a container healthcheck would restart a server that is fine) — it re-checks the write
    path itself (the fix: a probe write through the writer once writes have failed for 30 s) within 45 s."""
    with tmpfs(tmp_path / "mnt", "8m") as mnt:
        mnt = require_mount(mnt)
        db = mnt / "t.db"
        server = HttpServer(tmp_path, "http", str(db))
        try:
            async with RawClient(server.mcp_url) as c:
                out = await c.tool("create_task", {"title": "before full", "created_by": "idle"})
                assert out.kind == "ok", out
                filler = mnt / "filler"
                await anyio.to_thread.run_sync(fill_disk, filler)
                failed = None
                for i in range(80):
                    out = await c.tool("create_task", {"title": f"while full {i}", "created_by": "idle",
                                                       "description": "d" * 6000})
                    assert out.kind != "lost", f"write {i} got no answer with the disk full: {out.text}"
                    if out.kind == "error":
                        failed = out
                        break
                assert failed is not None, "no write failed after filling the disk: the test did not reach disk full"
                failed_at = time.monotonic()
                status, body = await health(server)
                assert status == 503, f"/health {status} right after a write failed with {failed.text!r}: {body!r}"
                filler.unlink()  # room again; from now on nobody writes
                recovered_after = None
                statuses = []
                while time.monotonic() - failed_at < 45:
                    status, body = await health(server)
                    statuses.append(status)
                    if status == 200:
                        recovered_after = time.monotonic() - failed_at
                        break
                    await anyio.sleep(1.0)
                assert server.proc.poll() is None, f"server died: {server.stderr_tail()}"
                metric("disk freed, idle: /health back to 200 after (since the failed write)",
                       recovered_after if recovered_after is not None else -1)
                assert recovered_after is not None, (
                    f"/health still {statuses[-1]} 45 s after the failure although the disk has room again and "
                    f"no write was attempted since ({len(statuses)} polls): {str(body)[:300]}")
                out = await c.tool("create_task", {"title": "after recovery", "created_by": "idle"})
                assert out.kind == "ok", out
        finally:
            server.kill()


@pytest.mark.timeout(90)
async def test_disk_full_batch_writes_that_fit_are_not_failed_by_one_that_does_not(tmp_path):
    """Phase 1: one group-commit batch made to hold a 3.5 MB create and 10 small ones (the writer is held behind
    an outside write lock while they queue). Phase 2: 8 clients write concurrently on the nearly full disk: 44
    small creates (they fit: each takes at most ~35 KB
    of WAL, ~1.5 MB together, and 3 MB are free) and 12 creates of 3.5 MB (they cannot fit). Group commit puts
    them in the same batches; a write that does not fit must fail alone. Afterwards a small write must still
    succeed (the check that the small ones really fitted)."""
    with tmpfs(tmp_path / "mnt", "16m") as mnt:
        mnt = require_mount(mnt)
        db = mnt / "t.db"
        server = HttpServer(tmp_path, "http", str(db))
        acked: dict[int, str] = {}
        small_failed: list[tuple[str, str]] = []
        big = {"ok": 0, "error": 0, "lost": 0}
        big_errors: list[str] = []
        lost: list[str] = []
        problems: list[str] = []
        try:
            async with RawClient(server.mcp_url) as c:
                out = await c.tool("create_task", {"title": "before", "created_by": "batch"})
                assert out.kind == "ok", out
                acked[out.data["id"]] = "before"
            filler = mnt / "filler"
            await anyio.to_thread.run_sync(fill_disk, filler)
            os.truncate(filler, max(0, filler.stat().st_size - 3 * 1024 * 1024))  # 3 MB free
            free = free_bytes(mnt)
            big_text = "B" * (3584 * 1024)

            # Phase 1, deterministic: an outside connection holds the write lock, so the server's writer waits
            # in BEGIN IMMEDIATE with one small write while 10 small ones and then a big one queue up behind it;
            # on release they form one batch. (The outside connection stays open until the server is gone: its
            # close must not be what decides the outcome.)
            holder = sqlite3.connect(str(db), timeout=10, isolation_level=None, check_same_thread=False)
            held: dict[str, Outcome] = {}

            async def held_write(title: str, description: str | None = None) -> None:
                async with RawClient(server.mcp_url, timeout=30) as c:
                    args = {"title": title, "created_by": "batch"}
                    if description:
                        args["description"] = description
                    held[title] = await c.tool("create_task", args)

            try:
                await anyio.to_thread.run_sync(holder.execute, "BEGIN IMMEDIATE")
                with anyio.fail_after(30):
                    async with anyio.create_task_group() as tg:
                        tg.start_soon(held_write, "held small 0")
                        await anyio.sleep(0.3)
                        for i in range(1, 11):
                            tg.start_soon(held_write, f"held small {i}")
                        await anyio.sleep(0.5)
                        # last in the batch (small writes dirty pages first, then the big one spills them)
                        tg.start_soon(held_write, "held big", big_text)
                        await anyio.sleep(2.5)  # received and parsed (3.5 MB of JSON, debug build) by then
                        await anyio.to_thread.run_sync(holder.execute, "ROLLBACK")
                for title, out in held.items():
                    if title == "held big":
                        big[out.kind] += 1
                        if out.kind == "error":
                            big_errors.append(out.text)
                        elif out.kind == "ok":
                            acked[out.data["id"]] = title
                    elif out.kind == "ok":
                        acked[out.data["id"]] = title
                    elif out.kind == "error":
                        small_failed.append((title, out.text))
                    else:
                        lost.append(f"{title}: {out.text}")
                held_small_failed = sum(1 for t, o in held.items() if t != "held big" and o.kind != "ok")
                metric("disk full batch: phase 1 (one held batch) small writes failed", held_small_failed, "writes")
                metric("disk full batch: phase 1 big write failed", int(held["held big"].kind == "error"), "writes")

                # Phase 2: 8 clients, small and big writes interleaved as they come

                async def client(k: int) -> None:
                    async with RawClient(server.mcp_url, timeout=30) as c:
                        for j in range(7):
                            if k % 2 == 0 and j in (1, 3, 5):
                                with anyio.fail_after(30):
                                    out = await c.tool("create_task", {"title": f"big {k}-{j}",
                                                                       "created_by": "batch", "description": big_text})
                                big[out.kind] += 1
                                if out.kind == "ok":
                                    acked[out.data["id"]] = f"big {k}-{j}"
                                elif out.kind == "error":
                                    big_errors.append(out.text)
                                continue
                            title = f"small {k}-{j}"
                            with anyio.fail_after(30):
                                out = await c.tool("create_task", {"title": title, "created_by": "batch"})
                            if out.kind == "ok":
                                acked[out.data["id"]] = title
                            elif out.kind == "error":
                                small_failed.append((title, out.text))
                            else:
                                lost.append(f"{title}: {out.text}")

                started = time.monotonic()
                with anyio.fail_after(60):
                    async with anyio.create_task_group() as tg:
                        for k in range(8):
                            tg.start_soon(client, k)
                elapsed = time.monotonic() - started
                assert server.proc.poll() is None, f"server died: {server.stderr_tail()}"
                async with RawClient(server.mcp_url) as c:
                    room = await c.tool("create_task", {"title": "room check after the burst",
                                                        "created_by": "batch"})
                if room.kind == "ok":
                    acked[room.data["id"]] = "room check after the burst"
                small_total = sum(1 for t in acked.values() if "small" in t) + len(small_failed)
                metric("disk full batch: free bytes at start", free, "bytes")
                metric("disk full batch: small writes acknowledged",
                       sum(1 for t in acked.values() if "small" in t), "writes")
                metric("disk full batch: small writes failed", len(small_failed), "writes")
                metric("disk full batch: big writes acknowledged", big["ok"], "writes")
                metric("disk full batch: big writes failed", big["error"], "writes")
                metric("disk full batch: burst time", elapsed)
                if small_failed:
                    print(f"small write error sample: {small_failed[0][1]!r}")
                if big_errors:
                    print(f"big write error sample: {big_errors[0]!r}")
                if big["error"] == 0:
                    problems.append(f"no big write failed ({big}, {free} bytes free): the test did not reach disk full")
                if lost:
                    problems.append(f"writes without an answer: {lost[:5]}")
                if room.kind != "ok":
                    problems.append(f"a small write after the burst failed ({room!r}, {free_bytes(mnt)} bytes free): "
                                    "the disk was really full — the small writes did not all fit (test premise)")
                elif small_failed:
                    problems.append(f"{len(small_failed)} of {small_total} small writes failed although they fit "
                                    f"(a small write after the burst succeeds): batched with a write that did not fit? "
                                    f"{small_failed[:3]}")
                server.kill()
            finally:
                holder.close()
            problems += check_durable(db, acked, [t for t, _ in small_failed])
        finally:
            server.kill()
        assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------------------------------------------
# SIGKILL mid-burst


@pytest.mark.timeout(90)
async def test_sigkill_during_write_bursts_keeps_every_acknowledged_write(tmp_path):
    rng = random.Random(20261201)
    db_name = "burst.db"
    db = tmp_path / db_name
    creates: dict[int, str] = {}
    comments: dict[int, tuple[int, str]] = {}
    acked_prio: dict[int, list[int]] = {}
    inflight_prio: dict[int, int] = {}
    errors: list[str] = []
    unanswered = 0
    cycles = 4
    kill_after: list[float] = []
    acked_per_cycle: list[int] = []
    init_failures: list[str] = []
    started = time.monotonic()
    for cycle in range(cycles):
        server = HttpServer(tmp_path, "http", db_name)
        acked_now = 0
        try:
            async def client(k: int) -> None:
                nonlocal unanswered, acked_now
                try:
                    c = await RawClient(server.mcp_url, timeout=10).__aenter__()
                except Exception as e:  # noqa: BLE001 - killed before this client got its session
                    init_failures.append(f"{type(e).__name__}: {e}")
                    return
                try:
                    task_id = None
                    for n in range(1, 100_000):
                        if task_id is None or n % 3 == 0:
                            title = f"c{cycle} k{k} n{n}"
                            out = await c.tool("create_task", {"title": title, "created_by": f"k{k}"})
                            if out.kind == "ok":
                                creates[out.data["id"]] = title
                                task_id = out.data["id"]
                        elif n % 3 == 1:
                            content = f"comment c{cycle} k{k} n{n}"
                            out = await c.tool("add_comment", {"task_id": task_id, "content": content,
                                                               "created_by": f"k{k}"})
                            if out.kind == "ok":
                                comments[out.data["id"]] = (task_id, content)
                        else:
                            prio = cycle * 1_000_000 + k * 10_000 + n
                            out = await c.tool("update_task", {"id": task_id, "priority": prio,
                                                               "changed_by": f"k{k}"})
                            if out.kind == "ok":
                                acked_prio.setdefault(task_id, []).append(prio)
                            elif out.kind == "lost":
                                inflight_prio[task_id] = prio
                        if out.kind == "ok":
                            acked_now += 1
                        elif out.kind == "lost":
                            unanswered += 1
                            return
                        else:
                            errors.append(f"cycle {cycle} client {k}: {out.text}")
                finally:
                    await c.__aexit__(None, None, None)

            with anyio.fail_after(40):
                async with anyio.create_task_group() as tg:
                    for k in range(BURST_CLIENTS):
                        tg.start_soon(client, k)
                    # the burst is under way (at least MIN_ACKED acknowledged), then a random moment later: SIGKILL
                    deadline = time.monotonic() + 20
                    while acked_now < MIN_ACKED and time.monotonic() < deadline:
                        await anyio.sleep(0.01)
                    delay = rng.uniform(0.05, 0.6)
                    kill_after.append(delay)
                    await anyio.sleep(delay)
                    server.kill()  # SIGKILL mid-burst; the clients' next answers are connection errors
        finally:
            server.kill()
        acked_per_cycle.append(acked_now)
        assert acked_now >= MIN_ACKED, (f"cycle {cycle}: only {acked_now} writes acknowledged in 20 s "
                                        f"(errors {errors[:3]}, init failures {init_failures[:3]})")
        assert integrity(db) == "ok", f"integrity_check after SIGKILL {cycle + 1}: {integrity(db)[:300]}"
    elapsed = time.monotonic() - started

    problems = []
    rows = dict(query(db, "SELECT id, title FROM tasks"))
    lost_creates = [i for i, t in creates.items() if rows.get(i) != t]
    stored_comments = {r[0]: (r[1], r[2]) for r in query(db, "SELECT id, task_id, content FROM comments")}
    lost_comments = [i for i, v in comments.items() if stored_comments.get(i) != v]
    prio_now = dict(query(db, "SELECT id, priority FROM tasks"))
    history = {(r[0], r[1]) for r in query(db, "SELECT task_id, new_value FROM task_history "
                                               "WHERE field_name = 'priority'")}
    lost_updates = []
    for task_id, values in acked_prio.items():
        allowed = {values[-1], inflight_prio.get(task_id)}
        if prio_now.get(task_id) not in allowed:
            lost_updates.append((task_id, prio_now.get(task_id), values[-1]))
        lost_updates += [(task_id, "history", v) for v in values if (task_id, str(v)) not in history]
    acked_total = len(creates) + len(comments) + sum(len(v) for v in acked_prio.values())
    metric("sigkill bursts: cycles", cycles, "kills")
    metric("sigkill bursts: acknowledged writes", acked_total, "writes")
    metric("sigkill bursts: writes in flight at the kills (no answer)", unanswered, "writes")
    metric("sigkill bursts: acknowledged writes lost", len(lost_creates) + len(lost_comments) + len(lost_updates),
           "writes")
    metric("sigkill bursts: acknowledged writes per cycle (min)", min(acked_per_cycle), "writes")
    metric("sigkill bursts: time", elapsed)
    print(f"sigkill bursts: acknowledged per cycle {acked_per_cycle}, kill delays {[round(d, 2) for d in kill_after]}")
    if lost_creates:
        problems.append(f"acknowledged creates lost: {lost_creates[:10]}")
    if lost_comments:
        problems.append(f"acknowledged comments lost: {lost_comments[:10]}")
    if lost_updates:
        problems.append(f"acknowledged priority updates lost (task, now, last acked): {lost_updates[:10]}")
    if errors:
        problems.append(f"writes answered with errors before the kill: {errors[:5]}")
    assert acked_total > 0 and len(creates) >= cycles, f"the bursts acknowledged too little: {acked_total}"
    assert not problems, "\n".join(problems)

    # a final restart serves the survivors
    server = HttpServer(tmp_path, "http", db_name)
    try:
        async with RawClient(server.mcp_url) as c:
            out = await c.tool("list_tasks", {"limit": 1000})
            assert out.kind == "ok", out
            assert out.data["count"] == min(len(rows), 1000), (out.data["count"], len(rows))
    finally:
        server.kill()


# --------------------------------------------------------------------------------------------------------------
# the database file removed / made read-only


@pytest.mark.timeout(60)
async def test_database_file_removed_while_running_writes_fail_and_health_503(tmp_path):
    server = HttpServer(tmp_path, "http", "gone.db")
    db = server.db_path
    problems: list[str] = []
    outcomes: list[Outcome] = []
    try:
        async with RawClient(server.mcp_url) as c:
            first = await c.tool("create_task", {"title": "before removal", "created_by": "rm"})
            assert first.kind == "ok", first
            db.unlink()
            for i in range(5):
                with anyio.fail_after(15):
                    out = await c.tool("create_task", {"title": f"after removal {i}", "created_by": "rm"})
                outcomes.append(out)
                if out.kind == "ok":
                    problems.append(f"write {i} after the database file was removed was acknowledged "
                                    f"(into a deleted file): task {out.data.get('id')}")
                elif out.kind == "lost":
                    problems.append(f"write {i} after the removal got no answer: {out.text}")
                elif not names_storage_cause(out.text):
                    problems.append(f"write error does not name the cause: {out.text!r}")
                status, body = await health(server)
                if status != 503:
                    problems.append(f"/health answered {status} after write {i} with the database file removed: "
                                    f"{str(body)[:200]}")
            out = await c.tool("get_task", {"id": first.data["id"]})
            assert out.kind in ("ok", "error"), f"read after removal got no answer: {out!r}"
        assert server.proc.poll() is None, f"server died after the removal: {server.stderr_tail()}"
    finally:
        server.kill()
    metric("db removed: writes answered with an error", sum(o.kind == "error" for o in outcomes), "writes")
    metric("db removed: writes acknowledged into the deleted file", sum(o.kind == "ok" for o in outcomes), "writes")
    errs = [o.text for o in outcomes if o.kind == "error"]
    if errs:
        print(f"db removed error sample: {errs[0]!r}")
    assert not problems, "\n".join(problems)


def chattr(flag: str, *paths: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["chattr", flag, *map(str, paths)], capture_output=True, text=True, timeout=10)


@pytest.mark.timeout(60)
async def test_database_made_read_only_writes_fail_health_503_then_recover(tmp_path):
    """Read-only under a running server. `chmod` does not stop root, and `mount -o remount,ro` is refused
    (EBUSY) while the server holds the database open for writing, so the files are made immutable
    (`chattr +i`, honoured for root and for already-open descriptors) — skipped when the filesystem cannot."""
    if shutil.which("chattr") is None:
        pytest.skip("chattr is not installed: cannot make the database read-only for root")
    server = HttpServer(tmp_path, "http", "ro.db")
    db = server.db_path
    files = [db, Path(f"{db}-wal")]
    problems: list[str] = []
    acked: dict[int, str] = {}
    failed_titles: list[str] = []
    errs: list[str] = []
    try:
        async with RawClient(server.mcp_url) as c:
            out = await c.tool("create_task", {"title": "before read-only", "created_by": "ro"})
            assert out.kind == "ok", out
            acked[out.data["id"]] = "before read-only"
            assert all(f.exists() for f in files), [f for f in files if not f.exists()]
            r = chattr("+i", *files)
            if r.returncode != 0:
                pytest.skip(f"cannot make the database immutable on this filesystem: {r.stderr.strip()}")
            try:
                for i in range(4):
                    title = f"while read-only {i}"
                    with anyio.fail_after(15):
                        out = await c.tool("create_task", {"title": title, "created_by": "ro",
                                                           "description": "x" * 5000})
                    if out.kind == "ok":
                        acked[out.data["id"]] = title
                        problems.append(f"write {i} acknowledged while the database files are read-only")
                    elif out.kind == "lost":
                        problems.append(f"write {i} got no answer while read-only: {out.text}")
                    else:
                        failed_titles.append(title)
                        errs.append(out.text)
                        if not names_storage_cause(out.text):
                            problems.append(f"read-only write error does not name the cause: {out.text!r}")
                    status, body = await health(server)
                    if status != 503:
                        problems.append(f"/health answered {status} after write {i} while read-only: "
                                        f"{str(body)[:200]}")
            finally:
                chattr("-i", *files)
            await expect_recovery(c, server, acked, problems, "writable again", "the files became writable again")
        assert server.proc.poll() is None, f"server died: {server.stderr_tail()}"
        server.kill()
        problems += check_durable(db, acked, failed_titles)
    finally:
        chattr("-i", *files)
        server.kill()
    metric("read-only: writes answered with an error", len(errs), "writes")
    if errs:
        print(f"read-only error sample: {errs[0]!r}")
    assert not problems, "\n".join(problems)
