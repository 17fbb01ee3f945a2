//! Small text helpers shared by the prompt renderers.

/// A value as it appears in a tool call of a prompt: a JSON string literal (quotes and control characters
/// escaped, so a name can never end the literal early).
pub fn quoted(value: &str) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// Board text (titles, comments) shown inside a prompt: at most `max_chars` characters on one line, so a
/// long or multi-line comment cannot push the instructions out of view or pose as a new paragraph of them.
pub fn excerpt(value: &str, max_chars: usize) -> String {
    let one_line: String = value.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max_chars {
        return one_line;
    }
    let cut: String = one_line.chars().take(max_chars).collect();
    format!("{cut}…")
}

/// Unix milliseconds as the board writes its timestamps: ISO 8601 UTC to the second
/// (`2026-12-01T16:00:00Z`), so the two compare as text.
pub fn iso_seconds(ms: i64) -> String {
    let iso = crate::domain::leases::iso_millis(ms - ms.rem_euclid(1000));
    // iso_millis writes milliseconds (".000Z"); the board's task timestamps have none.
    match iso.rfind('.') {
        Some(dot) => format!("{}Z", &iso[..dot]),
        None => iso,
    }
}

pub fn now_iso() -> String {
    iso_seconds(crate::domain::leases::now_millis())
}
