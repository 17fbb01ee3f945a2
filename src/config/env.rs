//! Parsing of individual environment variables into typed settings, with errors that name the variable.

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

/// Parses an enumerated setting; absent means `default`.
pub(super) fn parse_or<T: FromStr + Copy + AllowedValues>(
    variable: &'static str,
    raw: Option<String>,
    default: T,
) -> Result<T, ConfigError> {
    match raw {
        None => Ok(default),
        Some(value) => T::from_str(&value).map_err(|_| ConfigError {
            variable,
            allowed: T::allowed().trim_end_matches(", ").to_string(),
            value,
        }),
    }
}

pub(super) fn parse_port(raw: Option<String>) -> Result<u16, ConfigError> {
    let Some(value) = raw else { return Ok(3000) };
    match value.trim().parse::<u16>() {
        Ok(port) if port > 0 => Ok(port),
        _ => Err(ConfigError {
            variable: "TINYTASK_PORT",
            value,
            allowed: "an integer from 1 to 65535".into(),
        }),
    }
}

/// The bind address must be a literal IP: the static binary in the scratch image cannot resolve host names.
pub(super) fn parse_host(raw: Option<String>) -> Result<String, ConfigError> {
    let Some(value) = raw else {
        return Ok("127.0.0.1".into());
    };
    match value.trim().parse::<IpAddr>() {
        Ok(ip) => Ok(ip.to_string()),
        Err(_) => Err(ConfigError {
            variable: "TINYTASK_HOST",
            value,
            allowed: "an IPv4 or IPv6 address such as 127.0.0.1, 0.0.0.0 or ::".into(),
        }),
    }
}

/// Lets `parse_or` name the allowed values of each settings enum.
pub(super) trait AllowedValues {
    fn allowed() -> &'static str;
}

macro_rules! allowed_values {
    ($($t:ty),*) => {$(impl AllowedValues for $t { fn allowed() -> &'static str { <$t>::ALLOWED } })*};
}

allowed_values!(super::Mode, super::LogLevel, super::LogFormat);

/// A positive integer setting; absent means `default`.
pub(super) fn parse_positive(
    variable: &'static str,
    raw: Option<String>,
    default: usize,
) -> Result<usize, ConfigError> {
    let Some(value) = raw else { return Ok(default) };
    match value.trim().parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(ConfigError {
            variable,
            value,
            allowed: "a positive integer".into(),
        }),
    }
}

/// An integer setting within `min..=max`; absent means `default`.
pub(super) fn parse_range(
    variable: &'static str,
    raw: Option<String>,
    default: usize,
    (min, max): (usize, usize),
) -> Result<usize, ConfigError> {
    let Some(value) = raw else { return Ok(default) };
    match value.trim().parse::<usize>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(ConfigError {
            variable,
            value,
            allowed: format!("an integer from {min} to {max}"),
        }),
    }
}
