//! Size limits of stored texts, responses and subscriptions (see `domain::limits`), and the two board
//! policies the domain reads the same way: lease length and event retention.

use super::env::{ConfigError, Lookup, integer};
use super::settings::*;

/// Every size limit (each variable and its default in `settings.rs`; what they do in `domain::limits`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// `title` of tasks and subtasks.
    pub title_bytes: usize,
    /// `description` of tasks and subtasks.
    pub description_bytes: usize,
    /// Comment `content` and the hand-off `comment` of `move_task`.
    pub comment_bytes: usize,
    /// Link `url` and link `description`.
    pub link_bytes: usize,
    /// One tag.
    pub tag_bytes: usize,
    /// Tags per task.
    pub max_tags: usize,
    /// Agent and person names: `created_by`, `assigned_to`, `changed_by`, `current_agent`, `new_agent`.
    pub name_bytes: usize,
    /// Largest JSON result of a list-shaped tool or resource before it is cut at an item boundary.
    pub response_bytes: usize,
    /// Resource subscriptions one session may hold at once.
    pub subscriptions_per_session: usize,
    /// Default length of a claim's lease in seconds (0: leases off).
    pub lease_secs: u64,
    /// Days events stay in the feed (0: forever).
    pub event_retention_days: u32,
}

impl Default for Limits {
    /// The defaults written in `settings.rs`, parsed as if every variable were unset.
    fn default() -> Self {
        from_lookup(&|_| None)
            .expect("every default passes its own validation (tests::settings_are_consistent)")
    }
}

pub(super) fn from_lookup(get: Lookup<'_>) -> Result<Limits, ConfigError> {
    // Every range fits in usize on the 64-bit targets we build for (the largest is 1 GiB).
    let read = |s| integer(s, get).map(|n| n as usize);
    Ok(Limits {
        title_bytes: read(&MAX_TITLE_BYTES)?,
        description_bytes: read(&MAX_DESCRIPTION_BYTES)?,
        comment_bytes: read(&MAX_COMMENT_BYTES)?,
        link_bytes: read(&MAX_LINK_BYTES)?,
        tag_bytes: read(&MAX_TAG_BYTES)?,
        max_tags: read(&MAX_TAGS)?,
        name_bytes: read(&MAX_NAME_BYTES)?,
        response_bytes: read(&MAX_RESPONSE_BYTES)?,
        subscriptions_per_session: read(&MAX_SUBSCRIPTIONS_PER_SESSION)?,
        lease_secs: integer(&LEASE_SECS, get)?,
        // The table bounds it to 36,500.
        event_retention_days: integer(&EVENT_RETENTION_DAYS, get)? as u32,
    })
}

pub(super) fn summary(l: &Limits) -> String {
    format!(
        " max_title_bytes={} max_description_bytes={} max_comment_bytes={} max_link_bytes={} max_tag_bytes={} \
         max_tags={} max_name_bytes={} max_response_bytes={} max_subscriptions_per_session={} lease_secs={} \
         event_retention_days={}",
        l.title_bytes,
        l.description_bytes,
        l.comment_bytes,
        l.link_bytes,
        l.tag_bytes,
        l.max_tags,
        l.name_bytes,
        l.response_bytes,
        l.subscriptions_per_session,
        l.lease_secs,
        l.event_retention_days
    )
}
