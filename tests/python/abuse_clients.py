"""Attacking clients for test_http_abuse.py, run as a separate process so their work does not slow down the
latency measurements of the legitimate client in the pytest process. Only 127.0.0.1 is ever contacted and
every mode stops after ``--seconds`` (or ``--count`` requests).

    python abuse_clients.py init-flood  --port P --count 10000 --concurrency 32
    python abuse_clients.py slow-body   --port P --conns 2000 --seconds 12 --interval 1
    python abuse_clients.py idle-conns  --port P --conns 600 --seconds 10

Prints one JSON object with the figures on stdout when done, and the line ``ready`` on stderr once the first
wave is in place (all connections opened, or the first requests sent).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import sys
import time

HOST = "127.0.0.1"
INIT = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                   "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                              "clientInfo": {"name": "flood", "version": "0"}}}).encode()


def raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def ready() -> None:
    print("ready", file=sys.stderr, flush=True)


async def read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 response with a Content-Length body (all the server sends for these requests)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)}
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers, body


async def init_flood(port: int, count: int, concurrency: int) -> dict:
    """`count` initialize POSTs over `concurrency` keep-alive connections, as fast as the server answers."""
    statuses: dict[int, int] = {}
    sent = 0
    request = (f"POST /mcp HTTP/1.1\r\nHost: {HOST}:{port}\r\nContent-Type: application/json\r\n"
               f"Accept: application/json, text/event-stream\r\nContent-Length: {len(INIT)}\r\n\r\n").encode() + INIT

    async def worker() -> None:
        nonlocal sent
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            while sent < count:
                sent += 1
                writer.write(request)
                status, headers, _ = await read_response(reader)
                statuses[status] = statuses.get(status, 0) + 1
                if sent == concurrency * 4:
                    ready()
                if headers.get("connection", "").lower() == "close":
                    writer.close()
                    reader, writer = await asyncio.open_connection(HOST, port)
        finally:
            writer.close()

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.monotonic() - started
    return {"requests": sum(statuses.values()), "statuses": statuses, "seconds": elapsed,
            "rate_per_s": sum(statuses.values()) / elapsed}


async def slow_body(port: int, conns: int, seconds: float, interval: float) -> dict:
    """`conns` connections, each announcing a 100 kB body and sending one byte per `interval`; a connection the
    server closes is reopened until `seconds` have passed. Records how long the server let each one live."""
    deadline = time.monotonic() + seconds
    lifetimes: list[float] = []
    answers: dict[str, int] = {}
    still_open = 0
    opened = 0
    head = (f"POST /mcp HTTP/1.1\r\nHost: {HOST}:{port}\r\nContent-Type: application/json\r\n"
            f"Accept: application/json\r\nContent-Length: 100000\r\n\r\n{{").encode()
    first_wave = asyncio.Event()

    def count(what: str) -> None:
        answers[what] = answers.get(what, 0) + 1

    async def watch(reader: asyncio.StreamReader, t0: float) -> None:
        """Reads the server's answer, then expects it to close the connection; stamps the lifetime."""
        data = await reader.read(4096)
        lifetimes.append(time.monotonic() - t0)
        count(data.split(b" ", 2)[1].decode() if data.startswith(b"HTTP/1.1") else "closed without answer")
        if data:
            try:
                await asyncio.wait_for(reader.read(), timeout=2.0)
            except (asyncio.TimeoutError, OSError):
                count("not closed after answer")

    async def one_slot(slot: int) -> None:
        nonlocal still_open, opened
        # Connections open over the first `interval` and reopen after a random pause, as independent
        # attackers would; opening all 2,000 in the same millisecond would only measure how fast the
        # server clears a burst of simultaneous timeouts.
        await asyncio.sleep(interval * slot / conns)
        while time.monotonic() < deadline:
            t0 = time.monotonic()
            try:
                reader, writer = await asyncio.open_connection(HOST, port)
                writer.write(head)
                await writer.drain()
            except OSError as e:
                count(f"connect error {type(e).__name__}")
                await asyncio.sleep(0.1)
                continue
            opened += 1
            if opened == conns:
                first_wave.set()
            watcher = asyncio.ensure_future(watch(reader, t0))
            # One byte per interval while the server keeps the connection (a plain sleep loop: cheap, so
            # this process leaves the CPU to the server and the measuring client).
            while not watcher.done() and time.monotonic() < deadline:
                await asyncio.sleep(interval)
                if watcher.done():
                    break
                try:
                    writer.write(b" ")
                except OSError:
                    break
            if not watcher.done():
                still_open += 1  # the attack ended before the server cut this one
                watcher.cancel()
            else:
                await watcher
            writer.close()
            await asyncio.sleep(random.uniform(0, interval))

    async def announce() -> None:
        await first_wave.wait()
        ready()

    announcer = asyncio.ensure_future(announce())
    await asyncio.gather(*(one_slot(i) for i in range(conns)))
    announcer.cancel()
    return {"connections": opened, "answers": answers, "closed_by_server": len(lifetimes),
            "still_open_at_end": still_open, "lifetime_p50_s": pct(lifetimes, 50),
            "lifetime_max_s": max(lifetimes, default=0.0),
            "cpu_seconds": resource.getrusage(resource.RUSAGE_SELF).ru_utime}


async def idle_conns(port: int, conns: int, seconds: float) -> dict:
    """`conns` connections that send half a request head and then nothing; reopened when closed."""
    deadline = time.monotonic() + seconds
    lifetimes: list[float] = []
    opened = 0
    first_wave = asyncio.Event()

    async def one_slot() -> None:
        nonlocal opened
        while time.monotonic() < deadline:
            t0 = time.monotonic()
            try:
                reader, writer = await asyncio.open_connection(HOST, port)
                writer.write(b"GET /health HTTP/1.1\r\nHo")
                await writer.drain()
            except OSError:
                await asyncio.sleep(0.1)
                continue
            opened += 1
            if opened == conns:
                first_wave.set()
            try:
                await asyncio.wait_for(reader.read(), timeout=max(0.0, deadline - time.monotonic()))
                lifetimes.append(time.monotonic() - t0)
            except (asyncio.TimeoutError, OSError):
                pass
            writer.close()

    async def announce() -> None:
        await first_wave.wait()
        ready()

    announcer = asyncio.ensure_future(announce())
    await asyncio.gather(*(one_slot() for _ in range(conns)))
    announcer.cancel()
    return {"connections": opened, "closed_by_server": len(lifetimes), "lifetime_p50_s": pct(lifetimes, 50),
            "lifetime_max_s": max(lifetimes, default=0.0)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["init-flood", "slow-body", "idle-conns"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--conns", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--interval", type=float, default=1.0)
    args = parser.parse_args()
    raise_fd_limit()
    if args.mode == "init-flood":
        result = asyncio.run(init_flood(args.port, min(args.count, 20_000), args.concurrency))
    elif args.mode == "slow-body":
        result = asyncio.run(slow_body(args.port, args.conns, min(args.seconds, 60.0), args.interval))
    else:
        result = asyncio.run(idle_conns(args.port, args.conns, min(args.seconds, 60.0)))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
