"""The Node TinyTask 2.x originals still open and write a database TinyTask migrated (search indexes and
their triggers included), and search_tasks finds what they wrote.

The Node side is the real driver, better-sqlite3 (pinned exactly in tests/node_compat/package.json and
package-lock.json; 12.x because 13 crashes on Node 20), running tests/node_compat/node_writes.js: the 2.x
pragmas, the 2.x schema loader and the 2.x writes (create, subtask, update, status, move_task, comments
added, edited and deleted, archive, delete with cascades), concurrently with a running TinyTask server.

Installation is part of the test, so that a fresh machine needs only node and npm: ``npm ci`` into a cache
directory (``$TINYTASK_NODE_COMPAT_CACHE``, default ``~/.cache/tinytask/node-compat``), keyed by the lock
file and the Node version, reused by later runs. better-sqlite3 is compiled from source
(``npm_config_build_from_source``: no prebuilt binary is fetched from GitHub, only the npm registry is
contacted) against the headers of the installed Node when they are there (``<prefix>/include/node``; without them
node-gyp downloads them from nodejs.org), with
python3, make and g++; measured here: 160 s (npm ci alone) to 530 s (through this test, load average ~10 on
the 2 cores), about 2 min of CPU; later runs reuse the cache (the test then takes ~2 s). Skipped,
with the reason, only when node or npm is missing.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import anyio
import pytest

import pg_support
from conftest import EXTERNAL_SKIP, REPO_ROOT, TARGET_URL, TASK_KEYS, open_tt

# Node 2.x writing the SQLite file itself: nothing to run on PostgreSQL.
pytestmark = [pytest.mark.anyio, pytest.mark.skipif(bool(pg_support.ADMIN_URL), reason=pg_support.SQLITE_ONLY)]

PACKAGE_DIR = REPO_ROOT / "tests" / "node_compat"
SCHEMA_2X = REPO_ROOT / "tests" / "fixtures" / "tinytask-2x-schema.sql"
INSTALL_TIMEOUT = 1200  # seconds; a from-source build of better-sqlite3 takes minutes on 2 cores
NODE_TIMEOUT = 60


def cache_root() -> Path:
    configured = os.environ.get("TINYTASK_NODE_COMPAT_CACHE")
    if configured:
        return Path(configured)
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "tinytask" / "node-compat"


def install_better_sqlite3() -> Path:
    """The directory holding node_modules with better-sqlite3 built for this Node (installed once per lock file
    and Node version)."""
    if os.environ.get("TINYTASK_SKIP_NODE_COMPAT") == "1":
        pytest.skip("TINYTASK_SKIP_NODE_COMPAT=1: the better-sqlite3 build (minutes on a fresh machine) is skipped")
    node = shutil.which("node")
    npm = shutil.which("npm")
    if not node or not npm:
        pytest.skip(f"the Node compatibility proof needs node and npm on PATH (node: {node}, npm: {npm})")
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    digest = hashlib.sha256()
    for name in ("package.json", "package-lock.json"):
        digest.update((PACKAGE_DIR / name).read_bytes())
    digest.update(version.encode())
    root = cache_root()
    target = root / f"{version}-{digest.hexdigest()[:16]}"
    if (target / ".installed").exists():
        return target
    root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=root, prefix=".install-"))
    for name in ("package.json", "package-lock.json"):
        shutil.copy(PACKAGE_DIR / name, work / name)
    env = dict(os.environ, npm_config_build_from_source="true", npm_config_update_notifier="false")
    headers = Path(node).resolve().parent.parent / "include" / "node"
    if (headers / "common.gypi").exists():
        # node-gyp would otherwise download the headers from nodejs.org.
        env["npm_config_nodedir"] = str(headers.parent.parent)
    started = time.monotonic()
    log = work / "npm-ci.log"
    with open(log, "w") as out:
        proc = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--foreground-scripts"], cwd=work, env=env,
                              stdout=out, stderr=subprocess.STDOUT, timeout=INSTALL_TIMEOUT)
    if proc.returncode != 0:
        raise AssertionError(f"npm ci failed ({proc.returncode}); log tail:\n{log.read_text()[-3000:]}")
    check = subprocess.run([node, "-e", "require('better-sqlite3')(':memory:').close()"], cwd=work,
                           capture_output=True, text=True, timeout=NODE_TIMEOUT)
    assert check.returncode == 0, f"better-sqlite3 installed but does not load: {check.stderr[-2000:]}"
    (work / ".installed").write_text(f"npm ci took {time.monotonic() - started:.0f} s\n")
    try:
        os.replace(work, target)
    except OSError:  # another run installed it first
        shutil.rmtree(work, ignore_errors=True)
    print(f"[node-compat] better-sqlite3 installed in {time.monotonic() - started:.0f} s into {target}")
    return target


@pytest.fixture(scope="module")
def better_sqlite3() -> Path:
    if TARGET_URL:
        pytest.skip(EXTERNAL_SKIP)
    return install_better_sqlite3()


def run_node(modules: Path, db: Path, tinytask_task: int) -> dict:
    env = dict(os.environ, NODE_PATH=str(modules / "node_modules"))
    proc = subprocess.run(["node", str(PACKAGE_DIR / "node_writes.js"), str(db), str(SCHEMA_2X), str(tinytask_task)],
                          env=env, capture_output=True, text=True, timeout=NODE_TIMEOUT)
    assert proc.returncode == 0, f"node_writes.js failed ({proc.returncode}):\n{proc.stderr[-3000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


async def ids(tt, query: str, **kw) -> list[int]:
    res = await tt.call("search_tasks", {"query": query, **kw})
    return [h["task"]["id"] for h in res["results"]]


@pytest.mark.timeout(INSTALL_TIMEOUT + 120)
async def test_node_2x_writes_on_a_migrated_database_are_indexed_and_found(tmp_path, better_sqlite3):
    async with open_tt(tmp_path) as tt:
        mine = await tt.create("TinyTask original", description="written by rust")
        out = await anyio.to_thread.run_sync(run_node, better_sqlite3, tmp_path / "t.db", mine["id"])

        # Node saw the indexes (FTS5 and the JSON functions are in its SQLite) and TinyTask's rows.
        assert out["node_match"] == [out["kept"]], out
        assert out["tinytask_title"] == "TinyTask original"
        assert out["left_after_delete"] == 0, "2.x delete cascades the subtask"

        # TinyTask, still running, finds what Node wrote.
        res = await tt.call("search_tasks", {"query": "walrus relocation"})
        assert [h["task"]["id"] for h in res["results"]] == [out["kept"]]
        hit = res["results"][0]
        assert hit["matched"] == ["title", "comments"]
        assert hit["task"] == {k: v for k, v in (await tt.get(out["kept"])).items() if k in TASK_KEYS}
        assert hit["task"]["assigned_to"] == "other-agent" and hit["task"]["previous_assigned_to"] == "node-agent"
        assert await ids(tt, "migration") == [], "the old title left the index"
        assert await ids(tt, "logistics") == [out["kept"]]
        assert await ids(tt, "planning") == [], "the old tags left the index"

        res = await tt.call("search_tasks", {"query": "puffin"})
        assert res["results"][0]["comment_id"] == out["edited_comment"]
        assert await ids(tt, "penguin") == [], "the edited comment's old text left the index"
        assert await ids(tt, "seal") == [], "the deleted comment left the index"
        res = await tt.call("search_tasks", {"query": "krill"})
        assert res["results"][0]["comment_id"] == out["move_comment"]

        assert await ids(tt, "narwhal*", include_archived=True) == [], "cascaded task, subtask and comment gone"
        assert await ids(tt, "orca") == []
        assert await ids(tt, "orca", include_archived=True) == [out["archived"]]
        assert await ids(tt, "albatross") == [mine["id"]]
        assert await ids(tt, "rust") == []
        # Writes keep working on TinyTask's side after Node's.
        await tt.call("add_comment", {"task_id": out["kept"], "content": "seal of approval"})
        assert await ids(tt, "seal") == [out["kept"]]

    # A second Node session on the same file (as a restarted 2.x server would): the loader and writes run again.
    again = await anyio.to_thread.run_sync(run_node, better_sqlite3, tmp_path / "t.db", mine["id"])
    assert again["kept"] > out["kept"]
