//! The few colours notify uses, chosen in one place: unread rows bold, failures red,
//! successes green, what is not going to happen dimmed.
//!
//! Styles are always attached; whether their escape codes reach the screen is decided once,
//! in `main`, by writing through `anstream`: colour only on a terminal, never with `NO_COLOR`
//! (and forced with `CLICOLOR_FORCE`).

use anstyle::{AnsiColor, Style};
use notify_shared::views::{DeliveryStatus, NotificationStatus, NotificationView};

/// Failed for good.
pub const FAILED: Style = AnsiColor::Red.on_default();
/// Delivered.
pub const SUCCEEDED: Style = AnsiColor::Green.on_default();
/// Will not happen, or not yet.
pub const MUTED: Style = Style::new().dimmed();
/// Wants attention.
pub const UNREAD: Style = Style::new().bold();
/// `notify:` and `hint:` on stderr.
pub const ERROR: Style = AnsiColor::Red.on_default().bold();
/// The `hint:` label.
pub const HINT: Style = Style::new().bold();

/// An inbox row: bold while unread.
pub fn of_inbox_row(view: &NotificationView) -> Style {
    if view.read_at.is_none() {
        UNREAD
    } else {
        Style::new()
    }
}

/// A sent notification's row, by how it ended.
pub fn of_notification(status: NotificationStatus) -> Style {
    match status {
        NotificationStatus::Failed | NotificationStatus::PartiallyDelivered => FAILED,
        NotificationStatus::Cancelled => MUTED,
        NotificationStatus::Requested
        | NotificationStatus::Scheduled
        | NotificationStatus::Dispatched
        | NotificationStatus::Delivered => Style::new(),
    }
}

/// A channel's row in `notify show`.
pub fn of_delivery(status: DeliveryStatus) -> Style {
    match status {
        DeliveryStatus::Failed => FAILED,
        DeliveryStatus::Succeeded => SUCCEEDED,
        DeliveryStatus::Pending => Style::new(),
    }
}
