//! Links (URLs, file paths, references) attached to tasks.

use super::comments::DeletedItem;
use super::input;
use super::limits::{self, Cut, Paged, impl_paged};
use super::rows::LinkRow;
use super::tasks::TaskItems;
use super::tasks::find_row;
use super::text;
use super::views::Link;
use super::{DomainError, DomainResult};
use crate::db::schema::links as l;
use crate::domain::Conn;
use diesel::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AddLink {
    /// Task to attach the link to.
    #[serde(deserialize_with = "input::id")]
    #[schemars(with = "crate::domain::input::IdSchema")]
    pub task_id: i32,
    /// URL or path (non-blank).
    pub url: String,
    /// What the link points to.
    #[serde(default)]
    pub description: Option<String>,
    /// Who added it.
    #[serde(default)]
    pub created_by: Option<String>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateLink {
    /// Link id.
    #[serde(deserialize_with = "input::id")]
    #[schemars(with = "crate::domain::input::IdSchema")]
    pub id: i32,
    /// New URL (non-blank).
    #[serde(default)]
    pub url: Option<String>,
    /// New description; null or "" clears it.
    #[serde(default, deserialize_with = "input::patch_text")]
    #[schemars(with = "Option<String>")]
    pub description: Option<Option<String>>,
}

/// Result of `list_links`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct LinkList {
    pub task_id: i32,
    pub count: usize,
    pub links: Vec<Link>,
    #[serde(flatten)]
    pub cut: Cut,
}

fn find(conn: &mut Conn, id: i32) -> DomainResult<LinkRow> {
    l::table
        .filter(l::id.eq(id))
        .select(LinkRow::as_select())
        .get_result(conn)
        .optional()?
        .ok_or(DomainError::not_found("Link", id))
}

pub fn add(conn: &mut Conn, args: AddLink) -> DomainResult<Link> {
    let limits = limits::current();
    let url = text::required_max("url", &args.url, limits.link())?;
    let description =
        text::optional_max("description", args.description.as_deref(), limits.link())?;
    let by = text::optional_max("created_by", args.created_by.as_deref(), limits.name())?;
    find_row(conn, "Task", args.task_id)?;
    super::events::context::act(conn, by.as_deref(), None)?;
    if let Some(by) = by.as_deref() {
        // A link added by the lease holder is a sign of life.
        super::leases::renew_if_holder(conn, args.task_id, by)?;
    }
    let row: LinkRow = diesel::insert_into(l::table)
        .values((
            l::task_id.eq(args.task_id),
            l::url.eq(url),
            l::description.eq(description),
            l::created_by.eq(by),
        ))
        .returning(l::all_columns)
        .get_result(conn)?;
    Ok(row.into())
}

pub fn update(conn: &mut Conn, args: UpdateLink) -> DomainResult<Link> {
    let limit = limits::current().link();
    let url = args
        .url
        .as_deref()
        .map(|u| text::required_max("url", u, limit))
        .transpose()?;
    let description = args
        .description
        .map(|d| text::optional_max("description", d.as_deref(), limit))
        .transpose()?;
    find(conn, args.id)?;
    if url.is_some() || description.is_some() {
        diesel::update(l::table.filter(l::id.eq(args.id)))
            .set((
                url.map(|u| l::url.eq(u)),
                description.map(|d| l::description.eq(d)),
            ))
            .execute(conn)?;
    }
    Ok(find(conn, args.id)?.into())
}

pub fn delete(conn: &mut Conn, id: i32) -> DomainResult<DeletedItem> {
    find(conn, id)?;
    diesel::delete(l::table.filter(l::id.eq(id))).execute(conn)?;
    Ok(DeletedItem {
        success: true,
        message: format!("Link {id} deleted successfully"),
        id,
    })
}

/// The links of a task, oldest first, from `offset`, cut to the response limit.
pub fn list(conn: &mut Conn, args: TaskItems) -> DomainResult<LinkList> {
    let offset = limits::offset(args.offset)?;
    find_row(conn, "Task", args.task_id)?;
    let cap = limits::current().response_bytes;
    let query = l::table
        .filter(l::task_id.eq(args.task_id))
        .order((l::created_at.asc(), l::id.asc()))
        .select(LinkRow::as_select())
        .offset(offset);
    let items: Vec<Link> = limits::load_bounded(conn, query, usize::MAX, cap)?
        .into_iter()
        .map(Link::from)
        .collect();
    let shell = LinkList {
        task_id: args.task_id,
        count: 0,
        links: Vec::new(),
        cut: Cut::default(),
    };
    Ok(shell.paged(items, offset, cap))
}

impl_paged!(LinkList, Link, links, count);
