//! Every way a command can fail, the exit code it maps to, and the hint printed under it.
//!
//! Messages are lowercase without a trailing period and never contain a token or a Rust
//! `Debug` dump; the hint says what to do. Only `main.rs` and `config show` print these.

mod daemon;
mod hint;

use std::io::{self, Write};
use std::path::PathBuf;
use std::time::Duration;

use notify_shared::api::OperationStatus;
use notify_shared::config::ConfigError;
use notify_shared::problem::{Problem, Violation};
use notify_shared::wire_name::WireName;
use uuid::Uuid;

use crate::duration::format_duration;
use crate::exit::Exit;
pub use daemon::{DaemonError, START_HINT};

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration file or environment is unusable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// No token in `NOTIFY_TOKEN` or the configuration file.
    #[error("no api token is configured")]
    NoToken {
        /// The configuration file that could hold one.
        path: PathBuf,
    },
    /// The token holds characters that cannot go in an HTTP header.
    #[error("the configured token is malformed: it may hold only visible ASCII characters")]
    MalformedToken {
        /// The configuration file that may hold the token.
        path: PathBuf,
    },
    /// `notify login`: the server answered 401 to the token given.
    #[error("the server at {server} refused this token")]
    LoginRefused {
        /// The server asked.
        server: String,
    },
    /// `notify login`: no usable token was given.
    #[error("{0}")]
    LoginToken(String),
    /// The server answered 401.
    #[error("the server refused the token")]
    BadToken {
        /// The configuration file that may hold the token.
        path: PathBuf,
    },
    /// The notification breaks the limits; found before sending.
    #[error("{}", invalid(.0))]
    Invalid(Vec<Violation>),
    /// `-` was given as the message while stdin is a terminal.
    #[error("refusing to read the message from a terminal")]
    StdinIsTerminal,
    /// Reading the message from stdin failed.
    #[error("cannot read the message from stdin: {0}")]
    Stdin(#[source] io::Error),
    /// The message on stdin is not UTF-8.
    #[error("the message on stdin is not valid UTF-8")]
    StdinNotUtf8,
    /// Flags that each make sense but not together (`--channels email --no-email`).
    #[error("{0}")]
    Conflict(String),
    /// The webhook secret could not be read from the file (or stdin) named.
    #[error("cannot read the webhook secret from {from}: {reason}")]
    Secret {
        /// The path given, or `stdin`.
        from: String,
        /// What went wrong, lowercase.
        reason: String,
    },
    /// The server refused the request (a 4xx other than 401).
    #[error("{problem}")]
    Refused {
        /// What the server said, or a stand-in when it sent no problem document (boxed: it is
        /// large and errors travel in every `Result`).
        problem: Box<Problem>,
    },
    /// The server has no such notification, or it belongs to someone else (404).
    #[error("no notification {0} (or it is not yours)")]
    NoNotification(Uuid),
    /// The server has no such operation, or it is someone else's (404).
    #[error("no operation {0} (or it is not yours)")]
    NoOperation(Uuid),
    /// `cancel` of an id that is not a scheduled notification the caller sent (404).
    #[error("no scheduled notification {0} of yours")]
    NotScheduled(Uuid),
    /// `cancel` of a scheduled notification that already went out (409).
    #[error("notification {0} was already dispatched; it cannot be cancelled")]
    AlreadyDispatched(Uuid),
    /// `notify run`: the command ended unsuccessfully; notify exits with `code` and prints
    /// nothing more (the command said why).
    #[error("the command exited with code {code}")]
    CommandFailed {
        /// The exit code to pass on: the command's, or 128 + the signal that killed it.
        code: u8,
    },
    /// `notify run`: the command could not be started.
    #[error("cannot run {program}: {reason}")]
    Spawn {
        /// The program as given.
        program: String,
        /// What went wrong, lowercase.
        reason: String,
        /// 127 when it was not found, else 126, as shells do.
        code: u8,
    },
    /// An operation ended in a state other than success.
    #[error("operation {id} {}", ended(*.status))]
    OperationEnded {
        /// The operation.
        id: Uuid,
        /// Its final state.
        status: OperationStatus,
        /// One of its notifications, whose history tells what happened.
        notification: Option<Uuid>,
    },
    /// `--wait` gave up before an operation reached a final state.
    #[error(
        "timed out after {} waiting for operation {operation} ({}){}",
        format_duration(*.after),
        .last.map_or_else(|| "not yet visible".to_owned(), |s| format!("still {}", s.as_str())),
        if *.others == 0 { String::new() } else { format!(" and {} more", .others) }
    )]
    TimedOut {
        /// The first operation still unresolved.
        operation: Uuid,
        /// The last state seen of it, if it was seen at all.
        last: Option<OperationStatus>,
        /// How long we waited.
        after: Duration,
        /// How many other operations were unresolved too.
        others: usize,
    },
    /// No answer: connection refused, DNS, timeout, or a broken connection.
    #[error("could not reach the server at {server}: {reason}")]
    Unreachable {
        /// The base URL.
        server: String,
        /// What went wrong, lowercase.
        reason: String,
        /// How many attempts were made.
        attempts: u32,
    },
    /// The server answered 5xx.
    #[error("the server at {server} failed: {problem}")]
    ServerFailed {
        /// The base URL.
        server: String,
        /// What the server said, or a stand-in when it sent no problem document (boxed: it is
        /// large and errors travel in every `Result`).
        problem: Box<Problem>,
    },
    /// The server answered something this client does not understand.
    #[error("unexpected answer from {server}: {what}")]
    BadResponse {
        /// The base URL.
        server: String,
        /// What was unexpected.
        what: String,
    },
    /// Talking to notifyd failed, where nothing can stand in for it.
    #[error(transparent)]
    Daemon(#[from] DaemonError),
    /// No `notifyd` binary next to `notify` or in `PATH`.
    #[error("cannot find notifyd next to notify{} or in PATH", beside.as_ref().map(|d| format!(" (in {})", d.display())).unwrap_or_default())]
    NoNotifyd {
        /// The directory of the running `notify`, if known.
        beside: Option<PathBuf>,
    },
    /// `notifyd` was found but could not be started.
    #[error("cannot run {}: {reason}", path.display())]
    Exec {
        /// The binary.
        path: PathBuf,
        /// What went wrong, lowercase.
        reason: String,
    },
    /// A different unit file is already installed.
    #[error("{} already exists and differs from the unit notify would write", path.display())]
    UnitExists {
        /// The unit file.
        path: PathBuf,
    },
    /// The unit file could not be written.
    #[error("cannot install {}: {reason}", path.display())]
    Install {
        /// The unit file (or its directory).
        path: PathBuf,
        /// What went wrong, lowercase.
        reason: String,
    },
    /// Writing to stdout failed (a broken pipe counts as success in `main`).
    #[error("cannot write the output: {0}")]
    Output(#[source] io::Error),
    /// A bug or a broken environment (no runtime, no TLS backend).
    #[error("{0}")]
    Internal(String),
}

impl Error {
    /// The exit code this error maps to.
    pub fn exit_code(&self) -> Exit {
        match self {
            Self::Config(ConfigError::Write { .. }) => Exit::Failed,
            Self::Config(_)
            | Self::LoginRefused { .. }
            | Self::LoginToken(_)
            | Self::NoToken { .. }
            | Self::BadToken { .. }
            | Self::MalformedToken { .. }
            | Self::Invalid(_)
            | Self::StdinIsTerminal
            | Self::Stdin(_)
            | Self::StdinNotUtf8
            | Self::Conflict(_)
            | Self::Secret { .. }
            | Self::NoNotifyd { .. } => Exit::Usage,
            Self::Refused { problem } if is_usage(problem) => Exit::Usage,
            Self::Refused { .. }
            | Self::NoNotification(_)
            | Self::NoOperation(_)
            | Self::NotScheduled(_)
            | Self::AlreadyDispatched(_)
            | Self::CommandFailed { .. }
            | Self::Spawn { .. }
            | Self::OperationEnded { .. }
            | Self::BadResponse { .. }
            | Self::Output(_)
            | Self::Exec { .. }
            | Self::UnitExists { .. }
            | Self::Install { .. }
            | Self::Internal(_) => Exit::Failed,
            Self::Daemon(error) => error.exit_code(),
            Self::Unreachable { .. } | Self::ServerFailed { .. } => Exit::Unreachable,
            Self::TimedOut { .. } => Exit::TimedOut,
        }
    }

    /// The process exit status: [`Self::exit_code`], except that `notify run` passes on its
    /// command's (126 or 127 when it could not be started).
    pub fn status(&self) -> u8 {
        match self {
            Self::CommandFailed { code } | Self::Spawn { code, .. } => *code,
            other => other.exit_code() as u8,
        }
    }

    /// Prints `notify: <message>` and the hint line, as the user sees them on stderr (the
    /// labels styled; see [`crate::style`]).
    pub fn report(&self, err: &mut dyn Write) {
        let (error, hint) = (crate::style::ERROR, crate::style::HINT);
        // If stderr itself is gone there is nobody left to tell.
        let _ = writeln!(err, "{error}notify:{error:#} {self}");
        if let Some(text) = self.hint() {
            let _ = writeln!(err, "{hint}hint:{hint:#} {text}");
        }
    }
}

/// Local violations read like the server's: one problem document, one line per field.
fn invalid(violations: &[Violation]) -> Problem {
    Problem::new(422, "validation", "Invalid notification").with_errors(violations.to_vec())
}

/// How an operation ended, after "operation <id>".
fn ended(status: OperationStatus) -> String {
    match status {
        OperationStatus::Failed => "failed".into(),
        OperationStatus::Cancelled => "was cancelled".into(),
        OperationStatus::PartiallyDelivered => "was only partially delivered".into(),
        other => format!("ended {}", other.as_str()),
    }
}

/// Whether the server refused because of how the command was used (exit 2), not because of
/// what it asked for: a token without the scope, a cursor that is not one.
fn is_usage(problem: &Problem) -> bool {
    problem.status == 403 || problem.is("bad-cursor")
}

#[cfg(test)]
mod tests;
