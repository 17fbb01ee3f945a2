//! What one environment variable is (name, default, allowed values, help) and the `--help` block built from them.

use std::fmt::Write;

/// One `TINYTASK_*` variable. Every setting is one of these in `settings.rs`; parsing (`env.rs`), the error
/// messages, `--help` and the documentation check (`docs_tests.rs`) all read it from there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    pub name: &'static str,
    pub default: Fallback,
    pub allowed: Allowed,
    /// What the setting does, as shown in `--help` after the allowed values.
    pub help: &'static str,
}

/// What an unset (or blank) variable means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    /// Parsed exactly as if the variable were set to it, so the default shown is the default used.
    Value(&'static str),
    /// No value: the setting is derived at startup or stays off; the text says how, e.g. "(loopback)".
    Derived(&'static str),
}

/// The values a setting accepts. Drives the parser and the text named in errors and in `--help`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allowed {
    /// One of an enum's spellings: its `ALLOWED` list ("stdio, http, sse, both, ").
    Choice(&'static str),
    /// Any number of an enum's spellings, comma-separated (its `ALLOWED` list, as for `Choice`).
    List(&'static str),
    /// An integer within `min..=max`.
    Range(u64, u64),
    /// An integer of at least 1.
    Positive,
    /// An integer from 1 to the value of the named variable.
    UpTo(&'static str),
    /// A literal IPv4 or IPv6 address.
    IpAddress,
    /// A PostgreSQL URL (`postgres://…`), checked by libpq's own parser.
    PostgresUrl,
    /// Any text; not validated.
    Text,
}

impl Setting {
    /// The default as shown to users (`--help`, README.md, .env.example).
    pub fn shown_default(&self) -> &'static str {
        match self.default {
            Fallback::Value(v) | Fallback::Derived(v) => v,
        }
    }

    /// The `--help` description: allowed values, then what the setting does.
    pub fn description(&self) -> String {
        match self.allowed.short() {
            Some(allowed) => format!("{allowed}: {}", self.help),
            None => self.help.to_string(),
        }
    }
}

impl Allowed {
    /// As named in the error for a rejected value (`UpTo` gets its bound when parsed).
    pub fn in_error(&self) -> String {
        match *self {
            Allowed::Choice(list) => list.trim_end_matches(", ").to_string(),
            Allowed::List(list) => format!(
                "comma-separated names among {}",
                list.trim_end_matches(", ")
            ),
            Allowed::Range(min, max) => format!("an integer from {min} to {max}"),
            Allowed::Positive => "a positive integer".into(),
            Allowed::UpTo(variable) => format!("an integer from 1 to {variable}"),
            Allowed::IpAddress => "an IPv4 or IPv6 address such as 127.0.0.1, 0.0.0.0 or ::".into(),
            Allowed::PostgresUrl => "a postgres://user:password@host:port/database URL".into(),
            Allowed::Text => "any text".into(),
        }
    }

    /// As shown in `--help`; `None` for free text (the help text says what is expected).
    fn short(&self) -> Option<String> {
        Some(match *self {
            Allowed::Choice(list) => list.trim_end_matches(", ").replace(", ", " | "),
            Allowed::List(list) => format!(
                "{} (comma-separated)",
                list.trim_end_matches(", ").replace(", ", ",")
            ),
            Allowed::Range(min, max) => format!("{min}-{max}"),
            Allowed::Positive => "≥ 1".into(),
            Allowed::UpTo(variable) => format!("1 to {variable}"),
            Allowed::IpAddress => "an IP address".into(),
            Allowed::PostgresUrl => "postgres://…".into(),
            Allowed::Text => return None,
        })
    }
}

/// The "Environment variables" block of `--help`: every setting with its default, in aligned columns.
pub fn env_help() -> String {
    let all = super::settings::ALL;
    let mut text =
        String::from("Environment variables (also read from ./.env; real environment wins):\n");
    // Columns as wide as their longest entry, so every line stays aligned.
    let name_width = all.iter().map(|s| s.name.len()).max().unwrap_or(0);
    let default_width = all
        .iter()
        .map(|s| s.shown_default().len())
        .max()
        .unwrap_or(0);
    for s in all {
        let _ = writeln!(
            text,
            "  {:<name_width$} default {:<default_width$} {}",
            s.name,
            s.shown_default(),
            s.description()
        );
    }
    text.push_str("\nInvalid values exit with status 2 and one line naming the variable and the allowed values.");
    text
}
