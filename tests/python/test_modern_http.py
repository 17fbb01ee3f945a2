"""The 2026-07-28 era on the raw wire (docs: mcp-protocol.md §9, M2–M8; issue 13 §5): every HTTP status and
JSON-RPC error code a stateless request can get from POST /mcp, checked with httpx2 against a spawned
``TINYTASK_MODE=http`` server, plus ``server/discover`` and the era's errors on stdio before (and without) any
``initialize``.

What every modern answer must satisfy is checked on each one (:func:`answer`): no ``Mcp-Session-Id`` header
(none is minted, M4), the request's id echoed with its JSON type (M6; ``null`` only for unreadable bodies),
errors with the status of the map (-32700/-32600/-32602/-32020/-32021/-32022 → 400, -32601 → 404, others 200),
results with ``resultType: "complete"`` and the server's identity in ``_meta`` (M5). Ids are a string and 0 in
the error tests, the two values a server most easily loses.
"""

from __future__ import annotations

import json
from typing import Any

import httpx2
import pytest

from conftest import (
    LATEST_VERSION,
    META_CAPABILITIES,
    META_SERVER_INFO,
    META_VERSION,
    MODERN_VERSION,
    SUPPORTED_VERSIONS,
    TOOL_COUNT,
    RawServer,
    compact,
    modern_meta,
    modern_params,
)
from http_support import (
    NAME_PARAM,
    HttpServer,
    http_server,  # noqa: F401  (fixture)
    modern_headers,
    raw_initialize,
    raw_request,
    raw_tool,
)

pytestmark = pytest.mark.anyio

SERVER_NAME = "tinytask-mcp"
IDS = ["req-7", 0]  # echoed with their JSON type in every error (M6)
STATUS_OF = {-32700: 400, -32600: 400, -32602: 400, -32020: 400, -32021: 400, -32022: 400, -32601: 404}
CACHEABLE = ("tools/list", "prompts/list", "resources/list", "resources/templates/list", "resources/read")
REMOVED = ("initialize", "ping", "logging/setLevel", "resources/subscribe", "resources/unsubscribe")


@pytest.fixture
async def client():
    async with httpx2.AsyncClient(timeout=httpx2.Timeout(10.0)) as c:
        yield c


def body_of(method: str, params: dict | None, id: Any) -> dict:
    msg: dict[str, Any] = {"jsonrpc": "2.0", "id": id, "method": method}
    if params is not None:
        msg["params"] = params
    return msg


async def post(client: httpx2.AsyncClient, server: HttpServer, method: str, params: dict | None = None,
               id: Any = 1, headers: dict[str, str] | None = None, content: str | None = None) -> httpx2.Response:
    """POST one request: `params` as given (add the era's _meta with modern_params), `headers` default to the
    modern headers the body calls for; `content` replaces the body text."""
    if headers is None:
        name_key = NAME_PARAM.get(method)
        name = (params or {}).get(name_key) if name_key else None
        headers = modern_headers(method, name if isinstance(name, str) else None)
    text = content if content is not None else compact(body_of(method, params, id))
    return await client.post(server.mcp_url, content=text, headers=headers)


def answer(r: httpx2.Response, id: Any) -> dict:
    """The JSON-RPC message of a modern answer, after the checks every one must pass: no session id minted; one
    JSON message (SSE answers are only for requests asking for log notifications, test_listen.py) echoing `id`."""
    assert "mcp-session-id" not in r.headers, f"a modern request was given Mcp-Session-Id {r.headers['mcp-session-id']}"
    ctype = r.headers.get("content-type", "")
    assert ctype.startswith("application/json"), f"HTTP {r.status_code} content-type {ctype!r}: {r.text[:300]!r}"
    msg = r.json()
    assert isinstance(msg, dict) and msg.get("jsonrpc") == "2.0", msg
    assert "id" in msg and msg["id"] == id and type(msg["id"]) is type(id), \
        f"answer id {msg.get('id')!r} does not echo request id {id!r}: {msg}"
    return msg


def error(r: httpx2.Response, id: Any, code: int) -> dict:
    """The error of a rejected modern request: `code`, the status of the map, the id echoed."""
    msg = answer(r, id)
    assert "error" in msg and "result" not in msg, f"expected error {code}, got HTTP {r.status_code}: {msg}"
    err = msg["error"]
    assert err.get("code") == code, f"expected error {code} (HTTP {STATUS_OF.get(code, 200)}), got HTTP " \
                                    f"{r.status_code}: {err}"
    assert isinstance(err.get("message"), str) and err["message"], err
    assert r.status_code == STATUS_OF.get(code, 200), f"error {code} answered HTTP {r.status_code}, not " \
                                                      f"{STATUS_OF.get(code, 200)}: {err}"
    return err


def result(r: httpx2.Response, id: Any) -> dict:
    """The result of a served modern request: HTTP 200, resultType "complete", serverInfo in _meta (M5)."""
    msg = answer(r, id)
    assert r.status_code == 200 and "result" in msg and "error" not in msg, f"HTTP {r.status_code}: {msg}"
    res = msg["result"]
    assert res.get("resultType") == "complete", f"resultType {res.get('resultType')!r}: {compact(res)[:300]}"
    info = (res.get("_meta") or {}).get(META_SERVER_INFO)
    assert isinstance(info, dict) and info.get("name") == SERVER_NAME and isinstance(info.get("version"), str), \
        f"_meta {META_SERVER_INFO}: {res.get('_meta')!r}"
    return res


def assert_cache_hints(res: dict, what: str) -> None:
    ttl = res.get("ttlMs")
    assert isinstance(ttl, int) and not isinstance(ttl, bool) and ttl >= 0, f"{what}: ttlMs {ttl!r}"
    assert res.get("cacheScope") in ("public", "private"), f"{what}: cacheScope {res.get('cacheScope')!r}"


def assert_discover(res: dict) -> None:
    """M2: every field, the five versions newest first."""
    assert res["supportedVersions"] == SUPPORTED_VERSIONS, res["supportedVersions"]
    caps = res.get("capabilities")
    assert isinstance(caps, dict) and "tools" in caps and "resources" in caps, caps
    assert isinstance(res.get("instructions"), str) and res["instructions"].strip(), res.get("instructions")
    assert_cache_hints(res, "server/discover")


# --------------------------------------------------------------------------------------------------------------
# server/discover (M2)


@pytest.mark.parametrize("id", IDS)
async def test_discover_answers_every_field(http_server, client, id):  # noqa: F811
    assert_discover(result(await post(client, http_server, "server/discover", modern_params(), id), id))


def stdio_result(s: RawServer, method: str, params: dict | None, id: Any) -> dict:
    res = s.result(method, params, id=id)
    assert res.get("resultType") == "complete", f"stdio {method}: resultType {res.get('resultType')!r}"
    assert (res.get("_meta") or {}).get(META_SERVER_INFO, {}).get("name") == SERVER_NAME, res.get("_meta")
    return res


def test_stdio_discover_and_stateless_calls_without_initialize(tmp_path):
    s = RawServer(tmp_path)
    try:
        assert_discover(stdio_result(s, "server/discover", modern_params(), "d-1"))
        # no handshake ever: each request carries its era
        tools = stdio_result(s, "tools/list", modern_params(), 0)
        assert len(tools["tools"]) == TOOL_COUNT
        assert_cache_hints(tools, "stdio tools/list")
        call = stdio_result(s, "tools/call", modern_params({"name": "create_task", "arguments": {
            "title": "stateless on stdio", "created_by": "raw"}}), "c-1")
        task = json.loads(call["content"][0]["text"])
        assert call["structuredContent"] == task and task["title"] == "stateless on stdio"
        # a legacy request without a session is still refused, and the handshake still works afterwards
        err = s.error("tools/list", None, id=5)
        assert err["code"] in (-32600, -32601, -32602), err
        assert s.initialize()["protocolVersion"] == LATEST_VERSION
        listed = s.tool_json("list_tasks", {})
        assert [t["id"] for t in listed["tasks"]] == [task["id"]]
    finally:
        s.kill()


@pytest.mark.parametrize("id", IDS)
def test_stdio_errors_of_the_era(tmp_path, id):
    """M3 and M7 on stdio: the same codes and data as over HTTP (no headers to check there)."""
    s = RawServer(tmp_path)
    try:
        err = s.error("tools/list", modern_params(version="2025-06-18"), id=id)
        assert err["code"] == -32022, err
        assert err.get("data") == {"supported": SUPPORTED_VERSIONS, "requested": "2025-06-18"}, err
        err = s.error("tools/list", {"_meta": {META_VERSION: MODERN_VERSION}}, id=id)
        assert err["code"] == -32602 and META_CAPABILITIES in err["message"], err
        err = s.error("resources/read", modern_params({"uri": "task://987654"}), id=id)
        assert err["code"] == -32602 and (err.get("data") or {}).get("uri") == "task://987654", err
        for method in REMOVED:
            err = s.error(method, modern_params({"level": "info"} if method == "logging/setLevel" else
                                                {"uri": "tasks://active"} if "subscribe" in method else None), id=id)
            assert err["code"] == -32601, f"{method}: {err}"
    finally:
        s.kill()


# --------------------------------------------------------------------------------------------------------------
# headers (M4): missing or disagreeing → 400 -32020, the id echoed


def tool_call_params(name: str = "list_tasks", args: dict | None = None) -> dict:
    return modern_params({"name": name, "arguments": args or {}})


HEADER_CASES = {
    # case: (method, params, headers)
    "version header missing": ("tools/list", modern_params(),
                               {k: v for k, v in modern_headers("tools/list").items() if k != "MCP-Protocol-Version"}),
    "version header differs from _meta": ("tools/list", modern_params(),
                                          modern_headers("tools/list", version=LATEST_VERSION)),
    "method header missing": ("tools/list", modern_params(),
                              {k: v for k, v in modern_headers("tools/list").items() if k != "Mcp-Method"}),
    "method header differs from body": ("tools/call", tool_call_params(), modern_headers("tools/list")),
    "name header missing (tools/call)": ("tools/call", tool_call_params(), modern_headers("tools/call")),
    "name header differs (tools/call)": ("tools/call", tool_call_params(),
                                         modern_headers("tools/call", "get_task")),
    "name header missing (resources/read)": ("resources/read", modern_params({"uri": "tasks://active"}),
                                             modern_headers("resources/read")),
    "name header differs (resources/read)": ("resources/read", modern_params({"uri": "tasks://active"}),
                                             modern_headers("resources/read", "tasks://archived")),
    "name header differs (prompts/get)": ("prompts/get", modern_params({"name": "work_queue", "arguments": {}}),
                                          modern_headers("prompts/get", "triage")),
    "name header a malformed base64 sentinel": ("tools/call", tool_call_params(),
                                                {**modern_headers("tools/call"), "Mcp-Name": "=?base64?bGlzdF90YXNr!?="}),
    "name header sentinel of another name": ("tools/call", tool_call_params(),
                                             modern_headers("tools/call", "get_task") | {
                                                 "Mcp-Name": "=?base64?Z2V0X3Rhc2s=?="}),
}


@pytest.mark.parametrize("id", IDS)
@pytest.mark.parametrize("case", list(HEADER_CASES))
async def test_header_missing_or_mismatched_is_400_minus_32020(http_server, client, case, id):  # noqa: F811
    method, params, headers = HEADER_CASES[case]
    error(await post(client, http_server, method, params, id, headers=headers), id, -32020)


async def test_base64_sentinel_name_is_decoded_for_tool_calls_and_resource_reads(http_server, client):  # noqa: F811
    # an ASCII tool name sent in the sentinel form is the same name
    sentinel = {**modern_headers("tools/call"), "Mcp-Name": "=?base64?Y3JlYXRlX3Rhc2s=?="}  # "create_task"
    res = result(await post(client, http_server, "tools/call", tool_call_params(
        "create_task", {"title": "sent by sentinel", "created_by": "zoë", "assigned_to": "zoë"}), "s-1",
        headers=sentinel), "s-1")
    task = json.loads(res["content"][0]["text"])
    assert task["assigned_to"] == "zoë" and res["structuredContent"] == task, res
    # a non-ASCII tool name must come as a sentinel (M4 "Value Encoding"): the header matches, so the answer is
    # the unknown-tool error, not a header mismatch
    err = error(await post(client, http_server, "tools/call", tool_call_params("tâche_inconnue"), "s-2"), "s-2",
                -32602)
    assert "tâche_inconnue" in err["message"], err
    # a resource URI with non-ASCII characters (the agent's queue), read through the sentinel
    uri = "queue://zoë"
    headers = modern_headers("resources/read", uri)
    assert headers["Mcp-Name"].startswith("=?base64?"), headers
    res = result(await post(client, http_server, "resources/read", modern_params({"uri": uri}), "s-3",
                            headers=headers), "s-3")
    assert_cache_hints(res, "resources/read")
    assert res["contents"][0]["uri"] == uri, res["contents"]
    queue = json.loads(res["contents"][0]["text"])
    assert queue["agent"] == "zoë" and [t["id"] for t in queue["tasks"]] == [task["id"]], queue
    # the raw UTF-8 bytes are no header value a client may send for it: the plain form must not match
    raw = {**headers, "Mcp-Name": "queue://zo%C3%AB"}
    error(await post(client, http_server, "resources/read", modern_params({"uri": uri}), "s-4", headers=raw),
          "s-4", -32020)


# --------------------------------------------------------------------------------------------------------------
# _meta (M3): missing keys → 400 -32602; unsupported version → 400 -32022 with data


@pytest.mark.parametrize("id", IDS)
@pytest.mark.parametrize("requested", ["2027-01-01", "1999-01-01"])
async def test_unsupported_version_is_400_minus_32022_with_supported_and_requested(http_server, client, requested,
                                                                                  id):  # noqa: F811
    # headers agree with the body, so it is the version itself that is refused. (Versions no era knows: a legacy
    # version in both header and _meta is a legacy request without a session on HTTP, as the SDK's own server
    # treats it; the stdio test checks a legacy version in _meta, where there are no headers.)
    for method, params in (("tools/list", modern_params(version=requested)),
                           ("server/discover", modern_params(version=requested))):
        err = error(await post(client, http_server, method, params, id,
                               headers=modern_headers(method, version=requested)), id, -32022)
        assert err.get("data") == {"supported": SUPPORTED_VERSIONS, "requested": requested}, f"{method}: {err}"


@pytest.mark.parametrize("id", IDS)
@pytest.mark.parametrize("case", ["no capabilities", "no version (discover)", "no _meta (discover)",
                                  "_meta not an object (discover)"])
async def test_missing_meta_keys_are_400_minus_32602(http_server, client, case, id):  # noqa: F811
    # the message names what is missing: the key, or _meta itself when there is none
    if case == "no capabilities":
        method, params, named = "tools/list", {"_meta": {META_VERSION: MODERN_VERSION}}, (META_CAPABILITIES,)
    elif case == "no version (discover)":
        method, params, named = "server/discover", {"_meta": {META_CAPABILITIES: {}}}, (META_VERSION,)
    elif case == "no _meta (discover)":
        method, params, named = "server/discover", {}, ("_meta", META_VERSION)
    else:
        method, params, named = "server/discover", {"_meta": MODERN_VERSION}, ("_meta", META_VERSION)
    err = error(await post(client, http_server, method, params, id), id, -32602)
    assert any(n in err["message"] for n in named), f"{case}: the message names none of {named}: {err}"


# --------------------------------------------------------------------------------------------------------------
# methods: unknown or removed → 404 -32601; resource not found → 400 -32602 with data.uri (M7)


@pytest.mark.parametrize("id", IDS)
@pytest.mark.parametrize("method", ["no/such_method", *REMOVED])
async def test_unknown_and_removed_methods_are_404_minus_32601(http_server, client, method, id):  # noqa: F811
    params = {"initialize": {"protocolVersion": LATEST_VERSION, "capabilities": {},
                             "clientInfo": {"name": "t", "version": "1"}},
              "logging/setLevel": {"level": "debug"},
              "resources/subscribe": {"uri": "tasks://active"},
              "resources/unsubscribe": {"uri": "tasks://active"}}.get(method, {})
    r = await post(client, http_server, method, modern_params(params), id)
    err = error(r, id, -32601)
    assert method in err["message"] or err.get("data") == method, f"the error does not name {method}: {err}"


@pytest.mark.parametrize("id", IDS)
@pytest.mark.parametrize("uri", ["task://987654", "tasks://nope", "foo://bar"])
async def test_resource_not_found_is_400_minus_32602_with_uri(http_server, client, uri, id):  # noqa: F811
    err = error(await post(client, http_server, "resources/read", modern_params({"uri": uri}), id), id, -32602)
    assert (err.get("data") or {}).get("uri") == uri, err


@pytest.mark.parametrize("id", IDS)
async def test_unknown_tool_is_400_and_a_tool_error_is_a_200_result(http_server, client, id):  # noqa: F811
    err = error(await post(client, http_server, "tools/call", tool_call_params("no_such_tool"), id), id, -32602)
    assert "no_such_tool" in err["message"], err
    res = result(await post(client, http_server, "tools/call", tool_call_params("get_task", {"id": 987654}), id), id)
    assert res["isError"] is True and "987654" in res["content"][0]["text"], res


async def test_malformed_json_is_400_minus_32700_with_id_null(http_server, client):  # noqa: F811
    r = await post(client, http_server, "tools/list", content='{"jsonrpc": "2.0", "id": 3, "method": ')
    msg = answer(r, None)
    assert msg["error"]["code"] == -32700 and r.status_code == 400, f"HTTP {r.status_code}: {msg}"


@pytest.mark.parametrize("id", IDS)
async def test_invalid_request_is_400_minus_32600(http_server, client, id):  # noqa: F811
    bad = {"jsonrpc": "1.0", "id": id, "method": "tools/list", "params": modern_params()}
    error(await post(client, http_server, "tools/list", content=compact(bad)), id, -32600)


# --------------------------------------------------------------------------------------------------------------
# results (M5)


async def test_every_result_is_complete_with_server_info_and_cache_hints_where_due(http_server, client):  # noqa: F811
    created = result(await post(client, http_server, "tools/call", tool_call_params(
        "create_task", {"title": "for the hints", "created_by": "hints", "queue_name": "hq"}), "t"), "t")
    task = json.loads(created["content"][0]["text"])
    requests = {
        "tools/list": modern_params(),
        "prompts/list": modern_params(),
        "resources/list": modern_params(),
        "resources/templates/list": modern_params(),
        "resources/read": modern_params({"uri": f"task://{task['id']}"}),
        "tools/call": tool_call_params("get_task", {"id": task["id"]}),
        "prompts/get": modern_params({"name": "work_queue", "arguments": {"agent_name": "hints", "queue_name": "hq"}}),
        "completion/complete": modern_params({"ref": {"type": "ref/resource", "uri": "queue://tasks/{queue_name}"},
                                              "argument": {"name": "queue_name", "value": "h"}}),
    }
    for i, (method, params) in enumerate(requests.items()):
        res = result(await post(client, http_server, method, params, i), i)
        if method in CACHEABLE:
            assert_cache_hints(res, method)
    listed = result(await post(client, http_server, "tools/list", modern_params(), "l"), "l")
    assert len(listed["tools"]) == TOOL_COUNT
    done = result(await post(client, http_server, "completion/complete", requests["completion/complete"], "c"), "c")
    assert done["completion"]["values"] == ["hq"], done


# --------------------------------------------------------------------------------------------------------------
# no session (M4): GET/DELETE are not for the modern era; legacy sessions keep working beside it (M11)


@pytest.mark.parametrize("verb", ["GET", "DELETE"])
async def test_get_and_delete_with_the_modern_version_are_405(http_server, client, verb):  # noqa: F811
    r = await client.request(verb, http_server.mcp_url, headers={"Accept": "text/event-stream",
                                                                 "MCP-Protocol-Version": MODERN_VERSION})
    assert r.status_code == 405, f"{verb} /mcp with MCP-Protocol-Version {MODERN_VERSION}: HTTP {r.status_code} " \
                                 f"{r.text[:200]!r}"
    assert "mcp-session-id" not in r.headers


async def test_legacy_session_still_works_on_the_same_endpoint_afterwards(http_server, client):  # noqa: F811
    # modern traffic first (a write, an error, a rejection), then a legacy session on the same endpoint and port
    made = result(await post(client, http_server, "tools/call", tool_call_params(
        "create_task", {"title": "made modern", "created_by": "m"}), 1), 1)
    task = json.loads(made["content"][0]["text"])
    error(await post(client, http_server, "ping", modern_params(), 2), 2, -32601)
    sid = await raw_initialize(client, http_server.mcp_url)
    msg = await raw_request(client, http_server.mcp_url, sid, "ping", id=3)
    assert msg == {"jsonrpc": "2.0", "id": 3, "result": {}}, msg
    got = await raw_tool(client, http_server.mcp_url, sid, "get_task", {"id": task["id"]})
    assert got["title"] == "made modern"
    legacy = await raw_request(client, http_server.mcp_url, sid, "tools/list", id=4)
    assert "resultType" not in legacy["result"], "a legacy session's result carries resultType"
    # and modern requests are still served while the session exists, without touching it
    again = result(await post(client, http_server, "tools/call", tool_call_params("get_task", {"id": task["id"]}),
                              5), 5)
    assert json.loads(again["content"][0]["text"])["id"] == task["id"]
    status, health = http_server.health()
    assert status == 200 and health["sessions"]["streamable_http"] >= 1, health


def test_modern_meta_shape_is_what_the_sdk_sends():
    """The raw requests of this file carry what the SDK's pinned client stamps (so a pass here means the SDK's
    requests pass too): the same _meta keys, the same header names."""
    from mcp.shared.inbound import MCP_METHOD_HEADER, MCP_NAME_HEADER, MCP_PROTOCOL_VERSION_HEADER

    meta = modern_meta()
    assert set(meta) == {META_VERSION, META_CAPABILITIES, "io.modelcontextprotocol/clientInfo"}
    names = {k.lower() for k in modern_headers("tools/call", "x")}
    assert {MCP_PROTOCOL_VERSION_HEADER, MCP_METHOD_HEADER, MCP_NAME_HEADER} <= names
