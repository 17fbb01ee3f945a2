"""GET /metrics (docs/HTTP.md "Metrics"): the real binary, driven over Streamable HTTP and legacy SSE with the
official SDK, scraped and parsed with the PyPI ``prometheus-client`` OpenMetrics parser (which also proves the
exposition is well-formed). Every check is on the exact amount a counter or gauge moved between two scrapes:
tool calls by outcome and their latency counts, write batches, sessions by transport (Streamable HTTP, legacy
SSE, stdio) and era (open, then closed), SSE streams, claims by kind and lease grants, tasks by status and queue, the waiter gauges while
wait_for_task / get_events are pending, the event-log extent, REST requests by route pattern; then the protection (bearer token, the metrics
token, the Host rule) and TINYTASK_METRICS=off."""

from __future__ import annotations

import time
from typing import Any

import anyio
import httpx2
import pytest
from mcp import MCPError
from prometheus_client.openmetrics.parser import text_string_to_metric_families

from coordination_support import Waiter
from http_support import (
    HttpServer,
    RawLegacyStream,
    legacy_session,
    start_server,  # noqa: F401  (fixture)
    streamable_session,
)

pytestmark = pytest.mark.anyio

OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8"
SETTLE = 5.0  # seconds a gauge gets to reach its value (sessions close asynchronously after the client leaves)

Samples = dict[tuple[str, frozenset], float]


def scrape(server: HttpServer, token: str | None = None, host: str | None = None) -> httpx2.Response:
    headers = {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if host:
        headers["Host"] = host
    return httpx2.get(f"{server.base}/metrics", headers=headers, timeout=5.0)


def parse(text: str) -> Samples:
    """Every sample of an OpenMetrics exposition: (sample name, labels) -> value."""
    out: Samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            key = (s.name, frozenset(s.labels.items()))
            assert key not in out, f"sample {key} exposed twice"
            out[key] = s.value
    return out


def samples(server: HttpServer, token: str | None = None) -> Samples:
    r = scrape(server, token)
    assert r.status_code == 200, f"/metrics: HTTP {r.status_code} {r.text[:300]!r}"
    assert r.headers["content-type"] == OPENMETRICS, r.headers
    return parse(r.text)


def value(s: Samples, name: str, **labels: str) -> float:
    """The sample's value; 0 when the series does not exist yet (a series is created on its first use)."""
    return s.get((name, frozenset(labels.items())), 0.0)


async def settle(server: HttpServer, name: str, want: float, **labels: str) -> Samples:
    """Scrapes until `name{labels}` is `want` (within SETTLE seconds); returns that scrape."""
    deadline = time.monotonic() + SETTLE
    seen = []
    while True:
        s = await anyio.to_thread.run_sync(samples, server)
        got = value(s, name, **labels)
        seen.append(got)
        if got == want:
            return s
        assert time.monotonic() < deadline, f"{name}{labels} never became {want}; values seen: {seen[-10:]}"
        await anyio.sleep(0.05)


def diff(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


async def test_tool_calls_writes_sessions_claims_and_tasks_move_by_the_right_amounts(start_server):
    server = start_server()
    base = samples(server)
    assert value(base, "tinytask_board_stats_up") == 1
    assert value(base, "tinytask_build_info", version="3.0.0") == 1
    assert value(base, "tinytask_events_retained") == 0

    async with streamable_session(server) as tt:
        await tt.wait_push_ready()
        era = tt.protocol_version
        opened = await settle(server, "tinytask_streams_open", 1, transport="streamable_http")
        assert value(opened, "tinytask_sessions_open", transport="streamable_http", era=era) == 1
        assert value(opened, "tinytask_sessions_open", transport="streamable_http", era="uninitialized") == 0

        before = samples(server)
        pool = [await tt.create(f"pool {i}", queue_name="q-metrics") for i in range(2)]
        own = await tt.create("ann's", assigned_to="ann")
        assert "not found" in (await tt.err("get_task", {"id": 999_999})).lower()
        with pytest.raises(MCPError):
            await tt.session.call_tool("no_such_tool", {})
        claimed = await tt.call("signup_for_task", {"agent_name": "bob", "queue_name": "q-metrics"})
        assert claimed["claimed"] and claimed["task"]["id"] == pool[0]["id"], claimed
        mine = await tt.call("signup_for_task", {"agent_name": "ann"})
        assert mine["claimed"] and mine["task"]["id"] == own["id"], mine
        after = samples(server)

        calls = "tinytask_tool_calls_total"
        assert diff(before, after, calls, tool="create_task", outcome="ok") == 3
        assert diff(before, after, calls, tool="get_task", outcome="tool_error") == 1
        assert diff(before, after, calls, tool="get_task", outcome="ok") == 0
        assert diff(before, after, calls, tool="unknown", outcome="protocol_error") == 1
        assert diff(before, after, calls, tool="signup_for_task", outcome="ok") == 2
        assert diff(before, after, "tinytask_tool_call_duration_seconds_count", tool="create_task") == 3
        assert diff(before, after, "tinytask_tool_call_duration_seconds_bucket", tool="create_task", le="+Inf") == 3
        # Five writes committed (3 creates, 2 claims); the failed get_task is a read.
        assert diff(before, after, "tinytask_write_batch_size_sum") == 5
        batches = diff(before, after, "tinytask_write_batch_size_count")
        assert 1 <= batches <= 5, batches
        assert diff(before, after, "tinytask_write_batch_duration_seconds_count") == batches
        assert diff(before, after, "tinytask_claims_total", kind="pool") == 1
        assert diff(before, after, "tinytask_claims_total", kind="personal") == 1
        assert diff(before, after, "tinytask_lease_grants_total") == 2
        assert value(after, "tinytask_leases_active") == 2
        # The board at scrape time: queue "" is no queue.
        assert value(after, "tinytask_tasks", status="idle", queue="q-metrics") == 1
        assert value(after, "tinytask_tasks", status="working", queue="q-metrics") == 1
        assert value(after, "tinytask_tasks", status="working", queue="") == 1
        assert value(after, "tinytask_queues") == 1
        await tt.call("archive_task", {"id": pool[1]["id"]})
        archived = samples(server)
        assert value(archived, "tinytask_tasks", status="idle", queue="q-metrics") == 0
        assert value(archived, "tinytask_tasks_archived") == 1
        # The event log: one event per write so far (3 created, 2 claimed, 1 archived), cursors 1..6.
        feed = await tt.call("get_events", {"after": 0, "limit": 1000})
        assert value(archived, "tinytask_events_last_cursor") == feed["next_cursor"] == 6
        assert value(archived, "tinytask_events_retained") == len(feed["events"]) == 6

    closed = await settle(server, "tinytask_sessions_open", 0, transport="streamable_http", era=era)
    assert value(closed, "tinytask_streams_open", transport="streamable_http") == 0


async def test_the_waiter_gauges_count_pending_waits(start_server):
    server = start_server()
    async with streamable_session(server) as tt:
        w = Waiter(tt, "carl", timeout_secs=15)
        async with anyio.create_task_group() as tg:
            tg.start_soon(w.run)
            waiting = await settle(server, "tinytask_waiters", 1, call="wait_for_task")
            assert value(waiting, "tinytask_waiters", call="get_events") == 0
            task = await tt.create("for carl", assigned_to="carl")
            res = await w.answer(10)
        assert res["claimed"] and res["task"]["id"] == task["id"], res
        done = await settle(server, "tinytask_waiters", 0, call="wait_for_task")
        assert value(done, "tinytask_claims_total", kind="personal") == 1

        feed = await tt.call("get_events", {"after": 0})
        page: dict[str, Any] = {}

        async def long_poll() -> None:
            page.update(await tt.call("get_events", {"after": feed["next_cursor"], "wait_secs": 15},
                                      read_timeout=20))

        async with anyio.create_task_group() as tg:
            tg.start_soon(long_poll)
            await settle(server, "tinytask_waiters", 1, call="get_events")
            await tt.create("wakes the feed")
        assert len(page["events"]) == 1, page
        await settle(server, "tinytask_waiters", 0, call="get_events")
        # A get_events that does not wait is not a waiter.
        await tt.call("get_events", {"after": 0})
        assert value(samples(server), "tinytask_waiters", call="get_events") == 0


async def test_legacy_sessions_and_streams_are_counted_by_era_until_they_close(start_server):
    server = start_server()
    async with httpx2.AsyncClient(timeout=10.0) as client:
        async with client.stream("GET", f"{server.base}/sse", headers={"Accept": "text/event-stream"}) as r:
            assert r.status_code == 200
            stream = RawLegacyStream(r)
            event, _ = await stream.next_event()
            assert event == "endpoint"
            opened = await settle(server, "tinytask_streams_open", 1, transport="legacy_sse")
            assert value(opened, "tinytask_sessions_open", transport="legacy_sse", era="uninitialized") == 1
    await settle(server, "tinytask_sessions_open", 0, transport="legacy_sse", era="uninitialized")
    await settle(server, "tinytask_streams_open", 0, transport="legacy_sse")

    async with legacy_session(server) as tt:
        era = tt.protocol_version
        s = await settle(server, "tinytask_sessions_open", 1, transport="legacy_sse", era=era)
        assert value(s, "tinytask_sessions_open", transport="legacy_sse", era="uninitialized") == 0
        await tt.create("over legacy SSE")
        s = samples(server)
        assert value(s, "tinytask_tool_calls_total", tool="create_task", outcome="ok") == 1
    await settle(server, "tinytask_sessions_open", 0, transport="legacy_sse", era=era)


def test_rest_requests_are_counted_by_route_pattern_and_status_class(start_server):
    server = start_server()
    api = f"{server.base}/api/v1"
    created = httpx2.post(f"{api}/tasks", json={"title": "over REST", "created_by": "rest"}, timeout=5.0)
    assert created.status_code == 201, created.text[:300]
    task_id = created.json()["id"]
    for _ in range(2):
        assert httpx2.get(f"{api}/tasks/{task_id}", timeout=5.0).status_code == 200
    assert httpx2.get(f"{api}/tasks/999999", timeout=5.0).status_code == 404
    assert httpx2.get(f"{api}/no/such/route", timeout=5.0).status_code == 404
    s = samples(server)
    rest = "tinytask_rest_requests_total"
    one = "/api/v1/tasks/{id}"
    assert value(s, rest, method="POST", route="/api/v1/tasks", status="2xx") == 1
    assert value(s, rest, method="GET", route=one, status="2xx") == 2
    assert value(s, rest, method="GET", route=one, status="4xx") == 1
    assert value(s, rest, method="GET", route="unmatched", status="4xx") == 1
    assert value(s, "tinytask_rest_request_duration_seconds_count", method="GET", route=one) == 3
    routes = {dict(labels).get("route") for (name, labels) in s if name == rest}
    assert routes == {"/api/v1/tasks", one, "unmatched"}, f"raw paths never become labels: {routes}"
    # REST runs the tools without MCP: no tools/call is counted, the write and the task are.
    assert value(s, "tinytask_tool_calls_total", tool="create_task", outcome="ok") == 0
    assert value(s, "tinytask_tasks", status="idle", queue="") == 1


async def test_the_stdio_session_of_a_both_mode_server_is_counted_until_stdin_closes(start_server):
    server = start_server(mode="both")
    raw = server.raw
    assert raw is not None
    await settle(server, "tinytask_sessions_open", 1, transport="stdio", era="uninitialized")
    init = await anyio.to_thread.run_sync(raw.initialize, "2025-06-18")
    assert init["protocolVersion"] == "2025-06-18"
    s = await settle(server, "tinytask_sessions_open", 1, transport="stdio", era="2025-06-18")
    assert value(s, "tinytask_sessions_open", transport="stdio", era="uninitialized") == 0
    await anyio.to_thread.run_sync(raw.tool_json, "create_task", {"title": "over stdio", "created_by": "cli"})
    s = samples(server)
    assert value(s, "tinytask_tool_calls_total", tool="create_task", outcome="ok") == 1
    assert value(s, "tinytask_tasks", status="idle", queue="") == 1
    raw.close_stdin()  # ends the stdio transport only: the HTTP server keeps running
    await settle(server, "tinytask_sessions_open", 0, transport="stdio", era="2025-06-18")


def test_with_a_token_metrics_need_it_or_the_metrics_token(start_server):
    main, scraper = "main-secret", "scrape-secret"
    server = start_server(TINYTASK_AUTH_TOKEN=main, TINYTASK_METRICS_TOKEN=scraper)
    r = scrape(server)
    assert r.status_code == 401 and r.headers.get("www-authenticate", "").startswith("Bearer"), (r.status_code, r.headers)
    assert scrape(server, "wrong").status_code == 401
    for token in (scraper, main):
        r = scrape(server, token)
        assert r.status_code == 200, (token, r.status_code, r.text[:200])
        assert value(parse(r.text), "tinytask_board_stats_up") == 1
    # The metrics token opens /metrics only.
    r = httpx2.post(server.mcp_url, content="{}", timeout=5.0,
                    headers={"Authorization": f"Bearer {scraper}", "Content-Type": "application/json",
                             "Accept": "application/json, text/event-stream"})
    assert r.status_code == 401, (r.status_code, r.text[:200])
    # Same Host rule as every route but /health.
    assert scrape(server, scraper, host="evil.example").status_code == 403

    only_main = start_server(TINYTASK_AUTH_TOKEN=main)
    assert scrape(only_main).status_code == 401
    assert scrape(only_main, scraper).status_code == 401
    assert scrape(only_main, main).status_code == 200

    only_metrics = start_server(TINYTASK_METRICS_TOKEN=scraper)
    assert scrape(only_metrics).status_code == 401, "the metrics token is required once set"
    assert scrape(only_metrics, scraper).status_code == 200
    assert httpx2.get(only_metrics.health_url, timeout=5.0).status_code == 200

    open_server = start_server()
    assert scrape(open_server).status_code == 200, "no token configured: open, like the other routes"


async def test_metrics_off_records_nothing_and_hides_the_route(start_server):
    server = start_server(TINYTASK_METRICS="off")
    r = scrape(server)
    assert r.status_code == 404, (r.status_code, r.text[:200])
    assert r.json() == {"error": "Not found: GET /metrics"}
    async with streamable_session(server) as tt:
        task = await tt.create("still works")
        assert (await tt.get(task["id"]))["title"] == "still works"
    assert scrape(server).status_code == 404
