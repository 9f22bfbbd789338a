//! Arguments and help of the sender's subcommands: `status`, `sent` and `cancel`.
//!
//! Declarations only: nothing here reads, loads or sends (see `cli/mod.rs`).

use clap::Args;
use notify_shared::UserId;
use uuid::Uuid;

use super::parse_user;
use super::values::{ChannelArg, PageArgs, StatusArg, WaitArgs, parse_address, parse_id};

pub(super) const STATUS_LONG_ABOUT: &str = "\
Show what became of an operation: a send, a read, an unread or a read-all.

Prints its state (accepted, scheduled, dispatched, then one of delivered, \
partially_delivered, failed, cancelled or applied), what kind of command it was, and the \
notifications it concerns. A send is delivered when every channel of every recipient \
succeeded, partially_delivered when some succeeded and the others failed for good, failed \
when none succeeded; `notify show` says the same words of each recipient's notification. Exits 1 when it failed, was cancelled or was only partially \
delivered, so scripts can test it.

With --wait, waits until it reaches a final state. A scheduled send returns at once with the \
time it goes out; waiting for that could take days.";

pub(super) const STATUS_AFTER_HELP: &str = "\
Examples:
  notify status 0190f3a2-7c41-7d3e-9a5b-2f1e4c8d6b10
  op=$(notify send \"backup done\") && notify status \"$op\" --wait --timeout 1m
  notify status \"$op\" --json | jq -r .status";

/// Arguments of `notify status`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct StatusArgs {
    /// The operation id (as `notify send` or `notify read` printed it)
    #[arg(value_name = "OPERATION_ID", value_parser = parse_id)]
    pub operation: Uuid,
    /// Waiting.
    #[command(flatten)]
    pub wait: WaitArgs,
}

pub(super) const SENT_LONG_ABOUT: &str = "\
List what you sent and what became of it, newest first.

One line per notification (a send to three people is three lines): its id, when it went out, \
the recipient, where it stands (scheduled, dispatched, delivered, partially_delivered, failed, \
cancelled; see `notify show --help`), how each \
channel fared, and its title. In the channels column, ✓ marks a channel that succeeded, ✗ one \
that failed for good, and … one still trying; `notify show ID` has the details. Filters \
combine; paging works as in `notify list`. Where a recipient receives is theirs: the address \
of someone else's channel is not shown, and --address matches only your own addresses.

With an admin token this is the audit across users: every user's sends (or one user's, with \
--from), addresses included.

With --scheduled, only sends still waiting for their time are listed, and the time column \
says when each goes out (local time, and how far off: 2026-12-01 09:00 (in 2d)); \
`notify cancel ID` stops one.";

pub(super) const SENT_AFTER_HELP: &str = "\
Examples:
  notify sent
  notify sent --status failed
  notify sent --to alice --limit 5
  # Every e-mail sent to one address:
  notify sent --channel email --address alice@example.com
  notify sent --channel webhook --status failed
  # What is still waiting to go out, and when:
  notify sent --scheduled
  # The audit, with an admin token: every e-mail anyone sent to one address:
  notify sent --channel email --address test@example.com --json";

/// Arguments of `notify sent`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
pub struct SentArgs {
    /// With an admin token: only the sends of this user (without it, every user's)
    #[arg(long = "from", value_name = "USER", value_parser = parse_user)]
    pub from: Option<UserId>,
    /// Only notifications to this user
    #[arg(long = "to", value_name = "USER", value_parser = parse_user)]
    pub to: Option<UserId>,
    /// Only notifications in this state
    #[arg(long, value_enum, value_name = "STATUS")]
    pub status: Option<StatusArg>,
    /// Only notifications that went out on this channel
    #[arg(long, value_enum, value_name = "CHANNEL")]
    pub channel: Option<ChannelArg>,
    /// Only notifications delivered to this e-mail address or webhook URL (in any case)
    #[arg(long, value_name = "ADDRESS", value_parser = parse_address)]
    pub address: Option<String>,
    /// Only scheduled sends still waiting for their time
    #[arg(long)]
    pub scheduled: bool,
    /// Page size and position.
    #[command(flatten)]
    pub page: PageArgs,
}

pub(super) const CANCEL_LONG_ABOUT: &str = "\
Cancel scheduled sends before they go out; prints one operation id per line.

Give the operation id that `notify send --at/--in` printed (what of that send is still \
scheduled is cancelled, to every recipient), or notification ids: those it printed on stderr, \
or that `notify sent --scheduled` lists (one per recipient). Each notification is its own \
operation, retried safely after a network error. An id that already went out, or that is not \
a scheduled send of yours, is reported and the command exits 1; the other ids are still \
cancelled.

With --wait, waits until each cancellation has taken effect.";

pub(super) const CANCEL_AFTER_HELP: &str = "\
Examples:
  notify cancel 0190f3a2-7c41-7d3e-9a5b-2f1e4c8d6b10
  # What `notify send --in 1h ...` printed (its operation id):
  notify cancel \"$(notify send --in 1h --to alice 'Standup')\"
  # Everything still scheduled to alice:
  notify sent --scheduled --to alice --json | jq -r '.items[].id' | xargs -r notify cancel
  notify cancel 0190f3a2-7c41-7d3e-9a5b-2f1e4c8d6b10 --wait";

/// Arguments of `notify cancel`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct CancelArgs {
    /// Operation ids of scheduled sends, or their notification ids (one per recipient)
    #[arg(value_name = "ID", required = true, value_parser = parse_id)]
    pub ids: Vec<Uuid>,
    /// Waiting.
    #[command(flatten)]
    pub wait: WaitArgs,
}
