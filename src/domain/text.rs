//! Normalisation of free-text arguments: trimming, blank checks and length limits.

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
