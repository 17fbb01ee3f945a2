//! Where this process delivers committed changes (its own, from the writer, and other processes', from
//! the relay): the resource subscriptions held in its memory and, on PostgreSQL, the streams of shared
//! sessions open here, whose subscriptions live in the database (`shared`).

use super::shared::Sharing;
use super::subscriptions::Subscriptions;
use crate::domain::changes::Changes;
use std::sync::{Arc, OnceLock};

#[derive(Default)]
pub struct Fanout {
    pub subscriptions: Arc<Subscriptions>,
    pub sharing: OnceLock<Arc<Sharing>>,
}

impl Fanout {
    /// Notifies whoever here is subscribed to what `changes` touched; returns how many in-memory
    /// subscriptions matched (shared sessions are matched in the database, later, by their worker).
    pub fn deliver(&self, changes: &Changes) -> usize {
        let matched = self.subscriptions.dispatch(changes);
        if let Some(sharing) = self.sharing.get() {
            sharing.deliver(changes);
        }
        matched
    }

    /// Whether anyone here may want changes: a subscription in memory, or a shared session's stream.
    pub fn listening(&self) -> bool {
        self.subscriptions.count() > 0 || self.sharing.get().is_some_and(|s| s.has_streams())
    }
}
