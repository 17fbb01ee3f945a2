"""Size limits (README "Limits", docs/TOOLS.md "Limits"): bounded text fields with precise errors, lists cut at
the response size limit with ``has_more``/``next_offset`` and paged to completion, the per-session
subscription cap, and the memory amplification attempt of the reliability issue (RSS stays under 150 MB).
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import anyio
import pytest

from conftest import TASK_KEYS, assert_task, ids, open_tt
from http_support import HttpServer, metric, streamable_session

pytestmark = pytest.mark.anyio

# The documented defaults.
MAX_TITLE = 4096
MAX_DESCRIPTION = 65536
MAX_COMMENT = 65536
MAX_LINK = 8192
MAX_TAG = 256
MAX_TAGS = 100
MAX_NAME = 1024
MAX_RESPONSE = 4 * 1024 * 1024
MAX_SUBSCRIPTIONS = 1000

RSS_LIMIT_MB = 150


def over(field: str, size: int, limit: int, variable: str) -> str:
    return f"Invalid `{field}`: {size} bytes exceeds the limit of {limit} bytes ({variable})"


# ============================================================================================== text limits


async def test_every_text_field_is_bounded_with_a_precise_error(tt):
    t = await tt.create("t")
    # At the limit is accepted (the stored, trimmed text is what counts).
    full = await tt.create("x" * MAX_TITLE, "n" * MAX_NAME, description="d" * MAX_DESCRIPTION,
                           assigned_to="a" * MAX_NAME, tags=[f"{i:03}" + "t" * (MAX_TAG - 3) for i in range(MAX_TAGS)])
    assert len(full["description"]) == MAX_DESCRIPTION and len(full["tags"]) == MAX_TAGS
    padded = await tt.create("  " + "y" * MAX_TITLE + "  ")
    assert padded["title"] == "y" * MAX_TITLE

    cases = [
        ("create_task", {"title": "x" * (MAX_TITLE + 1), "created_by": "me"},
         over("title", MAX_TITLE + 1, MAX_TITLE, "TINYTASK_MAX_TITLE_BYTES")),
        # Bytes, not characters: 2 bytes per "é".
        ("create_task", {"title": "é" * (MAX_TITLE // 2 + 1), "created_by": "me"},
         over("title", MAX_TITLE + 2, MAX_TITLE, "TINYTASK_MAX_TITLE_BYTES")),
        ("create_task", {"title": "x", "created_by": "me", "description": "d" * 70000},
         over("description", 70000, MAX_DESCRIPTION, "TINYTASK_MAX_DESCRIPTION_BYTES")),
        ("create_task", {"title": "x", "created_by": "n" * (MAX_NAME + 1)},
         over("created_by", MAX_NAME + 1, MAX_NAME, "TINYTASK_MAX_NAME_BYTES")),
        ("create_task", {"title": "x", "created_by": "me", "tags": ["t"] * (MAX_TAGS + 1)},
         f"Invalid `tags`: {MAX_TAGS + 1} tags exceeds the limit of {MAX_TAGS} tags (TINYTASK_MAX_TAGS)"),
        ("create_task", {"title": "x", "created_by": "me", "tags": ["ok", "t" * (MAX_TAG + 1)]},
         f"Invalid `tags`: tag 1 is {MAX_TAG + 1} bytes, which exceeds the limit of {MAX_TAG} bytes "
         "(TINYTASK_MAX_TAG_BYTES)"),
        ("update_task", {"id": t["id"], "description": "d" * (MAX_DESCRIPTION + 1)},
         over("description", MAX_DESCRIPTION + 1, MAX_DESCRIPTION, "TINYTASK_MAX_DESCRIPTION_BYTES")),
        ("update_task", {"id": t["id"], "assigned_to": "a" * (MAX_NAME + 1)},
         over("assigned_to", MAX_NAME + 1, MAX_NAME, "TINYTASK_MAX_NAME_BYTES")),
        ("create_subtask", {"parent_task_id": t["id"], "title": "x" * (MAX_TITLE + 1), "created_by": "me"},
         over("title", MAX_TITLE + 1, MAX_TITLE, "TINYTASK_MAX_TITLE_BYTES")),
        ("add_comment", {"task_id": t["id"], "content": "c" * (MAX_COMMENT + 1)},
         over("content", MAX_COMMENT + 1, MAX_COMMENT, "TINYTASK_MAX_COMMENT_BYTES")),
        ("add_link", {"task_id": t["id"], "url": "u" * (MAX_LINK + 1)},
         over("url", MAX_LINK + 1, MAX_LINK, "TINYTASK_MAX_LINK_BYTES")),
        ("add_link", {"task_id": t["id"], "url": "https://x", "description": "d" * (MAX_LINK + 1)},
         over("description", MAX_LINK + 1, MAX_LINK, "TINYTASK_MAX_LINK_BYTES")),
        ("move_task", {"task_id": t["id"], "current_agent": "a", "new_agent": "b", "comment": "c" * (MAX_COMMENT + 1)},
         over("comment", MAX_COMMENT + 1, MAX_COMMENT, "TINYTASK_MAX_COMMENT_BYTES")),
    ]
    for tool, args, expected in cases:
        assert await tt.err(tool, args) == expected, tool
    comment = await tt.call("add_comment", {"task_id": t["id"], "content": "c" * MAX_COMMENT})
    assert await tt.err("update_comment", {"id": comment["id"], "content": "c" * (MAX_COMMENT + 1)}) == \
        over("content", MAX_COMMENT + 1, MAX_COMMENT, "TINYTASK_MAX_COMMENT_BYTES")
    link = await tt.call("add_link", {"task_id": t["id"], "url": "u" * MAX_LINK})
    assert await tt.err("update_link", {"id": link["id"], "url": "u" * (MAX_LINK + 1)}) == \
        over("url", MAX_LINK + 1, MAX_LINK, "TINYTASK_MAX_LINK_BYTES")
    # Nothing was written by the rejected calls.
    assert (await tt.get(t["id"]))["description"] is None


async def test_text_limits_are_configurable(tmp_path):
    async with open_tt(tmp_path, TINYTASK_MAX_TITLE_BYTES="5", TINYTASK_MAX_COMMENT_BYTES="10") as tt:
        assert await tt.err("create_task", {"title": "123456", "created_by": "me"}) == \
            over("title", 6, 5, "TINYTASK_MAX_TITLE_BYTES")
        t = await tt.create("12345")
        assert await tt.err("add_comment", {"task_id": t["id"], "content": "x" * 11}) == \
            over("content", 11, 10, "TINYTASK_MAX_COMMENT_BYTES")


# ============================================================================================== the cut

CAP = 4096  # the smallest allowed TINYTASK_MAX_RESPONSE_BYTES


async def call_text(tt, name: str, args: dict) -> tuple[dict, int]:
    """The parsed result and the byte size of its JSON text."""
    res = await tt.call_result(name, args)
    assert not res.is_error, res.content
    text = res.content[0].text
    return await tt.call(name, args), len(text.encode())


async def page_all(tt, name: str, args: dict, key: str) -> tuple[list[int], int]:
    """Follows next_offset until has_more is gone; checks every page against the cap. Returns (ids, pages)."""
    seen: list[int] = []
    offset, pages = 0, 0
    while True:
        data, size = await call_text(tt, name, {**args, "offset": offset})
        assert size <= CAP, f"{name} page at offset {offset}: {size} bytes > {CAP}"
        assert data["count"] == len(data[key]) >= 1
        seen += ids(data[key])
        pages += 1
        if "has_more" not in data:
            assert "next_offset" not in data
            return seen, pages
        assert data["has_more"] is True and data["next_offset"] == offset + data["count"], data.keys()
        offset = data["next_offset"]


async def test_lists_over_the_response_limit_are_cut_and_page_to_completion(tmp_path):
    async with open_tt(tmp_path, TINYTASK_MAX_RESPONSE_BYTES=str(CAP)) as tt:
        # A small list is byte-for-byte the 2.x shape.
        first = await tt.create("first", assigned_to="bob", queue_name="dev")
        small = await tt.call("list_tasks", {})
        assert list(small) == ["count", "tasks"] and small["count"] == 1
        # 19 more tasks of ~900 bytes of JSON each: about 4 per 4 KiB page.
        made = [first["id"]]
        for i in range(19):
            t = await tt.sub(first["id"], f"task {i}", description=f"{i:02}" + "d" * 600, assigned_to="bob")
            made.append(t["id"])
        whole = await tt.call("list_tasks", {"limit": 1000})  # a limit does not lift the cap
        assert whole["has_more"] is True and whole["next_offset"] == whole["count"] < 20
        assert list(whole) == ["count", "tasks", "has_more", "next_offset"]
        for t in whole["tasks"]:
            assert_task(t)  # the tasks themselves keep their exact shape

        listed, pages = await page_all(tt, "list_tasks", {}, "tasks")
        assert listed == made and pages >= 5, (pages, listed)
        queued, _ = await page_all(tt, "get_queue_tasks", {"queue_name": "dev"}, "tasks")
        assert queued == made
        mine, _ = await page_all(tt, "get_my_queue", {"agent_name": "bob"}, "tasks")
        assert mine == made
        subs, _ = await page_all(tt, "get_subtasks", {"parent_task_id": first["id"]}, "subtasks")
        assert subs == made[1:]
        with_subs = await tt.call("get_task_with_subtasks", {"task_id": first["id"]})
        assert with_subs["has_more"] is True and with_subs["next_offset"] == with_subs["subtask_count"]

        # Comments: the cut list pages like the tasks; get_task keeps the oldest and says what it cut.
        for i in range(12):
            await tt.call("add_comment", {"task_id": first["id"], "content": f"{i:02}" + "c" * 500})
        comments, _ = await page_all(tt, "list_comments", {"task_id": first["id"]}, "comments")
        assert len(comments) == 12 and comments == sorted(comments)
        task, size = await call_text(tt, "get_task", {"id": first["id"]})
        assert size <= CAP and task["relations_truncated"] == ["comments"]
        assert ids(task["comments"]) == comments[:len(task["comments"])]
        assert list(task)[:len(TASK_KEYS)] == TASK_KEYS

        # Resources: cut the same way, continued with ?offset=N.
        seen, offset = [], 0
        while True:
            uri = "tasks://active" if offset == 0 else f"tasks://active?offset={offset}"
            res = await tt.session.read_resource(uri)
            text = res.contents[0].text
            assert len(text.encode()) <= CAP and str(res.contents[0].uri) == uri
            data = json.loads(text)
            seen += ids(data["tasks"])
            if not data.get("has_more"):
                break
            offset = data["next_offset"]
        assert seen == made
        res = await tt.session.read_resource("queue://tasks/dev")
        assert "cut after" in res.contents[0].text and "queue://tasks/dev?offset=" in res.contents[0].text
        assert await tt.err("list_comments", {"task_id": first["id"], "offset": -1}) == \
            "Invalid `offset`: must be at least 0, got -1"


async def test_output_schemas_declare_has_more_and_next_offset_as_optional(tt):
    tools = {t.name: t for t in (await tt.session.list_tools()).tools}
    for name in ("list_tasks", "get_queue_tasks", "get_my_queue", "get_subtasks", "get_task_with_subtasks",
                 "list_comments", "list_links", "get_task_history"):
        schema = tools[name].output_schema
        assert {"has_more", "next_offset"} <= set(schema["properties"]), name
        assert not {"has_more", "next_offset"} & set(schema.get("required", [])), name
    assert "relations_truncated" in tools["get_task"].output_schema["properties"]


# ============================================================================================== subscriptions


def test_subscriptions_per_session_are_capped(raw):
    server = raw(log_level="info")
    server.initialize()
    for i in range(1, MAX_SUBSCRIPTIONS + 1):
        assert server.result("resources/subscribe", {"uri": f"task://{i}"}) == {}
    # Re-subscribing to a held URI is no new subscription.
    assert server.result("resources/subscribe", {"uri": "task://1"}) == {}
    err = server.error("resources/subscribe", {"uri": f"task://{MAX_SUBSCRIPTIONS + 1}"})
    assert err["code"] == -32602
    assert err["message"] == (
        f"Invalid params: cannot subscribe to task://{MAX_SUBSCRIPTIONS + 1}: this session already holds "
        f"{MAX_SUBSCRIPTIONS} subscriptions, the limit (TINYTASK_MAX_SUBSCRIPTIONS_PER_SESSION); "
        "unsubscribe from some first")
    assert err["data"] == {"uri": f"task://{MAX_SUBSCRIPTIONS + 1}", "limit": MAX_SUBSCRIPTIONS}
    assert server.result("resources/unsubscribe", {"uri": "task://1"}) == {}
    assert server.result("resources/subscribe", {"uri": f"task://{MAX_SUBSCRIPTIONS + 1}"}) == {}


# ============================================================================================== amplification


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of a process, in kB."""
    out: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0])
    return out


class RssSampler:
    """Samples a process's VmRSS every 10 ms in a thread; the kernel's VmHWM catches peaks between samples."""

    def __init__(self, pid: int):
        self.pid = pid
        self.max_rss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.max_rss = max(self.max_rss, memory_kb(self.pid)["VmRSS"])
            time.sleep(0.01)

    def __enter__(self) -> "RssSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


TASKS = 100  # of the largest size the default limits allow: ~94 KiB of text each, ~9 MB in all
CLIENTS = 4
ROUNDS = 5


@pytest.mark.timeout(300)
async def test_amplification_attempt_stays_under_150_mb(tmp_path):
    """The issue's attack with the default limits: fill the board with maximum-size tasks, then have several
    clients call list_tasks without a limit over and over. Each answer is cut at 4 MiB, so the server never
    builds an unbounded response and its RSS (peak included) stays under 150 MB."""
    server = HttpServer(tmp_path)
    try:
        pid = server.proc.pid
        before = memory_kb(pid)
        tags = [f"{i:03}" + "t" * (MAX_TAG - 3) for i in range(MAX_TAGS)]
        async with streamable_session(server) as tt:
            for i in range(TASKS):
                await tt.create(f"{i:03}" + "x" * (MAX_TITLE - 3), "c" * MAX_NAME, description="d" * MAX_DESCRIPTION,
                                assigned_to="a" * MAX_NAME, tags=tags, queue_name="q" * 255)
        filled = memory_kb(pid)

        sizes: list[int] = []
        started = time.monotonic()
        with RssSampler(pid) as sampler:
            async def client() -> None:
                async with streamable_session(server) as c:
                    for _ in range(ROUNDS):
                        res = await c.call_result("list_tasks", {})
                        assert not res.is_error
                        text = res.content[0].text
                        sizes.append(len(text.encode()))
                        data = json.loads(text)
                        assert data["has_more"] is True and data["next_offset"] == data["count"] < TASKS

            async with anyio.create_task_group() as tg:
                for _ in range(CLIENTS):
                    tg.start_soon(client)
        elapsed = time.monotonic() - started
        # Paging still reaches every task.
        async with streamable_session(server) as tt:
            seen, offset = 0, 0
            while True:
                data = await tt.call("list_tasks", {"offset": offset})
                seen += data["count"]
                if not data.get("has_more"):
                    break
                offset = data["next_offset"]
            assert seen == TASKS
        after = memory_kb(pid)
    finally:
        server.kill()

    assert len(sizes) == CLIENTS * ROUNDS and max(sizes) <= MAX_RESPONSE, max(sizes)
    peak_kb = max(after["VmHWM"], sampler.max_rss)
    metric("amplification: RSS before (idle server)", before["VmRSS"] / 1024, "MB")
    metric(f"amplification: RSS after creating {TASKS} max-size tasks", filled["VmRSS"] / 1024, "MB")
    metric(f"amplification: peak RSS (VmHWM) during {CLIENTS}x{ROUNDS} unlimited list_tasks", peak_kb / 1024, "MB")
    metric("amplification: RSS after", after["VmRSS"] / 1024, "MB")
    metric("amplification: largest list_tasks result", max(sizes) / 1024 / 1024, "MiB")
    metric(f"amplification: {CLIENTS}x{ROUNDS} list_tasks wall time", elapsed)
    assert peak_kb < RSS_LIMIT_MB * 1024, f"peak RSS {peak_kb / 1024:.0f} MB >= {RSS_LIMIT_MB} MB"
    assert after["VmRSS"] < RSS_LIMIT_MB * 1024
