//! Normalisation of free-text arguments: trimming, blank checks and length limits.

use super::limits::{self, TextLimit};
use super::{DomainError, DomainResult};

/// Longest queue name accepted (as TinyTask 2.x).
pub const MAX_QUEUE_NAME: usize = 255;

/// A required string: trimmed, must not be blank.
pub fn required(field: &'static str, value: &str) -> DomainResult<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(DomainError::invalid(field, "must not be empty or blank"));
    }
    Ok(trimmed.to_string())
}

/// An optional string: trimmed; blank means absent.
pub fn optional(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

/// A queue name: required, trimmed, at most 255 characters.
pub fn queue_name(field: &'static str, value: &str) -> DomainResult<String> {
    let name = required(field, value)?;
    if name.chars().count() > MAX_QUEUE_NAME {
        return Err(DomainError::invalid(
            field,
            format!(
                "is too long ({} characters, at most {MAX_QUEUE_NAME})",
                name.chars().count()
            ),
        ));
    }
    Ok(name)
}

/// An optional queue name where blank means "no queue".
pub fn optional_queue_name(
    field: &'static str,
    value: Option<&str>,
) -> DomainResult<Option<String>> {
    match optional(value) {
        Some(name) => queue_name(field, &name).map(Some),
        None => Ok(None),
    }
}

/// A required string (trimmed, non-blank) of at most `limit` bytes.
pub fn required_max(field: &'static str, value: &str, limit: TextLimit) -> DomainResult<String> {
    let text = required(field, value)?;
    limits::check(field, &text, limit)?;
    Ok(text)
}

/// An optional string (trimmed; blank means absent) of at most `limit` bytes.
pub fn optional_max(
    field: &'static str,
    value: Option<&str>,
    limit: TextLimit,
) -> DomainResult<Option<String>> {
    let text = optional(value);
    if let Some(t) = &text {
        limits::check(field, t, limit)?;
    }
    Ok(text)
}

/// Tags as stored (a JSON array of the trimmed, non-blank tags), within the tag count and size limits.
pub fn tags_json(tags: &[String]) -> DomainResult<String> {
    let limits = limits::current();
    let cleaned: Vec<&str> = tags
        .iter()
        .map(|t| t.trim())
        .filter(|t| !t.is_empty())
        .collect();
    if cleaned.len() > limits.max_tags {
        return Err(DomainError::invalid(
            "tags",
            format!(
                "{} tags exceeds the limit of {} tags (TINYTASK_MAX_TAGS)",
                cleaned.len(),
                limits.max_tags
            ),
        ));
    }
    let tag = limits.tag();
    if let Some((i, long)) = cleaned
        .iter()
        .enumerate()
        .find(|(_, t)| t.len() > tag.bytes)
    {
        return Err(DomainError::invalid(
            "tags",
            format!(
                "tag {i} is {} bytes, which exceeds the limit of {} bytes ({})",
                long.len(),
                tag.bytes,
                tag.variable
            ),
        ));
    }
    Ok(serde_json::to_string(&cleaned).unwrap_or_else(|_| "[]".into()))
}
