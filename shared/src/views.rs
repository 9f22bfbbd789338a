//! Read-side HTTP bodies: what the api answers from the read DB, and the query parameters of
//! its list routes.
//!
//! It must not do I/O: types and their JSON shapes only.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::UserId;
use crate::api::{Channel, OperationStatus, Priority};

/// Largest page `GET /v1/notifications` and `GET /v1/sent` return.
pub const MAX_PAGE: u32 = 200;
/// Page size when `limit` is absent.
pub const DEFAULT_PAGE: u32 = 50;
/// Longest full-text search, in characters.
pub const MAX_SEARCH_CHARS: usize = 200;

/// Where a notification stands.
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
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum NotificationStatus {
    /// Requested for now; about to be dispatched.
    Requested,
    /// Requested for later; waiting for its delivery time.
    Scheduled,
    /// In the recipient's inbox; channels are delivering.
    Dispatched,
    /// Every channel succeeded.
    Delivered,
    /// Some channels succeeded, the others failed for good.
    PartiallyDelivered,
    /// No channel succeeded: each failed for good.
    Failed,
    /// Cancelled before it was dispatched.
    Cancelled,
}

impl NotificationStatus {
    /// Whether this is a final state: nothing about the notification changes any more.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Delivered | Self::PartiallyDelivered | Self::Failed | Self::Cancelled
        )
    }
}

/// One notification as its recipient (or its sender) sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NotificationView {
    /// The notification id.
    pub id: Uuid,
    /// The operation (send) that created it.
    pub operation_id: Uuid,
    /// Who sent it.
    pub sender: UserId,
    /// Who it is for.
    pub recipient: UserId,
    /// Optional title.
    pub title: Option<String>,
    /// The message.
    pub body: String,
    /// How urgent it is.
    pub priority: Priority,
    /// Its tags.
    pub tags: Vec<String>,
    /// Its thread key.
    pub thread: Option<String>,
    /// Where it stands.
    pub status: NotificationStatus,
    /// When it was requested.
    pub requested_at: DateTime<Utc>,
    /// When it is (or was) to be delivered, for scheduled sends.
    pub deliver_at: Option<DateTime<Utc>>,
    /// When it entered the inbox.
    pub dispatched_at: Option<DateTime<Utc>>,
    /// When it was marked read; `None` while unread.
    pub read_at: Option<DateTime<Utc>>,
    /// Where it stands on each channel (filled by `GET /v1/notifications/{id}` and
    /// `GET /v1/sent`; empty in inbox listings).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deliveries: Vec<DeliveryView>,
}

/// Where one channel's delivery of a notification stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryView {
    /// The delivery id (what a desktop receipt names).
    pub id: Uuid,
    /// The channel.
    pub channel: Channel,
    /// Where it goes: the e-mail address, the webhook URL's origin, or the user for desktop.
    /// Shown only to the recipient (and to an `admin` token's audit): a sender sees each
    /// channel and its status, never where the recipient receives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// `pending`, `succeeded` or `failed`.
    pub status: DeliveryStatus,
    /// Attempts so far.
    pub attempts: u32,
    /// What happened last, for people.
    pub detail: Option<String>,
    /// When its status last changed.
    pub updated_at: DateTime<Utc>,
}

/// Where one channel's delivery stands.
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
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum DeliveryStatus {
    /// Requested or being retried.
    Pending,
    /// Delivered.
    Succeeded,
    /// Failed for good.
    Failed,
}

/// A page of notifications, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NotificationPage {
    /// The notifications on this page.
    pub items: Vec<NotificationView>,
    /// Pass as `before` to get the next (older) page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// Query parameters of `GET /v1/notifications`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
pub struct InboxQuery {
    /// Only unread notifications.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unread: Option<bool>,
    /// Only notifications with this tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// Full-text search over title and body: every word must match a word or the start of one,
    /// in any case (`depl` finds "Deploy"); `"quoted words"` match in that order, `-word`
    /// excludes, `or` between words allows either.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// A `next_cursor` from the previous page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 200))]
    pub limit: Option<u32>,
}

/// Query parameters of `GET /v1/sent`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
pub struct SentQuery {
    /// Only notifications sent by this user. Without an `admin` token only yourself; with
    /// one, any user, and when left out every user's sends are listed (the audit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<UserId>,
    /// Only notifications to this recipient.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<UserId>,
    /// Only notifications in this state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<NotificationStatus>,
    /// Only notifications that went out on this channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    /// Only notifications delivered to this address (e-mail address or webhook URL, compared
    /// in any case; a URL matches every hook of its origin). Without an `admin` token, only your own addresses
    /// match: a sender never learns where someone else receives notifications.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Only scheduled notifications still waiting for their time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled: Option<bool>,
    /// A `next_cursor` from the previous page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 200))]
    pub limit: Option<u32>,
}

/// One event in a notification's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimelineEntry {
    /// The event id.
    pub event_id: Uuid,
    /// The event kind, for example `notification.dispatched`.
    pub kind: String,
    /// The aggregate version.
    pub sequence: u64,
    /// When it was recorded.
    pub time: DateTime<Utc>,
    /// The role that recorded it, for example `/notify-server/api`.
    pub source: String,
    /// The operation that caused it.
    pub operation_id: Uuid,
    /// The event's data.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub data: serde_json::Value,
}

/// Body of `GET /v1/notifications/{id}/events`: the history, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Timeline {
    /// The notification.
    pub notification_id: Uuid,
    /// Its events in aggregate order.
    pub events: Vec<TimelineEntry>,
}

/// Body of `GET /v1/inbox/count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnreadCount {
    /// Unread notifications in the caller's inbox.
    pub unread: u64,
}

/// What kind of command an operation was.
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
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum OperationKind {
    /// `POST /v1/notifications`.
    Send,
    /// `POST /v1/notifications/{id}/read`.
    Read,
    /// `POST /v1/notifications/{id}/unread`.
    Unread,
    /// `POST /v1/inbox/read-all`.
    ReadAll,
    /// `PUT /v1/preferences`.
    Preferences,
    /// `POST /v1/notifications/{id}/cancel`.
    Cancel,
}

/// Body of `GET /v1/operations/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OperationView {
    /// The operation id.
    pub id: Uuid,
    /// What kind of command it was; `None` while only accepted (not yet in the read model).
    pub kind: Option<OperationKind>,
    /// Where it stands.
    pub status: OperationStatus,
    /// The notifications it concerns.
    pub notifications: Vec<Uuid>,
    /// When it reached its final state.
    pub resolved_at: Option<DateTime<Utc>>,
}

impl OperationStatus {
    /// Whether this is a final state (`--wait` returns on it).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Delivered
                | Self::PartiallyDelivered
                | Self::Failed
                | Self::Cancelled
                | Self::Applied
        )
    }
}

/// Body of `GET /v1/preferences`, and of `PUT` (where `webhook_secret_set` is ignored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Preferences {
    /// The channels to deliver on when a sender does not name any.
    pub channels: Vec<Channel>,
    /// The address for the e-mail channel.
    #[serde(default)]
    pub email: Option<String>,
    /// The webhook URL's origin (`https://hooks.example.com/…`): its path and query are
    /// the hook's credential, kept only where the webhook worker reads it.
    #[serde(default)]
    pub webhook_url: Option<String>,
    /// Whether a webhook signing secret is stored (it is never shown again).
    #[serde(default)]
    pub webhook_secret_set: bool,
}
