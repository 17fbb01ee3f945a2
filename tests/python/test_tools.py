"""Every one of the 32 tools, with result shapes and business rules exactly per docs/TOOLS.md."""

from __future__ import annotations

import anyio
import pytest

from conftest import (
    TASK_KEYS,
    TASK_WITH_SUBTASKS_KEYS,
    assert_comment,
    assert_history,
    assert_link,
    assert_task,
    assert_task_with_relations,
    ids,
)

pytestmark = pytest.mark.anyio


async def sleep_past_second() -> None:
    """Timestamps have one-second resolution; wait so that a new timestamp must differ."""
    await anyio.sleep(1.1)


async def chain(tt, levels: int) -> list[dict]:
    """A chain of `levels` tasks: root, child, grandchild, ..."""
    tasks = [await tt.create("L0")]
    for depth in range(1, levels):
        tasks.append(await tt.sub(tasks[-1]["id"], f"L{depth}"))
    return tasks


# ============================================================================================== create_task


async def test_create_task_minimal_has_defaults(tt):
    t = await tt.create("Write docs", "alice")
    assert_task(t, title="Write docs", description=None, status="idle", assigned_to=None,
                previous_assigned_to=None, created_by="alice", priority=0, tags=[], parent_task_id=None,
                queue_name=None, blocked_by_task_id=None, archived_at=None, is_currently_blocked=False)
    assert t["created_at"] == t["updated_at"]


async def test_create_task_all_fields(tt):
    blocker = await tt.create("Blocker")
    parent = await tt.create("Parent")
    t = await tt.create("Full", "alice", description="Desc", assigned_to="bob", priority=-2, tags=["a", "b"],
                        parent_task_id=parent["id"], queue_name="dev", blocked_by_task_id=blocker["id"])
    assert_task(t, description="Desc", assigned_to="bob", priority=-2, tags=["a", "b"],
                parent_task_id=parent["id"], queue_name="dev", blocked_by_task_id=blocker["id"],
                is_currently_blocked=True, status="idle")


async def test_create_task_trims_strings(tt):
    t = await tt.create("  Padded title  ", "  alice  ", description="  d  ", assigned_to=" bob ",
                        queue_name="  dev  ")
    assert_task(t, title="Padded title", created_by="alice", description="d", assigned_to="bob", queue_name="dev")


async def test_create_task_unicode_round_trips(tt):
    t = await tt.create("Ünïcødé ✓ 日本語 \"quoted\" \\ back", "zoë")
    assert t["title"] == "Ünïcødé ✓ 日本語 \"quoted\" \\ back"
    assert (await tt.get(t["id"]))["created_by"] == "zoë"


async def test_integer_string_ids_are_accepted(tt):
    t = await tt.create("T")
    got = await tt.call("get_task", {"id": str(t["id"])})
    assert got["id"] == t["id"]
    child = await tt.create("C", parent_task_id=str(t["id"]))
    assert child["parent_task_id"] == t["id"]


async def test_create_task_null_parent_means_top_level(tt):
    t = await tt.create("T", parent_task_id=None, blocked_by_task_id=None)
    assert_task(t, parent_task_id=None, blocked_by_task_id=None)


async def test_queue_name_of_255_characters_is_accepted(tt):
    name = "q" * 255
    t = await tt.create("T", queue_name=name)
    assert t["queue_name"] == name


# ============================================================================================== update_task


async def test_update_task_changes_only_given_fields(tt):
    t = await tt.create("T", "alice", description="keep", assigned_to="bob", priority=1, tags=["x"],
                        queue_name="dev")
    u = await tt.update(t["id"], title="T2")
    expected = dict(t, title="T2")
    for k in TASK_KEYS:
        if k != "updated_at":
            assert u[k] == expected[k], k


async def test_update_task_all_fields(tt):
    t = await tt.create("T")
    u = await tt.update(t["id"], title="New", description="D", status="working", assigned_to="bob", priority=9,
                        tags=["p", "q"], queue_name="qa", changed_by="alice")
    assert_task(u, title="New", description="D", status="working", assigned_to="bob", priority=9,
                tags=["p", "q"], queue_name="qa")


async def test_update_task_bumps_updated_at_only_on_real_change(tt):
    t = await tt.create("T", priority=1)
    await sleep_past_second()
    same = await tt.update(t["id"], title="T", priority=1)
    assert same["updated_at"] == t["updated_at"]
    nothing = await tt.update(t["id"])
    assert nothing["updated_at"] == t["updated_at"]
    changed = await tt.update(t["id"], priority=2)
    assert changed["updated_at"] > t["updated_at"]
    assert changed["created_at"] == t["created_at"]


async def test_update_task_reassign_sets_previous_assigned_to(tt):
    t = await tt.create("T", assigned_to="alice")
    u = await tt.update(t["id"], assigned_to="bob")
    assert_task(u, assigned_to="bob", previous_assigned_to="alice")
    u = await tt.update(t["id"], assigned_to="carol")
    assert_task(u, assigned_to="carol", previous_assigned_to="bob")


async def test_update_task_null_or_empty_clears_optional_strings(tt):
    t = await tt.create("T", description="d", assigned_to="alice", queue_name="dev")
    u = await tt.update(t["id"], description=None, assigned_to="", queue_name=None)
    assert_task(u, description=None, assigned_to=None, queue_name=None)
    t2 = await tt.create("T2", description="d", queue_name="dev")
    u2 = await tt.update(t2["id"], description="", queue_name="")
    assert_task(u2, description=None, queue_name=None)


async def test_update_task_tags_replace(tt):
    t = await tt.create("T", tags=["a", "b"])
    assert (await tt.update(t["id"], tags=["c"]))["tags"] == ["c"]
    assert (await tt.update(t["id"], tags=[]))["tags"] == []


async def test_update_task_null_clears_parent_and_blocker(tt):
    parent = await tt.create("Parent")
    blocker = await tt.create("Blocker")
    t = await tt.create("T", parent_task_id=parent["id"], blocked_by_task_id=blocker["id"])
    u = await tt.update(t["id"], parent_task_id=None, blocked_by_task_id=None)
    assert_task(u, parent_task_id=None, blocked_by_task_id=None, is_currently_blocked=False)


# ============================================================================================== get / archive / delete


async def test_get_task_returns_task_with_relations(tt):
    t = await tt.create("T", "alice")
    await tt.call("add_comment", {"task_id": t["id"], "content": "hi", "created_by": "bob"})
    await tt.call("add_link", {"task_id": t["id"], "url": "https://example.com"})
    await tt.update(t["id"], status="working", changed_by="bob")
    full = assert_task_with_relations(await tt.get(t["id"]), id=t["id"], status="working")
    assert len(full["comments"]) == 1 and len(full["links"]) == 1 and len(full["history"]) >= 1


async def test_archive_task_sets_archived_at_bumps_updated_at_and_rearchive_keeps_archived_at(tt):
    t = await tt.create("T")
    await sleep_past_second()
    a1 = await tt.call("archive_task", {"id": t["id"]})
    assert_task(a1, id=t["id"])
    assert a1["archived_at"] is not None
    assert a1["updated_at"] > t["updated_at"]
    await sleep_past_second()
    a2 = await tt.call("archive_task", {"id": t["id"]})
    assert a2["archived_at"] == a1["archived_at"]


async def test_delete_task_result_shape(tt):
    t = await tt.create("T")
    res = await tt.call("delete_task", {"id": t["id"]})
    assert list(res.keys()) == ["success", "message", "id", "promoted_subtask_ids"]
    assert res["success"] is True and res["id"] == t["id"] and res["promoted_subtask_ids"] == []
    assert isinstance(res["message"], str) and str(t["id"]) in res["message"]
    assert str(t["id"]) in await tt.err("get_task", {"id": t["id"]})


async def test_delete_task_removes_comments_and_links(tt):
    t = await tt.create("T")
    c = await tt.call("add_comment", {"task_id": t["id"], "content": "c"})
    link = await tt.call("add_link", {"task_id": t["id"], "url": "https://example.com"})
    await tt.call("delete_task", {"id": t["id"]})
    assert str(c["id"]) in await tt.err("get_comment", {"id": c["id"]})
    assert str(link["id"]) in await tt.err("update_link", {"id": link["id"], "url": "https://x.example"})


async def test_delete_task_promotes_subtasks_to_deleted_tasks_parent(tt):
    grand = await tt.create("Grand")
    parent = await tt.sub(grand["id"], "Parent")
    c1 = await tt.sub(parent["id"], "c1")
    c2 = await tt.sub(parent["id"], "c2")
    gc = await tt.sub(c1["id"], "gc")
    res = await tt.call("delete_task", {"id": parent["id"]})
    assert sorted(res["promoted_subtask_ids"]) == sorted([c1["id"], c2["id"]])
    assert (await tt.get(c1["id"]))["parent_task_id"] == grand["id"]
    assert (await tt.get(c2["id"]))["parent_task_id"] == grand["id"]
    assert (await tt.get(gc["id"]))["parent_task_id"] == c1["id"]


async def test_delete_top_level_task_promotes_subtasks_to_top_level(tt):
    parent = await tt.create("Parent")
    child = await tt.sub(parent["id"], "Child")
    res = await tt.call("delete_task", {"id": parent["id"]})
    assert res["promoted_subtask_ids"] == [child["id"]]
    assert (await tt.get(child["id"]))["parent_task_id"] is None


async def test_delete_task_unblocks_tasks_it_was_blocking(tt):
    blocker = await tt.create("Blocker")
    blocked = await tt.create("Blocked", blocked_by_task_id=blocker["id"])
    await tt.call("delete_task", {"id": blocker["id"]})
    now = await tt.get(blocked["id"])
    assert now["blocked_by_task_id"] is None
    assert now["is_currently_blocked"] is False


# ============================================================================================== queues of agents


async def test_list_tasks_result_shape(tt):
    t = await tt.create("T")
    res = await tt.call("list_tasks", {})
    assert list(res.keys()) == ["count", "tasks"]
    assert res["count"] == 1 and ids(res["tasks"]) == [t["id"]]
    assert_task(res["tasks"][0])


async def test_get_my_queue_shape_and_selection(tt):
    idle = await tt.create("idle", assigned_to="alice", priority=1)
    working = await tt.create("working", assigned_to="alice", priority=2)
    await tt.update(working["id"], status="working")
    done = await tt.create("done", assigned_to="alice")
    await tt.update(done["id"], status="complete")
    archived = await tt.create("archived", assigned_to="alice")
    await tt.call("archive_task", {"id": archived["id"]})
    await tt.create("other", assigned_to="bob")
    res = await tt.call("get_my_queue", {"agent_name": "alice"})
    assert list(res.keys()) == ["agent", "count", "tasks"]
    assert res["agent"] == "alice" and res["count"] == 2
    assert ids(res["tasks"]) == [working["id"], idle["id"]]
    for t in res["tasks"]:
        assert_task(t)


async def test_signup_for_task_with_nothing_to_claim(tt):
    res = await tt.call("signup_for_task", {"agent_name": "nobody"})
    assert list(res.keys()) == ["agent", "claimed", "task", "message", "lease"]
    assert res["agent"] == "nobody" and res["claimed"] is False and res["task"] is None and res["lease"] is None
    assert isinstance(res["message"], str) and res["message"]


async def test_signup_for_task_claims_and_returns_task_with_relations(tt):
    t = await tt.create("T", assigned_to="alice")
    await tt.call("add_comment", {"task_id": t["id"], "content": "context"})
    res = await tt.call("signup_for_task", {"agent_name": "alice"})
    assert res["claimed"] is True
    task = assert_task_with_relations(res["task"], id=t["id"], status="working")
    assert [c["content"] for c in task["comments"]] == ["context"]


async def test_signup_for_task_ignores_archived_tasks(tt):
    t = await tt.create("T", assigned_to="alice")
    await tt.call("archive_task", {"id": t["id"]})
    assert (await tt.call("signup_for_task", {"agent_name": "alice"}))["claimed"] is False


async def test_move_task_result_shape(tt):
    t = await tt.create("T", assigned_to="alice")
    res = await tt.call("move_task", {"task_id": t["id"], "current_agent": "alice", "new_agent": "bob",
                                      "comment": "over to you"})
    assert list(res.keys()) == ["task", "comment"]
    assert_task(res["task"], assigned_to="bob", previous_assigned_to="alice", status="idle")
    assert_comment(res["comment"], task_id=t["id"], content="over to you", created_by="alice")


# ============================================================================================== subtasks


async def test_create_subtask_returns_task(tt):
    parent = await tt.create("Parent", queue_name="dev")
    s = await tt.call("create_subtask", {"parent_task_id": parent["id"], "title": " Sub ", "created_by": "alice",
                                         "description": "d", "assigned_to": "bob", "priority": 4, "tags": ["t"]})
    assert_task(s, title="Sub", parent_task_id=parent["id"], queue_name="dev", description="d", assigned_to="bob",
                priority=4, tags=["t"], status="idle", created_by="alice")


async def test_get_subtasks_direct_children_only(tt):
    root, child, grandchild = await chain(tt, 3)
    other = await tt.sub(root["id"], "Other", priority=5)
    res = await tt.call("get_subtasks", {"parent_task_id": root["id"]})
    assert list(res.keys()) == ["parent_task_id", "recursive", "count", "subtasks"]
    assert res["parent_task_id"] == root["id"] and res["recursive"] is False
    assert ids(res["subtasks"]) == [other["id"], child["id"]]
    assert res["count"] == 2
    for t in res["subtasks"]:
        assert_task(t)


async def test_get_subtasks_recursive_is_flat_list_of_all_descendants(tt):
    root, child, grandchild, great = await chain(tt, 4)
    res = await tt.call("get_subtasks", {"parent_task_id": root["id"], "recursive": True})
    assert res["recursive"] is True and res["count"] == 3
    assert sorted(ids(res["subtasks"])) == sorted([child["id"], grandchild["id"], great["id"]])
    for t in res["subtasks"]:
        assert list(t.keys()) == TASK_KEYS  # flat: no nested subtasks


async def test_get_subtasks_include_archived(tt):
    parent = await tt.create("Parent")
    a = await tt.sub(parent["id"], "a")
    b = await tt.sub(parent["id"], "b")
    await tt.call("archive_task", {"id": b["id"]})
    assert ids((await tt.call("get_subtasks", {"parent_task_id": parent["id"]}))["subtasks"]) == [a["id"]]
    res = await tt.call("get_subtasks", {"parent_task_id": parent["id"], "include_archived": True})
    assert sorted(ids(res["subtasks"])) == sorted([a["id"], b["id"]])


async def test_get_task_with_subtasks_shape(tt):
    root, child, grandchild = await chain(tt, 3)
    res = await tt.call("get_task_with_subtasks", {"task_id": root["id"]})
    assert_task(res, TASK_WITH_SUBTASKS_KEYS, id=root["id"])
    assert ids(res["subtasks"]) == [child["id"]] and res["subtask_count"] == 1
    rec = await tt.call("get_task_with_subtasks", {"task_id": root["id"], "recursive": True})
    assert sorted(ids(rec["subtasks"])) == sorted([child["id"], grandchild["id"]])
    assert rec["subtask_count"] == 2


async def test_move_subtask_to_new_parent(tt):
    a = await tt.create("A")
    b = await tt.create("B")
    s = await tt.sub(a["id"], "S")
    moved = await tt.call("move_subtask", {"subtask_id": s["id"], "new_parent_id": b["id"]})
    assert_task(moved, id=s["id"], parent_task_id=b["id"])
    assert ids((await tt.call("get_subtasks", {"parent_task_id": a["id"]}))["subtasks"]) == []


async def test_move_subtask_null_parent_makes_top_level(tt):
    a = await tt.create("A")
    s = await tt.sub(a["id"], "S")
    moved = await tt.call("move_subtask", {"subtask_id": s["id"], "new_parent_id": None})
    assert moved["parent_task_id"] is None


async def test_move_subtask_without_new_parent_makes_top_level(tt):
    a = await tt.create("A")
    s = await tt.sub(a["id"], "S")
    moved = await tt.call("move_subtask", {"subtask_id": s["id"]})
    assert moved["parent_task_id"] is None


# ============================================================================================== hierarchy rules


async def test_four_levels_are_allowed(tt):
    tasks = await chain(tt, 4)
    assert [t["parent_task_id"] for t in tasks] == [None, tasks[0]["id"], tasks[1]["id"], tasks[2]["id"]]


async def test_fifth_level_rejected_on_create_subtask_and_create_task(tt):
    tasks = await chain(tt, 4)
    deepest = tasks[-1]["id"]
    assert "depth" in (await tt.err("create_subtask", {"parent_task_id": deepest, "title": "L4",
                                                       "created_by": "x"})).lower()
    assert "depth" in (await tt.err("create_task", {"title": "L4", "created_by": "x",
                                                    "parent_task_id": deepest})).lower()
    assert (await tt.call("get_subtasks", {"parent_task_id": deepest}))["count"] == 0


async def test_fifth_level_rejected_on_update_and_move_subtask(tt):
    tasks = await chain(tt, 4)
    loose = await tt.create("Loose")
    assert "depth" in (await tt.err("update_task", {"id": loose["id"],
                                                    "parent_task_id": tasks[-1]["id"]})).lower()
    assert "depth" in (await tt.err("move_subtask", {"subtask_id": loose["id"],
                                                     "new_parent_id": tasks[-1]["id"]})).lower()
    assert (await tt.get(loose["id"]))["parent_task_id"] is None


async def test_moving_a_subtree_checks_the_subtree_depth(tt):
    tasks = await chain(tt, 3)  # depths 0, 1, 2
    subtree_root = await tt.create("Subtree root")
    await tt.sub(subtree_root["id"], "Subtree child")  # subtree of height 2
    # under depth 1 -> depths 2 and 3: allowed
    await tt.update(subtree_root["id"], parent_task_id=tasks[1]["id"])
    # under depth 2 -> the child would land at depth 4: rejected
    text = await tt.err("update_task", {"id": subtree_root["id"], "parent_task_id": tasks[2]["id"]})
    assert "depth" in text.lower()
    text = await tt.err("move_subtask", {"subtask_id": subtree_root["id"], "new_parent_id": tasks[2]["id"]})
    assert "depth" in text.lower()
    assert (await tt.get(subtree_root["id"]))["parent_task_id"] == tasks[1]["id"]


async def test_self_parent_rejected(tt):
    t = await tt.create("T")
    await tt.err("update_task", {"id": t["id"], "parent_task_id": t["id"]})
    await tt.err("move_subtask", {"subtask_id": t["id"], "new_parent_id": t["id"]})
    assert (await tt.get(t["id"]))["parent_task_id"] is None


async def test_parent_cycle_rejected(tt):
    a, b, c = await chain(tt, 3)
    await tt.err("update_task", {"id": a["id"], "parent_task_id": c["id"]})
    await tt.err("move_subtask", {"subtask_id": a["id"], "new_parent_id": b["id"]})
    assert (await tt.get(a["id"]))["parent_task_id"] is None


async def test_self_block_rejected_on_update(tt):
    t = await tt.create("T")
    await tt.err("update_task", {"id": t["id"], "blocked_by_task_id": t["id"]})
    assert (await tt.get(t["id"]))["blocked_by_task_id"] is None


async def test_blocking_cycle_of_two_rejected(tt):
    a = await tt.create("A")
    b = await tt.create("B", blocked_by_task_id=a["id"])
    await tt.err("update_task", {"id": a["id"], "blocked_by_task_id": b["id"]})
    assert (await tt.get(a["id"]))["blocked_by_task_id"] is None


async def test_blocking_cycle_of_three_rejected(tt):
    a = await tt.create("A")
    b = await tt.create("B", blocked_by_task_id=a["id"])
    c = await tt.create("C", blocked_by_task_id=b["id"])
    await tt.err("update_task", {"id": a["id"], "blocked_by_task_id": c["id"]})
    assert (await tt.get(a["id"]))["blocked_by_task_id"] is None


async def test_blocked_by_unknown_task_rejected_on_create(tt):
    text = await tt.err("create_task", {"title": "T", "created_by": "x", "blocked_by_task_id": 424242})
    assert "424242" in text
    assert await tt.list() == []


# ============================================================================================== queue tools


async def test_list_queues_distinct_sorted_non_archived(tt):
    await tt.create("a", queue_name="zeta")
    await tt.create("b", queue_name="alpha")
    await tt.create("c", queue_name="alpha")
    archived = await tt.create("d", queue_name="archived-only")
    await tt.call("archive_task", {"id": archived["id"]})
    await tt.create("e")
    res = await tt.call("list_queues")
    assert list(res.keys()) == ["count", "queues"]
    assert res == {"count": 2, "queues": ["alpha", "zeta"]}


async def test_get_queue_stats_shape_and_counts(tt):
    await tt.create("a", queue_name="dev", assigned_to="alice")
    w = await tt.create("b", queue_name="dev", assigned_to="bob")
    await tt.update(w["id"], status="working")
    c = await tt.create("c", queue_name="dev")
    await tt.update(c["id"], status="complete")
    archived = await tt.create("d", queue_name="dev", assigned_to="zed")
    await tt.call("archive_task", {"id": archived["id"]})
    await tt.create("other", queue_name="qa", assigned_to="carol")
    res = await tt.call("get_queue_stats", {"queue_name": "dev"})
    assert list(res.keys()) == ["queue_name", "total_tasks", "by_status", "assigned", "unassigned", "agents"]
    assert list(res["by_status"].keys()) == ["idle", "working", "complete"]
    assert res["queue_name"] == "dev" and res["total_tasks"] == 3
    assert res["by_status"] == {"idle": 1, "working": 1, "complete": 1}
    assert res["assigned"] == 2 and res["unassigned"] == 1
    assert sorted(res["agents"]) == ["alice", "bob"]


async def test_get_queue_stats_unknown_queue_is_zero_not_error(tt):
    res = await tt.call("get_queue_stats", {"queue_name": "ghost"})
    assert res == {"queue_name": "ghost", "total_tasks": 0, "by_status": {"idle": 0, "working": 0, "complete": 0},
                   "assigned": 0, "unassigned": 0, "agents": []}


async def test_add_remove_move_task_queue(tt):
    t = await tt.create("T")
    added = await tt.call("add_task_to_queue", {"task_id": t["id"], "queue_name": " dev "})
    assert_task(added, id=t["id"], queue_name="dev")
    moved = await tt.call("move_task_to_queue", {"task_id": t["id"], "new_queue_name": "qa"})
    assert_task(moved, queue_name="qa")
    removed = await tt.call("remove_task_from_queue", {"task_id": t["id"]})
    assert_task(removed, queue_name=None)
    assert (await tt.call("list_queues"))["queues"] == []


@pytest.fixture
async def dev_queue(tt):
    """Queue "dev": p(prio 3, alice, idle) with child c(alice, idle); w(prio 2, bob, working); x(prio 1, done);
    archived a; plus q in queue "qa"."""
    p = await tt.create("p", queue_name="dev", assigned_to="alice", priority=3)
    c = await tt.sub(p["id"], "c", assigned_to="alice")
    w = await tt.create("w", queue_name="dev", assigned_to="bob", priority=2)
    await tt.update(w["id"], status="working")
    x = await tt.create("x", queue_name="dev", priority=1)
    await tt.update(x["id"], status="complete")
    a = await tt.create("a", queue_name="dev", priority=9)
    await tt.call("archive_task", {"id": a["id"]})
    q = await tt.create("q", queue_name="qa")
    return {"p": p["id"], "c": c["id"], "w": w["id"], "x": x["id"], "a": a["id"], "q": q["id"]}


async def queue_ids(tt, **kw) -> list[int]:
    res = await tt.call("get_queue_tasks", {"queue_name": "dev", **kw})
    assert res["count"] == len(res["tasks"])
    return ids(res["tasks"])


async def test_get_queue_tasks_shape(tt, dev_queue):
    res = await tt.call("get_queue_tasks", {"queue_name": "dev"})
    assert list(res.keys()) == ["queue_name", "count", "filters", "tasks"]
    assert res["queue_name"] == "dev" and isinstance(res["filters"], dict)
    assert ids(res["tasks"]) == [dev_queue["p"], dev_queue["w"], dev_queue["x"], dev_queue["c"]]
    for t in res["tasks"]:
        assert_task(t, queue_name="dev")


async def test_get_queue_tasks_filters(tt, dev_queue):
    d = dev_queue
    assert await queue_ids(tt, status="idle") == [d["p"], d["c"]]
    assert await queue_ids(tt, status=["working", "complete"]) == [d["w"], d["x"]]
    assert await queue_ids(tt, exclude_status=["complete"]) == [d["p"], d["w"], d["c"]]
    assert await queue_ids(tt, assigned_to="alice") == [d["p"], d["c"]]
    assert await queue_ids(tt, exclude_subtasks=True) == [d["p"], d["w"], d["x"]]
    assert await queue_ids(tt, parent_task_id=d["p"]) == [d["c"]]
    assert await queue_ids(tt, parent_task_id=None) == [d["p"], d["w"], d["x"]]
    assert await queue_ids(tt, include_archived=True) == [d["a"], d["p"], d["w"], d["x"], d["c"]]
    assert await queue_ids(tt, limit=2) == [d["p"], d["w"]]
    assert await queue_ids(tt, offset=2) == [d["x"], d["c"]]
    assert await queue_ids(tt, limit=1, offset=1) == [d["w"]]


async def test_clear_queue_removes_queue_from_non_archived_tasks(tt, dev_queue):
    d = dev_queue
    res = await tt.call("clear_queue", {"queue_name": "dev"})
    assert list(res.keys()) == ["queue_name", "tasks_cleared"]
    assert res == {"queue_name": "dev", "tasks_cleared": 4}
    assert (await tt.get(d["p"]))["queue_name"] is None
    assert (await tt.get(d["a"]))["queue_name"] == "dev"  # archived task keeps its queue
    assert (await tt.get(d["q"]))["queue_name"] == "qa"
    assert (await tt.call("list_queues"))["queues"] == ["qa"]
    assert (await tt.call("clear_queue", {"queue_name": "ghost"}))["tasks_cleared"] == 0


# ============================================================================================== comments


async def test_add_comment_shape_and_trim(tt):
    t = await tt.create("T")
    c = await tt.call("add_comment", {"task_id": t["id"], "content": "  hello  ", "created_by": " bob "})
    assert_comment(c, task_id=t["id"], content="hello", created_by="bob")
    c2 = await tt.call("add_comment", {"task_id": t["id"], "content": "anon"})
    assert_comment(c2, created_by=None)


async def test_update_and_get_comment(tt):
    t = await tt.create("T")
    c = await tt.call("add_comment", {"task_id": t["id"], "content": "v1", "created_by": "bob"})
    u = await tt.call("update_comment", {"id": c["id"], "content": "v2"})
    assert_comment(u, id=c["id"], task_id=t["id"], content="v2", created_by="bob", created_at=c["created_at"])
    assert await tt.call("get_comment", {"id": c["id"]}) == u


async def test_delete_comment_shape(tt):
    t = await tt.create("T")
    c = await tt.call("add_comment", {"task_id": t["id"], "content": "bye"})
    res = await tt.call("delete_comment", {"id": c["id"]})
    assert list(res.keys()) == ["success", "message", "id"]
    assert res["success"] is True and res["id"] == c["id"] and isinstance(res["message"], str)
    assert str(c["id"]) in await tt.err("get_comment", {"id": c["id"]})


async def test_list_comments_shape_oldest_first(tt):
    t = await tt.create("T")
    c1 = await tt.call("add_comment", {"task_id": t["id"], "content": "1"})
    c2 = await tt.call("add_comment", {"task_id": t["id"], "content": "2"})
    res = await tt.call("list_comments", {"task_id": t["id"]})
    assert list(res.keys()) == ["task_id", "count", "comments"]
    assert res["task_id"] == t["id"] and res["count"] == 2
    assert res["comments"] == [c1, c2]


async def test_move_comment_copies_and_rewrites_original(tt):
    src = await tt.create("Source")
    dst = await tt.create("Target")
    c = await tt.call("add_comment", {"task_id": src["id"], "content": "wrong task", "created_by": "bob"})
    new = await tt.call("move_comment", {"comment_id": c["id"], "to_task_id": dst["id"]})
    assert_comment(new, task_id=dst["id"], content="wrong task", created_by="bob")
    assert new["id"] != c["id"]
    original = await tt.call("get_comment", {"id": c["id"]})
    assert original["task_id"] == src["id"]
    assert original["content"] == f"Comment moved to task {dst['id']} comment {new['id']}"
    assert (await tt.call("list_comments", {"task_id": dst["id"]}))["comments"] == [new]


async def test_move_comment_to_its_own_task_rejected(tt):
    t = await tt.create("T")
    c = await tt.call("add_comment", {"task_id": t["id"], "content": "stay"})
    await tt.err("move_comment", {"comment_id": c["id"], "to_task_id": t["id"]})
    assert (await tt.call("get_comment", {"id": c["id"]}))["content"] == "stay"
    assert (await tt.call("list_comments", {"task_id": t["id"]}))["count"] == 1


# ============================================================================================== links


async def test_add_link_shape(tt):
    t = await tt.create("T")
    link = await tt.call("add_link", {"task_id": t["id"], "url": " https://example.com/x ", "description": "X",
                                      "created_by": "bob"})
    assert_link(link, task_id=t["id"], url="https://example.com/x", description="X", created_by="bob")
    bare = await tt.call("add_link", {"task_id": t["id"], "url": "https://example.com/y"})
    assert_link(bare, description=None, created_by=None)


async def test_update_link_changes_only_given_fields(tt):
    t = await tt.create("T")
    link = await tt.call("add_link", {"task_id": t["id"], "url": "https://example.com/1", "description": "one"})
    u = await tt.call("update_link", {"id": link["id"], "url": "https://example.com/2"})
    assert_link(u, id=link["id"], url="https://example.com/2", description="one")
    u = await tt.call("update_link", {"id": link["id"], "description": "two"})
    assert_link(u, url="https://example.com/2", description="two", created_at=link["created_at"])


async def test_delete_link_shape(tt):
    t = await tt.create("T")
    link = await tt.call("add_link", {"task_id": t["id"], "url": "https://example.com"})
    res = await tt.call("delete_link", {"id": link["id"]})
    assert list(res.keys()) == ["success", "message", "id"]
    assert res["success"] is True and res["id"] == link["id"] and isinstance(res["message"], str)
    assert (await tt.call("list_links", {"task_id": t["id"]}))["count"] == 0


async def test_list_links_shape(tt):
    t = await tt.create("T")
    l1 = await tt.call("add_link", {"task_id": t["id"], "url": "https://example.com/1"})
    l2 = await tt.call("add_link", {"task_id": t["id"], "url": "https://example.com/2"})
    res = await tt.call("list_links", {"task_id": t["id"]})
    assert list(res.keys()) == ["task_id", "count", "links"]
    assert res == {"task_id": t["id"], "count": 2, "links": [l1, l2]}


# ============================================================================================== history


async def test_get_task_history_shape(tt):
    t = await tt.create("T")
    empty = await tt.call("get_task_history", {"task_id": t["id"]})
    assert list(empty.keys()) == ["task_id", "count", "history"]
    await tt.update(t["id"], status="working", changed_by="alice")
    res = await tt.call("get_task_history", {"task_id": t["id"]})
    assert res["count"] == len(res["history"]) == empty["count"] + 1
    assert_history(res["history"][-1], task_id=t["id"], field_name="status", old_value="idle",
                   new_value="working", changed_by="alice")


# ============================================================================================== search


async def test_search_tasks_shape(tt):
    t = await tt.create("Searchable heron", tags=["bird"])
    res = await tt.call("search_tasks", {"query": "heron"})
    assert list(res.keys()) == ["query", "count", "results"]
    assert res["query"] == "heron" and res["count"] == 1
    hit = res["results"][0]
    assert list(hit.keys()) == ["task", "score", "matched", "snippet", "comment_id"]
    assert_task(hit["task"], id=t["id"])
    assert hit["matched"] == ["title"] and hit["snippet"] == "Searchable [heron]" and hit["comment_id"] is None
    # the rest (fields, ranking, filters, errors, HTTP) is in test_search.py


# ============================================================================================== all 32


def test_this_module_calls_every_tool():
    """Guards the '32 tools at least once' promise of this module (the 2.x tools and search_tasks; the coordination tools have their own
    modules, test_coordination_*.py)."""
    from conftest import TOOL_PARAMS

    source = open(__file__, encoding="utf-8").read()
    missing = [name for name in list(TOOL_PARAMS)[:32] if f'"{name}"' not in source]
    assert missing == [], f"tools never called in test_tools.py: {missing}"
