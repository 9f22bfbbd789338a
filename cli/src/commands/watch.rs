//! `notify watch`: the user's events as notifyd receives them, one line each, until Ctrl-C or
//! until the daemon stops.
//!
//! Only the daemon has the stream, so there is no fallback: without one this exits 3 with how
//! to start it. Each line is flushed as it is written, so a pipe sees events as they happen;
//! `--json` writes each envelope unchanged, one per line (NDJSON).

use std::io::Write;

use chrono::{Local, TimeZone};
use notify_shared::config::ClientConfig;
use notify_shared::event::{DeliveryOutcome, Envelope, Event};
use notify_shared::wire_name::WireName;

use crate::cli::{Globals, WatchArgs};
use crate::error::Error;
use crate::notifyd::Daemon;
use crate::output::{Mode, write_json, write_line};
use crate::render::{clean_line, headline, truncate};
use notify_shared::event::KINDS;

/// The longest description of a new notification's title or first line.
const MAX_HEADLINE: usize = 80;

/// Runs `notify watch`.
pub async fn run(args: WatchArgs, globals: &Globals, out: &mut dyn Write) -> Result<(), Error> {
    let server = ClientConfig::load(globals.server.clone())?.server;
    let mut events = Daemon::local(&server, globals.verbose)
        .watch(args.kinds)
        .await?;
    let mode = Mode::of(globals);
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    loop {
        let envelope = tokio::select! {
            signal = &mut interrupted => {
                return signal.map_err(|e| {
                    Error::Internal(format!("cannot listen for Ctrl-C: {e}"))
                });
            }
            event = events.next() => event?,
        };
        match mode {
            Mode::Human => write_line(out, line(&envelope, &Local))?,
            Mode::Json => write_json(out, &envelope)?,
            Mode::Quiet => continue,
        }
        out.flush().map_err(Error::Output)?;
    }
}

/// One event for people: `14:03:07  notification.requested   from bob: Deploy finished`, the
/// time in `tz`.
pub fn line<Tz: TimeZone>(envelope: &Envelope, tz: &Tz) -> String
where
    Tz::Offset: std::fmt::Display,
{
    let width = KINDS.iter().map(|k| k.len()).max().unwrap_or(0);
    let text = format!(
        "{}  {:<width$}  {}",
        envelope.time.with_timezone(tz).format("%H:%M:%S"),
        envelope.event.kind(),
        about(envelope)
    );
    text.trim_end().to_owned()
}

/// What an event is about, in a few words.
fn about(envelope: &Envelope) -> String {
    match &envelope.event {
        Event::NotificationRequested(requested) => format!(
            "from {}: {}",
            requested.sender,
            truncate(
                &headline(requested.title.as_deref(), &requested.body),
                MAX_HEADLINE
            )
        ),
        Event::DeliveryRequested(requested) => format!(
            "{} {}{}",
            requested.channel.as_str(),
            clean_line(&requested.address),
            attempt(requested.attempt)
        ),
        Event::DeliverySucceeded(outcome) | Event::DeliveryFailed(outcome) => delivery(outcome),
        Event::OperationResolved(resolved) => format!(
            "operation {} {}",
            envelope.operationid,
            resolved.status.as_str()
        ),
        _ => envelope.subject.to_string(),
    }
}

/// `email 250 2.0.0 Ok`, `webhook HTTP 500 (attempt 4)`.
fn delivery(outcome: &DeliveryOutcome) -> String {
    let detail = clean_line(outcome.detail.trim());
    format!(
        "{} {detail}{}",
        outcome.channel.as_str(),
        attempt(outcome.attempt)
    )
}

/// ` (attempt N)` past the first.
fn attempt(number: u32) -> String {
    if number > 1 {
        format!(" (attempt {number})")
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, FixedOffset, Utc};
    use notify_shared::UserId;
    use notify_shared::api::{Channel, OperationStatus, Priority};
    use notify_shared::event::{
        DeliveryRequested, NotificationRead, NotificationRequested, OperationResolved,
    };
    use uuid::Uuid;

    fn at(event: Event) -> Envelope {
        let mut envelope = Envelope::new(
            "/notify-server/api",
            Uuid::nil(),
            Uuid::max(),
            UserId::parse("alice").expect("valid"),
            1,
            event,
        );
        envelope.time = DateTime::parse_from_rfc3339("2026-11-02T14:03:07Z")
            .expect("time")
            .with_timezone(&Utc);
        envelope
    }

    fn lines(events: Vec<Event>) -> Vec<String> {
        let paris = FixedOffset::east_opt(3600).expect("offset");
        events.into_iter().map(|e| line(&at(e), &paris)).collect()
    }

    #[test]
    fn each_kind_says_what_it_is_about() {
        let outcome = |attempt, detail: &str| DeliveryOutcome {
            delivery_id: Uuid::nil(),
            channel: Channel::Webhook,
            attempt,
            detail: detail.into(),
            permanent: false,
        };
        let events = vec![
            Event::NotificationRequested(NotificationRequested {
                sender: UserId::parse("bob").expect("valid"),
                recipient: UserId::parse("alice").expect("valid"),
                title: None,
                body: "\n  Deploy of api\x1b[2J finished\nsecond line".into(),
                priority: Priority::Normal,
                tags: vec![],
                channels: vec![],
                thread: None,
                deliver_at: None,
                cause: None,
            }),
            Event::DeliveryRequested(DeliveryRequested {
                delivery_id: Uuid::nil(),
                channel: Channel::Email,
                address: "alice@example.com".into(),
                attempt: 1,
            }),
            Event::DeliveryFailed(outcome(4, "HTTP 500\r\n")),
            Event::DeliverySucceeded(outcome(1, "")),
            Event::OperationResolved(OperationResolved {
                status: OperationStatus::PartiallyDelivered,
            }),
            Event::NotificationRead(NotificationRead {}),
        ];
        assert_eq!(
            lines(events),
            [
                "15:03:07  notification.requested   from bob: Deploy of api[2J finished",
                "15:03:07  delivery.requested       email alice@example.com",
                "15:03:07  delivery.failed          webhook HTTP 500 (attempt 4)",
                "15:03:07  delivery.succeeded       webhook",
                "15:03:07  operation.resolved       operation 00000000-0000-0000-0000-000000000000 \
                 partially_delivered",
                "15:03:07  notification.read        ffffffff-ffff-ffff-ffff-ffffffffffff",
            ]
        );
    }
}
