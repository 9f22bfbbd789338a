//! Applying events to the read model: the only code that writes the read DB.
//!
//! Every change derives from the event's data and time (never the clock), so replaying the
//! event store gives the same read model as the live projection. Each event is applied once in
//! effect: its id is recorded in `applied_events` in the same transaction, a version at or
//! below the aggregate's current one is ignored, and a version that arrives ahead of a missing
//! predecessor waits in `pending_events` until the gap fills.

use notify_shared::UserId;
use notify_shared::api::OperationStatus;
use notify_shared::event::{Envelope, Event, InboxReadAll, NotificationRequested};
use notify_shared::views::OperationKind;
use serde::Serialize;
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use sqlx::types::Json;
use uuid::Uuid;

use super::delivery;

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

/// Applies `events` in order inside the caller's transaction; returns the operations that
/// reached a final state.
///
/// The bookkeeping is done for the whole batch at once: one statement records the event ids,
/// one locks and reads the versions of every aggregate touched (in id order, so concurrent
/// projectors queue instead of deadlocking), one reads their parked events, and at the end one
/// writes the new versions and one the history rows. Per event only the model changes remain.
pub async fn apply_all(
    conn: &mut PgConnection,
    events: &[Envelope],
) -> Result<Vec<Resolved>, sqlx::Error> {
    // Published by projectors for requesters; not part of the model.
    let events: Vec<&Envelope> = events
        .iter()
        .filter(|e| !matches!(e.event, Event::OperationResolved(_)))
        .collect();
    let ids: Vec<Uuid> = events.iter().map(|e| e.id).collect();
    let mut fresh: HashSet<Uuid> = sqlx::query_scalar(
        "INSERT INTO applied_events (event_id) SELECT * FROM UNNEST($1::uuid[])
         ON CONFLICT DO NOTHING RETURNING event_id",
    )
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .collect();
    // The first copy of each fresh event; later copies in the same batch are repeats.
    let events: Vec<&Envelope> = events.into_iter().filter(|e| fresh.remove(&e.id)).collect();
    if events.is_empty() {
        return Ok(Vec::new());
    }

    let mut aggregates: Vec<Uuid> = events.iter().map(|e| e.subject).collect();
    aggregates.sort_unstable();
    aggregates.dedup();
    let mut versions: HashMap<Uuid, i32> = sqlx::query_as(
        "INSERT INTO aggregate_versions (aggregate_id, version)
         SELECT id, 0 FROM UNNEST($1::uuid[]) AS a (id)
         ON CONFLICT (aggregate_id) DO UPDATE SET version = aggregate_versions.version
         RETURNING aggregate_id, version",
    )
    .bind(&aggregates)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .collect();
    let mut parked: HashMap<(Uuid, i32), Envelope> = sqlx::query_as::<_, (Uuid, i32, Json<Envelope>)>(
        "SELECT aggregate_id, version, document FROM pending_events WHERE aggregate_id = ANY($1)",
    )
    .bind(&aggregates)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|(aggregate, version, json)| ((aggregate, version), json.0))
    .collect();

    let mut batch = Batch::default();
    for &envelope in &events {
        let current = versions.get(&envelope.subject).copied().unwrap_or_default();
        let sequence = version_of(envelope)?;
        if sequence <= current {
            continue; // stale: a later version is already applied
        }
        if sequence > current + 1 {
            sqlx::query(
                "INSERT INTO pending_events (aggregate_id, version, document) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(envelope.subject)
            .bind(sequence)
            .bind(Json(envelope))
            .execute(&mut *conn)
            .await?;
            parked.insert((envelope.subject, sequence), envelope.clone());
            continue;
        }
        batch.project(conn, envelope).await?;
        let mut version = sequence;
        while let Some(next) = parked.remove(&(envelope.subject, version + 1)) {
            version += 1;
            batch.unparked.push((envelope.subject, version));
            batch.project(conn, &next).await?;
        }
        versions.insert(envelope.subject, version);
        batch.moved.insert(envelope.subject);
    }
    batch.finish(conn, &versions).await
}

/// What applying a batch changed besides the model, written once at its end.
#[derive(Debug, Default)]
struct Batch {
    resolved: Vec<Resolved>,
    /// Aggregates whose version moved.
    moved: HashSet<Uuid>,
    /// Parked events that were applied.
    unparked: Vec<(Uuid, i32)>,
    /// History rows, one per applied event about one notification.
    timeline: Timeline,
}

impl Batch {
    async fn project(&mut self, conn: &mut PgConnection, e: &Envelope) -> Result<(), sqlx::Error> {
        project(conn, e, &mut self.resolved).await?;
        // Inbox and preferences events are not about one notification: no history row.
        if !matches!(
            e.event,
            Event::InboxReadAll(_) | Event::PreferencesUpdated(_)
        ) {
            self.timeline.push(e)?;
        }
        Ok(())
    }

    async fn finish(
        self,
        conn: &mut PgConnection,
        versions: &HashMap<Uuid, i32>,
    ) -> Result<Vec<Resolved>, sqlx::Error> {
        let (aggregates, moved): (Vec<Uuid>, Vec<i32>) = self
            .moved
            .iter()
            .map(|aggregate| (*aggregate, versions[aggregate]))
            .unzip();
        sqlx::query(
            "UPDATE aggregate_versions a SET version = m.version
             FROM UNNEST($1::uuid[], $2::int[]) AS m (id, version) WHERE a.aggregate_id = m.id",
        )
        .bind(&aggregates)
        .bind(&moved)
        .execute(&mut *conn)
        .await?;
        if !self.unparked.is_empty() {
            let (aggregates, versions): (Vec<Uuid>, Vec<i32>) = self.unparked.into_iter().unzip();
            sqlx::query(
                "DELETE FROM pending_events p USING UNNEST($1::uuid[], $2::int[]) AS u (id, version)
                 WHERE p.aggregate_id = u.id AND p.version = u.version",
            )
            .bind(&aggregates)
            .bind(&versions)
            .execute(&mut *conn)
            .await?;
        }
        self.timeline.insert(conn).await?;
        Ok(self.resolved)
    }
}

fn version_of(envelope: &Envelope) -> Result<i32, sqlx::Error> {
    i32::try_from(envelope.sequence).map_err(|e| sqlx::Error::Decode(e.into()))
}

/// Changes the read model for one event whose turn it is.
async fn project(
    conn: &mut PgConnection,
    e: &Envelope,
    resolved: &mut Vec<Resolved>,
) -> Result<(), sqlx::Error> {
    match &e.event {
        Event::NotificationRequested(data) => requested(conn, e, data).await?,
        Event::NotificationDispatched(_) => dispatched(conn, e).await?,
        Event::NotificationCancelled(data) => {
            set_status(conn, e.subject, "cancelled").await?;
            if let Some(done) = delivery::settle_send(conn, e.subject, e).await? {
                resolved.push(done);
            }
            // The cancel is an operation of its own, asked for by the sender (the event is
            // addressed to the recipient): applied at once.
            operation(
                conn,
                e.operationid,
                &data.by,
                OperationKind::Cancel,
                OperationStatus::Applied,
                Some(e),
            )
            .await?;
            link(conn, e.operationid, e.subject).await?;
            resolved.push(Resolved {
                operation_id: e.operationid,
                requester: data.by.clone(),
                status: OperationStatus::Applied,
            });
        }
        Event::NotificationRead(_) | Event::NotificationUnread(_) => {
            let read = matches!(e.event, Event::NotificationRead(_));
            sqlx::query(
                "UPDATE notifications SET read_at = CASE WHEN $2 THEN coalesce(read_at, $3) END WHERE id = $1",
            )
            .bind(e.subject)
            .bind(read)
            .bind(e.time)
            .execute(&mut *conn)
            .await?;
            let kind = if read {
                OperationKind::Read
            } else {
                OperationKind::Unread
            };
            resolved.push(applied(conn, e, kind, Some(e.subject)).await?);
        }
        Event::InboxReadAll(data) => {
            read_all(conn, e, data).await?;
            resolved.push(applied(conn, e, OperationKind::ReadAll, None).await?);
        }
        Event::DeliveryRequested(data) => delivery::requested(conn, e, data).await?,
        Event::DeliverySucceeded(data) => delivery::outcome(conn, e, data, true).await?,
        Event::DeliveryFailed(data) => delivery::outcome(conn, e, data, false).await?,
        Event::NotificationDelivered(_) => resolved.extend(delivery::finished(conn, e, &[]).await?),
        Event::NotificationFailed(data) => {
            resolved.extend(delivery::finished(conn, e, &data.failed_channels).await?);
        }
        Event::NotificationEscalated(_) => {}
        Event::PreferencesUpdated(data) => {
            delivery::preferences(conn, e, data).await?;
            resolved.push(applied(conn, e, OperationKind::Preferences, None).await?);
        }
        Event::OperationResolved(_) => {}
    }
    Ok(())
}

async fn requested(
    conn: &mut PgConnection,
    e: &Envelope,
    data: &NotificationRequested,
) -> Result<(), sqlx::Error> {
    let (status, operation_status) = match data.deliver_at {
        Some(_) => ("scheduled", OperationStatus::Scheduled),
        None => ("requested", OperationStatus::Accepted),
    };
    let channels: Vec<String> = data.channels.iter().map(name).collect();
    // The notification, its send and their link in one round trip.
    sqlx::query(
        "WITH notification AS (
             INSERT INTO notifications
                 (id, operation_id, sender, recipient, title, body, priority, tags, channels, thread,
                  status, requested_at, deliver_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
             ON CONFLICT (id) DO NOTHING
         ), send AS (
             INSERT INTO operations (id, requester, kind, status) VALUES ($2, $3, $14, $15)
             ON CONFLICT (id) DO NOTHING
         )
         INSERT INTO operation_notifications VALUES ($2, $1) ON CONFLICT DO NOTHING",
    )
    .bind(e.subject)
    .bind(e.operationid)
    .bind(data.sender.as_str())
    .bind(data.recipient.as_str())
    .bind(&data.title)
    .bind(&data.body)
    .bind(name(&data.priority))
    .bind(&data.tags)
    .bind(&channels)
    .bind(&data.thread)
    .bind(status)
    .bind(e.time)
    .bind(data.deliver_at)
    .bind(name(&OperationKind::Send))
    .bind(name(&operation_status))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn dispatched(conn: &mut PgConnection, e: &Envelope) -> Result<(), sqlx::Error> {
    // A read-all recorded before this dispatch (by event time) covers it too.
    sqlx::query(
        "UPDATE notifications n
         SET status = 'dispatched', dispatched_at = $2,
             read_at = (SELECT i.read_all_up_to FROM inboxes i
                        WHERE i.user_id = n.recipient AND i.read_all_up_to >= $2)
         WHERE n.id = $1",
    )
    .bind(e.subject)
    .bind(e.time)
    .execute(&mut *conn)
    .await?;
    // The send is dispatched once none of its notifications waits any more.
    sqlx::query(
        "UPDATE operations o SET status = 'dispatched'
         WHERE o.id = (SELECT operation_id FROM notifications WHERE id = $1)
           AND o.status IN ('accepted', 'scheduled')
           AND NOT EXISTS (SELECT FROM operation_notifications l JOIN notifications n ON n.id = l.notification_id
                           WHERE l.operation_id = o.id AND n.status IN ('requested', 'scheduled'))",
    )
    .bind(e.subject)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn read_all(
    conn: &mut PgConnection,
    e: &Envelope,
    data: &InboxReadAll,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO inboxes (user_id, read_all_up_to) VALUES ($1, $2)
         ON CONFLICT (user_id) DO UPDATE SET read_all_up_to = greatest(inboxes.read_all_up_to, $2)",
    )
    .bind(e.userid.as_str())
    .bind(data.up_to)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE notifications SET read_at = $2
         WHERE recipient = $1 AND read_at IS NULL AND dispatched_at <= $2",
    )
    .bind(e.userid.as_str())
    .bind(data.up_to)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn set_status(
    conn: &mut PgConnection,
    notification: Uuid,
    status: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE notifications SET status = $2 WHERE id = $1")
        .bind(notification)
        .bind(status)
        .execute(conn)
        .await?;
    Ok(())
}

/// Records an inbox command as applied: its operation is final at once.
async fn applied(
    conn: &mut PgConnection,
    e: &Envelope,
    kind: OperationKind,
    notification: Option<Uuid>,
) -> Result<Resolved, sqlx::Error> {
    operation(
        conn,
        e.operationid,
        &e.userid,
        kind,
        OperationStatus::Applied,
        Some(e),
    )
    .await?;
    if let Some(notification) = notification {
        link(conn, e.operationid, notification).await?;
    }
    Ok(Resolved {
        operation_id: e.operationid,
        requester: e.userid.clone(),
        status: OperationStatus::Applied,
    })
}

async fn operation(
    conn: &mut PgConnection,
    id: Uuid,
    requester: &UserId,
    kind: OperationKind,
    status: OperationStatus,
    resolved_by: Option<&Envelope>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO operations (id, requester, kind, status, resolved_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(id)
    .bind(requester.as_str())
    .bind(name(&kind))
    .bind(name(&status))
    .bind(resolved_by.map(|e| e.time))
    .execute(conn)
    .await?;
    Ok(())
}

async fn link(
    conn: &mut PgConnection,
    operation: Uuid,
    notification: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO operation_notifications VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(operation)
        .bind(notification)
        .execute(conn)
        .await?;
    Ok(())
}

/// The history rows of a batch, as columns for one `INSERT ... SELECT FROM UNNEST`.
#[derive(Debug, Default)]
struct Timeline {
    event_ids: Vec<Uuid>,
    notifications: Vec<Uuid>,
    sequences: Vec<i32>,
    kinds: Vec<&'static str>,
    times: Vec<DateTime<Utc>>,
    sources: Vec<String>,
    operations: Vec<Uuid>,
    data: Vec<serde_json::Value>,
}

impl Timeline {
    fn push(&mut self, e: &Envelope) -> Result<(), sqlx::Error> {
        let mut document =
            serde_json::to_value(e).map_err(|error| sqlx::Error::Encode(error.into()))?;
        self.event_ids.push(e.id);
        self.notifications.push(e.subject);
        self.sequences.push(version_of(e)?);
        self.kinds.push(e.event.kind());
        self.times.push(e.time);
        self.sources.push(e.source.clone());
        self.operations.push(e.operationid);
        self.data.push(document["data"].take());
        Ok(())
    }

    async fn insert(self, conn: &mut PgConnection) -> Result<(), sqlx::Error> {
        if self.event_ids.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO timeline (event_id, notification_id, sequence, kind, time, source, operation_id, data)
             SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::int[], $4::text[], $5::timestamptz[],
                                  $6::text[], $7::uuid[], $8::jsonb[])
             ON CONFLICT DO NOTHING",
        )
        .bind(&self.event_ids)
        .bind(&self.notifications)
        .bind(&self.sequences)
        .bind(&self.kinds)
        .bind(&self.times)
        .bind(&self.sources)
        .bind(&self.operations)
        .bind(&self.data)
        .execute(conn)
        .await?;
        Ok(())
    }
}

/// The JSON name of a unit enum variant (`high`, `read_all`, `applied`).
pub fn name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        other => unreachable!("unit variants serialize as strings, got {other:?}"),
    }
}
