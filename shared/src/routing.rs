//! Routing keys on the `notify.events` topic exchange: `user.<userid>.<event kind>`.
//!
//! No exchange name or event routing key may be spelled anywhere else.

use crate::{UserId, event::Event};

/// The topic exchange every event is published to; only the relay publishes.
pub const EVENTS_EXCHANGE: &str = "notify.events";
/// The fanout exchange that server queues dead-letter to.
pub const DEAD_LETTER_EXCHANGE: &str = "notify.dead";
/// The projector's quorum queue: every stored event (see [`server_queues`]).
pub const PROJECTOR_QUEUE: &str = "notify.projector";
/// The dispatcher's quorum queue: dispatches and delivery outcomes.
pub const DISPATCHER_QUEUE: &str = "notify.dispatcher";
/// The e-mail worker's quorum queue: e-mail delivery requests.
pub const EMAIL_QUEUE: &str = "notify.worker.email";
/// The webhook worker's quorum queue: webhook delivery requests.
pub const WEBHOOK_QUEUE: &str = "notify.worker.webhook";
/// The server's own queues, in the order [`server_queues`] names them.
pub const SERVER_QUEUES: [&str; 4] = [
    PROJECTOR_QUEUE,
    DISPATCHER_QUEUE,
    EMAIL_QUEUE,
    WEBHOOK_QUEUE,
];
/// The direct exchange the relay feeds the server's own queues through: each queue is bound
/// under its own name, and a message holds a batch of stored events
/// ([`BATCH_CONTENT_TYPE`]), so one message (one quorum-queue write, one delivery) carries
/// what a relay batch has for that queue. `notify.events` keeps one message per event for
/// devices and other subscribers; no server queue is bound to it.
pub const PIPELINE_EXCHANGE: &str = "notify.pipeline";
/// The content type of a batch: a JSON array of CloudEvents documents (the CloudEvents JSON
/// batch format). A message of [`crate::event::CONTENT_TYPE`] holds one event.
pub const BATCH_CONTENT_TYPE: &str = "application/cloudevents-batch+json";
/// The AMQP header the relay sets on a delivery request: its channel (`email`, `webhook`,
/// `desktop`), for subscribers of `notify.events`.
pub const CHANNEL_HEADER: &str = "notify-channel";

/// The server queues that handle a stored event of `kind` (a delivery request's `channel`
/// decides its worker): the projector every stored event, the dispatcher dispatches and
/// outcomes, each worker its channel's requests. `operation.resolved` is never stored and
/// goes to no server queue.
pub fn server_queues(kind: &str, channel: Option<&str>) -> impl Iterator<Item = &'static str> {
    let projector = kind != "operation.resolved";
    let dispatcher = matches!(
        kind,
        "notification.dispatched" | "delivery.succeeded" | "delivery.failed"
    );
    let requested = kind == "delivery.requested";
    let email = requested && channel == Some("email");
    let webhook = requested && channel == Some("webhook");
    SERVER_QUEUES
        .into_iter()
        .zip([projector, dispatcher, email, webhook])
        .filter_map(|(queue, wanted)| wanted.then_some(queue))
}

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
/// The header a dead letter's reason is in (a short word such as `no-rule`), when the
/// server dead-lettered it itself; [`DEAD_LETTER_DETAIL_HEADER`] says it in a sentence.
pub const DEAD_LETTER_REASON_HEADER: &str = "notify-reason";
/// The header with a dead letter's reason in a sentence.
pub const DEAD_LETTER_DETAIL_HEADER: &str = "notify-detail";

/// The topic exchange other services publish their domain events (CloudEvents) to, each with
/// its own broker account, under routing keys that start with the service's name
/// ([`ingest_routing_pattern`]).
pub const INGEST_EXCHANGE: &str = "notify.ingest";
/// The quorum queue of [`INGEST_EXCHANGE`], which the ingest role consumes.
pub const INGEST_QUEUE: &str = "notify.ingest";

/// The routing keys the service `service` may publish under on [`INGEST_EXCHANGE`], as a
/// regular expression: its name, alone or followed by `.` and anything (`billing`,
/// `billing.invoice.paid`).
pub fn ingest_routing_pattern(service: &UserId) -> String {
    format!("^{service}(\\..*)?$")
}

/// The service that published under `routing_key` on [`INGEST_EXCHANGE`] (the broker lets a
/// service publish only under its own name).
pub fn ingest_service(routing_key: &str) -> Option<UserId> {
    UserId::parse(routing_key.split('.').next()?).ok()
}

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
    use crate::event::{Event, KINDS, NotificationDispatched};

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
    fn each_server_queue_gets_what_its_role_handles() {
        for kind in KINDS.iter().filter(|kind| **kind != "operation.resolved") {
            assert!(
                server_queues(kind, None).any(|q| q == PROJECTOR_QUEUE),
                "{kind} does not reach the projector"
            );
        }
        assert_eq!(server_queues("operation.resolved", None).count(), 0);
        let queues = |kind, channel| server_queues(kind, channel).collect::<Vec<_>>();
        assert_eq!(
            queues("notification.dispatched", None),
            [PROJECTOR_QUEUE, DISPATCHER_QUEUE]
        );
        assert_eq!(
            queues("delivery.failed", None),
            [PROJECTOR_QUEUE, DISPATCHER_QUEUE]
        );
        assert_eq!(
            queues("delivery.requested", Some("webhook")),
            [PROJECTOR_QUEUE, WEBHOOK_QUEUE]
        );
        assert_eq!(
            queues("delivery.requested", Some("email")),
            [PROJECTOR_QUEUE, EMAIL_QUEUE]
        );
        assert_eq!(
            queues("delivery.requested", Some("desktop")),
            [PROJECTOR_QUEUE]
        );
        assert_eq!(queues("notification.read", None), [PROJECTOR_QUEUE]);
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
