//! The SQLite side of search: every statement that reads the FTS5 indexes (`tasks_fts`, `comments_fts`,
//! created and kept in sync by migrations/2026-12-01-000100_search). This file is the one a PostgreSQL
//! backend replaces (tsvector columns or tables with the same four questions: hits of one term with their
//! scores, in task fields and in comments; which fields hold any term; a marked snippet); ranking, merging
//! and views (`super`) only see these functions and plain values.

use super::query::Term;
use crate::domain::TaskStatus;
use diesel::prelude::*;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::sql_types::{Double, Integer, Nullable, Text};
use diesel::sqlite::Sqlite;
use std::collections::HashMap;

/// The task filters of a search, applied in the statement that reads the index (so a filtered search
/// never carries rows it will drop).
pub struct Scope<'a> {
    /// Any of these statuses (empty: any status).
    pub statuses: &'a [TaskStatus],
    pub queue_name: Option<&'a str>,
    pub assigned_to: Option<&'a str>,
    pub include_archived: bool,
}

/// A task whose title, description or tags hold the term; `score` is `-bm25`, higher = better.
#[derive(QueryableByName)]
pub struct TaskHit {
    #[diesel(sql_type = Integer)]
    pub task_id: i32,
    #[diesel(sql_type = Double)]
    pub score: f64,
}

/// A comment holding the term, with its task.
#[derive(QueryableByName)]
pub struct CommentHit {
    #[diesel(sql_type = Integer)]
    pub comment_id: i32,
    #[diesel(sql_type = Integer)]
    pub task_id: i32,
    #[diesel(sql_type = Double)]
    pub score: f64,
}

/// BM25 weights of title, description and tags: a word in the title says more about the task than the
/// same word in a long description; tags are chosen labels, in between.
const FIELD_WEIGHTS: &str = "4.0, 1.0, 2.0";

/// The indexed task columns, in the order of the index (and of `matched`).
pub const COLUMNS: [&str; 3] = ["title", "description", "tags"];

/// Longest snippet context, in tokens (FTS5 `snippet()`'s last argument).
const SNIPPET_TOKENS: u8 = 12;

/// `sql` (ending in `WHERE <index> MATCH ?`, with the task as `t`) restricted to `scope`, with its binds.
fn scoped<'a>(sql: &str, term: &Term, scope: &Scope<'a>) -> BoxedSqlQuery<'a, Sqlite, SqlQuery> {
    let mut sql = sql.to_string();
    if !scope.include_archived {
        sql.push_str(" AND t.archived_at IS NULL");
    }
    if !scope.statuses.is_empty() {
        sql.push_str(" AND (");
        sql.push_str(&vec!["t.status = ?"; scope.statuses.len()].join(" OR "));
        sql.push(')');
    }
    if scope.queue_name.is_some() {
        sql.push_str(" AND t.queue_name = ?");
    }
    if scope.assigned_to.is_some() {
        sql.push_str(" AND t.assigned_to = ?");
    }
    let mut query = diesel::sql_query(sql)
        .into_boxed::<Sqlite>()
        .bind::<Text, _>(term.fts5());
    for status in scope.statuses {
        query = query.bind::<Text, _>(status.as_str());
    }
    if let Some(queue) = scope.queue_name {
        query = query.bind::<Text, _>(queue);
    }
    if let Some(agent) = scope.assigned_to {
        query = query.bind::<Text, _>(agent);
    }
    query
}

// CROSS JOIN keeps the index as the outer loop (SQLite never reorders a CROSS JOIN): otherwise a selective
// filter (one queue, one agent) could make the planner walk that queue's tasks and run the full-text match
// once per task instead of once.

/// Tasks in `scope` whose title, description or tags hold `term`.
pub fn task_hits(
    conn: &mut SqliteConnection,
    term: &Term,
    scope: &Scope<'_>,
) -> QueryResult<Vec<TaskHit>> {
    let sql = format!(
        "SELECT tasks_fts.rowid AS task_id, -bm25(tasks_fts, {FIELD_WEIGHTS}) AS score \
         FROM tasks_fts CROSS JOIN tasks t ON t.id = tasks_fts.rowid WHERE tasks_fts MATCH ?"
    );
    scoped(&sql, term, scope).load(conn)
}

/// Comments holding `term` whose task is in `scope`.
pub fn comment_hits(
    conn: &mut SqliteConnection,
    term: &Term,
    scope: &Scope<'_>,
) -> QueryResult<Vec<CommentHit>> {
    let sql = "SELECT comments_fts.rowid AS comment_id, t.id AS task_id, -bm25(comments_fts) AS score \
               FROM comments_fts CROSS JOIN tasks t ON t.id = comments_fts.task_id \
               WHERE comments_fts MATCH ?";
    scoped(sql, term, scope).load(conn)
}

/// `a OR b OR …`: any of the terms (for marking every term in a snippet, and for `matched`).
fn any_of(terms: &[Term]) -> String {
    terms
        .iter()
        .map(Term::fts5)
        .collect::<Vec<_>>()
        .join(" OR ")
}

/// `1,2,3`: ids for an `IN` list. Integers formatted here, never text from a caller.
fn id_list(ids: &[i32]) -> String {
    ids.iter().map(i32::to_string).collect::<Vec<_>>().join(",")
}

#[derive(QueryableByName)]
struct ColumnHit {
    #[diesel(sql_type = Integer)]
    task_id: i32,
    #[diesel(sql_type = Integer)]
    column: i32,
}

/// For each of `task_ids`, which of [`COLUMNS`] hold at least one of the terms (FTS5 column filters).
pub fn matched_columns(
    conn: &mut SqliteConnection,
    terms: &[Term],
    task_ids: &[i32],
) -> QueryResult<HashMap<i32, [bool; 3]>> {
    let mut matched: HashMap<i32, [bool; 3]> = HashMap::new();
    if task_ids.is_empty() {
        return Ok(matched);
    }
    let ids = id_list(task_ids);
    let sql = COLUMNS
        .iter()
        .enumerate()
        .map(|(i, _)| {
            format!(
                "SELECT rowid AS task_id, {i} AS \"column\" FROM tasks_fts \
                 WHERE tasks_fts MATCH ? AND rowid IN ({ids})"
            )
        })
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    let any = any_of(terms);
    let mut query = diesel::sql_query(sql).into_boxed::<Sqlite>();
    for column in COLUMNS {
        query = query.bind::<Text, _>(format!("{{{column}}} : ({any})"));
    }
    for hit in query.load::<ColumnHit>(conn)? {
        if let Some(flag) = usize::try_from(hit.column)
            .ok()
            .and_then(|c| matched.entry(hit.task_id).or_default().get_mut(c))
        {
            *flag = true;
        }
    }
    Ok(matched)
}

#[derive(QueryableByName)]
struct Snippet {
    #[diesel(sql_type = Integer)]
    id: i32,
    /// Null only if the chosen column is (never for a row that matched).
    #[diesel(sql_type = Nullable<Text>)]
    text: Option<String>,
}

/// Snippets (terms between `[` and `]`, cut context marked `…`) of the rows `ids` of `index`, keyed by
/// rowid. For tasks FTS5 picks the column with the most matches (column -1).
fn snippets(
    conn: &mut SqliteConnection,
    index: &str,
    column: i32,
    terms: &[Term],
    ids: &[i32],
) -> QueryResult<HashMap<i32, String>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = format!(
        "SELECT rowid AS id, snippet({index}, {column}, '[', ']', '…', {SNIPPET_TOKENS}) AS text \
         FROM {index} WHERE {index} MATCH ? AND rowid IN ({})",
        id_list(ids)
    );
    Ok(diesel::sql_query(sql)
        .bind::<Text, _>(any_of(terms))
        .load::<Snippet>(conn)?
        .into_iter()
        .filter_map(|s| Some((s.id, s.text?)))
        .collect())
}

/// Snippets of the tasks `task_ids` from their best-matching field.
pub fn task_snippets(
    conn: &mut SqliteConnection,
    terms: &[Term],
    task_ids: &[i32],
) -> QueryResult<HashMap<i32, String>> {
    snippets(conn, "tasks_fts", -1, terms, task_ids)
}

/// Snippets of the comments `comment_ids`, keyed by comment id.
pub fn comment_snippets(
    conn: &mut SqliteConnection,
    terms: &[Term],
    comment_ids: &[i32],
) -> QueryResult<HashMap<i32, String>> {
    snippets(conn, "comments_fts", 0, terms, comment_ids)
}
