//! Captured rows → events: one event per task, comment, link or dependency a write changed, with the
//! fields that changed (old → new). Pure logic over the rows, so every rule is unit-tested below.

use super::Captured;
use serde_json::{Map, Value, json};

/// An event before it is stored (the cursor and time are the database's).
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub kind: &'static str,
    pub task_id: i32,
    pub actor: Option<String>,
    pub assignee: Option<String>,
    pub prior_assignee: Option<String>,
    pub queue: Option<String>,
    pub prior_queue: Option<String>,
    pub fields: Map<String, Value>,
}

/// What a group of captured rows is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Subject {
    /// The task row and its lease (a claim changes both: one event).
    Task(i32),
    Comment(i32),
    Link(i32),
    /// Each dependency row change is its own event.
    Dependency(i64),
    /// Dependents whose blockers closed or reopened: live push only, no event.
    Touched,
}

fn subject(row: &Captured) -> Subject {
    let id = row.row_id.unwrap_or(row.task_id);
    match row.tbl.as_str() {
        "tasks" | "task_leases" => Subject::Task(row.task_id),
        "comments" => Subject::Comment(id),
        "links" => Subject::Link(id),
        "task_dependencies" => Subject::Dependency(row.seq),
        _ => Subject::Touched,
    }
}

/// The events of one write's captured rows, in the order their subjects were first changed.
pub fn events(rows: &[Captured]) -> Vec<Draft> {
    let moved = comment_move(rows);
    let mut groups: Vec<(Subject, Vec<&Captured>)> = Vec::new();
    for row in rows {
        let s = subject(row);
        let part_of_move = moved.is_some() && row.tbl == "comments";
        if s == Subject::Touched || part_of_move {
            continue;
        }
        match groups.iter_mut().find(|(g, _)| *g == s) {
            Some((_, members)) => members.push(row),
            None => groups.push((s, vec![row])),
        }
    }
    let mut drafts: Vec<Draft> = moved.into_iter().collect();
    for (s, members) in groups {
        match s {
            Subject::Task(_) => {
                if let Some(draft) = task_event(&members) {
                    let edges = blocker_edges(&draft);
                    drafts.push(draft);
                    drafts.extend(edges);
                }
            }
            Subject::Comment(_) => drafts.extend(item_event(&members, "comment")),
            Subject::Link(_) => drafts.extend(item_event(&members, "link")),
            Subject::Dependency(_) => drafts.push(dependency_event(members[0])),
            Subject::Touched => {}
        }
    }
    drafts
}

/// `blocked_by_task_id` counts as a dependency: a change of it is also a `dependency_removed` of the old
/// blocker and a `dependency_added` of the new one, so a follower of dependency events sees every edge.
fn blocker_edges(task: &Draft) -> Vec<Draft> {
    let Some(change) = task.fields.get("blocked_by_task_id") else {
        return Vec::new();
    };
    let edge = |kind: &'static str, old: &Value, new: &Value| {
        let mut fields = Map::new();
        fields.insert("depends_on_task_id".into(), json!({"old": old, "new": new}));
        fields.insert(
            "via".into(),
            json!({"old": null, "new": "blocked_by_task_id"}),
        );
        Draft {
            kind,
            fields,
            ..task.clone()
        }
    };
    let mut out = Vec::new();
    if !change["old"].is_null() && task.kind != "task_created" {
        out.push(edge("dependency_removed", &change["old"], &Value::Null));
    }
    if !change["new"].is_null() && task.kind != "task_deleted" {
        out.push(edge("dependency_added", &Value::Null, &change["new"]));
    }
    out
}

/// move_comment copies the comment to the target task and turns the original into a forwarding note: one
/// `comment_moved` event, from the original (id, task) to the copy, instead of an addition and a change.
fn comment_move(rows: &[Captured]) -> Option<Draft> {
    let is_move =
        |r: &&Captured| r.tbl == "comments" && r.intent.as_deref() == Some("comment_moved");
    let copy = rows.iter().filter(is_move).find(|r| r.op == "insert")?;
    let original = rows.iter().filter(is_move).find(|r| r.op == "update")?;
    let mut fields = Map::new();
    fields.insert(
        "id".into(),
        json!({"old": original.row_id, "new": copy.row_id}),
    );
    fields.insert(
        "task_id".into(),
        json!({"old": original.task_id, "new": copy.task_id}),
    );
    if let Some(content) = parse(copy.new.as_deref()).and_then(|m| m.get("content").cloned()) {
        fields.insert("content".into(), json!({"old": content, "new": content}));
    }
    Some(Draft {
        kind: "comment_moved",
        task_id: copy.task_id,
        actor: copy.actor.clone(),
        assignee: copy.agent.clone(),
        prior_assignee: original
            .agent
            .clone()
            .filter(|a| Some(a) != copy.agent.as_ref()),
        queue: copy.queue.clone(),
        prior_queue: original
            .queue
            .clone()
            .filter(|q| Some(q) != copy.queue.as_ref()),
        fields,
    })
}

fn parse(json: Option<&str>) -> Option<Map<String, Value>> {
    json.and_then(|s| serde_json::from_str(s).ok())
}

/// `field → {old, new}` for every field whose value differs (a missing side counts as null).
fn diff(old: Option<&Map<String, Value>>, new: Option<&Map<String, Value>>) -> Map<String, Value> {
    let empty = Map::new();
    let (old, new) = (old.unwrap_or(&empty), new.unwrap_or(&empty));
    let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
    keys.dedup();
    let mut out = Map::new();
    for key in keys {
        if out.contains_key(key) {
            continue;
        }
        let (o, n) = (
            old.get(key).unwrap_or(&Value::Null),
            new.get(key).unwrap_or(&Value::Null),
        );
        if o != n {
            out.insert(key.clone(), json!({"old": o, "new": n}));
        }
    }
    out
}

/// Tags are stored as JSON array text; events show them as arrays (unparseable text stays text).
fn tags_as_array(map: &mut Map<String, Value>) {
    if let Some(Value::String(s)) = map.get("tags")
        && let Ok(v @ Value::Array(_)) = serde_json::from_str::<Value>(s)
    {
        map.insert("tags".into(), v);
    }
}

/// A lease as events show it: holder and expiry (ISO 8601), never the token.
fn lease_view(map: Option<Map<String, Value>>) -> Value {
    let Some(m) = map else { return Value::Null };
    let expires = m
        .get("expires_at")
        .and_then(Value::as_i64)
        .map(crate::domain::leases::iso_millis);
    json!({"holder": m.get("agent"), "expires_at": expires, "pooled": m.get("pooled").and_then(Value::as_i64) == Some(1)})
}

fn task_event(members: &[&Captured]) -> Option<Draft> {
    let first = members[0];
    let task_rows: Vec<&&Captured> = members.iter().filter(|r| r.tbl == "tasks").collect();
    let lease_rows: Vec<&&Captured> = members.iter().filter(|r| r.tbl == "task_leases").collect();
    let created = task_rows.iter().any(|r| r.op == "insert");
    let deleted = task_rows.iter().any(|r| r.op == "delete");
    let mut old = task_rows.first().and_then(|r| parse(r.old.as_deref()));
    let mut new = task_rows.last().and_then(|r| parse(r.new.as_deref()));
    if let Some(m) = old.as_mut() {
        tags_as_array(m);
    }
    if let Some(m) = new.as_mut() {
        tags_as_array(m);
    }
    let mut fields = diff(old.as_ref(), new.as_ref());
    if !deleted && let (Some(f), Some(l)) = (lease_rows.first(), lease_rows.last()) {
        let (o, n) = (
            lease_view(parse(f.old.as_deref())),
            lease_view(parse(l.new.as_deref())),
        );
        if o != n {
            fields.insert("lease".into(), json!({"old": o, "new": n}));
        }
    }
    let intent = members.iter().find_map(|r| r.intent.as_deref());
    let archived = fields
        .get("archived_at")
        .is_some_and(|c| c["old"].is_null() && !c["new"].is_null());
    let kind = if created {
        "task_created"
    } else if deleted {
        "task_deleted"
    } else if let Some(kind) = intent.and_then(intent_kind) {
        kind
    } else if archived {
        "task_archived"
    } else if task_rows.is_empty() {
        "lease_renewed"
    } else {
        "task_updated"
    };
    if fields.is_empty() && !created && !deleted && intent.is_none() {
        return None; // e.g. only updated_at changed
    }
    let (agent, prior_agent) = endpoints(&task_rows, |r| (&r.agent, &r.prior_agent));
    let (queue, prior_queue) = endpoints(&task_rows, |r| (&r.queue, &r.prior_queue));
    Some(Draft {
        kind,
        task_id: first.task_id,
        actor: first.actor.clone(),
        assignee: agent,
        prior_assignee: prior_agent,
        queue,
        prior_queue,
        fields,
    })
}

/// The value after the write (before it, for a deleted task) and, when it changed, the value before.
fn endpoints<'a>(
    rows: &[&&'a Captured],
    pick: impl Fn(&'a Captured) -> (&'a Option<String>, &'a Option<String>),
) -> (Option<String>, Option<String>) {
    let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
        return (None, None);
    };
    let before = if first.op == "insert" {
        None
    } else {
        pick(first).1.clone()
    };
    let after = if last.op == "delete" {
        before.clone()
    } else {
        pick(last).0.clone()
    };
    let prior = if before != after { before } else { None };
    (after, prior)
}

fn intent_kind(intent: &str) -> Option<&'static str> {
    use super::context::Intent::*;
    [Claimed, Released, LeaseExpired, Moved]
        .into_iter()
        .map(super::context::Intent::kind)
        .find(|k| *k == intent)
}

/// A comment or link event: added, changed, moved (to another task) or deleted.
fn item_event(members: &[&Captured], what: &'static str) -> Option<Draft> {
    let (first, last) = (members[0], members[members.len() - 1]);
    let created = members.iter().any(|r| r.op == "insert");
    let deleted = members.iter().any(|r| r.op == "delete");
    if created && deleted {
        return None; // added and removed within one write: nothing happened
    }
    let old = parse(first.old.as_deref());
    let new = parse(last.new.as_deref());
    let mut fields = diff(old.as_ref(), new.as_ref());
    let moved = fields.contains_key("task_id") && !created && !deleted;
    if !created && !deleted && fields.is_empty() {
        return None;
    }
    let id = first.row_id;
    fields.insert(
        "id".into(),
        json!({"old": if created { None } else { id }, "new": if deleted { None } else { id }}),
    );
    let kind = match (what, created, deleted, moved) {
        ("comment", true, _, _) => "comment_added",
        ("comment", _, true, _) => "comment_deleted",
        ("comment", _, _, true) => "comment_moved",
        ("comment", ..) => "comment_changed",
        (_, true, _, _) => "link_added",
        (_, _, true, _) => "link_deleted",
        (_, _, _, true) => "link_moved",
        _ => "link_changed",
    };
    Some(Draft {
        kind,
        task_id: last.task_id,
        actor: first.actor.clone(),
        assignee: last.agent.clone(),
        prior_assignee: first
            .agent
            .clone()
            .filter(|a| Some(a) != last.agent.as_ref()),
        queue: last.queue.clone(),
        prior_queue: first
            .queue
            .clone()
            .filter(|q| Some(q) != last.queue.as_ref()),
        fields,
    })
}

fn dependency_event(row: &Captured) -> Draft {
    let (kind, old, new) = match row.op.as_str() {
        "insert" => ("dependency_added", Value::Null, json!(row.row_id)),
        _ => ("dependency_removed", json!(row.row_id), Value::Null),
    };
    let mut fields = Map::new();
    fields.insert("depends_on_task_id".into(), json!({"old": old, "new": new}));
    Draft {
        kind,
        task_id: row.task_id,
        actor: row.actor.clone(),
        assignee: row.agent.clone(),
        prior_assignee: None,
        queue: row.queue.clone(),
        prior_queue: None,
        fields,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(seq: i64, tbl: &str, op: &str, task_id: i32) -> Captured {
        Captured {
            seq,
            tbl: tbl.into(),
            op: op.into(),
            task_id,
            row_id: Some(task_id),
            ..Captured::default()
        }
    }

    fn task(seq: i64, op: &str, old: Option<&str>, new: Option<&str>) -> Captured {
        Captured {
            old: old.map(str::to_string),
            new: new.map(str::to_string),
            actor: Some("ann".into()),
            ..row(seq, "tasks", op, 7)
        }
    }

    fn note(
        seq: i64,
        tbl: &str,
        op: &str,
        id: i32,
        old: Option<&str>,
        new: Option<&str>,
    ) -> Captured {
        Captured {
            row_id: Some(id),
            old: old.map(str::to_string),
            new: new.map(str::to_string),
            ..row(seq, tbl, op, 7)
        }
    }

    #[test]
    fn an_update_lists_only_changed_fields_with_tags_as_arrays() {
        let e = events(&[task(
            1,
            "update",
            Some(r#"{"title":"a","priority":1,"tags":"[\"x\"]","status":"idle"}"#),
            Some(r#"{"title":"a","priority":5,"tags":"[\"x\",\"y\"]","status":"idle"}"#),
        )]);
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].kind, "task_updated");
        assert_eq!(e[0].actor.as_deref(), Some("ann"));
        assert_eq!(
            Value::Object(e[0].fields.clone()),
            json!({"priority": {"old": 1, "new": 5}, "tags": {"old": ["x"], "new": ["x", "y"]}})
        );
    }

    #[test]
    fn an_update_that_changes_no_captured_field_is_no_event() {
        let same = Some(r#"{"title":"a"}"#);
        assert!(events(&[task(1, "update", same, same)]).is_empty());
    }

    #[test]
    fn several_rows_of_one_task_make_one_event_from_first_old_to_last_new() {
        let e = events(&[
            task(
                1,
                "update",
                Some(r#"{"status":"idle"}"#),
                Some(r#"{"status":"working"}"#),
            ),
            task(
                2,
                "update",
                Some(r#"{"status":"working"}"#),
                Some(r#"{"status":"complete"}"#),
            ),
        ]);
        assert_eq!(e.len(), 1);
        assert_eq!(
            Value::Object(e[0].fields.clone()),
            json!({"status": {"old": "idle", "new": "complete"}})
        );
    }

    #[test]
    fn archiving_and_intents_name_the_kind() {
        let archived = events(&[task(
            1,
            "update",
            Some(r#"{"archived_at":null}"#),
            Some(r#"{"archived_at":"2026-12-01 00:00:00"}"#),
        )]);
        assert_eq!(archived[0].kind, "task_archived");
        let mut moved = task(
            1,
            "update",
            Some(r#"{"assigned_to":"a"}"#),
            Some(r#"{"assigned_to":"b"}"#),
        );
        moved.intent = Some("task_moved".into());
        moved.agent = Some("b".into());
        moved.prior_agent = Some("a".into());
        let e = events(&[moved]);
        assert_eq!(e[0].kind, "task_moved");
        assert_eq!(
            (e[0].assignee.as_deref(), e[0].prior_assignee.as_deref()),
            (Some("b"), Some("a"))
        );
    }

    #[test]
    fn a_lease_only_change_is_a_renewal_and_never_shows_the_token() {
        let lease = |seq, old: Option<&str>, new: Option<&str>| Captured {
            old: old.map(str::to_string),
            new: new.map(str::to_string),
            ..row(seq, "task_leases", "update", 7)
        };
        let e = events(&[lease(
            1,
            Some(r#"{"agent":"ann","expires_at":1000,"pooled":0}"#),
            Some(r#"{"agent":"ann","expires_at":61000,"pooled":0}"#),
        )]);
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].kind, "lease_renewed");
        let text = Value::Object(e[0].fields.clone()).to_string();
        assert!(!text.contains("token"), "{text}");
        assert_eq!(e[0].fields["lease"]["new"]["holder"], json!("ann"));
        assert_eq!(
            e[0].fields["lease"]["new"]["expires_at"],
            json!("1970-01-01T00:01:01.000Z")
        );
    }

    #[test]
    fn comments_and_links_added_changed_moved_deleted() {
        let kinds = |tbl: &str| -> Vec<&'static str> {
            let added = note(
                1,
                tbl,
                "insert",
                3,
                None,
                Some(r#"{"task_id":7,"content":"a"}"#),
            );
            let changed = note(
                1,
                tbl,
                "update",
                3,
                Some(r#"{"task_id":7,"content":"a"}"#),
                Some(r#"{"task_id":7,"content":"b"}"#),
            );
            let moved = note(
                1,
                tbl,
                "update",
                3,
                Some(r#"{"task_id":7,"content":"a"}"#),
                Some(r#"{"task_id":8,"content":"a"}"#),
            );
            let deleted = note(
                1,
                tbl,
                "delete",
                3,
                Some(r#"{"task_id":7,"content":"a"}"#),
                None,
            );
            [added, changed, moved, deleted]
                .into_iter()
                .map(|r| events(&[r])[0].kind)
                .collect()
        };
        assert_eq!(
            kinds("comments"),
            [
                "comment_added",
                "comment_changed",
                "comment_moved",
                "comment_deleted"
            ]
        );
        assert_eq!(
            kinds("links"),
            ["link_added", "link_changed", "link_moved", "link_deleted"]
        );
    }

    #[test]
    fn an_item_added_and_deleted_in_one_write_is_no_event() {
        let rows = [
            note(1, "comments", "insert", 3, None, Some(r#"{"content":"a"}"#)),
            note(2, "comments", "delete", 3, Some(r#"{"content":"a"}"#), None),
        ];
        assert!(events(&rows).is_empty());
    }

    #[test]
    fn each_dependency_row_is_its_own_event_and_touches_are_none() {
        let dep = |seq, op: &str, on| Captured {
            row_id: Some(on),
            ..row(seq, "task_dependencies", op, 7)
        };
        let e = events(&[
            dep(1, "insert", 2),
            dep(2, "delete", 3),
            row(3, "dependents", "touch", 9),
        ]);
        let got: Vec<_> = e
            .iter()
            .map(|d| (d.kind, Value::Object(d.fields.clone())))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "dependency_added",
                    json!({"depends_on_task_id": {"old": null, "new": 2}})
                ),
                (
                    "dependency_removed",
                    json!({"depends_on_task_id": {"old": 3, "new": null}})
                ),
            ]
        );
    }
}
