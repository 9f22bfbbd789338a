//! `notify send`: read the message, check it against the shared limits, and submit it once
//! (retries reuse the operation id as idempotency key).
//!
//! Stdout gets the operation id, the whole answer with `--json`, or nothing with `-q`; nothing
//! is sent when the input breaks a limit. With `--wait`, the wait is registered with notifyd
//! (when it runs) before the send, [`crate::follow`] reports each channel's outcome on
//! stderr, `--json` prints the final operation instead of the answer, and the exit code says
//! whether everything was delivered.

use std::io::{self, IsTerminal, Read, Write};

use chrono::Utc;
use notify_shared::api::{OperationStatus, SendRequest, SendResponse};
use notify_shared::limits::check_send;
use uuid::Uuid;

use crate::cli::{Globals, SendArgs, WaitArgs, channels};
use crate::client::Client;
use crate::commands::status::{deliver_at, scheduled_note};
use crate::daemon::{Daemon, Waiter, or_fallback};
use crate::error::Error;
use crate::follow::follow;
use crate::output::{Mode, note, tell, write_json, write_line};
use crate::wait::outcome_at;

/// The message argument that means "read stdin".
pub const FROM_STDIN: &str = "-";

/// Runs `notify send`.
pub async fn run(args: SendArgs, globals: &Globals, out: &mut dyn Write) -> Result<(), Error> {
    let stdin = io::stdin();
    let body = read_message(&args.message, stdin.is_terminal(), &mut stdin.lock())?;
    let wait = args.wait;
    let request = build_request(args, body);
    let violations = check_send(&request);
    if !violations.is_empty() {
        return Err(Error::Invalid(violations));
    }

    let client = super::connect(globals)?;
    let operation = Uuid::now_v7();
    note(globals.verbose, format_args!("operation {operation}"));
    // The wait goes to notifyd before the send, so that no resolution can slip past it.
    let waiter = if wait.wait {
        let daemon = Daemon::local(globals.verbose);
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
/// scheduled one goes out, prints the final operation with `--json`, and fails unless
/// everything was delivered.
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
        write_json(out, view)?;
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

/// The request body for `args` and the message read.
pub fn build_request(args: SendArgs, body: String) -> SendRequest {
    SendRequest {
        to: args.to,
        title: args.title,
        body,
        priority: args.priority.into(),
        tags: args.tags,
        channels: channels(&args.channels),
        thread: None,
        deliver_at: None,
    }
}

/// Prints the answer: the operation id, the whole answer as JSON, or nothing.
pub fn render(response: &SendResponse, mode: Mode, out: &mut dyn Write) -> Result<(), Error> {
    match mode {
        Mode::Human => write_line(out, response.operation_id),
        Mode::Json => write_json(out, response),
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
        let request = build_request(args, "hi".into());
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
             \"notifications\":[{\"id\":\"ffffffff-ffff-ffff-ffff-ffffffffffff\",\"recipient\":\"alice\"}]}\n"
        );
        assert_eq!(rendered(Mode::Quiet), "");
    }
}
