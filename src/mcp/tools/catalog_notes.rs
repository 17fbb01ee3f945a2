//! Comment and link tools (TinyTask 2.x names and parameters).

use super::def::{Effect, ToolDef};
use crate::config::Toolset::{Comments, Core, Links};
use crate::domain::input::{CommentId, LinkId};
use crate::domain::{comments, links};

pub fn tools() -> Vec<ToolDef> {
    vec![
        ToolDef::new(
            "add_comment",
            "Add comment",
            "Comment on a task. Returns the comment.",
            Effect::Write,
            comments::add,
        )
        .member_of(&[Core, Comments]),
        ToolDef::new(
            "update_comment",
            "Update comment",
            "Replace a comment's text. Returns the comment.",
            Effect::IdempotentWrite,
            comments::update,
        )
        .member_of(&[Comments]),
        ToolDef::new(
            "delete_comment",
            "Delete comment",
            "Permanently delete a comment. Returns {success, message, id}.",
            Effect::Destructive,
            |c, a: CommentId| comments::delete(c, a.id),
        )
        .member_of(&[Comments]),
        ToolDef::new(
            "list_comments",
            "List comments",
            "A task's comments, oldest first. Returns {task_id, count, comments}; cut at the response size limit with \
             has_more and next_offset.",
            Effect::Read,
            comments::list,
        )
        .member_of(&[Comments]),
        ToolDef::new(
            "get_comment",
            "Get comment",
            "Get one comment by id.",
            Effect::Read,
            |c, a: CommentId| comments::get(c, a.id),
        )
        .member_of(&[Comments]),
        ToolDef::new(
            "move_comment",
            "Move comment",
            "Move a comment to another task: a copy (same content and author) is added to to_task_id and the \
             original's text becomes \"Comment moved to task <to_task_id> comment <new id>\". Returns the new \
             comment.",
            Effect::Destructive,
            comments::move_to,
        )
        .member_of(&[Comments]),
        ToolDef::new(
            "add_link",
            "Add link",
            "Attach a link (a URL, file path or other reference) to a task. Returns the link.",
            Effect::Write,
            links::add,
        )
        .member_of(&[Links]),
        ToolDef::new(
            "update_link",
            "Update link",
            "Change a link's url and/or description. Returns the link.",
            Effect::IdempotentWrite,
            links::update,
        )
        .member_of(&[Links]),
        ToolDef::new(
            "delete_link",
            "Delete link",
            "Permanently delete a link. Returns {success, message, id}.",
            Effect::Destructive,
            |c, a: LinkId| links::delete(c, a.id),
        )
        .member_of(&[Links]),
        ToolDef::new(
            "list_links",
            "List links",
            "A task's links, oldest first. Returns {task_id, count, links}; cut at the response size limit with \
             has_more and next_offset.",
            Effect::Read,
            links::list,
        )
        .member_of(&[Links]),
    ]
}
