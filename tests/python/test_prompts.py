"""MCP prompts (docs/PROMPTS.md) through the official SDK, legacy era: prompts/list, prompts/get of every
prompt with the board's facts in the text, completion of prompt arguments, and every argument error
(JSON-RPC -32602 naming the argument and what is allowed)."""

from __future__ import annotations

import re

import anyio
import pytest
from mcp import Client, MCPError, types
from mcp.client.stdio import StdioServerParameters

from conftest import REQUEST_TIMEOUT, TOOL_PARAMS, require_binary, server_env

pytestmark = pytest.mark.anyio

PROMPTS = {
    "work_queue": [("agent_name", True), ("queue_name", False)],
    "hand_off": [("task_id", True), ("to_agent", True)],
    "triage": [("queue_name", True)],
}


async def text_of(tt, name: str, arguments: dict) -> str:
    with anyio.fail_after(REQUEST_TIMEOUT):
        result = await tt.session.get_prompt(name, arguments)
    tt.check_stream()
    assert result.description, result
    assert len(result.messages) == 1, result
    message = result.messages[0]
    assert message.role == "user" and message.content.type == "text", message
    return message.content.text


async def prompt_error(tt, name: str, arguments) -> MCPError:
    """prompts/get that must fail; `arguments` goes on the wire as given (model_construct skips the SDK's own
    check that prompt arguments are strings, so the server's check is what is tested)."""
    params = types.GetPromptRequestParams.model_construct(name=name, arguments=arguments)
    with pytest.raises(MCPError) as info, anyio.fail_after(REQUEST_TIMEOUT):
        await tt.session.send_request(types.GetPromptRequest(params=params), types.GetPromptResult)
    assert info.value.code == -32602, info.value
    return info.value


def calls(text: str) -> list[str]:
    """The tool names the text shows calls of (`name(`)."""
    return re.findall(r"\b([a-z_]+)\(", text)


async def test_prompts_capability_and_list(tt):
    caps = tt.session.server_capabilities
    assert caps.prompts is not None and caps.prompts.list_changed is False
    with anyio.fail_after(REQUEST_TIMEOUT):
        listed = await tt.session.list_prompts()
    assert listed.next_cursor is None
    assert [p.name for p in listed.prompts] == list(PROMPTS)
    for p in listed.prompts:
        assert p.title and p.description
        assert [(a.name, a.required) for a in p.arguments] == PROMPTS[p.name]
        assert all(a.description for a in p.arguments)


async def test_work_queue_teaches_the_claim_lease_and_finish_loop(tt):
    text = await text_of(tt, "work_queue", {"agent_name": "alice", "queue_name": "dev"})
    assert 'wait_for_task(agent_name="alice", queue_name="dev"' in text
    assert 'heartbeat(task_id=<id>, agent_name="alice", lease_token=<token>)' in text
    for tool in ("update_task", "move_task", "release_task", "add_comment", "add_dependency"):
        assert f"{tool}(" in text, tool
    assert set(calls(text)) <= set(TOOL_PARAMS), calls(text)
    alone = await text_of(tt, "work_queue", {"agent_name": "alice"})
    assert 'wait_for_task(agent_name="alice", timeout_secs=' in alone and 'queue_name="' not in alone


async def test_hand_off_reads_the_task_from_the_board(tt):
    task = await tt.create("Write the parser", assigned_to="alice", queue_name="dev", priority=3)
    blocker = await tt.create("Design the grammar")
    await tt.call("add_dependency", {"task_id": task["id"], "depends_on_task_id": blocker["id"]})
    await tt.call("add_comment", {"task_id": task["id"], "content": "lexer done", "created_by": "alice"})
    text = await text_of(tt, "hand_off", {"task_id": str(task["id"]), "to_agent": "bob"})
    assert f'- Task {task["id"]}: "Write the parser"; status idle, assigned to "alice", queue "dev", priority 3.' in text
    assert f'- Open dependencies: task {blocker["id"]} "Design the grammar" (idle)' in text
    assert '"lexer done"' in text and "- Lease: none." in text
    assert (f'move_task(task_id={task["id"]}, current_agent="alice", new_agent="bob", '
            f"comment=<the hand-off note>)") in text
    assert set(calls(text)) <= set(TOOL_PARAMS), calls(text)

    pool = await tt.create("Pool work", queue_name="dev")
    text = await text_of(tt, "hand_off", {"task_id": str(pool["id"]), "to_agent": "bob"})
    assert f'update_task(id={pool["id"]}, assigned_to="bob", status="idle"' in text


async def test_triage_states_the_queue_counts(tt):
    await tt.create("Ready", queue_name="dev")
    blocker = await tt.create("Blocker", queue_name="dev", assigned_to="dave")
    await tt.update(blocker["id"], status="working")
    waiting = await tt.create("Waits", queue_name="dev")
    await tt.call("add_dependency", {"task_id": waiting["id"], "depends_on_task_id": blocker["id"]})
    text = await text_of(tt, "triage", {"queue_name": "dev"})
    assert '- 3 tasks (archived ones aside): 2 idle, 1 working, 0 complete; 2 unassigned; agents: "dave".' in text
    assert ("- Of its 3 idle and working tasks: 1 unassigned and ready to claim, 1 blocked, "
            "1 working without a lease, 0 working with no change") in text
    assert set(calls(text)) <= set(TOOL_PARAMS), calls(text)
    empty = await text_of(tt, "triage", {"queue_name": "nowhere"})
    assert 'Queue "nowhere" has no tasks' in empty and 'the queues with tasks are "dev"' in empty


async def test_prompt_arguments_complete_from_the_board(tt):
    await tt.create("a", assigned_to="alice", queue_name="dev")
    await tt.create("b", assigned_to="bob", queue_name="docs")
    with anyio.fail_after(REQUEST_TIMEOUT):
        agents = await tt.session.complete(types.PromptReference(type="ref/prompt", name="hand_off"),
                                           {"name": "to_agent", "value": "a"})
        queues = await tt.session.complete(types.PromptReference(type="ref/prompt", name="triage"),
                                           {"name": "queue_name", "value": "d"})
    assert agents.completion.values == ["alice"]
    assert queues.completion.values == ["dev", "docs"]
    with pytest.raises(MCPError) as info, anyio.fail_after(REQUEST_TIMEOUT):
        await tt.session.complete(types.PromptReference(type="ref/prompt", name="nope"),
                                  {"name": "queue_name", "value": ""})
    assert info.value.code == -32602 and "prompts: work_queue, hand_off, triage" in info.value.message


ERRORS = [
    ("nope", {}, 'unknown prompt "nope"; prompts: work_queue, hand_off, triage'),
    ("work_queue", {}, 'argument "agent_name" is required (arguments: agent_name (required), queue_name)'),
    ("hand_off", {"task_id": "1"}, 'argument "to_agent" is required'),
    ("triage", {"queue_name": " "}, 'argument "queue_name" must not be empty or blank'),
    ("work_queue", {"agent_name": "a", "queue": "dev"},
     'unknown argument "queue"; allowed: agent_name (required), queue_name'),
    ("work_queue", {"agent_name": 5}, 'argument "agent_name" must be a string (prompt arguments are strings), got a number'),
    ("hand_off", {"task_id": 7, "to_agent": "bob"}, 'argument "task_id" must be a string'),
    ("hand_off", {"task_id": "x7", "to_agent": "bob"},
     'argument "task_id" must be a positive integer task id (e.g. "7"), got "x7"'),
    ("hand_off", {"task_id": "0", "to_agent": "bob"}, "must be a positive integer task id"),
    ("hand_off", {"task_id": "4242", "to_agent": "bob"}, 'argument "task_id": task 4242 does not exist'),
    ("triage", {"queue_name": "q" * 256}, "is too long (256 characters, at most 255)"),
    ("triage", ["dev"], '"arguments" must be an object of string values, got an array'),
]


# The wrong-type cases make pydantic warn that it serializes a non-string on purpose.
@pytest.mark.filterwarnings("ignore:Pydantic serializer warnings:UserWarning")
@pytest.mark.parametrize("name,arguments,expected", ERRORS, ids=[e[2][:40] for e in ERRORS])
async def test_prompt_errors_name_the_argument_and_the_allowed_values(tt, name, arguments, expected):
    err = await prompt_error(tt, name, arguments)
    assert expected in err.message, err.message


async def test_a_prompts_list_cursor_is_refused(tt):
    with pytest.raises(MCPError) as info, anyio.fail_after(REQUEST_TIMEOUT):
        await tt.session.list_prompts(params=types.PaginatedRequestParams(cursor="abc"))
    assert info.value.code == -32602 and "single page" in info.value.message


MODERN_META = {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientCapabilities": {},
    "io.modelcontextprotocol/clientInfo": {"name": "tinytask-prompt-tests", "version": "0"},
}


def test_prompts_in_the_2026_07_28_era_over_stdio(raw):
    """The same prompts and errors for a stateless request (no initialize), with the modern result fields."""
    server = raw()
    listed = server.result("prompts/list", {"_meta": MODERN_META})
    assert [p["name"] for p in listed["prompts"]] == list(PROMPTS)
    assert listed["resultType"] == "complete" and listed["ttlMs"] >= 0 and "cacheScope" in listed
    got = server.result("prompts/get", {"name": "triage", "arguments": {"queue_name": "dev"}, "_meta": MODERN_META})
    assert got["resultType"] == "complete"
    assert got["messages"][0]["role"] == "user" and 'Queue "dev" has no tasks' in got["messages"][0]["content"]["text"]
    err = server.error("prompts/get", {"name": "hand_off", "arguments": {"task_id": "9", "to_agent": "b"},
                                       "_meta": MODERN_META})
    assert err["code"] == -32602 and 'task 9 does not exist' in err["message"]


async def test_prompts_through_the_sdk_pinned_to_2026_07_28(tmp_path):
    params = StdioServerParameters(command=require_binary(), args=[], env=server_env(tmp_path / "t.db"),
                                   cwd=str(tmp_path))
    with anyio.fail_after(REQUEST_TIMEOUT):
        async with Client(params, mode="2026-07-28") as client:
            assert client.protocol_version == "2026-07-28"
            listed = await client.list_prompts()
            assert [p.name for p in listed.prompts] == list(PROMPTS)
            got = await client.get_prompt("work_queue", {"agent_name": "alice"})
            assert 'wait_for_task(agent_name="alice"' in got.messages[0].content.text
            with pytest.raises(MCPError) as info:
                await client.get_prompt("work_queue", {"agent": "alice"})
            assert info.value.code == -32602 and 'unknown argument "agent"' in info.value.message
