//! The CloudEvents 1.0 envelope and the event types of notify.
//!
//! Every event is an immutable past-tense fact. It is stored in the write DB and published on
//! the broker as the same JSON document (structured mode, `application/cloudevents+json`).
//! A published event type never changes shape: a new shape is a new `.v2` type.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::UserId;
use crate::api::{Channel, Priority};

/// The media type of an event document on the broker and over HTTP.
pub const CONTENT_TYPE: &str = "application/cloudevents+json";

/// One event as a CloudEvents 1.0 structured-mode document.
///
/// The `type` and `data` attributes come from the flattened [`Event`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// Always `"1.0"`.
    pub specversion: SpecVersion,
    /// The event id, a UUIDv7; also the AMQP `message_id`.
    pub id: Uuid,
    /// `/notify-server/<role>`, the role that recorded the event.
    pub source: String,
    /// The aggregate id (for notification events, the notification id).
    pub subject: Uuid,
    /// When the event was recorded.
    pub time: DateTime<Utc>,
    /// Always `application/json`.
    pub datacontenttype: DataContentType,
    /// Extension: the operation that caused the event.
    pub operationid: Uuid,
    /// Extension: the user the event is addressed to.
    pub userid: UserId,
    /// Extension: the aggregate version, 1, 2, 3 … Written as a JSON number; read as a number
    /// or as a string of decimal digits, the form the CloudEvents `sequence` extension asks for
    /// (see [`sequence`] for the way there without breaking a reader).
    #[serde(deserialize_with = "sequence::deserialize")]
    pub sequence: u64,
    /// The event type and its data.
    #[serde(flatten)]
    pub event: Event,
}

impl Envelope {
    /// A new event with a fresh UUIDv7 id, recorded now by `source` (for example
    /// `/notify-server/api`), as version `sequence` of aggregate `subject`.
    pub fn new(
        source: &str,
        operation: Uuid,
        subject: Uuid,
        user: UserId,
        sequence: u64,
        event: Event,
    ) -> Self {
        Self {
            specversion: SpecVersion::V1_0,
            id: Uuid::now_v7(),
            source: source.to_owned(),
            subject,
            time: Utc::now(),
            datacontenttype: DataContentType::Json,
            operationid: operation,
            userid: user,
            sequence,
            event,
        }
    }
}

/// The `sequence` attribute's two forms.
///
/// The CloudEvents `sequence` extension makes it a string that sorts in event order; notify
/// wrote it as a JSON number, which every reader until this version parses as nothing else.
/// So the change goes in two releases: this one reads both (a number, or a string of decimal
/// digits such as `"00000000000000000007"`, zero-padded to 20 so that it sorts), and keeps
/// writing a number; the release after it, once the notifyd on users' machines read both,
/// writes the padded string. A reader of this version or later never needs to know which.
pub mod sequence {
    use serde::Deserializer;
    use serde::de::{self, Visitor};

    /// Reads the aggregate version from a JSON number or a string of decimal digits.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
        deserializer.deserialize_any(Sequence)
    }

    struct Sequence;

    impl Visitor<'_> for Sequence {
        type Value = u64;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an aggregate version: a non-negative integer, or a string of its digits")
        }

        fn visit_u64<E: de::Error>(self, value: u64) -> Result<u64, E> {
            Ok(value)
        }

        fn visit_i64<E: de::Error>(self, value: i64) -> Result<u64, E> {
            u64::try_from(value).map_err(|_| E::invalid_value(de::Unexpected::Signed(value), &self))
        }

        fn visit_str<E: de::Error>(self, value: &str) -> Result<u64, E> {
            let digits = !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit());
            digits
                .then(|| value.parse().ok())
                .flatten()
                .ok_or_else(|| E::invalid_value(de::Unexpected::Str(value), &self))
        }
    }
}

/// The CloudEvents spec version this crate speaks; (de)serializes as `"1.0"` only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum SpecVersion {
    /// CloudEvents 1.0.
    #[default]
    #[serde(rename = "1.0")]
    V1_0,
}

/// The content type of `data`; (de)serializes as `"application/json"` only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum DataContentType {
    /// JSON data.
    #[default]
    #[serde(rename = "application/json")]
    Json,
}

/// Every event type, tagged by its CloudEvents `type` with its fields in `data`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum Event {
    /// A notification was requested for one recipient.
    #[serde(rename = "notify.notification.requested.v1")]
    NotificationRequested(NotificationRequested),
    /// The notification entered the recipient's inbox and its channels may start.
    #[serde(rename = "notify.notification.dispatched.v1")]
    NotificationDispatched(NotificationDispatched),
    /// A scheduled notification was cancelled before it was dispatched.
    #[serde(rename = "notify.notification.cancelled.v1")]
    NotificationCancelled(NotificationCancelled),
    /// Delivery on one channel was requested.
    #[serde(rename = "notify.delivery.requested.v1")]
    DeliveryRequested(DeliveryRequested),
    /// Delivery on one channel succeeded.
    #[serde(rename = "notify.delivery.succeeded.v1")]
    DeliverySucceeded(DeliveryOutcome),
    /// One delivery attempt on one channel failed.
    #[serde(rename = "notify.delivery.failed.v1")]
    DeliveryFailed(DeliveryOutcome),
    /// Every channel of the notification succeeded.
    #[serde(rename = "notify.notification.delivered.v1")]
    NotificationDelivered(NotificationDelivered),
    /// At least one channel of the notification failed for good.
    #[serde(rename = "notify.notification.failed.v1")]
    NotificationFailed(NotificationFailed),
    /// A failure was escalated to the operations recipient as a new notification.
    #[serde(rename = "notify.notification.escalated.v1")]
    NotificationEscalated(NotificationEscalated),
    /// The recipient marked the notification read.
    #[serde(rename = "notify.notification.read.v1")]
    NotificationRead(NotificationRead),
    /// The recipient marked the notification unread.
    #[serde(rename = "notify.notification.unread.v1")]
    NotificationUnread(NotificationUnread),
    /// The recipient marked everything up to a point in time read.
    #[serde(rename = "notify.inbox.read_all.v1")]
    InboxReadAll(InboxReadAll),
    /// The recipient changed their delivery preferences.
    #[serde(rename = "notify.preferences.updated.v1")]
    PreferencesUpdated(PreferencesUpdated),
    /// The user was deleted: what was theirs up to now is nobody's, also when a new user of the
    /// same name is added later.
    #[serde(rename = "notify.user.deleted.v1")]
    UserDeleted(UserDeleted),
    /// An operation reached a final state in the read model (published, never stored).
    #[serde(rename = "notify.operation.resolved.v1")]
    OperationResolved(OperationResolved),
}

impl Event {
    /// The event kind as it appears in routing keys and in the `type` between `notify.` and
    /// `.v1`, for example `notification.requested`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::NotificationRequested(_) => "notification.requested",
            Self::NotificationDispatched(_) => "notification.dispatched",
            Self::NotificationCancelled(_) => "notification.cancelled",
            Self::DeliveryRequested(_) => "delivery.requested",
            Self::DeliverySucceeded(_) => "delivery.succeeded",
            Self::DeliveryFailed(_) => "delivery.failed",
            Self::NotificationDelivered(_) => "notification.delivered",
            Self::NotificationFailed(_) => "notification.failed",
            Self::NotificationEscalated(_) => "notification.escalated",
            Self::NotificationRead(_) => "notification.read",
            Self::NotificationUnread(_) => "notification.unread",
            Self::InboxReadAll(_) => "inbox.read_all",
            Self::PreferencesUpdated(_) => "preferences.updated",
            Self::UserDeleted(_) => "user.deleted",
            Self::OperationResolved(_) => "operation.resolved",
        }
    }
}

/// Every event kind, as [`Event::kind`] names it: the `type` of each event between `notify.`
/// and `.v1`.
pub const KINDS: [&str; 15] = [
    "notification.requested",
    "notification.dispatched",
    "notification.cancelled",
    "delivery.requested",
    "delivery.succeeded",
    "delivery.failed",
    "notification.delivered",
    "notification.failed",
    "notification.escalated",
    "notification.read",
    "notification.unread",
    "inbox.read_all",
    "preferences.updated",
    "user.deleted",
    "operation.resolved",
];

/// Data of `notification.requested`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotificationRequested {
    /// Who sent it.
    pub sender: UserId,
    /// Who it is for (one recipient per notification).
    pub recipient: UserId,
    /// Optional title.
    pub title: Option<String>,
    /// The message.
    pub body: String,
    /// How urgent it is.
    pub priority: Priority,
    /// Free-form tags.
    pub tags: Vec<String>,
    /// Channels the sender asked for; empty means the recipient's preferences.
    pub channels: Vec<Channel>,
    /// Groups related notifications.
    pub thread: Option<String>,
    /// When to deliver; `None` means now.
    pub deliver_at: Option<DateTime<Utc>>,
    /// The other service's event that a rule turned into this notification; `None` for a send.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<Cause>,
}

/// A domain event of another service, as the notification it caused records it: CloudEvents'
/// `source` and `id` (together unique, the idempotency of ingestion) and `type`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Cause {
    /// The service's `source`, for example `/tasks`.
    pub source: String,
    /// The event's `id`, unique within its source.
    pub id: String,
    /// The event's `type`, for example `com.example.task.assigned`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// Data of `notification.dispatched` (none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationDispatched {}

/// Data of `notification.cancelled`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationCancelled {
    /// Who cancelled it.
    pub by: UserId,
}

/// Data of `delivery.requested`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryRequested {
    /// Identifies this channel's delivery of the notification.
    pub delivery_id: Uuid,
    /// The channel.
    pub channel: Channel,
    /// Where to deliver: an e-mail address, a webhook URL, or the user for desktop.
    pub address: String,
    /// Attempt number, from 1; a retry is a new request with the same delivery id.
    pub attempt: u32,
}

/// Data of `delivery.succeeded` and `delivery.failed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryOutcome {
    /// The delivery this is the outcome of.
    pub delivery_id: Uuid,
    /// The channel.
    pub channel: Channel,
    /// Attempt number, from 1.
    pub attempt: u32,
    /// What happened, for people.
    pub detail: String,
    /// For failures: retrying cannot help (a permanent SMTP error, a 4xx, no address).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub permanent: bool,
}

/// Data of `notification.delivered` (none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationDelivered {}

/// Data of `notification.failed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationFailed {
    /// The channels that failed for good.
    pub failed_channels: Vec<Channel>,
}

/// Data of `notification.escalated` (on the failed notification).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationEscalated {
    /// The new notification sent to the operations recipient.
    pub escalation_id: Uuid,
    /// The operations recipient.
    pub to: UserId,
}

/// Data of `notification.read` (none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationRead {}

/// Data of `notification.unread` (none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationUnread {}

/// Data of `inbox.read_all`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxReadAll {
    /// Everything dispatched up to this time is read.
    pub up_to: DateTime<Utc>,
}

/// Data of `preferences.updated`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreferencesUpdated {
    /// The channels the user wants.
    pub channels: Vec<Channel>,
    /// E-mail address for the e-mail channel.
    pub email: Option<String>,
    /// URL for the webhook channel.
    pub webhook_url: Option<String>,
    /// Whether a webhook signing secret is stored (the secret itself is never in an event).
    #[serde(default)]
    pub webhook_secret_set: bool,
}

/// Data of `user.deleted` (none; its aggregate is the user's inbox).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserDeleted {}

/// Data of `operation.resolved`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperationResolved {
    /// The final state.
    pub status: crate::api::OperationStatus,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(event: Event) -> Envelope {
        let alice = UserId::parse("alice").expect("valid");
        Envelope::new(
            "/notify-server/api",
            Uuid::now_v7(),
            Uuid::now_v7(),
            alice,
            1,
            event,
        )
    }

    #[test]
    fn envelope_is_a_cloudevents_document() {
        let envelope = sample(Event::NotificationRequested(NotificationRequested {
            sender: UserId::parse("bob").expect("valid"),
            recipient: UserId::parse("alice").expect("valid"),
            title: Some("Deploy".into()),
            body: "finished".into(),
            priority: Priority::High,
            tags: vec!["ci".into()],
            channels: vec![],
            thread: None,
            deliver_at: None,
            cause: None,
        }));
        let json = serde_json::to_value(&envelope).expect("serializes");
        assert_eq!(json["specversion"], "1.0");
        assert_eq!(json["type"], "notify.notification.requested.v1");
        assert_eq!(json["datacontenttype"], "application/json");
        assert_eq!(json["userid"], "alice");
        assert_eq!(json["sequence"], 1);
        assert_eq!(json["data"]["priority"], "high");
        assert_eq!(json["data"]["body"], "finished");
        let back: Envelope = serde_json::from_value(json).expect("deserializes");
        assert_eq!(back, envelope);
    }

    #[test]
    fn sequence_is_read_as_a_number_or_as_the_string_cloudevents_asks_for() {
        let mut json = serde_json::to_value(Envelope::new(
            "/notify-server/api",
            Uuid::now_v7(),
            Uuid::now_v7(),
            UserId::parse("alice").expect("valid"),
            7,
            Event::NotificationRead(NotificationRead {}),
        ))
        .expect("serializes");
        assert_eq!(json["sequence"], 7, "written as a number in this release");
        for (form, read) in [
            (serde_json::json!(7), Some(7)),
            (serde_json::json!("00000000000000000007"), Some(7)),
            (serde_json::json!("7"), Some(7)),
            (serde_json::json!(""), None),
            (serde_json::json!("-7"), None),
            (serde_json::json!("7a"), None),
            (serde_json::json!(-7), None),
            (serde_json::json!(7.5), None),
        ] {
            json["sequence"] = form.clone();
            let envelope = serde_json::from_value::<Envelope>(json.clone());
            assert_eq!(envelope.ok().map(|e| e.sequence), read, "{form}");
        }
    }

    #[test]
    fn type_names_match_kinds() {
        let events = [
            Event::NotificationDispatched(NotificationDispatched {}),
            Event::NotificationRead(NotificationRead {}),
            Event::InboxReadAll(InboxReadAll { up_to: Utc::now() }),
            Event::DeliveryFailed(DeliveryOutcome {
                delivery_id: Uuid::now_v7(),
                channel: Channel::Email,
                attempt: 2,
                detail: "451".into(),
                permanent: false,
            }),
        ];
        for event in events {
            let json = serde_json::to_value(sample(event.clone())).expect("serializes");
            assert_eq!(json["type"], format!("notify.{}.v1", event.kind()));
        }
    }

    #[test]
    fn every_kind_is_an_event_type() {
        for kind in KINDS {
            let json = serde_json::json!({ "type": format!("notify.{kind}.v1"), "data": {} });
            // Known types may still want fields; only an unknown one is "unknown variant".
            if let Err(error) = serde_json::from_value::<Event>(json) {
                assert!(
                    !error.to_string().contains("unknown variant"),
                    "{kind}: {error}"
                );
            }
        }
    }

    #[test]
    fn rejects_other_spec_versions() {
        let mut json = serde_json::to_value(sample(Event::NotificationRead(NotificationRead {})))
            .expect("serializes");
        json["specversion"] = "0.3".into();
        assert!(serde_json::from_value::<Envelope>(json).is_err());
    }
}
