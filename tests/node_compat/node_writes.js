'use strict';
// Plays the Node TinyTask 2.x server against a database that TinyTask migrated (search triggers and FTS5
// indexes in place): opens it with better-sqlite3 and the 2.x pragmas, runs the 2.x schema loader, then
// the 2.x writes (statements shaped as ../shared/docs/tinytask-2x-reference.md §1 and §5 describe them) and
// prints what it did as one JSON line. Driven by tests/python/test_node_compat.py, which then searches
// through TinyTask for what this wrote.
//
//   node node_writes.js <database> <2.x schema.sql> <id of a task TinyTask created>

const fs = require('fs');
const Database = require('better-sqlite3');

const [dbPath, schemaPath, tinytaskTaskArg] = process.argv.slice(2);
const tinytaskTask = Number(tinytaskTaskArg);

const db = new Database(dbPath);
// The 2.x connection settings (reference §5.3).
db.pragma('journal_mode = WAL');
db.pragma('foreign_keys = ON');
db.pragma('synchronous = NORMAL');
db.pragma('busy_timeout = 30000');
db.pragma('wal_autocheckpoint = 1000');

// The 2.x loader at every start (§5.1): strip `--` lines, split on `;`, run each statement.
const schema = fs
  .readFileSync(schemaPath, 'utf8')
  .split('\n')
  .filter((line) => !line.trim().startsWith('--'))
  .join('\n');
for (const statement of schema.split(';').map((s) => s.trim()).filter(Boolean)) {
  db.exec(statement);
}

const insertTask = db.prepare(
  `INSERT INTO tasks (title, description, status, assigned_to, created_by, priority, tags, parent_task_id,
                      queue_name, blocked_by_task_id)
   VALUES (?, ?, 'idle', ?, ?, ?, ?, ?, ?, ?)`,
);
const addComment = db.prepare('INSERT INTO comments (task_id, content, created_by) VALUES (?, ?, ?)');

const createTask = (title, description, tags, parentId = null, queue = 'node') =>
  Number(
    insertTask.run(title, description, 'node-agent', 'node', 1, JSON.stringify(tags), parentId, queue, null)
      .lastInsertRowid,
  );

const out = { sqlite_version: db.prepare('SELECT sqlite_version() AS v').get().v };

// create_task, create_subtask, add_comment.
out.kept = createTask('Walrus migration plan', 'Move the colony north', ['arctic', 'planning']);
out.parent = createTask('Narwhal survey', 'Count the pod', ['ocean']);
out.child = createTask('Narwhal tusk photos', null, [], out.parent);
out.child_comment = Number(addComment.run(out.child, 'Photos of the narwhal tusks uploaded', 'node-agent').lastInsertRowid);
out.kept_comment = Number(addComment.run(out.kept, 'Icebreaker booked for walrus transport', 'node-agent').lastInsertRowid);
out.edited_comment = Number(addComment.run(out.kept, 'Penguin sighting noted', 'node-agent').lastInsertRowid);
out.deleted_comment = Number(addComment.run(out.kept, 'Seal ignore this comment', 'node-agent').lastInsertRowid);

// update_task: a dynamic UPDATE of the given fields, always bumping updated_at (§1).
db.prepare('UPDATE tasks SET title = ?, tags = ?, updated_at = CURRENT_TIMESTAMP WHERE id = ?').run(
  'Walrus relocation plan',
  JSON.stringify(['arctic', 'logistics']),
  out.kept,
);
db.prepare("UPDATE tasks SET status = 'working', updated_at = CURRENT_TIMESTAMP WHERE id = ?").run(out.kept);
// A task TinyTask created, edited by Node.
db.prepare('UPDATE tasks SET description = ?, updated_at = CURRENT_TIMESTAMP WHERE id = ?').run(
  'Node wrote about an albatross here',
  tinytaskTask,
);

// update_comment, delete_comment.
db.prepare('UPDATE comments SET content = ?, updated_at = CURRENT_TIMESTAMP WHERE id = ?').run(
  'Puffin sighting noted',
  out.edited_comment,
);
db.prepare('DELETE FROM comments WHERE id = ?').run(out.deleted_comment);

// move_task: one transaction, reassign and leave a comment (§1).
db.transaction(() => {
  db.prepare(
    `UPDATE tasks SET assigned_to = ?, previous_assigned_to = ?, status = 'idle', updated_at = CURRENT_TIMESTAMP
     WHERE id = ?`,
  ).run('other-agent', 'node-agent', out.kept);
  out.move_comment = Number(addComment.run(out.kept, 'Handing over the krill budget', 'node-agent').lastInsertRowid);
})();

// archive_task (does not bump updated_at in 2.x).
out.archived = createTask('Orca watch', null, ['ocean']);
db.prepare('UPDATE tasks SET archived_at = CURRENT_TIMESTAMP WHERE id = ?').run(out.archived);

// delete_task: a hard delete; the schema's cascades take the subtask and the comments (§1).
db.prepare('DELETE FROM tasks WHERE id = ?').run(out.parent);
out.left_after_delete = db
  .prepare('SELECT COUNT(*) AS n FROM tasks WHERE id IN (?, ?)')
  .get(out.parent, out.child).n;

// Node itself can query the indexes and check them (FTS5 is compiled into better-sqlite3's SQLite).
db.exec("INSERT INTO tasks_fts (tasks_fts) VALUES ('integrity-check')");
db.exec("INSERT INTO comments_fts (comments_fts) VALUES ('integrity-check')");
out.node_match = db
  .prepare("SELECT rowid AS id FROM tasks_fts WHERE tasks_fts MATCH '\"relocation\"'")
  .all()
  .map((r) => r.id);
// And reads what TinyTask wrote.
out.tinytask_title = db.prepare('SELECT title FROM tasks WHERE id = ?').get(tinytaskTask).title;

db.close();
process.stdout.write(`${JSON.stringify(out)}\n`);
