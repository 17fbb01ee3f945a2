//! The little that differs between the backends' SQL text in the hand-written statements (the DSL's
//! statements need nothing: diesel writes each backend's own).

use super::conn::{Backend, Conn};
use std::borrow::Cow;

/// `sql`, written with SQLite's placeholders (`?` in order, or `?1`, `?2` …), in `conn`'s: PostgreSQL
/// numbers them `$1`, `$2` …. The statements are TinyTask's own constants, none of which holds a `?`
/// inside a string literal.
pub fn placeholders<'a>(conn: &Conn, sql: &'a str) -> Cow<'a, str> {
    match conn.backend() {
        Backend::Sqlite => Cow::Borrowed(sql),
        Backend::Postgres => Cow::Owned(numbered(sql)),
    }
}

fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut next = 1;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '?' {
            out.push(c);
            continue;
        }
        out.push('$');
        if chars.peek().is_some_and(char::is_ascii_digit) {
            while let Some(d) = chars.next_if(char::is_ascii_digit) {
                out.push(d);
            }
        } else {
            out.push_str(&next.to_string());
            next += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::numbered;

    #[test]
    fn placeholders_are_numbered_in_order_or_kept_as_numbered() {
        assert_eq!(
            numbered("a = ? AND b = ? OR c = ?"),
            "a = $1 AND b = $2 OR c = $3"
        );
        assert_eq!(
            numbered("x = ?2 AND y = ?1 AND z = ?12"),
            "x = $2 AND y = $1 AND z = $12"
        );
        assert_eq!(numbered("no placeholders"), "no placeholders");
    }
}
