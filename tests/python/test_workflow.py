"""The multi-agent workflow TinyTask exists for, driven through the official MCP SDK over stdio.

product agent -> epic in queue "dev"; architect -> subtasks, comments, links, blocking; code agent -> signup and
hand-over to the reviewer with move_task; reviewer -> completes; parent status propagation; archive; list filters;
task history.
"""

from __future__ import annotations

import pytest

from conftest import (
    assert_comment,
    assert_history,
    assert_link,
    assert_task,
    assert_task_with_relations,
    find_history,
    ids,
)

pytestmark = pytest.mark.anyio

PRODUCT = "product-agent"
ARCHITECT = "architect-agent"
CODER = "code-agent"
REVIEWER = "review-agent"
PROPAGATION = "tinytask:propagation"


# ---------------------------------------------------------------------------------------------------- story


async def test_full_multi_agent_workflow(tt):
    # product agent: the epic
    epic = await tt.create("Epic: user signup", PRODUCT, description="Let visitors create accounts", priority=5,
                           tags=["epic", "signup"], queue_name="dev")
    assert_task(epic, status="idle", queue_name="dev", created_by=PRODUCT, parent_task_id=None, priority=5,
                tags=["epic", "signup"])

    # architect: subtasks (queue inherited), a comment, a link, a blocking relation
    schema = await tt.sub(epic["id"], "Design users table", ARCHITECT, assigned_to=CODER, priority=2)
    api = await tt.sub(epic["id"], "Signup endpoint", ARCHITECT, assigned_to=CODER, priority=9)
    assert_task(schema, parent_task_id=epic["id"], queue_name="dev", assigned_to=CODER)
    assert_task(api, parent_task_id=epic["id"], queue_name="dev", assigned_to=CODER)
    api = await tt.update(api["id"], blocked_by_task_id=schema["id"], changed_by=ARCHITECT)
    assert api["is_currently_blocked"] is True
    await tt.call("add_comment", {"task_id": api["id"], "content": "Use argon2 for passwords",
                                  "created_by": ARCHITECT})
    await tt.call("add_link", {"task_id": api["id"], "url": "https://example.com/rfc/signup",
                               "description": "Design doc", "created_by": ARCHITECT})

    # code agent: signup claims the unblocked schema task although the api task has higher priority
    claim = await tt.call("signup_for_task", {"agent_name": CODER})
    assert claim["claimed"] is True and claim["task"]["id"] == schema["id"]
    assert (await tt.get(epic["id"]))["status"] == "working"

    # code agent hands the schema task to the reviewer
    moved = await tt.call("move_task", {"task_id": schema["id"], "current_agent": CODER, "new_agent": REVIEWER,
                                        "comment": "Schema ready for review"})
    assert_task(moved["task"], assigned_to=REVIEWER, previous_assigned_to=CODER, status="idle")

    # reviewer claims and completes it -> api task unblocked
    claim = await tt.call("signup_for_task", {"agent_name": REVIEWER})
    assert claim["task"]["id"] == schema["id"]
    await tt.update(schema["id"], status="complete", changed_by=REVIEWER)
    assert (await tt.get(api["id"]))["is_currently_blocked"] is False

    # code agent now gets the api task, completes it; epic completes by propagation
    claim = await tt.call("signup_for_task", {"agent_name": CODER})
    assert claim["task"]["id"] == api["id"]
    assert [c["content"] for c in claim["task"]["comments"]] == ["Use argon2 for passwords"]
    assert [link["url"] for link in claim["task"]["links"]] == ["https://example.com/rfc/signup"]
    await tt.update(api["id"], status="complete", changed_by=CODER)
    epic_now = await tt.get(epic["id"])
    assert epic_now["status"] == "complete"
    find_history(epic_now["history"], "status", new_value="complete", changed_by=PROPAGATION)

    # archive the epic: gone from default listings, still readable
    archived = await tt.call("archive_task", {"id": epic["id"]})
    assert archived["archived_at"] is not None
    assert epic["id"] not in ids(await tt.list())
    assert epic["id"] in ids(await tt.list(include_archived=True))


# ---------------------------------------------------------------------------------------------------- creation


async def test_product_agent_creates_epic_in_dev_queue(tt):
    epic = await tt.create("Epic: billing", PRODUCT, description="Invoices and payments", priority=3,
                           tags=["epic"], queue_name="dev")
    assert_task(epic, title="Epic: billing", description="Invoices and payments", status="idle", assigned_to=None,
                previous_assigned_to=None, created_by=PRODUCT, priority=3, tags=["epic"], parent_task_id=None,
                queue_name="dev", blocked_by_task_id=None, archived_at=None, is_currently_blocked=False)
    assert (await tt.call("list_queues"))["queues"] == ["dev"]


async def test_create_subtask_inherits_parent_queue(tt):
    epic = await tt.create("Epic", PRODUCT, queue_name="dev")
    child = await tt.sub(epic["id"], "Child", ARCHITECT)
    assert_task(child, parent_task_id=epic["id"], queue_name="dev", status="idle", created_by=ARCHITECT)


async def test_create_task_with_parent_inherits_parent_queue(tt):
    epic = await tt.create("Epic", PRODUCT, queue_name="dev")
    child = await tt.create("Child via create_task", ARCHITECT, parent_task_id=epic["id"])
    assert_task(child, parent_task_id=epic["id"], queue_name="dev")


async def test_explicit_queue_overrides_inherited_queue(tt):
    epic = await tt.create("Epic", PRODUCT, queue_name="dev")
    child = await tt.sub(epic["id"], "QA child", ARCHITECT, queue_name="qa")
    assert child["queue_name"] == "qa"
    grandchild = await tt.sub(child["id"], "Grandchild", ARCHITECT)
    assert grandchild["queue_name"] == "qa"


async def test_comments_and_links_show_on_get_task_oldest_first(tt):
    task = await tt.create("Task", ARCHITECT)
    c1 = await tt.call("add_comment", {"task_id": task["id"], "content": "first", "created_by": ARCHITECT})
    c2 = await tt.call("add_comment", {"task_id": task["id"], "content": "second", "created_by": CODER})
    l1 = await tt.call("add_link", {"task_id": task["id"], "url": "https://example.com/a", "created_by": ARCHITECT})
    l2 = await tt.call("add_link", {"task_id": task["id"], "url": "https://example.com/b", "description": "B"})
    full = assert_task_with_relations(await tt.get(task["id"]))
    assert [c["id"] for c in full["comments"]] == [c1["id"], c2["id"]]
    assert_comment(full["comments"][0], content="first", created_by=ARCHITECT)
    assert_comment(full["comments"][1], content="second", created_by=CODER)
    assert [link["id"] for link in full["links"]] == [l1["id"], l2["id"]]
    assert_link(full["links"][1], url="https://example.com/b", description="B", created_by=None)


# ---------------------------------------------------------------------------------------------------- blocking


async def test_blocked_by_sets_is_currently_blocked_only_on_the_blocked_task(tt):
    a = await tt.create("A", ARCHITECT, assigned_to=CODER)
    b = await tt.create("B", ARCHITECT, assigned_to=CODER, blocked_by_task_id=a["id"])
    assert_task(b, blocked_by_task_id=a["id"], is_currently_blocked=True)
    assert (await tt.get(a["id"]))["is_currently_blocked"] is False
    assert (await tt.get(b["id"]))["is_currently_blocked"] is True


async def test_signup_skips_blocked_task_even_with_higher_priority(tt):
    a = await tt.create("A", ARCHITECT, assigned_to=CODER, priority=1)
    await tt.create("B", ARCHITECT, assigned_to=CODER, priority=10, blocked_by_task_id=a["id"])
    claim = await tt.call("signup_for_task", {"agent_name": CODER})
    assert claim["claimed"] is True
    assert claim["task"]["id"] == a["id"]
    # B is the only idle task left and it is blocked -> nothing to claim
    again = await tt.call("signup_for_task", {"agent_name": CODER})
    assert again["claimed"] is False and again["task"] is None


async def test_completing_blocker_unblocks_and_signup_then_claims_it(tt):
    a = await tt.create("A", ARCHITECT, assigned_to=CODER)
    b = await tt.create("B", ARCHITECT, assigned_to=CODER, blocked_by_task_id=a["id"])
    await tt.call("signup_for_task", {"agent_name": CODER})  # claims A
    await tt.update(a["id"], status="complete", changed_by=CODER)
    b_now = await tt.get(b["id"])
    assert b_now["is_currently_blocked"] is False
    assert b_now["blocked_by_task_id"] == a["id"]  # the relation stays; only the computed flag changes
    claim = await tt.call("signup_for_task", {"agent_name": CODER})
    assert claim["claimed"] is True and claim["task"]["id"] == b["id"]
    assert claim["task"]["status"] == "working"


async def test_archived_blocker_no_longer_blocks(tt):
    # 2.x kept an archived-but-incomplete blocker blocking forever; issue 11 counts archiving among what
    # closes a dependency (docs/TOOLS.md, Objects), for blocked_by_task_id as for depends_on.
    a = await tt.create("A", ARCHITECT)
    b = await tt.create("B", ARCHITECT, assigned_to=CODER, blocked_by_task_id=a["id"])
    assert (await tt.call("signup_for_task", {"agent_name": CODER}))["claimed"] is False
    await tt.call("archive_task", {"id": a["id"]})
    assert (await tt.get(b["id"]))["is_currently_blocked"] is False
    claim = await tt.call("signup_for_task", {"agent_name": CODER})
    assert claim["claimed"] is True and claim["task"]["id"] == b["id"]


async def test_get_my_queue_includes_blocked_tasks(tt):
    a = await tt.create("A", ARCHITECT, assigned_to=CODER)
    b = await tt.create("B", ARCHITECT, assigned_to=CODER, blocked_by_task_id=a["id"])
    queue = await tt.call("get_my_queue", {"agent_name": CODER})
    assert sorted(ids(queue["tasks"])) == sorted([a["id"], b["id"]])
    blocked = {t["id"]: t["is_currently_blocked"] for t in queue["tasks"]}
    assert blocked == {a["id"]: False, b["id"]: True}


# ---------------------------------------------------------------------------------------------------- signup & move


async def test_signup_claims_highest_priority_idle_task_and_sets_working(tt):
    low = await tt.create("low", ARCHITECT, assigned_to=CODER, priority=1)
    high = await tt.create("high", ARCHITECT, assigned_to=CODER, priority=8)
    await tt.create("other agent", ARCHITECT, assigned_to=REVIEWER, priority=99)
    claim = await tt.call("signup_for_task", {"agent_name": CODER})
    assert list(claim.keys()) == ["agent", "claimed", "task", "message", "lease"]
    assert claim["agent"] == CODER and claim["claimed"] is True and isinstance(claim["message"], str)
    assert list(claim["lease"]) == ["token", "expires_at"], claim["lease"]  # every claim takes a lease (issue 11)
    assert_task_with_relations(claim["task"], id=high["id"], status="working", assigned_to=CODER)
    assert (await tt.get(low["id"]))["status"] == "idle"


async def test_move_task_hands_over_to_reviewer_with_comment(tt):
    task = await tt.create("Implement", ARCHITECT, assigned_to=CODER)
    await tt.call("signup_for_task", {"agent_name": CODER})
    res = await tt.call("move_task", {"task_id": task["id"], "current_agent": CODER, "new_agent": REVIEWER,
                                      "comment": "  Ready for review  "})
    assert list(res.keys()) == ["task", "comment"]
    assert_task(res["task"], id=task["id"], assigned_to=REVIEWER, previous_assigned_to=CODER, status="idle")
    assert_comment(res["comment"], task_id=task["id"], content="Ready for review", created_by=CODER)
    full = await tt.get(task["id"])
    assert [c["id"] for c in full["comments"]] == [res["comment"]["id"]]
    assert task["id"] in ids((await tt.call("get_my_queue", {"agent_name": REVIEWER}))["tasks"])
    assert task["id"] not in ids((await tt.call("get_my_queue", {"agent_name": CODER}))["tasks"])


async def test_move_task_requires_current_assignee(tt):
    task = await tt.create("Implement", ARCHITECT, assigned_to=CODER)
    text = await tt.err("move_task", {"task_id": task["id"], "current_agent": REVIEWER, "new_agent": "x",
                                      "comment": "take it"})
    assert REVIEWER in text or "current_agent" in text, text
    unchanged = await tt.get(task["id"])
    assert unchanged["assigned_to"] == CODER and unchanged["comments"] == []


async def test_move_task_current_agent_match_is_exact(tt):
    task = await tt.create("Implement", ARCHITECT, assigned_to=CODER)
    await tt.err("move_task", {"task_id": task["id"], "current_agent": CODER.upper(), "new_agent": REVIEWER,
                               "comment": "case differs"})
    assert (await tt.get(task["id"]))["assigned_to"] == CODER


async def test_move_task_rejects_complete_task(tt):
    task = await tt.create("Done", ARCHITECT, assigned_to=CODER)
    await tt.update(task["id"], status="complete")
    text = await tt.err("move_task", {"task_id": task["id"], "current_agent": CODER, "new_agent": REVIEWER,
                                      "comment": "late"})
    assert "complete" in text or "status" in text, text
    assert (await tt.get(task["id"]))["assigned_to"] == CODER


async def test_reviewer_completes_moved_task(tt):
    task = await tt.create("Implement", ARCHITECT, assigned_to=CODER)
    await tt.call("move_task", {"task_id": task["id"], "current_agent": CODER, "new_agent": REVIEWER,
                                "comment": "please review"})
    claim = await tt.call("signup_for_task", {"agent_name": REVIEWER})
    assert claim["task"]["id"] == task["id"]
    done = await tt.update(task["id"], status="complete", changed_by=REVIEWER)
    assert done["status"] == "complete"
    assert (await tt.call("get_my_queue", {"agent_name": REVIEWER}))["count"] == 0
    find_history((await tt.get(task["id"]))["history"], "status", new_value="complete", changed_by=REVIEWER)


# ---------------------------------------------------------------------------------------------------- propagation


async def test_parent_completes_when_all_children_complete(tt):
    parent = await tt.create("Parent", PRODUCT)
    c1 = await tt.sub(parent["id"], "c1")
    c2 = await tt.sub(parent["id"], "c2")
    await tt.update(c1["id"], status="complete")
    await tt.update(c2["id"], status="complete")
    p = await tt.get(parent["id"])
    assert p["status"] == "complete"
    find_history(p["history"], "status", new_value="complete", changed_by=PROPAGATION)


async def test_parent_working_when_children_mix_idle_and_complete(tt):
    parent = await tt.create("Parent", PRODUCT)
    c1 = await tt.sub(parent["id"], "c1")
    await tt.sub(parent["id"], "c2")
    await tt.update(c1["id"], status="complete")
    assert (await tt.get(parent["id"]))["status"] == "working"


async def test_parent_working_when_child_claimed_and_idle_again_when_all_idle(tt):
    parent = await tt.create("Parent", PRODUCT)
    c1 = await tt.sub(parent["id"], "c1", assigned_to=CODER)
    await tt.sub(parent["id"], "c2")
    await tt.call("signup_for_task", {"agent_name": CODER})
    assert (await tt.get(parent["id"]))["status"] == "working"
    await tt.update(c1["id"], status="idle")
    assert (await tt.get(parent["id"]))["status"] == "idle"


async def test_propagation_recurses_to_grandparent(tt):
    grand = await tt.create("Grand", PRODUCT)
    parent = await tt.sub(grand["id"], "Parent")
    child = await tt.sub(parent["id"], "Child")
    await tt.update(child["id"], status="complete")
    assert (await tt.get(parent["id"]))["status"] == "complete"
    assert (await tt.get(grand["id"]))["status"] == "complete"


async def test_propagation_ignores_archived_children(tt):
    parent = await tt.create("Parent", PRODUCT)
    c1 = await tt.sub(parent["id"], "c1")
    c2 = await tt.sub(parent["id"], "c2")
    await tt.update(c1["id"], status="complete")
    assert (await tt.get(parent["id"]))["status"] == "working"
    await tt.call("archive_task", {"id": c2["id"]})
    assert (await tt.get(parent["id"]))["status"] == "complete"


async def test_new_idle_child_reopens_completed_parent(tt):
    parent = await tt.create("Parent", PRODUCT)
    c1 = await tt.sub(parent["id"], "c1")
    await tt.update(c1["id"], status="complete")
    assert (await tt.get(parent["id"]))["status"] == "complete"
    await tt.sub(parent["id"], "c2")
    assert (await tt.get(parent["id"]))["status"] == "working"


async def test_propagation_after_child_deleted(tt):
    parent = await tt.create("Parent", PRODUCT)
    c1 = await tt.sub(parent["id"], "c1")
    c2 = await tt.sub(parent["id"], "c2")
    await tt.update(c1["id"], status="complete")
    await tt.call("delete_task", {"id": c2["id"]})
    assert (await tt.get(parent["id"]))["status"] == "complete"


async def test_propagation_after_child_reparented(tt):
    old = await tt.create("Old parent", PRODUCT)
    new = await tt.create("New parent", PRODUCT)
    done = await tt.sub(old["id"], "done")
    moving = await tt.sub(old["id"], "moving")
    await tt.update(done["id"], status="complete")
    await tt.update(moving["id"], status="working")
    assert (await tt.get(old["id"]))["status"] == "working"
    await tt.call("move_subtask", {"subtask_id": moving["id"], "new_parent_id": new["id"]})
    assert (await tt.get(old["id"]))["status"] == "complete"
    assert (await tt.get(new["id"]))["status"] == "working"


async def test_propagation_after_move_task_resets_child_to_idle(tt):
    parent = await tt.create("Parent", PRODUCT)
    child = await tt.sub(parent["id"], "child", assigned_to=CODER)
    await tt.call("signup_for_task", {"agent_name": CODER})
    assert (await tt.get(parent["id"]))["status"] == "working"
    await tt.call("move_task", {"task_id": child["id"], "current_agent": CODER, "new_agent": REVIEWER,
                                "comment": "review please"})
    assert (await tt.get(parent["id"]))["status"] == "idle"


# ---------------------------------------------------------------------------------------------------- archive


async def test_archive_hides_task_from_default_listings(tt):
    task = await tt.create("Old", PRODUCT, assigned_to=CODER, queue_name="dev")
    keep = await tt.create("Keep", PRODUCT, assigned_to=CODER, queue_name="dev")
    archived = await tt.call("archive_task", {"id": task["id"]})
    assert_task(archived, id=task["id"])
    assert archived["archived_at"] is not None
    assert ids(await tt.list()) == [keep["id"]]
    assert sorted(ids(await tt.list(include_archived=True))) == sorted([task["id"], keep["id"]])
    assert ids((await tt.call("get_my_queue", {"agent_name": CODER}))["tasks"]) == [keep["id"]]
    assert (await tt.get(task["id"]))["archived_at"] == archived["archived_at"]


# ---------------------------------------------------------------------------------------------------- list filters


@pytest.fixture
async def board(tt):
    """Six tasks; non-archived order (priority DESC): beta(5) gamma(3) zeta(2) alpha(1) delta(0); epsilon archived."""
    alpha = await tt.create("Alpha", PRODUCT, assigned_to="alice", queue_name="dev", priority=1)
    beta = await tt.create("Beta", PRODUCT, assigned_to="bob", queue_name="dev", priority=5)
    gamma = await tt.create("Gamma", PRODUCT, assigned_to="alice", queue_name="qa", priority=3)
    delta = await tt.sub(alpha["id"], "Delta", ARCHITECT, assigned_to="alice", priority=0)
    epsilon = await tt.create("Epsilon", PRODUCT, assigned_to="alice", queue_name="dev", priority=4)
    zeta = await tt.create("Zeta", PRODUCT, priority=2)
    await tt.update(beta["id"], status="working")
    await tt.update(gamma["id"], status="complete")
    await tt.call("archive_task", {"id": epsilon["id"]})
    return {t["title"].lower(): t["id"] for t in (alpha, beta, gamma, delta, epsilon, zeta)}


async def test_list_tasks_default_excludes_archived_in_priority_order(tt, board):
    b = board
    tasks = await tt.list()
    for t in tasks:
        assert_task(t)
    assert ids(tasks) == [b["beta"], b["gamma"], b["zeta"], b["alpha"], b["delta"]]


async def test_list_tasks_status_single_value(tt, board):
    assert ids(await tt.list(status="idle")) == [board["zeta"], board["alpha"], board["delta"]]


async def test_list_tasks_status_array(tt, board):
    assert ids(await tt.list(status=["working", "complete"])) == [board["beta"], board["gamma"]]


async def test_list_tasks_exclude_status(tt, board):
    b = board
    assert ids(await tt.list(exclude_status=["complete"])) == [b["beta"], b["zeta"], b["alpha"], b["delta"]]
    assert ids(await tt.list(exclude_status=["idle", "working"])) == [b["gamma"]]


async def test_list_tasks_exclude_subtasks(tt, board):
    b = board
    assert ids(await tt.list(exclude_subtasks=True)) == [b["beta"], b["gamma"], b["zeta"], b["alpha"]]


async def test_list_tasks_parent_task_id_null_means_top_level_only(tt, board):
    b = board
    assert ids(await tt.list(parent_task_id=None)) == [b["beta"], b["gamma"], b["zeta"], b["alpha"]]


async def test_list_tasks_parent_task_id_filters_children(tt, board):
    assert ids(await tt.list(parent_task_id=board["alpha"])) == [board["delta"]]


async def test_list_tasks_include_archived(tt, board):
    b = board
    tasks = await tt.list(include_archived=True)
    assert ids(tasks) == [b["beta"], b["epsilon"], b["gamma"], b["zeta"], b["alpha"], b["delta"]]
    archived = [t for t in tasks if t["id"] == b["epsilon"]][0]
    assert archived["archived_at"] is not None


async def test_list_tasks_limit_without_offset(tt, board):
    assert ids(await tt.list(limit=2)) == [board["beta"], board["gamma"]]


async def test_list_tasks_offset_without_limit(tt, board):
    assert ids(await tt.list(offset=3)) == [board["alpha"], board["delta"]]


async def test_list_tasks_limit_and_offset(tt, board):
    assert ids(await tt.list(limit=2, offset=1)) == [board["gamma"], board["zeta"]]


async def test_list_tasks_queue_name(tt, board):
    assert ids(await tt.list(queue_name="dev")) == [board["beta"], board["alpha"], board["delta"]]
    assert ids(await tt.list(queue_name="qa")) == [board["gamma"]]
    assert await tt.list(queue_name="nope") == []


async def test_list_tasks_assigned_to(tt, board):
    assert ids(await tt.list(assigned_to="alice")) == [board["gamma"], board["alpha"], board["delta"]]


async def test_list_tasks_combined_filters(tt, board):
    assert ids(await tt.list(queue_name="dev", assigned_to="alice", status="idle")) == [board["alpha"],
                                                                                        board["delta"]]


async def test_equal_priority_tasks_are_listed_oldest_first(tt):
    created = [(await tt.create(f"same {i}", PRODUCT, priority=1, assigned_to=CODER))["id"] for i in range(4)]
    top = (await tt.create("urgent", PRODUCT, priority=2, assigned_to=CODER))["id"]
    assert ids(await tt.list()) == [top] + created
    assert ids((await tt.call("get_my_queue", {"agent_name": CODER}))["tasks"]) == [top] + created


async def test_list_tasks_has_no_default_limit(tt):
    for i in range(105):
        await tt.create(f"t{i}", PRODUCT)
    assert len(await tt.list()) == 105


# ---------------------------------------------------------------------------------------------------- history


async def test_get_task_history_records_status_and_assignee_changes_with_changed_by(tt):
    task = await tt.create("Tracked", PRODUCT)
    await tt.update(task["id"], status="working", changed_by="alice")
    await tt.update(task["id"], assigned_to="bob", changed_by="carol")
    full = await tt.get(task["id"])
    history = full["history"]
    for h in history:
        assert_history(h, task_id=task["id"])
    find_history(history, "status", old_value="idle", new_value="working", changed_by="alice")
    find_history(history, "assigned_to", old_value=None, new_value="bob", changed_by="carol")
    status_idx = [h["field_name"] for h in history].index("status")
    assignee_idx = [h["field_name"] for h in history].index("assigned_to")
    assert status_idx < assignee_idx  # oldest first


async def test_history_without_changed_by_has_null_changed_by(tt):
    task = await tt.create("Tracked", PRODUCT)
    await tt.update(task["id"], priority=7)
    h = find_history((await tt.get(task["id"]))["history"], "priority")
    assert h["changed_by"] is None


async def test_history_records_every_tracked_field(tt):
    parent = await tt.create("Parent", PRODUCT)
    blocker = await tt.create("Blocker", PRODUCT)
    task = await tt.create("Tracked", PRODUCT)
    await tt.update(task["id"], title="Tracked v2", queue_name="dev", parent_task_id=parent["id"],
                    blocked_by_task_id=blocker["id"], priority=3, assigned_to="alice", status="working",
                    changed_by="architect")
    history = (await tt.call("get_task_history", {"task_id": task["id"]}))["history"]
    fields = {h["field_name"] for h in history if h["changed_by"] == "architect"}
    assert {"title", "queue_name", "parent_task_id", "blocked_by_task_id", "priority", "assigned_to",
            "status"} <= fields
    find_history(history, "title", old_value="Tracked", new_value="Tracked v2")


async def test_update_without_change_adds_no_history(tt):
    task = await tt.create("Tracked", PRODUCT)
    await tt.update(task["id"], status="working", changed_by="alice")
    before = (await tt.call("get_task_history", {"task_id": task["id"]}))["count"]
    await tt.update(task["id"], status="working", changed_by="alice")
    after = (await tt.call("get_task_history", {"task_id": task["id"]}))["count"]
    assert after == before


async def test_get_task_history_matches_get_task_history_field(tt):
    task = await tt.create("Tracked", PRODUCT)
    await tt.update(task["id"], status="working", changed_by="alice")
    await tt.update(task["id"], status="complete", changed_by="bob")
    res = await tt.call("get_task_history", {"task_id": task["id"]})
    assert list(res.keys()) == ["task_id", "count", "history"]
    assert res["task_id"] == task["id"] and res["count"] == len(res["history"]) >= 2
    assert res["history"] == (await tt.get(task["id"]))["history"]
    statuses = [(h["old_value"], h["new_value"], h["changed_by"]) for h in res["history"]
                if h["field_name"] == "status"]
    assert statuses == [("idle", "working", "alice"), ("working", "complete", "bob")]
