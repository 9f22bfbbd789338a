//! Arguments and help of the subcommands that need or manage notifyd: `watch` and `daemon`.
//!
//! Declarations only: nothing here reads, loads or sends (see `cli/mod.rs`).

use std::ffi::OsString;

use clap::builder::PossibleValuesParser;
use clap::{Args, Subcommand};
use notify_shared::event::KINDS;

pub(super) const WATCH_LONG_ABOUT: &str = "\
Print your events as they happen, through notifyd.

One line per event: the local time, the kind of event, and what it is about: who sent a new \
notification and its title, how a channel fared, how an operation ended, or else the id of \
the notification concerned. With --json, each event is printed as the CloudEvents document \
notifyd received, one per line (NDJSON). --kind keeps only the kinds named.

The events come from notifyd, so it must be running (exit 3 otherwise). The stream runs until \
Ctrl-C (exit 0) or until notifyd stops (exit 3).";

pub(super) const WATCH_AFTER_HELP: &str = "\
Examples:
  notify watch
  notify watch --kind notification.requested
  notify watch --kind delivery.failed,notification.failed
  notify watch --json | jq -r 'select(.type == \"notify.notification.requested.v1\") | .data.body'";

/// Arguments of `notify watch`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
pub struct WatchArgs {
    /// Only events of this kind; repeat or separate with commas. Default: every kind
    #[arg(
        long = "kind",
        value_name = "KIND",
        value_delimiter = ',',
        value_parser = PossibleValuesParser::new(KINDS)
    )]
    pub kinds: Vec<String>,
}

pub(super) const DAEMON_LONG_ABOUT: &str = "\
Run, inspect or install notifyd, the per-user daemon.

notifyd keeps your subscription to the service: it shows desktop popups as notifications \
arrive, keeps the unread count that `notify count` prints, streams `notify watch`, and tells \
`--wait` the moment an operation resolves. Everything but `watch` works without it, only \
slower. Run it in the foreground with `notify daemon run`, or install it as a systemd user \
service with `notify daemon install`.";

pub(super) const DAEMON_AFTER_HELP: &str = "\
Examples:
  notify daemon install && systemctl --user daemon-reload && systemctl --user enable --now notifyd
  notify daemon status
  notify daemon run";

/// The `daemon` subcommands.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum DaemonCommand {
    /// Run notifyd in the foreground (Ctrl-C stops it)
    #[command(long_about = RUN_LONG_ABOUT, after_help = RUN_AFTER_HELP)]
    Run(DaemonRunArgs),
    /// Show how notifyd is doing; exits 3 if it is not running
    #[command(long_about = STATUS_LONG_ABOUT, after_help = STATUS_AFTER_HELP)]
    Status,
    /// Install notifyd as a systemd user service
    #[command(long_about = INSTALL_LONG_ABOUT, after_help = INSTALL_AFTER_HELP)]
    Install(DaemonInstallArgs),
}

const RUN_LONG_ABOUT: &str = "\
Run notifyd in the foreground (Ctrl-C stops it).

notifyd replaces this command: its log goes to stderr, and the exit code is its own. It is \
looked for next to notify first, then in PATH. Arguments after -- go to notifyd unchanged. \
To have it run in the background at every login, use `notify daemon install` instead.";

const RUN_AFTER_HELP: &str = "\
Examples:
  notify daemon run
  # notifyd's own options:
  notify daemon run -- --help";

/// Arguments of `notify daemon run`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
pub struct DaemonRunArgs {
    /// Arguments for notifyd, after --
    #[arg(last = true, value_name = "ARGS")]
    pub args: Vec<OsString>,
}

const STATUS_LONG_ABOUT: &str = "\
Show how notifyd is doing; exits 3 if it is not running.

Prints its version, the user and the device it runs for, the server it talks to, whether it \
is connected to the broker now, the unread count, the popups it has shown and the receipts \
the server has not yet accepted since it started, how long it has run, and its socket. With \
--json, the daemon's status document.";

const STATUS_AFTER_HELP: &str = "\
Examples:
  notify daemon status
  notify daemon status --json | jq .connected
  # Only the exit code:
  notify daemon status -q && echo running";

const INSTALL_LONG_ABOUT: &str = "\
Install notifyd as a systemd user service.

Writes the unit to $XDG_CONFIG_HOME/systemd/user/notifyd.service (~/.config/systemd/user by \
default), running the notifyd found next to notify or in PATH, and prints what to run next to \
start it now and at every login. A different unit already there is kept unless --force; the \
same one is left as it is.";

const INSTALL_AFTER_HELP: &str = "\
Examples:
  notify daemon install
  systemctl --user daemon-reload && systemctl --user enable --now notifyd
  # After moving notifyd, point the unit at its new place:
  notify daemon install --force && systemctl --user daemon-reload && systemctl --user restart notifyd";

/// Arguments of `notify daemon install`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Args)]
pub struct DaemonInstallArgs {
    /// Replace a unit file that differs from the one notify would write
    #[arg(long)]
    pub force: bool,
}
