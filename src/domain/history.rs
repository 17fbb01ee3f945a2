//! `task_history`: one row per changed field (2.x created the table and never wrote it).

use super::DomainResult;
use super::limits;
use super::rows::HistoryRow;
use super::views::HistoryEntry;
use crate::db::schema::task_history;
use crate::domain::Conn;
use diesel::prelude::*;

/// `changed_by` of status changes TinyTask makes itself when children change (parent status propagation).
pub const PROPAGATION_ACTOR: &str = "tinytask:propagation";

/// Records `field` going from `old` to `new`; does nothing when they are equal.
pub fn record(
    conn: &mut Conn,
    task_id: i32,
    field: &str,
    old: Option<String>,
    new: Option<String>,
    changed_by: Option<&str>,
) -> DomainResult<()> {
    if old == new {
        return Ok(());
    }
    diesel::insert_into(task_history::table)
        .values((
            task_history::task_id.eq(task_id),
            task_history::field_name.eq(field),
            task_history::old_value.eq(old),
            task_history::new_value.eq(new),
            task_history::changed_by.eq(changed_by),
        ))
        .execute(conn)?;
    Ok(())
}

/// The history of one task, oldest first, from `offset`: the rows that can fit in `budget` bytes of JSON
/// (see `limits::load_bounded`; the caller makes the exact cut).
pub fn page(
    conn: &mut Conn,
    task_id: i32,
    offset: i64,
    budget: usize,
) -> DomainResult<Vec<HistoryEntry>> {
    let rows: Vec<HistoryRow> = super::natively!(conn, |c| {
        let query = task_history::table
            .filter(task_history::task_id.eq(task_id))
            .order((task_history::changed_at.asc(), task_history::id.asc()))
            .select(HistoryRow::as_select())
            .offset(offset);
        limits::load_bounded(c, query, usize::MAX, budget)
    })?;
    Ok(rows.into_iter().map(HistoryEntry::from).collect())
}

/// Option<i32> → history text.
pub fn id_text(v: Option<i32>) -> Option<String> {
    v.map(|id| id.to_string())
}
