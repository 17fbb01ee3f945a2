//! `search_tasks`: full-text search over the tasks' titles, descriptions and tags and over their comments,
//! ranked, with what matched and a marked snippet per task.
//!
//! A task matches when every term of the query (see [`query`]) appears somewhere in it: in one of its
//! fields or in one of its comments (not necessarily the same one). Task fields and comments are two
//! indexes, so a comment write costs the work of that comment only; they are merged here, per task.
//! Its score is the sum over the terms of the term's BM25 score in the task's fields plus its score in the
//! task's best comment for that term (FTS5's own BM25 of an AND query is that same sum over its terms, in
//! one index). Higher is better; equal scores are ordered by task id.
//!
//! The statements against the indexes are in [`fts`] (the SQLite part); this file is backend-neutral.

mod fts;
mod query;

use super::blocking;
use super::input::{self, StatusSet};
use super::limits::{self, Cut, Paged, impl_paged};
use super::rows::TaskRow;
use super::text;
use super::views::Task;
use super::{DomainError, DomainResult};
use crate::db::schema::tasks;
use diesel::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

pub use query::MAX_TERMS;

/// Results per call when `limit` is omitted.
pub const DEFAULT_LIMIT: i64 = 20;
/// Largest `limit`: a search is a question, not an export (list_tasks pages whole boards).
pub const MAX_LIMIT: i64 = 100;
/// Longest snippet, in characters: FTS5 cuts snippets at tokens, and one token may be very long.
const SNIPPET_MAX_CHARS: usize = 300;

/// Arguments of `search_tasks`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchTasks {
    /// Words to find (all of them, in any field or comment of the task; case-insensitive). "a phrase" in
    /// double quotes matches those words in that order; a trailing * matches any word starting with the
    /// given letters (deplo*). Other characters are plain text, never search syntax. At most 32 words or
    /// phrases and TINYTASK_MAX_TITLE_BYTES bytes.
    pub query: String,
    /// Only tasks with this status, or with any of these statuses.
    #[serde(default)]
    #[schemars(with = "Option<StatusSet>")]
    pub status: Option<StatusSet>,
    /// Only tasks in this queue.
    #[serde(default)]
    pub queue_name: Option<String>,
    /// Only tasks assigned to this agent.
    #[serde(default)]
    pub assigned_to: Option<String>,
    /// Include archived tasks (default false).
    #[serde(default)]
    pub include_archived: Option<bool>,
    /// Maximum number of results, 1 to 100 (default 20).
    #[serde(default, deserialize_with = "input::opt_int")]
    #[schemars(with = "Option<i64>")]
    pub limit: Option<i64>,
    /// Number of results to skip (≥ 0), for the next page or after a cut result's next_offset.
    #[serde(default, deserialize_with = "input::opt_int")]
    #[schemars(with = "Option<i64>")]
    pub offset: Option<i64>,
}

/// A part of a task that can hold a search term.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Title,
    Description,
    Tags,
    Comments,
}

const TASK_FIELDS: [Field; 3] = [Field::Title, Field::Description, Field::Tags];

/// One matching task.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct SearchHit {
    /// The task, as get_task returns it (without relations).
    pub task: Task,
    /// Relevance (BM25), higher = better; only comparable within one search.
    pub score: f64,
    /// The parts of the task that hold at least one term, in the order title, description, tags, comments.
    pub matched: Vec<Field>,
    /// A short extract with each term between [ and ] (… where text was cut): from the task's best-matching
    /// field, or from comment_id when only comments matched.
    pub snippet: String,
    /// The comment that matches best, or null when no comment matches.
    pub comment_id: Option<i32>,
}

/// Result of `search_tasks`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SearchResults {
    /// The query as given.
    pub query: String,
    pub count: usize,
    /// Best first; equal scores by task id.
    pub results: Vec<SearchHit>,
    #[serde(flatten)]
    pub cut: Cut,
}

impl_paged!(SearchResults, SearchHit, results, count);

/// What the index reads found for one task.
#[derive(Debug, Default)]
struct Candidate {
    score: f64,
    /// Bit `i`: term `i` appears in the task's fields or comments.
    terms: u64,
}

/// A ranked task.
#[derive(Debug)]
struct Ranked {
    task_id: i32,
    score: f64,
    /// The best-matching comment (highest summed score over the terms; lowest id on ties).
    comment_id: Option<i32>,
}

fn limit(value: Option<i64>) -> DomainResult<usize> {
    match value.unwrap_or(DEFAULT_LIMIT) {
        l @ 1..=MAX_LIMIT => Ok(usize::try_from(l).unwrap_or(1)),
        l => Err(DomainError::invalid(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}, got {l}"),
        )),
    }
}

/// Every task in `scope` holding all `terms`, best first.
fn rank(
    conn: &mut SqliteConnection,
    terms: &[query::Term],
    scope: &fts::Scope<'_>,
) -> DomainResult<Vec<Ranked>> {
    let mut candidates: HashMap<i32, Candidate> = HashMap::new();
    // comment id -> (task id, summed score over the terms it holds)
    let mut comments: HashMap<i32, (i32, f64)> = HashMap::new();
    for (i, term) in terms.iter().enumerate() {
        let bit = 1u64 << i;
        // A task missing an earlier term can never match; only the first term adds candidates.
        let earlier = bit - 1;
        let mut add = |task_id: i32, score: f64| {
            let entry = if i == 0 {
                Some(candidates.entry(task_id).or_default())
            } else {
                candidates
                    .get_mut(&task_id)
                    .filter(|c| c.terms & earlier == earlier)
            };
            if let Some(c) = entry {
                c.score += score;
                c.terms |= bit;
            }
        };
        for hit in fts::task_hits(conn, term, scope)? {
            add(hit.task_id, hit.score);
        }
        let mut best_comment: HashMap<i32, f64> = HashMap::new();
        for hit in fts::comment_hits(conn, term, scope)? {
            comments
                .entry(hit.comment_id)
                .or_insert((hit.task_id, 0.0))
                .1 += hit.score;
            let best = best_comment.entry(hit.task_id).or_insert(hit.score);
            *best = best.max(hit.score);
        }
        for (task_id, score) in best_comment {
            add(task_id, score);
        }
    }
    let all = (1u64 << terms.len()) - 1;
    let mut best_comments: HashMap<i32, (i32, f64)> = HashMap::new();
    for (comment_id, (task_id, score)) in comments {
        let best = best_comments.entry(task_id).or_insert((comment_id, score));
        if score > best.1 || (score == best.1 && comment_id < best.0) {
            *best = (comment_id, score);
        }
    }
    let mut ranked: Vec<Ranked> = candidates
        .into_iter()
        .filter(|(_, c)| c.terms == all)
        .map(|(task_id, c)| Ranked {
            task_id,
            // -bm25 of a term found in every document is -0.0; show it as 0.
            score: c.score + 0.0,
            comment_id: best_comments.get(&task_id).map(|b| b.0),
        })
        .collect();
    ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.task_id.cmp(&b.task_id)));
    Ok(ranked)
}

/// At most [`SNIPPET_MAX_CHARS`] characters, `…` marking a cut.
fn bounded(snippet: String) -> String {
    match snippet.char_indices().nth(SNIPPET_MAX_CHARS) {
        Some((end, _)) => format!("{}…", &snippet[..end]),
        None => snippet,
    }
}

/// The task views of `page`, by task id.
fn views(conn: &mut SqliteConnection, page: &[Ranked]) -> DomainResult<HashMap<i32, Task>> {
    let ids: Vec<i32> = page.iter().map(|r| r.task_id).collect();
    let rows: Vec<TaskRow> = tasks::table
        .filter(tasks::id.eq_any(&ids))
        .select(TaskRow::as_select())
        .load(conn)?;
    Ok(blocking::to_views(conn, rows)?
        .into_iter()
        .map(|t| (t.id, t))
        .collect())
}

/// `search_tasks`.
pub fn search(conn: &mut SqliteConnection, args: SearchTasks) -> DomainResult<SearchResults> {
    let terms = query::parse(&args.query, limits::current().title())?;
    let limit = limit(args.limit)?;
    let offset = limits::offset(args.offset)?;
    let statuses = args.status.map(|s| s.0).unwrap_or_default();
    let queue_name = text::optional(args.queue_name.as_deref());
    let assigned_to = text::optional(args.assigned_to.as_deref());
    let scope = fts::Scope {
        statuses: &statuses,
        queue_name: queue_name.as_deref(),
        assigned_to: assigned_to.as_deref(),
        include_archived: args.include_archived.unwrap_or(false),
    };
    let page: Vec<Ranked> = rank(conn, &terms, &scope)?
        .into_iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(limit)
        .collect();
    let task_ids: Vec<i32> = page.iter().map(|r| r.task_id).collect();
    let columns = fts::matched_columns(conn, &terms, &task_ids)?;
    let in_fields: Vec<i32> = task_ids
        .iter()
        .copied()
        .filter(|id| columns.get(id).is_some_and(|c| c.contains(&true)))
        .collect();
    let mut task_snippets = fts::task_snippets(conn, &terms, &in_fields)?;
    let only_comments: Vec<i32> = page
        .iter()
        .filter(|r| !in_fields.contains(&r.task_id))
        .filter_map(|r| r.comment_id)
        .collect();
    let mut comment_snippets = fts::comment_snippets(conn, &terms, &only_comments)?;
    let mut views = views(conn, &page)?;
    // The index reads and this one share the read transaction: every ranked task has its row.
    let hits: Vec<SearchHit> = page
        .iter()
        .filter_map(|ranked| Some((views.remove(&ranked.task_id)?, ranked)))
        .map(|(task, ranked)| {
            let in_columns = columns.get(&ranked.task_id).copied().unwrap_or_default();
            let mut matched: Vec<Field> = TASK_FIELDS
                .iter()
                .zip(in_columns)
                .filter_map(|(field, hit)| hit.then_some(*field))
                .collect();
            if ranked.comment_id.is_some() {
                matched.push(Field::Comments);
            }
            let snippet = task_snippets
                .remove(&ranked.task_id)
                .or_else(|| ranked.comment_id.and_then(|c| comment_snippets.remove(&c)))
                .unwrap_or_default();
            SearchHit {
                task,
                score: ranked.score,
                matched,
                snippet: bounded(snippet),
                comment_id: ranked.comment_id,
            }
        })
        .collect();
    let shell = SearchResults {
        query: args.query,
        count: 0,
        results: Vec::new(),
        cut: Cut::default(),
    };
    Ok(shell.paged(hits, offset, limits::current().response_bytes))
}
