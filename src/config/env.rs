//! Typed parsers that read one setting (see `settings.rs`) from a lookup, with errors that name the variable.

use super::setting::{Allowed, Fallback, Setting};
use std::net::IpAddr;
use std::str::FromStr;

/// A setting that could not be used. Displayed as the one line printed before exiting with status 2.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {variable}={value:?}: allowed values are {allowed}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub value: String,
    pub allowed: String,
}

/// Loads `.env` from the working directory if present. Variables already set in the environment win.
pub fn load_dotenv() -> Result<(), String> {
    match dotenvy::dotenv() {
        Ok(_) => Ok(()),
        Err(e) if e.not_found() => Ok(()),
        Err(e) => Err(format!("could not read .env: {e}")),
    }
}

/// A variable lookup that already treats blank values as unset.
pub(super) type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The variable's value when set, else its default value; `None` only for a setting with a derived default.
fn raw(s: &Setting, get: Lookup<'_>) -> Option<String> {
    get(s.name).or(match s.default {
        Fallback::Value(v) => Some(v.to_string()),
        Fallback::Derived(_) => None,
    })
}

/// Like [`raw`] for a setting that must have a default value (`settings_are_consistent` checks the table).
fn raw_or_default(s: &Setting, get: Lookup<'_>) -> String {
    raw(s, get).unwrap_or_else(|| panic!("{} has no default value", s.name))
}

fn invalid(s: &Setting, value: String, allowed: String) -> ConfigError {
    ConfigError {
        variable: s.name,
        value,
        allowed,
    }
}

/// An enumerated setting (`Allowed::Choice`).
pub(super) fn choice<T: FromStr>(s: &Setting, get: Lookup<'_>) -> Result<T, ConfigError> {
    let value = raw_or_default(s, get);
    T::from_str(&value).map_err(|_| invalid(s, value, s.allowed.in_error()))
}

/// An `Allowed::List` setting, read by `parse`, which returns the entry it rejects; the error names it.
pub(super) fn list<T>(
    s: &Setting,
    get: Lookup<'_>,
    parse: fn(&str) -> Result<T, String>,
) -> Result<T, ConfigError> {
    let value = raw_or_default(s, get);
    parse(&value).map_err(|bad| {
        let allowed = format!("{}; {bad:?} is not one of them", s.allowed.in_error());
        invalid(s, value.clone(), allowed)
    })
}

/// An integer setting (`Allowed::Range` or `Allowed::Positive`). The error states the range.
pub(super) fn integer(s: &Setting, get: Lookup<'_>) -> Result<u64, ConfigError> {
    check_integer(s, raw_or_default(s, get), None)
}

/// An integer setting whose default is derived: `None` when unset.
pub(super) fn optional_integer(s: &Setting, get: Lookup<'_>) -> Result<Option<u64>, ConfigError> {
    raw(s, get).map(|v| check_integer(s, v, None)).transpose()
}

/// An `Allowed::UpTo` setting, given the value of the variable it is bounded by. A default above the
/// bound is lowered to it.
pub(super) fn integer_up_to(s: &Setting, get: Lookup<'_>, max: u64) -> Result<u64, ConfigError> {
    match get(s.name) {
        Some(value) => check_integer(s, value, Some(max)),
        None => Ok(check_integer(s, raw_or_default(s, get), None)?.min(max)),
    }
}

fn check_integer(s: &Setting, value: String, up_to: Option<u64>) -> Result<u64, ConfigError> {
    let (min, max, allowed) = match (s.allowed, up_to) {
        (Allowed::Range(min, max), _) => (min, max, s.allowed.in_error()),
        (Allowed::UpTo(_), Some(max)) => (1, max, format!("an integer from 1 to {max}")),
        // usize: the setting is a count or size in memory. (`UpTo` without a bound: its default value,
        // which `integer_up_to` then lowers to the bound.)
        (Allowed::Positive | Allowed::UpTo(_), _) => (1, usize::MAX as u64, s.allowed.in_error()),
        _ => unreachable!("{} is not an integer setting", s.name),
    };
    match value.trim().parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(invalid(s, value, allowed)),
    }
}

/// An `Allowed::IpAddress` setting, normalised (`::0` → `::`).
pub(super) fn ip_address(s: &Setting, get: Lookup<'_>) -> Result<String, ConfigError> {
    let value = raw_or_default(s, get);
    match value.trim().parse::<IpAddr>() {
        Ok(ip) => Ok(ip.to_string()),
        Err(_) => Err(invalid(s, value, s.allowed.in_error())),
    }
}

/// An `Allowed::PostgresUrl` setting; `None` when unset. A rejected URL's error adds libpq's reason.
pub(super) fn postgres_url(
    s: &Setting,
    get: Lookup<'_>,
) -> Result<Option<crate::db::PgUrl>, ConfigError> {
    let Some(value) = raw(s, get) else {
        return Ok(None);
    };
    crate::db::PgUrl::parse(&value).map(Some).map_err(|reason| {
        // Neither the value as shown nor the parser's message holds the password.
        let allowed = format!("{} ({reason})", s.allowed.in_error());
        invalid(s, crate::db::url::redact(value.trim()), allowed)
    })
}

/// An `Allowed::Text` setting as written (never rejected); `None` when unset and the default is derived.
pub(super) fn text(s: &Setting, get: Lookup<'_>) -> Option<String> {
    raw(s, get)
}
