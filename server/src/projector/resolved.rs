//! What applying events tells the projector to publish: the operations that reached a final
//! state.
//!
//! It must not publish: the projector does, after the commit.

use notify_shared::UserId;
use notify_shared::api::OperationStatus;
use uuid::Uuid;

/// An operation that reached a final state while applying.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The operation.
    pub operation_id: Uuid,
    /// Who asked for it (the routing key of `operation.resolved`).
    pub requester: UserId,
    /// Its final state.
    pub status: OperationStatus,
}
