//! Write-side HTTP bodies besides a send's (`api.rs`): what the inbox, preferences, receipt
//! and device commands take and answer.
//!
//! It must not do I/O: types and their JSON shapes only (`valid_device_name` is the one rule both
//! sides check).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::{Channel, OperationStatus};

/// Body of the `202 Accepted` answer to read, unread and read-all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CommandAccepted {
    /// The operation id (the idempotency key of the request).
    pub operation_id: Uuid,
    /// `accepted`.
    pub status: OperationStatus,
}

/// Body of `PUT /v1/preferences`: the whole new preferences.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PreferencesUpdate {
    /// The channels to deliver on when a sender does not name any.
    pub channels: Vec<Channel>,
    /// The address for the e-mail channel; required when `channels` has `email`.
    #[serde(default)]
    pub email: Option<String>,
    /// The URL for the webhook channel; required when `channels` has `webhook`.
    #[serde(default)]
    pub webhook_url: Option<String>,
    /// A Standard Webhooks secret (`whsec_` + base64 of 24 to 64 bytes). Without one, a webhook
    /// URL keeps the stored secret, or gets a new one that the answer shows once.
    #[serde(default)]
    pub webhook_secret: Option<String>,
}

/// Body of the `202 Accepted` answer to `PUT /v1/preferences`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PreferencesAccepted {
    /// The operation id.
    pub operation_id: Uuid,
    /// `accepted`.
    pub status: OperationStatus,
    /// The webhook signing secret the server made, shown only this once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_secret: Option<String>,
    /// What the user should know about the new preferences, for people (for example that
    /// e-mail was chosen but this server's SMTP relay does not answer). Accepted all the same.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Body of `POST /v1/deliveries/{id}/receipt` (optional).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Receipt {
    /// The machine that showed the popup: at most 64 characters, no control characters.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 64, pattern = r"^\P{Cc}*$"))]
    pub device: Option<String>,
}

/// Body of `POST /v1/devices`: register this machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceRegistration {
    /// The machine's name: 1 to 32 of a-z, 0-9, '_' and '-' (for example the host name).
    #[cfg_attr(feature = "openapi", schema(pattern = "^[a-z0-9_-]{1,32}$"))]
    pub name: String,
}

/// Body of the `201 Created` answer to `POST /v1/devices`: how this machine's daemon reaches
/// its queue. Registering the same name again answers the same queue. `Debug` hides the
/// password.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceCredentials {
    /// The device name.
    pub device: String,
    /// The AMQP URL of the broker, with the vhost, without credentials.
    pub broker_url: String,
    /// The user's broker account.
    pub username: String,
    /// Its password (the same for every device of the user).
    pub password: String,
    /// The device queue to consume, `notify.user.<user>.<device>`.
    pub queue: String,
}

impl std::fmt::Debug for DeviceCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceCredentials")
            .field("device", &self.device)
            .field("broker_url", &self.broker_url)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("queue", &self.queue)
            .finish()
    }
}

/// Whether `name` is a valid device name.
pub fn valid_device_name(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}
