//! Arguments and help of `notify run`.
//!
//! Declarations only: nothing here reads, loads or sends (see `cli/mod.rs`).

use std::time::Duration;

use clap::Args;
use notify_shared::UserId;

use super::{PriorityArg, parse_user};
use crate::duration::parse_duration;

pub(super) const RUN_LONG_ABOUT: &str = "\
Run a command, then send a notification when it ends, with its exit status and duration.

The command runs as if started directly: it reads the terminal or stdin, and its output goes \
where notify's would; notify prints nothing on stdout. Ctrl-C goes to the command, and notify \
still reports how it ended. When it ends, notify sends (to yourself unless --to names someone) \
a notification titled `✔ COMMAND` or `✘ COMMAND (exit N)`, tagged `run`, whose message gives \
the command, its exit status, how long it took and the directory it ran in. A failed command \
is sent with priority high unless --priority says otherwise. With --longer-than, runs shorter \
than that are not reported.

notify run exits with the command's exit code (128+N when a signal N killed it), so it can \
stand in for the command in scripts. A failure to notify is reported on stderr and does not \
change the exit code. A command that cannot be started is an error (exit 127 when it is not \
found, 126 when it cannot be executed) and nothing is sent: there was nothing to wait for.";

pub(super) const RUN_AFTER_HELP: &str = "\
Examples:
  notify run -- make -j8
  notify run --to alice --title \"nightly backup\" -- ./backup.sh --full
  # Only tell me about builds that took more than a minute:
  notify run --longer-than 1m -- cargo build --release
  # A shell pipeline runs through a shell:
  notify run -- sh -c 'pg_dump db | gzip > db.sql.gz'";

/// Arguments of `notify run`.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Recipient; repeat or separate with commas. Default: yourself
    #[arg(long = "to", value_name = "USER", value_delimiter = ',', value_parser = parse_user)]
    pub to: Vec<UserId>,
    /// Title of the notification [default: ✔ COMMAND, or ✘ COMMAND (exit N)]
    #[arg(long, value_name = "TITLE")]
    pub title: Option<String>,
    /// Priority of the notification [default: normal, or high when the command failed]
    #[arg(long, value_enum)]
    pub priority: Option<PriorityArg>,
    /// Only notify when the command ran at least this long: 30s, 5m, 1h
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub longer_than: Option<Duration>,
    /// The command and its arguments, after --
    #[arg(value_name = "COMMAND", last = true, required = true)]
    pub command: Vec<String>,
}
