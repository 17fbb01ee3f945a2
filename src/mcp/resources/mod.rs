//! MCP resources: the TinyTask 2.x URIs (concrete ones in `resources/list`, parameterised ones as RFC 6570
//! templates in `resources/templates/list`) and `resources/read`.

mod catalog;
mod query;
mod read;
mod render;
mod uri;

#[cfg(test)]
mod projection_tests;

pub use catalog::{list, templates};
pub use read::read;
pub use uri::{ResourceRef, parse as parse_uri};
