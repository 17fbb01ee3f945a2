//! Unit tests of the business rules, one file per area, each against a fresh SQLite file.

mod agents;
mod blocking;
mod coordination;
mod hierarchy;
mod limits;
mod metrics_counts;
mod notes;
mod queues;
mod search;
mod tasks;
