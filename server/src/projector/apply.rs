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
use sqlx::PgConnection;
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
pub async fn apply_all(
    conn: &mut PgConnection,
    events: &[Envelope],
) -> Result<Vec<Resolved>, sqlx::Error> {
    let mut resolved = Vec::new();
    for envelope in events {
        apply(conn, envelope, &mut resolved).await?;
    }
    Ok(resolved)
}

async fn apply(
    conn: &mut PgConnection,
    envelope: &Envelope,
    resolved: &mut Vec<Resolved>,
) -> Result<(), sqlx::Error> {
    if matches!(envelope.event, Event::OperationResolved(_)) {
        return Ok(()); // published by projectors for requesters; not part of the model
    }
    let fresh =
        sqlx::query("INSERT INTO applied_events (event_id) VALUES ($1) ON CONFLICT DO NOTHING")
            .bind(envelope.id)
            .execute(&mut *conn)
            .await?
            .rows_affected()
            == 1;
    if !fresh {
        return Ok(());
    }
    sqlx::query("INSERT INTO aggregate_versions (aggregate_id, version) VALUES ($1, 0) ON CONFLICT DO NOTHING")
        .bind(envelope.subject)
        .execute(&mut *conn)
        .await?;
    let current: i32 = sqlx::query_scalar(
        "SELECT version FROM aggregate_versions WHERE aggregate_id = $1 FOR UPDATE",
    )
    .bind(envelope.subject)
    .fetch_one(&mut *conn)
    .await?;
    let sequence = version_of(envelope)?;
    if sequence <= current {
        return Ok(()); // stale: a later version is already applied
    }
    if sequence > current + 1 {
        sqlx::query(
            "INSERT INTO pending_events (aggregate_id, version, document) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(envelope.subject)
        .bind(sequence)
        .bind(sqlx::types::Json(envelope))
        .execute(&mut *conn)
        .await?;
        return Ok(());
    }

    let mut next = Some(envelope.clone());
    let mut version = current;
    while let Some(event) = next {
        project(conn, &event, resolved).await?;
        version = version_of(&event)?;
        let parked: Option<sqlx::types::Json<Envelope>> = sqlx::query_scalar(
            "DELETE FROM pending_events WHERE aggregate_id = $1 AND version = $2 RETURNING document",
        )
        .bind(envelope.subject)
        .bind(version + 1)
        .fetch_optional(&mut *conn)
        .await?;
        next = parked.map(|json| json.0);
    }
    sqlx::query("UPDATE aggregate_versions SET version = $2 WHERE aggregate_id = $1")
        .bind(envelope.subject)
        .bind(version)
        .execute(&mut *conn)
        .await?;
    Ok(())
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
        Event::OperationResolved(_) => return Ok(()),
    }
    // Inbox and preferences events are not about one notification: no history row.
    if !matches!(
        e.event,
        Event::InboxReadAll(_) | Event::PreferencesUpdated(_)
    ) {
        timeline(conn, e).await?;
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
    sqlx::query(
        "INSERT INTO notifications
             (id, operation_id, sender, recipient, title, body, priority, tags, channels, thread,
              status, requested_at, deliver_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT (id) DO NOTHING",
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
    .execute(&mut *conn)
    .await?;
    operation(
        conn,
        e.operationid,
        &data.sender,
        OperationKind::Send,
        operation_status,
        None,
    )
    .await?;
    link(conn, e.operationid, e.subject).await
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

async fn timeline(conn: &mut PgConnection, e: &Envelope) -> Result<(), sqlx::Error> {
    let document = serde_json::to_value(e).map_err(|error| sqlx::Error::Encode(error.into()))?;
    sqlx::query(
        "INSERT INTO timeline (event_id, notification_id, sequence, kind, time, source, operation_id, data)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
    )
    .bind(e.id)
    .bind(e.subject)
    .bind(version_of(e)?)
    .bind(e.event.kind())
    .bind(e.time)
    .bind(&e.source)
    .bind(e.operationid)
    .bind(&document["data"])
    .execute(conn)
    .await?;
    Ok(())
}

/// The JSON name of a unit enum variant (`high`, `read_all`, `applied`).
pub fn name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        other => unreachable!("unit variants serialize as strings, got {other:?}"),
    }
}
