//! Read-DB rows turned into contract views, and keyset cursors.
//!
//! It must not show a delivery's address to a viewer who may not see it
//! (`Principal::sees_addresses_of`: the recipient themselves, or an admin).

use std::fmt::Display;
use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use notify_shared::UserId;
use notify_shared::views::{DEFAULT_PAGE, DeliveryView, MAX_PAGE, NotificationView, TimelineEntry};
use uuid::Uuid;

use super::auth::Principal;
use super::error::ApiError;

/// The columns of `notifications` that make a [`NotificationView`], in [`NotificationRow`] order.
pub(super) const NOTIFICATION_COLUMNS: &str = "id, operation_id, sender, recipient, title, body, priority, tags, \
     thread, status, requested_at, deliver_at, dispatched_at, read_at";

/// The condition that a notification is `user`'s, not a deleted namesake's: requested after
/// `user`'s last deletion (the read model's `user_deletions`). `user` is the SQL that names the
/// user (a bind parameter such as `$2`).
pub(super) fn since_deletion(user: &str) -> String {
    format!(
        "requested_at > coalesce((SELECT deleted_at FROM user_deletions WHERE user_id = {user}), '-infinity')"
    )
}

/// One row of `notifications`.
#[derive(Debug, sqlx::FromRow)]
pub(super) struct NotificationRow {
    id: Uuid,
    operation_id: Uuid,
    sender: String,
    recipient: String,
    title: Option<String>,
    body: String,
    priority: String,
    tags: Vec<String>,
    thread: Option<String>,
    status: String,
    requested_at: DateTime<Utc>,
    deliver_at: Option<DateTime<Utc>>,
    dispatched_at: Option<DateTime<Utc>>,
    read_at: Option<DateTime<Utc>>,
}

impl TryFrom<NotificationRow> for NotificationView {
    type Error = ApiError;

    fn try_from(row: NotificationRow) -> Result<Self, ApiError> {
        let user = |s: String| UserId::parse(s).map_err(|e| ApiError::Internal(e.into()));
        Ok(Self {
            id: row.id,
            operation_id: row.operation_id,
            sender: user(row.sender)?,
            recipient: user(row.recipient)?,
            title: row.title,
            body: row.body,
            priority: variant(&row.priority)?,
            tags: row.tags,
            thread: row.thread,
            status: variant(&row.status)?,
            requested_at: row.requested_at,
            deliver_at: row.deliver_at,
            dispatched_at: row.dispatched_at,
            read_at: row.read_at,
            deliveries: Vec::new(),
        })
    }
}

/// One row of `timeline`.
#[derive(Debug, sqlx::FromRow)]
pub(super) struct TimelineRow {
    event_id: Uuid,
    kind: String,
    sequence: i32,
    time: DateTime<Utc>,
    source: String,
    operation_id: Uuid,
    data: serde_json::Value,
}

impl From<TimelineRow> for TimelineEntry {
    fn from(row: TimelineRow) -> Self {
        Self {
            event_id: row.event_id,
            kind: row.kind,
            sequence: u64::try_from(row.sequence).unwrap_or_default(),
            time: row.time,
            source: row.source,
            operation_id: row.operation_id,
            data: row.data,
        }
    }
}

/// Fills in each view's deliveries with one query; the addresses only where `viewer` may see
/// them.
pub(super) async fn attach_deliveries(
    read: &sqlx::PgPool,
    viewer: &Principal,
    views: &mut [NotificationView],
) -> Result<(), ApiError> {
    let ids: Vec<Uuid> = views.iter().map(|v| v.id).collect();
    let rows: Vec<DeliveryRow> = sqlx::query_as(
        "SELECT id, notification_id, channel, address, status, attempts, detail, updated_at
         FROM deliveries WHERE notification_id = ANY($1) ORDER BY channel",
    )
    .bind(&ids)
    .fetch_all(read)
    .await
    .map_err(ApiError::read)?;
    for row in rows {
        if let Some(view) = views.iter_mut().find(|v| v.id == row.notification_id) {
            let shown = viewer.sees_addresses_of(&view.recipient);
            view.deliveries.push(DeliveryView {
                id: row.id,
                channel: variant(&row.channel)?,
                address: shown.then_some(row.address),
                status: variant(&row.status)?,
                attempts: u32::try_from(row.attempts).unwrap_or_default(),
                detail: row.detail,
                updated_at: row.updated_at,
            });
        }
    }
    Ok(())
}

/// One row of the read model's `deliveries`.
#[derive(Debug, sqlx::FromRow)]
struct DeliveryRow {
    id: Uuid,
    notification_id: Uuid,
    channel: String,
    address: String,
    status: String,
    attempts: i32,
    detail: Option<String>,
    updated_at: DateTime<Utc>,
}

/// A unit enum variant from its wire name, as the projector stored it.
pub(super) fn variant<T>(name: &str) -> Result<T, ApiError>
where
    T: FromStr,
    T::Err: Display,
{
    name.parse()
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("read model holds {name:?}: {e}")))
}

/// A position in a list sorted by (time, id), newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Cursor {
    /// The sort time of the last item shown.
    pub(super) time: DateTime<Utc>,
    /// Its id.
    pub(super) id: Uuid,
}

impl Cursor {
    /// The opaque string form given to clients.
    pub(super) fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!(
            "{}.{}",
            self.time.timestamp_micros(),
            self.id.simple()
        ))
    }

    /// Parses a client's cursor; 400 when it is not one of ours.
    pub(super) fn decode(text: &str) -> Result<Self, ApiError> {
        let bad = || ApiError::BadRequest {
            slug: "bad-cursor",
            detail: "`before` must be a next_cursor from a previous page".into(),
        };
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| bad())?;
        let text = String::from_utf8(bytes).map_err(|_| bad())?;
        let (micros, id) = text.split_once('.').ok_or_else(bad)?;
        let time = micros
            .parse()
            .ok()
            .and_then(DateTime::from_timestamp_micros)
            .ok_or_else(bad)?;
        Ok(Self {
            time,
            id: Uuid::try_parse(id).map_err(|_| bad())?,
        })
    }
}

/// The page size asked for, checked against the limits.
pub(super) fn page_size(limit: Option<u32>) -> Result<i64, ApiError> {
    match limit.unwrap_or(DEFAULT_PAGE) {
        n @ 1..=MAX_PAGE => Ok(i64::from(n)),
        n => Err(ApiError::BadRequest {
            slug: "bad-limit",
            detail: format!("limit must be 1 to {MAX_PAGE}, got {n}"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        let cursor = Cursor {
            time: Utc::now(),
            id: Uuid::now_v7(),
        };
        let back = Cursor::decode(&cursor.encode()).expect("our own cursor");
        assert_eq!(back.id, cursor.id);
        assert_eq!(back.time.timestamp_micros(), cursor.time.timestamp_micros());
    }

    #[test]
    fn foreign_cursors_are_bad_requests() {
        for bad in ["", "x", "!!!", &URL_SAFE_NO_PAD.encode("12.notauuid")] {
            assert!(
                matches!(Cursor::decode(bad), Err(ApiError::BadRequest { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn page_sizes_are_bounded() {
        assert_eq!(page_size(None).ok(), Some(50));
        assert_eq!(page_size(Some(200)).ok(), Some(200));
        assert!(page_size(Some(0)).is_err());
        assert!(page_size(Some(201)).is_err());
    }
}
