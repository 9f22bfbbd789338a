//! `notify send`: read the message, check it against the shared limits, and submit it once
//! (retries reuse the operation id as idempotency key).
//!
//! Stdout gets the operation id, the whole answer with `--json`, or nothing with `-q`; nothing
//! is sent when the input breaks a limit. With `--wait`, the wait is registered with notifyd
//! (when it runs) before the send, [`crate::wait::follow`] reports each channel's outcome on
//! stderr, `--json` prints the same document with the final state, and the exit code says
//! whether everything was delivered.
//!
//! A scheduled send (`--at`, `--in`) prints its operation id too, and on stderr when it goes out
//! and how to cancel it, one line per recipient; `--wait` does not wait for it.

use std::io::{self, IsTerminal, Read, Write};

use chrono::{DateTime, Local, TimeZone, Utc};
use notify_shared::api::{OperationStatus, SendRequest, SendResponse, SentNotification};
use notify_shared::limits::check_send;
use serde::Serialize;
use uuid::Uuid;

use crate::cli::{Globals, SendArgs, WaitArgs, channels};
use crate::client::Client;
use crate::commands::status::{deliver_at, scheduled_note};
use crate::duration::time_left;
use crate::error::Error;
use crate::notifyd::{Daemon, Waiter, or_fallback};
use crate::output::{Mode, note, tell, write_json, write_line};
use crate::wait::follow::follow;
use crate::wait::poll::outcome_at;
use crate::when::local;

/// The message argument that means "read stdin".
pub const FROM_STDIN: &str = "-";

/// Runs `notify send`.
pub async fn run(args: SendArgs, globals: &Globals, out: &mut dyn Write) -> Result<(), Error> {
    let stdin = io::stdin();
    let body = read_message(&args.message, stdin.is_terminal(), &mut stdin.lock())?;
    let wait = args.wait;
    let request = build_request(args, body, Utc::now());
    let violations = check_send(&request);
    if !violations.is_empty() {
        return Err(Error::Invalid(violations));
    }

    let client = super::connect(globals)?;
    let operation = Uuid::now_v7();
    note(globals.verbose, format_args!("operation {operation}"));
    // The wait goes to notifyd before the send, so that no resolution can slip past it.
    // A scheduled send is not waited for: it may be days away.
    let waiter = if wait.wait && request.deliver_at.is_none() {
        let daemon = Daemon::local(client.server(), globals.verbose);
        or_fallback(daemon.wait(operation, wait.timeout).await, globals.verbose)?
    } else {
        None
    };
    let response = client.send(operation, &request).await?;
    for sent in &response.notifications {
        note(
            globals.verbose,
            format_args!("notification {} for {}", sent.id, sent.recipient),
        );
    }
    let mode = Mode::of(globals);
    if let Some(at) = request.deliver_at {
        render(&response, mode, out)?;
        out.flush().map_err(Error::Output)?;
        let now = Utc::now();
        if wait.wait && !globals.quiet {
            tell(scheduled_note(response.operation_id, Some(at), now));
        }
        if mode == Mode::Human {
            for line in scheduled_lines(&response, at, now, &Local) {
                tell(line);
            }
        }
        return Ok(());
    }
    if !wait.wait {
        return render(&response, mode, out);
    }
    if mode == Mode::Human {
        // The id first, so that a script or a person has it however long the wait.
        render(&response, mode, out)?;
        out.flush().map_err(Error::Output)?;
    }
    wait_for(&client, &response, wait, waiter, globals, out).await
}

/// `--wait`: follows the send (through `waiter` when notifyd took the wait), says when a
/// scheduled one goes out, prints the send with its final state with `--json`, and fails
/// unless everything was delivered.
async fn wait_for(
    client: &Client,
    response: &SendResponse,
    wait: WaitArgs,
    waiter: Option<Waiter>,
    globals: &Globals,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let followed = follow(client, response, wait.timeout, waiter, globals).await?;
    let view = &followed.view;
    if view.status == OperationStatus::Scheduled && !globals.quiet {
        let when = deliver_at(client, view).await;
        tell(scheduled_note(view.id, when, Utc::now()));
    }
    if Mode::of(globals) == Mode::Json {
        write_json(out, &SendJson::of(response, view.status, view.resolved_at))?;
    }
    outcome_at(view, followed.notification)
}

/// The message: `arg` itself, or stdin when `arg` is `-`, without one trailing newline
/// (`echo hi | notify send -` sends "hi"). A terminal on stdin is refused rather than waited on.
pub fn read_message(
    arg: &str,
    stdin_is_terminal: bool,
    stdin: &mut dyn Read,
) -> Result<String, Error> {
    if arg != FROM_STDIN {
        return Ok(arg.to_owned());
    }
    if stdin_is_terminal {
        return Err(Error::StdinIsTerminal);
    }
    let mut bytes = Vec::new();
    stdin.read_to_end(&mut bytes).map_err(Error::Stdin)?;
    let mut text = String::from_utf8(bytes).map_err(|_| Error::StdinNotUtf8)?;
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    Ok(text)
}

/// What a scheduled send says on stderr, one line per recipient: `scheduled for Tue
/// 2026-12-01 09:00 +01:00 (in 2h 5m); cancel with: notify cancel ID`, with `to USER` after
/// the time when there are several.
pub fn scheduled_lines<Tz: TimeZone>(
    response: &SendResponse,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
    tz: &Tz,
) -> Vec<String>
where
    Tz::Offset: std::fmt::Display,
{
    let when = format!("{} ({})", local(at, tz), time_left(at, now));
    let several = response.notifications.len() > 1;
    response
        .notifications
        .iter()
        .map(|sent| {
            let to = if several {
                format!(" to {}", sent.recipient)
            } else {
                String::new()
            };
            format!(
                "scheduled for {when}{to}; cancel with: notify cancel {}",
                sent.id
            )
        })
        .collect()
}

/// The request body for `args` and the message read; `--in` counts from `now`.
pub fn build_request(args: SendArgs, body: String, now: DateTime<Utc>) -> SendRequest {
    let deliver_at = args.at.or_else(|| {
        args.after
            .and_then(|after| chrono::Duration::from_std(after).ok())
            .map(|after| now + after)
    });
    SendRequest {
        to: args.to,
        title: args.title,
        body,
        priority: args.priority.into(),
        tags: args.tags,
        channels: channels(&args.channels),
        thread: args.thread,
        deliver_at,
    }
}

/// What `send --json` prints, with `--wait` or without: the api's answer and when the send
/// reached its final state (`null` until then, and always without `--wait`).
#[derive(Debug, Serialize)]
struct SendJson<'a> {
    operation_id: Uuid,
    status: OperationStatus,
    notifications: &'a [SentNotification],
    resolved_at: Option<DateTime<Utc>>,
}

impl<'a> SendJson<'a> {
    fn of(
        response: &'a SendResponse,
        status: OperationStatus,
        resolved_at: Option<DateTime<Utc>>,
    ) -> Self {
        Self {
            operation_id: response.operation_id,
            status,
            notifications: &response.notifications,
            resolved_at,
        }
    }
}

/// Prints the answer: the operation id, the answer as JSON, or nothing.
pub fn render(response: &SendResponse, mode: Mode, out: &mut dyn Write) -> Result<(), Error> {
    match mode {
        Mode::Human => write_line(out, response.operation_id),
        Mode::Json => write_json(out, &SendJson::of(response, response.status, None)),
        Mode::Quiet => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify_shared::UserId;
    use notify_shared::api::{OperationStatus, SentNotification};

    fn read(arg: &str, terminal: bool, input: &[u8]) -> Result<String, Error> {
        read_message(arg, terminal, &mut &input[..])
    }

    #[test]
    fn an_argument_is_the_message_as_given() {
        assert_eq!(read("hi\n", true, b"ignored").expect("ok"), "hi\n");
    }

    #[test]
    fn stdin_loses_exactly_one_trailing_newline() {
        let cases: [(&[u8], &str); 6] = [
            (b"hi\n", "hi"),
            (b"hi\r\n", "hi"),
            (b"hi\n\n", "hi\n"),
            (b"two\nlines", "two\nlines"),
            (b"", ""),
            ("é\n".as_bytes(), "é"),
        ];
        for (input, expected) in cases {
            assert_eq!(read("-", false, input).expect("ok"), expected, "{input:?}");
        }
    }

    #[test]
    fn a_terminal_on_stdin_is_refused() {
        assert!(matches!(
            read("-", true, b"hi"),
            Err(Error::StdinIsTerminal)
        ));
    }

    #[test]
    fn stdin_must_be_utf8() {
        assert!(matches!(
            read("-", false, b"\xff\n"),
            Err(Error::StdinNotUtf8)
        ));
    }

    #[test]
    fn named_channels_go_into_the_request_once_each() {
        use crate::cli::{Cli, Command};
        use clap::Parser;
        use notify_shared::api::Channel;
        let cli =
            Cli::try_parse_from(["notify", "send", "--channel", "webhook,email,webhook", "hi"])
                .expect("valid");
        let Command::Send(args) = cli.command else {
            panic!("not a send");
        };
        let request = build_request(args, "hi".into(), Utc::now());
        assert_eq!(request.channels, [Channel::Webhook, Channel::Email]);
        assert!(check_send(&request).is_empty());
    }

    fn response() -> SendResponse {
        SendResponse {
            operation_id: Uuid::nil(),
            status: OperationStatus::Accepted,
            notifications: vec![SentNotification {
                id: Uuid::max(),
                recipient: UserId::parse("alice").expect("valid"),
            }],
        }
    }

    fn rendered(mode: Mode) -> String {
        let mut out = Vec::new();
        render(&response(), mode, &mut out).expect("rendered");
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn output_is_the_id_the_json_or_nothing() {
        assert_eq!(
            rendered(Mode::Human),
            "00000000-0000-0000-0000-000000000000\n"
        );
        assert_eq!(
            rendered(Mode::Json),
            "{\"operation_id\":\"00000000-0000-0000-0000-000000000000\",\"status\":\"accepted\",\
             \"notifications\":[{\"id\":\"ffffffff-ffff-ffff-ffff-ffffffffffff\",\"recipient\":\"alice\"}],\
             \"resolved_at\":null}\n"
        );
        assert_eq!(rendered(Mode::Quiet), "");
    }

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("valid")
            .with_timezone(&Utc)
    }

    #[test]
    fn in_and_at_become_deliver_at_in_utc() {
        use crate::cli::{Cli, Command};
        use clap::Parser;
        let now = at("2026-11-25T12:00:00Z");
        let parse = |args: &[&str]| {
            let cli =
                Cli::try_parse_from(["notify", "send"].iter().chain(args).copied()).expect("valid");
            let Command::Send(args) = cli.command else {
                panic!("not a send");
            };
            build_request(args, "hi".into(), now)
        };
        assert_eq!(
            parse(&["--in", "1h 30m", "hi"]).deliver_at,
            Some(at("2026-11-25T13:30:00Z"))
        );
        // --at is read against the real clock: a day from now, given with an offset.
        let tomorrow = (Utc::now() + chrono::Duration::days(1))
            .with_timezone(&chrono::FixedOffset::east_opt(3_600).expect("valid"))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
        assert_eq!(
            parse(&["--at", &tomorrow, "hi"]).deliver_at,
            Some(at(&tomorrow))
        );
        assert_eq!(parse(&["hi"]).deliver_at, None);
        for bad in [
            &["--at", "2020-01-01T00:00:00Z", "hi"][..],
            &["--in", "400d", "hi"],
            &["--in", "10m", "--at", "9am", "hi"],
            &["--at", "soon", "hi"],
        ] {
            let error = Cli::try_parse_from(["notify", "send"].iter().chain(bad).copied())
                .expect_err("refused");
            assert_eq!(error.exit_code(), 2, "{bad:?}");
        }
    }

    #[test]
    fn a_scheduled_send_says_when_and_how_to_cancel() {
        let tz = chrono::FixedOffset::east_opt(3_600).expect("valid");
        let now = at("2026-11-25T12:00:00Z");
        let deliver = at("2026-11-25T14:05:00Z") - chrono::Duration::milliseconds(40);
        assert_eq!(
            scheduled_lines(&response(), deliver, now, &tz),
            [
                "scheduled for Wed 2026-11-25 15:04 +01:00 (in 2h 5m); cancel with: \
              notify cancel ffffffff-ffff-ffff-ffff-ffffffffffff"
            ]
        );
        let mut two = response();
        two.notifications.push(SentNotification {
            id: Uuid::nil(),
            recipient: UserId::parse("bob").expect("valid"),
        });
        let lines = scheduled_lines(&two, at("2026-11-25T14:05:00Z"), now, &tz);
        assert_eq!(lines.len(), 2);
        assert_eq!(
            lines[1],
            "scheduled for Wed 2026-11-25 15:05 +01:00 (in 2h 5m) to bob; cancel with: \
             notify cancel 00000000-0000-0000-0000-000000000000"
        );
    }
}
