//! The search tool (issue 11; not a TinyTask 2.x tool).

use super::def::{Effect, ToolDef};
use crate::config::Toolset::{Core, Search};
use crate::domain::search;

pub fn tools() -> Vec<ToolDef> {
    vec![ToolDef::new(
        "search_tasks",
        "Search tasks",
        "Full-text search of task titles, descriptions, tags and comments, best match first (a query needs a \
         letter or digit). Returns {query, count, results: [{task, \
         score (higher = better), matched, snippet (terms in [ ]), comment_id (best-matching comment or \
         null)}]}; cut at the response size limit with has_more and next_offset.",
        Effect::Read,
        search::search,
    )
    .member_of(&[Core, Search])]
}
