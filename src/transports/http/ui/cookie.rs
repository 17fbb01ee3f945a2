//! The dashboard's login cookie and the CSRF token derived from it — stateless, so every server process on
//! the same database accepts a cookie any of them issued, and rotating `TINYTASK_AUTH_TOKEN` invalidates
//! every cookie and CSRF token at once.
//!
//! Cookie value: `<expiry, Unix seconds>.<hex HMAC-SHA256(token, "tinytask-ui-session\0" + expiry)>`.
//! CSRF token: hex HMAC-SHA256(token, "tinytask-ui-csrf\0" + cookie value). The two labels keep one MAC from
//! ever standing in for the other.

use hmac::{KeyInit, Mac};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use subtle::ConstantTimeEq;

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// The cookie's name (also what `logout` clears).
pub const NAME: &str = "tinytask_ui";

/// How long a login lasts: a working day, after which the operator logs in again.
pub const LIFETIME: Duration = Duration::from_secs(12 * 3600);

const SESSION_LABEL: &[u8] = b"tinytask-ui-session\0";
const CSRF_LABEL: &[u8] = b"tinytask-ui-csrf\0";

fn mac(token: &str, label: &[u8], message: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = HmacSha256::new_from_slice(token.as_bytes()).expect("HMAC takes any key length");
    mac.update(label);
    mac.update(message);
    mac
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A fresh cookie value valid for [`LIFETIME`] from now.
pub fn issue(token: &str) -> String {
    issue_until(token, unix_now() + LIFETIME.as_secs())
}

/// A cookie value valid until `expiry` (Unix seconds).
pub fn issue_until(token: &str, expiry: u64) -> String {
    let expiry = expiry.to_string();
    let tag = mac(token, SESSION_LABEL, expiry.as_bytes())
        .finalize()
        .into_bytes();
    format!("{expiry}.{}", hex::encode(tag))
}

/// Whether `value` is a cookie this token issued and it has not expired (the MAC is compared in constant
/// time).
pub fn verify(token: &str, value: &str) -> bool {
    verify_at(token, value, unix_now())
}

/// [`verify`] at the time `now` (Unix seconds).
pub fn verify_at(token: &str, value: &str, now: u64) -> bool {
    let Some((expiry, tag)) = value.split_once('.') else {
        return false;
    };
    let (Ok(until), Some(tag)) = (expiry.parse::<u64>(), hex::decode(tag).ok()) else {
        return false;
    };
    until > now
        && mac(token, SESSION_LABEL, expiry.as_bytes())
            .verify_slice(&tag)
            .is_ok()
}

/// The CSRF token belonging to the cookie `value` (handed to the page's script in a `<meta>` tag).
pub fn csrf(token: &str, value: &str) -> String {
    hex::encode(
        mac(token, CSRF_LABEL, value.as_bytes())
            .finalize()
            .into_bytes(),
    )
}

/// Whether `presented` is the CSRF token of the cookie `value` (constant time).
pub fn csrf_matches(token: &str, value: &str, presented: &str) -> bool {
    csrf(token, value)
        .as_bytes()
        .ct_eq(presented.as_bytes())
        .into()
}

/// The value of the cookie named [`NAME`] in a `Cookie` request header (`a=1; tinytask_ui=…`).
pub fn find(header: &str) -> Option<&str> {
    header.split(';').find_map(|pair| {
        let (name, value) = pair.trim().split_once('=')?;
        (name == NAME).then_some(value.trim_matches('"'))
    })
}

/// The `Set-Cookie` value that stores `value`: HttpOnly (scripts never see it), SameSite=Strict (no other
/// site's request carries it), Path=/ (it also authenticates /api/v1), Secure when the page came over
/// HTTPS (a TLS-terminating proxy says so in `X-Forwarded-Proto`/`Forwarded`).
pub fn set_header(value: &str, https: bool) -> String {
    let secure = if https { "; Secure" } else { "" };
    format!(
        "{NAME}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        LIFETIME.as_secs()
    )
}

/// The `Set-Cookie` value that removes the cookie (logout).
pub fn clear_header() -> String {
    format!("{NAME}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0")
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "s3cret-token";

    #[test]
    fn an_issued_cookie_verifies_until_it_expires() {
        let value = issue_until(TOKEN, 1_000);
        assert!(verify_at(TOKEN, &value, 999));
        assert!(!verify_at(TOKEN, &value, 1_000), "expired at its expiry");
        assert!(verify(TOKEN, &issue(TOKEN)));
    }

    #[test]
    fn another_token_or_a_changed_cookie_does_not_verify() {
        let value = issue_until(TOKEN, 1_000);
        assert!(
            !verify_at("rotated-token", &value, 10),
            "rotation invalidates"
        );
        let (expiry, tag) = value.split_once('.').unwrap();
        // A later expiry with the old MAC: forged.
        assert!(!verify_at(TOKEN, &format!("2000.{tag}"), 10));
        // One flipped digit of the MAC.
        let flipped = if tag.starts_with('0') { "1" } else { "0" };
        assert!(!verify_at(
            TOKEN,
            &format!("{expiry}.{flipped}{}", &tag[1..]),
            10
        ));
        for junk in [
            "", ".", "1000", "1000.", "x.abcd", "1000.zz", "1000.abc", "-1.00",
        ] {
            assert!(!verify_at(TOKEN, junk, 10), "{junk:?}");
        }
    }

    #[test]
    fn csrf_tokens_belong_to_one_cookie_and_one_server_token() {
        let (a, b) = (issue_until(TOKEN, 1_000), issue_until(TOKEN, 2_000));
        let csrf_a = csrf(TOKEN, &a);
        assert!(csrf_matches(TOKEN, &a, &csrf_a));
        assert!(!csrf_matches(TOKEN, &b, &csrf_a), "another cookie's token");
        assert!(!csrf_matches("rotated-token", &a, &csrf_a));
        assert!(!csrf_matches(TOKEN, &a, ""));
        // The CSRF token is not the cookie's MAC (a page that leaks it does not leak the cookie).
        assert!(!a.ends_with(&csrf_a));
    }

    #[test]
    fn the_cookie_is_found_among_others_and_set_strictly() {
        assert_eq!(find("a=1; tinytask_ui=9.ab; b=2"), Some("9.ab"));
        assert_eq!(find("tinytask_ui=\"9.ab\""), Some("9.ab"));
        assert_eq!(find("tinytask_uix=1; a=2"), None);
        let header = set_header("9.ab", false);
        for part in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"] {
            assert!(header.contains(part), "{header}");
        }
        assert!(!header.contains("Secure"));
        assert!(set_header("9.ab", true).ends_with("; Secure"));
        assert!(clear_header().contains("Max-Age=0"));
    }
}
