//! Tests of the hub: waits before and after resolutions, the count, the content cache.

use notify_shared::event::{
    InboxReadAll, NotificationDispatched, NotificationRead, NotificationUnread,
};

use super::*;
use crate::testing::{envelope, requested, resolved};

#[test]
fn a_wait_after_the_resolution_answers_at_once() {
    let mut hub = Hub::default();
    let now = Instant::now();
    let operation = Uuid::now_v7();
    hub.apply(&resolved(operation, OperationStatus::Delivered), now);
    match hub.wait(operation, now + Duration::from_secs(600)) {
        Ticket::Resolved(status) => assert_eq!(status, OperationStatus::Delivered),
        Ticket::Pending(_) => panic!("resolved ten minutes ago must still answer"),
    }
    // Much later it is forgotten, and a wait pends.
    assert!(matches!(
        hub.wait(operation, now + RETAIN_RESOLUTIONS + Duration::from_secs(1)),
        Ticket::Pending(_)
    ));
}

#[test]
fn a_wait_before_the_resolution_is_answered_by_it() {
    let mut hub = Hub::default();
    let now = Instant::now();
    let operation = Uuid::now_v7();
    let Ticket::Pending(mut first) = hub.wait(operation, now) else {
        panic!("not resolved yet");
    };
    let Ticket::Pending(second) = hub.wait(operation, now) else {
        panic!("not resolved yet");
    };
    let Ticket::Pending(other) = hub.wait(Uuid::now_v7(), now) else {
        panic!("not resolved yet");
    };
    assert!(first.try_recv().is_err());
    hub.apply(&resolved(operation, OperationStatus::Failed), now);
    assert_eq!(first.try_recv().expect("answered"), OperationStatus::Failed);
    assert_eq!(
        second.blocking_recv().expect("answered"),
        OperationStatus::Failed
    );
    drop(other);
    // A waiter that gave up does not stop the resolution.
    let next = Uuid::now_v7();
    drop(hub.wait(next, now));
    hub.resolve(next, OperationStatus::Applied, now);
    assert!(matches!(
        hub.wait(next, now),
        Ticket::Resolved(OperationStatus::Applied)
    ));
}

#[test]
fn resolutions_are_bounded() {
    let mut hub = Hub::default();
    let now = Instant::now();
    let first = Uuid::now_v7();
    hub.resolve(first, OperationStatus::Delivered, now);
    for _ in 0..MAX_RESOLUTIONS {
        hub.resolve(Uuid::now_v7(), OperationStatus::Delivered, now);
    }
    assert_eq!(hub.resolutions.len(), MAX_RESOLUTIONS);
    assert!(matches!(hub.wait(first, now), Ticket::Pending(_)));
}

#[test]
fn events_adjust_the_count_never_below_zero() {
    let mut hub = Hub::default();
    let now = Instant::now();
    let id = Uuid::now_v7();
    let epoch = hub.unread_epoch();
    assert!(hub.set_unread(2, epoch));
    hub.apply(
        &envelope(id, Event::NotificationDispatched(NotificationDispatched {})),
        now,
    );
    assert_eq!(hub.unread(), 3);
    for _ in 0..5 {
        hub.apply(
            &envelope(id, Event::NotificationRead(NotificationRead {})),
            now,
        );
    }
    assert_eq!(hub.unread(), 0);
    hub.apply(
        &envelope(id, Event::NotificationUnread(NotificationUnread {})),
        now,
    );
    assert_eq!(hub.unread(), 1);
    hub.apply(
        &envelope(
            id,
            Event::InboxReadAll(InboxReadAll {
                up_to: chrono::Utc::now(),
            }),
        ),
        now,
    );
    assert_eq!(hub.unread(), 0);
    // A fetch that began before an event is stale and ignored.
    let epoch = hub.unread_epoch();
    hub.apply(
        &envelope(id, Event::NotificationDispatched(NotificationDispatched {})),
        now,
    );
    assert!(!hub.set_unread(7, epoch));
    assert_eq!(hub.unread(), 1);
}

#[test]
fn contents_are_cached_and_bounded() {
    let mut hub = Hub::default();
    let now = Instant::now();
    let first = Uuid::now_v7();
    hub.apply(&requested(first, Some("Deploy"), "finished"), now);
    assert_eq!(
        hub.content(first).and_then(|c| c.title.as_deref()),
        Some("Deploy")
    );
    for _ in 0..MAX_CONTENTS {
        hub.apply(&requested(Uuid::now_v7(), None, "x"), now);
    }
    assert!(hub.content(first).is_none(), "the oldest is evicted");
    assert_eq!(hub.contents.len(), MAX_CONTENTS);
    let long = "é".repeat(5_000);
    let content = Content::new(None, &long, Priority::Low);
    assert!(content.body.len() <= MAX_CACHED_BODY);
}
