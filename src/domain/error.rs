//! Errors of business operations. Their `Display` is the message an agent sees (with `isError: true`).

/// What can go wrong in a board operation.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// An id that does not exist. `entity` says which role the id played ("Task", "Parent task", …).
    #[error("{entity} not found: {id}")]
    NotFound { entity: &'static str, id: i32 },
    /// An argument value that breaks a rule; names the parameter.
    #[error("Invalid `{field}`: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// A request that is well-formed but not allowed in the task's current state.
    #[error("{0}")]
    Rule(String),
    #[error("database error: {0}")]
    Database(#[from] diesel::result::Error),
    #[error("database unavailable: {0}")]
    Unavailable(String),
}

pub type DomainResult<T> = Result<T, DomainError>;

impl DomainError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        DomainError::Invalid {
            field,
            message: message.into(),
        }
    }

    pub fn not_found(entity: &'static str, id: i32) -> Self {
        DomainError::NotFound { entity, id }
    }

    /// Failures of the database itself (disk full, I/O error, read-only or removed file, locked too long,
    /// no connection) as opposed to the input breaking a rule or a constraint. They drive `/health`.
    pub fn is_storage_failure(&self) -> bool {
        use diesel::result::{DatabaseErrorKind as Kind, Error};
        match self {
            DomainError::Unavailable(_) => true,
            DomainError::Database(Error::DatabaseError(kind, _)) => !matches!(
                kind,
                Kind::UniqueViolation
                    | Kind::ForeignKeyViolation
                    | Kind::NotNullViolation
                    | Kind::CheckViolation
            ),
            _ => false,
        }
    }

    /// Errors caused by the caller (as opposed to the server) — logged at debug, not error.
    pub fn is_client_error(&self) -> bool {
        !matches!(self, DomainError::Database(_) | DomainError::Unavailable(_))
    }
}
