//! [`Conn`]: the database connection every domain operation takes (`fn(&mut Conn, args)`).
//! The layers above (mcp, transports) name the connection only through this alias, never diesel's
//! type, so that adding a backend (PostgreSQL is planned) changes `domain` and `db` only.

pub type Conn = diesel::SqliteConnection;
