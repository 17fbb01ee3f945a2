//! Size limits of stored texts, responses and subscriptions (see `domain::limits`).

use super::env::{ConfigError, parse_range};
use crate::domain::limits::Limits;

const KIB: usize = 1024;
const MIB: usize = 1024 * KIB;

/// (variable, allowed range). The ranges keep a misconfiguration from disabling a limit in effect (a huge
/// value) or making the board unusable (0); the defaults are in `Limits::default`.
pub const RANGES: &[(&str, (usize, usize))] = &[
    ("TINYTASK_MAX_TITLE_BYTES", (1, MIB)),
    ("TINYTASK_MAX_DESCRIPTION_BYTES", (1, 16 * MIB)),
    ("TINYTASK_MAX_COMMENT_BYTES", (1, 16 * MIB)),
    ("TINYTASK_MAX_LINK_BYTES", (1, MIB)),
    ("TINYTASK_MAX_TAG_BYTES", (1, 64 * KIB)),
    ("TINYTASK_MAX_TAGS", (1, 10_000)),
    ("TINYTASK_MAX_NAME_BYTES", (1, 64 * KIB)),
    ("TINYTASK_MAX_RESPONSE_BYTES", (4 * KIB, 1024 * MIB)),
    ("TINYTASK_MAX_SUBSCRIPTIONS_PER_SESSION", (1, 1_000_000)),
];

fn range(variable: &str) -> (usize, usize) {
    RANGES
        .iter()
        .find(|(v, _)| *v == variable)
        .map(|(_, r)| *r)
        .unwrap_or((1, usize::MAX))
}

pub(super) fn from_lookup(get: &dyn Fn(&str) -> Option<String>) -> Result<Limits, ConfigError> {
    let d = Limits::default();
    let read = |variable: &'static str, default: usize| {
        {
            let (min, max) = range(variable);
            // Every range fits in usize on the 64-bit targets we build for (the largest is 1 GiB).
            parse_range(
                variable,
                get(variable),
                default as u64,
                min as u64,
                max as u64,
            )
            .map(|n| n as usize)
        }
    };
    Ok(Limits {
        title_bytes: read("TINYTASK_MAX_TITLE_BYTES", d.title_bytes)?,
        description_bytes: read("TINYTASK_MAX_DESCRIPTION_BYTES", d.description_bytes)?,
        comment_bytes: read("TINYTASK_MAX_COMMENT_BYTES", d.comment_bytes)?,
        link_bytes: read("TINYTASK_MAX_LINK_BYTES", d.link_bytes)?,
        tag_bytes: read("TINYTASK_MAX_TAG_BYTES", d.tag_bytes)?,
        max_tags: read("TINYTASK_MAX_TAGS", d.max_tags)?,
        name_bytes: read("TINYTASK_MAX_NAME_BYTES", d.name_bytes)?,
        response_bytes: read("TINYTASK_MAX_RESPONSE_BYTES", d.response_bytes)?,
        subscriptions_per_session: read(
            "TINYTASK_MAX_SUBSCRIPTIONS_PER_SESSION",
            d.subscriptions_per_session,
        )?,
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
