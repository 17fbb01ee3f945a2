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

use super::DomainResult;
use super::blocking;
use super::input::{self, StatusSet};
use super::limits::{self, Cut, Paged, impl_paged};
use super::projection::{Listed, Projection};
use super::rows::TaskRow;
use super::text;
use crate::db::schema::tasks;
use crate::domain::Conn;
use diesel::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

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
    /// Words that must all appear (any field or comment; case-insensitive); "a phrase" in double quotes; a
    /// trailing * for a prefix (deplo*); anything else is plain text. At most 32 words or phrases and
    /// TINYTASK_MAX_TITLE_BYTES bytes.
    pub query: String,
    /// One status or an array of them.
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
    /// 1 to 100 (default 20).
    #[serde(default, deserialize_with = "input::opt_int")]
    #[schemars(with = "Option<i64>")]
    pub limit: Option<i64>,
    /// Results to skip (≥ 0), e.g. a cut result's next_offset.
    #[serde(default, deserialize_with = "input::opt_int")]
    #[schemars(with = "Option<i64>")]
    pub offset: Option<i64>,
    // The projection applies to results[].task.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub fields: Option<Vec<crate::domain::projection::TaskField>>,
    #[serde(default)]
    #[schemars(with = "crate::domain::projection::View")]
    pub view: Option<crate::domain::projection::View>,
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
    /// The task, as get_task returns it (without relations), or its fields/view keys.
    pub task: Listed,
    /// Relevance (BM25, 4 decimals), higher = better; only comparable within one search.
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

/// A ranked task.
#[derive(Debug)]
struct Ranked {
    task_id: i32,
    score: f64,
    /// The best-matching comment (highest summed score over the terms; lowest id on ties).
    comment_id: Option<i32>,
}

/// A score to 4 decimals, which is also what ranks (so equal-looking scores are ordered by task id, as
/// documented). BM25 gives a word found in most tasks a weight of 1e-6: unrounded, such scores would print as
/// `1.23e-6`-style noise.
fn rounded(score: f64) -> f64 {
    // `+ 0.0` turns -0.0 (from -bm25 of nothing) into 0.
    (score * 1e4).round() / 1e4 + 0.0
}

/// `only` for a scoring statement: the wanted rows when they are clearly fewer than the term's hits (a
/// filter on one pass), else `None` (score every hit and skip the unwanted: the list would cost more).
fn subset(wanted: &[i32], hits: usize) -> Option<&[i32]> {
    (wanted.len() * 2 < hits).then_some(wanted)
}

fn limit(value: Option<i64>) -> DomainResult<usize> {
    let l = limits::within("limit", value, DEFAULT_LIMIT, 1..=MAX_LIMIT, "")?;
    Ok(usize::try_from(l).unwrap_or(1))
}

/// Every task holding all `terms` (in its fields or comments), best first, before the filters.
fn rank(conn: &mut Conn, terms: &[query::Term]) -> DomainResult<Vec<Ranked>> {
    // Which tasks hold each term (ids only, which is cheap), intersected term by term.
    let mut in_fields: Vec<HashSet<i32>> = Vec::with_capacity(terms.len());
    let mut in_comments: Vec<Vec<fts::CommentRef>> = Vec::with_capacity(terms.len());
    let mut candidates: Option<HashSet<i32>> = None;
    for term in terms {
        let fields: HashSet<i32> = fts::task_ids(conn, term)?.into_iter().collect();
        let comments = fts::comment_ids(conn, term)?;
        let holders = fields
            .iter()
            .copied()
            .chain(comments.iter().map(|c| c.task_id));
        let next: HashSet<i32> = match &candidates {
            None => holders.collect(),
            Some(before) => holders.filter(|id| before.contains(id)).collect(),
        };
        if next.is_empty() {
            return Ok(Vec::new());
        }
        candidates = Some(next);
        in_fields.push(fields);
        in_comments.push(comments);
    }
    let candidates = candidates.unwrap_or_default();

    // Scores of the candidates only: per term, its score in the fields plus in the best comment.
    let mut scores: HashMap<i32, f64> = candidates.iter().map(|id| (*id, 0.0)).collect();
    // comment id -> (task id, summed score over the terms it holds)
    let mut comment_totals: HashMap<i32, (i32, f64)> = HashMap::new();
    for (i, term) in terms.iter().enumerate() {
        let wanted: Vec<i32> = in_fields[i]
            .iter()
            .copied()
            .filter(|id| candidates.contains(id))
            .collect();
        if !wanted.is_empty() {
            for hit in fts::task_scores(conn, term, subset(&wanted, in_fields[i].len()))? {
                if let Some(score) = scores.get_mut(&hit.task_id) {
                    *score += hit.score;
                }
            }
        }
        let wanted: Vec<i32> = in_comments[i]
            .iter()
            .filter(|c| candidates.contains(&c.task_id))
            .map(|c| c.comment_id)
            .collect();
        if !wanted.is_empty() {
            let mut best: HashMap<i32, f64> = HashMap::new();
            for hit in fts::comment_scores(conn, term, subset(&wanted, in_comments[i].len()))? {
                if !candidates.contains(&hit.task_id) {
                    continue;
                }
                comment_totals
                    .entry(hit.comment_id)
                    .or_insert((hit.task_id, 0.0))
                    .1 += hit.score;
                let top = best.entry(hit.task_id).or_insert(hit.score);
                *top = top.max(hit.score);
            }
            for (task_id, score) in best {
                if let Some(total) = scores.get_mut(&task_id) {
                    *total += score;
                }
            }
        }
    }
    let mut best_comments: HashMap<i32, (i32, f64)> = HashMap::new();
    for (comment_id, (task_id, score)) in comment_totals {
        let best = best_comments.entry(task_id).or_insert((comment_id, score));
        if score > best.1 || (score == best.1 && comment_id < best.0) {
            *best = (comment_id, score);
        }
    }
    let mut ranked: Vec<Ranked> = scores
        .into_iter()
        .map(|(task_id, score)| Ranked {
            task_id,
            score: rounded(score),
            comment_id: best_comments.get(&task_id).map(|b| b.0),
        })
        .collect();
    ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.task_id.cmp(&b.task_id)));
    Ok(ranked)
}

/// The first `wanted` of `ranked` (in rank order) that pass the filters. Checked in growing chunks from the
/// top, so a search whose filters keep most tasks looks up about as many tasks as it returns.
fn first_in_scope(
    conn: &mut Conn,
    ranked: Vec<Ranked>,
    scope: &fts::Scope<'_>,
    wanted: usize,
) -> DomainResult<Vec<Ranked>> {
    let mut kept = Vec::new();
    let mut rest = ranked.into_iter().peekable();
    let mut chunk = wanted.clamp(64, 4096);
    while kept.len() < wanted && rest.peek().is_some() {
        let batch: Vec<Ranked> = rest.by_ref().take(chunk).collect();
        let ids: Vec<i32> = batch.iter().map(|r| r.task_id).collect();
        let pass: HashSet<i32> = fts::in_scope(conn, &ids, scope)?.into_iter().collect();
        kept.extend(batch.into_iter().filter(|r| pass.contains(&r.task_id)));
        chunk = chunk.saturating_mul(4);
    }
    kept.truncate(wanted);
    Ok(kept)
}

/// At most [`SNIPPET_MAX_CHARS`] characters, `…` marking a cut.
fn bounded(snippet: String) -> String {
    match snippet.char_indices().nth(SNIPPET_MAX_CHARS) {
        Some((end, _)) => format!("{}…", &snippet[..end]),
        None => snippet,
    }
}

/// The task views of `page`, by task id.
fn views(conn: &mut Conn, page: &[Ranked], keep: Projection) -> DomainResult<HashMap<i32, Listed>> {
    let ids: Vec<i32> = page.iter().map(|r| r.task_id).collect();
    let rows: Vec<TaskRow> = tasks::table
        .filter(tasks::id.eq_any(&ids))
        .select(TaskRow::as_select())
        .load(conn)?;
    Ok(blocking::to_listed(conn, rows, keep)?
        .into_iter()
        .map(|t| (t.id, t))
        .collect())
}

/// `search_tasks`.
pub fn search(conn: &mut Conn, args: SearchTasks) -> DomainResult<SearchResults> {
    let terms = query::parse(&args.query, limits::current().title())?;
    let limit = limit(args.limit)?;
    let offset = limits::offset(args.offset)?;
    let keep = Projection::new(args.fields.as_deref(), args.view)?;
    let statuses = args.status.map(|s| s.0).unwrap_or_default();
    let queue_name = text::optional(args.queue_name.as_deref());
    let assigned_to = text::optional(args.assigned_to.as_deref());
    let scope = fts::Scope {
        statuses: &statuses,
        queue_name: queue_name.as_deref(),
        assigned_to: assigned_to.as_deref(),
        include_archived: args.include_archived.unwrap_or(false),
    };
    let skip = usize::try_from(offset).unwrap_or(usize::MAX);
    let ranked = rank(conn, &terms)?;
    let page: Vec<Ranked> = first_in_scope(conn, ranked, &scope, skip.saturating_add(limit))?
        .into_iter()
        .skip(skip)
        .collect();
    let task_ids: Vec<i32> = page.iter().map(|r| r.task_id).collect();
    let mut fields = fts::field_matches(conn, &terms, &task_ids)?;
    let only_comments: Vec<i32> = page
        .iter()
        .filter(|r| !fields.contains_key(&r.task_id))
        .filter_map(|r| r.comment_id)
        .collect();
    let mut comment_snippets = fts::comment_snippets(conn, &terms, &only_comments)?;
    let mut views = views(conn, &page, keep)?;
    // The index reads and this one share the read transaction: every ranked task has its row.
    let hits: Vec<SearchHit> = page
        .iter()
        .filter_map(|ranked| Some((views.remove(&ranked.task_id)?, ranked)))
        .map(|(task, ranked)| {
            let in_fields = fields.remove(&ranked.task_id);
            let in_columns = in_fields.as_ref().map(fts::FieldMatch::columns);
            let mut matched: Vec<Field> = TASK_FIELDS
                .iter()
                .zip(in_columns.unwrap_or_default())
                .filter_map(|(field, hit)| hit.then_some(*field))
                .collect();
            if ranked.comment_id.is_some() {
                matched.push(Field::Comments);
            }
            let snippet = in_fields
                .and_then(|f| f.snippet)
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
