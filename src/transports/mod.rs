//! Transports move bytes between clients and the [`crate::mcp::Engine`]; they hold no business logic.

pub mod http;
pub mod stdio;
