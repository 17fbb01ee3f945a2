//! Operational subcommands that never start a server: `healthcheck` (for Docker's HEALTHCHECK in an image
//! without a shell) and `backup` (a consistent online copy of the database).

pub mod backup;
pub mod connections;
pub mod copy_data;
pub mod healthcheck;
pub mod preflight;
pub mod tuning;
