//! A send's final state, once every notification of it has one.

use chrono::{DateTime, Utc};
use notify_shared::UserId;
use notify_shared::api::OperationStatus;
use sqlx::PgConnection;
use uuid::Uuid;

use super::apply::{Resolved, name};

/// An unresolved send touched by the notifications being settled: how its notifications and
/// deliveries stand.
#[derive(Debug, sqlx::FromRow)]
struct Counts {
    id: Uuid,
    requester: String,
    /// The latest time among the settling notifications of this send.
    time: DateTime<Utc>,
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
/// otherwise. A send is resolved at the latest of `times` among its notifications.
pub(super) async fn sends(
    conn: &mut PgConnection,
    notifications: &[Uuid],
    times: &[DateTime<Utc>],
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
             SELECT n.operation_id AS id, max(s.time) AS time
             FROM UNNEST($1::uuid[], $2::timestamptz[]) AS s (id, time)
             JOIN notifications n ON n.id = s.id
             GROUP BY n.operation_id
         )
         SELECT o.id, o.requester, s.time,
                count(*) FILTER (WHERE n.status NOT IN ('delivered', 'failed', 'cancelled')) AS open,
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
         GROUP BY o.id, o.requester, s.time",
    )
    .bind(notifications)
    .bind(times)
    .fetch_all(&mut *conn)
    .await?;
    let mut resolved = Vec::new();
    let (mut ids, mut statuses, mut resolved_at) = (Vec::new(), Vec::new(), Vec::new());
    for send in counts {
        if send.open > 0 {
            continue;
        }
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
        statuses.push(name(&status));
        resolved_at.push(send.time);
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
