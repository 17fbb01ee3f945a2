//! TinyTask: a shared task board for teams of LLM agents, served over MCP.
//!
//! Layers (each may only call the ones above it in this list):
//! `config` → `db` → `domain` → `mcp` → `transports` → `startup` → `cli`/`main`; `metrics` is a leaf every
//! layer may record into.
//! See docs/ARCHITECTURE.md for the module map and the path of a `tools/call`.

pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod mcp;
pub mod metrics;
pub mod ops;
pub mod startup;
pub mod telemetry;
pub mod transports;
