//! `notify prefs [show]` and `notify prefs set`: the caller's channels, e-mail address and
//! webhook.
//!
//! `set` reads the preferences, applies the flags and stores the whole result (the api takes
//! nothing less), with a fresh UUIDv7 as idempotency key. The webhook secret is read from a
//! file or stdin, never from a flag's value. A secret the server makes is printed once on
//! stdout: it cannot be asked for again.

use std::fs::File;
use std::io::{self, IsTerminal, Read, Write};
use std::path::Path;

use notify_shared::api::Channel;
use notify_shared::commands::{PreferencesAccepted, PreferencesUpdate};
use notify_shared::views::Preferences;
use notify_shared::wire_name::WireName;
use uuid::Uuid;

use crate::cli::{Globals, PrefsArgs, PrefsCommand, PrefsSetArgs, channels};
use crate::client::phrase;
use crate::error::Error;
use crate::output::{Mode, note, tell, write_json, write_line};
use crate::render::clean_line;
use crate::wait::poll::{Until, outcome, wait};

/// The `--webhook-secret-file` that means stdin.
pub const FROM_STDIN: &str = "-";
/// More than this in a secret file is not a secret but the wrong file.
const MAX_SECRET_BYTES: u64 = 4096;

/// Runs `notify prefs`.
pub async fn run(args: PrefsArgs, globals: &Globals, out: &mut dyn Write) -> Result<(), Error> {
    match args.command.unwrap_or(PrefsCommand::Show) {
        PrefsCommand::Show => show(globals, out).await,
        PrefsCommand::Set(args) => set(args, globals, out).await,
    }
}

async fn show(globals: &Globals, out: &mut dyn Write) -> Result<(), Error> {
    let preferences = super::connect(globals)?.preferences().await?;
    match Mode::of(globals) {
        Mode::Human => out
            .write_all(text(&preferences).as_bytes())
            .map_err(Error::Output),
        Mode::Json => write_json(out, &preferences),
        Mode::Quiet => Ok(()),
    }
}

async fn set(args: PrefsSetArgs, globals: &Globals, out: &mut dyn Write) -> Result<(), Error> {
    // Before the network: these are usage errors, and nothing should be half done.
    check(&args)?;
    let secret = match &args.webhook_secret_file {
        Some(path) => {
            let stdin = io::stdin();
            Some(read_secret(path, stdin.is_terminal(), &mut stdin.lock())?)
        }
        None => None,
    };
    let client = super::connect(globals)?;
    let current = client.preferences().await?;
    let update = merge(&current, &args, secret)?;
    let operation = Uuid::now_v7();
    note(globals.verbose, format_args!("operation {operation}"));
    let accepted = client.set_preferences(operation, &update).await?;
    let mode = Mode::of(globals);
    render(&accepted, mode, out)?;
    if accepted.webhook_secret.is_some() {
        tell(secret_note(mode));
    }
    for warning in &accepted.warnings {
        tell(format_args!("notify: warning: {warning}"));
    }
    if mode == Mode::Human {
        for line in channel_notes(&args, &update) {
            tell(line);
        }
    }
    if args.wait.wait {
        out.flush().map_err(Error::Output)?;
        let ids = [accepted.operation_id];
        let views = wait(
            &client,
            &ids,
            Until::Final,
            args.wait.timeout,
            globals.quiet,
        )
        .await?;
        views.iter().try_for_each(outcome)?;
    }
    Ok(())
}

/// The human form of the preferences: one `label  value` line each.
pub fn text(preferences: &Preferences) -> String {
    let channels = if preferences.channels.is_empty() {
        "none".to_owned()
    } else {
        preferences
            .channels
            .iter()
            .map(|c| c.as_str().to_owned())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let or_dash = |value: &Option<String>| value.as_deref().map_or("-".into(), clean_line);
    let secret = if preferences.webhook_secret_set {
        "set"
    } else {
        "not set"
    };
    [
        ("channels", channels),
        ("email", or_dash(&preferences.email)),
        ("webhook", or_dash(&preferences.webhook_url)),
        ("secret", secret.to_owned()),
    ]
    .iter()
    .map(|(label, value)| format!("{label:<10}{value}\n"))
    .collect()
}

/// The flags that forget an address, with the channel each takes out of the list.
fn forgotten(args: &PrefsSetArgs) -> impl Iterator<Item = (Channel, &'static str)> {
    [
        (args.no_email, Channel::Email, "--no-email"),
        (args.no_webhook, Channel::Webhook, "--no-webhook"),
    ]
    .into_iter()
    .filter(|(forget, ..)| *forget)
    .map(|(_, channel, flag)| (channel, flag))
}

/// Refuses flags that contradict each other in a way clap cannot see: `--no-email` with
/// `email` in `--channels`, and the same for the webhook.
pub fn check(args: &PrefsSetArgs) -> Result<(), Error> {
    let named = args.channels.as_deref().map(channels).unwrap_or_default();
    match forgotten(args).find(|(channel, _)| named.contains(channel)) {
        Some((channel, flag)) => Err(Error::Conflict(format!(
            "--channels names {}, but {flag} forgets the address it needs",
            channel.as_str()
        ))),
        None => Ok(()),
    }
}

/// The whole new preferences: `current` with the flags applied. `--no-email` and
/// `--no-webhook` take their channel out of the list too (see [`check`] for naming it as well).
pub fn merge(
    current: &Preferences,
    args: &PrefsSetArgs,
    webhook_secret: Option<String>,
) -> Result<PreferencesUpdate, Error> {
    check(args)?;
    let mut list = match &args.channels {
        Some(named) => channels(named),
        None => current.channels.clone(),
    };
    for (channel, _) in forgotten(args) {
        list.retain(|c| *c != channel);
    }
    let keep = |forget: bool, given: &Option<String>, stored: &Option<String>| {
        if forget {
            None
        } else {
            given.clone().or_else(|| stored.clone())
        }
    };
    Ok(PreferencesUpdate {
        channels: list,
        email: keep(args.no_email, &args.email, &current.email),
        webhook_url: keep(args.no_webhook, &args.webhook_url, &current.webhook_url),
        webhook_secret,
    })
}

/// Reads the webhook secret from `path` (stdin when it is `-`): one line, surrounding blanks
/// dropped. A terminal on stdin is refused rather than waited on.
pub fn read_secret(
    path: &Path,
    stdin_is_terminal: bool,
    stdin: &mut dyn Read,
) -> Result<String, Error> {
    let from_stdin = path.as_os_str() == FROM_STDIN;
    let from = if from_stdin {
        "stdin".to_owned()
    } else {
        path.display().to_string()
    };
    let fail = |reason: String| Error::Secret {
        from: from.clone(),
        reason,
    };
    if from_stdin && stdin_is_terminal {
        return Err(fail("stdin is a terminal".into()));
    }
    let mut bytes = Vec::new();
    let read = if from_stdin {
        stdin.take(MAX_SECRET_BYTES + 1).read_to_end(&mut bytes)
    } else {
        File::open(path).and_then(|f| f.take(MAX_SECRET_BYTES + 1).read_to_end(&mut bytes))
    };
    read.map_err(|e| fail(phrase(&e.to_string())))?;
    if bytes.len() as u64 > MAX_SECRET_BYTES {
        return Err(fail(format!(
            "it holds more than {MAX_SECRET_BYTES} bytes; a secret is one short line"
        )));
    }
    let text = String::from_utf8(bytes).map_err(|_| fail("it is not UTF-8 text".into()))?;
    let secret = text.trim();
    if secret.is_empty() {
        return Err(fail("it is empty".into()));
    }
    if secret.chars().any(char::is_whitespace) {
        return Err(fail(
            "a secret is one word, without blanks or line breaks".into(),
        ));
    }
    Ok(secret.to_owned())
}

/// Prints the answer: the operation id and, when the server made one, the webhook secret (the
/// whole answer as JSON; nothing with `-q`).
pub fn render(
    accepted: &PreferencesAccepted,
    mode: Mode,
    out: &mut dyn Write,
) -> Result<(), Error> {
    match mode {
        Mode::Human => {
            write_line(out, accepted.operation_id)?;
            match &accepted.webhook_secret {
                Some(secret) => write_line(out, format_args!("webhook secret  {secret}")),
                None => Ok(()),
            }
        }
        Mode::Json => write_json(out, accepted),
        Mode::Quiet => Ok(()),
    }
}

/// What stderr says when the server made a webhook secret.
pub fn secret_note(mode: Mode) -> &'static str {
    match mode {
        Mode::Quiet => {
            "notify: the server made a webhook signing secret, not shown because of --quiet; \
             to use a secret you know, run notify prefs set --webhook-secret-file FILE"
        }
        Mode::Human | Mode::Json => {
            "notify: the webhook signing secret is shown only this once; store it where your \
             webhook receiver can read it"
        }
    }
}

/// Notes for an address set for a channel that is not in the list: it is used only when a
/// sender asks for that channel.
pub fn channel_notes(args: &PrefsSetArgs, update: &PreferencesUpdate) -> Vec<String> {
    let mut notes = Vec::new();
    for (given, channel) in [
        (args.email.is_some(), Channel::Email),
        (args.webhook_url.is_some(), Channel::Webhook),
    ] {
        if !given || update.channels.contains(&channel) {
            continue;
        }
        let with: Vec<String> = update
            .channels
            .iter()
            .chain([&channel])
            .map(|c| c.as_str().to_owned())
            .collect();
        notes.push(format!(
            "notify: {0} is not among your channels, so it is used only when a sender asks for \
             it; to use it always: notify prefs set --channels {1}",
            channel.as_str(),
            with.join(",")
        ));
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    fn set_args(flags: &[&str]) -> PrefsSetArgs {
        let cli =
            Cli::try_parse_from(["notify", "prefs", "set"].iter().chain(flags)).expect("valid");
        match cli.command {
            Command::Prefs(PrefsArgs {
                command: Some(PrefsCommand::Set(args)),
            }) => args,
            other => panic!("not a prefs set: {other:?}"),
        }
    }

    fn current() -> Preferences {
        Preferences {
            channels: vec![Channel::Desktop, Channel::Webhook],
            email: None,
            webhook_url: Some("https://hooks.example.com/n".into()),
            webhook_secret_set: true,
        }
    }

    #[test]
    fn the_human_form_has_one_line_each() {
        assert_eq!(
            text(&current()),
            "\
channels  desktop, webhook
email     -
webhook   https://hooks.example.com/n
secret    set
"
        );
        let none = Preferences {
            channels: vec![],
            email: Some("a@b.c".into()),
            webhook_url: None,
            webhook_secret_set: false,
        };
        assert_eq!(
            text(&none),
            "channels  none\nemail     a@b.c\nwebhook   -\nsecret    not set\n"
        );
    }

    #[test]
    fn only_what_is_named_changes() {
        let update = merge(&current(), &set_args(&["--email", "a@b.c"]), None).expect("valid");
        assert_eq!(
            update,
            PreferencesUpdate {
                channels: vec![Channel::Desktop, Channel::Webhook],
                email: Some("a@b.c".into()),
                webhook_url: Some("https://hooks.example.com/n".into()),
                webhook_secret: None,
            }
        );
        let args = set_args(&["--channels", "email,desktop,email"]);
        let update = merge(&current(), &args, Some("whsec_x".into())).expect("valid");
        assert_eq!(update.channels, [Channel::Email, Channel::Desktop]);
        assert_eq!(update.webhook_secret.as_deref(), Some("whsec_x"));
    }

    #[test]
    fn forgetting_an_address_drops_its_channel() {
        let update = merge(&current(), &set_args(&["--no-webhook"]), None).expect("valid");
        assert_eq!(update.channels, [Channel::Desktop]);
        assert_eq!(update.webhook_url, None);
        let args = set_args(&["--channels", "desktop,webhook", "--no-webhook"]);
        let error = merge(&current(), &args, None).expect_err("contradiction");
        assert_eq!(
            error.to_string(),
            "--channels names webhook, but --no-webhook forgets the address it needs"
        );
        assert_eq!(error.exit_code(), crate::Exit::Usage);
    }

    #[test]
    fn set_needs_a_change_and_no_contradictions() {
        let parse = |flags: &[&str]| {
            Cli::try_parse_from(["notify", "prefs", "set"].iter().chain(flags)).map(|_| ())
        };
        assert!(parse(&[]).is_err());
        assert!(parse(&["--wait"]).is_err());
        assert!(parse(&["--email", "a@b.c", "--no-email"]).is_err());
        assert!(parse(&["--webhook-secret-file", "f", "--no-webhook"]).is_err());
        assert!(parse(&["--channels", "sms"]).is_err());
        assert!(
            parse(&["--webhook-secret", "whsec_x"]).is_err(),
            "no value flag"
        );
        assert!(parse(&["--no-email", "--wait", "--timeout", "5s"]).is_ok());
        let cli = Cli::try_parse_from(["notify", "prefs"]).expect("valid");
        assert!(matches!(
            cli.command,
            Command::Prefs(PrefsArgs { command: None })
        ));
    }

    fn secret(path: &str, terminal: bool, input: &[u8]) -> Result<String, Error> {
        read_secret(Path::new(path), terminal, &mut &input[..])
    }

    #[test]
    fn a_secret_is_one_trimmed_word_from_a_file_or_stdin() {
        assert_eq!(secret("-", false, b"whsec_abc\n").expect("ok"), "whsec_abc");
        let refused = |input: &[u8], terminal: bool| {
            secret("-", terminal, input)
                .expect_err("refused")
                .to_string()
        };
        assert!(refused(b"x", true).ends_with("stdin: stdin is a terminal"));
        assert!(refused(b" \n", false).ends_with("it is empty"));
        assert!(refused(b"a b\n", false).contains("one word"));
        assert!(refused(b"\xff", false).contains("UTF-8"));
        assert!(refused(&[b'a'; 5000], false).contains("more than 4096 bytes"));
        let missing = secret("/nonexistent/secret", false, b"").expect_err("missing");
        assert_eq!(
            missing.to_string(),
            "cannot read the webhook secret from /nonexistent/secret: no such file or directory"
        );
    }

    #[test]
    fn a_made_secret_is_printed_once_on_stdout() {
        let accepted = PreferencesAccepted {
            operation_id: Uuid::nil(),
            status: notify_shared::api::OperationStatus::Accepted,
            webhook_secret: Some("whsec_made".into()),
            warnings: Vec::new(),
        };
        let rendered = |mode| {
            let mut out = Vec::new();
            render(&accepted, mode, &mut out).expect("rendered");
            String::from_utf8(out).expect("utf-8")
        };
        assert_eq!(
            rendered(Mode::Human),
            "00000000-0000-0000-0000-000000000000\nwebhook secret  whsec_made\n"
        );
        assert!(rendered(Mode::Json).contains("\"webhook_secret\":\"whsec_made\""));
        assert_eq!(rendered(Mode::Quiet), "");
        assert!(secret_note(Mode::Quiet).contains("not shown"));
    }

    #[test]
    fn an_address_outside_the_channels_gets_a_note() {
        let args = set_args(&["--email", "a@b.c"]);
        let update = merge(&current(), &args, None).expect("valid");
        assert_eq!(
            channel_notes(&args, &update),
            [
                "notify: email is not among your channels, so it is used only when a sender asks \
              for it; to use it always: notify prefs set --channels desktop,webhook,email"
            ]
        );
        let args = set_args(&["--email", "a@b.c", "--channels", "email"]);
        let update = merge(&current(), &args, None).expect("valid");
        assert!(channel_notes(&args, &update).is_empty());
    }
}
