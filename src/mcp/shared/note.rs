//! What one replica tells the others about a shared session (`pg_notify` on
//! `shared_sessions::CHANNEL`): delivered at once to every listening replica, including the sender, which
//! ignores what it already did itself.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// PostgreSQL refuses a NOTIFY payload of 8000 bytes or more (with the default block size).
pub const MAX_PAYLOAD: usize = 7999;

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Note {
    /// The session ended (DELETE, expiry or eviction): its stream closes, its waiting calls stop.
    End { session: String },
    /// `notifications/cancelled` for one of the session's requests, which may run on any replica.
    Cancel { session: String, request: Value },
    /// A notification for the session's stream, which another replica holds.
    /// (A `Value`, not the raw JSON text: an internally tagged enum cannot hold a `RawValue`.)
    Message { session: String, message: Value },
}

impl Note {
    /// The payload, or `None` when it is too long for a NOTIFY (only a huge log message can be).
    pub fn payload(&self) -> Option<String> {
        let text = serde_json::to_string(self).ok()?;
        (text.len() <= MAX_PAYLOAD).then_some(text)
    }

    pub fn parse(payload: &str) -> Option<Note> {
        serde_json::from_str(payload).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn notes_survive_the_trip_and_oversized_ones_are_refused() {
        let note = Note::Cancel {
            session: "ab".into(),
            request: json!(7),
        };
        let text = note.payload().unwrap();
        assert!(matches!(
            Note::parse(&text),
            Some(Note::Cancel { session, request }) if session == "ab" && request == json!(7)
        ));
        let message = Note::Message {
            session: "ab".into(),
            message: json!({"method": "notifications/message"}),
        };
        assert!(matches!(
            Note::parse(&message.payload().unwrap()),
            Some(Note::Message { message, .. }) if message["method"] == "notifications/message"
        ));
        let big = Note::Message {
            session: "ab".into(),
            message: json!({"data": "x".repeat(MAX_PAYLOAD)}),
        };
        assert!(big.payload().is_none());
        assert!(Note::parse("not json").is_none());
    }
}
