//! [`RestError`]: every REST failure as 2.x shaped it, `{"error": "<message>"}`, with the status that says
//! whose fault it is: 400 bad input or a broken rule, 404 an unknown id, 413/415/408 from the body checks
//! shared with MCP, 503 when the database cannot serve.

use crate::domain::DomainError;
use crate::mcp::tools::ToolError;
use crate::transports::http::errors::HttpError;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use schemars::JsonSchema;
use serde::Serialize;

/// The body of every error answer (documented in the OpenAPI document as `Error`).
#[derive(Debug, Serialize, JsonSchema)]
pub struct ErrorBody {
    /// What went wrong; names the parameter and the allowed values when the input was at fault.
    pub error: String,
}

#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct RestError {
    status: StatusCode,
    message: String,
    /// Whether the connection must close (a body that did not arrive in time).
    close: bool,
}

impl RestError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    /// Our fault, not the request's (logged).
    pub fn internal(message: impl Into<String>) -> Self {
        let message = message.into();
        tracing::error!(error = %message, "REST request failed");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }

    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        RestError {
            status,
            message: message.into(),
            close: false,
        }
    }
}

impl From<ToolError> for RestError {
    fn from(err: ToolError) -> Self {
        use diesel::result::Error as Diesel;
        let status = match &err {
            ToolError::Arguments { .. } => StatusCode::BAD_REQUEST,
            ToolError::Domain(DomainError::NotFound { .. }) => StatusCode::NOT_FOUND,
            ToolError::Domain(e) if e.is_storage_failure() => StatusCode::SERVICE_UNAVAILABLE,
            // Broken rules, and constraints (unique, foreign key, …) the domain did not check first: both are
            // the request's fault. Anything else is ours.
            ToolError::Domain(DomainError::Invalid { .. } | DomainError::Rule(_))
            | ToolError::Domain(DomainError::Database(Diesel::DatabaseError(..))) => {
                StatusCode::BAD_REQUEST
            }
            ToolError::Domain(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        // REST callers name parameters by themselves; "Invalid arguments for create_task:" names a tool.
        let message = match err {
            ToolError::Arguments { message, .. } => message,
            other @ ToolError::Domain(_) => other.to_string(),
        };
        Self::new(status, message)
    }
}

/// The checks shared with the MCP endpoints (body size, timeout, content type) keep their status; their
/// message is the REST one (a JSON parse error is `Invalid JSON body: …`, as in 2.x, not JSON-RPC -32700).
impl From<HttpError> for RestError {
    fn from(err: HttpError) -> Self {
        let message = match &err {
            HttpError::Parse(e) => format!("Invalid JSON body: {e}"),
            other => other.to_string(),
        };
        RestError {
            status: err.status_code(),
            close: matches!(err, HttpError::BodyTimeout(_)),
            message,
        }
    }
}

impl ResponseError for RestError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response.insert_header((header::RETRY_AFTER, "5"));
        }
        if self.close {
            response.force_close();
        }
        response.json(ErrorBody {
            error: self.message.clone(),
        })
    }
}
