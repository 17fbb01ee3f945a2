//! The PostgreSQL side of search: the same questions as `sqlite.rs`, answered by PostgreSQL's text search —
//! the generated `search_doc` tsvector columns of `tasks` (title weight A, tags B, description D) and
//! `comments`, each with a GIN index (migrations_postgres/). The `simple` configuration lowercases and
//! does not stem, like FTS5's unicode61 tokenizer; scores are `ts_rank` (higher = better), weighted like
//! the SQLite side's BM25 columns (title 4, tags 2, description 1) and normalised by document length.

use super::{
    CommentHit, CommentRef, FieldMatch, Scope, TaskHit, any_of_with, json_ids, restricted,
};
use crate::domain::Conn;
use crate::domain::MultiBackend;
use crate::domain::search::query::Term;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Nullable, Text};
use std::collections::HashMap;
use std::fmt::Write;

/// ts_rank's weights, in its {D, C, B, A} order: description 1, (unused), tags 2, title 4 — scaled into
/// 0..1 as ts_rank wants them.
const WEIGHTS: &str = "'{0.25, 0, 0.5, 1}'";

/// ts_headline: a window of 12 to 24 words, each term between two private-use characters (never in
/// TinyTask's own text, see [`marked`]), turned into `[` and `]` once the cuts are known.
const HEADLINE: &str = "'StartSel=\"\u{E000}\", StopSel=\"\u{E001}\", MaxWords=24, MinWords=12, ShortWord=0, HighlightAll=false'";
const START: char = '\u{E000}';
const STOP: char = '\u{E001}';

/// A headline of `text` as FTS5 writes snippets: terms between `[` and `]`, and `…` where text was cut
/// before or after it.
fn marked(headline: &str, text: &str) -> String {
    let plain: String = headline
        .chars()
        .filter(|c| *c != START && *c != STOP)
        .collect();
    let (plain, text) = (plain.trim(), text.trim());
    let body = headline.trim().replace(START, "[").replace(STOP, "]");
    let before = if text.starts_with(plain) { "" } else { "…" };
    let after = if text.ends_with(plain) { "" } else { "…" };
    format!("{before}{body}{after}")
}

/// The ids of a restriction, as the JSON array [`json_ids`] binds.
const ONLY: &str = "SELECT value::integer FROM json_array_elements_text($2::json)";

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = Integer)]
    id: i32,
}

pub fn task_ids(conn: &mut Conn, term: &Term) -> QueryResult<Vec<i32>> {
    let rows: Vec<Id> =
        diesel::sql_query("SELECT id FROM tasks WHERE search_doc @@ to_tsquery('simple', $1)")
            .bind::<Text, _>(term.tsquery())
            .load(conn)?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

pub fn comment_ids(conn: &mut Conn, term: &Term) -> QueryResult<Vec<CommentRef>> {
    diesel::sql_query(
        "SELECT id AS comment_id, task_id FROM comments WHERE search_doc @@ to_tsquery('simple', $1)",
    )
    .bind::<Text, _>(term.tsquery())
    .load(conn)
}

pub fn task_scores(
    conn: &mut Conn,
    term: &Term,
    only: Option<&[i32]>,
) -> QueryResult<Vec<TaskHit>> {
    let sql = format!(
        "SELECT id AS task_id, ts_rank({WEIGHTS}, search_doc, q, 1)::float8 AS score \
         FROM tasks, to_tsquery('simple', $1) q WHERE search_doc @@ q"
    );
    restricted(&sql, &format!(" AND id IN ({ONLY})"), term.tsquery(), only).load(conn)
}

pub fn comment_scores(
    conn: &mut Conn,
    term: &Term,
    only: Option<&[i32]>,
) -> QueryResult<Vec<CommentHit>> {
    let sql = "SELECT id AS comment_id, task_id, ts_rank(search_doc, q, 1)::float8 AS score \
               FROM comments, to_tsquery('simple', $1) q WHERE search_doc @@ q";
    restricted(sql, &format!(" AND id IN ({ONLY})"), term.tsquery(), only).load(conn)
}

pub fn in_scope(conn: &mut Conn, task_ids: &[i32], scope: &Scope<'_>) -> QueryResult<Vec<i32>> {
    let mut sql = String::from(
        "SELECT id FROM tasks WHERE id IN (SELECT value::integer FROM json_array_elements_text($1::json))",
    );
    let mut n = 1;
    let mut next = || {
        n += 1;
        format!("${n}")
    };
    if !scope.include_archived {
        sql.push_str(" AND archived_at IS NULL");
    }
    if !scope.statuses.is_empty() {
        let each: Vec<String> = scope
            .statuses
            .iter()
            .map(|_| format!("status = {}", next()))
            .collect();
        let _ = write!(sql, " AND ({})", each.join(" OR "));
    }
    if scope.queue_name.is_some() {
        let _ = write!(sql, " AND queue_name = {}", next());
    }
    if scope.assigned_to.is_some() {
        let _ = write!(sql, " AND assigned_to = {}", next());
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
    Ok(query.load::<Id>(conn)?.into_iter().map(|r| r.id).collect())
}

#[derive(QueryableByName)]
struct Fields {
    #[diesel(sql_type = Text)]
    title_text: String,
    #[diesel(sql_type = Nullable<Text>)]
    description_text: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    tags_text: Option<String>,
    #[diesel(sql_type = Integer)]
    task_id: i32,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    in_title: bool,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    in_description: bool,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    in_tags: bool,
    #[diesel(sql_type = Nullable<Text>)]
    title: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    description: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    tags: Option<String>,
}

/// The snippet of the column with the most marked terms (ties: title, description, tags) — FTS5's choice
/// for `snippet(…, -1, …)`.
fn best_snippet(f: &Fields) -> Option<String> {
    let marks = |s: &Option<String>| s.as_deref().map_or(0, |s| s.matches(START).count());
    [
        (f.in_title, &f.title, Some(f.title_text.as_str())),
        (
            f.in_description,
            &f.description,
            f.description_text.as_deref(),
        ),
        (f.in_tags, &f.tags, f.tags_text.as_deref()),
    ]
    .into_iter()
    .filter(|(matched, _, _)| *matched)
    // min_by_key keeps the first of equal keys: the most marks, ties in column order.
    .min_by_key(|(_, s, _)| std::cmp::Reverse(marks(s)))
    .and_then(|(_, s, text)| Some(marked(s.as_deref()?, text?)))
}

pub fn field_matches(
    conn: &mut Conn,
    terms: &[Term],
    task_ids: &[i32],
) -> QueryResult<HashMap<i32, FieldMatch>> {
    if task_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = format!(
        "SELECT id AS task_id, \
         title AS title_text, description AS description_text, tinytask_tag_words(tags) AS tags_text, \
         to_tsvector('simple', tinytask_words(title)) @@ q AS in_title, \
         to_tsvector('simple', tinytask_words(description)) @@ q AS in_description, \
         to_tsvector('simple', tinytask_words(tinytask_tag_words(tags))) @@ q AS in_tags, \
         ts_headline('simple', title, q, {HEADLINE}) AS title, \
         ts_headline('simple', description, q, {HEADLINE}) AS description, \
         ts_headline('simple', tinytask_tag_words(tags), q, {HEADLINE}) AS tags \
         FROM tasks, to_tsquery('simple', $1) q WHERE search_doc @@ q AND id IN ({ONLY})"
    );
    let rows: Vec<Fields> = diesel::sql_query(sql)
        .bind::<Text, _>(any_of_with(terms, Term::tsquery, " | "))
        .bind::<Text, _>(json_ids(task_ids))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|f| {
            let m = FieldMatch {
                task_id: f.task_id,
                in_title: f.in_title,
                in_description: f.in_description,
                in_tags: f.in_tags,
                snippet: best_snippet(&f),
            };
            (m.task_id, m)
        })
        .collect())
}

pub fn comment_snippets(
    conn: &mut Conn,
    terms: &[Term],
    comment_ids: &[i32],
) -> QueryResult<HashMap<i32, String>> {
    #[derive(QueryableByName)]
    struct Snippet {
        #[diesel(sql_type = Integer)]
        id: i32,
        #[diesel(sql_type = Text)]
        content: String,
        #[diesel(sql_type = Nullable<Text>)]
        text: Option<String>,
    }
    if comment_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = format!(
        "SELECT id, content, ts_headline('simple', content, q, {HEADLINE}) AS text \
         FROM comments, to_tsquery('simple', $1) q WHERE search_doc @@ q AND id IN ({ONLY})"
    );
    Ok(diesel::sql_query(sql)
        .bind::<Text, _>(any_of_with(terms, Term::tsquery, " | "))
        .bind::<Text, _>(json_ids(comment_ids))
        .load::<Snippet>(conn)?
        .into_iter()
        .filter_map(|s| Some((s.id, marked(&s.text?, &s.content))))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::{START, STOP, marked};

    #[test]
    fn cuts_are_marked_where_the_headline_leaves_text_out() {
        let h = format!("the {START}login{STOP} page");
        assert_eq!(marked(&h, "Fix the login page"), "…the [login] page");
        assert_eq!(marked(&h, "the login page, twice"), "the [login] page…");
        assert_eq!(marked(&h, "the login page"), "the [login] page");
    }
}
