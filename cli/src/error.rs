//! Every way a command can fail, the exit code it maps to, and the hint printed under it.
//!
//! Messages are lowercase without a trailing period and never contain a token or a Rust
//! `Debug` dump; the hint says what to do. Only `main.rs` and `config show` print these.

use std::io::{self, Write};
use std::path::PathBuf;
use std::time::Duration;

use notify_shared::api::OperationStatus;
use notify_shared::config::{ConfigError, ENV_CONFIG, ENV_SERVER, ENV_TOKEN};
use notify_shared::problem::{Problem, Violation};
use notify_shared::wire_name::WireName;
use uuid::Uuid;

use crate::duration::format_duration;
use crate::exit::Exit;
use crate::notifyd::error::DaemonError;

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

    /// What the user can do about it, one line.
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            Self::Config(ConfigError::NoConfigDir) => {
                format!("set {ENV_CONFIG} to the path of a config file")
            }
            Self::Config(ConfigError::Read { path, .. }) => {
                format!(
                    "check that {} is a readable file, or set {ENV_CONFIG}",
                    path.display()
                )
            }
            Self::Config(ConfigError::Permissions { path, .. }) => {
                format!(
                    "the file holds a token, so make it private: chmod 600 {}",
                    path.display()
                )
            }
            Self::Config(ConfigError::Parse { path, .. }) => format!(
                "{} takes two keys: server = \"http://host:port\" and token = \"...\"",
                path.display()
            ),
            Self::Config(ConfigError::BadServer(..)) => {
                format!(
                    "pass --server http://host:port, or fix {ENV_SERVER} or server in the config file"
                )
            }
            Self::Config(ConfigError::Write { .. }) => {
                format!("check that you may write there, or set {ENV_CONFIG} to another path")
            }
            Self::LoginRefused { .. } | Self::LoginToken(_) => {
                "give the whole token `notify-server users add NAME` (or `users token NAME`) \
                 printed; nothing was written"
                    .into()
            }
            Self::NoToken { path } => format!(
                "run `notify login`, or set {ENV_TOKEN}, or add token = \"...\" to {} \
                 (notify-server users add NAME prints one)",
                path.display()
            ),
            Self::BadToken { path } | Self::MalformedToken { path } => {
                format!("check {ENV_TOKEN} or token in {}", path.display())
            }
            Self::Invalid(_) => "fix what is listed above; nothing was sent".into(),
            Self::StdinIsTerminal => {
                "pipe the message in (echo hi | notify send -) or pass it as an argument".into()
            }
            Self::Stdin(_) | Self::StdinNotUtf8 => "pass the message as an argument instead".into(),
            Self::Conflict(_) => "drop one of the two; nothing was changed".into(),
            Self::Secret { .. } => "put the secret (whsec_...) alone in a file only you can read \
                 (chmod 600) and pass its path, or pipe it in with --webhook-secret-file -"
                .into(),
            Self::Refused { problem } => refused_hint(problem),
            Self::NoNotification(_) => {
                "`notify list` shows the ids in your inbox, `notify sent` those you sent".into()
            }
            Self::NotScheduled(_) => {
                "`notify sent --scheduled` lists the sends still waiting to go out".into()
            }
            Self::AlreadyDispatched(id) => format!("see what became of it: notify show {id}"),
            Self::CommandFailed { .. } => return None,
            Self::Spawn { code: 127, .. } => {
                "check the name, or give its path; a shell command needs sh -c '...'".into()
            }
            Self::Spawn { .. } => "check that the file is a program you may execute".into(),
            Self::NoOperation(_) => {
                "use an id printed by `notify send`, `notify read` or `notify unread`".into()
            }
            Self::OperationEnded {
                notification: Some(notification),
                ..
            } => format!("see what happened: notify show {notification} --events"),
            Self::OperationEnded { id, .. } => format!("see the operation: notify status {id}"),
            Self::TimedOut { operation, .. } => {
                format!("the operation may still complete: notify status {operation}")
            }
            Self::Unreachable { attempts, .. } => format!(
                "is notify-server running there? (tried {attempts} time{}); \
                 `notify config show` tells which server is used and why",
                if *attempts == 1 { "" } else { "s" }
            ),
            Self::ServerFailed { .. } => {
                "the service is having trouble; try again later, and check its log if it persists"
                    .into()
            }
            Self::BadResponse { .. } => {
                "check that the server is notify-server (`notify config show`), or report a bug"
                    .into()
            }
            Self::Daemon(error) => error.hint(),
            Self::NoNotifyd { .. } => "install notifyd in the same directory as notify \
                 (cargo install --path daemon), or put it in PATH"
                .into(),
            Self::Exec { .. } => "check that notifyd is a program for this machine and that \
                 you may run it"
                .into(),
            Self::UnitExists { .. } => "pass --force to replace it, or edit it yourself".into(),
            Self::Install { .. } => "check that the directory exists and is writable by you".into(),
            Self::Output(_) => return None,
            Self::Internal(_) => "this is a bug in notify; please report it".into(),
        })
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

fn refused_hint(problem: &Problem) -> String {
    match problem.status {
        400 if problem.is("bad-cursor") => {
            "`--before` takes the cursor of the `more:` line a previous page printed".into()
        }
        400 => "the server could not read the request; notify and notify-server may be different versions".into(),
        403 => "ask an admin for a token with the needed scope (`notify config show` lists yours)".into(),
        404 => "check the server URL (`notify config show`)".into(),
        409 => "the same operation is still being processed; try again in a moment".into(),
        413 => "the request is too large; shorten the message".into(),
        422 => "fix what is listed above and try again".into(),
        429 => "too many requests; wait a moment and try again".into(),
        _ => "the server refused the request; nothing was changed".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify_shared::config::Source;

    fn render(error: &Error) -> String {
        let mut buf = Vec::new();
        error.report(&mut anstream::StripStream::new(&mut buf));
        String::from_utf8(buf).expect("utf-8")
    }

    #[test]
    fn each_error_maps_to_its_exit_code() {
        let path = PathBuf::from("/home/u/.config/notify/config.toml");
        let problem = |status| Box::new(Problem::new(status, "x", "X"));
        let cases = [
            (
                Error::Config(ConfigError::BadServer("ftp://x".into(), Source::Flag)),
                Exit::Usage,
            ),
            (
                Error::Config(ConfigError::Permissions {
                    path: path.clone(),
                    mode: 0o644,
                }),
                Exit::Usage,
            ),
            (Error::NoToken { path: path.clone() }, Exit::Usage),
            (Error::MalformedToken { path: path.clone() }, Exit::Usage),
            (Error::BadToken { path }, Exit::Usage),
            (Error::Invalid(vec![]), Exit::Usage),
            (Error::StdinIsTerminal, Exit::Usage),
            (Error::StdinNotUtf8, Exit::Usage),
            (Error::Conflict("x".into()), Exit::Usage),
            (
                Error::Secret {
                    from: "stdin".into(),
                    reason: "it is empty".into(),
                },
                Exit::Usage,
            ),
            (
                Error::Refused {
                    problem: problem(403),
                },
                Exit::Usage,
            ),
            (
                Error::Refused {
                    problem: problem(422),
                },
                Exit::Failed,
            ),
            (
                Error::Refused {
                    problem: problem(409),
                },
                Exit::Failed,
            ),
            (
                Error::BadResponse {
                    server: "s".into(),
                    what: "w".into(),
                },
                Exit::Failed,
            ),
            (Error::Internal("x".into()), Exit::Failed),
            (Error::NoNotification(Uuid::nil()), Exit::Failed),
            (Error::NoOperation(Uuid::nil()), Exit::Failed),
            (
                Error::OperationEnded {
                    id: Uuid::nil(),
                    status: OperationStatus::Failed,
                    notification: None,
                },
                Exit::Failed,
            ),
            (
                Error::TimedOut {
                    operation: Uuid::nil(),
                    last: None,
                    after: Duration::from_secs(30),
                    others: 0,
                },
                Exit::TimedOut,
            ),
            (
                Error::Unreachable {
                    server: "s".into(),
                    reason: "r".into(),
                    attempts: 4,
                },
                Exit::Unreachable,
            ),
            (
                Error::ServerFailed {
                    server: "s".into(),
                    problem: problem(503),
                },
                Exit::Unreachable,
            ),
            (Error::NoNotifyd { beside: None }, Exit::Usage),
            (
                Error::Exec {
                    path: "/bin/notifyd".into(),
                    reason: "r".into(),
                },
                Exit::Failed,
            ),
            (
                Error::UnitExists {
                    path: "/u/notifyd.service".into(),
                },
                Exit::Failed,
            ),
            (
                Error::Install {
                    path: "/u/notifyd.service".into(),
                    reason: "r".into(),
                },
                Exit::Failed,
            ),
            (
                Error::Daemon(DaemonError::Stopped { reason: None }),
                Exit::Unreachable,
            ),
        ];
        for (error, exit) in cases {
            assert_eq!(error.exit_code(), exit, "{error}");
        }
        assert_eq!(Exit::TimedOut as u8, 4);
    }

    #[test]
    fn bad_token_names_the_config_file() {
        let error = Error::BadToken {
            path: "/c/config.toml".into(),
        };
        assert_eq!(
            render(&error),
            "notify: the server refused the token\nhint: check NOTIFY_TOKEN or token in /c/config.toml\n"
        );
    }

    #[test]
    fn problems_render_lowercase_with_their_fields() {
        let problem = Problem::new(422, "unknown-recipient", "Unknown Recipient")
            .with_detail("nothing was sent")
            .with_errors(vec![Violation::new("to", "there is no user bob".into())]);
        assert_eq!(
            render(&Error::Refused {
                problem: Box::new(problem)
            }),
            "notify: unknown recipient: nothing was sent\n  to: there is no user bob\n\
             hint: fix what is listed above and try again\n"
        );
    }

    #[test]
    fn local_violations_list_every_field() {
        let error = Error::Invalid(vec![
            Violation::new("body", "the message is empty".into()),
            Violation::new("tags", "at most 10 tags, got 11".into()),
        ]);
        assert_eq!(
            render(&error),
            "notify: invalid notification\n  body: the message is empty\n  tags: at most 10 tags, got 11\n\
             hint: fix what is listed above; nothing was sent\n"
        );
    }

    #[test]
    fn server_failures_name_the_server() {
        let problem = Problem::new(503, "unavailable", "Service Unavailable")
            .with_detail("the database is down");
        let error = Error::ServerFailed {
            server: "http://h:1".into(),
            problem: Box::new(problem),
        };
        assert!(
            render(&error)
                .starts_with("notify: the server at http://h:1 failed: service unavailable: the database is down\nhint: ")
        );
    }

    #[test]
    fn a_timeout_exits_4_and_says_how_to_follow_up() {
        let error = Error::TimedOut {
            operation: Uuid::nil(),
            last: Some(OperationStatus::Dispatched),
            after: Duration::from_millis(1_500),
            others: 2,
        };
        assert_eq!(error.exit_code(), Exit::TimedOut);
        assert_eq!(
            render(&error),
            "notify: timed out after 1s500ms waiting for operation 00000000-0000-0000-0000-000000000000 \
             (still dispatched) and 2 more\n\
             hint: the operation may still complete: notify status 00000000-0000-0000-0000-000000000000\n"
        );
        let unseen = Error::TimedOut {
            operation: Uuid::nil(),
            last: None,
            after: Duration::from_secs(30),
            others: 0,
        };
        assert!(
            unseen.to_string().ends_with("(not yet visible)"),
            "{unseen}"
        );
    }

    #[test]
    fn missing_ids_say_whose() {
        let error = Error::NoNotification(Uuid::max());
        assert_eq!(
            render(&error),
            "notify: no notification ffffffff-ffff-ffff-ffff-ffffffffffff (or it is not yours)\n\
             hint: `notify list` shows the ids in your inbox, `notify sent` those you sent\n"
        );
    }

    #[test]
    fn failed_operations_point_at_the_history() {
        let error = Error::OperationEnded {
            id: Uuid::nil(),
            status: OperationStatus::PartiallyDelivered,
            notification: Some(Uuid::max()),
        };
        assert_eq!(
            render(&error),
            "notify: operation 00000000-0000-0000-0000-000000000000 was only partially delivered\n\
             hint: see what happened: notify show ffffffff-ffff-ffff-ffff-ffffffffffff --events\n"
        );
    }
}
