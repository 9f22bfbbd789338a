//! The gateway's messages to and from the contract types that the api's commands and queries
//! take and answer. Enums map by their wire names (`PRIORITY_HIGH` is `high`), so a variant
//! added to one side and not the other fails the tests below, not a client.
//!
//! It must not decide anything: no defaults or limits beyond what the HTTP api applies.

use chrono::{DateTime, Utc};
use notify_shared::UserId;
use notify_shared::api::{Channel, Priority, SendRequest, SendResponse};
use notify_shared::commands::CommandAccepted;
use notify_shared::views::{
    DeliveryView, InboxQuery, NotificationPage, NotificationStatus, NotificationView,
    OperationView, SentQuery, Timeline,
};
use notify_shared::wire_name::WireName;
use prost_types::Timestamp;
use tonic::Status;
use uuid::Uuid;

use super::proto;
use super::status::invalid;

/// A protobuf enum that has a name for each variant (`PRIORITY_HIGH`).
pub trait ProtoEnum: Sized + Into<i32> + TryFrom<i32> {
    /// The prefix of its variants' names (`PRIORITY_`).
    const PREFIX: &'static str;
    /// The variant named `name`.
    fn from_name(name: &str) -> Option<Self>;
    /// Its name.
    fn name(&self) -> &'static str;
}

macro_rules! proto_enum {
    ($($type:ident => $prefix:literal),* $(,)?) => {$(
        impl ProtoEnum for proto::$type {
            const PREFIX: &'static str = $prefix;
            fn from_name(name: &str) -> Option<Self> {
                Self::from_str_name(name)
            }
            fn name(&self) -> &'static str {
                self.as_str_name()
            }
        }
    )*};
}

proto_enum! {
    Priority => "PRIORITY_",
    Channel => "CHANNEL_",
    OperationStatus => "OPERATION_STATUS_",
    OperationKind => "OPERATION_KIND_",
    NotificationStatus => "NOTIFICATION_STATUS_",
    DeliveryStatus => "DELIVERY_STATUS_",
}

/// `value` as the protobuf enum `P` of the same name.
pub fn to_proto<P: ProtoEnum>(value: impl WireName) -> i32 {
    let name = format!("{}{}", P::PREFIX, value.as_str().to_ascii_uppercase());
    P::from_name(&name).map_or(0, Into::into)
}

/// The protobuf enum `value` (of `field`) as the contract enum `E`; `None` when unspecified.
pub fn from_proto<P: ProtoEnum, E: std::str::FromStr>(
    field: &str,
    value: i32,
) -> Result<Option<E>, Status> {
    let unknown = || invalid(field, format!("{value} is not a value of {field}"));
    let named = P::try_from(value).map_err(|_| unknown())?;
    let name = named.name().strip_prefix(P::PREFIX).ok_or_else(unknown)?;
    if name == "UNSPECIFIED" {
        return Ok(None);
    }
    name.to_ascii_lowercase()
        .parse()
        .map(Some)
        .map_err(|_| unknown())
}

/// A UUID in `field`.
pub fn uuid(field: &str, text: &str) -> Result<Uuid, Status> {
    Uuid::try_parse(text).map_err(|_| invalid(field, format!("{text:?} is not a UUID")))
}

/// An idempotency key in `field`: a UUID, or a new UUIDv7 when empty.
pub fn key(field: &str, text: &str) -> Result<Uuid, Status> {
    if text.is_empty() {
        Ok(Uuid::now_v7())
    } else {
        uuid(field, text)
    }
}

fn user(field: &str, text: &str) -> Result<UserId, Status> {
    UserId::parse(text).map_err(|e| invalid(field, e.to_string()))
}

fn timestamp(time: DateTime<Utc>) -> Timestamp {
    Timestamp {
        seconds: time.timestamp(),
        nanos: i32::try_from(time.timestamp_subsec_nanos()).unwrap_or_default(),
    }
}

fn time(field: &str, stamp: &Timestamp) -> Result<DateTime<Utc>, Status> {
    u32::try_from(stamp.nanos)
        .ok()
        .and_then(|nanos| DateTime::from_timestamp(stamp.seconds, nanos))
        .ok_or_else(|| invalid(field, "not a valid time"))
}

/// A send: its idempotency key and the request.
pub fn send_request(request: proto::SendRequest) -> Result<(Uuid, SendRequest), Status> {
    let key = key("idempotency_key", &request.idempotency_key)?;
    let to = request
        .to
        .iter()
        .map(|name| user("to", name))
        .collect::<Result<_, _>>()?;
    let channels = request
        .channels
        .iter()
        .map(|&channel| {
            from_proto::<proto::Channel, Channel>("channels", channel)?
                .ok_or_else(|| invalid("channels", "CHANNEL_UNSPECIFIED is not a channel"))
        })
        .collect::<Result<_, _>>()?;
    let priority = from_proto::<proto::Priority, Priority>("priority", request.priority)?;
    let deliver_at = request
        .deliver_at
        .as_ref()
        .map(|at| time("deliver_at", at))
        .transpose()?;
    Ok((
        key,
        SendRequest {
            to,
            title: request.title,
            body: request.body,
            priority: priority.unwrap_or_default(),
            tags: request.tags,
            channels,
            thread: request.thread,
            deliver_at,
        },
    ))
}

/// The inbox's filters.
pub fn inbox_query(request: proto::ListNotificationsRequest) -> InboxQuery {
    InboxQuery {
        unread: request.unread.then_some(true),
        tag: request.tag,
        q: request.q,
        before: request.before,
        limit: (request.limit > 0).then_some(request.limit),
    }
}

/// The sent list's filters.
pub fn sent_query(request: proto::ListSentRequest) -> Result<SentQuery, Status> {
    Ok(SentQuery {
        from: request
            .from
            .as_deref()
            .map(|f| user("from", f))
            .transpose()?,
        to: request.to.as_deref().map(|t| user("to", t)).transpose()?,
        status: from_proto::<proto::NotificationStatus, NotificationStatus>(
            "status",
            request.status,
        )?,
        channel: from_proto::<proto::Channel, Channel>("channel", request.channel)?,
        address: request.address,
        scheduled: request.scheduled.then_some(true),
        before: request.before,
        limit: (request.limit > 0).then_some(request.limit),
    })
}

/// A send's answer.
pub fn send_response(response: SendResponse) -> proto::SendResponse {
    proto::SendResponse {
        operation_id: response.operation_id.to_string(),
        status: to_proto::<proto::OperationStatus>(response.status),
        notifications: response
            .notifications
            .into_iter()
            .map(|sent| proto::SentNotification {
                id: sent.id.to_string(),
                recipient: sent.recipient.to_string(),
            })
            .collect(),
    }
}

/// A command's answer.
pub fn command_accepted(accepted: CommandAccepted) -> proto::CommandAccepted {
    proto::CommandAccepted {
        operation_id: accepted.operation_id.to_string(),
        status: to_proto::<proto::OperationStatus>(accepted.status),
    }
}

/// A notification.
pub fn notification(view: NotificationView) -> proto::Notification {
    proto::Notification {
        id: view.id.to_string(),
        operation_id: view.operation_id.to_string(),
        sender: view.sender.to_string(),
        recipient: view.recipient.to_string(),
        title: view.title,
        body: view.body,
        priority: to_proto::<proto::Priority>(view.priority),
        tags: view.tags,
        thread: view.thread,
        status: to_proto::<proto::NotificationStatus>(view.status),
        requested_at: Some(timestamp(view.requested_at)),
        deliver_at: view.deliver_at.map(timestamp),
        dispatched_at: view.dispatched_at.map(timestamp),
        read_at: view.read_at.map(timestamp),
        deliveries: view.deliveries.into_iter().map(delivery).collect(),
    }
}

fn delivery(view: DeliveryView) -> proto::Delivery {
    proto::Delivery {
        id: view.id.to_string(),
        channel: to_proto::<proto::Channel>(view.channel),
        address: view.address,
        status: to_proto::<proto::DeliveryStatus>(view.status),
        attempts: view.attempts,
        detail: view.detail,
        updated_at: Some(timestamp(view.updated_at)),
    }
}

/// A page of notifications.
pub fn page(page: NotificationPage) -> proto::NotificationPage {
    proto::NotificationPage {
        items: page.items.into_iter().map(notification).collect(),
        next_cursor: page.next_cursor,
    }
}

/// A notification's history.
pub fn history(timeline: Timeline) -> proto::History {
    proto::History {
        notification_id: timeline.notification_id.to_string(),
        events: timeline
            .events
            .into_iter()
            .map(|entry| proto::HistoryEvent {
                event_id: entry.event_id.to_string(),
                kind: entry.kind,
                sequence: entry.sequence,
                time: Some(timestamp(entry.time)),
                source: entry.source,
                operation_id: entry.operation_id.to_string(),
                data_json: entry.data.to_string(),
            })
            .collect(),
    }
}

/// An operation.
pub fn operation(view: OperationView) -> proto::Operation {
    proto::Operation {
        id: view.id.to_string(),
        kind: view.kind.map_or(0, to_proto::<proto::OperationKind>),
        status: to_proto::<proto::OperationStatus>(view.status),
        notifications: view.notifications.iter().map(Uuid::to_string).collect(),
        resolved_at: view.resolved_at.map(timestamp),
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Debug;
    use std::str::FromStr;

    use notify_shared::api::OperationStatus;
    use notify_shared::views::{DeliveryStatus, OperationKind};
    use strum::VariantArray;

    use super::*;

    fn round_trips<P: ProtoEnum, E>()
    where
        E: WireName + VariantArray + FromStr + PartialEq + Debug,
    {
        for &variant in E::VARIANTS {
            let number = to_proto::<P>(variant);
            assert_ne!(number, 0, "{variant:?} has no {}… value", P::PREFIX);
            let back = from_proto::<P, E>("field", number).expect("maps back");
            assert_eq!(back, Some(variant));
        }
        assert_eq!(from_proto::<P, E>("field", 0).expect("unspecified"), None);
        assert!(from_proto::<P, E>("field", 999).is_err());
    }

    #[test]
    fn every_contract_enum_has_its_protobuf_twin() {
        round_trips::<proto::Priority, Priority>();
        round_trips::<proto::Channel, Channel>();
        round_trips::<proto::OperationStatus, OperationStatus>();
        round_trips::<proto::OperationKind, OperationKind>();
        round_trips::<proto::NotificationStatus, NotificationStatus>();
        round_trips::<proto::DeliveryStatus, DeliveryStatus>();
    }

    #[test]
    fn a_send_request_keeps_every_field_and_refuses_what_is_not_valid() {
        let at = Timestamp {
            seconds: 1_800_000_000,
            nanos: 5,
        };
        let (key, request) = send_request(proto::SendRequest {
            idempotency_key: "0193b5f0-0000-7000-8000-000000000001".into(),
            to: vec!["alice".into()],
            title: Some("Deploy".into()),
            body: "done".into(),
            priority: proto::Priority::Urgent.into(),
            tags: vec!["ci".into()],
            channels: vec![proto::Channel::Email.into()],
            thread: Some("t".into()),
            deliver_at: Some(at),
        })
        .expect("valid");
        assert_eq!(key.to_string(), "0193b5f0-0000-7000-8000-000000000001");
        assert_eq!(request.priority, Priority::Urgent);
        assert_eq!(request.channels, [Channel::Email]);
        assert_eq!(request.deliver_at.map(timestamp), Some(at));
        let refused = |request: proto::SendRequest| send_request(request).unwrap_err().code();
        let base = proto::SendRequest {
            body: "x".into(),
            ..Default::default()
        };
        assert_eq!(
            refused(proto::SendRequest {
                idempotency_key: "nope".into(),
                ..base.clone()
            }),
            tonic::Code::InvalidArgument
        );
        assert_eq!(
            refused(proto::SendRequest {
                to: vec!["Not A User".into()],
                ..base.clone()
            }),
            tonic::Code::InvalidArgument
        );
        assert_eq!(
            refused(proto::SendRequest {
                channels: vec![0],
                ..base
            }),
            tonic::Code::InvalidArgument
        );
    }
}
