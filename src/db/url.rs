//! `TINYTASK_DATABASE_URL`: a PostgreSQL connection URL, validated by libpq's own parser before anything
//! connects (so what is accepted is exactly what libpq will use), and shown without its password.

use std::ffi::{CStr, CString};
use std::fmt;

/// A PostgreSQL URL that libpq parses. `Display` hides the password.
#[derive(Clone, PartialEq, Eq)]
pub struct PgUrl {
    url: String,
    shown: String,
    /// Whether the URL sets `connect_timeout` itself (else [`PgUrl::connect_string`] adds one).
    has_timeout: bool,
}

/// libpq waits for the operating system's TCP timeout (minutes) on an unreachable host unless told
/// otherwise; a replica must fail over to its retry loop sooner.
const DEFAULT_CONNECT_TIMEOUT_SECS: u32 = 5;

impl PgUrl {
    /// Accepts `postgres://…` or `postgresql://…` URLs (libpq also takes `key=value` strings; the setting's
    /// name promises a URL, and a URL is what every PostgreSQL host and tool hands out).
    pub fn parse(url: &str) -> Result<PgUrl, String> {
        let url = url.trim();
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(format!(
                "expected a URL starting with postgres:// or postgresql://, got {:?}",
                redact(url)
            ));
        }
        // libpq's messages quote the URL, password included.
        let keys = conninfo_keys(url).map_err(|message| hide_password(&message, url))?;
        Ok(PgUrl {
            url: url.to_string(),
            shown: redact(url),
            has_timeout: keys.iter().any(|k| k == "connect_timeout"),
        })
    }

    /// This URL with one more query parameter (`value` percent-encoded already), e.g. the
    /// `options=-csearch_path%3D…` that gives each test its own schema.
    pub fn with_param(&self, key: &str, value: &str) -> Result<PgUrl, String> {
        let sep = if self.url.contains('?') { '&' } else { '?' };
        PgUrl::parse(&format!("{}{sep}{key}={value}", self.url))
    }

    /// The string handed to libpq: the URL, with a connect timeout when it names none.
    pub fn connect_string(&self) -> String {
        if self.has_timeout {
            return self.url.clone();
        }
        let sep = if self.url.contains('?') { '&' } else { '?' };
        format!(
            "{}{sep}connect_timeout={DEFAULT_CONNECT_TIMEOUT_SECS}",
            self.url
        )
    }
}

impl fmt::Display for PgUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

impl fmt::Debug for PgUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PgUrl({})", self.shown)
    }
}

/// `text` with the password of `url` (and `url` itself) replaced by their redacted forms.
fn hide_password(text: &str, url: &str) -> String {
    let text = text.replace(url, &redact(url));
    match password_of(url) {
        Some(pw) if !pw.is_empty() => text.replace(pw, "***"),
        _ => text,
    }
}

/// The password in a URL's user information, if any.
fn password_of(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let authority = &rest[..rest.find(['/', '?']).unwrap_or(rest.len())];
    let userinfo = authority.rsplit_once('@')?.0;
    Some(userinfo.split_once(':')?.1)
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db` (logs, errors, `--help` never show a
/// password).
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

/// The keywords set by `conninfo`, or libpq's message saying what is wrong with it.
fn conninfo_keys(conninfo: &str) -> Result<Vec<String>, String> {
    let c = CString::new(conninfo).map_err(|_| "the URL contains a NUL byte".to_string())?;
    let mut err: *mut std::os::raw::c_char = std::ptr::null_mut();
    // SAFETY: `c` is a valid NUL-terminated string for the call; libpq returns either an option array we
    // own (freed below with PQconninfoFree) or null with `err` set to a message we free with PQfreemem.
    let options = unsafe { pq_sys::PQconninfoParse(c.as_ptr(), &mut err) };
    if options.is_null() {
        let message = if err.is_null() {
            "out of memory while parsing the URL".to_string()
        } else {
            // SAFETY: libpq set `err` to a NUL-terminated message it allocated.
            let text = unsafe { CStr::from_ptr(err) }
                .to_string_lossy()
                .trim()
                .to_string();
            // SAFETY: allocated by libpq for us, freed once.
            unsafe { pq_sys::PQfreemem(err.cast()) };
            text
        };
        return Err(message);
    }
    let mut keys = Vec::new();
    let mut i = 0;
    loop {
        // SAFETY: libpq's array ends with an entry whose keyword is null; we stop there.
        let option = unsafe { &*options.add(i) };
        if option.keyword.is_null() {
            break;
        }
        if !option.val.is_null() {
            // SAFETY: keyword is a NUL-terminated string owned by the array.
            keys.push(
                unsafe { CStr::from_ptr(option.keyword) }
                    .to_string_lossy()
                    .into_owned(),
            );
        }
        i += 1;
    }
    // SAFETY: the array came from PQconninfoParse and is freed once.
    unsafe { pq_sys::PQconninfoFree(options) };
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_urls_libpq_accepts_and_hides_the_password() {
        let url = PgUrl::parse("postgres://tt:s3cret@127.0.0.1:5432/board").unwrap();
        assert_eq!(url.to_string(), "postgres://tt:***@127.0.0.1:5432/board");
        assert_eq!(
            url.connect_string(),
            "postgres://tt:s3cret@127.0.0.1:5432/board?connect_timeout=5"
        );
        let with = PgUrl::parse("postgresql://h/db?connect_timeout=2&sslmode=disable").unwrap();
        assert_eq!(
            with.connect_string(),
            "postgresql://h/db?connect_timeout=2&sslmode=disable"
        );
        let other = PgUrl::parse("postgres://h/db?application_name=x").unwrap();
        assert!(other.connect_string().ends_with("&connect_timeout=5"));
    }

    #[test]
    fn rejects_what_is_not_a_postgres_url_with_libpqs_reason() {
        let err = PgUrl::parse("mysql://u:pw@h/db").unwrap_err();
        assert!(err.contains("postgres://"), "{err}");
        assert!(!err.contains("pw"), "the password is never shown: {err}");
        let err = PgUrl::parse("postgres://u:pw1234@[::1/db").unwrap_err();
        assert!(err.contains("]") && !err.contains("pw1234"), "{err}");
        let err = PgUrl::parse("postgres://h/db?nosuchoption=1").unwrap_err();
        assert!(err.contains("nosuchoption"), "{err}");
    }
}
