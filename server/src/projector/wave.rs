//! Set-wise projection of the pipeline's events: a notification requested, dispatched, its
//! deliveries requested and settled, and its final state.
//!
//! A wave holds at most one event per aggregate, so no two of its events touch the same row of
//! a table they write. Its events are applied kind by kind in the pipeline's order, one
//! statement per table per kind, whatever their number: the same result as applying them one
//! by one, for far fewer round trips. A statement that decides from sibling rows (a send
//! dispatched, a send settled) must account for the rows the same statement changes: it runs
//! on the snapshot from before them.
//!
//! It must not be given two events of one aggregate, nor an event that is not the pipeline's:
//! `apply.rs` makes the waves.

use chrono::{DateTime, SubsecRound, Utc};
use notify_shared::api::OperationStatus;
use notify_shared::event::{DeliveryOutcome, DeliveryRequested, Envelope, Event};
use notify_shared::views::OperationKind;
use notify_shared::wire_name::WireName;
use serde::Serialize;
use sqlx::PgConnection;
use sqlx::types::Json;
use uuid::Uuid;

use super::resolved::Resolved;
use super::settle;

/// Whether `event` is applied in waves (the pipeline's kinds) rather than on its own.
pub(super) fn is_pipeline(event: &Event) -> bool {
    matches!(
        event,
        Event::NotificationRequested(_)
            | Event::NotificationDispatched(_)
            | Event::DeliveryRequested(_)
            | Event::DeliverySucceeded(_)
            | Event::DeliveryFailed(_)
            | Event::NotificationDelivered(_)
            | Event::NotificationFailed(_)
    )
}

/// Applies `events`, pipeline kinds with at most one event per aggregate; returns the
/// operations that reached a final state.
pub(super) async fn apply(
    conn: &mut PgConnection,
    events: &[&Envelope],
) -> Result<Vec<Resolved>, sqlx::Error> {
    let mut wave = Wave::default();
    for e in events {
        wave.add(e);
    }
    wave.requested(conn).await?;
    wave.dispatched(conn).await?;
    wave.deliveries_requested(conn).await?;
    wave.outcomes(conn).await?;
    wave.finished(conn).await
}

/// A wave's rows, by kind, as statement parameters.
#[derive(Debug, Default)]
struct Wave {
    requested: Vec<RequestedRow>,
    /// Dispatched notifications and their dispatch times.
    dispatched: (Vec<Uuid>, Vec<DateTime<Utc>>),
    deliveries: Vec<DeliveryRow>,
    outcomes: Vec<OutcomeRow>,
    /// Notifications that reached a final state, with its name and time.
    finished: Vec<(Uuid, &'static str)>,
    /// (notification, channel, time) for each channel of a failed notification.
    failed_channels: Vec<(Uuid, &'static str, DateTime<Utc>)>,
}

/// A notification and its send, as a JSON record (tags and channels are arrays of their own).
#[derive(Debug, Serialize)]
struct RequestedRow {
    id: Uuid,
    operation_id: Uuid,
    sender: String,
    recipient: String,
    title: Option<String>,
    body: String,
    priority: &'static str,
    tags: Vec<String>,
    channels: Vec<&'static str>,
    thread: Option<String>,
    status: &'static str,
    operation_status: &'static str,
    requested_at: DateTime<Utc>,
    deliver_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize)]
struct DeliveryRow {
    id: Uuid,
    notification_id: Uuid,
    channel: &'static str,
    address: String,
    attempts: i32,
    time: DateTime<Utc>,
}

#[derive(Debug, Serialize)]
struct OutcomeRow {
    id: Uuid,
    status: &'static str,
    attempts: i32,
    detail: String,
    time: DateTime<Utc>,
}

impl Wave {
    fn add(&mut self, e: &Envelope) {
        // Times as the database keeps them (microseconds), the same as a bound parameter.
        let time = e.time.trunc_subsecs(6);
        match &e.event {
            Event::NotificationRequested(data) => {
                let (status, operation_status) = match data.deliver_at {
                    Some(_) => ("scheduled", OperationStatus::Scheduled),
                    None => ("requested", OperationStatus::Accepted),
                };
                self.requested.push(RequestedRow {
                    id: e.subject,
                    operation_id: e.operationid,
                    sender: data.sender.to_string(),
                    recipient: data.recipient.to_string(),
                    title: data.title.clone(),
                    body: data.body.clone(),
                    priority: data.priority.as_str(),
                    tags: data.tags.clone(),
                    channels: data.channels.iter().map(|c| c.as_str()).collect(),
                    thread: data.thread.clone(),
                    status,
                    operation_status: operation_status.as_str(),
                    requested_at: time,
                    deliver_at: data.deliver_at.map(|at| at.trunc_subsecs(6)),
                });
            }
            Event::NotificationDispatched(_) => {
                self.dispatched.0.push(e.subject);
                self.dispatched.1.push(time);
            }
            Event::DeliveryRequested(data) => self.deliveries.push(delivery(e, data, time)),
            Event::DeliverySucceeded(data) => self.outcomes.push(outcome(data, true, time)),
            Event::DeliveryFailed(data) => self.outcomes.push(outcome(data, false, time)),
            Event::NotificationDelivered(_) => self.finished.push((e.subject, "delivered")),
            Event::NotificationFailed(data) => {
                self.finished.push((e.subject, "failed"));
                self.failed_channels.extend(
                    data.failed_channels
                        .iter()
                        .map(|channel| (e.subject, channel.as_str(), time)),
                );
            }
            other => unreachable!("{} is not applied in waves", other.kind()),
        }
    }

    /// The notifications, their sends (one per send, however many recipients it has in the
    /// wave) and their links, in one statement.
    async fn requested(&self, conn: &mut PgConnection) -> Result<(), sqlx::Error> {
        if self.requested.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "WITH r AS (
                 SELECT * FROM jsonb_to_recordset($1) AS r (
                     id uuid, operation_id uuid, sender text, recipient text, title text, body text,
                     priority text, tags text[], channels text[], thread text, status text,
                     operation_status text, requested_at timestamptz, deliver_at timestamptz)
             ), notification AS (
                 INSERT INTO notifications
                     (id, operation_id, sender, recipient, title, body, priority, tags, channels,
                      thread, status, requested_at, deliver_at)
                 SELECT id, operation_id, sender, recipient, title, body, priority, tags, channels,
                        thread, status, requested_at, deliver_at
                 FROM r
                 ON CONFLICT (id) DO NOTHING
             ), send AS (
                 INSERT INTO operations (id, requester, kind, status)
                 SELECT DISTINCT ON (operation_id) operation_id, sender, $2, operation_status FROM r
                 ORDER BY operation_id
                 ON CONFLICT (id) DO NOTHING
             )
             INSERT INTO operation_notifications SELECT operation_id, id FROM r ON CONFLICT DO NOTHING",
        )
        .bind(Json(&self.requested))
        .bind(OperationKind::Send.as_str())
        .execute(conn)
        .await?;
        Ok(())
    }

    async fn dispatched(&self, conn: &mut PgConnection) -> Result<(), sqlx::Error> {
        let (ids, times) = &self.dispatched;
        if ids.is_empty() {
            return Ok(());
        }
        // A read-all recorded before a dispatch (by event time) covers it too. A send is
        // dispatched once none of its notifications waits any more: the check runs on the
        // statement's snapshot, so it leaves out the notifications this statement dispatches.
        sqlx::query(
            "WITH dispatched AS (
                 UPDATE notifications n
                 SET status = 'dispatched', dispatched_at = d.time,
                     read_at = (SELECT i.read_all_up_to FROM inboxes i
                                WHERE i.user_id = n.recipient AND i.read_all_up_to >= d.time)
                 FROM UNNEST($1::uuid[], $2::timestamptz[]) AS d (id, time)
                 WHERE n.id = d.id
                 RETURNING n.id, n.operation_id
             )
             UPDATE operations o SET status = 'dispatched'
             WHERE o.id IN (SELECT operation_id FROM dispatched)
               AND o.status IN ('accepted', 'scheduled')
               AND NOT EXISTS (SELECT FROM operation_notifications l JOIN notifications n ON n.id = l.notification_id
                               WHERE l.operation_id = o.id AND n.status IN ('requested', 'scheduled')
                                 AND n.id NOT IN (SELECT id FROM dispatched))",
        )
        .bind(ids)
        .bind(times)
        .execute(conn)
        .await?;
        Ok(())
    }

    /// A channel's delivery was requested (first attempt or a retry).
    async fn deliveries_requested(&self, conn: &mut PgConnection) -> Result<(), sqlx::Error> {
        if self.deliveries.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO deliveries (id, notification_id, channel, address, status, attempts, updated_at)
             SELECT id, notification_id, channel, address, 'pending', attempts, time
             FROM jsonb_to_recordset($1) AS r (
                 id uuid, notification_id uuid, channel text, address text, attempts int,
                 time timestamptz)
             ON CONFLICT (id) DO UPDATE
             SET status = 'pending', attempts = excluded.attempts, updated_at = excluded.updated_at",
        )
        .bind(Json(&self.deliveries))
        .execute(conn)
        .await?;
        Ok(())
    }

    /// Attempts' outcomes. A failure that may be retried leaves its delivery pending; the
    /// notification's final event settles it.
    async fn outcomes(&self, conn: &mut PgConnection) -> Result<(), sqlx::Error> {
        if self.outcomes.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "UPDATE deliveries d
             SET status = r.status, attempts = r.attempts, detail = r.detail, updated_at = r.time
             FROM jsonb_to_recordset($1) AS r (
                 id uuid, status text, attempts int, detail text, time timestamptz)
             WHERE d.id = r.id AND d.status <> 'succeeded'",
        )
        .bind(Json(&self.outcomes))
        .execute(conn)
        .await?;
        Ok(())
    }

    /// Notifications that reached their final state: `delivered`, or on their failed channels
    /// `partially_delivered` when another channel succeeded and `failed` when none did (the
    /// words a send's own state uses); then the sends they complete.
    async fn finished(&self, conn: &mut PgConnection) -> Result<Vec<Resolved>, sqlx::Error> {
        if self.finished.is_empty() {
            return Ok(Vec::new());
        }
        let (ids, statuses): (Vec<Uuid>, Vec<&str>) = self.finished.iter().copied().unzip();
        sqlx::query(
            // A notification's outcomes come in waves before its final event (one event of an
            // aggregate per wave), so its succeeded deliveries are already here.
            "UPDATE notifications n
             SET status = CASE WHEN f.status = 'failed' AND EXISTS (
                                   SELECT FROM deliveries d
                                   WHERE d.notification_id = n.id AND d.status = 'succeeded')
                               THEN 'partially_delivered' ELSE f.status END
             FROM UNNEST($1::uuid[], $2::text[]) AS f (id, status) WHERE n.id = f.id",
        )
        .bind(&ids)
        .bind(&statuses)
        .execute(&mut *conn)
        .await?;
        if !self.failed_channels.is_empty() {
            let (failed, channels, at) = unzip3(&self.failed_channels);
            sqlx::query(
                "UPDATE deliveries d SET status = 'failed', updated_at = f.time
                 FROM UNNEST($1::uuid[], $2::text[], $3::timestamptz[]) AS f (id, channel, time)
                 WHERE d.notification_id = f.id AND d.channel = f.channel AND d.status <> 'succeeded'",
            )
            .bind(&failed)
            .bind(&channels)
            .bind(&at)
            .execute(&mut *conn)
            .await?;
        }
        settle::sends(conn, &ids).await
    }
}

fn delivery(e: &Envelope, data: &DeliveryRequested, time: DateTime<Utc>) -> DeliveryRow {
    DeliveryRow {
        id: data.delivery_id,
        notification_id: e.subject,
        channel: data.channel.as_str(),
        address: data.address.clone(),
        attempts: attempts(data.attempt),
        time,
    }
}

fn outcome(data: &DeliveryOutcome, succeeded: bool, time: DateTime<Utc>) -> OutcomeRow {
    OutcomeRow {
        id: data.delivery_id,
        status: match (succeeded, data.permanent) {
            (true, _) => "succeeded",
            (false, true) => "failed",
            (false, false) => "pending",
        },
        attempts: attempts(data.attempt),
        detail: data.detail.clone(),
        time,
    }
}

fn attempts(attempt: u32) -> i32 {
    i32::try_from(attempt).unwrap_or(i32::MAX)
}

fn unzip3<A: Clone, B: Clone, C: Clone>(rows: &[(A, B, C)]) -> (Vec<A>, Vec<B>, Vec<C>) {
    let mut columns = (
        Vec::with_capacity(rows.len()),
        Vec::with_capacity(rows.len()),
        Vec::with_capacity(rows.len()),
    );
    for (a, b, c) in rows {
        columns.0.push(a.clone());
        columns.1.push(b.clone());
        columns.2.push(c.clone());
    }
    columns
}
