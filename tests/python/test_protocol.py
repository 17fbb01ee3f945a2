"""MCP protocol behaviour: tools/list metadata, resources, ping, logging, completion (through the SDK), and the
JSON-RPC/stdio rules checked on the raw wire (version negotiation, ids, notifications, errors, batches, stdout
purity, shutdown, per-version result shapes). Raw tests spawn the binary with subprocess and read stdout lines
with timeouts, so a hang fails instead of blocking."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import anyio
import pytest
from mcp import Client, MCPError
from mcp.client.stdio import StdioServerParameters
from mcp.types import ResourceTemplateReference

from conftest import (
    MODERN,
    MODERN_VERSION,
    SUPPORTED_VERSIONS,
    TOOL_COUNT,
    DELETE_TOOLS,
    LATEST_VERSION,
    LEGACY_VERSIONS,
    READ_ONLY_TOOLS,
    RESOURCE_TEMPLATES,
    RESOURCES,
    TOOL_PARAMS,
    assert_task,
    compact,
    legacy_only,
    require_binary,
    server_env,
)

NEWER_VERSIONS = ("2025-06-18", "2025-11-25")
OLDER_VERSIONS = ("2024-11-05", "2025-03-26")
EARLY_ERROR_CODES = (-32600, -32601, -32602)  # acceptable codes for requests before initialize


# ================================================================================================ SDK: tools/list


@pytest.mark.anyio
async def test_sdk_negotiates_latest_version_and_declares_capabilities(tt):
    if MODERN:
        # The pinned client never asked; what the server declares is server/discover's answer.
        assert tt.protocol_version == MODERN_VERSION
        with anyio.fail_after(10):
            raw = await tt.session.send_discover(MODERN_VERSION)
        assert raw["supportedVersions"] == SUPPORTED_VERSIONS, raw
        info = raw["_meta"]["io.modelcontextprotocol/serverInfo"]
        assert info["name"] and info["version"], info
        caps = raw["capabilities"]
        assert "tools" in caps and "resources" in caps and "completions" in caps, caps
        return
    assert tt.protocol_version == LATEST_VERSION
    init = tt.session.initialize_result
    assert init.server_info.name and init.server_info.version
    caps = tt.session.server_capabilities
    assert caps.tools is not None
    assert caps.resources is not None
    assert caps.logging is not None
    assert caps.completions is not None


@pytest.mark.anyio
async def test_tools_list_has_exactly_the_32_tools(tt):
    tools = (await tt.session.list_tools()).tools
    names = [t.name for t in tools]
    assert len(names) == TOOL_COUNT and len(set(names)) == TOOL_COUNT
    assert set(names) == set(TOOL_PARAMS)


@pytest.mark.anyio
async def test_input_schemas_are_objects_with_contract_properties(tt):
    for tool in (await tt.session.list_tools()).tools:
        schema = tool.input_schema
        assert schema.get("type") == "object", tool.name
        assert isinstance(schema.get("properties"), dict), f"{tool.name}: no properties object"
        assert "required" not in schema or isinstance(schema["required"], list), \
            f"{tool.name}: required is {schema.get('required')!r}"
        required, optional = TOOL_PARAMS[tool.name]
        assert set(schema.get("required") or []) == set(required), tool.name
        assert set(schema["properties"]) == set(required) | set(optional), tool.name
        assert tool.description, f"{tool.name}: no description"


@pytest.mark.anyio
async def test_tool_annotations(tt):
    for tool in (await tt.session.list_tools()).tools:
        a = tool.annotations
        assert a is not None, f"{tool.name}: no annotations"
        assert a.open_world_hint is False, f"{tool.name}: openWorldHint {a.open_world_hint!r}"
        if tool.name in READ_ONLY_TOOLS:
            assert a.read_only_hint is True, f"{tool.name}: readOnlyHint {a.read_only_hint!r}"
        else:
            assert a.read_only_hint is not True, f"{tool.name} is not read-only"
        if tool.name in DELETE_TOOLS:
            assert a.destructive_hint is True, f"{tool.name}: destructiveHint {a.destructive_hint!r}"


@pytest.mark.anyio
async def test_output_schemas_present_for_negotiated_2025_11_25(tt):
    for tool in (await tt.session.list_tools()).tools:
        assert isinstance(tool.output_schema, dict), f"{tool.name}: no outputSchema"
        assert tool.output_schema.get("type") == "object", tool.name


# ================================================================================================ SDK: resources


@pytest.mark.anyio
async def test_resources_list_is_exactly_the_concrete_resources(tt):
    resources = (await tt.session.list_resources()).resources
    assert sorted(r.uri for r in resources) == sorted(RESOURCES)
    for r in resources:
        assert r.name


@pytest.mark.anyio
async def test_resource_templates_list_has_the_8_templates(tt):
    templates = (await tt.session.list_resource_templates()).resource_templates
    assert sorted(t.uri_template for t in templates) == sorted(RESOURCE_TEMPLATES)
    for t in templates:
        assert t.name


async def read_text(tt, uri: str) -> str:
    res = await tt.session.read_resource(uri)
    tt.check_stream()
    assert len(res.contents) == 1, res.contents
    content = res.contents[0]
    assert str(content.uri) == uri
    assert isinstance(content.text, str)
    return content.text


async def read_json(tt, uri: str) -> Any:
    text = await read_text(tt, uri)
    try:
        return json.loads(text)
    except ValueError:
        raise AssertionError(f"{uri} is not JSON: {text[:200]!r}")


@pytest.mark.anyio
async def test_read_tasks_active_and_archived(tt):
    active = await tt.create("Active")
    old = await tt.create("Old")
    await tt.call("archive_task", {"id": old["id"]})
    a = await read_json(tt, "tasks://active")
    assert a["count"] == 1 and [t["id"] for t in a["tasks"]] == [active["id"]]
    assert_task(a["tasks"][0])
    b = await read_json(tt, "tasks://archived")
    assert b["count"] == 1 and [t["id"] for t in b["tasks"]] == [old["id"]]


@pytest.mark.anyio
async def test_read_queue_list_returns_queues_not_an_agent_named_list(tt):
    await tt.create("a", queue_name="dev", assigned_to="alice")
    await tt.create("b", queue_name="qa")
    text = await read_text(tt, "queue://list")
    assert '"agent":"list"' not in text.replace(" ", "")
    assert "dev" in text and "qa" in text


@pytest.mark.anyio
async def test_read_task_resources(tt):
    t = await tt.create("Resource task", assigned_to="alice")
    c = await tt.call("add_comment", {"task_id": t["id"], "content": "note"})
    link = await tt.call("add_link", {"task_id": t["id"], "url": "https://example.com/r"})
    task = await read_json(tt, f"task://{t['id']}")
    assert task["id"] == t["id"] and task["title"] == "Resource task"
    comments = await read_json(tt, f"task://{t['id']}/comments")
    assert comments["task_id"] == t["id"] and comments["count"] == 1
    assert [x["id"] for x in comments["comments"]] == [c["id"]]
    links = await read_json(tt, f"task://{t['id']}/links")
    assert links["task_id"] == t["id"] and [x["id"] for x in links["links"]] == [link["id"]]


@pytest.mark.anyio
async def test_read_task_hierarchy_is_a_nested_tree(tt):
    root = await tt.create("Root task")
    child = await tt.sub(root["id"], "Kid task")
    await tt.sub(child["id"], "Grandkid item")
    text = await read_text(tt, f"task://hierarchy/{root['id']}")
    assert "Root task" in text
    lines = text.splitlines()

    def column(title: str) -> int:
        hits = [ln for ln in lines if title in ln]
        assert len(hits) == 1, f"{title!r} should appear on exactly one line:\n{text}"
        return hits[0].index(title)

    assert column("Grandkid item") > column("Kid task"), \
        f"grandchild is not nested deeper than child:\n{text}"


@pytest.mark.anyio
async def test_read_agent_queue_and_summary(tt):
    t = await tt.create("Queued", assigned_to="alice", priority=7)
    await tt.create("Other", assigned_to="bob")
    queue = await read_json(tt, "queue://alice")
    assert queue["agent"] == "alice" and queue["count"] == 1
    assert [x["id"] for x in queue["tasks"]] == [t["id"]]
    summary = await read_json(tt, "queue://alice/summary")
    assert summary["agent"] == "alice" and summary["total"] == 1


@pytest.mark.anyio
async def test_read_agent_queue_percent_decodes_the_agent_name(tt):
    t = await tt.create("Spaced", assigned_to="alice smith")
    queue = await read_json(tt, "queue://alice%20smith")
    assert queue["agent"] == "alice smith" and [x["id"] for x in queue["tasks"]] == [t["id"]]


@pytest.mark.anyio
async def test_read_queue_stats_and_queue_tasks(tt):
    t = await tt.create("Build the thing", queue_name="dev", assigned_to="alice")
    await tt.create("Elsewhere", queue_name="qa")
    stats = await read_text(tt, "queue://stats/dev")
    assert "dev" in stats and "alice" in stats
    tasks = await read_text(tt, "queue://tasks/dev")
    assert "Build the thing" in tasks and f"#{t['id']}" in tasks
    assert "Elsewhere" not in tasks


@pytest.mark.anyio
@pytest.mark.parametrize("uri", ["foo://bar", "task://987654", "tasks://nope"])
async def test_unknown_resource_is_minus_32002_with_uri(tt, uri):
    # -32002 in a legacy session; the 2026-07-28 era answers -32602 (invalid params) with the same data (M7).
    want = -32602 if MODERN else -32002
    with pytest.raises(MCPError) as info:
        await tt.session.read_resource(uri)
    assert info.value.code == want, f"{uri}: code {info.value.code} {info.value.message}"
    assert isinstance(info.value.data, dict) and info.value.data.get("uri") == uri, info.value.data


# ================================================================================================ SDK: misc


@pytest.mark.anyio
@legacy_only("ping")
async def test_ping(tt):
    res = await tt.session.send_ping()
    assert res is not None


@pytest.mark.anyio
@legacy_only("logging/setLevel")
async def test_logging_set_level(tt):
    for level in ("debug", "info", "warning", "error"):
        await tt.session.set_logging_level(level)
    tt.check_stream()


@pytest.mark.anyio
async def test_completion_of_agent_names(tt):
    for agent in ("alice", "alan", "bob"):
        await tt.create(f"task for {agent}", assigned_to=agent)
    res = await tt.session.complete(ResourceTemplateReference(uri="queue://{agent_name}"),
                                    {"name": "agent_name", "value": "al"})
    assert sorted(res.completion.values) == ["alan", "alice"]


@pytest.mark.anyio
async def test_completion_of_queue_names(tt):
    for q in ("dev", "design", "qa"):
        await tt.create(f"task in {q}", queue_name=q)
    res = await tt.session.complete(ResourceTemplateReference(uri="queue://tasks/{queue_name}"),
                                    {"name": "queue_name", "value": "de"})
    assert sorted(res.completion.values) == ["design", "dev"]


@pytest.mark.anyio
async def test_high_level_client_in_auto_mode_connects_and_calls_a_tool(tmp_path):
    params = StdioServerParameters(command=require_binary(), args=[], env=server_env(tmp_path / "t.db"),
                                   cwd=str(tmp_path))
    # auto mode probes server/discover first (10 s client timeout): TinyTask answers it, so the client adopts
    # 2026-07-28 with no handshake, and the whole connect must be fast (test_era.py: both modes, both transports).
    with anyio.fail_after(8):
        started = time.monotonic()
        async with Client(params, cache=None) as client:
            connect_seconds = time.monotonic() - started
            assert client.protocol_version == MODERN_VERSION
            res = await client.call_tool("create_task", {"title": "via Client", "created_by": "auto"})
            assert res.is_error is not True
            data = json.loads(res.content[0].text)
            assert data["title"] == "via Client"
            assert res.structured_content == data
            listed = await client.call_tool("list_tasks", {})
            assert json.loads(listed.content[0].text)["count"] == 1
    assert connect_seconds < 5, f"connect took {connect_seconds:.1f}s (discover probe not answered?)"


# ================================================================================================ raw: lifecycle


@pytest.mark.parametrize(("requested", "expected"), [(v, v) for v in LEGACY_VERSIONS]
                         + [("2026-07-28", LATEST_VERSION), ("1900-01-01", LATEST_VERSION)])
def test_initialize_negotiates_protocol_version(raw, requested, expected):
    s = raw()
    result = s.initialize(requested)
    assert result["protocolVersion"] == expected
    assert isinstance(result["capabilities"], dict) and "tools" in result["capabilities"]
    assert result["serverInfo"]["name"] and result["serverInfo"]["version"]
    assert s.result("ping") == {}
    assert len(s.result("tools/list")["tools"]) == TOOL_COUNT


def test_server_discover_before_initialize_is_answered_and_initialize_still_works(raw):
    # M2: discover needs no session (stdio too, before initialize); it opens none, so a legacy client that
    # probed first can still run the handshake on the same connection.
    s = raw()
    res = s.result("server/discover", {"_meta": {
        "io.modelcontextprotocol/protocolVersion": MODERN_VERSION,
        "io.modelcontextprotocol/clientInfo": {"name": "probe", "version": "1"},
        "io.modelcontextprotocol/clientCapabilities": {}}}, id=1)
    assert res["supportedVersions"] == SUPPORTED_VERSIONS, res
    assert s.initialize()["protocolVersion"] == LATEST_VERSION
    assert len(s.result("tools/list")["tools"]) == TOOL_COUNT


def test_tools_list_before_initialize_is_an_error(raw):
    s = raw()
    err = s.error("tools/list", id=3)
    assert err["code"] in EARLY_ERROR_CODES, err


def test_ping_before_initialize_returns_empty_result(raw):
    s = raw()
    assert s.result("ping", id=1) == {}


@pytest.mark.parametrize("req_id", [0, "abc", 7])
def test_initialize_response_echoes_id_exactly(raw, req_id):
    s = raw()
    resp = s.request("initialize", {"protocolVersion": LATEST_VERSION, "capabilities": {},
                                    "clientInfo": {"name": "t", "version": "1"}}, id=req_id)
    assert "result" in resp  # request() checks value and JSON type of the echoed id


@pytest.mark.parametrize("req_id", [0, "abc", 7])
def test_responses_after_initialize_echo_id_exactly(raw, req_id):
    s = raw()
    s.initialize()  # uses ids >= 1000
    assert s.request("ping", id=req_id)["result"] == {}
    other = "abc-2" if isinstance(req_id, str) else req_id + 1
    assert s.request("no/such_method", id=other)["error"]["code"] == -32601


def test_notifications_get_no_reply(raw):
    s = raw()
    s.initialize()
    s.notify("notifications/initialized")
    s.notify("notifications/cancelled", {"requestId": 4242, "reason": "test"})
    s.notify("notifications/some_unknown_notification")
    s.notify("ping")  # a request method without id is still a notification
    resp = s.request("ping", id=77)  # the very next response must be this ping's
    assert resp["result"] == {}


def test_id_null_is_invalid_request(raw):
    s = raw()
    s.initialize()
    s.send({"jsonrpc": "2.0", "id": None, "method": "ping"})
    resp = s.recv_response()
    assert isinstance(resp, dict) and "id" in resp and resp["id"] is None, resp
    assert resp["error"]["code"] == -32600, resp
    assert s.result("ping", id=8) == {}


def test_malformed_json_is_parse_error_and_server_keeps_serving(raw):
    s = raw()
    s.initialize()
    s.send_line('{"jsonrpc":"2.0","id":5,"method":"ping"')
    resp = s.recv_response()
    assert isinstance(resp, dict) and "id" in resp and resp["id"] is None, resp
    assert resp["error"]["code"] == -32700, resp
    assert s.result("ping", id=6) == {}


def test_unknown_method_is_method_not_found(raw):
    s = raw()
    s.initialize()
    err = s.error("tasks/teleport", {"x": 1}, id="m1")
    assert err["code"] == -32601


def test_invalid_logging_level_is_invalid_params(raw):
    s = raw()
    s.initialize()
    assert s.result("logging/setLevel", {"level": "info"}) == {}
    err = s.error("logging/setLevel", {"level": "loud"})
    assert err["code"] == -32602


def test_unknown_tool_is_invalid_params_on_the_wire(raw):
    s = raw()
    s.initialize()
    err = s.error("tools/call", {"name": "no_such_tool", "arguments": {}})
    assert err["code"] == -32602 and "no_such_tool" in err["message"]


BATCH = [
    {"jsonrpc": "2.0", "id": 1, "method": "ping"},
    {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 99}},
    {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
]


def test_batch_accepted_when_2025_03_26_negotiated(raw):
    s = raw()
    s.initialize("2025-03-26")
    s.send(BATCH)
    resp = s.recv_response()
    assert isinstance(resp, list), f"expected an array of responses, got {resp!r}"
    by_id = {r["id"]: r for r in resp}
    assert sorted(by_id) == [1, 2], resp
    assert by_id[1]["result"] == {}
    assert len(by_id[2]["result"]["tools"]) == TOOL_COUNT


@pytest.mark.parametrize("version", ["2024-11-05", "2025-06-18", "2025-11-25"])
def test_batch_rejected_unless_2025_03_26(raw, version):
    s = raw()
    s.initialize(version)
    s.send(BATCH)
    resp = s.recv_response()
    assert isinstance(resp, dict), f"batch should be rejected with one error, got {resp!r}"
    assert resp["id"] is None and resp["error"]["code"] == -32600, resp
    assert s.result("ping", id=9) == {}


# ================================================================================================ raw: stdio rules


def assert_jsonrpc_lines(lines: list[str]) -> list[Any]:
    messages = []
    for line in lines:
        try:
            msg = json.loads(line)
        except ValueError:
            raise AssertionError(f"non-JSON line on stdout: {line!r}")
        for m in msg if isinstance(msg, list) else [msg]:
            assert isinstance(m, dict) and m.get("jsonrpc") == "2.0", f"not a JSON-RPC message: {line!r}"
        messages.append(msg)
    return messages


def exercise(s) -> None:
    """A bit of everything, including errors, so the server has something to log."""
    s.result("tools/list")
    s.result("resources/list")
    s.result("resources/templates/list")
    task = s.tool_json("create_task", {"title": "log me", "created_by": "x", "queue_name": "dev"})
    s.tool_json("add_comment", {"task_id": task["id"], "content": "hello"})
    s.result("resources/read", {"uri": f"task://{task['id']}"})
    s.result("resources/read", {"uri": "queue://list"})
    assert s.call_tool("get_task", {"id": 987654})["isError"] is True
    s.error("resources/read", {"uri": "nope://x"})
    s.error("no/such_method")
    s.send_line("this is not json")
    s.recv_response()
    s.result("ping")


@pytest.mark.parametrize("level", ["debug", "trace"])
def test_stdout_carries_only_jsonrpc_and_logs_go_to_stderr(raw, level):
    s = raw(level)
    s.initialize()
    exercise(s)
    lines = s.all_stdout()
    assert lines, "no output at all"
    assert_jsonrpc_lines(lines)
    assert s.stderr_path.stat().st_size > 0, f"TINYTASK_LOG_LEVEL={level} but nothing was logged to stderr"


def test_eof_on_stdin_exits_zero_promptly(raw):
    s = raw()
    s.initialize()
    s.result("ping")
    started = time.monotonic()
    code = s.wait_exit(timeout=5)
    assert code == 0, f"exit code {code}; stderr: {s.stderr_tail()}"
    assert time.monotonic() - started < 5


def test_eof_before_initialize_exits_zero(raw):
    s = raw()
    assert s.wait_exit(timeout=5) == 0


# ================================================================================================ raw: per-version shapes


def create_args() -> dict:
    return {"title": "versioned", "created_by": "x", "tags": ["v"]}


@pytest.mark.parametrize("version", OLDER_VERSIONS)
def test_older_versions_have_no_structured_content_or_output_schema(raw, version):
    s = raw()
    s.initialize(version)
    for tool in s.result("tools/list")["tools"]:
        assert "outputSchema" not in tool, f"{version}: {tool['name']} has outputSchema"
    res = s.call_tool("create_task", create_args())
    assert "structuredContent" not in res, f"{version}: tools/call has structuredContent"
    assert res["content"][0]["type"] == "text"
    assert json.loads(res["content"][0]["text"])["title"] == "versioned"
    err = s.call_tool("get_task", {"id": 987654})
    assert err["isError"] is True and "structuredContent" not in err


@pytest.mark.parametrize("version", NEWER_VERSIONS)
def test_newer_versions_have_structured_content_and_output_schema(raw, version):
    s = raw()
    s.initialize(version)
    tools = s.result("tools/list")["tools"]
    for tool in tools:
        assert isinstance(tool.get("outputSchema"), dict), f"{version}: {tool['name']} lacks outputSchema"
        assert tool["outputSchema"].get("type") == "object"
    res = s.call_tool("create_task", create_args())
    text = res["content"][0]["text"]
    assert text == compact(json.loads(text))
    assert res.get("structuredContent") == json.loads(text)


@pytest.mark.parametrize("version", LEGACY_VERSIONS)
def test_raw_tool_schemas_never_have_required_null(raw, version):
    s = raw()
    s.initialize(version)
    for tool in s.result("tools/list")["tools"]:
        schema = tool["inputSchema"]
        assert schema.get("type") == "object" and isinstance(schema.get("properties"), dict), tool["name"]
        assert "required" not in schema or isinstance(schema["required"], list), \
            f"{tool['name']}: required = {schema.get('required')!r}"


def find_key(obj: Any, key: str, path: str = "$") -> list[str]:
    found = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == key:
                found.append(f"{path}.{k}")
            found += find_key(v, key, f"{path}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            found += find_key(v, key, f"{path}[{i}]")
    return found


@pytest.mark.parametrize("version", LEGACY_VERSIONS)
def test_no_result_type_key_in_legacy_results(raw, version):
    s = raw()
    s.initialize(version)
    exercise(s)
    s.result("completion/complete", {"ref": {"type": "ref/resource", "uri": "queue://{agent_name}"},
                                     "argument": {"name": "agent_name", "value": ""}})
    s.result("logging/setLevel", {"level": "info"})
    messages = assert_jsonrpc_lines(s.all_stdout())
    hits = [p for m in messages for p in find_key(m, "resultType")]
    assert hits == [], f"{version}: resultType found at {hits}"


def test_tool_result_text_is_a_single_compact_line(raw):
    s = raw()
    s.initialize()
    res = s.call_tool("create_task", {"title": "compact", "created_by": "x", "description": "a\nb"})
    text = res["content"][0]["text"]
    assert "\n" not in text and re.search(r'"description":"a\\nb"', text), text
