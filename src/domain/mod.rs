//! The task board's business rules, independent of MCP and of any transport.
//!
//! Every operation is a plain function over a `&mut Conn` (SQLite or PostgreSQL, `conn.rs`), run by [`Board`] inside a transaction:
//! reads on a reader thread, writes on the group-commit writer thread (a savepoint each, in a shared
//! IMMEDIATE transaction that commits before anyone is answered). Inputs are the tool argument types (their field names are
//! the TinyTask 2.x contract); outputs are the JSON views in [`views`].

// Operations take their argument struct by value whether or not they keep its strings: one signature,
// `fn(&mut Conn, Args)`, for every tool (mcp/tools/def.rs).
#![allow(clippy::needless_pass_by_value)]

pub mod agents;
mod blocking;
mod board;
pub mod board_stats;
pub mod changes;
pub mod claims;
pub(crate) mod clock;
pub mod comments;
mod conn;
pub mod dependencies;
pub(crate) mod dialect;
mod error;
pub mod events;
mod hierarchy;
mod history;
pub mod input;
pub mod leases;
pub mod limits;
pub mod links;
pub mod projection;
pub mod queues;
pub(crate) mod rows;
pub mod search;
pub mod shared_sessions;
mod status;
pub mod subtasks;
pub mod tasks;
mod text;
pub mod upkeep;
pub mod views;
pub mod waiting;

pub use board::{Board, ChangeListener, Wake};
pub(crate) use conn::natively;
pub use conn::{Backend, Conn, MultiBackend};
pub use error::{DomainError, DomainResult};
pub use history::PROPAGATION_ACTOR;
pub use status::TaskStatus;

#[cfg(test)]
mod rule_tests;
#[cfg(test)]
pub(crate) mod test_support;
