//! `notify sent`: one page of what the caller sent, newest first, and where each stands.
//!
//! A row is: the id, how long ago it went out (or `in 3h` while scheduled), the recipient, its
//! status, its channels (`email✓ webhook✗`), and the headline. Paging, the empty case and
//! `--json` are in [`crate::listing`].
//!
//! It must not print text that came from elsewhere as it came (headlines, a mail server's or a
//! webhook's details): it goes through `notify_shared::text`.

use std::io::Write;

use chrono::{DateTime, Local, TimeZone, Utc};
use notify_shared::api::Channel;
use notify_shared::views::{NotificationStatus, NotificationView, SentQuery};
use notify_shared::wire_name::WireName;

use crate::cli::{Globals, SentArgs};
use crate::deliveries::compact;
use crate::error::Error;
use crate::listing::{self, Listing};
use crate::render::{headline, relative};
use crate::table::Row;

/// Runs `notify sent`.
pub async fn run(args: SentArgs, globals: &Globals, out: &mut dyn Write) -> Result<(), Error> {
    let client = super::connect(globals)?;
    let page = client.sent(&query(&args)).await?;
    let now = Utc::now();
    let listing = Listing {
        empty: "no sent notifications",
        again: again(&args, globals),
    };
    listing.show(&page, |view| row(view, now), globals, out)
}

/// The query for `args`.
pub fn query(args: &SentArgs) -> SentQuery {
    SentQuery {
        from: args.from.clone(),
        to: args.to.clone(),
        status: args.status.map(Into::into),
        channel: args.channel.map(Into::into),
        address: args.address.clone(),
        scheduled: args.scheduled.then_some(true),
        before: args.page.before.clone(),
        limit: args.page.limit,
    }
}

/// One table row.
pub fn row(view: &NotificationView, now: DateTime<Utc>) -> Row {
    row_in(view, now, &Local)
}

/// [`row`], with times in `tz`. A scheduled row says when it goes out, in local time and how
/// far off: `2026-12-01 09:00 (in 2d)`.
pub fn row_in<Tz: TimeZone>(view: &NotificationView, now: DateTime<Utc>, tz: &Tz) -> Row
where
    Tz::Offset: std::fmt::Display,
{
    let when = match (view.status, view.deliver_at) {
        (NotificationStatus::Scheduled, Some(at)) => {
            let local = at.with_timezone(tz).format("%Y-%m-%d %H:%M");
            match relative(at, now, tz) {
                // Beyond a week `relative` is the date, which the local time already shows.
                rel if rel.starts_with("in ") || rel == "just now" => format!("{local} ({rel})"),
                _ => local.to_string(),
            }
        }
        _ => relative(listing::when(view), now, tz),
    };
    Row {
        cells: vec![
            view.id.to_string(),
            when,
            view.recipient.to_string(),
            view.status.as_str().to_owned(),
            compact(&view.deliveries),
        ],
        text: headline(view.title.as_deref(), &view.body),
        style: crate::style::of_notification(view.status),
    }
}

/// This command line without `--before`, to print with the next cursor.
fn again(args: &SentArgs, globals: &Globals) -> Vec<String> {
    let mut words = listing::command_line("sent", globals, &args.page);
    if let Some(to) = &args.to {
        words.extend(["--to".into(), to.to_string()]);
    }
    if let Some(status) = args.status {
        words.extend([
            "--status".into(),
            NotificationStatus::from(status).as_str().into(),
        ]);
    }
    if let Some(channel) = args.channel {
        words.extend(["--channel".into(), Channel::from(channel).as_str().into()]);
    }
    if let Some(address) = &args.address {
        words.extend(["--address".into(), address.clone()]);
    }
    if args.scheduled {
        words.push("--scheduled".into());
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{ChannelArg, StatusArg};
    use crate::fixtures::delivery;
    use crate::fixtures::view;
    use chrono::Duration;
    use notify_shared::UserId;
    use notify_shared::views::DeliveryStatus;

    #[test]
    fn a_row_has_id_age_recipient_status_channels_and_headline() {
        let now = Utc::now();
        let sent = NotificationView {
            status: NotificationStatus::Failed,
            deliveries: vec![
                delivery(
                    Channel::Webhook,
                    "https://h/x",
                    DeliveryStatus::Failed,
                    4,
                    None,
                ),
                delivery(Channel::Email, "bob@x", DeliveryStatus::Succeeded, 1, None),
            ],
            ..view(now - Duration::days(2))
        };
        assert_eq!(
            row(&sent, now).cells[1..],
            ["2d ago", "bob", "failed", "email✓ webhook✗"].map(String::from)
        );
        let scheduled = NotificationView {
            status: NotificationStatus::Scheduled,
            dispatched_at: None,
            deliver_at: Some(now + Duration::hours(3)),
            ..view(now)
        };
        let tz = chrono::FixedOffset::east_opt(3_600).expect("valid");
        let now = DateTime::parse_from_rfc3339("2026-11-25T12:00:00Z")
            .expect("valid")
            .with_timezone(&Utc);
        let scheduled = NotificationView {
            deliver_at: Some(now + Duration::hours(3)),
            ..scheduled
        };
        assert_eq!(
            row_in(&scheduled, now, &tz).cells[1],
            "2026-11-25 16:00 (in 3h)"
        );
        let later = NotificationView {
            deliver_at: Some(now + Duration::days(10)),
            ..scheduled
        };
        assert_eq!(row_in(&later, now, &tz).cells[1], "2026-12-05 13:00");
    }

    #[test]
    fn filters_become_the_query_and_the_next_command() {
        let args = SentArgs {
            to: Some(UserId::parse("alice").expect("valid")),
            status: Some(StatusArg::Failed),
            channel: Some(ChannelArg::Email),
            address: Some("a b@x".into()),
            scheduled: true,
            ..SentArgs::default()
        };
        let query = query(&args);
        assert_eq!(query.status, Some(NotificationStatus::Failed));
        assert_eq!(query.to.as_ref().map(UserId::as_str), Some("alice"));
        assert_eq!(query.channel, Some(Channel::Email));
        assert_eq!(query.address.as_deref(), Some("a b@x"));
        assert_eq!(query.scheduled, Some(true));
        let listing = Listing {
            empty: "",
            again: again(&args, &Globals::default()),
        };
        assert_eq!(
            listing.more("c1"),
            "more: notify sent --to alice --status failed --channel email --address 'a b@x' --scheduled --before c1"
        );
    }
}
