//! The live stream, `GET /v1/stream` (Server-Sent Events): what each event says, and how its
//! id (the resume point a client sends back as `Last-Event-ID`) is written.
//!
//! It must not do I/O: types, their JSON shapes and the id's text form only.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::{Channel, OperationStatus};

/// What happened, as the SSE `event:` field and the data's `kind` say it.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum StreamKind {
    /// A notification arrived in the caller's inbox.
    #[serde(rename = "notification.dispatched")]
    #[strum(serialize = "notification.dispatched")]
    Dispatched,
    /// One of the caller's notifications was marked read (on any machine).
    #[serde(rename = "notification.read")]
    #[strum(serialize = "notification.read")]
    Read,
    /// One was marked unread.
    #[serde(rename = "notification.unread")]
    #[strum(serialize = "notification.unread")]
    Unread,
    /// The caller's inbox was read up to `up_to`.
    #[serde(rename = "inbox.read_all")]
    #[strum(serialize = "inbox.read_all")]
    ReadAll,
    /// A channel delivered one of the caller's notifications.
    #[serde(rename = "delivery.succeeded")]
    #[strum(serialize = "delivery.succeeded")]
    DeliverySucceeded,
    /// A channel's attempt failed (it may be retried).
    #[serde(rename = "delivery.failed")]
    #[strum(serialize = "delivery.failed")]
    DeliveryFailed,
    /// Every channel of a notification is done: delivered.
    #[serde(rename = "notification.delivered")]
    #[strum(serialize = "notification.delivered")]
    Delivered,
    /// Every channel of a notification is done, and some failed for good.
    #[serde(rename = "notification.failed")]
    #[strum(serialize = "notification.failed")]
    Failed,
    /// An operation the caller asked for reached its final state.
    #[serde(rename = "operation.resolved")]
    #[strum(serialize = "operation.resolved")]
    OperationResolved,
}

/// The data of one stream event. A client updates what it shows from it, or fetches the
/// notification (`GET /v1/notifications/{id}`) it names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StreamEvent {
    /// What happened.
    pub kind: StreamKind,
    /// The notification it happened to (none for `inbox.read_all` and `operation.resolved`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_id: Option<Uuid>,
    /// The operation that made it happen.
    pub operation_id: Uuid,
    /// When it happened (the event's time).
    pub time: DateTime<Utc>,
    /// What it says beyond that, by kind.
    #[serde(flatten)]
    pub detail: StreamDetail,
}

/// What a stream event says beyond its kind, by kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StreamDetail {
    /// `delivery.*`: the channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    /// `operation.resolved`: its final state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<OperationStatus>,
    /// `inbox.read_all`: everything that arrived up to then is read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub up_to: Option<DateTime<Utc>>,
}

/// Where a stream stands: the id of its last event (`<transaction>-<position>`). Ids grow in
/// the order events become visible, so resuming after one gives exactly the events after it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StreamId {
    /// The transaction that wrote it.
    pub transaction: u64,
    /// Its position among all events.
    pub position: i64,
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.transaction, self.position)
    }
}

/// A `Last-Event-ID` that is not one this server gave.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a stream event id (<transaction>-<position>, both numbers)")]
pub struct BadStreamId(pub String);

impl FromStr for StreamId {
    type Err = BadStreamId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadStreamId(s.chars().take(64).collect());
        let (transaction, position) = s.split_once('-').ok_or_else(bad)?;
        let digits =
            |t: &str| !t.is_empty() && t.len() <= 20 && t.bytes().all(|b| b.is_ascii_digit());
        if !digits(transaction) || !digits(position) {
            return Err(bad());
        }
        Ok(Self {
            transaction: transaction.parse().map_err(|_| bad())?,
            position: position.parse().map_err(|_| bad())?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_read_back_what_they_write_and_nothing_else() {
        let id = StreamId {
            transaction: 18_446_744_073_709_551_615,
            position: 42,
        };
        assert_eq!(id.to_string().parse::<StreamId>(), Ok(id));
        for bad in [
            "",
            "-",
            "1-",
            "-1",
            "1",
            "1-2-3",
            "a-1",
            "1-+2",
            "1- 2",
            "99999999999999999999999-1",
        ] {
            assert!(bad.parse::<StreamId>().is_err(), "{bad:?}");
        }
        let earlier = StreamId {
            transaction: 7,
            position: 100,
        };
        let later = StreamId {
            transaction: 8,
            position: 3,
        };
        assert!(earlier < later, "the transaction orders first");
    }

    #[test]
    fn an_event_reads_as_its_kind_and_detail() {
        let event = StreamEvent {
            kind: StreamKind::DeliverySucceeded,
            notification_id: Some(Uuid::nil()),
            operation_id: Uuid::nil(),
            time: DateTime::UNIX_EPOCH,
            detail: StreamDetail {
                channel: Some(Channel::Email),
                ..StreamDetail::default()
            },
        };
        let json = serde_json::to_value(&event).expect("serializes");
        assert_eq!(json["kind"], "delivery.succeeded");
        assert_eq!(json["channel"], "email");
        assert!(json.get("status").is_none());
        assert_eq!(
            serde_json::from_value::<StreamEvent>(json).ok(),
            Some(event)
        );
    }
}
