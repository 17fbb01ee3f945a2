//! Comments on tasks.

use super::events::context::{self, Intent};
use super::input;
use super::limits::{self, Cut, Paged, impl_paged};
use super::rows::CommentRow;
use super::tasks::TaskItems;
use super::tasks::find_row;
use super::text;
use super::views::Comment;
use super::{DomainError, DomainResult};
use crate::db::schema::comments as c;
use crate::domain::Conn;
use diesel::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AddComment {
    #[serde(deserialize_with = "input::id")]
    #[schemars(with = "crate::domain::input::IdSchema")]
    pub task_id: i32,
    /// Non-blank text.
    pub content: String,
    /// Author (agent or person).
    #[serde(default)]
    pub created_by: Option<String>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateComment {
    /// Comment id.
    #[serde(deserialize_with = "input::id")]
    #[schemars(with = "crate::domain::input::IdSchema")]
    pub id: i32,
    /// New text (non-blank).
    pub content: String,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveComment {
    /// Comment to move.
    #[serde(deserialize_with = "input::id")]
    #[schemars(with = "crate::domain::input::IdSchema")]
    pub comment_id: i32,
    /// Task that receives the comment (must differ from the comment's task).
    #[serde(deserialize_with = "input::id")]
    #[schemars(with = "crate::domain::input::IdSchema")]
    pub to_task_id: i32,
}

/// Result of `list_comments`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CommentList {
    pub task_id: i32,
    pub count: usize,
    pub comments: Vec<Comment>,
    #[serde(flatten)]
    pub cut: Cut,
}

fn find(conn: &mut Conn, id: i32) -> DomainResult<CommentRow> {
    c::table
        .filter(c::id.eq(id))
        .select(CommentRow::as_select())
        .get_result(conn)
        .optional()?
        .ok_or(DomainError::not_found("Comment", id))
}

pub(crate) fn insert(
    conn: &mut Conn,
    task_id: i32,
    content: String,
    by: Option<String>,
) -> DomainResult<Comment> {
    let row: CommentRow = diesel::insert_into(c::table)
        .values((
            c::task_id.eq(task_id),
            c::content.eq(content),
            c::created_by.eq(by),
        ))
        .returning(c::all_columns)
        .get_result(conn)?;
    Ok(row.into())
}

pub fn add(conn: &mut Conn, args: AddComment) -> DomainResult<Comment> {
    let limits = limits::current();
    let content = text::required_max("content", &args.content, limits.comment())?;
    let by = text::optional_max("created_by", args.created_by.as_deref(), limits.name())?;
    find_row(conn, "Task", args.task_id)?;
    super::events::context::act(conn, by.as_deref(), None)?;
    if let Some(by) = by.as_deref() {
        // A comment by the lease holder is a sign of life.
        super::leases::renew_if_holder(conn, args.task_id, by)?;
    }
    insert(conn, args.task_id, content, by)
}

pub fn get(conn: &mut Conn, id: i32) -> DomainResult<Comment> {
    Ok(find(conn, id)?.into())
}

pub fn update(conn: &mut Conn, args: UpdateComment) -> DomainResult<Comment> {
    let content = text::required_max("content", &args.content, limits::current().comment())?;
    let row = find(conn, args.id)?;
    if row.content != content {
        diesel::update(c::table.filter(c::id.eq(args.id)))
            .set((
                c::content.eq(content),
                c::updated_at.eq(super::clock::now(conn)),
            ))
            .execute(conn)?;
    }
    get(conn, args.id)
}

/// Result of the delete tools.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DeletedItem {
    pub success: bool,
    pub message: String,
    pub id: i32,
}

pub fn delete(conn: &mut Conn, id: i32) -> DomainResult<DeletedItem> {
    find(conn, id)?;
    diesel::delete(c::table.filter(c::id.eq(id))).execute(conn)?;
    Ok(DeletedItem {
        success: true,
        message: format!("Comment {id} deleted successfully"),
        id,
    })
}

/// The comments of a task, oldest first, from `offset`, cut to the response limit.
pub fn list(conn: &mut Conn, args: TaskItems) -> DomainResult<CommentList> {
    let offset = limits::offset(args.offset)?;
    find_row(conn, "Task", args.task_id)?;
    let cap = limits::current().response_bytes;
    let query = c::table
        .filter(c::task_id.eq(args.task_id))
        .order((c::created_at.asc(), c::id.asc()))
        .select(CommentRow::as_select())
        .offset(offset);
    let items: Vec<Comment> = limits::load_bounded(conn, query, usize::MAX, cap)?
        .into_iter()
        .map(Comment::from)
        .collect();
    let shell = CommentList {
        task_id: args.task_id,
        count: 0,
        comments: Vec::new(),
        cut: Cut::default(),
    };
    Ok(shell.paged(items, offset, cap))
}

impl_paged!(CommentList, Comment, comments, count);

/// Copies the comment to another task and leaves a forwarding note in place of the original.
pub fn move_to(conn: &mut Conn, args: MoveComment) -> DomainResult<Comment> {
    let original = find(conn, args.comment_id)?;
    find_row(conn, "Target task", args.to_task_id)?;
    if original.task_id == args.to_task_id {
        return Err(DomainError::invalid(
            "to_task_id",
            format!(
                "comment {} already belongs to task {}",
                args.comment_id, args.to_task_id
            ),
        ));
    }
    context::act(conn, None, Some((Intent::CommentMoved, args.to_task_id)))?;
    let moved = insert(conn, args.to_task_id, original.content, original.created_by)?;
    diesel::update(c::table.filter(c::id.eq(args.comment_id)))
        .set((
            c::content.eq(format!(
                "Comment moved to task {} comment {}",
                args.to_task_id, moved.id
            )),
            c::updated_at.eq(super::clock::now(conn)),
        ))
        .execute(conn)?;
    Ok(moved)
}
