//! A send's final state, once every notification of it has one.
//!
//! A send is resolved at the latest final event among its notifications, read from their
//! history rows (written before the batch's events are applied), so the time does not depend
//! on the order in which a batch applies them. The send's `operations` row is locked before
//! deciding that it is settled (in id order, so concurrent projectors queue).
//!
//! It must not use the projector's clock: a send is resolved at its last final event's time.

use chrono::{DateTime, Utc};
use notify_shared::UserId;
use notify_shared::api::OperationStatus;
use notify_shared::wire_name::WireName;
use sqlx::PgConnection;
use uuid::Uuid;

use super::resolved::Resolved;

/// An unresolved send touched by the notifications being settled: how its notifications and
/// deliveries stand.
#[derive(Debug, sqlx::FromRow)]
struct Counts {
    id: Uuid,
    requester: String,
    /// When the last of its notifications reached its final state (`None`: none has yet).
    time: Option<DateTime<Utc>>,
    /// Notifications not yet in a final state.
    open: i64,
    cancelled: i64,
    total: i64,
    /// Deliveries that succeeded, and that failed.
    succeeded: i64,
    failed: i64,
}

/// Gives each send that one of `notifications` belongs to its final state once every
/// notification of it has one: `cancelled` when all were cancelled, else by channel:
/// `delivered` when no channel failed, `failed` when none succeeded, `partially_delivered`
/// otherwise. A send is resolved at the time of the last final event (delivered, failed,
/// cancelled) among its notifications, read from their history: the same time whatever order
/// those events were applied in (a rebuild applies them in the store's order, a live
/// projector in arrival order). The history rows of the events being applied must be written
/// first.
pub(super) async fn sends(
    conn: &mut PgConnection,
    notifications: &[Uuid],
) -> Result<Vec<Resolved>, sqlx::Error> {
    // The sends' rows are locked first (in id order, so projectors queue rather than
    // deadlock), so that two projectors settling a send's last two notifications at once
    // cannot both count the other one as open: the second waits, then its next statement
    // counts what the first committed.
    sqlx::query(
        "SELECT FROM operations
         WHERE id IN (SELECT operation_id FROM notifications WHERE id = ANY($1))
         ORDER BY id FOR UPDATE",
    )
    .bind(notifications)
    .execute(&mut *conn)
    .await?;
    let counts: Vec<Counts> = sqlx::query_as(
        "WITH settling AS (
             SELECT DISTINCT n.operation_id AS id
             FROM notifications n WHERE n.id = ANY($1)
         )
         SELECT o.id, o.requester,
                (SELECT max(t.time) FROM operation_notifications m
                 JOIN timeline t ON t.notification_id = m.notification_id
                 WHERE m.operation_id = o.id
                   AND t.kind IN ('notification.delivered', 'notification.failed', 'notification.cancelled'))
                    AS time,
                count(*) FILTER (WHERE n.status NOT IN ('delivered', 'partially_delivered', 'failed', 'cancelled')) AS open,
                count(*) FILTER (WHERE n.status = 'cancelled') AS cancelled,
                count(*) AS total,
                (SELECT count(*) FROM deliveries d JOIN operation_notifications m ON m.notification_id = d.notification_id
                 WHERE m.operation_id = o.id AND d.status = 'succeeded') AS succeeded,
                (SELECT count(*) FROM deliveries d JOIN operation_notifications m ON m.notification_id = d.notification_id
                 WHERE m.operation_id = o.id AND d.status = 'failed') AS failed
         FROM settling s
         JOIN operations o ON o.id = s.id
         JOIN operation_notifications l ON l.operation_id = o.id
         JOIN notifications n ON n.id = l.notification_id
         WHERE o.resolved_at IS NULL
         GROUP BY o.id, o.requester",
    )
    .bind(notifications)
    .fetch_all(&mut *conn)
    .await?;
    let mut resolved = Vec::new();
    let (mut ids, mut statuses, mut resolved_at) = (Vec::new(), Vec::new(), Vec::new());
    for send in counts {
        let Some(time) = send.time.filter(|_| send.open == 0) else {
            continue;
        };
        let status = if send.cancelled == send.total {
            OperationStatus::Cancelled
        } else if send.failed == 0 {
            OperationStatus::Delivered
        } else if send.succeeded == 0 {
            OperationStatus::Failed
        } else {
            OperationStatus::PartiallyDelivered
        };
        ids.push(send.id);
        statuses.push(status.as_str());
        resolved_at.push(time);
        if let Ok(requester) = UserId::parse(send.requester) {
            resolved.push(Resolved {
                operation_id: send.id,
                requester,
                status,
            });
        }
    }
    if !ids.is_empty() {
        sqlx::query(
            "UPDATE operations o SET status = r.status, resolved_at = r.time
             FROM UNNEST($1::uuid[], $2::text[], $3::timestamptz[]) AS r (id, status, time)
             WHERE o.id = r.id",
        )
        .bind(&ids)
        .bind(&statuses)
        .bind(&resolved_at)
        .execute(conn)
        .await?;
    }
    Ok(resolved)
}
