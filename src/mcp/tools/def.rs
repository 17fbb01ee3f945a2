//! [`ToolDef`]: one tool — name, texts, annotations, generated schemas and a type-erased handler.

use super::args::parse_arguments;
use super::error::ToolError;
use super::listing;
use super::schema::schema_for;
use crate::config::Toolset;
use crate::domain::waiting::Stop;
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

type Handler = dyn Fn(Board, Value, Stop) -> BoxFuture<Result<Json, ToolError>> + Send + Sync;

/// A tool that may wait for the board to change (wait_for_task, get_events): it gets the board itself,
/// and the [`Stop`] that ends its wait when its client goes away.
pub type WaitingOp<A, O> = fn(Board, A, Stop) -> BoxFuture<DomainResult<O>>;

pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

pub struct ToolDef {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub effect: Effect,
    /// Whether calls may wait for the board to change (transports must not hold other work behind them).
    pub waits: bool,
    /// The tool sets (TINYTASK_TOOLSETS) it belongs to, set with [`ToolDef::member_of`]; `all` is implied.
    pub sets: &'static [Toolset],
    input_schema: Arc<Map<String, Value>>,
    output_schema: Arc<Map<String, Value>>,
    /// The schemas as tools/list shows them (`listing`), computed once.
    listed_input: Arc<Map<String, Value>>,
    listed_output: Arc<Map<String, Value>>,
    handler: Arc<Handler>,
}

/// Straight to text: no intermediate `Value` tree for (possibly large) results.
fn to_json_result<O: Serialize>(out: &O) -> Result<Json, ToolError> {
    serde_json::value::to_raw_value(out).map_err(|e| {
        ToolError::Domain(DomainError::Unavailable(format!("serializing result: {e}")))
    })
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
        let handler =
            move |board: Board, arguments: Value, _: Stop| -> BoxFuture<Result<Json, ToolError>> {
                Box::pin(async move {
                    let args: A = parse_arguments(name, arguments)?;
                    let out = if effect == Effect::Read {
                        board.read(move |conn| op(conn, args)).await
                    } else {
                        // A write may run again after another write aborted its batch (group_commit), so
                        // each run gets its own copy of the arguments.
                        board.write(move |conn| op(conn, args.clone())).await
                    }?;
                    to_json_result(&out)
                })
            };
        Self::build::<A, O>(name, title, description, effect, Arc::new(handler), false)
    }

    /// A tool that may wait (see [`WaitingOp`]); `effect` only drives its annotations, since the operation
    /// runs its own reads and writes through the board.
    pub fn waiting<A, O>(
        name: &'static str,
        title: &'static str,
        description: &'static str,
        effect: Effect,
        op: WaitingOp<A, O>,
    ) -> Self
    where
        A: DeserializeOwned + JsonSchema + Send + 'static,
        O: Serialize + JsonSchema + Send + 'static,
    {
        let handler = move |board: Board,
                            arguments: Value,
                            stop: Stop|
              -> BoxFuture<Result<Json, ToolError>> {
            Box::pin(async move {
                let args: A = parse_arguments(name, arguments)?;
                let out = op(board, args, stop).await?;
                to_json_result(&out)
            })
        };
        Self::build::<A, O>(name, title, description, effect, Arc::new(handler), true)
    }

    fn build<A: JsonSchema, O: JsonSchema>(
        name: &'static str,
        title: &'static str,
        description: &'static str,
        effect: Effect,
        handler: Arc<Handler>,
        waits: bool,
    ) -> Self {
        let (input_schema, output_schema) = (schema_for::<A>(), schema_for::<O>());
        ToolDef {
            name,
            title,
            description,
            effect,
            waits,
            sets: &[],
            listed_input: Arc::new(listing::input(&input_schema)),
            listed_output: Arc::new(listing::output(&output_schema)),
            input_schema: Arc::new(input_schema),
            output_schema: Arc::new(output_schema),
            handler,
        }
    }

    /// Declares the tool sets the tool belongs to (besides `all`), next to its definition.
    pub fn member_of(mut self, sets: &'static [Toolset]) -> Self {
        self.sets = sets;
        self
    }

    pub fn input_schema(&self) -> &Map<String, Value> {
        &self.input_schema
    }

    pub fn output_schema(&self) -> &Map<String, Value> {
        &self.output_schema
    }

    pub(super) async fn invoke(
        &self,
        board: &Board,
        arguments: Value,
        stop: Stop,
    ) -> Result<Json, ToolError> {
        (self.handler)(board.clone(), arguments, stop).await
    }

    /// The `tools/list` entry. `structured` (2025-06-18 on) adds outputSchema and the tool's `title`; older
    /// versions carry the title in the annotations instead, so each version gets it once. Hints equal to the
    /// spec's defaults (readOnlyHint and idempotentHint false) are left out.
    pub(super) fn describe(&self, structured: bool) -> Tool {
        let mut tool = Tool::new_with_raw(
            self.name,
            Some(self.description.into()),
            self.listed_input.clone(),
        );
        let mut hints = ToolAnnotations::new();
        if structured {
            tool.title = Some(self.title.to_string());
            tool.output_schema = Some(self.listed_output.clone());
        } else {
            hints.title = Some(self.title.to_string());
        }
        hints.open_world_hint = Some(false);
        match self.effect {
            Effect::Read => hints.read_only_hint = Some(true),
            Effect::Write => hints.destructive_hint = Some(false),
            Effect::IdempotentWrite => {
                hints.destructive_hint = Some(false);
                hints.idempotent_hint = Some(true);
            }
            Effect::Destructive => hints.destructive_hint = Some(true),
        }
        tool.annotations = Some(hints);
        tool
    }
}
