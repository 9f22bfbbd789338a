//! Arguments and help of the inbox subcommands: `list`, `show`, `read`, `unread`, `count`.
//!
//! Declarations only: nothing here reads, loads or sends (see `cli/mod.rs`).

use clap::{ArgGroup, Args};
use uuid::Uuid;

use super::values::{PageArgs, WaitArgs, parse_id, parse_search, parse_tag};

pub(super) const LIST_LONG_ABOUT: &str = "\
List your inbox, newest first.

One line per notification: ● when it is unread, its id, when it arrived, who sent it, and its \
title (or the first line of its message), cut to the terminal's width. At most --limit \
notifications are shown; when there are more, the command for the next page is printed on \
stderr. Filters combine: --unread --tag ci lists the unread notifications tagged ci.";

pub(super) const LIST_AFTER_HELP: &str = "\
Examples:
  notify list
  notify list --unread --tag deploy
  notify list --search \"disk full\" --limit 10
  # The next page, as printed after a full one:
  notify list --before CURSOR
  # Ids of unread notifications, for a script:
  notify list --unread --json | jq -r '.items[].id'";

/// Arguments of `notify list`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
pub struct ListArgs {
    /// Only unread notifications
    #[arg(long)]
    pub unread: bool,
    /// Only notifications with this tag
    #[arg(long, value_name = "TAG", value_parser = parse_tag)]
    pub tag: Option<String>,
    /// Only notifications whose title or message has every word of TEXT, as a word or the start
    /// of one, in any case ("depl" finds "Deploy"); "quoted words" match in that order and
    /// -word excludes
    #[arg(long, value_name = "TEXT", value_parser = parse_search)]
    pub search: Option<String>,
    /// Page size and position.
    #[command(flatten)]
    pub page: PageArgs,
}

pub(super) const SHOW_LONG_ABOUT: &str = "\
Show one notification, and with --events its history.

Prints who sent it to whom, where it stands, when it was requested, dispatched and read, its \
title, how each channel fared (under `channels`: the channel, the address, pending, succeeded \
or failed, the attempts so far, and what happened last), and its message after a blank line. \
With --events, also every event recorded for it, oldest first: when, its sequence number, its \
kind, the part of the service that recorded it, and for deliveries the channel and what \
happened.

Where it stands: requested or scheduled, dispatched while its channels deliver, then delivered \
(every channel succeeded), partially_delivered (some succeeded, the others failed for good), \
failed (none succeeded) or cancelled. `notify status` says the same words of a whole send.";

pub(super) const SHOW_AFTER_HELP: &str = "\
Examples:
  notify show 0190f3a2-7c41-7d3e-9a5b-2f1e4c8d6b10
  notify show 0190f3a2-7c41-7d3e-9a5b-2f1e4c8d6b10 --events
  notify show \"$id\" --json | jq -r .body";

/// Arguments of `notify show`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct ShowArgs {
    /// The notification id (as `notify list` prints it)
    #[arg(value_name = "ID", value_parser = parse_id)]
    pub id: Uuid,
    /// Also show its history
    #[arg(long)]
    pub events: bool,
}

pub(super) const READ_LONG_ABOUT: &str = "\
Mark notifications read, everywhere; prints one operation id per line.

Each id is one operation (--all is one operation for the whole inbox). The server accepts the \
change at once and applies it a moment later; with --wait the command returns only when it is \
applied, so that `notify read ID --wait && notify list` never shows ID unread.";

pub(super) const READ_AFTER_HELP: &str = "\
Examples:
  notify read 0190f3a2-7c41-7d3e-9a5b-2f1e4c8d6b10
  notify read --all --wait
  # Everything tagged ci:
  notify list --unread --tag ci --json | jq -r '.items[].id' | xargs notify read";

/// Arguments of `notify read`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
#[command(group(ArgGroup::new("what").required(true).args(["ids", "all"])))]
pub struct ReadArgs {
    /// Notification ids (as `notify list` prints them)
    #[arg(value_name = "ID", value_parser = parse_id)]
    pub ids: Vec<Uuid>,
    /// Mark everything in the inbox read
    #[arg(long, conflicts_with = "ids")]
    pub all: bool,
    /// Waiting.
    #[command(flatten)]
    pub wait: WaitArgs,
}

pub(super) const UNREAD_LONG_ABOUT: &str = "\
Mark notifications unread again, everywhere; prints one operation id per line.

Each id is one operation. As with `notify read`, --wait returns only when the change is \
applied.";

pub(super) const UNREAD_AFTER_HELP: &str = "\
Examples:
  notify unread 0190f3a2-7c41-7d3e-9a5b-2f1e4c8d6b10
  notify unread --wait 0190f3a2-7c41-7d3e-9a5b-2f1e4c8d6b10 0190f3a2-8e02-7a11-b3c4-5d6e7f809a1b";

/// Arguments of `notify unread`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct UnreadArgs {
    /// Notification ids (as `notify list` prints them)
    #[arg(value_name = "ID", value_parser = parse_id, required = true)]
    pub ids: Vec<Uuid>,
    /// Waiting.
    #[command(flatten)]
    pub wait: WaitArgs,
}

pub(super) const COUNT_LONG_ABOUT: &str = "\
Print the number of unread notifications, and nothing else.

Meant for shell prompts and status bars. It asks notifyd, which keeps the count, so there is \
no network round trip; without a daemon it asks the server. A failure prints nothing on \
stdout and exits non-zero, so a prompt can hide it with 2>/dev/null.";

pub(super) const COUNT_AFTER_HELP: &str = "\
Examples:
  notify count
  notify count --json
  PS1='[$(notify count 2>/dev/null)] \\$ '";
