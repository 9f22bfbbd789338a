//! Test fixtures shared by the CLI's unit tests: a notification view and a delivery view to
//! render. Test-only; nothing here is compiled into `notify`.

use chrono::{DateTime, Utc};
use notify_shared::UserId;
use notify_shared::api::{Channel, Priority};
use notify_shared::views::{DeliveryStatus, DeliveryView, NotificationStatus, NotificationView};
use uuid::Uuid;

/// A notification from alice to bob, dispatched at `now`.
pub fn view(now: DateTime<Utc>) -> NotificationView {
    NotificationView {
        id: Uuid::max(),
        operation_id: Uuid::nil(),
        sender: UserId::parse("alice").expect("valid"),
        recipient: UserId::parse("bob").expect("valid"),
        title: Some("Deploy of api finished".into()),
        body: "all green\nsee the log".into(),
        priority: Priority::Normal,
        tags: vec![],
        thread: None,
        status: NotificationStatus::Delivered,
        requested_at: now,
        deliver_at: None,
        dispatched_at: Some(now),
        read_at: None,
        deliveries: Vec::new(),
    }
}

/// A delivery on `channel` to `address`.
pub fn delivery(
    channel: Channel,
    address: &str,
    status: DeliveryStatus,
    attempts: u32,
    detail: Option<&str>,
) -> DeliveryView {
    DeliveryView {
        id: Uuid::now_v7(),
        channel,
        address: Some(address.into()),
        status,
        attempts,
        detail: detail.map(Into::into),
        updated_at: Utc::now(),
    }
}
