//! Size limits: the longest text each stored field may hold, and the largest JSON result a list may grow to
//! before it is cut at an item boundary (see [`fit`]).
//!
//! The limits are one process-wide value, installed once at startup from the configuration
//! ([`install`]) and read by the plain domain functions through [`current`]. A global rather than a
//! parameter because every operation is a `fn(&mut Conn, Args)` used as a tool handler (and by
//! future REST routes): threading a limits value through every signature would change them all for a value
//! that never changes while the process runs. Unit tests override it per thread ([`with_limits`]); the
//! domain rule tests call the operations on their own thread, so the override reaches them.

use super::{DomainError, DomainResult};
use serde::Serialize;
use std::sync::{LazyLock, OnceLock};

/// A limit on one kind of text: its size in bytes (UTF-8) and the variable that configures it (named in
/// errors, so the caller knows what to raise).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextLimit {
    pub bytes: usize,
    pub variable: &'static str,
}

/// Every size limit: the type and its defaults belong to the configuration (`config/settings.rs` defines
/// each value once); what the limits mean for the board's texts and lists is here.
pub use crate::config::Limits;

impl Limits {
    pub fn title(&self) -> TextLimit {
        TextLimit {
            bytes: self.title_bytes,
            variable: "TINYTASK_MAX_TITLE_BYTES",
        }
    }
    pub fn description(&self) -> TextLimit {
        TextLimit {
            bytes: self.description_bytes,
            variable: "TINYTASK_MAX_DESCRIPTION_BYTES",
        }
    }
    pub fn comment(&self) -> TextLimit {
        TextLimit {
            bytes: self.comment_bytes,
            variable: "TINYTASK_MAX_COMMENT_BYTES",
        }
    }
    pub fn link(&self) -> TextLimit {
        TextLimit {
            bytes: self.link_bytes,
            variable: "TINYTASK_MAX_LINK_BYTES",
        }
    }
    pub fn tag(&self) -> TextLimit {
        TextLimit {
            bytes: self.tag_bytes,
            variable: "TINYTASK_MAX_TAG_BYTES",
        }
    }
    pub fn name(&self) -> TextLimit {
        TextLimit {
            bytes: self.name_bytes,
            variable: "TINYTASK_MAX_NAME_BYTES",
        }
    }
}

static INSTALLED: OnceLock<Limits> = OnceLock::new();
/// What [`current`] answers before [`install`] (tests, fuzzing): parsed once, not per call.
static DEFAULTS: LazyLock<Limits> = LazyLock::new(Limits::default);

/// Sets the process-wide limits (once, at startup, before the first request). A second call is ignored
/// and returns false: the limits never change while requests run.
pub fn install(limits: Limits) -> bool {
    INSTALLED.set(limits).is_ok()
}

#[cfg(test)]
thread_local! {
    static OVERRIDE: std::cell::Cell<Option<Limits>> = const { std::cell::Cell::new(None) };
}

/// The limits in force (the defaults until [`install`] is called).
pub fn current() -> Limits {
    #[cfg(test)]
    if let Some(l) = OVERRIDE.with(std::cell::Cell::get) {
        return l;
    }
    INSTALLED.get().copied().unwrap_or_else(|| *DEFAULTS)
}

/// Runs `f` with `limits` in force on this thread (tests only).
#[cfg(test)]
pub fn with_limits<R>(limits: Limits, f: impl FnOnce() -> R) -> R {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            OVERRIDE.with(|o| o.set(None));
        }
    }
    OVERRIDE.with(|o| o.set(Some(limits)));
    let _reset = Reset;
    f()
}

/// Rejects `value` (already trimmed: the stored form is what is measured) when it is longer than `limit`.
pub fn check(field: &'static str, value: &str, limit: TextLimit) -> DomainResult<()> {
    if value.len() > limit.bytes {
        return Err(DomainError::invalid(
            field,
            format!(
                "{} bytes exceeds the limit of {} bytes ({})",
                value.len(),
                limit.bytes,
                limit.variable
            ),
        ));
    }
    Ok(())
}

/// Counts bytes written, so an item's JSON size is known without keeping its text.
struct Counter(usize);

impl std::io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Exact size of `value` as compact JSON (what the tool result will contain).
pub fn json_len<T: Serialize + ?Sized>(value: &T) -> usize {
    let mut counter = Counter(0);
    // Serializing the view types cannot fail (no maps with non-string keys, no custom errors).
    let _ = serde_json::to_writer(&mut counter, value);
    counter.0
}

/// Room for what a cut adds to the envelope (`,"has_more":true,"next_offset":N`) and for the digits of
/// `count`, which the caller measured as 0; see [`fit`].
pub const ENVELOPE_SLACK: usize = 96;

/// The LIMIT of a boxed query that only has an OFFSET. SQLite needs a LIMIT before OFFSET; for a plain
/// query diesel writes `LIMIT -1` itself, but the boxed queries of the two-backend connection write the
/// OFFSET alone (a syntax error on SQLite), so those say "every row" explicitly.
pub const NO_LIMIT: i64 = i64::MAX;

/// Number of decimal digits of `n`.
fn digits(n: usize) -> usize {
    n.checked_ilog10().map_or(1, |d| d as usize + 1)
}

/// Keeps the longest prefix of `items` that fits in `cap` bytes of JSON, given the `overhead` of
/// everything around the list (measured with the list empty and its count 0); returns whether anything
/// was cut. A list that fits whole is left alone, so results that fit are unchanged. When cutting, room is
/// kept for `has_more`/`next_offset`. The first item is always kept, so paging with `next_offset` always
/// makes progress; one item is bounded by the text limits.
pub fn fit<T: Serialize>(items: &mut Vec<T>, overhead: usize, cap: usize) -> bool {
    let sizes: Vec<usize> = items.iter().map(json_len).collect();
    let whole = overhead + digits(items.len()) - 1
        + sizes.iter().sum::<usize>()
        + sizes.len().saturating_sub(1);
    if whole <= cap {
        return false;
    }
    let mut used = overhead + ENVELOPE_SLACK;
    let mut keep = sizes.len();
    for (i, size) in sizes.iter().enumerate() {
        let size = size + usize::from(i > 0);
        if used + size > cap && i > 0 {
            keep = i;
            break;
        }
        used += size;
    }
    // A single item over the cap is kept whole, which is no cut.
    let cut = keep < items.len();
    items.truncate(keep);
    cut
}

/// JSON size of a list's items with the commas between them (not the brackets).
pub fn items_len<T: Serialize>(items: &[T]) -> usize {
    items.iter().map(json_len).sum::<usize>() + items.len().saturating_sub(1)
}

/// Keeps the longest prefix of `items` that fits after `used` bytes already spent, possibly none (for
/// lists nested in one object, which other tools page). Returns (cut, bytes used afterwards).
pub fn fit_from<T: Serialize>(items: &mut Vec<T>, mut used: usize, cap: usize) -> (bool, usize) {
    let mut keep = items.len();
    for (i, item) in items.iter().enumerate() {
        // One comma between items.
        let size = json_len(item) + usize::from(i > 0);
        if used + size > cap {
            keep = i;
            break;
        }
        used += size;
    }
    let cut = keep < items.len();
    items.truncate(keep);
    (cut, used)
}

/// A list cut to the response limit, and whether (and where) it was cut.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub cut: Cut,
}

impl<T: Serialize> Page<T> {
    /// Cuts `items` (which started at `offset`) to fit `overhead + items ≤ cap`.
    pub fn fit(mut items: Vec<T>, offset: i64, overhead: usize, cap: usize) -> Page<T> {
        let cut = fit(&mut items, overhead, cap);
        Page {
            cut: Cut::new(cut, offset, items.len()),
            items,
        }
    }
}

/// A list-shaped result around one list. It is measured while its list is empty and its count 0, then
/// given the page that fits: one place for that order, which every list result must follow for the cut to
/// be exact.
pub trait Paged: Serialize + Sized {
    type Item: Serialize;

    /// Puts `page` in: the list, its count and the cut.
    fn set_page(&mut self, page: Page<Self::Item>);

    /// JSON size of everything around the list (while the list is empty).
    fn overhead(&self) -> usize {
        json_len(self)
    }

    /// `self` (list empty) around the longest prefix of `items`, read from `offset`, that fits `cap`.
    fn paged(mut self, items: Vec<Self::Item>, offset: i64, cap: usize) -> Self {
        let overhead = self.overhead();
        self.set_page(Page::fit(items, offset, overhead, cap));
        self
    }
}

/// `impl Paged` for a list view whose page is its list field `$items`, that list's length `$count` and
/// `cut`: `impl_paged!(CommentList, Comment, comments, count)`.
macro_rules! impl_paged {
    ($view:ty, $item:ty, $items:ident, $count:ident) => {
        impl $crate::domain::limits::Paged for $view {
            type Item = $item;
            fn set_page(&mut self, page: $crate::domain::limits::Page<$item>) {
                self.$count = page.items.len();
                self.$items = page.items;
                self.cut = page.cut;
            }
        }
    };
}
pub(crate) use impl_paged;

/// An integer argument bounded to `range` (absent = `default`), rejected naming the parameter and the
/// range: "Invalid `limit`: must be between 1 and 1000, got 0". `unit` follows the upper bound.
pub fn within(
    field: &'static str,
    value: Option<i64>,
    default: i64,
    range: std::ops::RangeInclusive<i64>,
    unit: &str,
) -> DomainResult<i64> {
    match value.unwrap_or(default) {
        v if range.contains(&v) => Ok(v),
        v => Err(super::DomainError::invalid(
            field,
            format!(
                "must be between {} and {}{unit}, got {v}",
                range.start(),
                range.end()
            ),
        )),
    }
}

/// An `offset` argument: absent = 0, negative is rejected naming the parameter.
pub fn offset(value: Option<i64>) -> DomainResult<i64> {
    match value {
        Some(o) if o < 0 => Err(DomainError::invalid(
            "offset",
            format!("must be at least 0, got {o}"),
        )),
        other => Ok(other.unwrap_or(0)),
    }
}

/// A lower bound of a row's JSON size, cheap to compute before the row becomes a view: the lengths of its
/// texts plus the fixed keys and punctuation of its view (escaping only makes the real JSON longer). Used to
/// stop reading rows once they certainly exceed the cap, so a huge table is never loaded whole.
pub trait MinJson {
    fn min_json(&self) -> usize;
}

/// Reads rows in order while the lower bound of what was read stays within `cap`, plus one row more as
/// proof that the cut that follows (exact, on the views) really leaves rows out. At most `max_rows` rows.
pub fn load_bounded<'q, C, Q, R>(
    conn: &mut C,
    query: Q,
    max_rows: usize,
    cap: usize,
) -> diesel::QueryResult<Vec<R>>
where
    C: diesel::connection::LoadConnection,
    Q: diesel::query_dsl::LoadQuery<'q, C, R> + 'q,
    R: MinJson + 'static,
{
    load_bounded_by(conn, query, max_rows, cap, R::min_json)
}

/// [`load_bounded`] with the lower bound of each row's JSON given by `min_json` (a projected task list
/// returns fewer keys than the row's [`MinJson`] counts).
pub fn load_bounded_by<'q, C, Q, R>(
    conn: &mut C,
    query: Q,
    max_rows: usize,
    cap: usize,
    min_json: impl Fn(&R) -> usize,
) -> diesel::QueryResult<Vec<R>>
where
    C: diesel::connection::LoadConnection,
    Q: diesel::query_dsl::LoadQuery<'q, C, R> + 'q,
    R: 'static,
{
    let mut rows = Vec::new();
    let mut estimate = 0usize;
    for row in query
        .load_iter::<R, diesel::connection::DefaultLoadingMode>(conn)?
        .take(max_rows)
    {
        let row = row?;
        if estimate > cap {
            rows.push(row);
            break;
        }
        estimate += min_json(&row) + 1;
        rows.push(row);
    }
    Ok(rows)
}

/// How a cut list says so: `has_more: true` and the offset to continue from. Both absent when nothing was
/// cut, so results that fit are byte-for-byte what they were before limits existed (flattened into each
/// list result, after its 2.x keys).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Cut {
    /// Only present (true) when the list was cut to stay within the response size limit
    /// (TINYTASK_MAX_RESPONSE_BYTES); the rest starts at next_offset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub has_more: Option<bool>,
    /// Only present with has_more: the `offset` to pass to get the next items.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_offset: Option<i64>,
}

impl Cut {
    /// `cut` from [`fit`], `offset` the list started at, `kept` the items returned.
    pub fn new(cut: bool, offset: i64, kept: usize) -> Cut {
        if cut {
            Cut {
                has_more: Some(true),
                next_offset: Some(offset + kept as i64),
            }
        } else {
            Cut::default()
        }
    }

    pub fn is_cut(&self) -> bool {
        self.has_more == Some(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_names_field_size_limit_and_variable() {
        let limit = Limits::default().description();
        assert!(check("description", &"x".repeat(65536), limit).is_ok());
        assert_eq!(
            check("description", &"x".repeat(70000), limit)
                .unwrap_err()
                .to_string(),
            "Invalid `description`: 70000 bytes exceeds the limit of 65536 bytes (TINYTASK_MAX_DESCRIPTION_BYTES)"
        );
        // Bytes, not characters: 3 × "é" is 6 bytes.
        let small = TextLimit {
            bytes: 5,
            variable: "V",
        };
        assert!(check("title", "ééé", small).is_err());
        assert!(check("title", "éé", small).is_ok());
    }

    #[test]
    fn json_len_is_the_serialized_length() {
        let v = serde_json::json!({"a": "x\"y", "b": [1, 2]});
        assert_eq!(json_len(&v), serde_json::to_string(&v).unwrap().len());
    }

    #[test]
    fn fit_keeps_the_longest_prefix_and_at_least_one_item() {
        // Each item is `"xxxxxxxx"` = 10 bytes; with commas, n items take 11n - 1 bytes.
        // The overhead was measured with count 0; 10 items make the count one digit longer.
        let item = "x".repeat(8);
        let mut items = vec![item.clone(); 10];
        assert!(!fit(&mut items, 0, 110), "exactly fits");
        assert_eq!(items.len(), 10);
        assert!(fit(&mut items, 0, 109));
        // Cutting keeps room for has_more/next_offset.
        assert_eq!(items.len(), (109 - ENVELOPE_SLACK + 1) / 11);
        let mut items = vec![item.clone(); 20];
        assert!(fit(&mut items, 100, 100 + ENVELOPE_SLACK + 32));
        assert_eq!(items.len(), 3);
        let mut items = vec![item; 3];
        assert!(fit(&mut items, 0, 1), "one item always stays");
        assert_eq!(items.len(), 1);
        let mut empty: Vec<String> = Vec::new();
        assert!(!fit(&mut empty, 0, 1));
    }

    #[test]
    fn cut_is_absent_when_nothing_was_cut() {
        assert_eq!(Cut::new(false, 5, 3), Cut::default());
        assert_eq!(
            Cut::new(true, 5, 3),
            Cut {
                has_more: Some(true),
                next_offset: Some(8)
            }
        );
    }

    #[test]
    fn override_is_per_thread_and_reset() {
        let small = Limits {
            title_bytes: 3,
            ..Limits::default()
        };
        with_limits(small, || assert_eq!(current().title_bytes, 3));
        assert_eq!(current().title_bytes, Limits::default().title_bytes);
    }
}
