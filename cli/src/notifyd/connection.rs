//! One connection to notifyd: the socket directory check, the hello, and NDJSON lines both ways.
//!
//! It must not talk to a daemon whose socket directory is unsafe or whose hello disagrees.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use notify_shared::local::{Hello, MAX_LINE, PROTOCOL, Reply, Request, UnsafeDir, check_dir};
use notify_shared::ndjson::{Line, LineError, read_line, write_line};
use serde::Serialize;
use tokio::io::BufReader;
use tokio::net::UnixStream;

use super::HANDSHAKE_TIMEOUT;
use crate::client::phrase;
use crate::error::DaemonError;

/// A connection past the hello.
#[derive(Debug)]
pub struct Connection {
    stream: BufReader<UnixStream>,
    socket: PathBuf,
    /// The daemon's version, as its hello said.
    pub version: String,
}

impl Connection {
    /// Checks the socket's directory, connects and says hello, all within
    /// [`HANDSHAKE_TIMEOUT`]; a daemon that says it serves another server than `server` is
    /// refused.
    pub async fn open(socket: &Path, server: Option<&str>) -> Result<Self, DaemonError> {
        check_parent(socket)?;
        tokio::time::timeout(HANDSHAKE_TIMEOUT, Self::handshake(socket, server))
            .await
            .unwrap_or_else(|_| {
                Err(DaemonError::Hung {
                    socket: socket.to_owned(),
                    after: HANDSHAKE_TIMEOUT,
                })
            })
    }

    async fn handshake(socket: &Path, server: Option<&str>) -> Result<Self, DaemonError> {
        let stream = UnixStream::connect(socket)
            .await
            .map_err(|e| connect_error(socket, &e))?;
        let mut connection = Self {
            stream: BufReader::new(stream),
            socket: socket.to_owned(),
            version: String::new(),
        };
        connection.write(&Hello { protocol: PROTOCOL }).await?;
        match connection.next().await? {
            Reply::Hello {
                protocol,
                version,
                server: theirs,
            } if protocol == PROTOCOL => match (theirs, server) {
                (Some(daemon), Some(asked)) if !same_server(&daemon, asked) => {
                    Err(DaemonError::OtherServer {
                        daemon,
                        asked: asked.to_owned(),
                    })
                }
                _ => {
                    connection.version = version;
                    Ok(connection)
                }
            },
            Reply::Hello {
                protocol, version, ..
            } => Err(DaemonError::Mismatch {
                message: format!(
                    "notifyd {version} speaks protocol {protocol}, this notify speaks {PROTOCOL}"
                ),
            }),
            other => Err(connection.unexpected(&other, "a hello")),
        }
    }

    /// Sends one request.
    pub async fn send(&mut self, request: &Request) -> Result<(), DaemonError> {
        self.write(request).await
    }

    /// The next reply; an error reply becomes the error it names, and a hang-up
    /// [`DaemonError::Stopped`].
    pub async fn next(&mut self) -> Result<Reply, DaemonError> {
        let line = match read_line(&mut self.stream).await {
            Ok(Some(Line {
                bytes,
                terminated: true,
            })) => bytes,
            Ok(Some(_)) => {
                return Err(DaemonError::Stopped {
                    reason: Some("it hung up in the middle of a line".into()),
                });
            }
            Ok(None) => return Err(DaemonError::Stopped { reason: None }),
            Err(LineError::TooLong) => {
                return Err(self.malformed(format!("a line longer than {MAX_LINE} bytes")));
            }
            Err(LineError::Io(e)) => return Err(stopped(e)),
        };
        match serde_json::from_slice(&line) {
            Ok(Reply::Error { code, message }) => Err(refusal(code, message)),
            Ok(reply) => Ok(reply),
            Err(e) => Err(self.malformed(format!("a line that is not a reply ({e})"))),
        }
    }

    /// [`DaemonError::Malformed`] for a reply that is not the one expected.
    pub fn unexpected(&self, reply: &Reply, expected: &str) -> DaemonError {
        let kind = serde_json::to_value(reply)
            .ok()
            .and_then(|v| v.get("type")?.as_str().map(str::to_owned))
            .unwrap_or_else(|| "?".into());
        self.malformed(format!("a {kind} reply where {expected} was due"))
    }

    fn malformed(&self, what: String) -> DaemonError {
        DaemonError::Malformed {
            socket: self.socket.clone(),
            what,
        }
    }

    async fn write(&mut self, message: &impl Serialize) -> Result<(), DaemonError> {
        write_line(self.stream.get_mut(), message)
            .await
            .map_err(stopped)
    }
}

/// The socket's directory must be safe; a missing one only means no daemon.
fn check_parent(socket: &Path) -> Result<(), DaemonError> {
    let dir = match socket.parent() {
        Some(dir) if dir.as_os_str().is_empty() => Path::new("."),
        Some(dir) => dir,
        None => {
            return Err(DaemonError::NotRunning {
                socket: socket.to_owned(),
                reason: "that is no socket path".into(),
            });
        }
    };
    match check_dir(dir) {
        Ok(()) => Ok(()),
        Err(UnsafeDir::Io(_, e)) if e.kind() == ErrorKind::NotFound => {
            Err(DaemonError::NotRunning {
                socket: socket.to_owned(),
                reason: format!("{} does not exist", dir.display()),
            })
        }
        Err(unsafe_dir) => Err(DaemonError::Unsafe(unsafe_dir)),
    }
}

/// Whether two server URLs name the same server (a trailing `/` aside).
fn same_server(a: &str, b: &str) -> bool {
    a.trim_end_matches('/')
        .eq_ignore_ascii_case(b.trim_end_matches('/'))
}

/// No socket file or nobody listening: not running. Anything else is worth a word.
fn connect_error(socket: &Path, error: &std::io::Error) -> DaemonError {
    let reason = phrase(&error.to_string());
    match error.kind() {
        ErrorKind::NotFound | ErrorKind::ConnectionRefused => DaemonError::NotRunning {
            socket: socket.to_owned(),
            reason,
        },
        _ => DaemonError::Connect {
            socket: socket.to_owned(),
            reason,
        },
    }
}

fn stopped(error: std::io::Error) -> DaemonError {
    DaemonError::Stopped {
        reason: Some(phrase(&error.to_string())),
    }
}

fn refusal(code: notify_shared::local::ErrorCode, message: String) -> DaemonError {
    match code {
        notify_shared::local::ErrorCode::ProtocolMismatch => DaemonError::Mismatch { message },
        code => DaemonError::Refused { code, message },
    }
}
