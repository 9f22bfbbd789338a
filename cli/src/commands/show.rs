//! `notify show ID [--events]`: one notification as `key  value` lines (its deliveries under
//! `channels`, one per line), its message, and with `--events` its history as a table.
//!
//! Text from the sender (title, body, event details) is cleaned before it reaches a terminal;
//! `--json` carries it unchanged.

use std::io::Write;

use chrono::{DateTime, Utc};
use notify_shared::views::{DeliveryView, NotificationView, TimelineEntry};
use notify_shared::wire_name::WireName;
use serde_json::{Value, json};

use crate::cli::{Globals, ShowArgs};
use crate::deliveries;
use crate::error::Error;
use crate::output::{Mode, write_json};
use crate::render::{clean_line, clean_text, timestamp, timestamp_and_relative};
use crate::table::{self, Row, stdout_width};

/// Runs `notify show`.
pub async fn run(args: ShowArgs, globals: &Globals, out: &mut dyn Write) -> Result<(), Error> {
    let client = super::connect(globals)?;
    let (view, events) = if args.events {
        let (view, timeline) =
            tokio::try_join!(client.notification(args.id), client.timeline(args.id))?;
        (view, Some(timeline.events))
    } else {
        (client.notification(args.id).await?, None)
    };
    match Mode::of(globals) {
        Mode::Human => {
            let width = stdout_width();
            let mut text = fields(&view, Utc::now(), width);
            if let Some(events) = &events {
                text.push_str("\nevents\n");
                text.push_str(&history(events, width));
            }
            out.write_all(text.as_bytes()).map_err(Error::Output)
        }
        Mode::Json => match events {
            Some(events) => write_json(out, &json!({ "notification": view, "events": events })),
            None => write_json(out, &view),
        },
        Mode::Quiet => Ok(()),
    }
}

/// The width of the key column.
const KEY_WIDTH: usize = 12;

/// The notification as `key  value` lines and its deliveries, then a blank line and the
/// message; the deliveries' details are cut to `width`.
pub fn fields(view: &NotificationView, now: DateTime<Utc>, width: Option<usize>) -> String {
    let time = |t: Option<DateTime<Utc>>, none: &str| {
        t.map_or_else(|| none.to_owned(), |t| timestamp_and_relative(t, now))
    };
    let mut rows = vec![
        ("id", view.id.to_string()),
        ("operation", view.operation_id.to_string()),
        ("from", view.sender.to_string()),
        ("to", view.recipient.to_string()),
        ("status", view.status.as_str().to_owned()),
        ("priority", view.priority.as_str().to_owned()),
        ("tags", or_dash(clean_line(&view.tags.join(", ")))),
        (
            "thread",
            or_dash(clean_line(view.thread.as_deref().unwrap_or(""))),
        ),
        ("requested", timestamp_and_relative(view.requested_at, now)),
    ];
    if view.deliver_at.is_some() {
        rows.push(("deliver at", time(view.deliver_at, "-")));
    }
    rows.extend([
        ("dispatched", time(view.dispatched_at, "-")),
        ("read", time(view.read_at, "unread")),
        (
            "title",
            or_dash(clean_line(view.title.as_deref().unwrap_or(""))),
        ),
    ]);
    let mut text: String = rows
        .iter()
        .map(|(key, value)| format!("{key:<KEY_WIDTH$}{value}\n"))
        .collect();
    text.push_str(&channels(&view.deliveries, width));
    text.push('\n');
    text.push_str(&clean_text(&view.body));
    text.push('\n');
    text
}

/// The deliveries as a table under the key `channels` (channel, address, status, attempts,
/// detail), or nothing when there are none.
pub fn channels(deliveries: &[DeliveryView], width: Option<usize>) -> String {
    let rows = deliveries::rows(deliveries);
    let table = table::render(&rows, width.map(|w| w.saturating_sub(KEY_WIDTH)));
    table
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let key = if i == 0 { "channels" } else { "" };
            format!("{key:<KEY_WIDTH$}{line}\n")
        })
        .collect()
}

/// The history, one row per event: time, `#sequence`, kind, source, and a detail.
pub fn history(events: &[TimelineEntry], width: Option<usize>) -> String {
    let rows: Vec<Row> = events
        .iter()
        .map(|event| Row {
            cells: vec![
                timestamp(event.time),
                format!("#{}", event.sequence),
                clean_line(&event.kind),
                clean_line(&event.source),
            ],
            text: detail(&event.data).unwrap_or_default(),
            style: anstyle::Style::new(),
        })
        .collect();
    table::render(&rows, width)
}

/// A few words from an event's data, when it has something to say: `email: 250 ok`,
/// `webhook: timed out (attempt 2)`, `failed: email`, `by alice`, `to ops`.
pub fn detail(data: &Value) -> Option<String> {
    let text = |key| data.get(key).and_then(Value::as_str);
    let mut parts = Vec::new();
    match (text("channel"), text("detail")) {
        (Some(channel), Some(detail)) => parts.push(format!("{channel}: {detail}")),
        (Some(one), None) | (None, Some(one)) => parts.push(one.to_owned()),
        (None, None) => {}
    }
    if let Some(attempt) = data.get("attempt").and_then(Value::as_u64)
        && attempt > 1
    {
        parts.push(format!("(attempt {attempt})"));
    }
    if let Some(failed) = data.get("failed_channels").and_then(Value::as_array) {
        let names: Vec<&str> = failed.iter().filter_map(Value::as_str).collect();
        parts.push(format!("failed: {}", names.join(", ")));
    }
    if let Some(by) = text("by") {
        parts.push(format!("by {by}"));
    }
    if let Some(to) = text("to") {
        parts.push(format!("to {to}"));
    }
    if let Some(up_to) = text("up_to") {
        parts.push(format!("up to {up_to}"));
    }
    if let Some(cause) = data.get("cause") {
        let text = |key| cause.get(key).and_then(Value::as_str).unwrap_or("?");
        parts.push(format!(
            "caused by {} {} from {}",
            text("type"),
            text("id"),
            text("source")
        ));
    }
    (!parts.is_empty()).then(|| clean_line(&parts.join(" ")))
}

fn or_dash(text: String) -> String {
    if text.is_empty() { "-".into() } else { text }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::view;
    use chrono::Duration;
    use uuid::Uuid;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("valid time")
            .with_timezone(&Utc)
    }

    #[test]
    fn fields_then_a_blank_line_then_the_body() {
        let now = at("2026-11-02T14:08:07Z");
        let view = NotificationView {
            tags: vec!["ci".into(), "deploy".into()],
            read_at: Some(now),
            ..view(now - Duration::minutes(5))
        };
        assert_eq!(
            fields(&view, now, None),
            "\
id          ffffffff-ffff-ffff-ffff-ffffffffffff
operation   00000000-0000-0000-0000-000000000000
from        alice
to          bob
status      delivered
priority    normal
tags        ci, deploy
thread      -
requested   2026-11-02T14:03:07Z (5m ago)
dispatched  2026-11-02T14:03:07Z (5m ago)
read        2026-11-02T14:08:07Z (just now)
title       Deploy of api finished

all green
see the log
"
        );
    }

    #[test]
    fn unread_unscheduled_and_untitled_say_so() {
        let now = at("2026-11-02T14:08:07Z");
        let view = NotificationView {
            title: None,
            dispatched_at: None,
            deliver_at: Some(now + Duration::hours(2)),
            body: "line\r\n\x1b]0;pwned\x07".into(),
            ..view(now)
        };
        let text = fields(&view, now, Some(80));
        assert!(
            text.contains("deliver at  2026-11-02T16:08:07Z (in 2h)\ndispatched  -\n"),
            "{text}"
        );
        assert!(
            text.contains("read        unread\ntitle       -\n"),
            "{text}"
        );
        assert!(text.ends_with("\nline\n]0;pwned\n"), "{text}");
    }

    #[test]
    fn deliveries_are_listed_under_channels_before_the_body() {
        use crate::fixtures::delivery;
        use notify_shared::api::Channel;
        use notify_shared::views::DeliveryStatus;
        let now = at("2026-11-02T14:08:07Z");
        let view = NotificationView {
            deliveries: vec![
                delivery(
                    Channel::Webhook,
                    "https://hooks.example.com/n",
                    DeliveryStatus::Failed,
                    4,
                    Some("HTTP 500 Internal Server Error"),
                ),
                delivery(
                    Channel::Email,
                    "bob@example.com",
                    DeliveryStatus::Succeeded,
                    1,
                    Some("250 2.0.0 Ok: queued as 4F1A2"),
                ),
            ],
            ..view(now)
        };
        let text = anstream::adapter::strip_str(&fields(&view, now, Some(80))).to_string();
        assert!(
            text.ends_with(
                "\
title       Deploy of api finished
channels    email    bob@example.com              succeeded  1 attempt   250 2.0.0 O…
            webhook  https://hooks.example.com/n  failed     4 attempts  HTTP 500 In…

all green
see the log
"
            ),
            "{text}"
        );
        assert_eq!(channels(&[], Some(80)), "");
    }

    fn event(sequence: u64, kind: &str, source: &str, data: Value) -> TimelineEntry {
        TimelineEntry {
            event_id: Uuid::nil(),
            kind: kind.into(),
            sequence,
            time: at("2026-11-02T14:03:07.5Z"),
            source: source.into(),
            operation_id: Uuid::nil(),
            data,
        }
    }

    #[test]
    fn a_notification_made_from_another_services_event_names_it() {
        let data = json!({
            "body": "x",
            "cause": {"source": "/tasks", "id": "e-1", "type": "com.example.task.assigned"},
        });
        assert_eq!(
            detail(&data).as_deref(),
            Some("caused by com.example.task.assigned e-1 from /tasks")
        );
    }

    #[test]
    fn history_rows_align_and_carry_details() {
        let events = [
            event(
                1,
                "notification.requested",
                "/notify-server/api",
                json!({"body": "x"}),
            ),
            event(
                2,
                "notification.dispatched",
                "/notify-server/api",
                json!({}),
            ),
            event(
                3,
                "delivery.failed",
                "/notify-server/worker/email",
                json!({"channel": "email", "detail": "550 no such user", "attempt": 2}),
            ),
        ];
        assert_eq!(
            history(&events, None),
            "\
2026-11-02T14:03:07Z  #1  notification.requested   /notify-server/api
2026-11-02T14:03:07Z  #2  notification.dispatched  /notify-server/api
2026-11-02T14:03:07Z  #3  delivery.failed          /notify-server/worker/email  email: 550 no such user (attempt 2)
"
        );
    }

    #[test]
    fn details_from_the_known_event_data() {
        assert_eq!(detail(&json!({})), None);
        assert_eq!(
            detail(&json!({"delivery_id": "x", "channel": "desktop", "address": "bob"})),
            Some("desktop".into())
        );
        assert_eq!(
            detail(&json!({"failed_channels": ["email", "webhook"]})),
            Some("failed: email, webhook".into())
        );
        assert_eq!(detail(&json!({"by": "alice"})), Some("by alice".into()));
        assert_eq!(
            detail(&json!({"channel": "email", "detail": "ok\nbye", "attempt": 1})),
            Some("email: ok bye".into())
        );
    }
}
