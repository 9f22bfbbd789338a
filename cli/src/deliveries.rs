//! Per-channel deliveries for people: the compact column of `notify sent`, the `channels`
//! block of `notify show`, and the outcome lines of `notify send --wait`.
//!
//! Pure functions over [`DeliveryView`]s. Addresses and details come from elsewhere (a mail
//! server's answer, a webhook's) and are cleaned before they reach a terminal. Channels are
//! always listed in one order (desktop, e-mail, webhook) so that rows compare at a glance.

use notify_shared::api::Channel;
use notify_shared::views::{DeliveryStatus, DeliveryView};
use notify_shared::wire_name::WireName;

use crate::render::clean_line;
use crate::table::Row;

/// Marks a channel that succeeded.
pub const SUCCEEDED: &str = "✓";
/// Marks a channel that failed for good.
pub const FAILED: &str = "✗";
/// Marks a channel still being tried.
pub const PENDING: &str = "…";

/// The mark for `status`.
pub fn mark(status: DeliveryStatus) -> &'static str {
    match status {
        DeliveryStatus::Succeeded => SUCCEEDED,
        DeliveryStatus::Failed => FAILED,
        DeliveryStatus::Pending => PENDING,
    }
}

/// Whether a delivery has its final outcome.
pub fn settled(delivery: &DeliveryView) -> bool {
    delivery.status != DeliveryStatus::Pending
}

/// Where `channel` comes in display order: desktop, e-mail, webhook.
pub fn rank(channel: Channel) -> u8 {
    match channel {
        Channel::Desktop => 0,
        Channel::Email => 1,
        Channel::Webhook => 2,
    }
}

/// The deliveries in display order: by channel, then by address.
pub fn sorted(deliveries: &[DeliveryView]) -> Vec<&DeliveryView> {
    let mut sorted: Vec<&DeliveryView> = deliveries.iter().collect();
    sorted.sort_by(|a, b| (rank(a.channel), &a.address).cmp(&(rank(b.channel), &b.address)));
    sorted
}

/// One cell for a listing: `desktop✓ email✓ webhook✗`, or `-` when nothing was delivered
/// (yet: a scheduled send, or one the read model has not caught up with).
pub fn compact(deliveries: &[DeliveryView]) -> String {
    if deliveries.is_empty() {
        return "-".into();
    }
    sorted(deliveries)
        .iter()
        .map(|d| format!("{}{}", d.channel.as_str(), mark(d.status)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `1 attempt`, `4 attempts`.
pub fn attempts(count: u32) -> String {
    if count == 1 {
        "1 attempt".into()
    } else {
        format!("{count} attempts")
    }
}

/// The rows of `notify show`'s `channels` block: channel, address, status, attempts, and what
/// happened last.
pub fn rows(deliveries: &[DeliveryView]) -> Vec<Row> {
    sorted(deliveries)
        .into_iter()
        .map(|d| Row {
            cells: vec![
                d.channel.as_str().to_owned(),
                // Hidden from a sender: where the recipient receives is theirs to know.
                d.address.as_deref().map_or_else(|| "-".into(), clean_line),
                d.status.as_str().to_owned(),
                attempts(d.attempts),
            ],
            text: clean_line(d.detail.as_deref().unwrap_or("")),
            style: crate::style::of_delivery(d.status),
        })
        .collect()
}

/// What happened, for an outcome line: the detail, then `(attempt N)` when it took more than
/// one: `HTTP 500 (attempt 4)`.
pub fn detail(delivery: &DeliveryView) -> String {
    let detail = clean_line(delivery.detail.as_deref().unwrap_or("").trim());
    match (detail.is_empty(), delivery.attempts > 1) {
        (_, false) => detail,
        (true, true) => format!("(attempt {})", delivery.attempts),
        (false, true) => format!("{detail} (attempt {})", delivery.attempts),
    }
}

/// One outcome as `notify send --wait` reports it on stderr, the recipient padded to
/// `width`: `alice  webhook  failed     HTTP 500 (attempt 4)`.
pub fn outcome_line(recipient: &str, width: usize, delivery: &DeliveryView) -> String {
    let line = format!(
        "{recipient:<width$}  {:<7}  {:<9}  {}",
        delivery.channel.as_str(),
        delivery.status.as_str(),
        detail(delivery)
    );
    line.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::delivery;

    fn three() -> Vec<DeliveryView> {
        vec![
            delivery(
                Channel::Webhook,
                "https://hooks.example.com/n",
                DeliveryStatus::Failed,
                4,
                Some("HTTP 500"),
            ),
            delivery(Channel::Desktop, "bob", DeliveryStatus::Pending, 0, None),
            delivery(
                Channel::Email,
                "bob@example.com",
                DeliveryStatus::Succeeded,
                1,
                Some("250 2.0.0 Ok"),
            ),
        ]
    }

    #[test]
    fn the_compact_column_marks_each_channel_in_a_fixed_order() {
        assert_eq!(compact(&three()), "desktop… email✓ webhook✗");
        assert_eq!(compact(&[]), "-");
    }

    #[test]
    fn show_rows_have_every_field_cleaned() {
        let mut deliveries = three();
        deliveries[0].detail = Some("HTTP 500\r\n\x1b[2J".into());
        let rows = rows(&deliveries);
        assert_eq!(rows[2].style, crate::style::FAILED);
        let styled = crate::table::render(&rows, None);
        let text = anstream::adapter::strip_str(&styled).to_string();
        assert_eq!(
            text,
            "\
desktop  bob                          pending    0 attempts
email    bob@example.com              succeeded  1 attempt   250 2.0.0 Ok
webhook  https://hooks.example.com/n  failed     4 attempts  HTTP 500  [2J
"
        );
    }

    #[test]
    fn outcome_lines_align_and_count_attempts_past_the_first() {
        let deliveries = three();
        assert_eq!(
            outcome_line("bob", 5, &deliveries[0]),
            "bob    webhook  failed     HTTP 500 (attempt 4)"
        );
        assert_eq!(
            outcome_line("bob", 3, &deliveries[2]),
            "bob  email    succeeded  250 2.0.0 Ok"
        );
        let quiet = delivery(Channel::Desktop, "bob", DeliveryStatus::Succeeded, 1, None);
        assert_eq!(outcome_line("bob", 3, &quiet), "bob  desktop  succeeded");
        let retried = delivery(
            Channel::Desktop,
            "bob",
            DeliveryStatus::Failed,
            3,
            Some(" "),
        );
        assert_eq!(detail(&retried), "(attempt 3)");
    }

    #[test]
    fn only_pending_is_unsettled() {
        let deliveries = three();
        let settled: Vec<bool> = deliveries.iter().map(settled).collect();
        assert_eq!(settled, [true, false, true]);
    }
}
