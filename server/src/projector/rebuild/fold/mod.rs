//! The read model as a pure function of the event store's history: the rows that the
//! projector's statements (`apply`, `wave`, `settle`) leave behind after applying a history in
//! the store's order, computed in memory so that the bulk rebuild writes each row once.
//!
//! A send (one operation and its notifications) is folded whole, because a send's state depends
//! on all its notifications; users' inbox and preference events are folded first, because a
//! read-all marks notifications of other aggregates read. This module must not touch a
//! database or the clock: its rows depend only on the events, and the rebuild tests hold them
//! equal to the live projection's, table by table.

use std::collections::HashMap;

use chrono::{DateTime, SubsecRound, Utc};
use notify_shared::UserId;
use notify_shared::api::{Channel, OperationStatus};
use notify_shared::event::{Envelope, Event, NotificationRequested};
use notify_shared::views::{DeliveryStatus, NotificationStatus, OperationKind};
use uuid::Uuid;

/// A stored event and its place in the store's order.
#[derive(Debug, Clone)]
pub struct Stored {
    pub position: i64,
    pub envelope: Envelope,
}

/// A history the projector could not have produced either.
#[derive(Debug, thiserror::Error)]
pub enum FoldError {
    /// An aggregate's versions do not follow each other in the store's order.
    #[error("aggregate {aggregate}: version {found} follows version {last} in the event store")]
    Gap {
        aggregate: Uuid,
        last: i32,
        found: u64,
    },
    /// An event of a kind the user pass does not fold (the rebuild's query asked for it).
    #[error("event {0} is not an inbox, preferences or user event")]
    NotAUserEvent(Uuid),
}

/// The rows of the read model, by table.
#[derive(Debug, Default)]
pub struct Rows {
    pub notifications: Vec<Notification>,
    pub deliveries: Vec<Delivery>,
    pub timeline: Vec<History>,
    pub operations: Vec<Operation>,
    /// `operation_notifications`: (operation, notification).
    pub links: Vec<(Uuid, Uuid)>,
    pub inboxes: Vec<(UserId, DateTime<Utc>)>,
    pub preferences: Vec<Preferences>,
    pub user_deletions: Vec<(UserId, DateTime<Utc>)>,
    pub applied_events: Vec<Uuid>,
    pub aggregate_versions: Vec<(Uuid, i32)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub id: Uuid,
    pub operation_id: Uuid,
    /// What was requested (`deliver_at` to the microsecond, as stored).
    pub request: NotificationRequested,
    pub status: NotificationStatus,
    pub requested_at: DateTime<Utc>,
    pub dispatched_at: Option<DateTime<Utc>>,
    pub read_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub id: Uuid,
    pub notification_id: Uuid,
    pub channel: Channel,
    pub address: String,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub detail: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// A row of `timeline`: one event of a notification.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    pub event_id: Uuid,
    pub notification_id: Uuid,
    pub sequence: i32,
    pub kind: &'static str,
    pub time: DateTime<Utc>,
    pub source: String,
    pub operation_id: Uuid,
    /// The event's `data`, as JSON text.
    pub data: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    pub id: Uuid,
    pub requester: UserId,
    pub kind: OperationKind,
    pub status: OperationStatus,
    pub resolved_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Preferences {
    pub user_id: UserId,
    pub channels: Vec<Channel>,
    pub email: Option<String>,
    pub webhook_url: Option<String>,
    pub webhook_secret_set: bool,
}

/// Times as the database keeps them (microseconds), as the projector's bound parameters are.
fn stored(time: DateTime<Utc>) -> DateTime<Utc> {
    time.trunc_subsecs(6)
}

/// Checks that `e` is the next version of its aggregate and counts it.
fn next_version(versions: &mut HashMap<Uuid, i32>, e: &Envelope) -> Result<(), FoldError> {
    let last = versions.entry(e.subject).or_default();
    if u64::try_from(*last + 1) != Ok(e.sequence) {
        return Err(FoldError::Gap {
            aggregate: e.subject,
            last: *last,
            found: e.sequence,
        });
    }
    *last += 1;
    Ok(())
}

/// An operation that is final as soon as its one event is applied (an inbox or preferences
/// command, a cancel).
fn applied(e: &Envelope, requester: &UserId, kind: OperationKind) -> Operation {
    Operation {
        id: e.operationid,
        requester: requester.clone(),
        kind,
        status: OperationStatus::Applied,
        resolved_at: Some(stored(e.time)),
    }
}

/// One read-all, in the store's order, with the greatest `up_to` of its user so far.
#[derive(Debug)]
struct ReadAll {
    position: i64,
    up_to: DateTime<Utc>,
    greatest: DateTime<Utc>,
}

/// Every user's read-alls, in the store's order: what the folds of sends need from the users'
/// pass.
#[derive(Debug, Default)]
pub struct ReadAlls(HashMap<UserId, Vec<ReadAll>>);

impl ReadAlls {
    fn push(&mut self, user: &UserId, position: i64, up_to: DateTime<Utc>) {
        let list = self.0.entry(user.clone()).or_default();
        let greatest = list.last().map_or(up_to, |last| last.greatest.max(up_to));
        list.push(ReadAll {
            position,
            up_to,
            greatest,
        });
    }

    /// The user's inbox's `read_all_up_to` just before `position`.
    fn up_to_before(&self, user: &UserId, position: i64) -> Option<DateTime<Utc>> {
        let list = self.0.get(user)?;
        let before = list.partition_point(|r| r.position < position);
        before.checked_sub(1).map(|last| list[last].greatest)
    }

    /// The `up_to` of the first of the user's read-alls after `after` and before `before` that
    /// covers a notification dispatched at `dispatched`.
    fn first_covering(
        &self,
        user: &UserId,
        after: i64,
        before: Option<i64>,
        dispatched: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let list = self.0.get(user)?;
        let start = list.partition_point(|r| r.position <= after);
        list[start..]
            .iter()
            .take_while(|r| before.is_none_or(|before| r.position < before))
            .find(|r| r.up_to >= dispatched)
            .map(|r| r.up_to)
    }
}

/// Folds the users' events (read-alls, preferences, deletions) in the store's order into
/// `rows`; returns the read-alls for the folds of sends.
pub fn users(events: &[Stored], rows: &mut Rows) -> Result<ReadAlls, FoldError> {
    let mut versions = HashMap::new();
    let mut read_alls = ReadAlls::default();
    let mut inboxes: HashMap<&UserId, DateTime<Utc>> = HashMap::new();
    let mut preferences: HashMap<&UserId, Preferences> = HashMap::new();
    let mut deletions: HashMap<&UserId, DateTime<Utc>> = HashMap::new();
    for Stored { position, envelope } in events {
        let e = envelope;
        next_version(&mut versions, e)?;
        rows.applied_events.push(e.id);
        let user = &e.userid;
        match &e.event {
            Event::InboxReadAll(data) => {
                let up_to = stored(data.up_to);
                let inbox = inboxes.entry(user).or_insert(up_to);
                *inbox = (*inbox).max(up_to);
                read_alls.push(user, *position, up_to);
                rows.operations
                    .push(applied(e, user, OperationKind::ReadAll));
            }
            Event::PreferencesUpdated(data) => {
                preferences.insert(
                    user,
                    Preferences {
                        user_id: user.clone(),
                        channels: data.channels.clone(),
                        email: data.email.clone(),
                        webhook_url: data.webhook_url.clone(),
                        webhook_secret_set: data.webhook_secret_set,
                    },
                );
                rows.operations
                    .push(applied(e, user, OperationKind::Preferences));
            }
            Event::UserDeleted(_) => {
                let time = stored(e.time);
                let deleted = deletions.entry(user).or_insert(time);
                *deleted = (*deleted).max(time);
                preferences.remove(user);
            }
            _ => return Err(FoldError::NotAUserEvent(e.id)),
        }
    }
    rows.inboxes.extend(
        inboxes
            .into_iter()
            .map(|(user, up_to)| (user.clone(), up_to)),
    );
    rows.preferences.extend(preferences.into_values());
    rows.user_deletions
        .extend(deletions.into_iter().map(|(user, at)| (user.clone(), at)));
    rows.aggregate_versions.extend(versions);
    Ok(read_alls)
}

/// A notification of the send being folded.
#[derive(Debug)]
struct Open {
    row: Notification,
    /// The position of its last event folded so far.
    last: i64,
    /// The latest time of its final events (delivered, failed, cancelled) so far.
    finished: Option<DateTime<Utc>>,
}

/// Folds one send: `events` are every event of its notifications, in the store's order, the
/// first being a `notification.requested`.
pub fn send(events: &[Stored], read_alls: &ReadAlls, rows: &mut Rows) -> Result<(), FoldError> {
    let mut send = Send {
        read_alls,
        open: Vec::new(),
        deliveries: Vec::new(),
        operation: None,
        versions: HashMap::new(),
    };
    for stored in events {
        send.apply(stored, rows)?;
    }
    for open in &mut send.open {
        catch_up(read_alls, &mut open.row, open.last, None);
    }
    rows.notifications
        .extend(send.open.into_iter().map(|open| open.row));
    rows.deliveries.extend(send.deliveries);
    rows.operations.extend(send.operation);
    rows.aggregate_versions.extend(send.versions);
    Ok(())
}

/// A send being folded.
struct Send<'a> {
    read_alls: &'a ReadAlls,
    /// Its notifications, in the order they were requested.
    open: Vec<Open>,
    deliveries: Vec<Delivery>,
    /// The send's own operation.
    operation: Option<Operation>,
    versions: HashMap<Uuid, i32>,
}

impl Send<'_> {
    fn apply(&mut self, stored_event: &Stored, rows: &mut Rows) -> Result<(), FoldError> {
        let Stored { position, envelope } = stored_event;
        let e = envelope;
        next_version(&mut self.versions, e)?;
        rows.applied_events.push(e.id);
        rows.timeline.push(history(e));
        let time = stored(e.time);
        let index = self.open.iter().position(|open| open.row.id == e.subject);
        if let Some(index) = index {
            let open = &mut self.open[index];
            catch_up(self.read_alls, &mut open.row, open.last, Some(*position));
            open.last = *position;
            if matches!(
                e.event,
                Event::NotificationDelivered(_)
                    | Event::NotificationFailed(_)
                    | Event::NotificationCancelled(_)
            ) {
                open.finished = Some(open.finished.map_or(time, |at| at.max(time)));
            }
        }
        match &e.event {
            Event::NotificationRequested(data) => {
                if index.is_some() {
                    return Ok(()); // a repeated request changes nothing
                }
                let (status, operation_status) = match data.deliver_at {
                    Some(_) => (NotificationStatus::Scheduled, OperationStatus::Scheduled),
                    None => (NotificationStatus::Requested, OperationStatus::Accepted),
                };
                self.open.push(Open {
                    row: Notification {
                        id: e.subject,
                        operation_id: e.operationid,
                        request: NotificationRequested {
                            deliver_at: data.deliver_at.map(stored),
                            ..data.clone()
                        },
                        status,
                        requested_at: time,
                        dispatched_at: None,
                        read_at: None,
                    },
                    last: *position,
                    finished: None,
                });
                self.operation.get_or_insert_with(|| Operation {
                    id: e.operationid,
                    requester: data.sender.clone(),
                    kind: OperationKind::Send,
                    status: operation_status,
                    resolved_at: None,
                });
                rows.links.push((e.operationid, e.subject));
            }
            Event::NotificationDispatched(_) => {
                let Some(index) = index else { return Ok(()) };
                let row = &mut self.open[index].row;
                row.status = NotificationStatus::Dispatched;
                row.dispatched_at = Some(time);
                row.read_at = self
                    .read_alls
                    .up_to_before(&row.request.recipient, *position)
                    .filter(|up_to| *up_to >= time);
                // The send is dispatched once none of its notifications waits any more.
                let waiting = self.open.iter().any(|open| {
                    matches!(
                        open.row.status,
                        NotificationStatus::Requested | NotificationStatus::Scheduled
                    )
                });
                if let Some(operation) = &mut self.operation
                    && matches!(
                        operation.status,
                        OperationStatus::Accepted | OperationStatus::Scheduled
                    )
                    && !waiting
                {
                    operation.status = OperationStatus::Dispatched;
                }
            }
            Event::DeliveryRequested(data) => {
                match self
                    .deliveries
                    .iter_mut()
                    .find(|d| d.id == data.delivery_id)
                {
                    Some(delivery) => {
                        delivery.status = DeliveryStatus::Pending;
                        delivery.attempts = attempts(data.attempt);
                        delivery.updated_at = time;
                    }
                    None => self.deliveries.push(Delivery {
                        id: data.delivery_id,
                        notification_id: e.subject,
                        channel: data.channel,
                        address: data.address.clone(),
                        status: DeliveryStatus::Pending,
                        attempts: attempts(data.attempt),
                        detail: None,
                        updated_at: time,
                    }),
                }
            }
            Event::DeliverySucceeded(data) | Event::DeliveryFailed(data) => {
                let succeeded = matches!(e.event, Event::DeliverySucceeded(_));
                let found = self
                    .deliveries
                    .iter_mut()
                    .find(|d| d.id == data.delivery_id);
                if let Some(delivery) = found
                    && delivery.status != DeliveryStatus::Succeeded
                {
                    delivery.status = match (succeeded, data.permanent) {
                        (true, _) => DeliveryStatus::Succeeded,
                        (false, true) => DeliveryStatus::Failed,
                        (false, false) => DeliveryStatus::Pending,
                    };
                    delivery.attempts = attempts(data.attempt);
                    delivery.detail = Some(data.detail.clone());
                    delivery.updated_at = time;
                }
            }
            Event::NotificationDelivered(_) => {
                if let Some(index) = index {
                    self.open[index].row.status = NotificationStatus::Delivered;
                    self.settle();
                }
            }
            Event::NotificationFailed(data) => {
                let Some(index) = index else { return Ok(()) };
                let id = e.subject;
                let succeeded = self
                    .deliveries
                    .iter()
                    .any(|d| d.notification_id == id && d.status == DeliveryStatus::Succeeded);
                self.open[index].row.status = if succeeded {
                    NotificationStatus::PartiallyDelivered
                } else {
                    NotificationStatus::Failed
                };
                for delivery in &mut self.deliveries {
                    if delivery.notification_id == id
                        && data.failed_channels.contains(&delivery.channel)
                        && delivery.status != DeliveryStatus::Succeeded
                    {
                        delivery.status = DeliveryStatus::Failed;
                        delivery.updated_at = time;
                    }
                }
                self.settle();
            }
            Event::NotificationCancelled(data) => {
                if let Some(index) = index {
                    self.open[index].row.status = NotificationStatus::Cancelled;
                    self.settle();
                }
                rows.operations
                    .push(applied(e, &data.by, OperationKind::Cancel));
                rows.links.push((e.operationid, e.subject));
            }
            Event::NotificationRead(_) | Event::NotificationUnread(_) => {
                let read = matches!(e.event, Event::NotificationRead(_));
                if let Some(index) = index {
                    let row = &mut self.open[index].row;
                    row.read_at = if read {
                        row.read_at.or(Some(time))
                    } else {
                        None
                    };
                }
                let kind = if read {
                    OperationKind::Read
                } else {
                    OperationKind::Unread
                };
                rows.operations.push(applied(e, &e.userid, kind));
                rows.links.push((e.operationid, e.subject));
            }
            Event::NotificationEscalated(_) => {}
            Event::InboxReadAll(_)
            | Event::PreferencesUpdated(_)
            | Event::UserDeleted(_)
            | Event::OperationResolved(_) => {}
        }
        Ok(())
    }

    /// Gives the send its final state once every notification of it has one (see
    /// `settle::sends`, whose rule this is).
    fn settle(&mut self) {
        let Some(operation) = &mut self.operation else {
            return;
        };
        if operation.resolved_at.is_some() {
            return;
        }
        let open = self.open.iter().any(|open| {
            !matches!(
                open.row.status,
                NotificationStatus::Delivered
                    | NotificationStatus::PartiallyDelivered
                    | NotificationStatus::Failed
                    | NotificationStatus::Cancelled
            )
        });
        let time = self.open.iter().filter_map(|open| open.finished).max();
        let Some(time) = time.filter(|_| !open) else {
            return;
        };
        let count = |status| {
            self.deliveries
                .iter()
                .filter(|d| d.status == status)
                .count()
        };
        let (succeeded, failed) = (
            count(DeliveryStatus::Succeeded),
            count(DeliveryStatus::Failed),
        );
        let cancelled = self
            .open
            .iter()
            .all(|open| open.row.status == NotificationStatus::Cancelled);
        operation.status = if cancelled {
            OperationStatus::Cancelled
        } else if failed == 0 {
            OperationStatus::Delivered
        } else if succeeded == 0 {
            OperationStatus::Failed
        } else {
            OperationStatus::PartiallyDelivered
        };
        operation.resolved_at = Some(time);
    }
}

/// Marks `row` read as the recipient's read-alls between its events at `after` and `before`
/// (the end of the history when `None`) would have.
fn catch_up(read_alls: &ReadAlls, row: &mut Notification, after: i64, before: Option<i64>) {
    if row.read_at.is_some() {
        return;
    }
    if let Some(dispatched) = row.dispatched_at {
        row.read_at = read_alls.first_covering(&row.request.recipient, after, before, dispatched);
    }
}

fn history(e: &Envelope) -> History {
    /// The `data` member of an event as the envelope writes it.
    #[derive(serde::Deserialize)]
    struct Data<'a> {
        #[serde(borrow)]
        data: &'a serde_json::value::RawValue,
    }
    let event = serde_json::to_string(&e.event).unwrap_or_default();
    let data = serde_json::from_str::<Data<'_>>(&event)
        .map_or_else(|_| "null".to_owned(), |member| member.data.get().to_owned());
    History {
        event_id: e.id,
        notification_id: e.subject,
        sequence: i32::try_from(e.sequence).unwrap_or(i32::MAX),
        kind: e.event.kind(),
        time: stored(e.time),
        source: e.source.clone(),
        operation_id: e.operationid,
        data,
    }
}

fn attempts(attempt: u32) -> i32 {
    i32::try_from(attempt).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests;
