//! [`ToolDef`]: one tool — name, texts, annotations, generated schemas and a type-erased handler.

use super::args::parse_arguments;
use super::error::ToolError;
use super::schema::schema_for;
use crate::domain::{Board, Conn, DomainError, DomainResult};
use crate::mcp::jsonrpc::Json;
use crate::mcp::protocol::{Tool, ToolAnnotations};
use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// How a tool affects the board; drives the MCP annotations and read vs write transactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Only reads (`readOnlyHint`).
    Read,
    /// Creates or changes data; repeating it has further effect.
    Write,
    /// Sets fields to given values; repeating it changes nothing more (`idempotentHint`).
    IdempotentWrite,
    /// Deletes or irreversibly rewrites data (`destructiveHint`).
    Destructive,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;
type Handler = dyn Fn(Board, Value) -> BoxFuture<Result<Json, ToolError>> + Send + Sync;

pub struct ToolDef {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub effect: Effect,
    input_schema: Arc<Map<String, Value>>,
    output_schema: Arc<Map<String, Value>>,
    handler: Arc<Handler>,
}

impl ToolDef {
    /// A tool. `effect` is its only statement of what it does: it picks the annotations and the
    /// transaction (`Effect::Read`: a read transaction on a reader thread; any other effect: an IMMEDIATE
    /// write transaction on the writer thread), so the two can never disagree.
    pub fn new<A, O>(
        name: &'static str,
        title: &'static str,
        description: &'static str,
        effect: Effect,
        op: fn(&mut Conn, A) -> DomainResult<O>,
    ) -> Self
    where
        A: DeserializeOwned + JsonSchema + Clone + Send + 'static,
        O: Serialize + JsonSchema + Send + 'static,
    {
        let handler = move |board: Board, arguments: Value| -> BoxFuture<Result<Json, ToolError>> {
            Box::pin(async move {
                let args: A = parse_arguments(name, arguments)?;
                let out = if effect == Effect::Read {
                    board.read(move |conn| op(conn, args)).await
                } else {
                    // A write may run again after another write aborted its batch (group_commit), so
                    // each run gets its own copy of the arguments.
                    board.write(move |conn| op(conn, args.clone())).await
                }?;
                // Straight to text: no intermediate `Value` tree for (possibly large) results.
                serde_json::value::to_raw_value(&out).map_err(|e| {
                    ToolError::Domain(DomainError::Unavailable(format!("serializing result: {e}")))
                })
            })
        };
        ToolDef {
            name,
            title,
            description,
            effect,
            input_schema: Arc::new(schema_for::<A>()),
            output_schema: Arc::new(schema_for::<O>()),
            handler: Arc::new(handler),
        }
    }

    pub fn input_schema(&self) -> &Map<String, Value> {
        &self.input_schema
    }

    pub fn output_schema(&self) -> &Map<String, Value> {
        &self.output_schema
    }

    pub(super) async fn invoke(&self, board: &Board, arguments: Value) -> Result<Json, ToolError> {
        (self.handler)(board.clone(), arguments).await
    }

    /// The `tools/list` entry.
    pub(super) fn describe(&self, with_output_schema: bool) -> Tool {
        let mut tool = Tool::new_with_raw(
            self.name,
            Some(self.description.into()),
            self.input_schema.clone(),
        );
        tool.title = Some(self.title.to_string());
        if with_output_schema {
            tool.output_schema = Some(self.output_schema.clone());
        }
        let read_only = self.effect == Effect::Read;
        let mut hints = ToolAnnotations::with_title(self.title)
            .read_only(read_only)
            .open_world(false);
        if !read_only {
            hints = hints
                .destructive(self.effect == Effect::Destructive)
                .idempotent(self.effect == Effect::IdempotentWrite);
        }
        tool.annotations = Some(hints);
        tool
    }
}
