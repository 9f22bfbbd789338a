//! `notify status OPERATION_ID [--wait]`: what became of an operation.
//!
//! Prints the state, the kind and the notifications (the `OperationView` with `--json`), then
//! exits 1 when the operation failed, was cancelled or was only partially delivered. `--wait`
//! stops on a final state or on `scheduled`, and then says when the send goes out.

use std::io::Write;
use std::time::Duration;

use chrono::{DateTime, Utc};
use notify_shared::api::OperationStatus;
use notify_shared::views::OperationView;
use notify_shared::wire_name::WireName;
use uuid::Uuid;

use crate::cli::{Globals, StatusArgs};
use crate::client::Client;
use crate::duration::time_left;
use crate::error::Error;
use crate::output::{Mode, tell, write_json};
use crate::render::{timestamp, timestamp_and_relative};
use crate::wait::Waits;
use crate::wait::poll::{Until, outcome};

/// Runs `notify status`.
pub async fn run(args: StatusArgs, globals: &Globals, out: &mut dyn Write) -> Result<(), Error> {
    let client = super::connect(globals)?;
    let id = args.operation;
    let view = if args.wait.wait {
        wait_for(&client, id, args.wait.timeout, globals).await?
    } else {
        client.operation(id).await?
    };
    let deliver_at = match view.status {
        OperationStatus::Scheduled => deliver_at(&client, &view).await,
        _ => None,
    };
    let now = Utc::now();
    if args.wait.wait && view.status == OperationStatus::Scheduled && !globals.quiet {
        tell(scheduled_note(id, deliver_at, now));
    }
    match Mode::of(globals) {
        Mode::Human => out
            .write_all(text(&view, deliver_at, now).as_bytes())
            .map_err(Error::Output)?,
        Mode::Json => write_json(out, &view)?,
        Mode::Quiet => {}
    }
    outcome(&view)
}

/// `--wait`: until the operation is final or scheduled. notifyd only hears of resolutions
/// from now on (and keeps recent ones), so the server is asked once after registering: it
/// knows one that settled long ago, one that is scheduled (which resolves only later), and
/// one that does not exist.
async fn wait_for(
    client: &Client,
    id: Uuid,
    timeout: Duration,
    globals: &Globals,
) -> Result<OperationView, Error> {
    let mut waits = Waits::new(timeout, client.server(), globals);
    waits.register(id).await?;
    if waits.through_daemon() {
        match client.operation(id).await {
            Ok(view) if Until::FinalOrScheduled.reached(view.status) => return Ok(view),
            Ok(_) => {}
            // Not in the read model yet, or never: polling tells the two apart.
            Err(Error::NoOperation(_)) => waits.poll_instead(),
            Err(error) => return Err(error),
        }
    }
    waits
        .finish(client, Until::FinalOrScheduled)
        .await?
        .pop()
        .ok_or_else(|| Error::Internal("waiting returned no operation".into()))
}

/// Why `--wait` returned on a scheduled send: `notify: operation ID is scheduled to go out at
/// TIME (in 3h); not waiting for it`.
pub(crate) fn scheduled_note(
    id: Uuid,
    deliver_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> String {
    let when = deliver_at.map_or_else(
        || "later".to_owned(),
        |t| format!("at {} ({})", timestamp(t), time_left(t, now)),
    );
    format!("notify: operation {id} is scheduled to go out {when}; not waiting for it")
}

/// When a scheduled send goes out. The operation does not say, so this asks its first
/// notification; any failure only means the time is not shown.
pub(crate) async fn deliver_at(client: &Client, view: &OperationView) -> Option<DateTime<Utc>> {
    let first = *view.notifications.first()?;
    client.notification(first).await.ok()?.deliver_at
}

/// The operation as `key  value` lines; each notification on its own line.
pub fn text(view: &OperationView, deliver_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    let mut rows = vec![
        ("status", view.status.as_str().to_owned()),
        ("kind", view.kind.map_or("-", WireName::as_str).to_owned()),
    ];
    match view.notifications.split_first() {
        None => rows.push(("notifications", "-".into())),
        Some((first, rest)) => {
            rows.push(("notifications", first.to_string()));
            rows.extend(rest.iter().map(|id| ("", id.to_string())));
        }
    }
    if let Some(time) = deliver_at {
        rows.push((
            "deliver at",
            format!("{} ({})", timestamp(time), time_left(time, now)),
        ));
    }
    if let Some(time) = view.resolved_at {
        rows.push(("resolved", timestamp_and_relative(time, now)));
    }
    rows.iter()
        .map(|(key, value)| format!("{key:<15}{value}\n"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use notify_shared::views::OperationKind;

    #[test]
    fn status_kind_and_one_line_per_notification() {
        let now = Utc::now();
        let view = OperationView {
            id: Uuid::nil(),
            kind: Some(OperationKind::ReadAll),
            status: OperationStatus::Applied,
            notifications: vec![Uuid::nil(), Uuid::max()],
            resolved_at: Some(now - Duration::seconds(3)),
        };
        let resolved = crate::render::timestamp(now - Duration::seconds(3));
        assert_eq!(
            text(&view, None, now),
            format!(
                "\
status         applied
kind           read_all
notifications  00000000-0000-0000-0000-000000000000
               ffffffff-ffff-ffff-ffff-ffffffffffff
resolved       {resolved} (just now)
"
            )
        );
    }

    #[test]
    fn an_unprocessed_operation_and_a_scheduled_one() {
        let now = Utc::now();
        let accepted = OperationView {
            id: Uuid::nil(),
            kind: None,
            status: OperationStatus::Accepted,
            notifications: vec![],
            resolved_at: None,
        };
        assert_eq!(
            text(&accepted, None, now),
            "status         accepted\nkind           -\nnotifications  -\n"
        );
        let scheduled = OperationView {
            status: OperationStatus::Scheduled,
            ..accepted
        };
        let text = text(&scheduled, Some(now + Duration::minutes(90)), now);
        assert!(text.contains("\ndeliver at     "), "{text}");
        assert!(text.ends_with("(in 1h 30m)\n"), "{text}");
        // The note --wait prints says the same span as the send's own line.
        let note = scheduled_note(Uuid::nil(), Some(now + Duration::minutes(90)), now);
        assert!(note.contains("(in 1h 30m); not waiting"), "{note}");
        assert!(
            scheduled_note(Uuid::nil(), None, now).ends_with("go out later; not waiting for it")
        );
    }
}
