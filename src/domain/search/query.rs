//! The `query` text of `search_tasks`: what a user may type, turned into terms that can only ever be
//! searched for, never parsed as full-text syntax.
//!
//! Supported: words (implicitly ANDed, in any field of the task or any of its comments), `"quoted phrases"`
//! (the words in this order, adjacent; an unclosed quote runs to the end), and a trailing `*` on a word or a
//! phrase for a prefix search (`deplo*`). Everything else is plain text: FTS5 operators (`AND`, `OR`, `NOT`,
//! `NEAR(`), column filters (`title:`), `^`, `-`, `+` and parentheses are searched as the words they contain
//! or ignored when they contain none. Matching is case-insensitive; a word is a run of letters and digits
//! (punctuation separates words, as it does in the indexed text).
//!
//! Each term is rendered as one FTS5 string (`"…"`, optionally followed by `*`) whose body holds only the
//! term's letters, digits, spaces and non-ASCII characters: no `"`, no control character, no ASCII
//! punctuation. So whatever the user typed, the expression given to MATCH is a list of quoted strings,
//! which FTS5 cannot fail to parse. Every non-ASCII character is kept (never guessed about) so that the index's
//! tokenizer splits the query exactly as it split the stored text.

use crate::domain::limits::{self, TextLimit};
use crate::domain::{DomainError, DomainResult};

/// Most terms one query may hold: each costs one index lookup per index (docs/TOOLS.md says so).
pub const MAX_TERMS: usize = 32;

/// One searched term: a word or a phrase, maybe a prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// The term's text with ASCII punctuation, quotes and control characters replaced by spaces (never
    /// empty, always holds a letter or digit).
    pub text: String,
    /// `*` followed the term: any word starting with its last word matches.
    pub prefix: bool,
}

impl Term {
    /// The term as an FTS5 string expression. The body cannot contain `"` (see [`clean`]), so it needs no
    /// escaping, and the `*` outside the quotes is FTS5's prefix marker.
    pub fn fts5(&self) -> String {
        let star = if self.prefix { "*" } else { "" };
        format!("\"{}\"{star}", self.text)
    }

    /// The term as PostgreSQL `to_tsquery` text: its words in a row (`<->`), the last one a prefix
    /// (`:*`) when `prefix`. Each word is quoted as a lexeme; the body holds no ASCII quote or backslash
    /// (see [`clean`]), so none needs escaping.
    pub fn tsquery(&self) -> String {
        let star = if self.prefix { ":*" } else { "" };
        let words: Vec<String> = self.text.split(' ').map(|w| format!("'{w}'")).collect();
        format!("({}{star})", words.join(" <-> "))
    }
}

/// A character of a word as the index's tokenizer (FTS5 unicode61: letters, digits, private use) sees it.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
        || matches!(c, '\u{E000}'..='\u{F8FF}' | '\u{F0000}'..='\u{FFFFD}' | '\u{100000}'..='\u{10FFFD}')
}

/// The term's body: ASCII characters other than letters and digits, and every whitespace or control
/// character, become spaces (the tokenizer separates words there anyway); runs of spaces collapse.
fn clean(raw: &str) -> String {
    raw.split(|c: char| {
        (c.is_ascii() && !c.is_ascii_alphanumeric()) || c.is_whitespace() || c.is_control()
    })
    .filter(|w| !w.is_empty())
    .collect::<Vec<_>>()
    .join(" ")
}

/// Adds `raw` (a word or a phrase) as a term, unless it holds no word character.
fn push(terms: &mut Vec<Term>, raw: &str, prefix: bool) {
    if raw.chars().any(is_word_char) {
        let text = clean(raw);
        if !text.is_empty() {
            terms.push(Term { text, prefix });
        }
    }
}

/// Splits the (trimmed) query into terms; see the module documentation for the syntax.
fn split(query: &str) -> Vec<Term> {
    let mut terms = Vec::new();
    let mut chars = query.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut raw = String::new();
        let quoted = c == '"';
        if quoted {
            chars.next();
            for c in chars.by_ref() {
                if c == '"' {
                    break;
                }
                raw.push(c);
            }
        } else {
            // A `"` inside a word starts nothing: it is punctuation like any other.
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() || (c == '"' && raw.is_empty()) {
                    break;
                }
                raw.push(c);
                chars.next();
            }
        }
        let mut prefix = false;
        if quoted {
            while chars.peek() == Some(&'*') {
                prefix = true;
                chars.next();
            }
        } else if raw.ends_with('*') {
            prefix = true;
            raw.truncate(raw.trim_end_matches('*').len());
        }
        push(&mut terms, &raw, prefix);
    }
    terms
}

/// Validates the `query` argument and returns its terms. Errors name `query` and say what is wrong: blank,
/// longer than `limit` (the title limit: a query is at most as long as the longest title), no word at all,
/// or more than [`MAX_TERMS`] terms.
pub fn parse(query: &str, limit: TextLimit) -> DomainResult<Vec<Term>> {
    let trimmed = query.trim();
    if trimmed.is_empty() {
        return Err(DomainError::invalid("query", "must not be empty or blank"));
    }
    limits::check("query", trimmed, limit)?;
    let terms = split(trimmed);
    if terms.is_empty() {
        return Err(DomainError::invalid(
            "query",
            format!(
                "{trimmed:?} contains no word to search for (a word is letters or digits; punctuation and \
                 operators are ignored)"
            ),
        ));
    }
    if terms.len() > MAX_TERMS {
        return Err(DomainError::invalid(
            "query",
            format!(
                "{} words or phrases exceeds the limit of {MAX_TERMS}",
                terms.len()
            ),
        ));
    }
    Ok(terms)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit() -> TextLimit {
        limits::current().title()
    }

    fn rendered(q: &str) -> Vec<String> {
        parse(q, limit()).unwrap().iter().map(Term::fts5).collect()
    }

    #[test]
    fn words_phrases_and_prefixes() {
        assert_eq!(rendered("login bug"), ["\"login\"", "\"bug\""]);
        assert_eq!(
            rendered("  \"exact phrase\"  x "),
            ["\"exact phrase\"", "\"x\""]
        );
        assert_eq!(
            rendered("deplo* \"red gre\"*"),
            ["\"deplo\"*", "\"red gre\"*"]
        );
        assert_eq!(rendered("\"unclosed phrase"), ["\"unclosed phrase\""]);
        assert_eq!(rendered("Déjà-vu 東京"), ["\"Déjà vu\"", "\"東京\""]);
    }

    #[test]
    fn syntax_is_only_ever_text() {
        assert_eq!(
            rendered("NEAR(a b) OR title:x ^y -z +w (p)"),
            [
                "\"NEAR a\"",
                "\"b\"",
                "\"OR\"",
                "\"title x\"",
                "\"y\"",
                "\"z\"",
                "\"w\"",
                "\"p\""
            ]
        );
        assert_eq!(rendered("a\"b c\"\"d"), ["\"a b\"", "\"c d\""]);
        assert_eq!(
            rendered("nul\u{0}byte tab\tx"),
            ["\"nul byte\"", "\"tab\"", "\"x\""]
        );
        for t in parse("\" \"\" \"x\"\"\" ** * - \u{0} \"*\"y", limit()).unwrap() {
            assert!(!t.text.contains('"') && !t.text.trim().is_empty(), "{t:?}");
        }
    }

    #[test]
    fn errors_name_query_and_say_why() {
        let err = |q: &str| parse(q, limit()).unwrap_err().to_string();
        assert_eq!(err("  "), "Invalid `query`: must not be empty or blank");
        assert_eq!(
            err("* - ( ) \"\""),
            "Invalid `query`: \"* - ( ) \\\"\\\"\" contains no word to search for (a word is letters or \
             digits; punctuation and operators are ignored)"
        );
        // Emoji are not letters for the tokenizer either: nothing to search.
        assert!(err("🚀 ✓").contains("contains no word to search for"));
        let many = vec!["w"; MAX_TERMS + 1].join(" ");
        assert_eq!(
            err(&many),
            "Invalid `query`: 33 words or phrases exceeds the limit of 32"
        );
        assert!(parse(&vec!["w"; MAX_TERMS].join(" "), limit()).is_ok());
        let small = TextLimit {
            bytes: 4,
            variable: "TINYTASK_MAX_TITLE_BYTES",
        };
        assert_eq!(
            parse("abcde", small).unwrap_err().to_string(),
            "Invalid `query`: 5 bytes exceeds the limit of 4 bytes (TINYTASK_MAX_TITLE_BYTES)"
        );
    }
}
