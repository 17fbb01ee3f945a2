"""search_tasks (docs/TOOLS.md "search_tasks"): result shape, what matched, ranking, filters, index upkeep on
writes, hostile query text (never an SQLite error), precise argument errors, the response cut, and the
same tool over Streamable HTTP."""

from __future__ import annotations

import pytest

from conftest import TASK_KEYS, assert_task, open_tt
from http_support import http_server, streamable_session  # noqa: F401  (fixture)

pytestmark = pytest.mark.anyio

RESULT_KEYS = ["query", "count", "results"]
HIT_KEYS = ["task", "score", "matched", "snippet", "comment_id"]


def task_part(task_with_relations: dict) -> dict:
    """get_task's task fields (without comments, links and history)."""
    return {k: task_with_relations[k] for k in TASK_KEYS}


async def search(tt, query: str, **kw) -> dict:
    res = await tt.call("search_tasks", {"query": query, **kw})
    assert list(res) == RESULT_KEYS or list(res) == RESULT_KEYS + ["has_more", "next_offset"], list(res)
    assert res["query"] == query
    assert res["count"] == len(res["results"])
    for hit in res["results"]:
        assert list(hit) == HIT_KEYS, list(hit)
        assert_task(hit["task"])
        assert isinstance(hit["score"], float | int) and not isinstance(hit["score"], bool)
        assert hit["matched"] and set(hit["matched"]) <= {"title", "description", "tags", "comments"}
        order = ["title", "description", "tags", "comments"]
        assert hit["matched"] == sorted(hit["matched"], key=order.index), hit["matched"]
        assert isinstance(hit["snippet"], str) and "[" in hit["snippet"], hit["snippet"]
        assert hit["comment_id"] is None or isinstance(hit["comment_id"], int)
        assert (hit["comment_id"] is not None) == ("comments" in hit["matched"])
    scores = [(-h["score"], h["task"]["id"]) for h in res["results"]]
    assert scores == sorted(scores), "best first, ties by id"
    return res


def hit_ids(res: dict) -> list[int]:
    return [h["task"]["id"] for h in res["results"]]


async def test_every_field_and_comments_match_with_get_task_views_and_snippets(tt):
    a = await tt.create("Fix the login page", tags=["frontend"])
    b = await tt.create("Other", description="Users cannot login after the update")
    c = await tt.create("Third", tags=["backend", "login"])
    d = await tt.create("Fourth")
    note = await tt.call("add_comment", {"task_id": d["id"], "content": "Reproduced: login fails on staging"})
    await tt.create("Unrelated", description="nothing here")

    res = await search(tt, "Login")
    assert sorted(hit_ids(res)) == sorted([a["id"], b["id"], c["id"], d["id"]])
    by_id = {h["task"]["id"]: h for h in res["results"]}
    assert by_id[a["id"]]["matched"] == ["title"]
    assert by_id[a["id"]]["snippet"] == "Fix the [login] page"
    assert by_id[b["id"]]["matched"] == ["description"]
    assert by_id[c["id"]]["matched"] == ["tags"]
    assert by_id[c["id"]]["snippet"] == "backend [login]"
    assert by_id[d["id"]]["matched"] == ["comments"]
    assert by_id[d["id"]]["comment_id"] == note["id"]
    assert by_id[d["id"]]["snippet"] == "Reproduced: [login] fails on staging"
    for hit in res["results"]:
        assert hit["task"] == task_part(await tt.get(hit["task"]["id"]))


async def test_terms_are_anded_across_fields_and_comments_and_titles_rank_first(tt):
    spread = await tt.create("Alpha release", tags=["gamma"])
    await tt.call("add_comment", {"task_id": spread["id"], "content": "beta feedback collected"})
    await tt.create("Alpha only")
    res = await search(tt, "alpha beta gamma")
    assert hit_ids(res) == [spread["id"]]
    assert res["results"][0]["matched"] == ["title", "tags", "comments"]

    for i in range(4):  # BM25 gives a word held by half the tasks or more a weight of ~0
        await tt.create(f"noise {i}")
    in_title = await tt.create("Cache eviction")
    in_text = await tt.create("Plain", description="filler " * 30 + "cache")
    res = await search(tt, "cache")
    assert hit_ids(res) == [in_title["id"], in_text["id"]]
    assert res["results"][0]["score"] > res["results"][1]["score"] > 0


async def test_phrases_and_prefixes(tt):
    a = await tt.create("Deployment pipeline")
    b = await tt.create("pipeline for deployment")
    assert sorted(hit_ids(await search(tt, "deploy*"))) == [a["id"], b["id"]]
    assert hit_ids(await search(tt, "deploy")) == []
    assert hit_ids(await search(tt, '"deployment pipeline"')) == [a["id"]]


async def test_writes_are_reflected_at_once(tt):
    t = await tt.create("Quokka habitat", description="island notes", tags=["fauna"])
    c = await tt.call("add_comment", {"task_id": t["id"], "content": "wombat spotted"})
    assert hit_ids(await search(tt, "wombat")) == [t["id"]]
    await tt.call("update_comment", {"id": c["id"], "content": "echidna spotted"})
    assert hit_ids(await search(tt, "wombat")) == []
    assert hit_ids(await search(tt, "echidna")) == [t["id"]]
    await tt.call("delete_comment", {"id": c["id"]})
    assert hit_ids(await search(tt, "echidna")) == []

    await tt.update(t["id"], title="Koala habitat", tags=["flora"])
    assert hit_ids(await search(tt, "quokka")) == []
    assert hit_ids(await search(tt, "fauna")) == []
    assert hit_ids(await search(tt, "koala flora island")) == [t["id"]]

    await tt.call("archive_task", {"id": t["id"]})
    assert hit_ids(await search(tt, "koala")) == []
    archived = await search(tt, "koala", include_archived=True)
    assert hit_ids(archived) == [t["id"]] and archived["results"][0]["task"]["archived_at"] is not None

    other = await tt.create("Koala twin")
    await tt.call("add_comment", {"task_id": other["id"], "content": "platypus"})
    await tt.call("delete_task", {"id": other["id"]})
    assert hit_ids(await search(tt, "platypus", include_archived=True)) == []
    assert hit_ids(await search(tt, "koala", include_archived=True)) == [t["id"]]


async def test_filters_like_list_tasks(tt):
    a = await tt.create("report", queue_name="dev", assigned_to="alice")
    b = await tt.create("report", queue_name="ops", assigned_to="alice")
    c = await tt.create("report", queue_name="dev", assigned_to="bob")
    await tt.update(b["id"], status="working")
    assert sorted(hit_ids(await search(tt, "report", queue_name="dev"))) == [a["id"], c["id"]]
    assert sorted(hit_ids(await search(tt, "report", assigned_to="alice"))) == [a["id"], b["id"]]
    assert hit_ids(await search(tt, "report", status="working")) == [b["id"]]
    assert sorted(hit_ids(await search(tt, "report", status=["idle", "complete"]))) == [a["id"], c["id"]]
    assert hit_ids(await search(tt, "report", limit=1)) == [a["id"]]
    assert hit_ids(await search(tt, "report", limit=2, offset=1)) == [b["id"], c["id"]]


HOSTILE = [
    '"', '""', 'a"b', "NEAR(", "NEAR(a b, 3)", "*", "a*b*", "-", "-a", ":", "title:", "title: x", "{title}: x",
    "^", "^a", "(", ")", "(a OR b", "a) AND (b", "AND", "OR", "NOT", "a AND", "NOT a", "a OR OR b", "+",
    "[a]", "'a'", "\\", ";DROP TABLE tasks;--", "\u0000", "a\u0000b", "\u200b", "e\u0301", "東京", "🚀", "x\ny",
]


async def test_hostile_queries_give_results_or_a_query_error_never_a_database_error(tt):
    t = await tt.create('AND OR NOT NEAR quote"d (paren) col:on', description="x^y -minus *star")
    for text in HOSTILE:
        res = await tt.call_result("search_tasks", {"query": text})
        message = " ".join(getattr(c, "text", "") for c in res.content)
        if res.is_error and "\u0000" in text:
            # Refused with the arguments, for every tool alike: no backend stores U+0000.
            assert message == ("Invalid arguments for search_tasks: `query`: contains the NUL character (U+0000), "
                               "which a task board cannot store"), (text, message)
        elif res.is_error:
            assert message.startswith("Invalid `query`: "), (text, message)
        assert "database" not in message.lower() and "fts5" not in message.lower(), (text, message)
    assert hit_ids(await search(tt, "AND OR NOT NEAR")) == [t["id"]]
    assert hit_ids(await search(tt, 'quote"d (paren)')) == [t["id"]]


async def test_argument_errors_are_precise(tt):
    await tt.create("something")
    assert await tt.err("search_tasks", {"query": "   "}) == "Invalid `query`: must not be empty or blank"
    assert await tt.err("search_tasks", {"query": "( * )"}) == (
        'Invalid `query`: "( * )" contains no word to search for (a word is letters or digits; punctuation '
        "and operators are ignored)")
    assert await tt.err("search_tasks", {"query": " ".join(["w"] * 33)}) == (
        "Invalid `query`: 33 words or phrases exceeds the limit of 32")
    assert await tt.err("search_tasks", {"query": "x" * 4097}) == (
        "Invalid `query`: 4097 bytes exceeds the limit of 4096 bytes (TINYTASK_MAX_TITLE_BYTES)")
    for bad in (0, 101, -5):
        assert await tt.err("search_tasks", {"query": "x", "limit": bad}) == (
            f"Invalid `limit`: must be between 1 and 100, got {bad}")
    assert await tt.err("search_tasks", {"query": "x", "offset": -1}) == (
        "Invalid `offset`: must be at least 0, got -1")
    text = await tt.err("search_tasks", {"query": "x", "status": "done"})
    assert text.startswith("Invalid arguments for search_tasks: `status`: "), text
    assert "idle" in text and "working" in text and "complete" in text
    text = await tt.err("search_tasks", {"query": "x", "sort": "date"})
    assert text.startswith("Invalid arguments for search_tasks: unknown parameter `sort`; allowed parameters: "), text
    assert await tt.err("search_tasks", {}) == (
        "Invalid arguments for search_tasks: missing required parameter `query`")


async def test_a_result_over_the_response_limit_is_cut_and_pages_on(tmp_path):
    async with open_tt(tmp_path, TINYTASK_MAX_RESPONSE_BYTES="8192") as tt:
        for i in range(8):
            await tt.create(f"bulky {i}", description="z" * 2500)
        first = await search(tt, "bulky")
        assert first["has_more"] is True and 1 <= first["count"] < 8
        seen = hit_ids(first)
        offset = first["next_offset"]
        while offset is not None:
            page = await search(tt, "bulky", offset=offset)
            assert page["count"] >= 1
            seen += hit_ids(page)
            offset = page.get("next_offset")
        assert sorted(seen) == sorted(set(seen)) and len(seen) == 8


async def test_search_over_streamable_http(http_server):  # noqa: F811  (fixture)
    async with streamable_session(http_server) as tt:
        t = await tt.create("Streamable capybara", tags=["http"])
        await tt.call("add_comment", {"task_id": t["id"], "content": "capybara over HTTP"})
        res = await search(tt, "capybara")
        assert hit_ids(res) == [t["id"]]
        assert res["results"][0]["matched"] == ["title", "comments"]
        assert res["results"][0]["task"] == task_part(await tt.get(t["id"]))
        assert (await tt.err("search_tasks", {"query": '"'})).startswith("Invalid `query`: ")
    # another session sees the same index
    async with streamable_session(http_server) as other:
        assert hit_ids(await search(other, "capy*")) == [t["id"]]
