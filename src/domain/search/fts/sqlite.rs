//! The SQLite side of search: every statement that reads the FTS5 indexes (`tasks_fts`, `comments_fts`,
//! created and kept in sync by migrations/2026-12-01-000100_search).

use super::{
    CommentHit, CommentRef, FieldMatch, Scope, TaskHit, any_of_with, json_ids, restricted,
};
use crate::domain::Conn;
use crate::domain::MultiBackend;
use crate::domain::search::query::Term;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Nullable, Text};
use std::collections::HashMap;

/// BM25 weights of title, description and tags: a word in the title says more about the task than the
/// same word in a long description; tags are chosen labels, in between.
const FIELD_WEIGHTS: &str = "4.0, 1.0, 2.0";

/// Longest snippet context, in tokens (FTS5 `snippet()`'s last argument).
const SNIPPET_TOKENS: u8 = 12;

// Measured on the 10,000-task bench board (docs/benchmarks.md "Search (issue 11)"), which shaped these
// statements:
// * a task-table lookup per index hit (a join, even a CROSS JOIN that keeps the index outer) cost more than
//   the match itself (38 ms instead of 14 ms for a word in every task), so the index statements never
//   join: the filters apply afterwards, to the ranked tasks only, as many as the page needs ([`in_scope`]);
// * `rowid IN (…)` next to MATCH is handed to FTS5, which then runs the match once per listed rowid
//   (0.4 ms each for a word in 10,000 rows: 415 ms for 1,000 rowids). Written `+rowid IN (…)` it is an
//   ordinary filter on one pass over the matches (4 ms), and the auxiliary functions (bm25, snippet) run
//   only for the rows that pass it;
// * the matched columns and the snippet of a page come from one pass ([`field_matches`]), not one pass per
//   column filter;
// * bm25 costs about 1.2 µs a row while a rowid alone costs 0.2 µs, so the ids of each term are read first
//   ([`task_ids`], [`comment_ids`]) and only the tasks holding every term are scored.
// Id lists are bound as one JSON array (`json_each`): no SQL text grows with the number of ids.

/// The ids of the tasks whose title, description or tags hold `term`.
pub fn task_ids(conn: &mut Conn, term: &Term) -> QueryResult<Vec<i32>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Integer)]
        id: i32,
    }
    let rows: Vec<Row> =
        diesel::sql_query("SELECT rowid AS id FROM tasks_fts WHERE tasks_fts MATCH ?")
            .bind::<Text, _>(term.fts5())
            .load(conn)?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// The comments holding `term`, with their tasks.
pub fn comment_ids(conn: &mut Conn, term: &Term) -> QueryResult<Vec<CommentRef>> {
    diesel::sql_query(
        "SELECT rowid AS comment_id, task_id FROM comments_fts WHERE comments_fts MATCH ?",
    )
    .bind::<Text, _>(term.fts5())
    .load(conn)
}

/// The BM25 score (`-bm25`, higher = better) of `term` in the fields of each task, for the tasks `only`
/// (all tasks holding the term when `None`).
pub fn task_scores(
    conn: &mut Conn,
    term: &Term,
    only: Option<&[i32]>,
) -> QueryResult<Vec<TaskHit>> {
    let sql = format!(
        "SELECT rowid AS task_id, -bm25(tasks_fts, {FIELD_WEIGHTS}) AS score FROM tasks_fts \
         WHERE tasks_fts MATCH ?"
    );
    restricted(&sql, ONLY, term.fts5(), only).load(conn)
}

/// `+rowid IN (…)`, not `rowid IN (…)`: see the measurements above.
const ONLY: &str = " AND +rowid IN (SELECT value FROM json_each(?))";

/// The BM25 score of `term` in each comment holding it, for the comments `only` (all when `None`).
pub fn comment_scores(
    conn: &mut Conn,
    term: &Term,
    only: Option<&[i32]>,
) -> QueryResult<Vec<CommentHit>> {
    let sql = "SELECT rowid AS comment_id, task_id, -bm25(comments_fts) AS score FROM comments_fts \
               WHERE comments_fts MATCH ?";
    restricted(sql, ONLY, term.fts5(), only).load(conn)
}

/// Those of `task_ids` that exist and pass `scope`'s filters (in no particular order).
pub fn in_scope(conn: &mut Conn, task_ids: &[i32], scope: &Scope<'_>) -> QueryResult<Vec<i32>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Integer)]
        id: i32,
    }
    let mut sql = String::from("SELECT id FROM tasks WHERE id IN (SELECT value FROM json_each(?))");
    if !scope.include_archived {
        sql.push_str(" AND archived_at IS NULL");
    }
    if !scope.statuses.is_empty() {
        sql.push_str(" AND (");
        sql.push_str(&vec!["status = ?"; scope.statuses.len()].join(" OR "));
        sql.push(')');
    }
    if scope.queue_name.is_some() {
        sql.push_str(" AND queue_name = ?");
    }
    if scope.assigned_to.is_some() {
        sql.push_str(" AND assigned_to = ?");
    }
    let mut query = diesel::sql_query(sql)
        .into_boxed::<MultiBackend>()
        .bind::<Text, _>(json_ids(task_ids));
    for status in scope.statuses {
        query = query.bind::<Text, _>(status.as_str());
    }
    if let Some(queue) = scope.queue_name {
        query = query.bind::<Text, _>(queue);
    }
    if let Some(agent) = scope.assigned_to {
        query = query.bind::<Text, _>(agent);
    }
    Ok(query.load::<Row>(conn)?.into_iter().map(|r| r.id).collect())
}

/// For those of `task_ids` whose fields hold any of the terms: which fields, and a snippet (FTS5 picks the
/// column with the most matches, column -1). Tasks matched only through comments are absent. One pass: a
/// column holds a term exactly when `highlight()` (which inserts a marker before each one) changes it.
pub fn field_matches(
    conn: &mut Conn,
    terms: &[Term],
    task_ids: &[i32],
) -> QueryResult<HashMap<i32, FieldMatch>> {
    if task_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = format!(
        "SELECT rowid AS task_id, \
         highlight(tasks_fts, 0, '[', '') IS NOT title AS in_title, \
         highlight(tasks_fts, 1, '[', '') IS NOT description AS in_description, \
         highlight(tasks_fts, 2, '[', '') IS NOT tags AS in_tags, \
         snippet(tasks_fts, -1, '[', ']', '…', {SNIPPET_TOKENS}) AS snippet \
         FROM tasks_fts WHERE tasks_fts MATCH ? AND +rowid IN (SELECT value FROM json_each(?))"
    );
    Ok(diesel::sql_query(sql)
        .bind::<Text, _>(any_of_with(terms, Term::fts5, " OR "))
        .bind::<Text, _>(json_ids(task_ids))
        .load::<FieldMatch>(conn)?
        .into_iter()
        .map(|m| (m.task_id, m))
        .collect())
}

#[derive(QueryableByName)]
struct Snippet {
    #[diesel(sql_type = Integer)]
    id: i32,
    /// Null only if the chosen column is (never for a row that matched).
    #[diesel(sql_type = Nullable<Text>)]
    text: Option<String>,
}

/// Snippets (terms between `[` and `]`, cut context marked `…`) of the comments `comment_ids`, keyed by
/// comment id.
pub fn comment_snippets(
    conn: &mut Conn,
    terms: &[Term],
    comment_ids: &[i32],
) -> QueryResult<HashMap<i32, String>> {
    if comment_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = format!(
        "SELECT rowid AS id, snippet(comments_fts, 0, '[', ']', '…', {SNIPPET_TOKENS}) AS text \
         FROM comments_fts WHERE comments_fts MATCH ? AND +rowid IN (SELECT value FROM json_each(?))"
    );
    Ok(diesel::sql_query(sql)
        .bind::<Text, _>(any_of_with(terms, Term::fts5, " OR "))
        .bind::<Text, _>(json_ids(comment_ids))
        .load::<Snippet>(conn)?
        .into_iter()
        .filter_map(|s| Some((s.id, s.text?)))
        .collect())
}
