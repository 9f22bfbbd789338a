//! HTTP request and response bodies of the v1 API.
//!
//! It must not do I/O or hold a rule of the server's: types and their JSON shapes only.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::UserId;

/// The header that carries the idempotency key (the operation id) of a command.
pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

/// How urgent a notification is; desktop urgency follows it.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Priority {
    /// Can wait.
    Low,
    /// The default.
    #[default]
    Normal,
    /// Wants attention soon.
    High,
    /// Wants attention now.
    Urgent,
}

/// A way to reach a person.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Channel {
    /// A popup on each of the recipient's machines, through notifyd.
    Desktop,
    /// An e-mail.
    Email,
    /// An HTTP POST to the recipient's webhook.
    Webhook,
}

/// Body of `POST /v1/notifications`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SendRequest {
    /// Recipients, at most 100 and each once; empty means the sender. Each must be a user
    /// (422 names the unknown ones).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 100))]
    pub to: Vec<UserId>,
    /// Optional title, one line of 1 to 250 characters.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 250))]
    pub title: Option<String>,
    /// The message: not empty, at most 16 KiB of UTF-8.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 16384))]
    pub body: String,
    /// How urgent it is.
    #[serde(default)]
    pub priority: Priority,
    /// Free-form tags, for filtering: at most 10, each of 1 to 64 characters without white
    /// space, commas or control characters.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 10))]
    pub tags: Vec<String>,
    /// Channels to use, each once; empty means the recipient's preferences.
    #[serde(default)]
    pub channels: Vec<Channel>,
    /// Groups related notifications: 1 to 64 characters, no white space, commas or control
    /// characters.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = r"^[^\s,\u0000-\u001f\u007f-\u009f]{1,64}$")
    )]
    pub thread: Option<String>,
    /// When to deliver: in the future, and no further ahead than the server allows (365 days
    /// unless configured; 422 otherwise); absent means now. A time up to a minute past also
    /// means now (a retry that outlasted it is sent late, not refused); earlier is a 422.
    #[serde(default)]
    pub deliver_at: Option<DateTime<Utc>>,
}

/// What an operation has become.
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
pub enum OperationStatus {
    /// Stored; nothing has happened yet.
    Accepted,
    /// Waiting for its delivery time.
    Scheduled,
    /// In the recipients' inboxes; channels are delivering.
    Dispatched,
    /// Every channel of every recipient succeeded.
    Delivered,
    /// Some channels succeeded, some failed.
    PartiallyDelivered,
    /// Every channel failed.
    Failed,
    /// Cancelled before it was dispatched.
    Cancelled,
    /// The read model reflects the change (read, unread, read-all, preferences).
    Applied,
}

/// One notification created by a send: one per recipient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SentNotification {
    /// The notification id (the aggregate id of its events).
    pub id: Uuid,
    /// Its recipient.
    pub recipient: UserId,
}

/// Body of the `202 Accepted` answer to `POST /v1/notifications`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SendResponse {
    /// The operation id (the idempotency key of the request).
    pub operation_id: Uuid,
    /// Where the operation stands.
    pub status: OperationStatus,
    /// One notification per recipient.
    pub notifications: Vec<SentNotification>,
}

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Scope {
    /// Send notifications.
    Send,
    /// Read and change one's own inbox.
    Inbox,
    /// Manage users and tokens.
    Admin,
    /// Post another service's domain events (`POST /v1/events`): a service's token.
    Events,
}

impl Scope {
    /// Every scope, in a stable order.
    pub const ALL: [Scope; 4] = [Scope::Send, Scope::Inbox, Scope::Admin, Scope::Events];

    /// The scope's name, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Send => "send",
            Self::Inbox => "inbox",
            Self::Admin => "admin",
            Self::Events => "events",
        }
    }
}

impl std::str::FromStr for Scope {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|scope| scope.as_str() == s)
            .ok_or_else(|| format!("unknown scope {s:?}: use send, inbox, admin or events"))
    }
}

/// Body of `GET /v1/me`: who the token belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    /// The user the token belongs to.
    pub user: UserId,
    /// What the token may do.
    pub scopes: Vec<Scope>,
}
