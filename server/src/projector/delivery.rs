//! The read model of delivery: each channel's delivery, a notification's final state, a send
//! operation's final state, and preferences. Like `apply`, everything derives from events.

use notify_shared::UserId;
use notify_shared::api::{Channel, OperationStatus};
use notify_shared::event::{DeliveryOutcome, DeliveryRequested, Envelope, PreferencesUpdated};
use sqlx::PgConnection;
use uuid::Uuid;

use super::apply::{Resolved, name};

/// A channel's delivery was requested (first attempt or a retry).
pub(super) async fn requested(
    conn: &mut PgConnection,
    e: &Envelope,
    data: &DeliveryRequested,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO deliveries (id, notification_id, channel, address, status, attempts, updated_at)
         VALUES ($1, $2, $3, $4, 'pending', $5, $6)
         ON CONFLICT (id) DO UPDATE SET status = 'pending', attempts = excluded.attempts, updated_at = excluded.updated_at",
    )
    .bind(data.delivery_id)
    .bind(e.subject)
    .bind(name(&data.channel))
    .bind(&data.address)
    .bind(attempts(data.attempt))
    .bind(e.time)
    .execute(conn)
    .await?;
    Ok(())
}

/// An attempt's outcome. A failure that may be retried leaves the delivery pending; the
/// notification's final event settles it.
pub(super) async fn outcome(
    conn: &mut PgConnection,
    e: &Envelope,
    data: &DeliveryOutcome,
    succeeded: bool,
) -> Result<(), sqlx::Error> {
    let status = match (succeeded, data.permanent) {
        (true, _) => "succeeded",
        (false, true) => "failed",
        (false, false) => "pending",
    };
    sqlx::query(
        "UPDATE deliveries SET status = $2, attempts = $3, detail = $4, updated_at = $5
         WHERE id = $1 AND status <> 'succeeded'",
    )
    .bind(data.delivery_id)
    .bind(status)
    .bind(attempts(data.attempt))
    .bind(&data.detail)
    .bind(e.time)
    .execute(conn)
    .await?;
    Ok(())
}

/// The notification reached its final state: `delivered`, or `failed` on `failed_channels`.
pub(super) async fn finished(
    conn: &mut PgConnection,
    e: &Envelope,
    failed_channels: &[Channel],
) -> Result<Option<Resolved>, sqlx::Error> {
    let status = if failed_channels.is_empty() {
        "delivered"
    } else {
        "failed"
    };
    sqlx::query("UPDATE notifications SET status = $2 WHERE id = $1")
        .bind(e.subject)
        .bind(status)
        .execute(&mut *conn)
        .await?;
    if !failed_channels.is_empty() {
        let failed: Vec<String> = failed_channels.iter().map(name).collect();
        sqlx::query(
            "UPDATE deliveries SET status = 'failed', updated_at = $3
             WHERE notification_id = $1 AND channel = ANY($2) AND status <> 'succeeded'",
        )
        .bind(e.subject)
        .bind(&failed)
        .bind(e.time)
        .execute(&mut *conn)
        .await?;
    }
    settle_send(conn, e.subject, e).await
}

/// Gives the send that `notification` belongs to its final state once every notification of
/// it has one: `cancelled` when all were cancelled, else by channel: `delivered` when no
/// channel failed, `failed` when none succeeded, `partially_delivered` otherwise.
pub(super) async fn settle_send(
    conn: &mut PgConnection,
    notification: Uuid,
    e: &Envelope,
) -> Result<Option<Resolved>, sqlx::Error> {
    // The send's row is locked first, so that two projectors settling its last two
    // notifications at once cannot both count the other one as open (the second waits, then
    // counts what the first committed).
    sqlx::query(
        "SELECT FROM operations WHERE id = (SELECT operation_id FROM notifications WHERE id = $1)
         FOR UPDATE",
    )
    .bind(notification)
    .execute(&mut *conn)
    .await?;
    let counts: Option<(Uuid, String, i64, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT o.id, o.requester,
                count(*) FILTER (WHERE n.status NOT IN ('delivered', 'failed', 'cancelled')),
                count(*) FILTER (WHERE n.status = 'cancelled'),
                count(*),
                (SELECT count(*) FROM deliveries d JOIN operation_notifications m ON m.notification_id = d.notification_id
                 WHERE m.operation_id = o.id AND d.status = 'succeeded'),
                (SELECT count(*) FROM deliveries d JOIN operation_notifications m ON m.notification_id = d.notification_id
                 WHERE m.operation_id = o.id AND d.status = 'failed')
         FROM operations o
         JOIN operation_notifications l ON l.operation_id = o.id
         JOIN notifications n ON n.id = l.notification_id
         WHERE o.id = (SELECT operation_id FROM notifications WHERE id = $1) AND o.resolved_at IS NULL
         GROUP BY o.id, o.requester",
    )
    .bind(notification)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((operation_id, requester, open, cancelled, total, succeeded, failed)) = counts else {
        return Ok(None);
    };
    if open > 0 {
        return Ok(None);
    }
    let status = if cancelled == total {
        OperationStatus::Cancelled
    } else if failed == 0 {
        OperationStatus::Delivered
    } else if succeeded == 0 {
        OperationStatus::Failed
    } else {
        OperationStatus::PartiallyDelivered
    };
    sqlx::query("UPDATE operations SET status = $2, resolved_at = $3 WHERE id = $1")
        .bind(operation_id)
        .bind(name(&status))
        .bind(e.time)
        .execute(conn)
        .await?;
    Ok(UserId::parse(requester).ok().map(|requester| Resolved {
        operation_id,
        requester,
        status,
    }))
}

/// The user's preferences changed.
pub(super) async fn preferences(
    conn: &mut PgConnection,
    e: &Envelope,
    data: &PreferencesUpdated,
) -> Result<(), sqlx::Error> {
    let channels: Vec<String> = data.channels.iter().map(name).collect();
    sqlx::query(
        "INSERT INTO preferences (user_id, channels, email, webhook_url, webhook_secret_set)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (user_id) DO UPDATE SET channels = excluded.channels, email = excluded.email,
             webhook_url = excluded.webhook_url, webhook_secret_set = excluded.webhook_secret_set",
    )
    .bind(e.userid.as_str())
    .bind(&channels)
    .bind(&data.email)
    .bind(&data.webhook_url)
    .bind(data.webhook_secret_set)
    .execute(conn)
    .await?;
    Ok(())
}

fn attempts(attempt: u32) -> i32 {
    i32::try_from(attempt).unwrap_or(i32::MAX)
}
