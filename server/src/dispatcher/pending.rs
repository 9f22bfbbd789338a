//! The events a saga step appends to one notification, numbered on from its stored version,
//! and what they are recorded as.
//!
//! It must not write: the saga's statements append what it holds.

use notify_shared::UserId;
use notify_shared::event::{Envelope, Event};
use sqlx::types::Json;
use uuid::Uuid;

use crate::consumer::HandleError;
use crate::store;

/// The `source` of the events the dispatcher records.
pub(super) const SOURCE: &str = "/notify-server/dispatcher";

/// The stored document of an event, typed.
pub(super) type Document = Json<Envelope>;

/// Events to append to one notification, numbered from its current version.
#[derive(Debug)]
pub(super) struct Pending {
    pub(super) aggregate: Uuid,
    pub(super) user: UserId,
    pub(super) operation: Uuid,
    version: u64,
    pub(super) events: Vec<Envelope>,
}

impl Pending {
    /// Nothing yet to append to `aggregate` (at `version`) of `user`, in `operation`.
    pub(super) fn new(aggregate: Uuid, user: UserId, operation: Uuid, version: u64) -> Self {
        Self {
            aggregate,
            user,
            operation,
            version,
            events: Vec::new(),
        }
    }

    /// Nothing yet to append to the running saga of `aggregate` (at `version`, as stored) for
    /// `recipient`.
    pub(super) fn running(
        aggregate: Uuid,
        recipient: String,
        operation: Uuid,
        version: i32,
    ) -> Result<Self, HandleError> {
        let user = UserId::parse(recipient).map_err(|e| HandleError::Failed(e.to_string()))?;
        Ok(Self::new(
            aggregate,
            user,
            operation,
            store::version_of(version),
        ))
    }

    /// Appends `event`, as the next version.
    pub(super) fn push(&mut self, event: Event) {
        self.version += 1;
        let envelope = Envelope::new(
            SOURCE,
            self.operation,
            self.aggregate,
            self.user.clone(),
            self.version,
            event,
        );
        self.events.push(envelope);
    }
}
