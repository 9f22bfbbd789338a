//! Arguments and help of `notify prefs` (`show`, the default, and `set`).
//!
//! There is no flag that takes the webhook secret itself: a value on the command line shows in
//! `ps` and in the shell history, so the secret is read from a file or stdin instead.

use std::path::PathBuf;

use clap::{ArgGroup, Args, Subcommand};

use super::values::{ChannelArg, WaitArgs};

pub(super) const PREFS_LONG_ABOUT: &str = "\
Show or change how notifications reach you: the channels, your e-mail address and webhook.

Without a subcommand, shows them (`notify prefs show`). The channels are the ones used when a \
sender does not name any with `notify send --channel`.";

pub(super) const PREFS_AFTER_HELP: &str = "\
Examples:
  notify prefs
  notify prefs set --channels desktop,email --email me@example.com --wait
  notify prefs set --webhook-url https://hooks.example.com/notify";

const SHOW_LONG_ABOUT: &str = "\
Show your delivery preferences.

One line each: the channels used when a sender names none, your e-mail address, your webhook \
URL, and whether a webhook signing secret is stored (the secret itself is never shown again). \
With --json, prints them as the server sends them.";

const SHOW_AFTER_HELP: &str = "\
Examples:
  notify prefs show
  notify prefs show --json | jq -r '.channels[]'";

const SET_LONG_ABOUT: &str = "\
Change your delivery preferences; prints the operation id.

Only what you name changes: the command reads your preferences, applies the flags and stores \
the result, so `notify prefs set --email me@example.com` keeps your channels. --channels \
replaces the whole list. --no-email and --no-webhook forget the address (and the webhook's \
secret) and take the channel out of the list.

Webhook calls are signed (Standard Webhooks). Give your own secret with \
--webhook-secret-file (a file holding whsec_..., or - for stdin); when a webhook URL has no \
secret yet and you give none, the server makes one and this command prints it once on stdout: \
store it where your webhook receiver can read it, it is never shown again.

The change is applied a moment after it is accepted; with --wait the command returns only \
when it is.";

const SET_USAGE: &str = "\
notify prefs set [--channels CHANNEL,...] [--email ADDRESS | --no-email]
       [--webhook-url URL] [--webhook-secret-file PATH | --no-webhook] [--wait [--timeout D]]";

const SET_AFTER_HELP: &str = "\
Examples:
  notify prefs set --channels desktop,email --email me@example.com
  notify prefs set --email new@example.com --wait
  notify prefs set --channels desktop,webhook --webhook-url https://hooks.example.com/notify
  # Your own signing secret, never on the command line:
  notify prefs set --webhook-secret-file ~/.config/notify/webhook-secret
  pass show notify/webhook | notify prefs set --webhook-secret-file -
  notify prefs set --no-webhook";

/// Arguments of `notify prefs`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct PrefsArgs {
    /// What to do; `show` when absent.
    #[command(subcommand)]
    pub command: Option<PrefsCommand>,
}

/// The `prefs` subcommands.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum PrefsCommand {
    /// Show your delivery preferences (the default)
    #[command(long_about = SHOW_LONG_ABOUT, after_help = SHOW_AFTER_HELP)]
    Show,
    /// Change your delivery preferences; prints the operation id
    #[command(long_about = SET_LONG_ABOUT, after_help = SET_AFTER_HELP, override_usage = SET_USAGE)]
    Set(PrefsSetArgs),
}

/// Arguments of `notify prefs set`: at least one change.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
#[command(group(
    ArgGroup::new("change")
        .required(true)
        .multiple(true)
        .args(["channels", "email", "no_email", "webhook_url", "webhook_secret_file", "no_webhook"])
))]
pub struct PrefsSetArgs {
    /// The channels used when a sender names none; replaces the list
    #[arg(long, value_enum, value_name = "CHANNEL", value_delimiter = ',')]
    pub channels: Option<Vec<ChannelArg>>,
    /// Your e-mail address, for the email channel
    #[arg(long, value_name = "ADDRESS", value_parser = parse_email)]
    pub email: Option<String>,
    /// Forget the e-mail address and take email out of the channels
    #[arg(long, conflicts_with = "email")]
    pub no_email: bool,
    /// The http or https URL your webhook receives notifications at
    #[arg(long, value_name = "URL", value_parser = parse_webhook_url)]
    pub webhook_url: Option<String>,
    /// Read the webhook signing secret (whsec_...) from this file, or - for stdin
    #[arg(long, value_name = "PATH")]
    pub webhook_secret_file: Option<PathBuf>,
    /// Forget the webhook URL and its secret, and take webhook out of the channels
    #[arg(long, conflicts_with_all = ["webhook_url", "webhook_secret_file"])]
    pub no_webhook: bool,
    /// Waiting.
    #[command(flatten)]
    pub wait: WaitArgs,
}

/// An `--email` value: not blank; whether it is an address is for the server to say.
fn parse_email(s: &str) -> Result<String, String> {
    let email = s.trim();
    if email.is_empty() {
        return Err("the address is empty (--no-email forgets it)".into());
    }
    Ok(email.to_owned())
}

/// A `--webhook-url` value: an absolute http or https URL.
fn parse_webhook_url(s: &str) -> Result<String, String> {
    let text = s.trim();
    match reqwest::Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => {
            Ok(text.to_owned())
        }
        Ok(_) => Err("the webhook URL must start with http:// or https://".into()),
        Err(e) => Err(format!(
            "not a URL ({e}): for example https://hooks.example.com/notify"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_urls_are_http_or_https() {
        assert_eq!(
            parse_webhook_url(" https://h.example/x?y=1 ").as_deref(),
            Ok("https://h.example/x?y=1")
        );
        assert!(parse_webhook_url("http://127.0.0.1:9000/hook").is_ok());
        for bad in ["ftp://h/x", "hooks.example.com", "", "mailto:a@b.c"] {
            assert!(parse_webhook_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_email_is_not_blank() {
        assert_eq!(parse_email(" a@b.c ").as_deref(), Ok("a@b.c"));
        assert!(parse_email("  ").is_err());
    }
}
