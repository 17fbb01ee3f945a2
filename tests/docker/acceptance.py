#!/usr/bin/env python3
"""TinyTask Docker acceptance suite (issue 4, section 5).

Run as root from the repository, with the repo venv (official MCP Python SDK + httpx2):

    .venv/bin/python tests/docker/acceptance.py              # everything (what CI runs)
    .venv/bin/python tests/docker/acceptance.py --serial     # builds one after another (clean build timings)
    .venv/bin/python tests/docker/acceptance.py --no-dev     # skip the dev-container checks (rows SKIP)
    .venv/bin/python tests/docker/acceptance.py --skip-build # reuse the existing images (rows SKIP)
    .venv/bin/python tests/docker/acceptance.py --only classic --only "image config" --only registry
                                                    # only the checks whose names contain these (see --help)

When `docker info` fails or the base image is missing it runs scripts/docker-setup.sh first. See
tests/docker/README.md for every check, the rules kept and measured times.

It proves, against the real Dockerfiles and compose files of the working tree (a snapshot of the git-listed
files is taken at start; the working tree is never modified):

  images     classic builder and BuildKit builds, image size (< 100 MB, goal <= 15 MB), no shell, static
             binary, image config; a rebuild after a src/ change does not recompile dependencies
  container  --read-only --cap-drop ALL --security-opt no-new-privileges: healthy, /health 200, uid 65532
  MCP        Python SDK over the container: tasks, comments, links; database file in the mounted directory
  persist    docker restart; compose down + up; SIGKILL during a burst of writes (acknowledged writes all
             there, PRAGMA integrity_check ok)
  health     unhealthy when the database is unwritable or removed under the running server
  config     TINYTASK_PORT, TINYTASK_DB_PATH, invalid TINYTASK_MODE (exit 2), unwritable /data
  stop       docker stop with 20 open SSE clients: < 3 s, exit 0
  compose    bind-mount default and named-volume variant: healthy, MCP write, down + up keeps data
  scale      docker-compose.scale.yml (PostgreSQL, 3 replicas, nginx): healthy, the 2026-07-28 tool suites
             through the balancer spread over every replica, a replica SIGKILLed, PostgreSQL restarted
  dev        hot-reload container: answers, src read-only, edit -> new behaviour (timed), gdb attaches,
             diesel migration list
  publish    push to a throw-away local registry (Debian's docker-registry on 127.0.0.1), remove the image
             locally, pull it back: same digest, same image id, same OCI labels; the pulled image runs healthy

Rules kept: every container, compose project and volume gets a unique name and is removed at the end (also
on failure or Ctrl-C); ports are published on 127.0.0.1 only and the tests talk to nothing else; every step
has a timeout. Exit status 0 only if every check passed. A summary table (check | result | figure) and the
total wall time are printed at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

import anyio
import httpx2
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

# ----------------------------------------------------------------------------------------------------------
# settings

REPO = Path(__file__).resolve().parents[2]
IMAGE = "tinytask-mcp:latest"  # the product's image name (docker-compose.yml uses it); kept for reuse
DEV_IMAGE = "tinytask-dev:latest"
BASE_IMAGE = "rust:1.95-slim-trixie"
APP_UID = 65532
SIZE_LIMIT_MB = 100.0
SIZE_GOAL_MB = 15.0
STOP_LIMIT_S = 3.0
SSE_CLIENTS = 20
BURST_WORKERS = 4
BURST_MIN_ACKS = 400  # SIGKILL once this many writes were acknowledged (or after BURST_MAX_SECONDS)
BURST_MAX_SECONDS = 6.0
HOST = "127.0.0.1"

# timeouts (seconds)
T_BUILD = 45 * 60  # a cold release build of actix + diesel on 2 cores is several minutes; this is the backstop
T_REBUILD = 20 * 60
T_DEV_BUILD = 45 * 60
T_DEV_FIRST_ANSWER = 20 * 60  # first `cargo build` inside the dev container (empty target volume)
T_DEV_RELOAD = 5 * 60
T_DOCKER = 60  # ordinary docker CLI calls
T_COMPOSE = 5 * 60
T_HEALTHY = 60
T_MCP = 20

RUN_ID = secrets.token_hex(3)
PREFIX = f"tta{RUN_ID}"  # names of everything this run creates: containers, compose projects, tags
T0 = time.monotonic()
_print_lock = threading.Lock()


def now() -> float:
    return time.monotonic() - T0


def log(msg: str) -> None:
    with _print_lock:
        print(f"[{datetime.now():%H:%M:%S} +{now():7.1f}s] {msg}", flush=True)


class Failure(AssertionError):
    """A check failed; the message is the evidence."""


def require(cond: Any, msg: str) -> None:
    if not cond:
        raise Failure(msg)


def short(text: str, n: int = 400) -> str:
    text = text.strip()
    return text if len(text) <= n else text[: n // 2] + " … " + text[-n // 2:]


def tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


# ----------------------------------------------------------------------------------------------------------
# subprocesses


RUNNING: set[subprocess.Popen] = set()
# The classic builder colours a RUN step's stderr per write (`\x1b[91m   Compiling\x1b[0m\x1b[91m tinytask …`):
# escape sequences are removed from every command's output before it is parsed.
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def kill_running() -> None:
    """Kills the process groups of every command still running (e.g. a background build on Ctrl-C)."""
    with _print_lock:
        procs = list(RUNNING)
    for p in procs:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(p.pid, signal.SIGKILL)


@dataclass
class Out:
    rc: int
    out: str
    seconds: float


def sh(args: list[str], *, timeout: float = T_DOCKER, env: dict[str, str] | None = None, cwd: Path | None = None,
       check: bool = True, log_file: Path | None = None, quiet: bool = False, clean_env: bool = False) -> Out:
    """Runs a command (stdout+stderr merged, stdin /dev/null). With log_file the output goes there (for long
    builds) and is read back. check=True raises Failure on a non-zero exit status or a timeout. clean_env drops
    every TINYTASK_* variable of this process's environment (only those in `env` are passed)."""
    full_env = {k: v for k, v in os.environ.items() if not (clean_env and k.startswith("TINYTASK_"))}
    if env:
        full_env.update(env)
    if not quiet:
        log(f"$ {' '.join(args)}" + (f"   (cwd {cwd})" if cwd else ""))
    started = time.monotonic()
    sink = open(log_file, "w") if log_file else None
    proc: subprocess.Popen | None = None
    try:
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=sink or subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, env=full_env, cwd=cwd,
                                start_new_session=True)
        with _print_lock:
            RUNNING.add(proc)
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
            text = log_file.read_text(errors="replace") if log_file else (out or "")
            raise Failure(f"timed out after {timeout:.0f}s: {' '.join(args)}\n{tail(text)}")
    finally:
        if proc is not None:
            with _print_lock:
                RUNNING.discard(proc)
        if sink:
            sink.close()
    text = ANSI.sub("", log_file.read_text(errors="replace") if log_file else (out or ""))
    res = Out(proc.returncode, text, time.monotonic() - started)
    if check and res.rc != 0:
        raise Failure(f"exit {res.rc}: {' '.join(args)}\n{tail(text)}")
    return res


def docker(*args: str, timeout: float = T_DOCKER, check: bool = True, quiet: bool = False) -> Out:
    return sh(["docker", *args], timeout=timeout, check=check, quiet=quiet)


def inspect(obj: str, fmt: str) -> str:
    return docker("inspect", "-f", fmt, obj, quiet=True).out.strip()


# ----------------------------------------------------------------------------------------------------------
# results


@dataclass
class Row:
    check: str
    result: str  # PASS | FAIL | SKIP
    figure: str


RESULTS: list[Row] = []
FAILURES: list[tuple[str, str]] = []


def record(check: str, result: str, figure: str, detail: str = "") -> None:
    with _print_lock:
        RESULTS.append(Row(check, result, figure))
        if result != "PASS":
            FAILURES.append((check, detail or figure))
    log(f"{result}: {check} — {figure}")


def leaf_failure(e: BaseException) -> Failure | None:
    """The first Failure inside e (anyio task groups wrap what an SDK session's body raised in ExceptionGroups)."""
    if isinstance(e, Failure):
        return e
    for sub in getattr(e, "exceptions", ()):
        found = leaf_failure(sub)
        if found is not None:
            return found
    return None


def run_check(name: str, fn: Callable[[], str]) -> bool:
    """Runs one check; fn returns the figure (or raises). Records a row; returns whether it passed."""
    try:
        figure = fn()
    except Failure as e:
        record(name, "FAIL", short(str(e).splitlines()[0], 140), str(e))
        return False
    except Exception as e:  # a bug or an unexpected error is a failure with its traceback as evidence
        inner = leaf_failure(e)
        if inner is not None:
            record(name, "FAIL", short(str(inner).splitlines()[0], 140), str(inner))
            return False
        record(name, "FAIL", short(f"{type(e).__name__}: {e}".splitlines()[0], 140), traceback.format_exc())
        return False
    record(name, "PASS", figure)
    return True


def skip(name: str, why: str) -> None:
    record(name, "SKIP", why)


# --only: substrings of check names (case-insensitive); empty means every check.
ONLY: list[str] = []


def selected(*names: str) -> bool:
    """Whether --only asks for any of these checks (always true without --only)."""
    return not ONLY or any(s.lower() in n.lower() for s in ONLY for n in names)


def run_group(checks: list[tuple[str, Callable[[], str]]]) -> None:
    """Runs a group's checks in order. A check builds on the earlier ones of its group (the container they
    started, the data they wrote), so with --only the group runs up to its last selected check and stops
    there; a group with no selected check runs nothing."""
    wanted = [i for i, (name, _) in enumerate(checks) if selected(name)]
    for name, fn in checks[: wanted[-1] + 1] if wanted else []:
        run_check(name, fn)


# ----------------------------------------------------------------------------------------------------------
# cleanup registry


class Cleanup:
    def __init__(self) -> None:
        self.containers: list[str] = []
        self.projects: list[tuple[list[str], Path, dict[str, str]]] = []
        self.images: list[str] = []
        self.dirs: list[Path] = []
        self.lock = threading.Lock()

    def container(self, name: str) -> str:
        with self.lock:
            self.containers.append(name)
        return name

    def project(self, compose_args: list[str], cwd: Path, env: dict[str, str]) -> None:
        with self.lock:
            self.projects.append((compose_args, cwd, env))

    def image(self, tag: str) -> None:
        with self.lock:
            self.images.append(tag)

    def tempdir(self, what: str) -> Path:
        """A fresh directory under this run's root (/tmp/tta<run>-*/), which cleanup removes as a whole."""
        with self.lock:
            if not self.dirs:
                self.dirs.append(Path(tempfile.mkdtemp(prefix=f"{PREFIX}-")))
            return Path(tempfile.mkdtemp(prefix=f"{what}-", dir=self.dirs[0]))

    def run(self, keep_dirs: bool) -> None:
        log("cleanup: removing containers, compose projects (with volumes), run tags and temp dirs")
        for args, cwd, env in reversed(self.projects):
            with contextlib.suppress(Exception):
                sh([*args, "down", "-v", "--remove-orphans", "-t", "5"], cwd=cwd, env=env, timeout=180,
                   check=False, quiet=True)
        if self.containers:
            with contextlib.suppress(Exception):
                sh(["docker", "rm", "-f", "-v", *self.containers], timeout=120, check=False, quiet=True)
        if self.images:
            with contextlib.suppress(Exception):
                sh(["docker", "rmi", *self.images], timeout=120, check=False, quiet=True)
        left = sh(["docker", "ps", "-aq", "--filter", f"name={PREFIX}"], check=False, quiet=True).out.split()
        if left:
            sh(["docker", "rm", "-f", "-v", *left], timeout=120, check=False, quiet=True)
        vols = sh(["docker", "volume", "ls", "-q", "--filter", f"name={PREFIX}"], check=False, quiet=True).out.split()
        if vols:
            sh(["docker", "volume", "rm", "-f", *vols], timeout=120, check=False, quiet=True)
        nets = sh(["docker", "network", "ls", "-q", "--filter", f"name={PREFIX}"], check=False, quiet=True).out.split()
        if nets:
            sh(["docker", "network", "rm", *nets], timeout=120, check=False, quiet=True)
        new_anon = dangling_volumes() - VOLUMES_AT_START
        if new_anon:
            log(f"cleanup: warning: {len(new_anon)} new unused volumes appeared during the run (not removed, may "
                f"belong to someone else): {' '.join(sorted(new_anon))[:300]}")
        if not keep_dirs:
            for d in self.dirs:
                shutil.rmtree(d, ignore_errors=True)
        else:
            log(f"cleanup: kept the run's temp dir (logs, data dirs, repo copies): {' '.join(map(str, self.dirs))}")


CLEAN = Cleanup()
VOLUMES_AT_START: set[str] = set()


def dangling_volumes() -> set[str]:
    out = sh(["docker", "volume", "ls", "-q", "-f", "dangling=true"], check=False, quiet=True)
    return set(out.out.split()) if out.rc == 0 else set()


# ----------------------------------------------------------------------------------------------------------
# small helpers


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def cname(what: str) -> str:
    return CLEAN.container(f"{PREFIX}-{what}")


def data_dir(what: str, owner: int | None = APP_UID, mode: int = 0o755) -> Path:
    d = CLEAN.tempdir(what)
    os.chmod(d, mode)
    if owner is not None:
        os.chown(d, owner, owner)
    return d


def snapshot_repo(dest: Path) -> Path:
    """Copies the files git knows about (tracked + untracked-but-not-ignored, as in the working tree) to dest."""
    listing = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                             check=True, capture_output=True).stdout.decode().split("\0")
    n = 0
    for rel in filter(None, listing):
        src = REPO / rel
        if not src.is_file():  # deleted in the working tree, or a submodule
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)
        n += 1
    require(n > 0, f"git ls-files listed nothing in {REPO}")
    return dest


def health_status(container: str) -> tuple[str, str]:
    """(container state, health status or '')."""
    out = docker("inspect", "-f", "{{.State.Status}}|{{if .State.Health}}{{.State.Health.Status}}{{end}}",
                 container, quiet=True, check=False)
    if out.rc != 0:
        return "missing", ""
    state, _, health = out.out.strip().partition("|")
    return state, health


def health_log(container: str) -> str:
    out = docker("inspect", "-f", "{{json .State.Health}}", container, quiet=True, check=False).out.strip()
    try:
        entries = json.loads(out).get("Log") or []
        return "; ".join(f"exit {e.get('ExitCode')}: {e.get('Output', '').strip()}" for e in entries[-2:])
    except (ValueError, AttributeError):
        return out


def container_logs(container: str, lines: int = 20) -> str:
    return docker("logs", "--tail", str(lines), container, check=False, quiet=True).out


def wait_health(container: str, want: str, timeout: float = T_HEALTHY, since: float | None = None) -> float:
    """Polls Docker's health status until it is `want`; returns seconds since `since` (or since the call)."""
    started = since if since is not None else time.monotonic()
    deadline = time.monotonic() + timeout
    state, health = "", ""
    while time.monotonic() < deadline:
        state, health = health_status(container)
        if health == want:
            return time.monotonic() - started
        if state in ("exited", "dead", "missing"):
            raise Failure(f"{container} is {state} (exit {inspect(container, '{{.State.ExitCode}}')}) while waiting "
                          f"for health={want}; logs:\n{container_logs(container)}")
        time.sleep(0.2)
    raise Failure(f"{container}: health never became {want} within {timeout:.0f}s (last: {state}/{health}; "
                  f"health log: {short(health_log(container), 300)}); logs:\n{container_logs(container)}")


def http_get(port: int, path: str = "/health", timeout: float = 3.0) -> httpx2.Response:
    return httpx2.get(f"http://{HOST}:{port}{path}", timeout=timeout)


def wait_http_ok(port: int, timeout: float = 30.0, container: str | None = None) -> float:
    started = time.monotonic()
    last = "no answer"
    while time.monotonic() - started < timeout:
        try:
            r = http_get(port, timeout=2.0)
            if r.status_code == 200:
                return time.monotonic() - started
            last = f"HTTP {r.status_code}: {r.text[:200]}"
        except httpx2.HTTPError as e:
            last = repr(e)
        if container and health_status(container)[0] in ("exited", "dead", "missing"):
            raise Failure(f"{container} stopped while waiting for /health; logs:\n{container_logs(container)}")
        time.sleep(0.2)
    raise Failure(f"GET http://{HOST}:{port}/health not 200 within {timeout:.0f}s (last: {last})")


def start_healthy(what: str, *extra: str, data: Path | None = None, container_port: int = 3000) -> tuple[str, int, float]:
    """Runs the image (hardened, fast healthcheck) on a fresh host port with `data` (default: a fresh data
    dir) and waits for health=healthy; returns (container name, host port, seconds from `docker run`)."""
    name, port = cname(what), free_port()
    t = time.monotonic()
    run_container(name, data if data is not None else data_dir(what), port, *extra, *FAST_HEALTH,
                  container_port=container_port)
    return name, port, wait_health(name, "healthy", since=t)


def run_container(name: str, data: Path | None, port: int | None, *extra: str, container_port: int = 3000,
                  hardened: bool = True, image: str = IMAGE, cmd: list[str] | None = None) -> str:
    args = ["run", "-d", "--name", name]
    if hardened:
        args += ["--read-only", "--cap-drop", "ALL", "--security-opt", "no-new-privileges"]
    if data is not None:
        args += ["-v", f"{data}:/data"]
    if port is not None:
        args += ["-p", f"{HOST}:{port}:{container_port}"]
    args += [*extra, image, *(cmd or [])]
    docker(*args)
    return name


FAST_HEALTH = ["--health-interval", "1s", "--health-timeout", "2s", "--health-retries", "2"]


def sqlite_check(data: Path, db_name: str = "tinytask.db") -> tuple[str, dict[int, str]]:
    """integrity_check and {id: title} of the tasks, on a copy of the database (+ its -wal) so that SQLite's
    recovery never writes root-owned files into the container's data directory."""
    scratch = Path(tempfile.mkdtemp(prefix=f"{PREFIX}-sqlite-"))
    try:
        for suffix in ("", "-wal"):
            src = data / f"{db_name}{suffix}"
            if src.exists():
                shutil.copy2(src, scratch / src.name)
        require((scratch / db_name).exists(), f"{data / db_name} does not exist")
        con = sqlite3.connect(str(scratch / db_name))
        try:
            integrity = "; ".join(r[0] for r in con.execute("PRAGMA integrity_check"))
            tasks = {int(i): t for i, t in con.execute("SELECT id, title FROM tasks")}
        finally:
            con.close()
        return integrity, tasks
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


# ----------------------------------------------------------------------------------------------------------
# MCP over Streamable HTTP with the official SDK


@contextlib.asynccontextmanager
async def mcp_session(port: int):
    url = f"http://{HOST}:{port}/mcp"
    async with httpx2.AsyncClient(timeout=httpx2.Timeout(T_MCP, read=60.0)) as client:
        async with streamable_http_client(url, http_client=client) as streams:
            async with ClientSession(streams[0], streams[1], read_timeout_seconds=T_MCP) as session:
                with anyio.fail_after(T_MCP):
                    await session.initialize()
                yield session


async def call(session: ClientSession, tool: str, args: dict[str, Any]) -> dict[str, Any]:
    with anyio.fail_after(T_MCP):
        res = await session.call_tool(tool, args)
    text = "".join(getattr(c, "text", "") for c in res.content)
    require(not res.is_error, f"{tool}({args}) returned isError: {text[:300]}")
    return json.loads(text)


@dataclass
class Board:
    """What check 4 wrote; verified after every restart."""
    tasks: dict[int, tuple[str, int, int]]  # id -> (title, comments, links)


async def write_board(port: int) -> Board:
    board: dict[int, tuple[str, int, int]] = {}
    async with mcp_session(port) as s:
        for i in range(3):
            title = f"{PREFIX} task {i}"
            t = await call(s, "create_task", {"title": title, "created_by": "acceptance", "priority": i,
                                              "description": "written through the container"})
            ncom = i + 1
            for c in range(ncom):
                await call(s, "add_comment", {"task_id": t["id"], "content": f"comment {c}", "created_by": "acc"})
            nlink = 2 if i == 0 else 1
            for k in range(nlink):
                await call(s, "add_link", {"task_id": t["id"], "url": f"https://example.com/{i}/{k}",
                                           "description": f"link {k}", "created_by": "acc"})
            board[t["id"]] = (title, ncom, nlink)
        parent = next(iter(board))
        sub = await call(s, "create_subtask", {"parent_task_id": parent, "title": f"{PREFIX} subtask",
                                               "created_by": "acceptance"})
        board[sub["id"]] = (f"{PREFIX} subtask", 0, 0)
    return Board(board)


async def verify_board(port: int, board: Board) -> str:
    async with mcp_session(port) as s:
        for tid, (title, ncom, nlink) in board.tasks.items():
            t = await call(s, "get_task", {"id": tid})
            require(t.get("title") == title, f"task {tid}: title {t.get('title')!r}, expected {title!r}")
            require(len(t.get("comments", [])) == ncom, f"task {tid}: {len(t.get('comments', []))} comments, "
                                                       f"expected {ncom}")
            require(len(t.get("links", [])) == nlink, f"task {tid}: {len(t.get('links', []))} links, expected {nlink}")
    ncom = sum(v[1] for v in board.tasks.values())
    nlink = sum(v[2] for v in board.tasks.values())
    return f"{len(board.tasks)} tasks, {ncom} comments, {nlink} links"


def mcp_write(port: int) -> Board:
    return anyio.run(write_board, port)


def mcp_verify(port: int, board: Board) -> str:
    return anyio.run(verify_board, port, board)


def raw_initialize(port: int, timeout: float = 3.0) -> dict[str, Any]:
    """One raw `initialize` POST; returns its result (raises on any failure)."""
    body = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                       "clientInfo": {"name": "tinytask-docker-acceptance", "version": "1"}}}
    r = httpx2.post(f"http://{HOST}:{port}/mcp", json=body, timeout=timeout,
                    headers={"Accept": "application/json, text/event-stream"})
    if r.status_code != 200:
        raise RuntimeError(f"HTTP {r.status_code}: {r.text[:200]}")
    if r.headers.get("content-type", "").startswith("text/event-stream"):
        msg = next(json.loads(line[5:]) for line in r.text.splitlines() if line.startswith("data:"))
    else:
        msg = r.json()
    sid = r.headers.get("mcp-session-id")
    if sid:  # don't leave sessions behind
        with contextlib.suppress(httpx2.HTTPError):
            httpx2.delete(f"http://{HOST}:{port}/mcp", headers={"Mcp-Session-Id": sid}, timeout=timeout)
    return msg["result"]


# ----------------------------------------------------------------------------------------------------------
# environment


class Env:
    compose: list[str] = ["docker-compose"]
    buildkit: list[str] = []  # command prefix for a BuildKit build, [] when none
    buildkit_desc = ""
    allow_setup = True  # --no-setup: never run scripts/docker-setup.sh (also not for the registry binary)


def ensure_engine(allow_setup: bool) -> None:
    def ready() -> tuple[bool, str]:
        info = sh(["docker", "info", "--format", "{{.ServerVersion}}"], check=False, quiet=True, timeout=30)
        if info.rc != 0:
            return False, "docker info fails"
        img = sh(["docker", "image", "inspect", BASE_IMAGE], check=False, quiet=True, timeout=30)
        if img.rc != 0:
            return False, f"base image {BASE_IMAGE} missing"
        return True, f"engine {info.out.strip()}"

    ok, why = ready()
    if not ok:
        setup = REPO / "scripts" / "docker-setup.sh"
        require(allow_setup and setup.exists(), f"{why}, and scripts/docker-setup.sh is "
                                                f"{'disabled (--no-setup)' if not allow_setup else 'missing'}")
        log(f"{why}: running scripts/docker-setup.sh (installs/starts dockerd, provides {BASE_IMAGE})")
        sh(["bash", str(setup)], timeout=45 * 60)
        ok, why = ready()
        require(ok, f"after scripts/docker-setup.sh: {why}")
    log(f"docker ready: {why}; client {shutil.which('docker')}")

    # Compose: v2 plugin if present, else v1.
    if sh(["docker", "compose", "version"], check=False, quiet=True).rc == 0:
        Env.compose = ["docker", "compose"]
    else:
        require(shutil.which("docker-compose"), "neither `docker compose` nor `docker-compose` is installed")
        Env.compose = ["docker-compose"]
    log(f"compose: {' '.join(Env.compose)} "
        f"({sh([*Env.compose, 'version', '--short'], check=False, quiet=True).out.strip()})")

    # BuildKit: `docker buildx` if the default client has it, else a client that still has the built-in
    # BuildKit builder (the distro's 20.10 /usr/bin/docker); the 28.x client without buildx refuses.
    if sh(["docker", "buildx", "version"], check=False, quiet=True).rc == 0:
        Env.buildkit = ["docker", "buildx", "build", "--load"]
        Env.buildkit_desc = "docker buildx build --load"
    else:
        for client in ("/usr/bin/docker", shutil.which("docker") or "docker"):
            if not Path(client).exists():
                continue
            ver = sh([client, "version", "-f", "{{.Client.Version}}"], check=False, quiet=True).out.strip()
            major = int(ver.split(".")[0]) if ver.split(".")[0].isdigit() else 0
            if 18 <= major < 23:  # built-in BuildKit path without buildx
                Env.buildkit = [client, "build"]
                Env.buildkit_desc = f"DOCKER_BUILDKIT=1 {client} build (client {ver})"
                break
    log(f"BuildKit via: {Env.buildkit_desc or 'none found'}")


# ----------------------------------------------------------------------------------------------------------
# 1-2: images


class Images:
    ctx: Path  # pristine snapshot used as build context
    classic_ok = False
    classic_seconds = 0.0
    classic_cached = False


def dangling_images() -> set[str]:
    return set(docker("images", "-q", "-f", "dangling=true", quiet=True, check=False).out.split())


def build_classic(logs: Path) -> str:
    tag = f"{PREFIX}:classic"
    CLEAN.image(tag)
    res = sh(["docker", "build", "-t", IMAGE, "-t", tag, str(Images.ctx)], env={"DOCKER_BUILDKIT": "0"},
             timeout=T_BUILD, log_file=logs / "build-classic.log")
    steps = len(re.findall(r"^Step \d+/\d+", res.out, re.M))
    cached = len(re.findall(r"^ ---> Using cache", res.out, re.M))
    Images.classic_seconds = res.seconds
    Images.classic_cached = "Compiling " not in res.out
    Images.classic_ok = True
    return (f"{res.seconds:.1f}s{PARALLEL_NOTE} "
            f"({'all cached' if Images.classic_cached else f'{cached}/{steps} steps cached'})")


def build_buildkit(logs: Path) -> str:
    require(Env.buildkit, "no Docker client with BuildKit here (no buildx, no 20.10 client)")
    tag = f"{PREFIX}:buildkit"
    CLEAN.image(tag)
    args = [*Env.buildkit, "--progress=plain", "-t", tag, str(Images.ctx)]
    res = sh(args, env={"DOCKER_BUILDKIT": "1"}, timeout=T_BUILD, log_file=logs / "build-buildkit.log")
    require("naming to" in res.out or "writing image" in res.out,
            f"BuildKit log does not show the image being written:\n{tail(res.out)}")
    size = int(inspect(tag, "{{.Size}}"))
    cached = "Compiling " not in res.out
    return f"{res.seconds:.1f}s{PARALLEL_NOTE}{' (all cached)' if cached else ''}, {size / 1e6:.1f} MB"


def check_size() -> str:
    size = int(inspect(IMAGE, "{{.Size}}"))
    mb = size / 1e6
    require(mb < SIZE_LIMIT_MB, f"image {IMAGE} is {mb:.1f} MB, limit {SIZE_LIMIT_MB:.0f} MB")
    goal = "goal met" if mb <= SIZE_GOAL_MB else "GOAL MISSED"
    return f"{mb:.2f} MB (< {SIZE_LIMIT_MB:.0f} MB; goal <= {SIZE_GOAL_MB:.0f} MB: {goal})"


def norm(name: str) -> str:
    return name[2:] if name.startswith("./") else name.lstrip("/")


def export_image_fs() -> tuple[list[tarfile.TarInfo], bytes]:
    """The image's filesystem (via docker create + export): members and the tinytask binary."""
    name = cname("export")
    docker("create", "--name", name, IMAGE, quiet=True)
    proc = subprocess.run(["docker", "export", name], capture_output=True, timeout=T_DOCKER, check=True)
    docker("rm", "-f", "-v", name, quiet=True, check=False)  # -v: the anonymous volume of VOLUME /data
    tar = tarfile.open(fileobj=io.BytesIO(proc.stdout))
    members = tar.getmembers()
    binary = b""
    for m in members:
        if norm(m.name) == "usr/local/bin/tinytask":
            binary = tar.extractfile(m).read()  # type: ignore[union-attr]
    return members, binary


def elf_is_static(binary: bytes) -> tuple[bool, str]:
    """Whether an ELF64 little-endian binary has no PT_INTERP (no dynamic loader needed) and its type."""
    require(binary[:4] == b"\x7fELF", "usr/local/bin/tinytask is not an ELF file")
    e_type = struct.unpack_from("<H", binary, 16)[0]
    e_phoff = struct.unpack_from("<Q", binary, 32)[0]
    e_phentsize, e_phnum = struct.unpack_from("<HH", binary, 54)
    types = [struct.unpack_from("<I", binary, e_phoff + i * e_phentsize)[0] for i in range(e_phnum)]
    has_interp = 3 in types  # PT_INTERP
    has_dynamic = 2 in types  # PT_DYNAMIC (static-pie keeps it for self-relocation)
    kind = {2: "static (EXEC)", 3: "static-pie" if has_dynamic and not has_interp else "PIE"}.get(e_type, str(e_type))
    return not has_interp, kind


def check_no_shell() -> str:
    results = []
    for sh_path in ("/bin/sh", "/bin/bash", "/bin/busybox"):
        r = docker("run", "--rm", "--entrypoint", sh_path, IMAGE, "-c", "true", check=False, quiet=True,
                   timeout=T_DOCKER)
        require(r.rc != 0, f"`docker run --entrypoint {sh_path} {IMAGE}` succeeded: the image has a shell")
        results.append(r.rc)
    members, binary = export_image_fs()
    files = sorted(norm(m.name) for m in members if not m.isdir())
    # Docker itself adds .dockerenv, dev/console and etc/{hostname,hosts,resolv.conf,mtab} to every container.
    extra = [f for f in files if f not in ("usr/local/bin/tinytask", ".dockerenv", "etc/hostname", "etc/hosts",
                                           "etc/resolv.conf", "etc/mtab") and not f.startswith("dev/")]
    require(not extra, f"image holds files besides the binary: {extra[:20]}")
    require(binary, "usr/local/bin/tinytask not found in the image")
    static, kind = elf_is_static(binary)
    require(static, f"tinytask has a PT_INTERP (dynamically linked, {kind})")
    data = [m for m in members if norm(m.name) == "data"]
    require(data and data[0].isdir(), "/data missing in the image")
    require((data[0].uid, data[0].gid) == (APP_UID, APP_UID), f"/data owned by {data[0].uid}:{data[0].gid}, "
                                                              f"expected {APP_UID}:{APP_UID}")
    return (f"/bin/sh exit {results[0]}; files: tinytask ({len(binary) / 1e6:.1f} MB, {kind}) + /data "
            f"({APP_UID}:{APP_UID}) only")


def check_image_config() -> str:
    cfg = json.loads(docker("image", "inspect", IMAGE, quiet=True).out)[0]["Config"]
    env = dict(e.split("=", 1) for e in cfg.get("Env") or [])
    want_env = {"TINYTASK_MODE": "http", "TINYTASK_HOST": "0.0.0.0", "TINYTASK_PORT": "3000",
                "TINYTASK_DB_PATH": "/data/tinytask.db", "TINYTASK_LOG_LEVEL": "info"}
    problems = [f"env {k}={env.get(k)!r} (want {v!r})" for k, v in want_env.items() if env.get(k) != v]
    if cfg.get("User") != f"{APP_UID}:{APP_UID}":
        problems.append(f"User {cfg.get('User')!r}")
    if "3000/tcp" not in (cfg.get("ExposedPorts") or {}):
        problems.append(f"ExposedPorts {cfg.get('ExposedPorts')}")
    if "/data" not in (cfg.get("Volumes") or {}):
        problems.append(f"Volumes {cfg.get('Volumes')}")
    hc = (cfg.get("Healthcheck") or {}).get("Test") or []
    if not hc or hc[0] != "CMD" or "healthcheck" not in hc:
        problems.append(f"Healthcheck {hc} (want exec form CMD … healthcheck)")
    labels = cfg.get("Labels") or {}
    problems += oci_label_problems(labels, binary_version(IMAGE))
    if (cfg.get("StopSignal") or "SIGTERM") != "SIGTERM":
        problems.append(f"StopSignal {cfg.get('StopSignal')}")
    require(not problems, "; ".join(problems))
    return (f"user {cfg['User']}, healthcheck {hc[1:]}, env defaults ok; OCI labels: "
            f"version {labels[OCI + 'version']} (= the binary's), licenses {labels[OCI + 'licenses']}, "
            f"source {labels[OCI + 'source']}")


OCI = "org.opencontainers.image."


def cargo_package_field(key: str) -> str:
    """A string field of Cargo.toml's [package] table (the snapshot's), e.g. license or repository."""
    text = (Images.ctx / "Cargo.toml").read_text()
    package = text.split("[package]", 1)[1].split("\n[", 1)[0]
    m = re.search(rf'^{re.escape(key)}\s*=\s*"([^"]*)"', package, re.M)
    require(m, f"Cargo.toml [package] has no {key}")
    return m.group(1)  # type: ignore[union-attr]


def binary_version(image: str) -> str:
    """The version the image's binary reports (`tinytask --version` prints `tinytask <version>`)."""
    out = docker("run", "--rm", "--network", "none", image, "--version", quiet=True).out.strip()
    require(re.fullmatch(r"tinytask \S+", out), f"`tinytask --version` in {image} printed {out!r}")
    return out.split()[1]


def oci_label_problems(labels: dict[str, str], version: str) -> list[str]:
    """The Dockerfile's OCI labels must be there and agree with Cargo.toml and the binary: a Cargo.toml version
    bump without the Dockerfile's `ARG VERSION` default (or a wrong `--build-arg VERSION=`) shows up here."""
    want = {"title": cargo_package_field("name"), "version": version,
            "source": cargo_package_field("repository"), "licenses": cargo_package_field("license")}
    problems = [f"label {OCI}{k}={labels.get(OCI + k)!r} (want {v!r})" for k, v in want.items()
                if labels.get(OCI + k) != v]
    if not labels.get(OCI + "description"):
        problems.append(f"label {OCI}description missing")
    return problems


def check_rebuild(logs: Path) -> str:
    """A content change under src/ (a comment line appended) must recompile only the tinytask crate."""
    ctx = snapshot_repo(CLEAN.tempdir("rebuild-ctx"))
    target = ctx / "src" / "main.rs"
    with open(target, "a") as f:
        f.write(f"\n// docker acceptance rebuild {PREFIX} {time.time()}\n")
    tag = f"{PREFIX}:rebuild"
    CLEAN.image(tag)
    log_file = logs / "build-rebuild.log"
    before = dangling_images()
    try:
        res = sh(["docker", "build", "-t", tag, str(ctx)], env={"DOCKER_BUILDKIT": "0"}, timeout=T_REBUILD,
                 log_file=log_file)
    finally:
        # The builder-stage layers of this one-off build are useless as cache later: remove them. Only images
        # that this build's log names (` ---> <id>`) and that became dangling during it, so that a concurrent
        # build (another suite run, a developer) never loses anything.
        text = ANSI.sub("", log_file.read_text(errors="replace")) if log_file.exists() else ""
        mine = set(re.findall(r"^ ---> ([0-9a-f]{12})\s*$", text, re.M))
        new = (dangling_images() - before) & mine
        if new:
            docker("rmi", *sorted(new), check=False, quiet=True, timeout=120)
    compiled = re.findall(r"Compiling ([A-Za-z0-9_-]+) v", res.out)
    require("tinytask" in compiled, f"rebuild log shows no `Compiling tinytask` (compiled: {compiled[:10]})")
    deps = [c for c in compiled if c != "tinytask"]
    heavy = [c for c in deps if re.match(r"(actix|diesel|tokio|libsqlite3|serde|rmcp)", c)]
    require(not deps, f"rebuild recompiled dependencies: {deps[:12]}{' (incl. ' + ', '.join(heavy) + ')' if heavy else ''}")
    return f"{res.seconds:.1f}s{PARALLEL_NOTE}, compiled only: {', '.join(sorted(set(compiled)))}"


# ----------------------------------------------------------------------------------------------------------
# 13: publishing: push to a local registry, remove the image locally, pull it back, run it


REGISTRY_REPO = "tinytask-mcp"
T_REGISTRY = 5 * 60  # push or pull of the ~10 MB image over loopback takes about a second; this is the backstop
T_REGISTRY_UP = 20.0
MANIFEST_TYPES = "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json"


def registry_binary() -> str:
    """Debian's docker-registry; scripts/docker-setup.sh installs it (idempotent) when it is missing."""
    path = shutil.which("docker-registry")
    if path is None:
        require(Env.allow_setup, "no docker-registry on PATH, and --no-setup forbids scripts/docker-setup.sh "
                                 "(it installs Debian's docker-registry)")
        log("no docker-registry on PATH: running scripts/docker-setup.sh (installs Debian's docker-registry)")
        sh(["bash", str(REPO / "scripts" / "docker-setup.sh")], timeout=45 * 60)
        path = shutil.which("docker-registry")
        require(path, "scripts/docker-setup.sh finished, but there is still no docker-registry on PATH")
    return path  # type: ignore[return-value]


class Registry:
    """A throw-away registry (distribution 2.8) on 127.0.0.1:<free port>: its own config and storage under
    `root`, no auth (Docker talks plain HTTP to 127.0.0.0/8 registries without any daemon setting). The package's
    service and /etc/docker/registry are not used."""

    def __init__(self, binary: str, root: Path, log_file: Path) -> None:
        self.binary, self.log_file = binary, log_file
        self.port = free_port()
        self.config = root / "config.yml"
        self.storage = root / "storage"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.storage.mkdir()
        self.config.write_text(
            "version: 0.1\n"
            "log:\n  level: info\n  accesslog:\n    disabled: true\n"
            f"storage:\n  filesystem:\n    rootdirectory: {self.storage}\n  delete:\n    enabled: true\n"
            f"http:\n  addr: {HOST}:{self.port}\n  secret: {secrets.token_hex(16)}\n")
        with open(self.log_file, "w") as sink:
            self.proc = subprocess.Popen([self.binary, "serve", str(self.config)], stdin=subprocess.DEVNULL,
                                         stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + T_REGISTRY_UP
        last = "no answer"
        while time.monotonic() < deadline:
            require(self.proc.poll() is None, f"docker-registry exited with {self.proc.returncode}:\n"
                                              f"{tail(self.log_file.read_text(errors='replace'))}")
            try:
                r = httpx2.get(f"http://{HOST}:{self.port}/v2/", timeout=2.0)
                if r.status_code == 200:
                    return
                last = f"HTTP {r.status_code}"
            except httpx2.HTTPError as e:
                last = repr(e)
            time.sleep(0.1)
        raise Failure(f"registry on {HOST}:{self.port}: GET /v2/ not 200 within {T_REGISTRY_UP:.0f}s (last: {last}):"
                      f"\n{tail(self.log_file.read_text(errors='replace'))}")

    def manifest(self, tag: str) -> tuple[str, dict[str, Any]]:
        """(digest the registry serves the tag's manifest under, the manifest)."""
        r = httpx2.get(f"http://{HOST}:{self.port}/v2/{REGISTRY_REPO}/manifests/{tag}",
                       headers={"Accept": MANIFEST_TYPES}, timeout=10.0)
        require(r.status_code == 200, f"registry GET manifests/{tag}: HTTP {r.status_code} {r.text[:200]}")
        return r.headers.get("Docker-Content-Digest", ""), r.json()

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)


def image_refs(image_id: str) -> tuple[list[str], list[str]]:
    """(tags, repo digests) that point at the image."""
    info = json.loads(docker("image", "inspect", image_id, quiet=True).out)[0]
    return list(info.get("RepoTags") or []), list(info.get("RepoDigests") or [])


def check_registry_roundtrip(logs: Path) -> str:
    """Push the production image to a local registry, remove every local reference to it (so that the image id
    is gone from the local store), pull it back: same digest, same image id, same OCI labels; the pulled image
    runs and becomes healthy. The tags the image had (IMAGE, this run's build tags) point at the pulled image
    right after the pull, so later checks run on the image that came back from the registry."""
    reg = Registry(registry_binary(), CLEAN.tempdir("registry"), logs / "registry.log")
    image_id = inspect(IMAGE, "{{.Id}}")
    size = int(inspect(IMAGE, "{{.Size}}"))
    labels = json.loads(inspect(IMAGE, "{{json .Config.Labels}}")) or {}
    ref = f"{HOST}:{reg.port}/{REGISTRY_REPO}:{PREFIX}"
    users = docker("ps", "-a", "--filter", f"ancestor={image_id}", "--format", "{{.Names}} ({{.Status}})",
                   quiet=True).out.split("\n")
    users = [u for u in users if u.strip()]
    require(not users, f"containers use {IMAGE} ({image_id[:19]}), so it cannot leave the local store: "
                       f"{'; '.join(users[:5])}")
    tags, digests = image_refs(image_id)
    backup = reg.config.parent / "image.tar"
    container = ""
    removed = False
    try:
        reg.start()
        docker("tag", IMAGE, ref)
        push = docker("push", ref, timeout=T_REGISTRY)
        m = re.search(rf"^{PREFIX}: digest: (sha256:[0-9a-f]{{64}}) size: \d+", push.out, re.M)
        require(m, f"docker push printed no digest:\n{tail(push.out)}")
        pushed = m.group(1)  # type: ignore[union-attr]
        served, manifest = reg.manifest(PREFIX)
        require(served == pushed, f"registry serves the tag as {served}, docker push said {pushed}")
        require(manifest.get("config", {}).get("digest") == image_id,
                f"the registry's manifest names config {manifest.get('config', {}).get('digest')}, not the image "
                f"{image_id}")
        layers = manifest.get("layers") or []
        compressed = sum(int(layer["size"]) for layer in layers)

        # Only the registry may hold the image while it is pulled: the saved copy restores the tags if
        # something fails before they point at the pulled image again.
        docker("save", "-o", str(backup), *tags, quiet=True, timeout=T_REGISTRY)
        removed = True
        for r in [ref, *tags]:
            docker("rmi", r, quiet=True)
        for d in digests:  # from an earlier pull of the same image, if any; gone with the last tag or not
            docker("rmi", d, check=False, quiet=True)
        require(docker("image", "inspect", ref, check=False, quiet=True).rc != 0, f"{ref} still there after rmi")
        require(docker("image", "inspect", image_id, check=False, quiet=True).rc != 0,
                f"image {image_id[:19]} still in the local store after removing {[ref, *tags, *digests]}")

        pull = docker("pull", ref, timeout=T_REGISTRY)
        for t in tags:
            docker("tag", ref, t, quiet=True)
        removed = False
        m = re.search(r"^Digest: (sha256:[0-9a-f]{64})", pull.out, re.M)
        require(m and m.group(1) == pushed, f"docker pull reports digest {m and m.group(1)}, pushed {pushed}")
        pulled_id = inspect(ref, "{{.Id}}")
        require(pulled_id == image_id, f"pulled image id {pulled_id}, pushed image {image_id}")
        repo_digests = json.loads(inspect(ref, "{{json .RepoDigests}}")) or []
        require(f"{HOST}:{reg.port}/{REGISTRY_REPO}@{pushed}" in repo_digests,
                f"pulled image's RepoDigests {repo_digests} lack {REGISTRY_REPO}@{pushed}")
        pulled_labels = json.loads(inspect(ref, "{{json .Config.Labels}}")) or {}
        require(pulled_labels == labels, f"labels after the pull {pulled_labels}, before the push {labels}")
        label_problems = oci_label_problems(pulled_labels, binary_version(ref))
        require(not label_problems, "pulled image: " + "; ".join(label_problems))
        downloaded = len(re.findall(r": Pull complete$", pull.out, re.M))
        present = len(re.findall(r": Already exists$", pull.out, re.M))

        container = cname("registry")
        port = free_port()
        t = time.monotonic()
        run_container(container, data_dir("registry"), port, *FAST_HEALTH, image=ref)
        healthy = wait_health(container, "healthy", since=t)
        r = http_get(port)
        require(r.status_code == 200, f"pulled image: GET /health HTTP {r.status_code} {r.text[:200]}")
        return (f"push {push.seconds:.1f}s, pull {pull.seconds:.1f}s ({downloaded} of {len(layers)} layers "
                f"downloaded{f', {present} already local' if present else ''}); image {size / 1e6:.1f} MB, "
                f"{compressed / 1e6:.1f} MB compressed; digest {pushed[:19]}… = registry's = pulled; same id "
                f"{image_id[7:19]}, OCI labels; healthy after {healthy:.1f}s")
    finally:
        if container:
            docker("rm", "-f", "-v", container, check=False, quiet=True)
        if removed:  # failed between the rmi and the re-tag: bring the tags back from the saved copy
            missing = [t for t in tags if docker("image", "inspect", t, check=False, quiet=True).rc != 0]
            if missing and backup.exists():
                log(f"registry check: restoring {missing} from {backup}")
                docker("load", "-i", str(backup), check=False, timeout=T_REGISTRY)
        docker("rmi", ref, check=False, quiet=True)  # the registry tag (and its repo digest); the tags stay
        reg.stop()


# ----------------------------------------------------------------------------------------------------------
# 3-5: one hardened container: health, uid, MCP, restart, SIGKILL during a burst


def proc_status(pid: str) -> dict[str, str]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        k, _, v = line.partition(":")
        fields[k] = v.strip()
    return fields


async def burst_and_kill(port: int, container: str) -> tuple[list[tuple[int, str]], int, float]:
    """BURST_WORKERS SDK sessions create tasks in a loop; SIGKILL the container mid-burst. Returns the
    acknowledged (id, title) pairs, the number of failed/unanswered calls, and the burst length."""
    acked: list[tuple[int, str]] = []
    errors = 0
    killed = anyio.Event()

    async def worker(w: int) -> None:
        nonlocal errors
        i = 0
        with anyio.move_on_after(BURST_MAX_SECONDS + 15):
            try:
                async with mcp_session(port) as s:
                    while True:
                        title = f"burst {PREFIX} w{w} #{i}"
                        try:
                            res = await call(s, "create_task", {"title": title, "created_by": f"burst-{w}"})
                        except Exception:
                            errors += 1
                            return
                        acked.append((int(res["id"]), title))
                        i += 1
            except Exception:  # the session breaking when the container dies
                errors += 1

    started = time.monotonic()
    async with anyio.create_task_group() as tg:
        for w in range(BURST_WORKERS):
            tg.start_soon(worker, w)
        while len(acked) < BURST_MIN_ACKS and time.monotonic() - started < BURST_MAX_SECONDS:
            await anyio.sleep(0.02)
        burst = time.monotonic() - started
        await anyio.to_thread.run_sync(lambda: docker("kill", "-s", "KILL", container))
        killed.set()
        await anyio.sleep(3.0)  # let the clients notice; then stop them
        tg.cancel_scope.cancel()
    return acked, errors, burst


def group_container(logs: Path) -> None:
    name = cname("main")
    data = data_dir("main")
    port = free_port()
    board: Board | None = None
    started_ok = False

    def c3_health() -> str:
        nonlocal started_ok
        t = time.monotonic()
        run_container(name, data, port)
        secs = wait_health(name, "healthy", since=t)
        started_ok = True
        return f"healthy after {secs:.1f}s (image HEALTHCHECK, interval 10s)"

    def c3_http() -> str:
        require(started_ok, "container did not start")
        r = http_get(port)
        require(r.status_code == 200, f"GET /health: HTTP {r.status_code} {r.text[:200]}")
        body = r.json()
        return f"200 {body.get('status')}, db {body.get('database', {}).get('path')}"

    def c3_uid() -> str:
        require(started_ok, "container did not start")
        top = docker("top", name, "-eo", "uid,pid,comm", quiet=True).out.splitlines()
        rows = [ln.split() for ln in top[1:] if ln.strip()]
        require(rows, f"docker top shows no process: {top}")
        uids = {r[0] for r in rows}
        require(uids == {str(APP_UID)}, f"docker top: processes run as uid {uids}: {rows}")
        pid = inspect(name, "{{.State.Pid}}")
        st = proc_status(pid)
        uid_line = st.get("Uid", "").split()
        require(uid_line and all(u == str(APP_UID) for u in uid_line), f"/proc/{pid}/status Uid: {st.get('Uid')}")
        require(int(st.get("CapEff", "1"), 16) == 0, f"/proc/{pid}/status CapEff {st.get('CapEff')} (want 0)")
        require(st.get("NoNewPrivs") == "1", f"/proc/{pid}/status NoNewPrivs {st.get('NoNewPrivs')}")
        ro = inspect(name, "{{.HostConfig.ReadonlyRootfs}}")
        require(ro == "true", f"ReadonlyRootfs {ro}")
        # The read-only root really is read-only: the binary's own backup command cannot write outside /data.
        w = docker("exec", name, "/usr/local/bin/tinytask", "backup", "/probe.db", check=False, quiet=True)
        require(w.rc != 0, "writing /probe.db inside the container succeeded despite --read-only")
        return f"uid {APP_UID} (docker top + /proc/{pid}/status), CapEff 0, NoNewPrivs 1, rootfs read-only"

    def c4_mcp() -> str:
        nonlocal board
        require(started_ok, "container did not start")
        t = time.monotonic()
        board = mcp_write(port)
        summary = mcp_verify(port, board)
        db = data / "tinytask.db"
        require(db.is_file(), f"{db} does not exist on the host")
        st = db.stat()
        require(st.st_uid == APP_UID, f"{db} owned by uid {st.st_uid}, expected {APP_UID}")
        return f"{summary} via SDK in {time.monotonic() - t:.1f}s; {db.name} on host ({st.st_size} B, uid {st.st_uid})"

    def c4_backup() -> str:
        require(board is not None, "no data written")
        r = docker("exec", name, "/usr/local/bin/tinytask", "backup", "/data/backup.db", check=False)
        require(r.rc == 0, f"tinytask backup exit {r.rc}: {tail(r.out, 5)}")
        integrity, tasks = sqlite_check(data, "backup.db")
        require(integrity == "ok", f"backup integrity_check: {integrity}")
        missing = [i for i in board.tasks if i not in tasks]
        require(not missing, f"backup lacks tasks {missing}")
        return f"online backup: {len(tasks)} tasks, integrity ok"

    def c5_restart() -> str:
        require(board is not None, "no data written")
        t = time.monotonic()
        docker("restart", "-t", "10", name)
        wait_http_ok(port, container=name)
        secs = time.monotonic() - t
        return f"{mcp_verify(port, board)} after restart ({secs:.1f}s to /health 200)"

    def c5_kill() -> str:
        require(board is not None, "no data written")
        acked, errors, burst = anyio.run(burst_and_kill, port, name)
        require(len(acked) >= 10, f"only {len(acked)} writes acknowledged before the kill")
        code = inspect(name, "{{.State.ExitCode}}")
        require(code == "137", f"exit code after SIGKILL: {code}")
        # 1) the files exactly as SIGKILL left them (recovered on a copy)
        integrity, tasks = sqlite_check(data)
        require(integrity == "ok", f"integrity_check right after SIGKILL: {integrity}")
        lost = [(i, t) for i, t in acked if tasks.get(i) != t]
        require(not lost, f"{len(lost)} acknowledged tasks missing right after SIGKILL: {lost[:5]}")
        # 2) the server restarted on those files
        docker("start", name)
        wait_http_ok(port, container=name)
        verified = anyio.run(verify_acked, port, acked)
        mcp_verify(port, board)
        # 3) graceful stop, then the file itself
        docker("stop", "-t", "10", name)
        code = inspect(name, "{{.State.ExitCode}}")
        require(code == "0", f"exit code of the graceful stop after the restart: {code}")
        integrity2, tasks2 = sqlite_check(data)
        require(integrity2 == "ok", f"integrity_check after restart + stop: {integrity2}")
        lost2 = [i for i, t in acked if tasks2.get(i) != t]
        require(not lost2, f"{len(lost2)} acknowledged tasks missing after restart: {lost2[:5]}")
        wal = data / "tinytask.db-wal"
        wal_size = wal.stat().st_size if wal.exists() else 0
        burst_ids = [i for i, t in tasks2.items() if t.startswith(f"burst {PREFIX}")]
        return (f"{len(acked)} acked in {burst:.1f}s by {BURST_WORKERS} writers, {errors} cut off; all {verified} "
                f"there after restart ({len(burst_ids)} burst rows incl. unacked); integrity ok (after kill and "
                f"after stop); -wal after stop {wal_size} B")

    run_group([
        ("3 container healthy (--read-only, cap-drop ALL)", c3_health),
        ("3 GET /health 200", c3_http),
        ("3 runs as uid 65532, hardened", c3_uid),
        ("4 MCP SDK: tasks, comments, links; db on host", c4_mcp),
        ("4 backup subcommand (online copy)", c4_backup),
        ("5 persist: docker restart", c5_restart),
        ("5 persist: SIGKILL during write burst", c5_kill),
    ])


async def write_result(port: int, description: str) -> str:
    """One create_task: 'ok: <id>' or 'error: <the tool's error text>'."""
    async with mcp_session(port) as s:
        with anyio.fail_after(T_MCP):
            res = await s.call_tool("create_task", {"title": f"{PREFIX} health probe", "created_by": "acc",
                                                    "description": description})
    text = "".join(getattr(c, "text", "") for c in res.content)
    return f"error: {text}" if res.is_error else f"ok: {json.loads(text)['id']}"


async def verify_acked(port: int, acked: list[tuple[int, str]]) -> int:
    async with mcp_session(port) as s:
        listed = await call(s, "list_tasks", {})
        by_id = {t["id"]: t["title"] for t in listed.get("tasks", [])}
        lost = [(i, t) for i, t in acked if by_id.get(i) != t]
        require(not lost, f"{len(lost)} acknowledged tasks not served after restart: {lost[:5]}")
        for i, t in acked[:: max(1, len(acked) // 5)]:  # and a few read individually
            got = await call(s, "get_task", {"id": i})
            require(got["title"] == t, f"task {i}: {got['title']!r} != {t!r}")
    return len(acked)


# ----------------------------------------------------------------------------------------------------------
# 6: health tells the truth


def group_health_truth(logs: Path) -> None:
    name = cname("health")
    data = data_dir("health")
    port = free_port()
    ready = False
    db = data / "tinytask.db"

    def setup() -> None:
        nonlocal ready
        run_container(name, data, port, "--health-interval", "2s", "--health-retries", "2", "--health-timeout", "2s")
        wait_health(name, "healthy")
        require(db.exists(), f"{db} not created")
        ready = True

    def c6_readonly() -> str:
        # /health reports the write path's real state (docs/HTTP.md): a `chmod 0444` under a server that holds
        # the file open changes nothing for it, so the files are made immutable (`chattr +i`, honoured for
        # already-open descriptors, as tests/python/test_faults.py does) and a real write must fail.
        setup()
        files = [db, data / "tinytask.db-wal"]
        require(shutil.which("chattr"), "chattr is not installed (e2fsprogs)")
        first = anyio.run(write_result, port, "before")
        require(first.startswith("ok: "), f"a write before chattr +i failed: {first}")
        require(all(f.exists() for f in files), f"missing {[str(f) for f in files if not f.exists()]}")
        sh(["chattr", "+i", *map(str, files)], quiet=True)
        try:
            t = time.monotonic()
            err = anyio.run(write_result, port, "x" * 5000)
            require(err.startswith("error: "), f"a write to the immutable database was acknowledged: {err}")
            secs = wait_health(name, "unhealthy", timeout=30, since=t)
            r = http_get(port)
            require(r.status_code == 503, f"/health after a failed write: HTTP {r.status_code}")
            failing = r.json().get("failing")
        finally:
            sh(["chattr", "-i", *map(str, files)], quiet=True, check=False)
        t2 = time.monotonic()
        ok = anyio.run(write_result, port, "writable again")
        require(ok.startswith("ok: "), f"the first write after chattr -i failed: {ok}")
        back = wait_health(name, "healthy", timeout=30, since=t2)
        return (f"write refused ({short(err[7:], 90)}), unhealthy {secs:.1f}s after chattr +i (/health 503 "
                f"{failing}); after chattr -i a write commits, healthy again {back:.1f}s later")

    def c6_removed() -> str:
        require(ready, "container not ready")
        t = time.monotonic()
        db.unlink()
        secs = wait_health(name, "unhealthy", timeout=30, since=t)
        r = http_get(port)
        require(r.status_code == 503, f"/health with the db removed: HTTP {r.status_code}")
        return f"unhealthy {secs:.1f}s after rm tinytask.db (/health 503 {r.json().get('failing')})"

    run_group([
        ("6 health: db immutable, write fails -> unhealthy", c6_readonly),
        ("6 health: db removed -> unhealthy", c6_removed),
    ])


# ----------------------------------------------------------------------------------------------------------
# 7: configuration


def group_config(logs: Path) -> None:
    def c7_port() -> str:
        _, port, secs = start_healthy("port4000", "-e", "TINYTASK_PORT=4000", container_port=4000)
        r = http_get(port)
        require(r.status_code == 200, f"/health via 127.0.0.1:{port}->4000: HTTP {r.status_code}")
        mcp = raw_initialize(port)
        return f"serves on 4000 (127.0.0.1:{port}->4000), initialize ok ({mcp['serverInfo']['name']}), " \
               f"healthy after {secs:.1f}s"

    def c7_db_path() -> str:
        data = data_dir("dbpath")
        _, port, _ = start_healthy("dbpath", "-e", "TINYTASK_DB_PATH=/data/sub/custom.db", data=data)
        f = data / "sub" / "custom.db"
        require(f.is_file(), f"{f} missing; {data} holds {[p.name for p in data.rglob('*')]}")
        require(not (data / "tinytask.db").exists(), "tinytask.db was created too")
        body = http_get(port).json()
        return f"{f.relative_to(data.parent)} created (uid {f.stat().st_uid}); /health db {body['database']['path']}"

    def c7_bogus() -> str:
        name = cname("bogus")
        t = time.monotonic()
        run_container(name, data_dir("bogus"), None, "-e", "TINYTASK_MODE=bogus")
        r = docker("wait", name, timeout=20)
        secs = time.monotonic() - t
        code = r.out.strip()
        out = docker("logs", name, quiet=True).out
        lines = [ln for ln in out.splitlines() if ln.strip()]
        require(code == "2", f"exit status {code} (want 2); log: {out!r}")
        require(len(lines) == 1, f"log has {len(lines)} lines (want 1): {out!r}")
        line = lines[0]
        require("TINYTASK_MODE" in line and all(v in line for v in ("stdio", "http", "sse", "both")),
                f"log line does not name TINYTASK_MODE and the allowed values: {line!r}")
        return f"exit 2 in {secs:.1f}s: {line.strip()}"

    def c7_unwritable() -> str:
        name = cname("unwritable")
        data = data_dir("unwritable", owner=0, mode=0o755)
        t = time.monotonic()
        run_container(name, data, None)
        r = docker("wait", name, timeout=20, check=False)
        secs = time.monotonic() - t
        require(r.rc == 0, f"container still running 20s after start with an unwritable /data: "
                           f"{container_logs(name)}")
        code = r.out.strip()
        out = docker("logs", name, quiet=True).out.strip()
        require(code != "0", f"exit status 0 with an unwritable /data; log: {out!r}")
        require(secs < 10, f"took {secs:.1f}s to exit (want: at once)")
        lines = [ln for ln in out.splitlines() if ln.strip()]
        msg = next((ln for ln in lines if "/data" in ln), out)
        wanted = {"path /data": "/data" in msg, "owner 0:0": bool(re.search(r"\b0:0\b|owned by (uid )?0\b|root", msg)),
                  f"uid {APP_UID}": str(APP_UID) in msg, "chown fix": "chown" in msg}
        missing = [k for k, ok in wanted.items() if not ok]
        require(not missing, f"exit {code}; message lacks {missing}: {short(out, 500)!r}")
        return f"exit {code} in {secs:.1f}s: {short(msg.strip(), 160)}"

    run_group([
        ("7 config: TINYTASK_PORT=4000 (healthcheck follows)", c7_port),
        ("7 config: TINYTASK_DB_PATH=/data/sub/custom.db", c7_db_path),
        ("7 config: TINYTASK_MODE=bogus -> exit 2, one line", c7_bogus),
        ("7 config: unwritable /data -> clear exit", c7_unwritable),
    ])


# ----------------------------------------------------------------------------------------------------------
# 8: docker stop with open SSE clients


def group_stop(logs: Path) -> None:
    def c8() -> str:
        name, port, _ = start_healthy("stop")
        socks: list[socket.socket] = []
        try:
            for _ in range(SSE_CLIENTS):
                s = socket.create_connection((HOST, port), timeout=5)
                s.sendall(f"GET /sse HTTP/1.1\r\nHost: {HOST}:{port}\r\nAccept: text/event-stream\r\n\r\n".encode())
                socks.append(s)
            for s in socks:  # each stream is open once its `endpoint` event arrived
                buf = b""
                deadline = time.monotonic() + 5
                while b"endpoint" not in buf and time.monotonic() < deadline:
                    chunk = s.recv(4096)
                    require(chunk, f"SSE stream closed before its endpoint event: {buf[:200]!r}")
                    buf += chunk
                require(b"200" in buf.split(b"\r\n", 1)[0] and b"endpoint" in buf,
                        f"GET /sse did not open a stream: {buf[:300]!r}")
            sessions = http_get(port).json().get("sessions", {})
            t = time.monotonic()
            docker("stop", "-t", "10", name)
            secs = time.monotonic() - t
            code = inspect(name, "{{.State.ExitCode}}")
            ended = 0
            for s in socks:  # the server ended the streams (EOF), it did not just vanish
                s.settimeout(2)
                with contextlib.suppress(OSError):
                    while True:
                        if not s.recv(65536):
                            ended += 1
                            break
        finally:
            for s in socks:
                s.close()
        require(code == "0", f"exit code {code} after docker stop (want 0); logs:\n{container_logs(name)}")
        require(secs < STOP_LIMIT_S, f"docker stop took {secs:.2f}s with {SSE_CLIENTS} SSE clients "
                                     f"(limit {STOP_LIMIT_S}s)")
        return (f"{secs:.2f}s, exit 0, {SSE_CLIENTS} SSE clients open (health: {sessions.get('legacy_sse')} "
                f"legacy sessions), {ended}/{SSE_CLIENTS} streams ended cleanly")

    run_group([
        ("8 docker stop with 20 SSE clients: < 3 s, exit 0", c8),
    ])


# ----------------------------------------------------------------------------------------------------------
# 9 (+5): production compose, bind mount and named volume


def compose_cmd(project: str, files: list[str]) -> list[str]:
    args = list(Env.compose)
    for f in files:
        args += ["-f", f]
    return [*args, "-p", project]


def compose_service_container(cmd: list[str], cwd: Path, env: dict[str, str], service: str) -> str:
    cid = sh([*cmd, "ps", "-q", service], cwd=cwd, env=env, quiet=True).out.strip()
    require(cid, f"no container for service {service}")
    return cid.splitlines()[-1]


def group_compose(logs: Path) -> None:
    work = snapshot_repo(CLEAN.tempdir("compose"))

    def c9_files() -> str:
        problems = []
        for f in ("docker-compose.yml", "docker-compose.volume.yml", "docker-compose.dev.yml"):
            if re.search(r"^version\s*:", (work / f).read_text(), re.M):
                problems.append(f"{f} has a top-level version: key")
        env = {"TINYTASK_PORT": "3000"}
        normalized = ""
        for files in (["docker-compose.yml"], ["docker-compose.yml", "docker-compose.volume.yml"],
                      ["docker-compose.dev.yml"]):
            r = sh([*compose_cmd(f"{PREFIX}cfg", files), "config"], cwd=work, env=env, check=False, quiet=True)
            m = re.search(r"^version\s*:\s*(\S+)", r.out, re.M)
            if r.rc != 0:
                problems.append(f"config {files}: {tail(r.out, 3)}")
            elif m and Env.compose == ["docker-compose"]:
                # Compose v1 adds its own normalized `version:` to the output of a file that has none.
                normalized = f" (v1's `config` output adds its own version: {m.group(1)})"
            elif m:
                problems.append(f"`config` of {files} shows version: {m.group(1)}")
        require(not problems, "; ".join(problems))
        return f"3 files valid via `config`; no version: key in the files{normalized}"

    def c9_bind() -> str:
        project = f"{PREFIX}bind"
        port = free_port()
        env = {"TINYTASK_PORT": str(port), "TINYTASK_UID": str(APP_UID), "TINYTASK_GID": str(APP_UID)}
        cmd = compose_cmd(project, ["docker-compose.yml"])
        CLEAN.project(cmd, work, env)
        data = work / "data"  # what `just prod` does as root: mkdir data; chown 65532:65532 data
        data.mkdir(exist_ok=True)
        os.chown(data, APP_UID, APP_UID)
        t = time.monotonic()
        sh([*cmd, "up", "-d"], cwd=work, env=env, timeout=T_COMPOSE)
        cid = compose_service_container(cmd, work, env, "tinytask")
        secs = wait_health(cid, "healthy", since=t)
        r = http_get(port)
        require(r.status_code == 200, f"/health HTTP {r.status_code}")
        ports = inspect(cid, "{{json .NetworkSettings.Ports}}")
        require(f'"HostIp":"{HOST}"' in ports.replace(" ", ""), f"published ports not on {HOST}: {ports}")
        top = [ln.split()[0] for ln in docker("top", cid, "-eo", "uid,pid", quiet=True).out.splitlines()[1:] if ln.strip()]
        require(set(top) == {str(APP_UID)}, f"compose container runs as uid {set(top)}")
        board = mcp_write(port)
        require((data / "tinytask.db").is_file(), "no ./data/tinytask.db on the host")
        # down + up (no -v): the data is still there
        t2 = time.monotonic()
        sh([*cmd, "down"], cwd=work, env=env, timeout=T_COMPOSE)
        sh([*cmd, "up", "-d"], cwd=work, env=env, timeout=T_COMPOSE)
        cid2 = compose_service_container(cmd, work, env, "tinytask")
        require(cid2 != cid, "compose down + up reused the same container")
        wait_http_ok(port, container=cid2)
        down_up = time.monotonic() - t2
        summary = mcp_verify(port, board)
        State.compose_persist = f"{summary} after down + up ({down_up:.1f}s)"
        sh([*cmd, "down", "-v"], cwd=work, env=env, timeout=T_COMPOSE)
        return f"healthy after {secs:.1f}s, /health 200, uid {APP_UID}, ./data/tinytask.db on host"

    def c5_compose() -> str:
        require(State.compose_persist, "compose bind-mount check did not get that far")
        return State.compose_persist

    def c9_volume() -> str:
        project = f"{PREFIX}vol"
        port = free_port()
        env = {"TINYTASK_PORT": str(port)}
        cmd = compose_cmd(project, ["docker-compose.yml", "docker-compose.volume.yml"])
        CLEAN.project(cmd, work, env)
        t = time.monotonic()
        sh([*cmd, "up", "-d"], cwd=work, env=env, timeout=T_COMPOSE)
        cid = compose_service_container(cmd, work, env, "tinytask")
        secs = wait_health(cid, "healthy", since=t)
        mounts = json.loads(inspect(cid, "{{json .Mounts}}"))
        vol = [m for m in mounts if m.get("Destination") == "/data"]
        require(vol and vol[0].get("Type") == "volume", f"/data is not a named volume: {mounts}")
        board = mcp_write(port)
        sh([*cmd, "down"], cwd=work, env=env, timeout=T_COMPOSE)
        sh([*cmd, "up", "-d"], cwd=work, env=env, timeout=T_COMPOSE)
        cid2 = compose_service_container(cmd, work, env, "tinytask")
        wait_http_ok(port, container=cid2)
        summary = mcp_verify(port, board)
        sh([*cmd, "down", "-v"], cwd=work, env=env, timeout=T_COMPOSE)
        left = docker("volume", "ls", "-q", "--filter", f"name={vol[0].get('Name')}", quiet=True).out.strip()
        require(not left, f"volume {left} still there after down -v")
        return f"healthy after {secs:.1f}s, volume {vol[0].get('Name')}; {summary} after down + up; down -v removed it"

    run_group([
        ("9 compose files: valid, no version: key", c9_files),
        ("9 compose up -d (bind ./data) healthy", c9_bind),
        ("5 persist: compose down + up (no -v)", c5_compose),
        ("9 compose named-volume variant", c9_volume),
    ])


class State:
    compose_persist = ""


# ----------------------------------------------------------------------------------------------------------
# 12: the Python SDK tool suites against the production container, started as docker-compose.yml starts it


COMPOSE_UID = 1000  # docker-compose.yml's default user: "${TINYTASK_UID:-1000}:${TINYTASK_GID:-1000}"
# tests/python modules run against the container (TINYTASK_TARGET_URL); the first three must run completely
# (test_events.py is not among them: it reads the feed from cursor 0, which a shared board does not allow.)
SUITE_FILES = ("test_tools.py", "test_errors.py", "test_workflow.py", "test_protocol.py",
               "test_coordination_claims.py", "test_coordination_wait.py", "test_dependencies.py", "test_search.py",
               "test_rest.py")
FULL_FILES = ("test_tools.py", "test_errors.py", "test_workflow.py")
# The same suites again with the SDK pinned to 2026-07-28 (TINYTASK_PY_ERA=modern, issue 13); test_rest.py does
# not speak MCP. scripts/test.sh runs this list against the local binary (stdio and Streamable HTTP).
MODERN_SUITE_FILES = tuple(f for f in SUITE_FILES if f != "test_rest.py")
# Skip reasons the runs accept: the stdio-only tests (both eras), and tests of what the modern era removed.
SKIP_MARKS = {"legacy": ("TINYTASK_TARGET_URL",), "modern": ("TINYTASK_TARGET_URL", "TINYTASK_PY_ERA")}
T_SUITE = 15 * 60
HEALTH_POLL = 1.0
DURABLE_ROUNDS = 8  # tasks per durability round (each: create, update parent+blocker, comment, link)


def parse_docker_time(text: str) -> float:
    """Epoch seconds of a Docker timestamp (RFC 3339 with nanoseconds, `Z` or an offset)."""
    m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)?", text or "")
    if not m:
        return 0.0
    frac = (m.group(2) or ".0")[:7]
    tz = m.group(3) or "Z"
    return datetime.fromisoformat(m.group(1) + frac + ("+00:00" if tz == "Z" else tz)).timestamp()


class HealthMonitor:
    """Samples `docker inspect` .State.Health every second in a thread. Docker keeps only the last 5 runs in
    .State.Health.Log; polling collects every run (keyed by its start time) and every status sample."""

    def __init__(self, container: str) -> None:
        self.container = container
        self.t0 = time.time()
        self.samples: list[tuple[float, str, int]] = []  # (epoch, status, FailingStreak)
        self.runs: dict[str, dict[str, Any]] = {}  # Start -> log entry (+ "start_ts", "end_ts")
        self.poll_errors = 0
        self.lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="health-monitor", daemon=True)

    def start(self) -> HealthMonitor:
        self._thread.start()
        return self

    def poll(self) -> None:
        out = docker("inspect", "-f", "{{json .State.Health}}", self.container, quiet=True, check=False)
        t = time.time()
        try:
            health = json.loads(out.out.strip())
        except ValueError:
            health = None
        with self.lock:
            if out.rc != 0 or not isinstance(health, dict):
                self.poll_errors += 1
                return
            self.samples.append((t, str(health.get("Status", "")), int(health.get("FailingStreak") or 0)))
            for e in health.get("Log") or []:
                if e.get("Start") not in self.runs:
                    self.runs[e.get("Start")] = dict(e, start_ts=parse_docker_time(e.get("Start", "")),
                                                     end_ts=parse_docker_time(e.get("End", "")))

    def _loop(self) -> None:
        while True:
            self.poll()
            if self._stop.wait(HEALTH_POLL):
                return

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(15)
        self.poll()

    def runs_between(self, since: float, until: float | None = None) -> list[dict[str, Any]]:
        with self.lock:
            runs = sorted(self.runs.values(), key=lambda r: r["start_ts"])
        return [r for r in runs if r["start_ts"] >= since and (until is None or r["start_ts"] <= until)]

    def wait_run_after(self, since: float, timeout: float) -> dict[str, Any]:
        """The first healthcheck run that started after `since` (epoch), once Docker has logged it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            runs = self.runs_between(since)
            if runs:
                return runs[0]
            time.sleep(0.2)
        raise Failure(f"no healthcheck ran within {timeout:.0f}s after {datetime.fromtimestamp(since):%H:%M:%S}")

    def history(self) -> str:
        """Status transitions relative to `docker compose up`, e.g. 'starting 0.3-10.6s, healthy 10.6-98.2s'."""
        with self.lock:
            samples = list(self.samples)
        if not samples:
            return "no samples"
        parts: list[list[Any]] = []
        for t, status, _ in samples:
            if parts and parts[-1][0] == status:
                parts[-1][2] = t
            else:
                parts.append([status, t, t])
        return ", ".join(f"{st} {a - self.t0:.1f}-{b - self.t0:.1f}s" for st, a, b in parts)


READER_SCRIPT = r"""
import json, sqlite3, sys
con = None
for line in sys.stdin:
    cmd = json.loads(line)
    try:
        if cmd["op"] == "open":
            con = sqlite3.connect(cmd["path"], timeout=10)
            out = {"ok": True}
        elif cmd["op"] == "query":
            out = {"ok": True, "rows": con.execute(cmd["sql"]).fetchall()}
        elif cmd["op"] == "close":
            con.close()
            con = None
            out = {"ok": True}
        else:
            out = {"ok": False, "error": "unknown op"}
    except Exception as e:
        out = {"ok": False, "error": type(e).__name__ + ": " + str(e)}
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
"""


class HostReader:
    """Another process on the host with an ordinary (read-write) sqlite3 connection to the database the container
    is serving, as an operator's `sqlite3 data/tinytask.db` would be; it runs as the container's uid, so any file
    SQLite creates keeps the server's owner. Its close is where SQLite checkpoints and deletes the WAL when it
    can lock the database exclusively, i.e. when the server's own locks are gone."""

    def __init__(self, db: Path, uid: int) -> None:
        self.db = db
        self.proc: subprocess.Popen | None = None
        # The system python first: the venv's interpreter may live where uid 1000 cannot reach (/root/.pyenv).
        for exe in dict.fromkeys(["/usr/bin/python3", os.path.realpath(sys.executable)]):
            if not os.path.exists(exe):
                continue
            with contextlib.suppress(PermissionError):
                self.proc = subprocess.Popen([exe, "-I", "-c", READER_SCRIPT], cwd="/", stdin=subprocess.PIPE,
                                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, user=uid,
                                             group=uid, extra_groups=[], start_new_session=True)
                break
        require(self.proc is not None, f"no python3 that uid {uid} may run for the host sqlite3 reader")
        with _print_lock:
            RUNNING.add(self.proc)
        self.op("open", path=str(db))

    def op(self, op: str, timeout: float = 20.0, **kw: Any) -> Any:
        import select

        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps({"op": op, **kw}) + "\n")
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if ready else ""
        if not line:
            self.kill()
            raise Failure(f"host sqlite3 reader: no answer to {op} within {timeout:.0f}s "
                          f"(stderr: {short(self.proc.stderr.read() if self.proc.stderr else '')})")
        res = json.loads(line)
        require(res.get("ok"), f"host sqlite3 reader: {op} {kw.get('sql', '')}: {res.get('error')}")
        return res.get("rows")

    def ids(self, table: str) -> set[int]:
        return {int(r[0]) for r in self.op("query", sql=f"SELECT id FROM {table}")}

    def close(self) -> None:
        self.op("close")
        self.kill()

    def kill(self) -> None:
        with contextlib.suppress(Exception):
            assert self.proc.stdin
            self.proc.stdin.close()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        with _print_lock:
            RUNNING.discard(self.proc)


def unseen(reader: HostReader, acked: Acked) -> str:
    """What `reader` does not see of the acknowledged writes ('' when it sees all of them)."""
    t_ids, c_ids, l_ids = reader.ids("tasks"), reader.ids("comments"), reader.ids("links")
    parts = [f"{what} {sorted(ids_)[:12]}" for what, ids_ in (
        ("tasks missing", acked.tasks - t_ids), ("comments missing", acked.comments - c_ids),
        ("links missing", acked.links - l_ids), ("deleted tasks still there", acked.deleted & t_ids)) if ids_]
    return "; ".join(parts)


def deleted_open_files(pid: str, data: Path) -> list[str]:
    """Files the server process holds open that were unlinked (`… (deleted)` in /proc/<pid>/fd), e.g. a WAL
    removed under it by another connection's close: its later writes would be invisible to every other reader
    and gone after a restart."""
    found = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.endswith(" (deleted)") and ("tinytask" in target or target.startswith("/data")):
                found.append(target)
    return found


@dataclass
class Acked:
    """Writes the server acknowledged (ids), and tasks it acknowledged deleting."""
    tasks: set[int]
    comments: set[int]
    links: set[int]
    deleted: set[int]
    updates: int = 0

    def add(self, other: Acked) -> Acked:
        return Acked(self.tasks | other.tasks, self.comments | other.comments, self.links | other.links,
                     self.deleted | other.deleted, self.updates + other.updates)

    def describe(self) -> str:
        return (f"{len(self.tasks)} tasks, {self.updates} parent/blocker updates, {len(self.comments)} comments, "
                f"{len(self.links)} links, {len(self.deleted)} deletions")


async def durable_writes(port: int, tag: str, n: int = DURABLE_ROUNDS) -> Acked:
    """Creates tasks and changes them with every kind of write (the `update_task` of parent + blocker is the
    statement that needed a temp file on the read-only root before temp_store=MEMORY), one SDK session."""
    acked = Acked(set(), set(), set(), set())
    async with mcp_session(port) as s:
        root = await call(s, "create_task", {"title": f"{PREFIX} {tag} root", "created_by": "durability",
                                             "queue_name": f"dur-{tag}"})
        acked.tasks.add(root["id"])
        prev = root["id"]
        for i in range(n):
            t = await call(s, "create_task", {"title": f"{PREFIX} {tag} #{i}", "created_by": "durability",
                                              "priority": i, "tags": [tag]})
            acked.tasks.add(t["id"])
            await call(s, "update_task", {"id": t["id"], "parent_task_id": root["id"],
                                          "blocked_by_task_id": prev if i % 2 else None,
                                          "status": "working" if i % 3 == 0 else "idle", "changed_by": "durability"})
            acked.updates += 1
            c = await call(s, "add_comment", {"task_id": t["id"], "content": f"{tag} comment {i}", "created_by": "d"})
            acked.comments.add(c["id"])
            link = await call(s, "add_link", {"task_id": t["id"], "url": f"https://example.com/{tag}/{i}"})
            acked.links.add(link["id"])
            prev = t["id"]
        gone = await call(s, "create_task", {"title": f"{PREFIX} {tag} deleted", "created_by": "durability"})
        await call(s, "delete_task", {"id": gone["id"]})
        acked.deleted.add(gone["id"])
    return acked


async def board_state(port: int) -> dict[int, dict[str, Any]]:
    """Every task (archived too) as get_task serves it: fields, comments, links and history."""
    async with mcp_session(port) as s:
        listed = await call(s, "list_tasks", {"include_archived": True})
        return {t["id"]: await call(s, "get_task", {"id": t["id"]}) for t in listed["tasks"]}


def db_facts(data: Path) -> tuple[str, dict[str, Any]]:
    """integrity_check and the rows of the database as the files are (read on a copy, like sqlite_check)."""
    scratch = Path(tempfile.mkdtemp(prefix=f"{PREFIX}-sqlite-"))
    try:
        for suffix in ("", "-wal"):
            src = data / f"tinytask.db{suffix}"
            if src.exists():
                shutil.copy2(src, scratch / src.name)
        require((scratch / "tinytask.db").exists(), f"{data / 'tinytask.db'} does not exist")
        con = sqlite3.connect(str(scratch / "tinytask.db"))
        try:
            integrity = "; ".join(r[0] for r in con.execute("PRAGMA integrity_check"))
            facts = {
                "tasks": {int(r[0]): tuple(r[1:]) for r in con.execute(
                    "SELECT id, title, status, parent_task_id, blocked_by_task_id, queue_name, "
                    "archived_at IS NOT NULL FROM tasks")},
                "comments": {int(r[0]) for r in con.execute("SELECT id FROM comments")},
                "links": {int(r[0]) for r in con.execute("SELECT id FROM links")},
                "history": con.execute("SELECT count(*) FROM task_history").fetchone()[0],
            }
        finally:
            con.close()
        return integrity, facts
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def state_facts(state: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """The same facts as db_facts, from what the server served."""
    return {
        "tasks": {i: (t["title"], t["status"], t["parent_task_id"], t["blocked_by_task_id"], t["queue_name"],
                      int(t["archived_at"] is not None)) for i, t in state.items()},
        "comments": {c["id"] for t in state.values() for c in t["comments"]},
        "links": {link["id"] for t in state.values() for link in t["links"]},
        "history": sum(len(t["history"]) for t in state.values()),
    }


def diff_facts(got: dict[str, Any], want: dict[str, Any]) -> list[str]:
    problems = []
    for i, row in want["tasks"].items():
        if got["tasks"].get(i) != row:
            problems.append(f"task {i}: {got['tasks'].get(i)!r}, served before: {row!r}")
    extra = set(got["tasks"]) - set(want["tasks"])
    if extra:
        problems.append(f"tasks not served before: {sorted(extra)[:10]}")
    for k in ("comments", "links"):
        if got[k] != want[k]:
            problems.append(f"{k}: missing {sorted(want[k] - got[k])[:10]}, extra {sorted(got[k] - want[k])[:10]}")
    if got["history"] != want["history"]:
        problems.append(f"history rows: {got['history']}, served before: {want['history']}")
    return problems


def parse_junit(xml: Path) -> tuple[dict[str, dict[str, int]], list[tuple[str, str]], dict[str, int]]:
    """Per module {passed, failed, skipped}; the failures and errors ('module::test', first line of the message),
    in run order; skip reasons with counts."""
    import xml.etree.ElementTree as ET

    per: dict[str, dict[str, int]] = {}
    failures: list[tuple[str, str]] = []
    reasons: dict[str, int] = {}
    for case in ET.parse(xml).getroot().iter("testcase"):
        module = case.get("classname", "").split(".")[-1] + ".py"
        c = per.setdefault(module, {"passed": 0, "failed": 0, "skipped": 0})
        bad = case.find("failure")
        if bad is None:
            bad = case.find("error")
        skipped = case.find("skipped")
        if bad is not None:
            c["failed"] += 1
            msg = (bad.get("message") or bad.text or "").strip().splitlines()
            failures.append((f"{module}::{case.get('name')}", msg[0][:300] if msg else "?"))
        elif skipped is not None:
            c["skipped"] += 1
            reason = (skipped.get("message") or "").strip()
            reasons[reason] = reasons.get(reason, 0) + 1
        else:
            c["passed"] += 1
    return per, failures, reasons


def container_facts(cid: str, data: Path, port: int) -> str:
    """The options docker-compose.yml gave the container, as the engine applied them."""
    hc = json.loads(inspect(cid, "{{json .HostConfig}}"))
    conf = json.loads(inspect(cid, "{{json .Config}}"))
    mounts = json.loads(inspect(cid, "{{json .Mounts}}"))
    problems = []
    if hc.get("ReadonlyRootfs") is not True:
        problems.append(f"ReadonlyRootfs {hc.get('ReadonlyRootfs')}")
    if [c.upper() for c in hc.get("CapDrop") or []] != ["ALL"]:
        problems.append(f"CapDrop {hc.get('CapDrop')}")
    if hc.get("CapAdd"):
        problems.append(f"CapAdd {hc.get('CapAdd')}")
    if not any(o.startswith("no-new-privileges") and not o.endswith("false") for o in hc.get("SecurityOpt") or []):
        problems.append(f"SecurityOpt {hc.get('SecurityOpt')}")
    if hc.get("Tmpfs") or any(m.get("Type") == "tmpfs" for m in mounts):
        problems.append(f"tmpfs mounts {hc.get('Tmpfs')} (the point is a read-only root without a writable /tmp)")
    if conf.get("User") != f"{COMPOSE_UID}:{COMPOSE_UID}":
        problems.append(f"User {conf.get('User')!r}")
    hcfg = conf.get("Healthcheck") or {}
    if hcfg.get("Test") != ["CMD", "/usr/local/bin/tinytask", "healthcheck"]:
        problems.append(f"Healthcheck.Test {hcfg.get('Test')}")
    interval = (hcfg.get("Interval") or 0) / 1e9
    if interval != 10:
        problems.append(f"Healthcheck.Interval {interval}s")
    bind = [m for m in mounts if m.get("Destination") == "/data"]
    if not bind or bind[0].get("Type") != "bind" or Path(bind[0].get("Source", "")).resolve() != data.resolve():
        problems.append(f"/data mount {bind}")
    ports = json.dumps(hc.get("PortBindings") or {}).replace(" ", "")
    if f'"HostIp":"{HOST}","HostPort":"{port}"' not in ports:
        problems.append(f"PortBindings {ports}")
    require(not problems, "the compose-started container differs from docker-compose.yml: " + "; ".join(problems))
    return (f"user {COMPOSE_UID}:{COMPOSE_UID}, read-only root, no tmpfs, cap_drop ALL, no-new-privileges, "
            f"HEALTHCHECK every {interval:.0f}s, ./data bind, {HOST}:{port}")


def tool_suite(era: str, suite: tuple[str, ...], name: str, url: str, logs: Path, st: dict[str, Any]) -> str:
    """pytest `suite` against the MCP endpoint `url` (a container, or a balancer in front of several) in `era`
    (TINYTASK_PY_ERA); the same pass/skip rules for both: no failure, every module ran, FULL_FILES without skips,
    only the accepted skip reasons (SKIP_MARKS)."""
    xml = logs / f"{name}.xml"
    files = [str(Images.ctx / "tests" / "python" / f) for f in suite]
    log(f"tool suite ({era}): pytest {' '.join(suite)} with TINYTASK_TARGET_URL={url} "
        f"TINYTASK_PY_ERA={era} (log {logs / f'{name}.log'})")
    r = sh([sys.executable, "-m", "pytest", *files, "-q", "-rfEs", "-p", "no:cacheprovider",
            f"--junitxml={xml}", "-o", "junit_family=xunit2"], cwd=Images.ctx,
           env={"TINYTASK_TARGET_URL": url, "TINYTASK_PY_ERA": era}, timeout=T_SUITE,
           check=False, log_file=logs / f"{name}.log", clean_env=True)
    st["suite_end"] = time.time()
    st[f"suite_seconds_{era}"] = r.seconds
    require(xml.exists(), f"pytest wrote no report (exit {r.rc}):\n{tail(r.out, 25)}")
    per, failures, reasons = parse_junit(xml)
    passed = sum(c["passed"] for c in per.values())
    failed = sum(c["failed"] for c in per.values())
    skipped = sum(c["skipped"] for c in per.values())
    st.setdefault("counts", {})[era] = per
    summary = ", ".join(f"{m.removeprefix('test_').removesuffix('.py')} {c['passed']}/"
                        f"{c['passed'] + c['failed'] + c['skipped']}" for m, c in per.items())
    if failures:
        groups: dict[str, list[str]] = {}  # the same message (e.g. a board that cannot be emptied) once
        for test, msg in failures:
            groups.setdefault(msg, []).append(test)
        evidence = "\n".join(f"{len(t)} x {m}\n    in {', '.join(t[:3])}{', …' if len(t) > 3 else ''}"
                             for m, t in list(groups.items())[:12])
        raise Failure(f"[{era}] {failed} of {passed + failed} tests failed against the container ({summary}): "
                      f"{failures[0][1][:150]}\n{evidence}\n(full output: {logs / f'{name}.log'})\n"
                      f"{tail(r.out, 3)}")
    missing = [f for f in suite if per.get(f, {}).get("passed", 0) == 0]
    require(not missing, f"[{era}] no test of {missing} ran ({summary}):\n{tail(r.out, 15)}")
    partial = {f: per[f]["skipped"] for f in FULL_FILES if per[f]["skipped"]}
    require(not partial, f"[{era}] tests skipped in modules that must run completely: {partial}; "
                         f"reasons {reasons}")
    other = {k: v for k, v in reasons.items() if not any(mark in k for mark in SKIP_MARKS[era])}
    require(not other, f"[{era}] skips for other reasons than {' or '.join(SKIP_MARKS[era])}: {other}")
    require(r.rc == 0, f"[{era}] pytest exit {r.rc} although the report shows no failure:\n{tail(r.out, 15)}")
    why = "stdio-only raw framing" + (", legacy-only features" if era == "modern" else "")
    return f"{era}: {passed} passed, 0 failed, {skipped} skipped ({why}) in {r.seconds:.0f}s [{summary}]"



def group_tool_suite(logs: Path) -> None:
    """docker-compose.yml (a byte-identical copy in a generated project dir, ./data, a free port) `up -d`, the
    tests/python tool suites against it over Streamable HTTP with the HEALTHCHECK running, then durability."""
    project = f"{PREFIX}tools"
    work = CLEAN.tempdir("tools")
    shutil.copy2(Images.ctx / "docker-compose.yml", work / "docker-compose.yml")
    data = work / "data"
    data.mkdir()
    os.chown(data, COMPOSE_UID, COMPOSE_UID)
    for d in (CLEAN.dirs[0], work):  # the host readers (uid 1000) must reach ./data; the run's dirs are 0700
        os.chmod(d, 0o711)
    db = data / "tinytask.db"
    port = free_port()
    env = {"TINYTASK_PORT": str(port)}  # everything else: the file's defaults (TINYTASK_* of this process dropped)
    cmd = compose_cmd(project, ["docker-compose.yml"])
    CLEAN.project(cmd, work, env)
    st: dict[str, Any] = {}

    def c12_suite() -> str:
        t = time.monotonic()
        sh([*cmd, "up", "-d", "--no-build"], cwd=work, env=env, timeout=T_COMPOSE, clean_env=True)
        cid = compose_service_container(cmd, work, env, "tinytask")
        st["cid"] = cid
        st["mon"] = HealthMonitor(cid).start()
        facts = container_facts(cid, data, port)
        healthy = wait_health(cid, "healthy", since=t)
        st["healthy_at"] = time.time()
        counts = run_suite("legacy", SUITE_FILES, "tool-suite")
        return f"{counts}; healthy {healthy:.1f}s after `compose up`; {facts}"

    def c12_modern() -> str:
        require("suite_end" in st, "the legacy tool suite did not run (no container to test)")
        return run_suite("modern", MODERN_SUITE_FILES, "tool-suite-modern")

    def run_suite(era: str, suite: tuple[str, ...], name: str) -> str:
        return tool_suite(era, suite, name, f"http://{HOST}:{port}/mcp", logs, st)

    def c12_reader() -> str:
        require("suite_end" in st, "the tool suite did not run")
        mon: HealthMonitor = st["mon"]
        pid = inspect(st["cid"], "{{.State.Pid}}")
        hc_runs = len(mon.runs_between(st["healthy_at"] - 60))
        require(hc_runs >= 1, "no healthcheck has run yet")
        wal = data / "tinytask.db-wal"
        wal_ino = wal.stat().st_ino if wal.exists() else None
        # a reader kept open across the writes, and one that opens, reads and closes before them
        kept = HostReader(db, COMPOSE_UID)
        try:
            before = kept.ids("tasks")
            once = HostReader(db, COMPOSE_UID)
            once.ids("tasks")
            once.close()
            gone = deleted_open_files(pid, data)
            require(not gone, f"after a host reader's close the server holds unlinked files: {gone}")
            r1 = anyio.run(durable_writes, port, "r1")
            st["acked"] = r1
            run = mon.wait_run_after(time.time(), 15)  # a healthcheck between the writes and the next readers
            require(run.get("ExitCode") == 0, f"healthcheck failed: {run}")
            fresh = HostReader(db, COMPOSE_UID)
            try:
                for name, reader in (("a new", fresh), ("the kept-open", kept)):
                    miss = unseen(reader, r1)
                    require(not miss, f"{name} host reader does not see writes acknowledged after another "
                                      f"reader's close: {miss}; server's unlinked files: {deleted_open_files(pid, data)}")
            finally:
                fresh.close()
        finally:
            kept.close()
        r2 = anyio.run(durable_writes, port, "r2")
        both = st["acked"] = r1.add(r2)
        last = HostReader(db, COMPOSE_UID)
        try:
            miss = unseen(last, both)
            require(not miss, f"a new host reader does not see writes acknowledged after the kept-open reader's "
                              f"close: {miss}; server's unlinked files: {deleted_open_files(pid, data)}")
        finally:
            last.close()
        gone = deleted_open_files(pid, data)
        require(not gone, f"the server holds unlinked files after the host readers closed: {gone}")
        wal_now = wal.stat().st_ino if wal.exists() else None
        return (f"{len(before)} tasks read by a host sqlite3 process (uid {COMPOSE_UID}) kept open + 3 that "
                f"opened, read and closed, with {hc_runs}+ healthchecks run; then {both.describe()} acked and "
                f"visible to new and open readers; server holds no unlinked file; -wal inode "
                f"{'unchanged' if wal_ino == wal_now else f'{wal_ino} -> {wal_now}'}")

    def c12_health() -> str:
        mon: HealthMonitor | None = st.get("mon")
        require(mon is not None, "the container did not start")
        mon.stop()
        since = st.get("healthy_at")
        require(since, f"never healthy: {mon.history()}")
        with mon.lock:
            samples = [s for s in mon.samples if s[0] >= since]
        runs = mon.runs_between(since - 10)
        during = mon.runs_between(since, st.get("suite_end"))
        bad = [s for s in samples if s[1] != "healthy" or s[2] != 0]
        failed = [r for r in runs if r.get("ExitCode") != 0]
        span = (samples[-1][0] - since) if samples else 0.0
        require(not failed, f"{len(failed)} healthcheck runs failed: "
                            + "; ".join(f"exit {r.get('ExitCode')}: {short(r.get('Output', ''), 200)}" for r in failed[:3])
                            + f"; history: {mon.history()}")
        require(not bad, f"{len(bad)} of {len(samples)} samples after the first healthy were not healthy "
                         f"(first: {bad[:1]}); history: {mon.history()}")
        want = int(span // 10) - 1
        require(len(runs) >= max(2, want), f"only {len(runs)} healthcheck runs seen over {span:.0f}s")
        slow = max(((r["end_ts"] - r["start_ts"]) for r in runs), default=0.0)
        return (f"{mon.history()}: all {len(samples)} samples healthy (FailingStreak 0); {len(runs)} healthchecks "
                f"ran ({len(during)} during the tool suite), all exit 0, slowest {slow * 1000:.0f} ms"
                + (f"; {mon.poll_errors} inspect errors" if mon.poll_errors else ""))

    def c12_kill() -> str:
        require("acked" in st, "the durability writes did not run")
        cid = st["cid"]
        state = anyio.run(board_state, port)
        want = state_facts(state)
        acked: Acked = st["acked"]
        require(acked.tasks <= set(state) and not (acked.deleted & set(state)),
                "the server does not serve its own acknowledged writes")
        docker("kill", "-s", "KILL", cid)
        deadline = time.monotonic() + 20
        while health_status(cid)[0] == "running" and time.monotonic() < deadline:
            time.sleep(0.1)
        code = inspect(cid, "{{.State.ExitCode}}")
        require(code == "137", f"exit code after SIGKILL: {code} (state {health_status(cid)})")
        integrity, facts = db_facts(data)
        require(integrity == "ok", f"integrity_check right after SIGKILL: {integrity}")
        problems = diff_facts(facts, want)
        require(not problems, "the files as SIGKILL left them differ from what was served:\n" + "\n".join(problems[:10]))
        t = time.monotonic()
        docker("start", cid)
        wait_http_ok(port, container=cid)
        up = time.monotonic() - t
        state2 = anyio.run(board_state, port)
        changed = sorted(i for i in set(state) | set(state2) if state.get(i) != state2.get(i))
        first = changed[0] if changed else None
        require(not changed, f"{len(changed)} tasks served differently after SIGKILL + start, e.g. "
                             f"{first}: {short(json.dumps(state.get(first)), 300)} -> "
                             f"{short(json.dumps(state2.get(first)), 300)}")
        sh([*cmd, "down", "-v", "-t", "10"], cwd=work, env=env, timeout=T_COMPOSE, quiet=True)
        return (f"{len(state)} tasks, {len(want['comments'])} comments, {len(want['links'])} links, "
                f"{want['history']} history rows served before `docker kill -s KILL`: all in the files as the kill "
                f"left them (integrity ok) and served identically after `docker start` ({up:.1f}s to /health 200)")

    try:
        run_group([
            ("12 tool suites vs compose-started image (read-only root)", c12_suite),
            ("12 tool suites in the 2026-07-28 era (TINYTASK_PY_ERA=modern)", c12_modern),
            ("12 host sqlite3 readers while serving: later writes visible", c12_reader),
            ("12 HEALTHCHECK healthy throughout (every run exit 0)", c12_health),
            ("12 SIGKILL after the suite: every acked write there", c12_kill),
        ])
    finally:
        if st.get("mon") is not None:
            st["mon"].stop()
        if "cid" in st:
            with contextlib.suppress(Exception):
                (logs / "tools-container.log").write_text(docker("logs", st["cid"], check=False, quiet=True).out)


def modern_tool(port: int, name: str, args: dict[str, Any], timeout: float = 10.0) -> dict[str, Any]:
    """One stateless 2026-07-28 tools/call POST (any replica behind a balancer may answer); its structured
    result (raises on an HTTP error, an error answer or an isError result)."""
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": name, "arguments": args,
                       "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
                                 "io.modelcontextprotocol/clientInfo": {"name": "tinytask-docker-acceptance",
                                                                        "version": "1"},
                                 "io.modelcontextprotocol/clientCapabilities": {}}}}
    r = httpx2.post(f"http://{HOST}:{port}/mcp", json=body, timeout=timeout,
                    headers={"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2026-07-28",
                             "Mcp-Method": "tools/call", "Mcp-Name": name})
    if r.status_code != 200:
        raise RuntimeError(f"{name}: HTTP {r.status_code}: {r.text[:200]}")
    result = r.json().get("result") or {}
    if result.get("isError") or "content" not in result:
        raise RuntimeError(f"{name}: {r.text[:300]}")
    return json.loads(result["content"][0]["text"])


SCALE_SERVICES = ("balancer", "postgres", "tinytask-1", "tinytask-2", "tinytask-3")


def group_scale(logs: Path) -> None:
    """docker-compose.scale.yml (a copy, with deploy/, in a generated project dir; a free port): PostgreSQL,
    three replicas of the production image and nginx, as `just scale-up` starts them. The 2026-07-28 tool
    suites through the balancer; a replica killed, clients go on; PostgreSQL restarted, the replicas recover."""
    project = f"{PREFIX}scale"
    work = CLEAN.tempdir("scale")
    shutil.copy2(Images.ctx / "docker-compose.scale.yml", work / "docker-compose.scale.yml")
    shutil.copytree(Images.ctx / "deploy", work / "deploy")
    for d in (CLEAN.dirs[0], work, work / "deploy", work / "deploy" / "nginx"):
        os.chmod(d, 0o755)  # nginx (uid 65532) reads the mounted configuration
    port = free_port()
    env = {"TINYTASK_PORT": str(port)}
    cmd = compose_cmd(project, ["docker-compose.scale.yml"])
    CLEAN.project(cmd, work, env)
    st: dict[str, Any] = {}

    def cid(service: str) -> str:
        return compose_service_container(cmd, work, env, service)

    def c13_up() -> str:
        t = time.monotonic()
        sh([*cmd, "up", "-d", "--no-build"], cwd=work, env=env, timeout=T_COMPOSE, clean_env=True,
           log_file=logs / "scale-up.log")
        waited = {s: wait_health(cid(s), "healthy", since=t) for s in SCALE_SERVICES}
        st["up"] = True
        backends = set()
        for _ in range(6):
            body = httpx2.get(f"http://{HOST}:{port}/health", timeout=5).json()
            backends.add((body["database"]["backend"], body["database"]["path"]))
        require(len(backends) == 1 and next(iter(backends))[0] == "postgres", f"/health through nginx: {backends}")
        return (f"all healthy within {max(waited.values()):.1f}s of `up -d`; every replica on "
                f"{next(iter(backends))[1]}")

    def served() -> dict[str, int]:
        found = re.findall(r"upstream=(\S+)", docker("logs", cid("balancer"), check=False, quiet=True).out)
        return {u: found.count(u) for u in set(found)}

    def c13_suites(era: str, suite: tuple[str, ...]) -> Callable[[], str]:
        def check() -> str:
            require(st.get("up"), "the scaled deployment did not start")
            before = served()
            counts = tool_suite(era, suite, f"scale-suite-{era}", f"http://{HOST}:{port}/mcp", logs, st)
            spread = {u: n - before.get(u, 0) for u, n in served().items()}
            require(len([n for n in spread.values() if n > 0]) == 3, f"requests per replica: {spread}")
            return f"{counts}; requests per replica {spread}"
        return check

    def c13_kill() -> str:
        require(st.get("up"), "the scaled deployment did not start")
        victim = cid("tinytask-2")
        docker("kill", "-s", "KILL", victim)
        made = [modern_tool(port, "create_task", {"title": f"after kill {i}", "created_by": "acceptance"})["id"]
                for i in range(30)]
        docker("start", victim)
        wait_health(victim, "healthy")
        listed = modern_tool(port, "list_tasks", {"limit": 1000})
        ids = {t["id"] for t in listed["tasks"]}
        require(set(made) <= ids, f"tasks created while a replica was down are missing: {set(made) - ids}")
        return f"30 writes through the balancer with tinytask-2 SIGKILLed all answered and stored; it rejoined"

    def c13_postgres_restart() -> str:
        require(st.get("up"), "the scaled deployment did not start")
        pg = cid("postgres")
        t = time.monotonic()
        docker("restart", "-t", "20", pg)
        deadline = time.monotonic() + 60
        last = ""
        while True:
            try:
                modern_tool(port, "create_task", {"title": "after restart", "created_by": "acceptance"})
                break
            except Exception as e:
                last = str(e)
            require(time.monotonic() < deadline, f"no write succeeded 60 s after PostgreSQL restarted: {last}")
            time.sleep(0.5)
        recovered = time.monotonic() - t
        for i in range(20):
            modern_tool(port, "create_task", {"title": f"steady {i}", "created_by": "acceptance"})
        for service in ("tinytask-1", "tinytask-2", "tinytask-3"):
            state, _ = health_status(cid(service))
            require(state == "running", f"{service} is {state} after the PostgreSQL restart")
        return f"writes succeed again {recovered:.1f}s after `docker restart` of PostgreSQL, no replica restarted"

    try:
        run_group([
            ("14 scale: compose up (PostgreSQL, 3 replicas, nginx) healthy", c13_up),
            ("14 scale: legacy tool suites through the balancer (sessions shared, no stickiness)",
             c13_suites("legacy", SUITE_FILES)),
            ("14 scale: 2026-07-28 tool suites through the balancer", c13_suites("modern", MODERN_SUITE_FILES)),
            ("14 scale: SIGKILL a replica, writes go on", c13_kill),
            ("14 scale: PostgreSQL restart, replicas recover", c13_postgres_restart),
        ])
    finally:
        if st.get("up"):
            with contextlib.suppress(Exception):
                out = sh([*cmd, "logs", "--no-color"], cwd=work, env=env, timeout=60, check=False, quiet=True).out
                (logs / "scale-compose.log").write_text(out)


# ----------------------------------------------------------------------------------------------------------
# 10-11: the dev container


# The dev checks in run order: the dev lane's two (Background._dev_lane), then group_dev's. Named here once, so
# that --only can tell before anything is built whether the dev stack is needed at all.
DEV_CHECKS = (
    "10 dev image builds (Dockerfile.dev)",
    "10 dev compose up -d --build: server answers",
    "10 dev: src (and manifests) read-only inside",
    "10 dev: edit under src/ served (hot reload)",
    "10 dev: gdb attaches through 2345",
    "11 dev: diesel migration list (justfile path)",
    "10 dev: down + up keeps the build cache",
)


class DevStack:
    """The dev compose project (temp copy, unique project name, free ports). `up` runs in the dev build lane
    right after the dev image is built, so the first `cargo build` inside the container overlaps with the
    other builds; the remaining dev checks run later in the foreground."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.work = snapshot_repo(CLEAN.tempdir("dev"))
        self.port, self.dbg = free_port(), free_port()
        self.env = {"TINYTASK_DEV_PORT": str(self.port), "TINYTASK_DEBUG_PORT": str(self.dbg)}
        self.cmd = compose_cmd(f"{PREFIX}dev", ["docker-compose.dev.yml"])
        CLEAN.project(self.cmd, self.work, self.env)
        self.st: dict[str, Any] = {}

    def up(self) -> str:
        cmd, work, env, port, st = self.cmd, self.work, self.env, self.port, self.st
        t = time.monotonic()
        r = sh([*cmd, "up", "-d", "--build"], cwd=work, env=env, timeout=T_DEV_BUILD,
               log_file=self.logs / "dev-compose-up.log")
        build_secs = r.seconds
        cid = compose_service_container(cmd, work, env, "tinytask-dev")
        st["cid"] = cid
        deadline = time.monotonic() + T_DEV_FIRST_ANSWER
        last = ""
        next_note = time.monotonic() + 60
        while True:
            try:
                res = raw_initialize(port)
                break
            except Exception as e:
                last = str(e)
            state, _ = health_status(cid)
            require(state == "running", f"dev container {state}; logs:\n{container_logs(cid, 40)}")
            require(time.monotonic() < deadline, f"dev server did not answer initialize within "
                                                 f"{T_DEV_FIRST_ANSWER}s (last: {last}); logs:\n"
                                                 f"{container_logs(cid, 40)}")
            if time.monotonic() > next_note:
                log(f"dev: waiting for the first build inside the container ({time.monotonic() - t:.0f}s): "
                    f"{short(container_logs(cid, 1), 160)}")
                next_note += 60
            time.sleep(1.0)
        secs = time.monotonic() - t
        st["ready"] = True
        return (f"initialize answered {secs:.0f}s after `up -d --build` (compose up {build_secs:.0f}s, "
                f"then first cargo build){PARALLEL_NOTE}; server {res['serverInfo']['name']} "
                f"{res['serverInfo']['version']}")


def group_dev(logs: Path, dev: DevStack, wait_background: Callable[[], None]) -> None:
    work, port, dbg, env, cmd, st = dev.work, dev.port, dev.dbg, dev.env, dev.cmd, dev.st

    def c10_ro() -> str:
        require(st.get("ready"), "dev server not up")
        r = docker("exec", st["cid"], "touch", "/app/src/x", check=False)
        require(r.rc != 0, "`touch /app/src/x` succeeded inside the dev container: src is writable")
        require(not (work / "src" / "x").exists(), "src/x appeared on the host")
        others = []
        for p in ("/app/migrations/x", "/app/Cargo.toml"):
            rr = docker("exec", st["cid"], "touch", p, check=False, quiet=True)
            if rr.rc == 0:
                others.append(p)
        require(not others, f"writable inside the dev container: {others}")
        return f"touch /app/src/x: exit {r.rc} ({short(r.out.strip(), 80)}); migrations, Cargo.toml read-only too"

    def c10_reload() -> str:
        require(st.get("ready"), "dev server not up")
        wait_background()  # measure on a quiet machine: no background build competing for the cores
        src = work / "src" / "mcp" / "lifecycle.rs"
        original = src.read_text()
        anchor = '"TinyTask is a shared task board'
        require(anchor in original, f"{src} no longer contains {anchor!r}: adapt the suite")
        figures = []
        for n in (1, 2):
            marker = f"[{PREFIX}-reload-{n}]"
            text = original.replace(anchor, f'"TinyTask {marker} is a shared task board', 1)
            t = time.monotonic()
            src.write_text(text)
            last = ""
            while True:
                try:
                    if marker in (raw_initialize(port, timeout=2.0).get("instructions") or ""):
                        break
                except Exception as e:
                    last = str(e)
                require(time.monotonic() - t < T_DEV_RELOAD,
                        f"edit #{n} not served within {T_DEV_RELOAD}s (last: {last}); logs:\n"
                        f"{container_logs(st['cid'], 30)}")
                time.sleep(0.25)
            figures.append(time.monotonic() - t)
            log(f"dev: edit #{n} served after {figures[-1]:.1f}s")
        st["reload"] = figures
        return f"save -> new server answering: {', '.join(f'{f:.1f}s' for f in figures)} (edit of src/mcp/lifecycle.rs)"

    def c10_gdb() -> str:
        require(st.get("ready"), "dev server not up")
        require(shutil.which("gdb"), "gdb is not installed on the host")
        pid = docker("exec", st["cid"], "pgrep", "-n", "-x", "tinytask").out.strip()
        require(pid.isdigit(), f"pgrep tinytask: {pid!r}")
        st["pid"] = pid
        # What `just debug` runs (justfile): compose exec … gdbserver --attach 0.0.0.0:2345 <newest tinytask>.
        # -T because there is no terminal here; it stays in the foreground until gdb detaches.
        gdbserver = subprocess.Popen(
            [*cmd, "exec", "-T", "tinytask-dev", "bash", "-c",
             'exec gdbserver --attach 0.0.0.0:2345 "$(pgrep -n -x tinytask)"'],
            cwd=work, env={**os.environ, **env}, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, start_new_session=True)
        with _print_lock:
            RUNNING.add(gdbserver)
        out = ""
        t = time.monotonic()
        for _attempt in range(10):
            time.sleep(1.0)
            r = sh(["gdb", "-batch", "-nx", "-ex", "set sysroot /nonexistent", "-ex", "set auto-load off",
                    "-ex", f"target remote {HOST}:{dbg}", "-ex", "info threads", "-ex", "detach"],
                   timeout=120, check=False)
            out = r.out
            if re.search(r"^\*?\s*\d+\s+Thread ", out, re.M):
                break
        threads = re.findall(r"^\*?\s*\d+\s+Thread ", out, re.M)
        try:
            gs_out, _ = gdbserver.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(gdbserver.pid, signal.SIGKILL)
            gs_out, _ = gdbserver.communicate()
        finally:
            with _print_lock:
                RUNNING.discard(gdbserver)
        log(f"dev: gdbserver said: {short(gs_out or '', 300)}")
        docker("exec", st["cid"], "pkill", "-x", "gdbserver", check=False, quiet=True)  # if it never detached
        require(threads, f"gdb saw no threads through 127.0.0.1:{dbg}:\n{tail(out, 20)}")
        # the server survives being debugged
        time.sleep(0.5)
        alive = raw_initialize(port)
        require(alive, "dev server did not answer after gdb detached")
        return f"gdb via 127.0.0.1:{dbg} -> gdbserver: {len(threads)} threads of pid {pid} " \
               f"({time.monotonic() - t:.1f}s); server still answers after detach"

    def c11_migrations() -> str:
        require(st.get("ready"), "dev server not up")
        # the justfile's `migrate-list` path when diesel is not installed locally
        r = sh([*cmd, "run", "--rm", "--no-deps", "-v", f"{work}/src:/app/src", "-v",
                f"{work}/migrations:/app/migrations", "tinytask-dev", "diesel", "migration", "list"],
               cwd=work, env=env, timeout=180, check=False)
        names = sorted(p.name for p in (work / "migrations").iterdir() if p.is_dir())
        require(r.rc == 0, f"diesel migration list: exit {r.rc}: {tail(r.out, 10)}")
        applied = [n for n in names if re.search(rf"\[X\]\s+{re.escape(n)}", r.out)]
        require(len(applied) == len(names), f"migrations not listed as applied ({applied} of {names}):\n"
                                            f"{tail(r.out, 10)}")
        return f"{len(applied)}/{len(names)} applied ({', '.join(applied)})"

    def c10_restart() -> str:
        require(st.get("ready"), "dev server not up")
        t = time.monotonic()
        sh([*cmd, "down", "-t", "10"], cwd=work, env=env, timeout=T_COMPOSE)
        down = time.monotonic() - t
        sh([*cmd, "up", "-d"], cwd=work, env=env, timeout=T_COMPOSE)
        cid = compose_service_container(cmd, work, env, "tinytask-dev")
        st["cid"] = cid
        last = ""
        while True:
            try:
                raw_initialize(port)
                break
            except Exception as e:
                last = str(e)
            require(time.monotonic() - t < T_DEV_RELOAD, f"dev server not answering {T_DEV_RELOAD}s after down + up "
                                                         f"(last: {last}); logs:\n{container_logs(cid, 30)}")
            time.sleep(0.5)
        secs = time.monotonic() - t
        logs_now = docker("logs", cid, quiet=True).out
        compiled = re.findall(r"Compiling ([A-Za-z0-9_-]+) v", logs_now)
        deps = [c for c in compiled if c != "tinytask"]
        require(not deps, f"after down + up the dev container recompiled dependencies: {deps[:10]}")
        return (f"answering {secs:.1f}s after `down` + `up -d` (down {down:.1f}s); "
                f"{'recompiled only tinytask' if compiled else 'nothing recompiled'} (target on a named volume)")

    run_group(list(zip(DEV_CHECKS[2:], (c10_ro, c10_reload, c10_gdb, c11_migrations, c10_restart), strict=True)))
    if "cid" in st:
        (logs / "dev-container.log").write_text(docker("logs", st["cid"], check=False, quiet=True).out)


# ----------------------------------------------------------------------------------------------------------
# background builds


PARALLEL_NOTE = ""  # appended to build timings when builds overlap (" [parallel builds]")


class Background:
    """The slow work, in three lanes (threads) that overlap with each other and with the runtime checks:

      dev lane:       dev image (Dockerfile.dev) -> dev compose `up -d --build` + first cargo build inside
      image lane:     [classic build done] -> rebuild check (needs the classic layer cache)
      buildkit lane:  BuildKit build (its own cache; needs nothing)

    The release builds of tinytask are mostly single-threaded (codegen-units=1, fat LTO), so on 2 cores they
    overlap well with each other and with the parallel debug build in the dev container. Build timings are
    then wall times under contention (marked [parallel builds]); --serial runs everything one after another
    in the foreground for clean timings. Rows are recorded as the lanes finish."""

    def __init__(self, logs: Path, dev: DevStack | None, builds: bool = True) -> None:
        self.logs = logs
        self.dev = dev
        self.builds = builds
        self.classic_done = threading.Event()
        self.dev_done = threading.Event()
        self.images_done = threading.Event()
        self.bk_done = threading.Event()
        self.dev_ok = False
        self.lanes = [(self._dev_lane, self.dev_done), (self._image_lane, self.images_done),
                      (self._buildkit_lane, self.bk_done)]

    def _dev_lane(self) -> None:
        if self.dev is None:
            return
        # Every dev check needs the dev image; all but the image build need the dev server (see run_group).
        if self.builds and not run_check(DEV_CHECKS[0], self._dev_image):
            return
        if selected(*DEV_CHECKS[1:]):
            self.dev_ok = run_check(DEV_CHECKS[1], self.dev.up)

    def _image_lane(self) -> None:
        self.classic_done.wait()
        name = "2 rebuild after src/ change: deps not recompiled"
        if self.builds and Images.classic_ok and selected(name):
            run_check(name, lambda: check_rebuild(self.logs))

    def _buildkit_lane(self) -> None:
        name = "1 build with BuildKit"
        if self.builds and selected(name):
            run_check(name, lambda: build_buildkit(self.logs))

    @staticmethod
    def _run_lane(fn: Callable[[], None], done: threading.Event) -> None:
        try:
            fn()
        except Exception as e:  # a bug in the suite: record it, never leave waiters hanging
            record(f"suite error in {fn.__name__}", "FAIL", f"{type(e).__name__}: {e}", traceback.format_exc())
        finally:
            done.set()

    def start(self, serial: bool) -> None:
        for fn, done in self.lanes:
            if serial:
                self._run_lane(fn, done)
            else:
                threading.Thread(target=self._run_lane, args=(fn, done), name=fn.__name__, daemon=True).start()

    def all_done(self) -> bool:
        return all(done.is_set() for _, done in self.lanes)

    def wait_dev(self) -> bool:
        if not self.dev_done.is_set():
            log("waiting for the dev lane (dev image, dev container's first build)")
        self.dev_done.wait()
        return self.dev_ok

    def wait_all(self) -> None:
        if not self.all_done():
            log("waiting for the background builds to finish")
        for _, done in self.lanes:
            done.wait()


    def _dev_image(self) -> str:
        r = sh(["docker", "build", "-f", str(Images.ctx / "Dockerfile.dev"), "-t", DEV_IMAGE, str(Images.ctx)],
               env={"DOCKER_BUILDKIT": "0"}, timeout=T_DEV_BUILD, log_file=self.logs / "build-dev.log")
        size = int(inspect(DEV_IMAGE, "{{.Size}}")) / 1e6
        tools = docker("run", "--rm", "--entrypoint", "sh", DEV_IMAGE, "-c",
                       "cargo watch --version; echo diesel_cli $(diesel --version | sed -n 's/^ *Version: //p'); "
                       "gdbserver --version | head -1",
                       quiet=True).out.strip().splitlines()
        return f"{r.seconds:.1f}s{PARALLEL_NOTE}, {size:.0f} MB; {'; '.join(t.strip() for t in tools)}"


# ----------------------------------------------------------------------------------------------------------
# main


def print_summary(total: float) -> None:
    w1 = max(len(r.check) for r in RESULTS) if RESULTS else 10
    w3 = 110
    print()
    print(f"{'check':<{w1}} | result | figure")
    print(f"{'-' * w1}-+--------+-{'-' * 40}")
    for r in RESULTS:
        fig = r.figure.replace("\n", " ")
        first, rest = fig[:w3], fig[w3:]
        print(f"{r.check:<{w1}} | {r.result:<6} | {first}")
        while rest:
            print(f"{'':<{w1}} | {'':<6} | {rest[:w3]}")
            rest = rest[w3:]
    passed = sum(r.result == "PASS" for r in RESULTS)
    print()
    if FAILURES:
        print("Failures (evidence):")
        for check, detail in FAILURES:
            print(f"--- {check}\n{detail.strip()}\n")
    print(f"{passed}/{len(RESULTS)} checks passed; total wall time {total:.0f}s ({total / 60:.1f} min)")


def run_all(opts: argparse.Namespace, logs: Path, bg: list[Background]) -> None:
    global PARALLEL_NOTE
    try:
        Env.allow_setup = not opts.no_setup
        ensure_engine(allow_setup=Env.allow_setup)
    except Failure as e:
        record("0 Docker engine and base image", "FAIL", short(str(e).splitlines()[0], 140), str(e))
        return
    VOLUMES_AT_START.update(dangling_volumes())
    Images.ctx = snapshot_repo(CLEAN.tempdir("ctx"))
    dev = None if opts.no_dev or not selected(*DEV_CHECKS) else DevStack(logs)
    background = Background(logs, dev, builds=not opts.skip_build)
    bg.append(background)
    if not opts.serial:
        PARALLEL_NOTE = " [parallel builds]"
        background.start(serial=False)  # dev image, BuildKit: alongside the classic build

    classic = "1 build with the classic builder"
    try:
        if opts.skip_build:
            require(docker("image", "inspect", IMAGE, check=False, quiet=True).rc == 0, f"--skip-build: no {IMAGE}")
            skip("1-2 builds", f"--skip-build: using the existing {IMAGE}")
            Images.classic_ok = True
        elif not selected(classic):
            if docker("image", "inspect", IMAGE, check=False, quiet=True).rc != 0:
                record(classic, "FAIL", f"--only without the classic build, and there is no {IMAGE} to check "
                                        f"(add --only classic to build it)")
                return
            log(f"--only: the classic build is not selected; the checks use the existing {IMAGE} "
                f"({inspect(IMAGE, '{{.Created}}')[:19]})")
            Images.classic_ok = True
        else:
            run_check(classic, lambda: build_classic(logs))
    finally:
        background.classic_done.set()
    if not Images.classic_ok:
        skip("1 later checks", "not run: the classic build failed")
        return
    # Independent checks of the built image (each needs only the image), so --only picks them one by one.
    for name, fn in (("1 image size < 100 MB (goal <= 15 MB)", check_size),
                     ("1 no shell; binary + /data only; static", check_no_shell),
                     ("1 image config (user, env, healthcheck, labels)", check_image_config),
                     # Before any check starts a container of the image: the round trip removes the image from
                     # the local store, and a container (even a stopped one) would keep it there.
                     ("13 registry round trip: push, rmi, pull, run healthy", lambda: check_registry_roundtrip(logs))):
        if selected(name):
            run_check(name, fn)
    if opts.serial:
        background.start(serial=True)

    group_container(logs)
    group_health_truth(logs)
    group_config(logs)
    group_stop(logs)
    group_compose(logs)
    group_tool_suite(logs)
    group_scale(logs)

    if dev is None:
        if opts.no_dev and selected(*DEV_CHECKS):
            skip("10-11 dev container checks", "--no-dev")
    elif background.wait_dev():
        group_dev(logs, dev, background.wait_all)
    elif selected(*DEV_CHECKS[2:]):
        skip("10-11 remaining dev checks", "the dev image or dev server did not come up (see above)")
    background.wait_all()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--serial", action="store_true", help="run the background builds before the runtime checks")
    ap.add_argument("--no-dev", action="store_true", help="skip the dev-container checks (marked SKIP)")
    ap.add_argument("--no-setup", action="store_true", help="never run scripts/docker-setup.sh")
    ap.add_argument("--skip-build", action="store_true",
                    help="no image builds: run the other checks on the existing images (for iterating; rows SKIP)")
    ap.add_argument("--keep", action="store_true", help="keep temp dirs and build logs even when all passed")
    ap.add_argument("--only", action="append", default=[], metavar="SUBSTRING",
                    help="run only the checks whose name contains SUBSTRING (case-insensitive; repeatable), plus "
                         "the earlier checks of their group they build on; the classic build only when selected "
                         "(otherwise the existing image is checked); unselected checks get no row")
    opts = ap.parse_args()
    ONLY.extend(opts.only)

    if os.geteuid() != 0:
        print("acceptance.py must run as root (docker, chown of data dirs)", file=sys.stderr)
        return 2

    def on_term(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_term)
    logs = CLEAN.tempdir("logs")
    log(f"TinyTask Docker acceptance, run {PREFIX}, repo {REPO}, logs in {logs}")
    bg: list[Background] = []
    try:
        run_all(opts, logs, bg)
    except KeyboardInterrupt as e:
        record("interrupted", "FAIL", f"interrupted ({str(e) or 'Ctrl-C'}); cleaned up")
        kill_running()
    except Exception as e:  # a bug in the suite: still clean up and report
        record("suite error", "FAIL", f"{type(e).__name__}: {e}", traceback.format_exc())
        kill_running()
    finally:
        try:
            for b in bg:
                b.classic_done.set()  # release the image lane if the classic build never ran
                if not b.all_done():
                    kill_running()
                    for _, done in b.lanes:
                        done.wait(60)
        finally:
            keep = opts.keep or any(r.result == "FAIL" for r in RESULTS)
            CLEAN.run(keep_dirs=keep)
    total = now()
    if ONLY and not RESULTS:
        print(f"--only {' '.join(map(repr, ONLY))} matched no check (names: see the summary of a full run or "
              f"tests/docker/README.md)", file=sys.stderr)
        return 2
    print_summary(total)
    if opts.keep or any(r.result == "FAIL" for r in RESULTS):
        print(f"logs and temp dirs kept: {logs.parent} (build logs in {logs.name}/)")
    ok = bool(RESULTS) and all(r.result == "PASS" for r in RESULTS)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
