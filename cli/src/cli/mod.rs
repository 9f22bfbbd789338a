//! The command line, as clap derive definitions: flags, subcommands, help text.
//!
//! Parsing only: values are checked here (user ids, priorities, ids, page sizes, durations)
//! but nothing is read, loaded or sent. There is deliberately no `--token` flag: a token on the
//! command line shows in `ps`. The inbox and sender subcommands keep their arguments and help
//! in `inbox` and `outbox`; flags several share are in `values`.

mod daemon;
mod inbox;
mod outbox;
mod prefs;
mod run;
mod setup;
mod values;

use std::time::Duration;

use chrono::{DateTime, Local, Utc};
use clap::{Args, Parser, Subcommand, ValueEnum};
use notify_shared::UserId;
use notify_shared::api::Priority;
use notify_shared::user_id::InvalidUserId;

pub use daemon::{DaemonCommand, DaemonInstallArgs, DaemonRunArgs, WatchArgs};
pub use inbox::{ListArgs, ReadArgs, ShowArgs, UnreadArgs};
pub use outbox::{CancelArgs, SentArgs, StatusArgs};
pub use prefs::{PrefsArgs, PrefsCommand, PrefsSetArgs};
pub use run::RunArgs;
pub use setup::{CompletionsArgs, LoginArgs};
pub use values::{ChannelArg, PageArgs, StatusArg, WaitArgs, channels};

const ABOUT: &str = "Send notifications and read your inbox from the terminal";

const LONG_ABOUT: &str = "\
Send notifications and read your inbox from the terminal.

notify talks to a notify-server over HTTP. It finds the server and your API token in \
$XDG_CONFIG_HOME/notify/config.toml (or the file named by NOTIFY_CONFIG), overridden by the \
NOTIFY_SERVER and NOTIFY_TOKEN environment variables; --server overrides both.

When notifyd, the per-user daemon, runs on this machine, `notify count` asks it instead of \
the server, --wait learns from it the moment an operation resolves instead of polling, and \
`notify watch` streams your events from it (`notify daemon --help`).";

const AFTER_HELP: &str = "\
Examples:
  notify send --to alice \"Deploy of api finished\"
  notify send --to alice --channel email --wait \"Deploy of api finished\"
  make 2>&1 | tail -n 20 | notify send --title \"build log\" -
  notify send --at \"tomorrow 9am\" \"renew the certificate\"
  notify run -- make -j8
  notify list --unread
  notify read --all --wait
  notify prefs set --channels desktop,email --email me@example.com
  notify watch --kind notification.requested
  notify daemon install && systemctl --user daemon-reload && systemctl --user enable --now notifyd
  notify daemon status
  notify config show

Exit codes: 0 success, 1 the operation failed, 2 usage or config error,
3 could not reach the service, 4 timed out waiting.";

/// `notify` and its global flags.
#[derive(Debug, Parser)]
#[command(name = "notify", version, about = ABOUT, long_about = LONG_ABOUT, after_help = AFTER_HELP)]
pub struct Cli {
    /// Flags every subcommand takes.
    #[command(flatten)]
    pub globals: Globals,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Flags accepted before or after any subcommand.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Global options")]
pub struct Globals {
    /// Base URL of notify-server [overrides NOTIFY_SERVER and the config file]
    #[arg(long, global = true, value_name = "URL")]
    pub server: Option<String>,
    /// Print machine-readable JSON on stdout
    #[arg(long, global = true, conflicts_with = "quiet")]
    pub json: bool,
    /// Print nothing on stdout; errors still go to stderr
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Say on stderr what is happening (requests, retries)
    #[arg(short, long, global = true)]
    pub verbose: bool,
}

impl Cli {
    /// Whether the command talks to the server or the daemon (and so needs an async runtime).
    pub fn needs_network(&self) -> bool {
        !matches!(
            self.command,
            Command::Config(ConfigCommand::Path)
                | Command::Completions(_)
                | Command::Daemon(DaemonCommand::Run(_) | DaemonCommand::Install(_))
        )
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Send a notification (to yourself unless --to names someone); prints the operation id
    #[command(long_about = SEND_LONG_ABOUT, after_help = SEND_AFTER_HELP)]
    Send(SendArgs),
    /// List your inbox, newest first
    #[command(long_about = inbox::LIST_LONG_ABOUT, after_help = inbox::LIST_AFTER_HELP)]
    List(ListArgs),
    /// Show one notification, and with --events its history
    #[command(long_about = inbox::SHOW_LONG_ABOUT, after_help = inbox::SHOW_AFTER_HELP)]
    Show(ShowArgs),
    /// Mark notifications read (or the whole inbox with --all); prints the operation ids
    #[command(long_about = inbox::READ_LONG_ABOUT, after_help = inbox::READ_AFTER_HELP)]
    Read(ReadArgs),
    /// Mark notifications unread; prints the operation ids
    #[command(long_about = inbox::UNREAD_LONG_ABOUT, after_help = inbox::UNREAD_AFTER_HELP)]
    Unread(UnreadArgs),
    /// Print the number of unread notifications
    #[command(long_about = inbox::COUNT_LONG_ABOUT, after_help = inbox::COUNT_AFTER_HELP)]
    Count,
    /// List what you sent and what became of it, newest first
    #[command(long_about = outbox::SENT_LONG_ABOUT, after_help = outbox::SENT_AFTER_HELP)]
    Sent(SentArgs),
    /// Cancel scheduled sends before they go out; prints the operation ids
    #[command(long_about = outbox::CANCEL_LONG_ABOUT, after_help = outbox::CANCEL_AFTER_HELP)]
    Cancel(CancelArgs),
    /// Run a command, then notify when it ends, with its exit status and duration
    #[command(long_about = run::RUN_LONG_ABOUT, after_help = run::RUN_AFTER_HELP)]
    Run(RunArgs),
    /// Show what became of an operation; exits 1 if it failed
    #[command(long_about = outbox::STATUS_LONG_ABOUT, after_help = outbox::STATUS_AFTER_HELP)]
    Status(StatusArgs),
    /// Show or change how notifications reach you (channels, e-mail, webhook)
    #[command(long_about = prefs::PREFS_LONG_ABOUT, after_help = prefs::PREFS_AFTER_HELP)]
    Prefs(PrefsArgs),
    /// Print your events as they happen, through notifyd
    #[command(long_about = daemon::WATCH_LONG_ABOUT, after_help = daemon::WATCH_AFTER_HELP)]
    Watch(WatchArgs),
    /// Run, inspect or install notifyd, the per-user daemon
    #[command(
        subcommand,
        long_about = daemon::DAEMON_LONG_ABOUT,
        after_help = daemon::DAEMON_AFTER_HELP
    )]
    Daemon(DaemonCommand),
    /// Check a server URL and API token, then save them in the configuration file
    #[command(long_about = setup::LOGIN_LONG_ABOUT, after_help = setup::LOGIN_AFTER_HELP)]
    Login(LoginArgs),
    /// Show or locate the configuration
    #[command(subcommand, long_about = CONFIG_LONG_ABOUT, after_help = CONFIG_AFTER_HELP)]
    Config(ConfigCommand),
    /// Print the shell completion script for bash, zsh, fish, elvish or powershell
    #[command(
        long_about = setup::COMPLETIONS_LONG_ABOUT,
        after_help = setup::COMPLETIONS_AFTER_HELP
    )]
    Completions(CompletionsArgs),
}

const SEND_LONG_ABOUT: &str = "\
Send a notification (to yourself unless --to names someone); prints the operation id.

The message is checked against the limits before anything is sent. The server stores the \
request and answers at once; delivery (desktop popup, e-mail, webhook) follows on the \
channels named with --channel, or else on those each recipient prefers (`notify prefs`). The \
operation id printed on stdout names this send; it is also its idempotency key, so retries \
after a network error never send twice.

With --wait, the command stays until every channel of every recipient has succeeded or failed \
for good, printing each outcome on stderr as it becomes known, and exits 0 only when all \
succeeded. Otherwise it exits 1 (4 when --timeout runs out first); `notify show ID --events` \
tells what happened. When notifyd runs, it tells the moment the send resolves; without it, the \
server is polled.

With --json, stdout gets one document, with --wait or without: operation_id, status, \
notifications (id and recipient of each) and resolved_at, which is null until the send reached \
its final state (so always without --wait).

--at or --in schedules the send: the server keeps it until then, and `notify cancel ID` can \
still stop it. --at reads a time in your time zone: 2026-12-01 09:00 (or 2026-12-01T09:00), \
RFC 3339 with an offset (2026-12-01T09:00:00Z), a time of day (09:00, 9am, 5:30pm, noon) \
meaning the next one to come, today or tomorrow followed by a time, a weekday followed by a \
time (friday 9am) meaning the next such day, never today, or next and a weekday (next friday \
17:30) meaning that day of next week, weeks starting on Monday. --in \
takes a duration: 90s, 10m, 1h30m, 1h 30m, 2d. The time must be ahead, and at most 365 days \
ahead. A scheduled send prints its operation id on stdout and, on stderr, when it goes out and \
how to cancel it; with --wait it returns at once, saying when it goes out.";

const SEND_AFTER_HELP: &str = "\
Examples:
  # To yourself:
  notify send \"coffee is ready\"
  # To two people, with a priority and a tag:
  notify send --to alice,bob --priority high --tag standup \"standup in 5 minutes\"
  # The last lines of a log, read from stdin:
  long-job 2>&1 | tail -n 5 | notify send --title \"long-job\" -
  # Only by e-mail, and wait until it is delivered:
  notify send --to alice --channel email --wait --timeout 2m \"backup done\"
  # Keep the operation id for later:
  op=$(notify send \"done\")
  # Later: at a time, on a day, or after a while (local time):
  notify send --at 17:30 \"go home\"
  notify send --at \"tomorrow 9am\" --to alice \"standup notes are up\"
  notify send --at \"next friday 16:00\" \"submit the timesheet\"
  notify send --in \"1h 30m\" \"take the pizza out\"";

/// Arguments of `notify send`.
#[derive(Debug, Clone, Args)]
pub struct SendArgs {
    /// Recipient; repeat or separate with commas. Default: yourself
    #[arg(long = "to", value_name = "USER", value_delimiter = ',', value_parser = parse_user)]
    pub to: Vec<UserId>,
    /// One-line title
    #[arg(long, value_name = "TITLE")]
    pub title: Option<String>,
    /// How urgent it is
    #[arg(long, value_enum, default_value_t = PriorityArg::Normal)]
    pub priority: PriorityArg,
    /// Tag for filtering; repeat or separate with commas
    #[arg(long = "tag", value_name = "TAG", value_delimiter = ',')]
    pub tags: Vec<String>,
    /// Thread key: notifications that share one belong together (shown by `notify show`)
    #[arg(long, value_name = "KEY")]
    pub thread: Option<String>,
    /// Deliver on this channel; repeat or separate with commas. Default: each recipient's own
    #[arg(
        long = "channel",
        value_enum,
        value_name = "CHANNEL",
        value_delimiter = ','
    )]
    pub channels: Vec<ChannelArg>,
    /// Deliver at this time (local): 17:30, 9am, "tomorrow 9am", "friday 17:30", 2026-12-01 09:00
    #[arg(long, value_name = "TIME", value_parser = parse_at, conflicts_with = "after")]
    pub at: Option<DateTime<Utc>>,
    /// Deliver after this long: 10m, 1h30m, "1h 30m", 2d
    #[arg(long = "in", id = "after", value_name = "DURATION", value_parser = parse_in)]
    pub after: Option<Duration>,
    /// Waiting.
    #[command(flatten)]
    pub wait: WaitArgs,
    /// The message, or - to read it from stdin (one trailing newline is dropped)
    #[arg(value_name = "MESSAGE")]
    pub message: String,
}

/// `--priority` values; the contract's [`Priority`] stays free of clap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PriorityArg {
    /// Can wait
    Low,
    /// The default
    Normal,
    /// Wants attention soon
    High,
    /// Wants attention now
    Urgent,
}

impl From<PriorityArg> for Priority {
    fn from(priority: PriorityArg) -> Self {
        match priority {
            PriorityArg::Low => Self::Low,
            PriorityArg::Normal => Self::Normal,
            PriorityArg::High => Self::High,
            PriorityArg::Urgent => Self::Urgent,
        }
    }
}

/// The `config` subcommands.
#[derive(Debug, Clone, Copy, Subcommand)]
pub enum ConfigCommand {
    /// Show the effective settings, where each comes from, and who the token belongs to
    #[command(long_about = CONFIG_SHOW_LONG_ABOUT, after_help = CONFIG_SHOW_AFTER_HELP)]
    Show,
    /// Print the path of the configuration file
    #[command(long_about = CONFIG_PATH_LONG_ABOUT, after_help = CONFIG_PATH_AFTER_HELP)]
    Path,
}

const CONFIG_LONG_ABOUT: &str = "\
Show or locate the configuration.

notify reads the server URL and the API token from the configuration file (`notify config \
path`), then from NOTIFY_SERVER and NOTIFY_TOKEN, which override it; --server overrides both. \
The file holds a token, so it must be private (chmod 600), as ssh requires of its keys; \
`notify login` writes it that way.";

const CONFIG_AFTER_HELP: &str = "\
Examples:
  notify config show
  notify config show --json | jq -r .user
  $EDITOR \"$(notify config path)\"";

const CONFIG_SHOW_LONG_ABOUT: &str = "\
Show the effective settings, where each comes from, and who the token belongs to.

Prints the configuration file and whether it exists, the server and its source (flag, \
environment, config file or default), whether a token is set and where from (never the token \
itself), and the user and scopes the server reports for it. It exits 0 even when the server \
cannot be asked, saying why on stderr: that is what one runs it to find out.";

const CONFIG_SHOW_AFTER_HELP: &str = "\
Examples:
  notify config show
  NOTIFY_SERVER=http://other:8470 notify config show --json";

const CONFIG_PATH_LONG_ABOUT: &str = "\
Print the path of the configuration file: $NOTIFY_CONFIG when set, else \
$XDG_CONFIG_HOME/notify/config.toml (usually ~/.config/notify/config.toml). The file need not \
exist; it takes two keys, server and token.";

const CONFIG_PATH_AFTER_HELP: &str = "\
Examples:
  notify config path
  chmod 600 \"$(notify config path)\"";

/// An `--at` value, read in the local time zone now.
fn parse_at(s: &str) -> Result<DateTime<Utc>, String> {
    crate::when::parse_at(s, &Local::now())
}

/// An `--in` value: a duration of at most 365 days.
fn parse_in(s: &str) -> Result<Duration, String> {
    let after = crate::duration::parse_duration(s)?;
    crate::when::after(after, &Local::now())?;
    Ok(after)
}

/// One `--to` value (after splitting on commas); blanks around a name are forgiven.
pub(crate) fn parse_user(s: &str) -> Result<UserId, InvalidUserId> {
    UserId::parse(s.trim())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;
    use clap::error::ErrorKind;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("notify").chain(args.iter().copied()))
    }

    fn send(args: &[&str]) -> SendArgs {
        match parse(args).expect("valid").command {
            Command::Send(send) => send,
            other => panic!("not a send: {other:?}"),
        }
    }

    fn names(users: &[UserId]) -> Vec<&str> {
        users.iter().map(UserId::as_str).collect()
    }

    #[test]
    fn definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn to_accepts_commas_and_repeats() {
        let args = send(&["send", "--to", "alice,bob", "--to", "carol", "hi"]);
        assert_eq!(names(&args.to), ["alice", "bob", "carol"]);
        let args = send(&["send", "--to", "alice, bob", "hi"]);
        assert_eq!(names(&args.to), ["alice", "bob"]);
    }

    #[test]
    fn no_to_means_yourself() {
        assert!(send(&["send", "hi"]).to.is_empty());
    }

    #[test]
    fn invalid_recipients_are_usage_errors() {
        for bad in ["Alice", "alice,,bob", "alice,", "al ice"] {
            let error = parse(&["send", "--to", bad, "hi"]).expect_err(bad);
            assert_eq!(error.kind(), ErrorKind::ValueValidation, "{bad}");
            assert_eq!(error.exit_code(), 2);
        }
    }

    #[test]
    fn tags_split_on_commas_and_dash_is_a_message() {
        let args = send(&[
            "send",
            "--tag",
            "ci,deploy",
            "--tag",
            "x",
            "--priority",
            "urgent",
            "-",
        ]);
        assert_eq!(args.tags, ["ci", "deploy", "x"]);
        assert_eq!(Priority::from(args.priority), Priority::Urgent);
        assert_eq!(args.message, "-");
    }

    #[test]
    fn channels_split_on_commas_and_wait_takes_a_timeout() {
        use notify_shared::api::Channel;
        let args = send(&[
            "send",
            "--channel",
            "email,webhook",
            "--channel",
            "email",
            "hi",
        ]);
        assert_eq!(channels(&args.channels), [Channel::Email, Channel::Webhook]);
        assert!(!args.wait.wait);
        let args = send(&["send", "--wait", "--timeout", "2m", "hi"]);
        assert!(args.wait.wait && args.channels.is_empty());
        assert_eq!(args.wait.timeout, std::time::Duration::from_secs(120));
        assert_eq!(
            usage_error(&["send", "--channel", "sms", "hi"]),
            ErrorKind::InvalidValue
        );
        usage_error(&["send", "--timeout", "5s", "hi"]);
    }

    #[test]
    fn global_flags_go_anywhere() {
        let cli = parse(&["send", "--json", "hi", "--server", "http://h:1"]).expect("valid");
        assert!(cli.globals.json);
        assert_eq!(cli.globals.server.as_deref(), Some("http://h:1"));
        assert!(parse(&["--json", "-q", "config", "show"]).is_err());
    }

    #[test]
    fn watch_kinds_are_checked_and_daemon_run_passes_the_rest_on() {
        let Command::Watch(watch) =
            parse(&["watch", "--kind", "delivery.failed,notification.read"])
                .expect("valid")
                .command
        else {
            panic!("not a watch");
        };
        assert_eq!(watch.kinds, ["delivery.failed", "notification.read"]);
        assert_eq!(
            usage_error(&["watch", "--kind", "delivery.exploded"]),
            ErrorKind::InvalidValue
        );
        let Command::Daemon(DaemonCommand::Run(run)) =
            parse(&["daemon", "run", "--", "--log", "debug"])
                .expect("valid")
                .command
        else {
            panic!("not a daemon run");
        };
        assert_eq!(run.args, ["--log", "debug"]);
        usage_error(&["daemon", "run", "--log"]);
        assert!(matches!(
            parse(&["daemon", "install", "--force"])
                .expect("valid")
                .command,
            Command::Daemon(DaemonCommand::Install(DaemonInstallArgs { force: true }))
        ));
    }

    #[test]
    fn only_path_runs_without_network() {
        assert!(!parse(&["daemon", "run"]).expect("valid").needs_network());
        assert!(
            !parse(&["daemon", "install"])
                .expect("valid")
                .needs_network()
        );
        assert!(parse(&["daemon", "status"]).expect("valid").needs_network());
        assert!(parse(&["watch"]).expect("valid").needs_network());
        assert!(!parse(&["config", "path"]).expect("valid").needs_network());
        assert!(parse(&["config", "show"]).expect("valid").needs_network());
        assert!(parse(&["send", "hi"]).expect("valid").needs_network());
    }

    fn usage_error(args: &[&str]) -> ErrorKind {
        let error = parse(args).expect_err(&args.join(" "));
        assert_eq!(error.exit_code(), 2, "{}", args.join(" "));
        error.kind()
    }

    #[test]
    fn limit_is_checked_before_anything_is_sent() {
        for bad in ["0", "201", "-1", "ten"] {
            usage_error(&["list", "--limit", bad]);
            usage_error(&["sent", "--limit", bad]);
        }
        let Command::List(list) = parse(&["list", "--limit", "200"]).expect("valid").command else {
            panic!("not a list");
        };
        assert_eq!(list.page.limit, Some(200));
    }

    #[test]
    fn read_takes_ids_or_all_but_not_both() {
        assert_eq!(usage_error(&["read"]), ErrorKind::MissingRequiredArgument);
        let id = "0190f3a2-7c41-7d3e-9a5b-2f1e4c8d6b10";
        assert_eq!(
            usage_error(&["read", "--all", id]),
            ErrorKind::ArgumentConflict
        );
        assert_eq!(usage_error(&["read", "nope"]), ErrorKind::ValueValidation);
        assert_eq!(usage_error(&["unread"]), ErrorKind::MissingRequiredArgument);
        let Command::Read(read) = parse(&["read", id, id, "--wait"]).expect("valid").command else {
            panic!("not a read");
        };
        assert_eq!(read.ids.len(), 2);
        assert!(read.wait.wait && !read.all);
        assert_eq!(read.wait.timeout, std::time::Duration::from_secs(30));
    }

    #[test]
    fn timeout_needs_wait_and_a_unit() {
        let id = "0190f3a2-7c41-7d3e-9a5b-2f1e4c8d6b10";
        usage_error(&["status", id, "--timeout", "10s"]);
        usage_error(&["status", id, "--wait", "--timeout", "10"]);
        let Command::Status(status) = parse(&["status", id, "--wait", "--timeout", "1h30m"])
            .expect("valid")
            .command
        else {
            panic!("not a status");
        };
        assert_eq!(status.wait.timeout, std::time::Duration::from_secs(5400));
    }

    #[test]
    fn search_and_sent_filters_are_checked() {
        let long = "x".repeat(notify_shared::views::MAX_SEARCH_CHARS + 1);
        usage_error(&["list", "--search", &long]);
        usage_error(&["sent", "--status", "lost"]);
        usage_error(&["sent", "--to", "Bob"]);
        let Command::Sent(sent) = parse(&["sent", "--status", "failed", "--to", "bob"])
            .expect("valid")
            .command
        else {
            panic!("not a sent");
        };
        assert_eq!(sent.status, Some(StatusArg::Failed));
        for spelling in ["partially_delivered", "partially-delivered"] {
            let Command::Sent(sent) = parse(&["sent", "--status", spelling])
                .expect("valid")
                .command
            else {
                panic!("not a sent");
            };
            assert_eq!(sent.status, Some(StatusArg::PartiallyDelivered));
        }
        usage_error(&["sent", "--channel", "sms"]);
        usage_error(&["sent", "--address", " "]);
        let Command::Sent(sent) =
            parse(&["sent", "--channel", "webhook", "--address", "https://h/x"])
                .expect("valid")
                .command
        else {
            panic!("not a sent");
        };
        assert_eq!(sent.channel, Some(ChannelArg::Webhook));
        assert_eq!(sent.address.as_deref(), Some("https://h/x"));
    }
}
