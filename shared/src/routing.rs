//! Routing keys on the `notify.events` topic exchange: `user.<userid>.<event kind>`.

use crate::{UserId, event::Event};

/// The topic exchange every event is published to; only the relay publishes.
pub const EVENTS_EXCHANGE: &str = "notify.events";
/// The fanout exchange that server queues dead-letter to.
pub const DEAD_LETTER_EXCHANGE: &str = "notify.dead";
/// The projector's quorum queue, bound to every event.
pub const PROJECTOR_QUEUE: &str = "notify.projector";
/// The dispatcher's quorum queue: dispatches and delivery outcomes.
pub const DISPATCHER_QUEUE: &str = "notify.dispatcher";
/// The e-mail worker's quorum queue: delivery requests.
pub const EMAIL_QUEUE: &str = "notify.worker.email";
/// The webhook worker's quorum queue: delivery requests.
pub const WEBHOOK_QUEUE: &str = "notify.worker.webhook";
/// The queue bound to [`DEAD_LETTER_EXCHANGE`], where dead letters wait for a person.
pub const DEAD_LETTER_QUEUE: &str = "notify.dead";

/// The routing key of an event addressed to `user`, for example
/// `user.alice.notification.requested`.
pub fn routing_key(user: &UserId, event: &Event) -> String {
    routing_key_for_kind(user, event.kind())
}

/// The routing key for an event kind given by name (as stored in the write DB).
pub fn routing_key_for_kind(user: &UserId, kind: &str) -> String {
    format!("user.{user}.{kind}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Event, NotificationDispatched};

    #[test]
    fn routing_key_names_user_and_kind() {
        let alice = UserId::parse("alice").expect("valid");
        let key = routing_key(
            &alice,
            &Event::NotificationDispatched(NotificationDispatched {}),
        );
        assert_eq!(key, "user.alice.notification.dispatched");
    }
}
