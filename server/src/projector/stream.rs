//! What a batch tells each user's live stream (`GET /v1/stream`): one `stream` row per change a
//! user sees, written by one statement at the end of the batch's transaction, which also
//! sweeps rows older than [`RETENTION`] (by event time, never the clock) and moves
//! `stream_horizon` past them.
//!
//! It must not stream what its user may not see: a recipient hears of a notification from its
//! dispatch on (never its request, schedule or cancel), a requester of their own operations.
//! Reading the rows is the api's (`api/stream.rs`).

use chrono::{DateTime, TimeDelta, Utc};
use notify_shared::api::Channel;
use notify_shared::event::{Envelope, Event};
use notify_shared::stream::{StreamDetail, StreamKind};
use notify_shared::wire_name::WireName;
use sqlx::PgConnection;
use sqlx::types::Json;
use uuid::Uuid;

use super::resolved::Resolved;

/// How long a stream row is kept: a client away for longer is told to reload (`reset`).
pub const RETENTION: TimeDelta = TimeDelta::hours(24);
/// Most rows one batch sweeps; the next batches sweep the rest.
const SWEEP: i64 = 1000;

/// The stream rows of one batch.
#[derive(Debug, Default)]
pub struct Rows {
    users: Vec<String>,
    kinds: Vec<&'static str>,
    notifications: Vec<Option<Uuid>>,
    operations: Vec<Uuid>,
    details: Vec<Json<StreamDetail>>,
    times: Vec<DateTime<Utc>>,
}

impl Rows {
    /// Adds the change `e` makes, when its user sees one.
    pub fn push_event(&mut self, e: &Envelope) {
        let delivery = |channel: Channel| StreamDetail {
            channel: Some(channel),
            ..StreamDetail::default()
        };
        let (kind, notification, detail) = match &e.event {
            Event::NotificationDispatched(_) => {
                (StreamKind::Dispatched, true, StreamDetail::default())
            }
            Event::NotificationRead(_) => (StreamKind::Read, true, StreamDetail::default()),
            Event::NotificationUnread(_) => (StreamKind::Unread, true, StreamDetail::default()),
            Event::InboxReadAll(data) => (
                StreamKind::ReadAll,
                false,
                StreamDetail {
                    up_to: Some(data.up_to),
                    ..StreamDetail::default()
                },
            ),
            Event::DeliverySucceeded(data) => {
                (StreamKind::DeliverySucceeded, true, delivery(data.channel))
            }
            Event::DeliveryFailed(data) => {
                (StreamKind::DeliveryFailed, true, delivery(data.channel))
            }
            Event::NotificationDelivered(_) => {
                (StreamKind::Delivered, true, StreamDetail::default())
            }
            Event::NotificationFailed(_) => (StreamKind::Failed, true, StreamDetail::default()),
            _ => return,
        };
        self.push(
            e.userid.as_str(),
            kind,
            notification.then_some(e.subject),
            e.operationid,
            detail,
            e.time,
        );
    }

    /// Adds an operation's resolution for its requester, at `time` (the batch's latest event).
    pub fn push_resolved(&mut self, resolved: &Resolved, time: DateTime<Utc>) {
        let detail = StreamDetail {
            status: Some(resolved.status),
            ..StreamDetail::default()
        };
        self.push(
            resolved.requester.as_str(),
            StreamKind::OperationResolved,
            None,
            resolved.operation_id,
            detail,
            time,
        );
    }

    fn push(
        &mut self,
        user: &str,
        kind: StreamKind,
        notification: Option<Uuid>,
        operation: Uuid,
        detail: StreamDetail,
        time: DateTime<Utc>,
    ) {
        self.users.push(user.to_owned());
        self.kinds.push(kind.as_str());
        self.notifications.push(notification);
        self.operations.push(operation);
        self.details.push(Json(detail));
        self.times.push(time);
    }

    /// Writes the rows and sweeps those older than [`RETENTION`] before the newest of them.
    pub async fn insert(self, conn: &mut PgConnection) -> Result<(), sqlx::Error> {
        let Some(newest) = self.times.iter().max() else {
            return Ok(());
        };
        // SKIP LOCKED: two projectors never wait for each other's sweep.
        sqlx::query(
            "WITH swept AS (
                 DELETE FROM stream WHERE (xid, position) IN (
                     SELECT xid, position FROM stream WHERE time < $7
                     ORDER BY time LIMIT $8 FOR UPDATE SKIP LOCKED)
                 RETURNING xid, position
             ), horizon AS (
                 INSERT INTO stream_horizon (xid, position)
                 SELECT xid, position FROM swept ORDER BY xid DESC, position DESC LIMIT 1
                 ON CONFLICT (singleton) DO UPDATE SET xid = excluded.xid, position = excluded.position
                 WHERE (stream_horizon.xid, stream_horizon.position) < (excluded.xid, excluded.position)
             )
             INSERT INTO stream (user_id, kind, notification_id, operation_id, data, time)
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::uuid[], $4::uuid[], $5::jsonb[],
                                  $6::timestamptz[])",
        )
        .bind(&self.users)
        .bind(&self.kinds)
        .bind(&self.notifications)
        .bind(&self.operations)
        .bind(&self.details)
        .bind(&self.times)
        .bind(*newest - RETENTION)
        .bind(SWEEP)
        .execute(conn)
        .await?;
        Ok(())
    }
}
