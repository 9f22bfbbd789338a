//! Why talking to notifyd failed, and whether the caller may ask the server instead.
//!
//! Like atuin's daemon client: "not running" is told apart from "running but broken", so that
//! `count` and `--wait` fall back to the server when there is no daemon, and say what to fix
//! when there is a daemon that cannot be used (an unsafe socket directory, another protocol).

use std::path::PathBuf;
use std::time::Duration;

use notify_shared::local::{ErrorCode, UnsafeDir, socket_chosen};

use crate::duration::format_duration;
use crate::exit::Exit;

/// How to start the daemon, for hints.
pub const START_HINT: &str = "start it: notify daemon run, or systemctl --user start notifyd";

/// A failure to get an answer from notifyd.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// No socket, or nobody listening on it.
    #[error("no daemon is running at {}: {reason}", socket.display())]
    NotRunning {
        /// The socket path.
        socket: PathBuf,
        /// What was found instead, lowercase.
        reason: String,
    },
    /// Connecting failed for another reason than "nobody there".
    #[error("cannot connect to notifyd at {}: {reason}", socket.display())]
    Connect {
        /// The socket path.
        socket: PathBuf,
        /// What went wrong, lowercase.
        reason: String,
    },
    /// Connected, but no answer in time (to the hello, or to a question that needs no wait).
    #[error(
        "notifyd at {} did not answer within {}",
        socket.display(),
        format_duration(*after)
    )]
    Hung {
        /// The socket path.
        socket: PathBuf,
        /// How long it was given.
        after: Duration,
    },
    /// The socket's directory could be reached or changed by someone else.
    #[error("refusing to use the notifyd socket: {0}")]
    Unsafe(#[source] UnsafeDir),
    /// The daemon serves another server than the one asked about.
    #[error("notifyd serves {daemon}, not {asked}")]
    OtherServer {
        /// The daemon's server.
        daemon: String,
        /// The caller's.
        asked: String,
    },
    /// The daemon speaks another protocol version.
    #[error("notifyd speaks another protocol: {message}")]
    Mismatch {
        /// What the daemon said.
        message: String,
    },
    /// The daemon answered something this client does not understand.
    #[error("unexpected answer from notifyd at {}: {what}", socket.display())]
    Malformed {
        /// The socket path.
        socket: PathBuf,
        /// What was unexpected.
        what: String,
    },
    /// The daemon refused the request.
    #[error("notifyd could not answer: {message}")]
    Refused {
        /// Why, as a kind.
        code: ErrorCode,
        /// Why, for people.
        message: String,
    },
    /// The daemon hung up or the connection broke.
    #[error("notifyd stopped{}", reason.as_ref().map(|r| format!(": {r}")).unwrap_or_default())]
    Stopped {
        /// What broke, lowercase; `None` when it simply hung up.
        reason: Option<String>,
    },
}

impl DaemonError {
    /// Whether the server can answer instead: there is no daemon, or it is not in a state to
    /// answer (busy, not registered yet, going away). A daemon that is there but unusable
    /// (unsafe directory, another protocol, nonsense on the socket) is an error to fix.
    pub fn falls_back(&self) -> bool {
        match self {
            Self::NotRunning { .. } | Self::Connect { .. } | Self::Hung { .. } => true,
            Self::Stopped { .. } => true,
            Self::Refused { code, .. } => *code == ErrorCode::Unavailable,
            // The socket is not used, but the server knows the same (or_fallback says why).
            Self::Unsafe(_) | Self::OtherServer { .. } => true,
            Self::Mismatch { .. } | Self::Malformed { .. } => false,
        }
    }

    /// The exit code when nothing can stand in for the daemon (`watch`, `daemon status`).
    pub fn exit_code(&self) -> Exit {
        match self {
            Self::Unsafe(_) | Self::OtherServer { .. } | Self::Mismatch { .. } => Exit::Usage,
            Self::Malformed { .. } => Exit::Failed,
            Self::Refused { code, .. } if *code != ErrorCode::Unavailable => Exit::Failed,
            _ => Exit::Unreachable,
        }
    }

    /// What the user can do about it, one line.
    pub fn hint(&self) -> String {
        match self {
            Self::NotRunning { .. } => START_HINT.into(),
            Self::Connect { .. } | Self::Hung { .. } => {
                "restart it: systemctl --user restart notifyd (or stop and rerun notify daemon run)"
                    .into()
            }
            Self::Unsafe(unsafe_dir) => unsafe_dir.advice(socket_chosen()),
            Self::OtherServer { asked, .. } => format!(
                "leave out --server (and NOTIFY_SERVER) to use the daemon's, or run a notifyd \
                 for {asked} on its own socket (NOTIFYD_SOCKET)"
            ),
            Self::Mismatch { .. } => "notify and notifyd must be the same version: upgrade both, \
                 then restart the daemon: systemctl --user restart notifyd"
                .into(),
            Self::Malformed { socket, .. } => format!(
                "is something other than notifyd listening on {}? restart notifyd, or report a bug",
                socket.display()
            ),
            Self::Refused {
                code: ErrorCode::Unavailable,
                ..
            } => "try again in a moment; `notify daemon status` tells how it is doing".into(),
            Self::Refused { .. } => {
                "notify and notifyd may be different versions; otherwise this is a bug".into()
            }
            Self::Stopped { .. } => {
                format!("see its log: journalctl --user -u notifyd; {START_HINT}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn socket() -> PathBuf {
        "/run/user/1000/notify/notifyd.sock".into()
    }

    #[test]
    fn only_a_daemon_that_is_not_there_or_not_safe_falls_back() {
        let fallback = [
            DaemonError::NotRunning {
                socket: socket(),
                reason: "connection refused".into(),
            },
            DaemonError::Hung {
                socket: socket(),
                after: Duration::from_millis(200),
            },
            DaemonError::Stopped { reason: None },
            DaemonError::Refused {
                code: ErrorCode::Unavailable,
                message: "not registered yet".into(),
            },
        ];
        for error in fallback {
            assert!(error.falls_back(), "{error}");
            assert_eq!(error.exit_code(), Exit::Unreachable, "{error}");
        }
        // An unsafe socket is not used; the server stands in, and where nothing can (`watch`)
        // it is a usage error.
        let unsafe_dir = DaemonError::Unsafe(UnsafeDir::Mode("/tmp/notify-1000".into(), 0o755));
        assert!(unsafe_dir.falls_back());
        assert_eq!(unsafe_dir.exit_code(), Exit::Usage);
        let errors = [
            (
                DaemonError::Mismatch {
                    message: "protocol 2".into(),
                },
                Exit::Usage,
            ),
            (
                DaemonError::Malformed {
                    socket: socket(),
                    what: "x".into(),
                },
                Exit::Failed,
            ),
            (
                DaemonError::Refused {
                    code: ErrorCode::BadRequest,
                    message: "x".into(),
                },
                Exit::Failed,
            ),
        ];
        for (error, exit) in errors {
            assert!(!error.falls_back(), "{error}");
            assert_eq!(error.exit_code(), exit, "{error}");
        }
    }

    #[test]
    fn messages_say_where_and_what_to_do() {
        let error = DaemonError::NotRunning {
            socket: socket(),
            reason: "connection refused".into(),
        };
        assert_eq!(
            error.to_string(),
            "no daemon is running at /run/user/1000/notify/notifyd.sock: connection refused"
        );
        assert_eq!(error.hint(), START_HINT);
        let error = DaemonError::Unsafe(UnsafeDir::Mode("/tmp/notify-1000".into(), 0o755));
        assert_eq!(
            error.to_string(),
            "refusing to use the notifyd socket: /tmp/notify-1000 is accessible by group or \
             others (mode 755)"
        );
        assert_eq!(
            DaemonError::Stopped { reason: None }.to_string(),
            "notifyd stopped"
        );
    }
}
