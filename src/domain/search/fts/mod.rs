//! Full-text search statements, one implementation per backend: `sqlite.rs` (FTS5 virtual tables kept in
//! sync by triggers) and `postgres.rs` (generated tsvector columns with GIN indexes). Both answer the same
//! questions — which tasks and comments hold a term, their scores, which tasks pass the filters, which
//! fields hold any term, a marked snippet — so ranking, merging and views (`super`) exist once.

mod postgres;
mod sqlite;

use crate::domain::search::query::Term;
use crate::domain::{Backend, Conn, TaskStatus};
use diesel::QueryResult;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Double, Integer, Nullable, Text};
use std::collections::HashMap;

/// The task filters of a search (applied by [`in_scope`]).
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

/// A comment holding the term, with its task and its score.
#[derive(QueryableByName)]
pub struct CommentHit {
    #[diesel(sql_type = Integer)]
    pub comment_id: i32,
    #[diesel(sql_type = Integer)]
    pub task_id: i32,
    #[diesel(sql_type = Double)]
    pub score: f64,
}

/// A comment holding a term: its id and its task's.
#[derive(QueryableByName)]
pub struct CommentRef {
    #[diesel(sql_type = Integer)]
    pub comment_id: i32,
    #[diesel(sql_type = Integer)]
    pub task_id: i32,
}

/// What a page's task holds: which of its indexed columns (title, description, tags) hold any term, and a
/// snippet from the best of them.
#[derive(QueryableByName)]
pub struct FieldMatch {
    #[diesel(sql_type = Integer)]
    pub task_id: i32,
    #[diesel(sql_type = Bool)]
    in_title: bool,
    #[diesel(sql_type = Bool)]
    in_description: bool,
    #[diesel(sql_type = Bool)]
    in_tags: bool,
    #[diesel(sql_type = Nullable<Text>)]
    pub snippet: Option<String>,
}

impl FieldMatch {
    /// Matched columns: title, description, tags.
    pub fn columns(&self) -> [bool; 3] {
        [self.in_title, self.in_description, self.in_tags]
    }
}

/// `[1,2,3]`, bound for `json_each`.
fn json_ids(ids: &[i32]) -> String {
    serde_json::to_string(ids).unwrap_or_else(|_| "[]".into())
}

/// `sql` (whose term is its first placeholder) for the backend's `term` text, and `filter` (which restricts
/// it to the ids bound second, as one JSON array: no SQL text grows with the number of ids) when `only` is
/// given.
fn restricted<'a>(
    sql: &str,
    filter: &str,
    term: String,
    only: Option<&[i32]>,
) -> diesel::query_builder::BoxedSqlQuery<
    'a,
    crate::domain::MultiBackend,
    diesel::query_builder::SqlQuery,
> {
    let filter = if only.is_some() { filter } else { "" };
    let query = diesel::sql_query(format!("{sql}{filter}"))
        .into_boxed::<crate::domain::MultiBackend>()
        .bind::<Text, _>(term);
    match only {
        Some(ids) => query.bind::<Text, _>(json_ids(ids)),
        None => query,
    }
}

/// Any of the terms (for marking every term in a snippet, and for `matched`), in a backend's syntax.
fn any_of_with(terms: &[Term], one: fn(&Term) -> String, or: &str) -> String {
    terms.iter().map(one).collect::<Vec<_>>().join(or)
}

/// The ids of the tasks whose title, description or tags hold `term`.
pub fn task_ids(conn: &mut Conn, term: &Term) -> QueryResult<Vec<i32>> {
    match conn.backend() {
        Backend::Sqlite => sqlite::task_ids(conn, term),
        Backend::Postgres => postgres::task_ids(conn, term),
    }
}

/// The comments holding `term`, with their tasks.
pub fn comment_ids(conn: &mut Conn, term: &Term) -> QueryResult<Vec<CommentRef>> {
    match conn.backend() {
        Backend::Sqlite => sqlite::comment_ids(conn, term),
        Backend::Postgres => postgres::comment_ids(conn, term),
    }
}

/// The score (higher = better) of `term` in the fields of each task, for the tasks `only` (all tasks
/// holding the term when `None`).
pub fn task_scores(
    conn: &mut Conn,
    term: &Term,
    only: Option<&[i32]>,
) -> QueryResult<Vec<TaskHit>> {
    match conn.backend() {
        Backend::Sqlite => sqlite::task_scores(conn, term, only),
        Backend::Postgres => postgres::task_scores(conn, term, only),
    }
}

/// The score of `term` in each comment holding it, for the comments `only` (all when `None`).
pub fn comment_scores(
    conn: &mut Conn,
    term: &Term,
    only: Option<&[i32]>,
) -> QueryResult<Vec<CommentHit>> {
    match conn.backend() {
        Backend::Sqlite => sqlite::comment_scores(conn, term, only),
        Backend::Postgres => postgres::comment_scores(conn, term, only),
    }
}

/// Those of `task_ids` that exist and pass `scope`'s filters (in no particular order).
pub fn in_scope(conn: &mut Conn, task_ids: &[i32], scope: &Scope<'_>) -> QueryResult<Vec<i32>> {
    match conn.backend() {
        Backend::Sqlite => sqlite::in_scope(conn, task_ids, scope),
        Backend::Postgres => postgres::in_scope(conn, task_ids, scope),
    }
}

/// For those of `task_ids` whose fields hold any of the terms: which fields, and a snippet from the best
/// of them. Tasks matched only through comments are absent.
pub fn field_matches(
    conn: &mut Conn,
    terms: &[Term],
    task_ids: &[i32],
) -> QueryResult<HashMap<i32, FieldMatch>> {
    match conn.backend() {
        Backend::Sqlite => sqlite::field_matches(conn, terms, task_ids),
        Backend::Postgres => postgres::field_matches(conn, terms, task_ids),
    }
}

/// Snippets (terms between `[` and `]`) of the comments `comment_ids`, keyed by comment id.
pub fn comment_snippets(
    conn: &mut Conn,
    terms: &[Term],
    comment_ids: &[i32],
) -> QueryResult<HashMap<i32, String>> {
    match conn.backend() {
        Backend::Sqlite => sqlite::comment_snippets(conn, terms, comment_ids),
        Backend::Postgres => postgres::comment_snippets(conn, terms, comment_ids),
    }
}
