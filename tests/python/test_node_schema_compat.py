"""The coordination migration is additive: the Node originals (TinyTask 2.x, better-sqlite3) can still open and
write a database TinyTask migrated, and TinyTask reads what they wrote.

Python's sqlite3 plays the 2.x server: the same pragmas (WAL, foreign_keys=ON, synchronous=NORMAL,
busy_timeout=30000), its start-up (tests/fixtures/tinytask-2x-schema.sql executed the way its loader does:
``--`` lines stripped, split on ``;``, tables first, then runMigrations' column checks, then the indexes),
and the statements its services run (../shared/docs/tinytask-2x-reference.md §1.3, §5): insert/update/
archive/delete tasks, signup's status update, comments, links and task_history rows. Every one must
succeed on the migrated file — including deleting tasks that TinyTask's new tables (task_dependencies,
task_leases) point at — and TinyTask must then read the rows (get_task) with the new tables consistent.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import pg_support
from conftest import REPO_ROOT, assert_task_with_relations, find_history, open_tt
from feed_support import events_after

# Node 2.x writing the SQLite file itself: nothing to run on PostgreSQL.
pytestmark = [pytest.mark.anyio, pytest.mark.skipif(bool(pg_support.ADMIN_URL), reason=pg_support.SQLITE_ONLY)]

SCHEMA_2X = REPO_ROOT / "tests" / "fixtures" / "tinytask-2x-schema.sql"
TASK_COLUMNS_2X = ["id", "title", "description", "status", "assigned_to", "previous_assigned_to", "created_by",
                   "priority", "tags", "parent_task_id", "queue_name", "blocked_by_task_id", "created_at",
                   "updated_at", "archived_at"]


def node_open(db: Path) -> sqlite3.Connection:
    """A connection set up like the 2.x DatabaseClient, after its start-up schema and migration pass."""
    con = sqlite3.connect(str(db), timeout=30, isolation_level=None)
    for pragma in ("journal_mode = WAL", "foreign_keys = ON", "synchronous = NORMAL", "busy_timeout = 30000"):
        con.execute(f"PRAGMA {pragma}")
    text = "\n".join(line for line in SCHEMA_2X.read_text().splitlines() if not line.strip().startswith("--"))
    statements = [s.strip() for s in text.split(";") if s.strip()]
    for s in (s for s in statements if not s.upper().startswith("CREATE INDEX")):
        con.execute(s)
    # runMigrations(): each 2.x column must already be there (else it would ALTER or rebuild the table)
    columns = [row[1] for row in con.execute("PRAGMA table_info(tasks)")]
    assert columns[:len(TASK_COLUMNS_2X)] == TASK_COLUMNS_2X, f"tasks columns as 2.x sees them: {columns}"
    for s in (s for s in statements if s.upper().startswith("CREATE INDEX")):
        con.execute(s)
    return con


def node_insert_task(con: sqlite3.Connection, title: str, **kw) -> int:
    cols = ["title", "description", "status", "assigned_to", "created_by", "priority", "tags", "parent_task_id",
            "queue_name", "blocked_by_task_id"]
    values = {"description": None, "status": "idle", "assigned_to": None, "created_by": "node", "priority": 0,
              "tags": "[]", "parent_task_id": None, "queue_name": None, "blocked_by_task_id": None, **kw}
    cur = con.execute(f"INSERT INTO tasks ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                      [title] + [values[c] for c in cols[1:]])
    return cur.lastrowid


@pytest.mark.timeout(60)
async def test_node_2x_statements_work_on_a_migrated_database_and_tinytask_reads_them(tmp_path):
    db = tmp_path / "t.db"
    async with open_tt(tmp_path) as tt:
        dep = await tt.create("dependency", created_by="tt")
        blocker = await tt.create("blocker", created_by="tt")
        t = await tt.create("dependent", created_by="tt", depends_on=[dep["id"]], blocked_by_task_id=blocker["id"])
        claimed = await tt.create("claimed", created_by="tt", assigned_to="agent")
        got = await tt.call("signup_for_task", {"agent_name": "agent", "lease_secs": 600})
        assert got["claimed"] and got["task"]["id"] == claimed["id"] and got["lease"] is not None
        leased_gone = await tt.create("leased then deleted by node", created_by="tt", assigned_to="other")
        assert (await tt.call("signup_for_task", {"agent_name": "other", "lease_secs": 600}))["claimed"]
        await tt.call("add_comment", {"task_id": t["id"], "content": "tt comment", "created_by": "tt"})
        tt_events = await events_after(tt, 0)
        assert tt_events, "TinyTask wrote events"

    # ---- the Node original opens the migrated file and runs its own statements
    con = node_open(db)
    try:
        con.execute("BEGIN")
        n1 = node_insert_task(con, "node task", assigned_to="node-agent", tags='["node"]', queue_name="nq",
                              blocked_by_task_id=dep["id"], priority=4)
        n2 = node_insert_task(con, "node subtask", parent_task_id=n1, queue_name="nq")
        con.execute("UPDATE tasks SET title = ?, priority = ?, updated_at = CURRENT_TIMESTAMP WHERE id = ?",
                    ("dependent (edited by node)", 7, t["id"]))
        con.execute("UPDATE tasks SET assigned_to = ?, previous_assigned_to = ?, updated_at = CURRENT_TIMESTAMP "
                    "WHERE id = ?", ("node-agent", None, t["id"]))
        # signup_for_task (2.x): status only, assigned_to untouched
        con.execute("UPDATE tasks SET status = 'working', updated_at = CURRENT_TIMESTAMP WHERE id = ?", (n1,))
        # completing TinyTask's claimed (leased) task behind its back
        con.execute("UPDATE tasks SET status = 'complete', updated_at = CURRENT_TIMESTAMP WHERE id = ?",
                    (claimed["id"],))
        con.execute("UPDATE tasks SET archived_at = CURRENT_TIMESTAMP WHERE id = ?", (n2,))
        c1 = con.execute("INSERT INTO comments (task_id, content, created_by) VALUES (?, ?, ?)",
                         (t["id"], "node comment", "node")).lastrowid
        c2 = con.execute("INSERT INTO comments (task_id, content, created_by) VALUES (?, ?, ?)",
                         (t["id"], "to delete", "node")).lastrowid
        con.execute("UPDATE comments SET content = ?, updated_at = CURRENT_TIMESTAMP WHERE id = ?",
                    ("node comment (edited)", c1))
        con.execute("DELETE FROM comments WHERE id = ?", (c2,))
        l1 = con.execute("INSERT INTO links (task_id, url, description, created_by) VALUES (?, ?, ?, ?)",
                         (t["id"], "https://example.com/node", None, "node")).lastrowid
        l2 = con.execute("INSERT INTO links (task_id, url, description, created_by) VALUES (?, ?, ?, ?)",
                         (t["id"], "https://example.com/gone", "x", "node")).lastrowid
        con.execute("UPDATE links SET url = ?, description = ? WHERE id = ?",
                    ("https://example.com/node2", "spec", l1))
        con.execute("DELETE FROM links WHERE id = ?", (l2,))
        con.execute("INSERT INTO task_history (task_id, field_name, old_value, new_value, changed_by) "
                    "VALUES (?, ?, ?, ?, ?)", (t["id"], "priority", "0", "7", "node"))
        # hard deletes of rows TinyTask's new tables point at: the dependency (task_dependencies), the blocker
        # (blocked_by_task_id, ON DELETE SET NULL) and a leased task (task_leases)
        con.execute("DELETE FROM tasks WHERE id = ?", (dep["id"],))
        con.execute("DELETE FROM tasks WHERE id = ?", (leased_gone["id"],))
        con.execute("COMMIT")
        # the 2.x reads
        row = con.execute("SELECT * FROM tasks WHERE id = ?", (t["id"],)).fetchone()
        assert row[1] == "dependent (edited by node)"
        listed = con.execute("SELECT id FROM tasks WHERE archived_at IS NULL ORDER BY priority DESC, created_at ASC"
                             ).fetchall()
        assert (n1,) in listed and (n2,) not in listed
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        # the new tables followed the cascades
        assert con.execute("SELECT count(*) FROM task_dependencies WHERE depends_on_task_id = ?",
                           (dep["id"],)).fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM task_leases WHERE task_id = ?",
                           (leased_gone["id"],)).fetchone()[0] == 0
        assert con.execute("SELECT blocked_by_task_id FROM tasks WHERE id = ?", (n1,)).fetchone()[0] is None
    finally:
        con.close()

    # ---- TinyTask reads what the Node original wrote
    async with open_tt(tmp_path) as tt:
        full = assert_task_with_relations(await tt.get(t["id"]), title="dependent (edited by node)", priority=7,
                                          assigned_to="node-agent", blocked_by_task_id=blocker["id"],
                                          is_currently_blocked=True)
        assert [d["id"] for d in full["depends_on"]] == [blocker["id"]], "the deleted dependency is gone"
        assert [c["content"] for c in full["comments"]] == ["tt comment", "node comment (edited)"]
        assert [(link["id"], link["url"], link["description"]) for link in full["links"]] == [
            (l1, "https://example.com/node2", "spec")]
        find_history(full["history"], "priority", old_value="0", new_value="7", changed_by="node")
        node_task = assert_task_with_relations(await tt.get(n1), title="node task", status="working",
                                               tags=["node"], queue_name="nq", blocked_by_task_id=None,
                                               is_currently_blocked=False)
        assert [s["id"] for s in (await tt.call("get_subtasks", {"parent_task_id": n1, "include_archived": True}))
                ["subtasks"]] == [n2]
        assert node_task["depends_on"] == []
        assert (await tt.get(n2))["archived_at"] is not None
        done = await tt.get(claimed["id"])
        assert done["status"] == "complete" and done["lease"] is None, done
        assert "not found" in (await tt.err("get_task", {"id": dep["id"]})).lower()
        # TinyTask's graph rules see the Node rows: a cycle through a Node-written edge is rejected
        con2 = node_open(db)
        try:
            nb = node_insert_task(con2, "node blocked", blocked_by_task_id=n1)
        finally:
            con2.close()
        text = await tt.err("add_dependency", {"task_id": n1, "depends_on_task_id": nb})
        assert "cycle" in text, text
        assert (await tt.get(nb))["is_currently_blocked"] is True  # written while TinyTask runs, read at once
        # and TinyTask's own writes and feed carry on where they were
        before = tt_events[-1]["cursor"]
        await tt.call("add_dependency", {"task_id": nb, "depends_on_task_id": t["id"], "changed_by": "tt"})
        new = await events_after(tt, before)
        assert [(e["kind"], e["task_id"]) for e in new] == [("dependency_added", nb)]
        assert new[0]["cursor"] > before
