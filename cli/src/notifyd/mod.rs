//! The client of notifyd, the per-user daemon, over its local socket (NDJSON, see
//! `notify_shared::local`).
//!
//! Each request opens its own connection: the socket directory is checked, then a hello within
//! [`HANDSHAKE_TIMEOUT`] so a hung daemon cannot hang the CLI. Failures are classified
//! ([`DaemonError::falls_back`]): commands that the server can also answer (`count`, `--wait`)
//! ask it instead when there is no daemon, and report a daemon that is there but unusable.
//! This module never prints except `-v` notes on stderr.

mod connection;

use std::path::{Path, PathBuf};
use std::time::Duration;

use notify_shared::api::OperationStatus;
use notify_shared::event::Envelope;
use notify_shared::local::{DaemonStatus, Reply, Request, socket_path};
use tokio::time::Instant;
use uuid::Uuid;

pub use crate::error::DaemonError;
pub use connection::Connection;

use crate::error::Error;
use crate::output::{note, tell};

/// How long connecting and the hello may take together.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_millis(200);
/// How long the answer to `status` or `count` may take: the daemon has it at hand.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(1);
/// How long after its own deadline a wait's answer may still come before the daemon counts as
/// hung.
const WAIT_GRACE: Duration = Duration::from_secs(2);

/// Where notifyd listens, and whether to say what happens (`-v`).
#[derive(Debug, Clone)]
pub struct Daemon {
    socket: PathBuf,
    verbose: bool,
    /// The server the caller talks to: a daemon of another one is not asked.
    server: Option<String>,
}

impl Daemon {
    /// The daemon at the usual socket (`$NOTIFYD_SOCKET`, else under `$XDG_RUNTIME_DIR`), if
    /// it serves `server`.
    pub fn local(server: &str, verbose: bool) -> Self {
        Self {
            server: Some(server.to_owned()),
            ..Self::at(socket_path(), verbose)
        }
    }

    /// The daemon at `socket`.
    pub fn at(socket: impl Into<PathBuf>, verbose: bool) -> Self {
        Self {
            socket: socket.into(),
            verbose,
            server: None,
        }
    }

    /// The socket path.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// `request`'s one reply, which should come at once.
    async fn ask(&self, request: &Request) -> Result<(Connection, Reply), DaemonError> {
        let mut connection = self.open(request).await?;
        match tokio::time::timeout(ANSWER_TIMEOUT, connection.next()).await {
            Ok(reply) => Ok((connection, reply?)),
            Err(_) => Err(DaemonError::Hung {
                socket: self.socket.clone(),
                after: ANSWER_TIMEOUT,
            }),
        }
    }

    /// A connection past the hello, with `request` sent.
    async fn open(&self, request: &Request) -> Result<Connection, DaemonError> {
        let mut connection = Connection::open(&self.socket, self.server.as_deref()).await?;
        note(
            self.verbose,
            format_args!(
                "connected to notifyd {} at {}",
                connection.version,
                self.socket.display()
            ),
        );
        connection.send(request).await?;
        Ok(connection)
    }

    /// How the daemon is doing.
    pub async fn status(&self) -> Result<DaemonStatus, DaemonError> {
        match self.ask(&Request::Status).await? {
            (_, Reply::Status(status)) => Ok(status),
            (connection, other) => Err(connection.unexpected(&other, "a status")),
        }
    }

    /// The unread count the daemon keeps.
    pub async fn count(&self) -> Result<u64, DaemonError> {
        match self.ask(&Request::Count).await? {
            (_, Reply::Count { unread }) => Ok(unread),
            (connection, other) => Err(connection.unexpected(&other, "a count")),
        }
    }

    /// Registers a wait for `operation`, answered when it resolves or after `timeout`.
    /// Register before sending the command: the daemon answers a wait for a resolution that
    /// arrived before it too, but only for a while.
    pub async fn wait(&self, operation: Uuid, timeout: Duration) -> Result<Waiter, DaemonError> {
        let timeout_ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        let request = Request::Wait {
            operation_id: operation,
            timeout_ms,
        };
        Ok(Waiter {
            operation,
            connection: self.open(&request).await?,
            deadline: Instant::now() + timeout,
        })
    }

    /// Starts streaming the user's events of `kinds` (all when empty).
    pub async fn watch(&self, kinds: Vec<String>) -> Result<Events, DaemonError> {
        let connection = self.open(&Request::Watch { kinds }).await?;
        Ok(Events { connection })
    }
}

/// What became of a wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The operation reached this final state.
    Resolved(OperationStatus),
    /// The time ran out first.
    TimedOut,
}

/// A wait registered with the daemon, for one operation.
#[derive(Debug)]
pub struct Waiter {
    operation: Uuid,
    connection: Connection,
    /// When the daemon's own timeout runs out.
    deadline: Instant,
}

impl Waiter {
    /// The operation waited for.
    pub fn operation(&self) -> Uuid {
        self.operation
    }

    /// The daemon's answer. A daemon silent well past the deadline counts as stopped.
    pub async fn outcome(&mut self) -> Result<Outcome, DaemonError> {
        let answer = tokio::time::timeout_at(self.deadline + WAIT_GRACE, self.connection.next());
        let reply = answer.await.map_err(|_| DaemonError::Stopped {
            reason: Some("it did not answer the wait".into()),
        })??;
        match reply {
            Reply::Resolved {
                operation_id,
                status,
            } if operation_id == self.operation => Ok(Outcome::Resolved(status)),
            Reply::TimedOut { operation_id } if operation_id == self.operation => {
                Ok(Outcome::TimedOut)
            }
            other => Err(self.connection.unexpected(
                &other,
                &format!("the answer to the wait for {}", self.operation),
            )),
        }
    }
}

/// A stream of events from the daemon.
#[derive(Debug)]
pub struct Events {
    connection: Connection,
}

impl Events {
    /// The next event; [`DaemonError::Stopped`] when the daemon hangs up.
    pub async fn next(&mut self) -> Result<Envelope, DaemonError> {
        match self.connection.next().await? {
            Reply::Event { event } => Ok(*event),
            other => Err(self.connection.unexpected(&other, "an event")),
        }
    }
}

/// `Some(answer)` from the daemon, or `None` when the server should answer instead (said under
/// `-v`); an error when the daemon is there but unusable.
pub fn or_fallback<T>(answer: Result<T, DaemonError>, verbose: bool) -> Result<Option<T>, Error> {
    match answer {
        Ok(value) => Ok(Some(value)),
        // A misconfigured socket is worth saying even without -v: the user set it up so.
        Err(error @ DaemonError::Unsafe(_)) => {
            tell(format_args!(
                "notify: warning: {error}; asking the server instead\nhint: {}",
                error.hint()
            ));
            Ok(None)
        }
        Err(error) if error.falls_back() => {
            note(verbose, format_args!("{error}; asking the server"));
            Ok(None)
        }
        Err(error) => Err(error.into()),
    }
}

#[cfg(test)]
mod tests;
