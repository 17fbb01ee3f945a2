//! The search tool (issue 11; not a TinyTask 2.x tool).

use super::def::{Effect, ToolDef};
use crate::domain::search;

pub fn tools() -> Vec<ToolDef> {
    vec![ToolDef::new(
        "search_tasks",
        "Search tasks",
        "Full-text search over task titles, descriptions, tags and comments, best match first. query: words \
         that must all appear in the task (in any field or comment; case-insensitive); \"quoted words\" \
         match as a phrase; a trailing * makes a prefix (deplo*); anything else (AND, OR, NOT, NEAR, \
         column:, ^, -, parentheses, quotes) is plain text, never search syntax. At most 32 words or \
         phrases and TINYTASK_MAX_TITLE_BYTES bytes; a query without any letter or digit is an error. \
         Optional filters: status (one of idle/working/complete or an array of them), queue_name, \
         assigned_to, include_archived (default false); limit 1-100 (default 20), offset (>= 0). Returns \
         {query, count, results: [{task, score (higher = better), matched (of title, description, tags, \
         comments), snippet (terms in [ and ]), comment_id (best-matching comment or null)}]}; a result \
         larger than the response size limit is cut and adds has_more: true and next_offset.",
        Effect::Read,
        search::search,
    )]
}
