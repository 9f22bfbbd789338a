//! Helpers for the unit tests of this crate: sample envelopes.
//!
//! It must not be used outside the unit tests (it is compiled only for them).

use notify_shared::UserId;
use notify_shared::api::{Channel, OperationStatus, Priority};
use notify_shared::event::{
    DeliveryRequested, Envelope, Event, NotificationRequested, OperationResolved,
};
use uuid::Uuid;

/// An envelope addressed to alice about `subject`.
pub fn envelope(subject: Uuid, event: Event) -> Envelope {
    let alice = UserId::parse("alice").expect("valid");
    Envelope::new(
        "/notify-server/test",
        Uuid::now_v7(),
        subject,
        alice,
        1,
        event,
    )
}

/// A `notification.requested` of `subject`.
pub fn requested(subject: Uuid, title: Option<&str>, body: &str) -> Envelope {
    envelope(
        subject,
        Event::NotificationRequested(NotificationRequested {
            sender: UserId::parse("bob").expect("valid"),
            recipient: UserId::parse("alice").expect("valid"),
            title: title.map(str::to_owned),
            body: body.to_owned(),
            priority: Priority::High,
            tags: vec![],
            channels: vec![],
            thread: None,
            deliver_at: None,
            cause: None,
        }),
    )
}

/// A desktop `delivery.requested` of `subject`.
pub fn desktop_delivery(subject: Uuid) -> Envelope {
    envelope(
        subject,
        Event::DeliveryRequested(DeliveryRequested {
            delivery_id: Uuid::now_v7(),
            channel: Channel::Desktop,
            address: "alice".into(),
            attempt: 1,
        }),
    )
}

/// An `operation.resolved` of `operation`.
pub fn resolved(operation: Uuid, status: OperationStatus) -> Envelope {
    let mut envelope = envelope(
        operation,
        Event::OperationResolved(OperationResolved { status }),
    );
    envelope.operationid = operation;
    envelope
}
