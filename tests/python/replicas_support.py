"""Three TinyTask replicas on one PostgreSQL database, behind nginx running the balancer configuration the scaled
deployment ships (deploy/nginx/nginx.conf), all on 127.0.0.1 (issue 14 §3; test_replicas.py).

The configuration file is used as it is, with only what differs on a host rewritten: the listen port, the three
replica ports (3001-3003 in docker-compose.scale.yml's shared network namespace), and the directories of the
pid, temporary and log files. nginx comes from scripts/balancer-env.sh (Debian's package), PostgreSQL from
scripts/postgres-env.sh through TINYTASK_PY_DATABASE_URL (pg_support.py).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx2
import pytest

import pg_support
from conftest import REPO_ROOT, compact, kill_process, modern_params
from http_support import HOST, HttpServer, free_port, modern_headers

NGINX_CONF = REPO_ROOT / "deploy" / "nginx" / "nginx.conf"
REPLICAS = 3


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)
    if not found:
        pytest.fail("nginx not found: scripts/balancer-env.sh installs it (scripts/test.sh runs it)", pytrace=False)
    return found


def host_config(listen: int, replicas: list[int], workdir: Path) -> str:
    """deploy/nginx/nginx.conf for a host: our ports and files, everything else as shipped."""
    text = NGINX_CONF.read_text()
    text, n = re.subn(r"\blisten 3000;", f"listen {HOST}:{listen};", text)
    assert n == 1, "deploy/nginx/nginx.conf has one `listen 3000;`"
    for i, port in enumerate(replicas, start=1):
        text, n = re.subn(rf"\b127\.0\.0\.1:300{i}\b", f"{HOST}:{port}", text)
        assert n >= 1, f"deploy/nginx/nginx.conf names replica 127.0.0.1:300{i}"
    text = text.replace("/tmp/", f"{workdir}/")
    text = text.replace("access_log /dev/stdout", f"access_log {workdir}/access.log")
    text = text.replace("error_log /dev/stderr", f"error_log {workdir}/error.log")
    if os.geteuid() == 0:
        # The container runs nginx as an unprivileged user; as root on a host its workers would be `nobody`,
        # who cannot write the test's temporary directories.
        text = "user root;\n" + text
    return text


class Balancer:
    def __init__(self, workdir: Path, replicas: list[int]):
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.mcp_url = f"{self.url}/mcp"
        conf = workdir / "nginx.conf"
        conf.write_text(host_config(self.port, replicas, workdir))
        self.proc = subprocess.Popen([nginx_binary(), "-p", str(workdir), "-c", str(conf), "-g", "daemon off;"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=open(workdir / "nginx.stderr.log", "wb"))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"nginx exited: {(workdir / 'nginx.stderr.log').read_text()}"
            try:
                if httpx2.get(f"{self.url}/nginx-health", timeout=1).status_code == 200:
                    return
            except httpx2.HTTPError:
                pass
            time.sleep(0.05)
        raise AssertionError("nginx did not answer /nginx-health within 10 s")

    def upstreams(self) -> list[str]:
        """The replica address of each proxied request so far (the access log's upstream= field)."""
        text = (self.workdir / "access.log").read_text() if (self.workdir / "access.log").exists() else ""
        return re.findall(r"upstream=(\S+)", text)

    def stop(self) -> None:
        kill_process(self.proc)


class Cluster:
    """Three replicas (HttpServer, TINYTASK_MODE=http) sharing one board, and the balancer in front."""

    def __init__(self, workdir: Path, **env: str):
        if not pg_support.ADMIN_URL:
            pytest.skip("replicas share a PostgreSQL board: set TINYTASK_PY_DATABASE_URL (scripts/test.sh does)")
        self.workdir = workdir
        self.env = env
        self.ports = [free_port() for _ in range(REPLICAS)]
        self.replicas: list[HttpServer | None] = [self._start(port) for port in self.ports]
        self.balancer = Balancer(workdir, self.ports)

    def _start(self, port: int) -> HttpServer:
        # The same db_name: pg_support maps it to the same database for every replica.
        return HttpServer(self.workdir, db_name="board.db", port=port, log_level="warn", **self.env)

    @property
    def db_path(self) -> Path:
        return self.workdir / "board.db"

    def replica_url(self, i: int) -> str:
        return f"http://{HOST}:{self.ports[i]}/mcp"

    def sigkill(self, i: int) -> None:
        server = self.replicas[i]
        assert server is not None
        server.proc.kill()
        server.proc.wait(timeout=10)
        self.replicas[i] = None

    def restart(self, i: int) -> None:
        assert self.replicas[i] is None
        self.replicas[i] = self._start(self.ports[i])

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        return pg_support.query(self.db_path, sql, params)

    def close(self) -> None:
        self.balancer.stop()
        for server in self.replicas:
            if server is not None:
                server.kill()


@pytest.fixture
def cluster(tmp_path):
    """Three replicas and the balancer, stopped after the test (test modules import this fixture)."""
    c = Cluster(tmp_path)
    yield c
    c.close()


@pytest.fixture
async def client():
    async with httpx2.AsyncClient(timeout=httpx2.Timeout(20.0), limits=httpx2.Limits(max_connections=200)) as c:
        yield c


async def modern_call(client: httpx2.AsyncClient, url: str, method: str, params: dict, id: Any = 1) -> dict:
    """One stateless 2026-07-28 request (any replica, or the balancer, can answer it); the JSON-RPC answer."""
    name = params.get("uri" if method == "resources/read" else "name")
    body = {"jsonrpc": "2.0", "id": id, "method": method, "params": modern_params(params)}
    r = await client.post(url, content=compact(body),
                          headers=modern_headers(method, name if isinstance(name, str) else None))
    if r.status_code != 200:
        raise RuntimeError(f"{method}: HTTP {r.status_code} {r.text[:300]!r}")
    return r.json()


async def tool(client: httpx2.AsyncClient, url: str, name: str, args: dict, id: Any = 1) -> Any:
    """A tool's structured answer; raises on a transport error, an error answer or an isError result."""
    msg = await modern_call(client, url, "tools/call", {"name": name, "arguments": args}, id)
    result = msg.get("result")
    if result is None or result.get("isError"):
        raise RuntimeError(f"{name}: {msg}")
    return json.loads(result["content"][0]["text"])
