//! The `UPDATE tasks` of `update_task`, written as a diesel query fragment so its prepared statement is
//! cached. diesel's own `UpdateStatement` marks every UPDATE as not cacheable (a changeset with optional
//! fields yields different SQL under one type), so each update used to re-parse its SQL — 14% of the
//! writer thread's time under `update_task` load (docs/benchmarks.md). Here the statement cache is keyed
//! by the SQL text (no static query id), so each combination of changed columns is prepared once.

use crate::domain::Conn;
use crate::domain::MultiBackend as Sqlite;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{HasSqlType, Integer, Nullable, Text};
use diesel::{QueryResult, RunQueryDsl};

/// The columns an update sets (`None`: unchanged). `Some(None)` stores NULL.
#[derive(Default)]
pub(super) struct Changeset {
    pub title: Option<String>,
    pub description: Option<Option<String>>,
    pub status: Option<String>,
    pub assigned_to: Option<Option<String>>,
    pub previous_assigned_to: Option<Option<String>>,
    pub priority: Option<Option<i32>>,
    pub tags: Option<Option<String>>,
    pub parent_task_id: Option<Option<i32>>,
    pub queue_name: Option<Option<String>>,
    pub blocked_by_task_id: Option<Option<i32>>,
}

/// `UPDATE tasks SET <changed columns>, updated_at = <now> WHERE id = ?`.
pub(super) struct UpdateRow<'a> {
    pub id: i32,
    pub set: &'a Changeset,
    /// The backend's current time (`clock::now_sql`).
    pub now: &'static str,
}

fn assign<'b, ST, T>(
    out: &mut AstPass<'_, 'b, Sqlite>,
    column: &str,
    value: &'b Option<T>,
) -> QueryResult<()>
where
    Sqlite: HasSqlType<ST>,
    T: ToSql<ST, Sqlite>,
{
    if let Some(value) = value {
        out.push_identifier(column)?;
        out.push_sql(" = ");
        out.push_bind_param::<ST, T>(value)?;
        out.push_sql(", ");
    }
    Ok(())
}

impl QueryFragment<Sqlite> for UpdateRow<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        let s = self.set;
        out.push_sql("UPDATE tasks SET ");
        assign::<Text, _>(&mut out, "title", &s.title)?;
        assign::<Nullable<Text>, _>(&mut out, "description", &s.description)?;
        assign::<Text, _>(&mut out, "status", &s.status)?;
        assign::<Nullable<Text>, _>(&mut out, "assigned_to", &s.assigned_to)?;
        assign::<Nullable<Text>, _>(&mut out, "previous_assigned_to", &s.previous_assigned_to)?;
        assign::<Nullable<Integer>, _>(&mut out, "priority", &s.priority)?;
        assign::<Nullable<Text>, _>(&mut out, "tags", &s.tags)?;
        assign::<Nullable<Integer>, _>(&mut out, "parent_task_id", &s.parent_task_id)?;
        assign::<Nullable<Text>, _>(&mut out, "queue_name", &s.queue_name)?;
        assign::<Nullable<Integer>, _>(&mut out, "blocked_by_task_id", &s.blocked_by_task_id)?;
        out.push_sql("updated_at = ");
        out.push_sql(self.now);
        out.push_sql(" WHERE id = ");
        out.push_bind_param::<Integer, _>(&self.id)?;
        Ok(())
    }
}

/// Not static: diesel then keys the statement cache by the SQL text, which differs per column set.
impl QueryId for UpdateRow<'_> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl RunQueryDsl<Conn> for UpdateRow<'_> {}
