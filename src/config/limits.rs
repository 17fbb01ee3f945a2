//! Size limits of stored texts, responses and subscriptions (see `domain::limits`).

use super::env::{ConfigError, Lookup, integer};
use super::settings::*;
use crate::domain::limits::Limits;

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
    })
}

pub(super) fn summary(l: &Limits) -> String {
    format!(
        " max_title_bytes={} max_description_bytes={} max_comment_bytes={} max_link_bytes={} max_tag_bytes={} \
         max_tags={} max_name_bytes={} max_response_bytes={} max_subscriptions_per_session={}",
        l.title_bytes,
        l.description_bytes,
        l.comment_bytes,
        l.link_bytes,
        l.tag_bytes,
        l.max_tags,
        l.name_bytes,
        l.response_bytes,
        l.subscriptions_per_session
    )
}
