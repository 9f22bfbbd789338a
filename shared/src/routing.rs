//! Routing keys on the `notify.events` topic exchange: `user.<userid>.<event kind>`.

use crate::{UserId, event::Event};

/// The topic exchange every event is published to; only the relay publishes.
pub const EVENTS_EXCHANGE: &str = "notify.events";
/// The fanout exchange that server queues dead-letter to.
pub const DEAD_LETTER_EXCHANGE: &str = "notify.dead";
/// The projector's quorum queue, bound to every stored event ([`PROJECTOR_BINDINGS`]).
pub const PROJECTOR_QUEUE: &str = "notify.projector";
/// What the projector's queue is bound to: every family of stored events, and not
/// `operation.resolved`, which projectors publish for requesters and do not project.
pub const PROJECTOR_BINDINGS: [&str; 6] = [
    "user.*.notification.*",
    "user.*.notification.requested.scheduled",
    "user.*.delivery.*",
    "user.*.inbox.*",
    "user.*.preferences.*",
    "user.*.user.*",
];
/// What the projector's queue was bound to before [`PROJECTOR_BINDINGS`]; servers remove it.
pub const PROJECTOR_FORMER_BINDING: &str = "#";
/// The dispatcher's quorum queue: dispatches and delivery outcomes.
pub const DISPATCHER_QUEUE: &str = "notify.dispatcher";
/// The e-mail worker's quorum queue: e-mail delivery requests.
pub const EMAIL_QUEUE: &str = "notify.worker.email";
/// The webhook worker's quorum queue: webhook delivery requests.
pub const WEBHOOK_QUEUE: &str = "notify.worker.webhook";
/// The headers exchange that hands each delivery request to its channel's worker queue only:
/// bound to [`EVENTS_EXCHANGE`] for [`DELIVERY_REQUESTED`], and each worker queue to it for its
/// channel in the [`CHANNEL_HEADER`] (routing keys do not carry the channel).
pub const DELIVERY_REQUESTS_EXCHANGE: &str = "notify.delivery-requests";
/// The routing keys of every delivery request.
pub const DELIVERY_REQUESTED: &str = "user.*.delivery.requested";
/// The AMQP header the relay sets on a delivery request: its channel (`email`, `webhook`,
/// `desktop`).
pub const CHANNEL_HEADER: &str = "notify-channel";
/// The event kinds a device queue `notify.user.<user>.<device>` is bound to: what notifyd
/// uses (popup content, popups, the unread count, closing popups, waits) and what `notify
/// watch` shows. `notification.requested` reaches a device only for a send that goes out now:
/// a scheduled one is routed under [`SCHEDULED_SUFFIX`], because it is not the recipient's
/// before its time (notifyd fetches its content from the api once it is dispatched).
/// `notification.cancelled` (of a send the recipient never saw), `preferences.updated` and
/// `notification.escalated` reach no device.
pub const DEVICE_KINDS: [&str; 11] = [
    "notification.requested",
    "notification.dispatched",
    "delivery.requested",
    "delivery.succeeded",
    "delivery.failed",
    "notification.delivered",
    "notification.failed",
    "notification.read",
    "notification.unread",
    "inbox.read_all",
    "operation.resolved",
];
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

/// What the relay appends to the routing key of a scheduled send's `notification.requested`
/// (`user.alice.notification.requested.scheduled`): bindings to a user's kinds
/// (`user.alice.notification.requested`, as device queues have) do not match it, patterns
/// over the whole user (`user.alice.#`) and the projector's do.
pub const SCHEDULED_SUFFIX: &str = ".scheduled";

/// The routing key the relay publishes a stored event under: [`routing_key_for_kind`], with
/// [`SCHEDULED_SUFFIX`] for the request of a send scheduled for later.
pub fn routing_key_for_stored(user: &UserId, kind: &str, scheduled: bool) -> String {
    let mut key = routing_key_for_kind(user, kind);
    if scheduled && kind == "notification.requested" {
        key.push_str(SCHEDULED_SUFFIX);
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Event, KINDS, NotificationDispatched, OperationResolved};

    #[test]
    fn routing_key_names_user_and_kind() {
        let alice = UserId::parse("alice").expect("valid");
        let key = routing_key(
            &alice,
            &Event::NotificationDispatched(NotificationDispatched {}),
        );
        assert_eq!(key, "user.alice.notification.dispatched");
    }

    /// Whether a topic pattern whose `*` stand for one word matches `key` (`#` not handled).
    fn matches(pattern: &str, key: &str) -> bool {
        let (pattern, key): (Vec<&str>, Vec<&str>) =
            (pattern.split('.').collect(), key.split('.').collect());
        pattern.len() == key.len() && pattern.iter().zip(&key).all(|(p, k)| *p == "*" || p == k)
    }

    #[test]
    fn the_projector_receives_every_stored_event_and_not_operation_resolved() {
        let alice = UserId::parse("alice").expect("valid");
        for kind in KINDS.iter().filter(|kind| **kind != "operation.resolved") {
            for scheduled in [false, true] {
                let key = routing_key_for_stored(&alice, kind, scheduled);
                assert!(
                    PROJECTOR_BINDINGS.iter().any(|p| matches(p, &key)),
                    "{key} does not reach the projector"
                );
            }
        }
        let resolved = routing_key(
            &alice,
            &Event::OperationResolved(OperationResolved {
                status: crate::api::OperationStatus::Applied,
            }),
        );
        assert!(!PROJECTOR_BINDINGS.iter().any(|p| matches(p, &resolved)));
    }

    #[test]
    fn a_device_receives_no_scheduled_request() {
        let alice = UserId::parse("alice").expect("valid");
        let device: Vec<String> = DEVICE_KINDS
            .iter()
            .map(|kind| routing_key_for_kind(&alice, kind))
            .collect();
        let reaches = |key: &str| device.iter().any(|p| matches(p, key));
        assert!(reaches("user.alice.notification.requested"));
        assert!(reaches("user.alice.notification.dispatched"));
        assert!(!reaches(&routing_key_for_stored(
            &alice,
            "notification.requested",
            true
        )));
        assert!(!reaches("user.alice.notification.cancelled"));
        assert!(!reaches("user.alice.preferences.updated"));
        // Only the request of a scheduled send is routed apart.
        assert_eq!(
            routing_key_for_stored(&alice, "notification.dispatched", true),
            "user.alice.notification.dispatched"
        );
    }
}
