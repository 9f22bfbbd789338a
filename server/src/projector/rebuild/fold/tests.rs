//! The fold against histories whose order decides the outcome.

use chrono::TimeDelta;
use notify_shared::event::{
    DeliveryOutcome, DeliveryRequested, InboxReadAll, NotificationCancelled, NotificationDelivered,
    NotificationDispatched, NotificationFailed, NotificationUnread,
};

use super::*;

/// A history built in the store's order: each event gets the next position and a time one
/// second after the one before.
struct History {
    events: Vec<Stored>,
    start: DateTime<Utc>,
}

impl History {
    fn new() -> Self {
        Self {
            events: Vec::new(),
            start: DateTime::parse_from_rfc3339("2026-12-06T10:00:00Z")
                .expect("time")
                .with_timezone(&Utc),
        }
    }

    /// The time of the event at `position`.
    fn at(&self, position: i64) -> DateTime<Utc> {
        self.start + TimeDelta::seconds(position)
    }

    fn push(&mut self, operation: Uuid, subject: Uuid, user: &str, event: Event) -> i64 {
        let sequence = self
            .events
            .iter()
            .filter(|e| e.envelope.subject == subject)
            .count() as u64
            + 1;
        let position = self.events.len() as i64 + 1;
        let mut envelope = Envelope::new(
            "/test",
            operation,
            subject,
            UserId::parse(user).expect("user"),
            sequence,
            event,
        );
        envelope.time = self.at(position);
        self.events.push(Stored { position, envelope });
        position
    }

    /// Only the events of the given aggregates, as the rebuild reads a send or the users.
    fn of(&self, aggregates: &[Uuid]) -> Vec<Stored> {
        self.events
            .iter()
            .filter(|e| aggregates.contains(&e.envelope.subject))
            .cloned()
            .collect()
    }
}

fn requested(recipient: &str, scheduled: bool) -> Event {
    Event::NotificationRequested(NotificationRequested {
        sender: UserId::parse("bob").expect("user"),
        recipient: UserId::parse(recipient).expect("user"),
        title: None,
        body: "hello".into(),
        priority: notify_shared::api::Priority::default(),
        tags: vec![],
        channels: vec![Channel::Email],
        thread: None,
        deliver_at: scheduled.then(|| Utc::now() + TimeDelta::days(1)),
        cause: None,
    })
}

fn outcome(delivery: Uuid, succeeded: bool) -> Event {
    let outcome = DeliveryOutcome {
        delivery_id: delivery,
        channel: Channel::Email,
        attempt: 1,
        detail: "detail".into(),
        permanent: true,
    };
    if succeeded {
        Event::DeliverySucceeded(outcome)
    } else {
        Event::DeliveryFailed(outcome)
    }
}

fn delivery_requested(delivery: Uuid) -> Event {
    Event::DeliveryRequested(DeliveryRequested {
        delivery_id: delivery,
        channel: Channel::Email,
        address: "a@example.com".into(),
        attempt: 1,
    })
}

fn fold(history: &History, notifications: &[Uuid], inbox: Uuid) -> Rows {
    let mut rows = Rows::default();
    let read_alls = users(&history.of(&[inbox]), &mut rows).expect("users");
    send(&history.of(notifications), &read_alls, &mut rows).expect("send");
    rows
}

#[test]
fn a_read_all_and_an_unread_apply_in_the_stores_order() {
    for unread_first in [false, true] {
        let (n, inbox, operation) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let mut history = History::new();
        history.push(operation, n, "alice", requested("alice", false));
        history.push(
            operation,
            n,
            "alice",
            Event::NotificationDispatched(NotificationDispatched {}),
        );
        let unread = Event::NotificationUnread(NotificationUnread {});
        if unread_first {
            history.push(Uuid::now_v7(), n, "alice", unread.clone());
        }
        let up_to = history.at(10);
        history.push(
            Uuid::now_v7(),
            inbox,
            "alice",
            Event::InboxReadAll(InboxReadAll { up_to }),
        );
        if !unread_first {
            history.push(Uuid::now_v7(), n, "alice", unread);
        }
        let rows = fold(&history, &[n], inbox);
        let expected = unread_first.then_some(up_to);
        assert_eq!(
            rows.notifications[0].read_at, expected,
            "unread first: {unread_first}"
        );
        assert_eq!(
            rows.inboxes,
            [(UserId::parse("alice").expect("user"), up_to)]
        );
    }
}

#[test]
fn a_send_resolves_by_its_deliveries_as_they_stood_when_its_last_notification_finished() {
    for late_receipt_first in [false, true] {
        let (a, b, operation) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let (da, db) = (Uuid::now_v7(), Uuid::now_v7());
        let mut history = History::new();
        for (n, d, user) in [(a, da, "alice"), (b, db, "carol")] {
            history.push(operation, n, user, requested(user, false));
            history.push(
                operation,
                n,
                user,
                Event::NotificationDispatched(NotificationDispatched {}),
            );
            history.push(operation, n, user, delivery_requested(d));
        }
        // Alice's channel fails for good; a receipt for it arrives after all.
        history.push(operation, a, "alice", outcome(da, false));
        let failed = NotificationFailed {
            failed_channels: vec![Channel::Email],
        };
        history.push(operation, a, "alice", Event::NotificationFailed(failed));
        if late_receipt_first {
            history.push(operation, a, "alice", outcome(da, true));
        }
        history.push(operation, b, "carol", outcome(db, true));
        let last = history.push(
            operation,
            b,
            "carol",
            Event::NotificationDelivered(NotificationDelivered {}),
        );
        if !late_receipt_first {
            history.push(operation, a, "alice", outcome(da, true));
        }
        let rows = fold(&history, &[a, b], Uuid::now_v7());
        let send = &rows.operations[0];
        let expected = if late_receipt_first {
            OperationStatus::Delivered
        } else {
            OperationStatus::PartiallyDelivered
        };
        assert_eq!(
            send.status, expected,
            "late receipt first: {late_receipt_first}"
        );
        assert_eq!(send.resolved_at, Some(history.at(last)));
        assert_eq!(rows.notifications[0].status, NotificationStatus::Failed);
    }
}

#[test]
fn a_send_is_dispatched_only_when_its_last_waiting_notification_leaves_by_dispatch() {
    for cancel_first in [false, true] {
        let (a, b, operation) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let mut history = History::new();
        history.push(operation, a, "alice", requested("alice", true));
        history.push(operation, b, "carol", requested("carol", true));
        let cancel = Event::NotificationCancelled(NotificationCancelled {
            by: UserId::parse("bob").expect("user"),
        });
        if cancel_first {
            history.push(Uuid::now_v7(), b, "carol", cancel.clone());
        }
        history.push(
            operation,
            a,
            "alice",
            Event::NotificationDispatched(NotificationDispatched {}),
        );
        if !cancel_first {
            history.push(Uuid::now_v7(), b, "carol", cancel);
        }
        let rows = fold(&history, &[a, b], Uuid::now_v7());
        let send = rows
            .operations
            .iter()
            .find(|o| o.kind == OperationKind::Send)
            .expect("the send");
        let expected = if cancel_first {
            OperationStatus::Dispatched
        } else {
            OperationStatus::Scheduled
        };
        assert_eq!(send.status, expected, "cancel first: {cancel_first}");
        assert_eq!(send.resolved_at, None);
        assert_eq!(rows.links.len(), 3, "the send's two, and the cancel's");
    }
}

#[test]
fn a_gap_in_an_aggregates_versions_is_an_error() {
    let (n, operation) = (Uuid::now_v7(), Uuid::now_v7());
    let mut history = History::new();
    history.push(operation, n, "alice", requested("alice", false));
    let mut events = history.of(&[n]);
    events[0].envelope.sequence = 2;
    let error = send(&events, &ReadAlls::default(), &mut Rows::default());
    assert!(
        matches!(
            error,
            Err(FoldError::Gap {
                last: 0,
                found: 2,
                ..
            })
        ),
        "{error:?}"
    );
}
