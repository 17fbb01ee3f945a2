"""The status-code contract of docs/HTTP.md on the raw wire (httpx2, no SDK): Origin/Host checks (H2/H3), Accept
and Content-Type (H5/H6, P4), body limit, parse errors (H11), MCP-Protocol-Version (H30), session rules
(H21–H24), 202 for notifications (H8), batches (H7), GET stream rules (H17, H18, H20), CORS (H33), bearer auth,
the session cap, idle expiry, unknown paths."""

from __future__ import annotations

import json
import time

import httpx2
import pytest

from conftest import LATEST_VERSION, compact
from http_support import (
    ACCEPT_BOTH,
    HttpServer,
    http_server,  # noqa: F401  (fixture)
    init_params,
    rpc_from_response,
    session_headers,
    start_server,  # noqa: F401  (fixture)
)

JSON_CT = {"Content-Type": "application/json"}
PING = compact({"jsonrpc": "2.0", "id": 1, "method": "ping"})


def init_body(version: str = LATEST_VERSION, id: int = 1) -> str:
    return compact({"jsonrpc": "2.0", "id": id, "method": "initialize", "params": init_params(version)})


def initialize(c: httpx2.Client, url: str, version: str = LATEST_VERSION, **headers: str) -> str:
    r = c.post(url, content=init_body(version), headers={"Accept": ACCEPT_BOTH, **JSON_CT, **headers})
    assert r.status_code == 200, f"initialize: HTTP {r.status_code} {r.text[:300]!r}"
    assert rpc_from_response(r)["result"]["protocolVersion"] == version
    sid = r.headers.get("mcp-session-id")
    assert sid, f"no Mcp-Session-Id on the initialize answer: {dict(r.headers)}"
    r2 = c.post(url, content=compact({"jsonrpc": "2.0", "method": "notifications/initialized"}),
                headers={**session_headers(sid, version), **headers})
    assert r2.status_code == 202, f"notifications/initialized: HTTP {r2.status_code}"
    return sid


def json_error(r: httpx2.Response) -> dict:
    assert r.headers.get("content-type", "").startswith("application/json"), \
        f"HTTP {r.status_code} body is not JSON: {r.headers.get('content-type')!r} {r.text[:200]!r}"
    return r.json()


@pytest.fixture
def client():
    with httpx2.Client(timeout=5.0) as c:
        yield c


# ------------------------------------------------------------------------------------------------ Origin / Host


@pytest.mark.parametrize("origin", ["http://evil.example.com", "https://attacker.test:8443", "null"])
def test_foreign_origin_is_403(http_server, client, origin):  # H2
    r = client.post(http_server.mcp_url, content=init_body(),
                    headers={"Accept": ACCEPT_BOTH, **JSON_CT, "Origin": origin})
    assert r.status_code == 403, f"Origin {origin}: HTTP {r.status_code} {r.text[:200]!r}"


def test_loopback_origin_is_allowed_and_session_header_exposed(http_server, client):  # H2, H33
    origin = f"http://127.0.0.1:{http_server.port}"
    r = client.post(http_server.mcp_url, content=init_body(),
                    headers={"Accept": ACCEPT_BOTH, **JSON_CT, "Origin": origin})
    assert r.status_code == 200, f"Origin {origin}: HTTP {r.status_code} {r.text[:200]!r}"
    assert r.headers.get("access-control-allow-origin") == origin
    exposed = [h.strip().lower() for h in r.headers.get("access-control-expose-headers", "").split(",")]
    assert "mcp-session-id" in exposed, f"Access-Control-Expose-Headers: {r.headers.get('access-control-expose-headers')!r}"


def test_dns_rebinding_host_is_403_and_loopback_host_passes(http_server, client):  # H3
    evil = client.post(http_server.mcp_url, content=init_body(),
                       headers={"Accept": ACCEPT_BOTH, **JSON_CT, "Host": "evil.example.com",
                                "Origin": "http://evil.example.com"})
    assert evil.status_code == 403, f"rebinding probe: HTTP {evil.status_code} {evil.text[:200]!r}"
    evil_host_only = client.post(http_server.mcp_url, content=init_body(),
                                 headers={"Accept": ACCEPT_BOTH, **JSON_CT, "Host": f"evil.example.com:{http_server.port}"})
    assert evil_host_only.status_code == 403, f"foreign Host: HTTP {evil_host_only.status_code}"
    for host in (f"127.0.0.1:{http_server.port}", f"localhost:{http_server.port}"):
        ok = client.post(http_server.mcp_url, content=init_body(),
                         headers={"Accept": ACCEPT_BOTH, **JSON_CT, "Host": host,
                                  "Origin": f"http://{host}"})
        assert ok.status_code == 200, f"Host {host}: HTTP {ok.status_code} {ok.text[:200]!r}"


def test_cors_preflight(http_server, client):  # H33
    origin = f"http://localhost:{http_server.port}"
    r = client.options(http_server.mcp_url, headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, mcp-session-id, mcp-protocol-version"})
    assert 200 <= r.status_code < 300, f"preflight: HTTP {r.status_code}"
    assert r.headers.get("access-control-allow-origin") == origin
    methods = {m.strip().upper() for m in r.headers.get("access-control-allow-methods", "").split(",")}
    assert {"GET", "POST", "DELETE", "OPTIONS"} <= methods, methods
    allowed = {h.strip().lower() for h in r.headers.get("access-control-allow-headers", "").split(",")}
    assert {"content-type", "accept", "authorization", "mcp-session-id", "mcp-protocol-version",
            "last-event-id"} <= allowed, allowed


# ------------------------------------------------------------------------------------------------ POST rules


def test_post_wrong_content_type_is_415(http_server, client):  # H6
    r = client.post(http_server.mcp_url, content=init_body(),
                    headers={"Accept": ACCEPT_BOTH, "Content-Type": "text/plain"})
    assert r.status_code == 415, f"HTTP {r.status_code} {r.text[:200]!r}"


def test_post_accept_without_json_or_sse_is_406(http_server, client):  # H5
    r = client.post(http_server.mcp_url, content=init_body(), headers={"Accept": "text/html", **JSON_CT})
    assert r.status_code == 406, f"HTTP {r.status_code} {r.text[:200]!r}"


@pytest.mark.parametrize(("accept", "ctype"), [
    ("*/*", None), ("application/json", "application/json"), ("text/event-stream", "text/event-stream"),
    (ACCEPT_BOTH, None)])
def test_post_accept_leniency_and_response_type(http_server, client, accept, ctype):  # H5, H9, P4
    r = client.post(http_server.mcp_url, content=init_body(), headers={"Accept": accept, **JSON_CT})
    assert r.status_code == 200, f"Accept {accept!r}: HTTP {r.status_code} {r.text[:200]!r}"
    got = r.headers.get("content-type", "")
    if ctype:
        assert got.startswith(ctype), f"Accept {accept!r} answered with {got!r}"
    assert rpc_from_response(r)["result"]["protocolVersion"] == LATEST_VERSION


def test_invalid_json_is_400_parse_error(http_server, client):  # H11
    r = client.post(http_server.mcp_url, content='{"jsonrpc": "2.0", "id": 1, "method": ',
                    headers={"Accept": ACCEPT_BOTH, **JSON_CT})
    assert r.status_code == 400, f"HTTP {r.status_code} {r.text[:200]!r}"
    body = json_error(r)
    assert body.get("error", {}).get("code") == -32700, body


def test_body_over_the_limit_is_413(start_server, client):
    server = start_server(TINYTASK_MAX_BODY_BYTES="2048")
    sid = initialize(client, server.mcp_url)
    big = compact({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                   "params": {"name": "create_task", "arguments": {"title": "x" * 4000, "created_by": "big"}}})
    r = client.post(server.mcp_url, content=big, headers=session_headers(sid))
    assert r.status_code == 413, f"HTTP {r.status_code} {r.text[:200]!r}"
    small = client.post(server.mcp_url, content=PING, headers=session_headers(sid))
    assert small.status_code == 200


def test_unsupported_protocol_version_header_is_400(http_server, client):  # H30
    sid = initialize(client, http_server.mcp_url)
    r = client.post(http_server.mcp_url, content=PING, headers=session_headers(sid, "1999-01-01"))
    assert r.status_code == 400, f"HTTP {r.status_code} {r.text[:200]!r}"
    ok = client.post(http_server.mcp_url, content=PING, headers=session_headers(sid))
    assert ok.status_code == 200


def test_request_without_session_id_is_400(http_server, client):  # H22
    r = client.post(http_server.mcp_url, content=PING, headers=session_headers(None))
    assert r.status_code == 400, f"HTTP {r.status_code} {r.text[:200]!r}"


def test_unknown_session_id_is_404(http_server, client):  # H23
    r = client.post(http_server.mcp_url, content=PING, headers=session_headers("0123456789abcdef0123456789abcdef"))
    assert r.status_code == 404, f"HTTP {r.status_code} {r.text[:200]!r}"


def test_notifications_only_body_is_202_empty(http_server, client):  # H8
    sid = initialize(client, http_server.mcp_url)
    r = client.post(http_server.mcp_url,
                    content=compact({"jsonrpc": "2.0", "method": "notifications/cancelled",
                                     "params": {"requestId": 999, "reason": "test"}}),
                    headers=session_headers(sid))
    assert r.status_code == 202 and r.content == b"", f"HTTP {r.status_code} {r.content[:200]!r}"


def test_request_body_is_200_json_with_the_same_id(http_server, client):  # H9
    sid = initialize(client, http_server.mcp_url)
    r = client.post(http_server.mcp_url, content=compact({"jsonrpc": "2.0", "id": "abc", "method": "ping"}),
                    headers=session_headers(sid))
    assert r.status_code == 200
    assert r.headers.get("content-type", "").startswith("application/json")
    assert r.json() == {"jsonrpc": "2.0", "id": "abc", "result": {}}


def test_batch_rejected_unless_2025_03_26(http_server, client):  # H7
    batch = compact([{"jsonrpc": "2.0", "id": 1, "method": "ping"}, {"jsonrpc": "2.0", "id": 2, "method": "ping"}])
    sid = initialize(client, http_server.mcp_url)
    r = client.post(http_server.mcp_url, content=batch, headers=session_headers(sid))
    assert r.status_code == 400, f"batch on {LATEST_VERSION}: HTTP {r.status_code} {r.text[:200]!r}"
    assert json_error(r).get("error", {}).get("code") == -32600, r.text[:200]

    old = initialize(client, http_server.mcp_url, "2025-03-26")
    r = client.post(http_server.mcp_url, content=batch, headers=session_headers(old, "2025-03-26"))
    assert r.status_code == 200, f"batch on 2025-03-26: HTTP {r.status_code} {r.text[:200]!r}"
    answers = r.json() if r.headers.get("content-type", "").startswith("application/json") else None
    assert isinstance(answers, list), f"batch answer is not a JSON array: {r.text[:200]!r}"
    assert sorted(a["id"] for a in answers) == [1, 2] and all(a["result"] == {} for a in answers), answers


def test_session_cap_is_503_with_retry_after(start_server, client):
    server = start_server(TINYTASK_MAX_SESSIONS="2")
    # Only sessions that made a request count against the cap (unused ones would be evicted instead).
    for _ in range(2):
        sid = initialize(client, server.mcp_url)
        assert client.post(server.mcp_url, content=PING, headers=session_headers(sid)).status_code == 200
    r = client.post(server.mcp_url, content=init_body(), headers={"Accept": ACCEPT_BOTH, **JSON_CT})
    assert r.status_code == 503, f"third initialize with TINYTASK_MAX_SESSIONS=2: HTTP {r.status_code}"
    assert r.headers.get("retry-after"), f"no Retry-After: {dict(r.headers)}"


def test_idle_session_expires_with_404(start_server, client):
    server = start_server(TINYTASK_SESSION_IDLE_SECS="1")
    sid = initialize(client, server.mcp_url)
    assert client.post(server.mcp_url, content=PING, headers=session_headers(sid)).status_code == 200
    time.sleep(2.5)
    r = client.post(server.mcp_url, content=PING, headers=session_headers(sid))
    assert r.status_code == 404, f"session idle 2.5 s with TINYTASK_SESSION_IDLE_SECS=1: HTTP {r.status_code}"


def test_trailing_slash_is_the_same_endpoint(http_server, client):  # H1
    sid = initialize(client, http_server.mcp_url + "/")
    r = client.post(http_server.mcp_url, content=PING, headers=session_headers(sid))
    assert r.status_code == 200 and rpc_from_response(r)["result"] == {}


# ------------------------------------------------------------------------------------------------ GET / DELETE


def test_get_stream_headers_and_rules(http_server, client):  # H16, H17, H18
    sid = initialize(client, http_server.mcp_url)
    base = {"Mcp-Session-Id": sid, "MCP-Protocol-Version": LATEST_VERSION}
    r = client.get(http_server.mcp_url, headers={**base, "Accept": "application/json"})
    assert r.status_code == 406, f"GET without SSE in Accept: HTTP {r.status_code}"
    with client.stream("GET", http_server.mcp_url, headers={**base, "Accept": "text/event-stream"}) as s:
        assert s.status_code == 200
        assert s.headers.get("content-type", "").startswith("text/event-stream")
        assert "no-cache" in s.headers.get("cache-control", ""), s.headers.get("cache-control")
        assert s.headers.get("x-accel-buffering") == "no"
        second = client.get(http_server.mcp_url, headers={**base, "Accept": "text/event-stream"})
        assert second.status_code == 409, f"second GET stream: HTTP {second.status_code}"


def test_get_without_session_not_asking_for_sse_is_405_with_allow(http_server, client):  # H20
    r = client.get(http_server.mcp_url, headers={"Accept": "application/json"})
    assert r.status_code == 405, f"HTTP {r.status_code} {r.text[:200]!r}"
    assert "POST" in r.headers.get("allow", "").upper(), f"Allow: {r.headers.get('allow')!r}"


def test_delete_without_or_with_unknown_session(http_server, client):  # H24
    r = client.delete(http_server.mcp_url)
    assert r.status_code == 400, f"DELETE without session id: HTTP {r.status_code}"
    r = client.delete(http_server.mcp_url, headers={"Mcp-Session-Id": "0123456789abcdef0123456789abcdef"})
    assert r.status_code == 404, f"DELETE unknown session: HTTP {r.status_code}"


def test_unknown_path_is_404_json(http_server, client):
    r = client.get(http_server.base + "/nope")
    assert r.status_code == 404
    body = json_error(r)
    assert isinstance(body.get("error"), str) and body["error"], body


# ------------------------------------------------------------------------------------------------ auth


def test_bearer_token_required_except_health(start_server, client):
    server: HttpServer = start_server(TINYTASK_AUTH_TOKEN="s3cret-token")
    assert client.get(server.health_url).status_code == 200
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic czNjcmV0LXRva2Vu"}):
        r = client.post(server.mcp_url, content=init_body(), headers={"Accept": ACCEPT_BOTH, **JSON_CT, **headers})
        assert r.status_code == 401, f"{headers}: HTTP {r.status_code}"
        assert r.headers.get("www-authenticate", "").lower().startswith("bearer"), dict(r.headers)
    r = client.get(server.sse_url, headers={"Accept": "text/event-stream"})
    assert r.status_code == 401, f"GET /sse without token: HTTP {r.status_code}"
    sid = initialize(client, server.mcp_url, Authorization="Bearer s3cret-token")
    r = client.post(server.mcp_url, content=PING, headers={**session_headers(sid)})
    assert r.status_code == 401, "a session id is not a credential (H26)"
    r = client.post(server.mcp_url, content=PING,
                    headers={**session_headers(sid), "Authorization": "Bearer s3cret-token"})
    assert r.status_code == 200 and json.loads(r.text)["result"] == {}
