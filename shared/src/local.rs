//! The local socket protocol between `notify` and `notifyd`: newline-delimited JSON, one
//! `{"type": ...}` object per line, opened by a [`Hello`] exchange carrying [`PROTOCOL`].
//!
//! Also where the socket lives, and the checks both sides make on its directory.
//!
//! Neither side may act on a request before the hello agreed on [`PROTOCOL`].

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::UserId;
use crate::api::OperationStatus;
use crate::event::Envelope;

/// The protocol number; a change that old peers cannot read is a new number.
pub const PROTOCOL: u32 = 1;
/// Names the socket instead of the default path (tests, several daemons).
pub const ENV_SOCKET: &str = "NOTIFYD_SOCKET";
/// The longest line either side reads, in bytes.
pub const MAX_LINE: usize = 1024 * 1024;

/// What the client says first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename = "hello")]
pub struct Hello {
    /// The client's protocol number.
    pub protocol: u32,
}

/// A request, after the hello.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Request {
    /// How the daemon is doing.
    Status,
    /// The unread count.
    Count,
    /// Answer when the operation resolves (or already did), or after `timeout_ms`.
    Wait {
        /// The operation.
        operation_id: Uuid,
        /// How long to wait.
        timeout_ms: u64,
    },
    /// Stream the user's events as they arrive, until the client hangs up.
    Watch {
        /// Only events of these kinds (`notification.dispatched`, ...); all when empty.
        #[serde(default)]
        kinds: Vec<String>,
    },
}

/// What the daemon says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Reply {
    /// The answer to a matching [`Hello`].
    Hello {
        /// The daemon's protocol number.
        protocol: u32,
        /// The daemon's version.
        version: String,
        /// The server it talks to, so that a client asking about another one does not take
        /// its answers (older daemons leave it out: then nobody can tell).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        server: Option<String>,
    },
    /// The answer to [`Request::Status`].
    Status(DaemonStatus),
    /// The answer to [`Request::Count`].
    Count {
        /// Unread notifications.
        unread: u64,
    },
    /// The operation resolved.
    Resolved {
        /// The operation.
        operation_id: Uuid,
        /// Its final state.
        status: OperationStatus,
    },
    /// The wait ran out.
    TimedOut {
        /// The operation.
        operation_id: Uuid,
    },
    /// One event, for [`Request::Watch`] (a field, since the envelope has a `type` of its own).
    Event {
        /// The event.
        event: Box<Envelope>,
    },
    /// The request failed; the daemon closes the connection after it.
    Error {
        /// What kind of failure.
        code: ErrorCode,
        /// What happened and what to do, for people.
        message: String,
    },
}

/// Kinds of [`Reply::Error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The hello carried another protocol number.
    ProtocolMismatch,
    /// A line was not a request.
    BadRequest,
    /// The daemon cannot answer now (for example, not registered yet).
    Unavailable,
}

/// The answer to [`Request::Status`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DaemonStatus {
    /// The daemon's version.
    pub version: String,
    /// The user it runs for.
    pub user: Option<UserId>,
    /// This machine's device name.
    pub device: Option<String>,
    /// The server it talks to.
    pub server: String,
    /// Whether it is consuming from the broker now.
    pub connected: bool,
    /// Unread notifications.
    pub unread: u64,
    /// Popups shown since it started.
    pub shown: u64,
    /// Receipts not yet accepted by the server.
    pub pending_receipts: u64,
    /// Seconds since it started.
    pub uptime_s: u64,
}

/// The socket path: `$NOTIFYD_SOCKET`, else `$XDG_RUNTIME_DIR/notify/notifyd.sock`, else
/// `/tmp/notify-<uid>/notifyd.sock` (a directory only the user may enter; checked by
/// [`check_dir`] before use).
pub fn socket_path() -> PathBuf {
    if let Some(path) = std::env::var_os(ENV_SOCKET).filter(|path| !path.is_empty()) {
        return PathBuf::from(path);
    }
    match std::env::var_os("XDG_RUNTIME_DIR").filter(|dir| !dir.is_empty()) {
        Some(dir) => Path::new(&dir).join("notify").join("notifyd.sock"),
        None => std::env::temp_dir()
            .join(format!("notify-{}", current_uid()))
            .join("notifyd.sock"),
    }
}

/// The uid of this process (the owner of `/proc/self`), without `unsafe`.
#[cfg(unix)]
pub fn current_uid() -> u32 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .unwrap_or(u32::MAX)
}

/// Why a socket directory is not safe to use. The message says what is wrong;
/// [`UnsafeDir::advice`] what to do.
#[derive(Debug, thiserror::Error)]
pub enum UnsafeDir {
    /// It is a symbolic link (someone could point it elsewhere).
    #[error("{0} is a symbolic link")]
    Symlink(PathBuf),
    /// Someone else owns it.
    #[error("{0} belongs to uid {1}, not to you")]
    Owner(PathBuf, u32),
    /// Group or others may enter it.
    #[error("{0} is accessible by group or others (mode {1:03o})")]
    Mode(PathBuf, u32),
    /// It could not be inspected.
    #[error("cannot inspect {0}: {1}")]
    Io(PathBuf, std::io::Error),
}

impl UnsafeDir {
    /// What to do about it. A directory the user chose (through [`ENV_SOCKET`]) may be shared
    /// (`/tmp`) or someone else's (`/`), so the advice is to choose another, never to change
    /// it; only notifyd's own default directory is the user's to repair.
    pub fn advice(&self, chosen: bool) -> String {
        if chosen {
            return format!(
                "set {ENV_SOCKET} to a socket path in a directory only you can enter \
                 (mode 700, owned by you), or unset it to use the default"
            );
        }
        match self {
            Self::Mode(dir, _) => format!(
                "notifyd made {} with mode 700 and something widened it; run: chmod 700 {}",
                dir.display(),
                dir.display()
            ),
            Self::Symlink(dir) | Self::Owner(dir, _) => format!(
                "remove {}; notifyd makes it again, with mode 700, when it starts",
                dir.display()
            ),
            Self::Io(..) => {
                format!("set {ENV_SOCKET} to a socket path in a directory only you can enter")
            }
        }
    }
}

/// Whether the user chose the socket path (through [`ENV_SOCKET`]) rather than the default.
pub fn socket_chosen() -> bool {
    std::env::var_os(ENV_SOCKET).is_some_and(|path| !path.is_empty())
}

/// Checks that `dir` is a real directory owned by this user with no group or other access.
#[cfg(unix)]
pub fn check_dir(dir: &Path) -> Result<(), UnsafeDir> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let meta = std::fs::symlink_metadata(dir).map_err(|e| UnsafeDir::Io(dir.into(), e))?;
    if meta.file_type().is_symlink() {
        return Err(UnsafeDir::Symlink(dir.into()));
    }
    if meta.uid() != current_uid() {
        return Err(UnsafeDir::Owner(dir.into(), meta.uid()));
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(UnsafeDir::Mode(dir.into(), mode));
    }
    Ok(())
}

/// Checks the first line: `Ok` for a hello with our protocol, else the error to reply.
pub fn check_hello(line: &[u8]) -> Result<(), (ErrorCode, String)> {
    let hello: Hello = serde_json::from_slice(line).map_err(|_| {
        (
            ErrorCode::BadRequest,
            format!(
                r#"the first line must be a hello, like {{"type":"hello","protocol":{PROTOCOL}}}"#
            ),
        )
    })?;
    if hello.protocol != PROTOCOL {
        return Err((
            ErrorCode::ProtocolMismatch,
            format!(
                "notify speaks protocol {} but notifyd speaks protocol {PROTOCOL}; upgrade the older one",
                hello.protocol
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advice_never_touches_a_directory_the_user_chose() {
        for unsafe_dir in [
            UnsafeDir::Mode("/tmp".into(), 0o777),
            UnsafeDir::Owner("/".into(), 0),
            UnsafeDir::Symlink("/tmp/link".into()),
        ] {
            let chosen = unsafe_dir.advice(true);
            assert!(chosen.contains(ENV_SOCKET), "{chosen}");
            assert!(
                !chosen.contains("chmod") && !chosen.contains("remove"),
                "{chosen}"
            );
        }
        let default = UnsafeDir::Mode("/run/user/1000/notify".into(), 0o755).advice(false);
        assert!(
            default.contains("chmod 700 /run/user/1000/notify"),
            "{default}"
        );
    }

    #[test]
    fn messages_are_tagged_ndjson_objects() {
        let hello = serde_json::to_string(&Hello { protocol: PROTOCOL }).expect("json");
        assert_eq!(hello, r#"{"type":"hello","protocol":1}"#);
        let wait: Request = serde_json::from_str(
            r#"{"type":"wait","operation_id":"01a2092b-ecf4-7317-aaf1-d755b3e80df0","timeout_ms":500}"#,
        )
        .expect("a wait");
        assert!(matches!(
            wait,
            Request::Wait {
                timeout_ms: 500,
                ..
            }
        ));
        let count = serde_json::to_string(&Reply::Count { unread: 3 }).expect("json");
        assert_eq!(count, r#"{"type":"count","unread":3}"#);
        let alice = UserId::parse("alice").expect("valid");
        let read = crate::event::Event::NotificationRead(crate::event::NotificationRead {});
        let envelope = Envelope::new("/t", Uuid::now_v7(), Uuid::now_v7(), alice, 3, read);
        let line = serde_json::to_string(&Reply::Event {
            event: Box::new(envelope.clone()),
        })
        .expect("json");
        let back: Reply = serde_json::from_str(&line).expect("an event reply reads back");
        assert_eq!(
            back,
            Reply::Event {
                event: Box::new(envelope)
            }
        );
        assert!(serde_json::from_str::<Request>(r#"{"type":"launch_missiles"}"#).is_err());
    }

    #[test]
    fn unsafe_directories_are_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("notify-check-{}", Uuid::now_v7()));
        std::fs::create_dir(&dir).expect("mkdir");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).expect("chmod");
        assert!(check_dir(&dir).is_ok());
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        assert!(matches!(check_dir(&dir), Err(UnsafeDir::Mode(_, 0o755))));
        let link = dir.with_extension("link");
        std::os::unix::fs::symlink(&dir, &link).expect("symlink");
        assert!(matches!(check_dir(&link), Err(UnsafeDir::Symlink(_))));
        std::fs::remove_file(&link).expect("rm link");
        std::fs::remove_dir(&dir).expect("rmdir");
    }
}
