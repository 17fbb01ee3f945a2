//! The transport-free MCP protocol engine: JSON-RPC envelopes, lifecycle and version negotiation, tools,
//! resources, completion and logging. Transports feed it one message (or batch) at a time per session.

mod completion;
mod engine;
pub mod era;
mod fanout;
mod foreign_push;
pub mod jsonrpc;
mod lifecycle;
mod listen;
mod log_level;
pub mod logging;
mod modern;
mod prompts;
pub mod protocol;
mod resources;
mod session;
pub mod shared;
mod subscriptions;
pub mod tools;

pub use engine::Engine;
pub use session::{Restored, Session, WaitPool};
