"""Helpers for the multi-process and fault tests (``test_multiprocess.py``, ``test_faults.py``).

* stdio servers spawned by the official SDK (``stdio_client``) with a tag in their environment, so the test
  can find their pid (for ``/proc/locks`` and SIGKILL with conftest's ``kill_process``) without reaching into the SDK;
* the server's POSIX locks on a file, read from ``/proc/locks`` (the regression check for "/health drops the
  server's SQLite locks");
* an outside process/connection opening and closing the database file (Python's ``sqlite3`` module and the
  ``sqlite3`` CLI when installed);
* ``tinytask healthcheck``;
* raw Streamable HTTP tool calls that tell apart "acknowledged", "answered with an error" and "no answer"
  (for bursts cut by SIGKILL);
* a small tmpfs for the data directory (disk full), mounted and always unmounted by the test.

Only 127.0.0.1 is ever contacted; every wait has a deadline.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any, AsyncIterator, Iterator

import anyio
import httpx2
from mcp.client.stdio import StdioServerParameters

import pg_support
from conftest import REQUEST_TIMEOUT, TT, compact, require_binary, sdk_stdio_session, server_env
from http_support import ACCEPT_BOTH, LATEST_VERSION, rpc_from_response, session_headers

SQLITE3_CLI = shutil.which("sqlite3")
TAG_VAR = "TINYTASK_TEST_PROCESS_TAG"  # ignored by the server; lets the test find the pid of an SDK-spawned server


# --------------------------------------------------------------------------------------------------------------
# processes


def find_pid_by_tag(tag: str, timeout: float = 5.0) -> int:
    """The pid of the live process whose environment holds ``TINYTASK_TEST_PROCESS_TAG=<tag>``."""
    needle = f"{TAG_VAR}={tag}".encode()
    deadline = time.monotonic() + timeout
    while True:
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/environ", "rb") as f:
                    env = f.read().split(b"\0")
            except OSError:
                continue
            if needle in env:
                return int(entry)
        if time.monotonic() > deadline:
            raise AssertionError(f"no process with {TAG_VAR}={tag} found within {timeout}s")
        time.sleep(0.02)


class StdioProc:
    """A TinyTask stdio server spawned by the SDK; ``tt`` is conftest's :class:`TT`, ``pid`` its process."""

    def __init__(self, tt: TT, pid: int, stderr_path: Path):
        self.tt = tt
        self.pid = pid
        self.stderr_path = stderr_path

    def stderr_tail(self, n: int = 2000) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")[-n:]
        except OSError:
            return ""


@asynccontextmanager
async def stdio_server(db_path: Path, logdir: Path, tag: str, log_level: str = "info") -> AsyncIterator[StdioProc]:
    """Spawns ``TINYTASK_MODE=stdio`` on `db_path` through the SDK's ``stdio_client`` (initialized session).
    A server already SIGKILLed by the test is tolerated on exit."""
    binary = require_binary()
    env = server_env(db_path, log_level, **{TAG_VAR: tag})
    if "PATH" in os.environ:
        env["PATH"] = os.environ["PATH"]
    params = StdioServerParameters(command=binary, args=[], env=env, cwd=str(logdir))
    stderr_path = logdir / f"{tag}.stderr.log"
    async with sdk_stdio_session(params, stderr_path) as tt:
        pid = await anyio.to_thread.run_sync(find_pid_by_tag, tag)
        yield StdioProc(tt, pid, stderr_path)


# --------------------------------------------------------------------------------------------------------------
# locks and outside access to the database file


def file_locks(pid: int, path: Path) -> list[str]:
    """The /proc/locks lines of `pid` on the inode of `path` (empty when it holds none)."""
    st = os.stat(path)
    dev = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    out = []
    with open("/proc/locks") as f:
        for line in f:
            fields = line.split()
            if len(fields) < 6 or fields[1] == "->":  # "->" lines are waiters
                continue
            if fields[4] == str(pid) and fields[5] == dev:
                out.append(line.strip())
    return out


def outside_read(db_path: Path, timeout: float = 5.0) -> int:
    """What any outside tool does: open the database, count the tasks, close (the close is what deletes
    `-wal`/`-shm` when it believes it is the last connection). On PostgreSQL: a psql-like client."""
    if pg_support.ADMIN_URL:
        return pg_support.query(db_path, "SELECT count(*) FROM tasks")[0][0]
    con = sqlite3.connect(str(db_path), timeout=timeout)
    try:
        return con.execute("SELECT count(*) FROM tasks").fetchone()[0]
    finally:
        con.close()


def sqlite3_cli_read(db_path: Path, timeout: float = 10.0) -> int:
    """The same through the `sqlite3` command line tool (caller checks SQLITE3_CLI first)."""
    assert SQLITE3_CLI
    r = subprocess.run([SQLITE3_CLI, "-cmd", ".timeout 5000", str(db_path), "SELECT count(*) FROM tasks"],
                       capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, f"sqlite3 CLI failed ({r.returncode}): {r.stderr.strip()}"
    return int(r.stdout.strip())


def integrity(db_path: Path) -> str:
    con = sqlite3.connect(str(db_path), timeout=10)
    try:
        return "; ".join(row[0] for row in con.execute("PRAGMA integrity_check"))
    finally:
        con.close()


def query(db_path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    """Rows of `sql` (SQLite's `?` placeholders) from an outside connection to the board of `db_path`."""
    if pg_support.ADMIN_URL:
        return [tuple(r) for r in pg_support.query(db_path, sql.replace("?", "%s"), params)]
    con = sqlite3.connect(str(db_path), timeout=10)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def healthcheck_cmd(port: int, timeout: float = 10.0) -> tuple[int, str]:
    """`tinytask healthcheck` against 127.0.0.1:<port>; (exit status, stderr)."""
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    env.update({"TINYTASK_PORT": str(port), "TINYTASK_LOG_LEVEL": "error"})
    # cwd: a directory without a ./.env (the binary reads one; the real environment wins, but a stray invalid
    # value in the repo's .env would make every healthcheck fail).
    r = subprocess.run([require_binary(), "healthcheck"], capture_output=True, text=True, env=env, timeout=timeout,
                       stdin=subprocess.DEVNULL, cwd=tempfile.gettempdir())
    return r.returncode, r.stderr.strip()


# --------------------------------------------------------------------------------------------------------------
# raw Streamable HTTP tool calls


class Outcome:
    """One tool call: ``kind`` is "ok" (acknowledged; ``data`` the result JSON), "error" (isError or JSON-RPC
    error; ``text`` the message) or "lost" (no answer: connection refused/reset, timeout, non-200)."""

    def __init__(self, kind: str, data: Any = None, text: str = ""):
        self.kind = kind
        self.data = data
        self.text = text

    def __repr__(self) -> str:
        return f"Outcome({self.kind}, {self.text or compact(self.data)[:120]})"


class RawClient:
    """One Streamable HTTP session over raw POSTs (no SDK task groups to tear down when the server dies)."""

    def __init__(self, mcp_url: str, timeout: float = REQUEST_TIMEOUT):
        self.mcp_url = mcp_url
        self.client = httpx2.AsyncClient(timeout=httpx2.Timeout(timeout))
        self.sid: str | None = None
        self._id = 1

    async def __aenter__(self) -> "RawClient":
        r = await self.client.post(self.mcp_url, content=compact({
            "jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": LATEST_VERSION, "capabilities": {},
                       "clientInfo": {"name": "tinytask-fault-tests", "version": "0.0.1"}}}),
            headers={"Accept": ACCEPT_BOTH, "Content-Type": "application/json"})
        assert r.status_code == 200, f"initialize: HTTP {r.status_code} {r.text[:300]!r}"
        self.sid = r.headers.get("mcp-session-id")
        assert self.sid, "no Mcp-Session-Id"
        r2 = await self.client.post(self.mcp_url, content=compact({"jsonrpc": "2.0",
                                                                   "method": "notifications/initialized"}),
                                    headers=session_headers(self.sid))
        assert r2.status_code == 202, f"notifications/initialized: HTTP {r2.status_code}"
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.client.aclose()

    async def tool(self, name: str, args: dict) -> Outcome:
        self._id += 1
        body = {"jsonrpc": "2.0", "id": self._id, "method": "tools/call", "params": {"name": name, "arguments": args}}
        try:
            r = await self.client.post(self.mcp_url, content=compact(body), headers=session_headers(self.sid))
        except (httpx2.HTTPError, OSError) as e:
            return Outcome("lost", text=f"{type(e).__name__}: {e}")
        if r.status_code != 200:
            return Outcome("lost", text=f"HTTP {r.status_code}: {r.text[:200]}")
        try:
            msg = rpc_from_response(r)
        except (AssertionError, ValueError) as e:
            return Outcome("lost", text=f"unparsable answer: {e}")
        if "error" in msg:
            return Outcome("error", text=json.dumps(msg["error"]))
        res = msg["result"]
        text = res["content"][0]["text"] if res.get("content") else ""
        if res.get("isError"):
            return Outcome("error", text=text)
        return Outcome("ok", data=json.loads(text))


# --------------------------------------------------------------------------------------------------------------
# a small filesystem for the data directory


@contextmanager
def tmpfs(mountpoint: Path, size: str) -> Iterator[Path | None]:
    """Mounts a tmpfs of `size` on `mountpoint`; yields None (nothing mounted) when this environment cannot
    mount (not root, no CAP_SYS_ADMIN, ...), the mountpoint otherwise. Always unmounted on exit."""
    mountpoint.mkdir(parents=True, exist_ok=True)
    try:
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(mountpoint)],
                           capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError) as e:
        tmpfs.last_error = str(e)  # type: ignore[attr-defined]
        yield None
        return
    if r.returncode != 0:
        tmpfs.last_error = r.stderr.strip() or f"mount exited {r.returncode}"  # type: ignore[attr-defined]
        yield None
        return
    try:
        yield mountpoint
    finally:
        for _ in range(50):
            u = subprocess.run(["umount", str(mountpoint)], capture_output=True, text=True, timeout=10)
            if u.returncode == 0:
                break
            time.sleep(0.1)
        else:
            subprocess.run(["umount", "-l", str(mountpoint)], capture_output=True, timeout=10)


def fill_disk(path: Path, chunk: int = 64 * 1024) -> int:
    """Writes `path` until the filesystem is full (ENOSPC); returns the bytes written."""
    written = 0
    block = b"\xa5" * chunk
    with open(path, "wb", buffering=0) as f:
        while True:
            try:
                n = f.write(block)
            except OSError as e:
                if e.errno != errno.ENOSPC:
                    raise
                if chunk > 512:
                    chunk //= 2
                    block = block[:chunk]
                    continue
                break
            written += n or 0
    return written


def free_bytes(path: Path) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize
