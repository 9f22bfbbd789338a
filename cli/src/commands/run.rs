//! `notify run [--to USER]... [--title T] [--priority P] [--longer-than D] -- COMMAND...`: run a
//! command with notify's stdin, stdout and stderr, then send a notification saying how it
//! ended and how long it took.
//!
//! The exit code is the command's (128 + N when signal N killed it); a failure to notify is
//! only reported on stderr. A command that cannot be started exits 127 (not found) or 126
//! (anything else), as shells do, and sends nothing. While the command runs, notify ignores
//! Ctrl-C (SIGINT) and SIGQUIT: the terminal sends them to the command too, and notify must
//! live to report how it ended. Nothing is printed on stdout, which is the command's; `-v`
//! shows the operation id on stderr.

use std::io::{ErrorKind, Write};
use std::path::Path;
use std::process::ExitStatus;
use std::time::{Duration, Instant};

use notify_shared::api::{Priority, SendRequest};
use notify_shared::limits::{MAX_TITLE_CHARS, check_send};
use uuid::Uuid;

use crate::cli::{Globals, RunArgs};
use crate::client::{Client, phrase};
use crate::duration::format_span;
use crate::error::Error;
use crate::output::note;
use crate::render::{clean_line, shell_word, truncate};

/// The tag of every notification `notify run` sends.
pub const TAG: &str = "run";
/// Longest command line quoted in the message, in characters.
const MAX_BODY_COMMAND_CHARS: usize = 2_000;

/// How the command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// It exited with this code.
    Exited(i32),
    /// This signal killed it.
    Killed(i32),
}

impl Ended {
    /// From the standard library's status.
    pub fn of(status: ExitStatus) -> Self {
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            if let Some(signal) = status.signal() {
                return Self::Killed(signal);
            }
        }
        Self::Exited(status.code().unwrap_or(1))
    }

    /// Whether it succeeded.
    pub fn success(self) -> bool {
        self == Self::Exited(0)
    }

    /// The exit code `notify run` passes on: the command's, or 128 + the signal, as shells do.
    pub fn exit_code(self) -> u8 {
        let code = match self {
            Self::Exited(code) => code,
            Self::Killed(signal) => 128 + signal,
        };
        // Exit codes are 0 to 255; a code outside (Windows) still must not read as success.
        u8::try_from(code).unwrap_or(1)
    }

    /// `exit 2`, `killed by signal 9`.
    fn describe(self) -> String {
        match self {
            Self::Exited(code) => format!("exit {code}"),
            Self::Killed(signal) => format!("killed by signal {signal}"),
        }
    }
}

/// Runs `notify run`.
pub async fn run(args: RunArgs, globals: &Globals, _out: &mut dyn Write) -> Result<(), Error> {
    // The configuration is checked first, so that a long run does not end in "no token".
    let client = match super::connect(globals) {
        Ok(client) => Some(client),
        Err(error) => {
            error.report(&mut anstream::stderr());
            crate::output::tell("notify: running the command anyway; no notification will be sent");
            None
        }
    };
    let (program, rest) = args
        .command
        .split_first()
        .ok_or_else(|| Error::Internal("no command to run".into()))?;
    let started = Instant::now();
    let ended = execute(program, rest).await?;
    let took = started.elapsed();
    let result = match ended.exit_code() {
        0 => Ok(()),
        code => Err(Error::CommandFailed { code }),
    };
    if args.longer_than.is_some_and(|least| took < least) {
        note(
            globals.verbose,
            format_args!("the command took {}; not notifying", format_span(took)),
        );
        return result;
    }
    let Some(client) = client else {
        return result;
    };
    let directory = std::env::current_dir().unwrap_or_default();
    let request = build_request(&args, ended, took, &directory);
    if let Err(error) = notify(&client, &request, globals.verbose).await {
        error.report(&mut anstream::stderr());
    }
    result
}

/// Starts `program` with `args`, inheriting stdio, and waits for it; SIGINT and SIGQUIT are
/// caught (and so ignored) by notify meanwhile.
async fn execute(program: &str, args: &[String]) -> Result<Ended, Error> {
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .spawn()
        .map_err(|e| Error::Spawn {
            program: program.to_owned(),
            reason: phrase(&e.to_string()),
            code: if e.kind() == ErrorKind::NotFound {
                127
            } else {
                126
            },
        })?;
    let _guard = ignore_terminal_signals();
    let status = child.wait().await.map_err(|e| {
        Error::Internal(format!(
            "cannot wait for {program}: {}",
            phrase(&e.to_string())
        ))
    })?;
    Ok(Ended::of(status))
}

/// Listeners that keep SIGINT and SIGQUIT from killing notify while they live.
#[cfg(unix)]
fn ignore_terminal_signals() -> Vec<tokio::signal::unix::Signal> {
    use tokio::signal::unix::{SignalKind, signal};
    [SignalKind::interrupt(), SignalKind::quit()]
        .into_iter()
        .filter_map(|kind| signal(kind).ok())
        .collect()
}

#[cfg(not(unix))]
fn ignore_terminal_signals() {}

/// Sends `request` as a fresh operation.
async fn notify(client: &Client, request: &SendRequest, verbose: bool) -> Result<(), Error> {
    let violations = check_send(request);
    if !violations.is_empty() {
        return Err(Error::Invalid(violations));
    }
    let operation = Uuid::now_v7();
    let response = client.send(operation, request).await?;
    note(
        verbose,
        format_args!("notified: operation {}", response.operation_id),
    );
    Ok(())
}

/// The command line as a shell would read it back, safe for one line.
pub fn command_line(command: &[String]) -> String {
    let words: Vec<String> = command.iter().map(|w| shell_word(w)).collect();
    clean_line(&words.join(" "))
}

/// `✔ COMMAND` or `✘ COMMAND (exit N)`, the command cut so that the whole fits the title limit.
pub fn default_title(command: &str, ended: Ended) -> String {
    let (mark, suffix) = if ended.success() {
        ("✔ ", String::new())
    } else {
        ("✘ ", format!(" ({})", ended.describe()))
    };
    let room = MAX_TITLE_CHARS - mark.chars().count() - suffix.chars().count();
    format!("{mark}{}{suffix}", truncate(command, room))
}

/// The message: the command, how it ended, how long it took, and where it ran.
pub fn body(command: &str, ended: Ended, took: Duration, directory: &Path) -> String {
    let status = match ended {
        Ended::Exited(0) => "exit status 0 (success)".to_owned(),
        Ended::Exited(code) => format!("exit status {code} (failure)"),
        Ended::Killed(signal) => format!(
            "killed by signal {signal} (exit status {})",
            ended.exit_code()
        ),
    };
    format!(
        "{}\n{status}\ntook {}\nin {}",
        truncate(command, MAX_BODY_COMMAND_CHARS),
        format_span(took),
        clean_line(&directory.display().to_string())
    )
}

/// The notification for a run of `args.command` that ended as `ended` after `took`.
pub fn build_request(
    args: &RunArgs,
    ended: Ended,
    took: Duration,
    directory: &Path,
) -> SendRequest {
    let command = command_line(&args.command);
    let priority = match args.priority {
        Some(priority) => priority.into(),
        None if ended.success() => Priority::Normal,
        None => Priority::High,
    };
    SendRequest {
        to: args.to.clone(),
        title: Some(
            args.title
                .clone()
                .unwrap_or_else(|| default_title(&command, ended)),
        ),
        body: body(&command, ended, took, directory),
        priority,
        tags: vec![TAG.to_owned()],
        channels: Vec::new(),
        thread: None,
        deliver_at: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::PriorityArg;

    fn args(command: &[&str]) -> RunArgs {
        RunArgs {
            to: Vec::new(),
            title: None,
            priority: None,
            longer_than: None,
            command: command.iter().map(|w| (*w).to_owned()).collect(),
        }
    }

    #[test]
    fn exit_codes_pass_on_and_signals_add_128() {
        assert_eq!(Ended::Exited(0).exit_code(), 0);
        assert_eq!(Ended::Exited(2).exit_code(), 2);
        assert_eq!(Ended::Exited(255).exit_code(), 255);
        assert_eq!(Ended::Killed(9).exit_code(), 137);
        assert_eq!(Ended::Killed(2).exit_code(), 130);
        assert_eq!(Ended::Exited(-1).exit_code(), 1);
        assert_eq!(Ended::Exited(256).exit_code(), 1);
        assert!(Ended::Exited(0).success() && !Ended::Killed(15).success());
    }

    #[cfg(unix)]
    #[test]
    fn statuses_are_read_as_exits_or_signals() {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(Ended::of(ExitStatus::from_raw(0)), Ended::Exited(0));
        assert_eq!(Ended::of(ExitStatus::from_raw(3 << 8)), Ended::Exited(3));
        assert_eq!(Ended::of(ExitStatus::from_raw(9)), Ended::Killed(9));
    }

    #[test]
    fn titles_say_how_it_ended_and_fit_the_limit() {
        let command = command_line(&["cargo", "test", "-p", "notify cli"].map(String::from));
        assert_eq!(command, "cargo test -p 'notify cli'");
        assert_eq!(
            default_title(&command, Ended::Exited(0)),
            "✔ cargo test -p 'notify cli'"
        );
        assert_eq!(
            default_title(&command, Ended::Exited(101)),
            "✘ cargo test -p 'notify cli' (exit 101)"
        );
        assert_eq!(
            default_title("sleep 100", Ended::Killed(2)),
            "✘ sleep 100 (killed by signal 2)"
        );
        let long = "x".repeat(1_000);
        let title = default_title(&long, Ended::Exited(1));
        assert_eq!(title.chars().count(), MAX_TITLE_CHARS);
        assert!(title.ends_with("x… (exit 1)"), "{title}");
        // A line break in an argument must not break the title.
        assert_eq!(command_line(&["echo".into(), "a\nb".into()]), "echo 'a b'");
    }

    #[test]
    fn the_message_has_command_status_duration_and_directory() {
        assert_eq!(
            body(
                "make -j8",
                Ended::Exited(2),
                Duration::from_secs(192),
                Path::new("/home/u/src")
            ),
            "make -j8\nexit status 2 (failure)\ntook 3m 12s\nin /home/u/src"
        );
        assert_eq!(
            body(
                "sleep 9",
                Ended::Killed(15),
                Duration::from_millis(300),
                Path::new("/")
            ),
            "sleep 9\nkilled by signal 15 (exit status 143)\ntook 0s\nin /"
        );
    }

    #[test]
    fn failures_are_high_priority_unless_told_and_always_tagged() {
        let took = Duration::from_secs(5);
        let dir = Path::new("/tmp");
        let ok = build_request(&args(&["true"]), Ended::Exited(0), took, dir);
        assert_eq!(ok.priority, Priority::Normal);
        assert_eq!(ok.tags, ["run"]);
        assert_eq!(ok.title.as_deref(), Some("✔ true"));
        assert!(ok.to.is_empty() && ok.deliver_at.is_none());
        assert!(check_send(&ok).is_empty());
        let failed = build_request(&args(&["false"]), Ended::Exited(1), took, dir);
        assert_eq!(failed.priority, Priority::High);
        let told = RunArgs {
            priority: Some(PriorityArg::Low),
            title: Some("backup".into()),
            ..args(&["false"])
        };
        let failed = build_request(&told, Ended::Exited(1), took, dir);
        assert_eq!(failed.priority, Priority::Low);
        assert_eq!(failed.title.as_deref(), Some("backup"));
    }
}
