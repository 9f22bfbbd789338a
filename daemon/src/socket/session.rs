//! One client connection: the peer-uid check, the hello, then one request per line until the
//! client hangs up (or, after `watch`, a stream of events).
//!
//! Any failure ends the connection after one `error` reply: a stranger's uid, a wrong
//! protocol number, a line that is too long or not a request. A session reads daemon state
//! through the hub and the bus; it must not change either.

use std::sync::Arc;
use std::time::Duration;

use notify_shared::event::Envelope;
use notify_shared::local::{
    DaemonStatus, ErrorCode, PROTOCOL, Reply, Request, check_hello, current_uid,
};
use notify_shared::ndjson::{LineError, read_line, write_line};
use tokio::io::{AsyncReadExt, BufReader};
use tokio::net::UnixStream;
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::broadcast::error::RecvError;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::events::{Bus, DaemonEvent};
use crate::hub::{self, SharedHub, Ticket};
use crate::receipts::drain::Receipts;

/// What sessions read.
#[derive(Debug)]
pub struct Context {
    /// The daemon state.
    pub hub: SharedHub,
    /// The event bus, for `watch`.
    pub bus: Bus,
    /// The receipt queue, for its length in `status`.
    pub receipts: Receipts,
    /// The server the daemon talks to.
    pub server: String,
    /// When the daemon started.
    pub started: Instant,
}

impl Context {
    /// The answer to `status`.
    pub fn status(&self) -> DaemonStatus {
        let hub = hub::lock(&self.hub);
        DaemonStatus {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            user: hub.user().cloned(),
            device: hub.device().map(str::to_owned),
            server: self.server.clone(),
            connected: hub.connected(),
            unread: hub.unread(),
            shown: hub.shown(),
            pending_receipts: u64::try_from(self.receipts.len()).unwrap_or(u64::MAX),
            uptime_s: self.started.elapsed().as_secs(),
        }
    }
}

fn error(code: ErrorCode, message: impl Into<String>) -> Reply {
    Reply::Error {
        code,
        message: message.into(),
    }
}

fn stopping() -> Reply {
    error(ErrorCode::Unavailable, "notifyd is stopping")
}

/// Serves one connection until the client hangs up, it errs, or `shutdown`.
pub async fn run(stream: UnixStream, context: &Context, shutdown: &CancellationToken) {
    let peer = stream.peer_cred().map(|cred| cred.uid());
    let (read, mut writer) = stream.into_split();
    let mut reader = BufReader::new(read);
    let uid = current_uid();
    if peer.as_ref().ok() != Some(&uid) {
        tracing::warn!(peer = ?peer, "refusing a connection from another user");
        let reply = error(
            ErrorCode::Unavailable,
            format!("this notifyd serves only uid {uid}"),
        );
        let _ = write_line(&mut writer, &reply).await;
        return;
    }
    let first = tokio::select! {
        first = read_line(&mut reader) => first,
        () = shutdown.cancelled() => return,
    };
    let first = match first {
        Ok(Some(first)) => first.bytes,
        Ok(None) | Err(LineError::Io(_)) => return,
        Err(LineError::TooLong) => {
            let _ = write_line(
                &mut writer,
                &error(ErrorCode::BadRequest, LineError::TooLong.to_string()),
            )
            .await;
            return;
        }
    };
    if let Err((code, message)) = check_hello(&first) {
        let _ = write_line(&mut writer, &error(code, message)).await;
        return;
    }
    let hello = Reply::Hello {
        protocol: PROTOCOL,
        version: env!("CARGO_PKG_VERSION").to_owned(),
        server: Some(context.server.clone()),
    };
    if write_line(&mut writer, &hello).await.is_err() {
        return;
    }
    loop {
        let next = tokio::select! {
            next = read_line(&mut reader) => next,
            () = shutdown.cancelled() => return,
        };
        let request = match next {
            Ok(Some(line)) => match serde_json::from_slice::<Request>(&line.bytes) {
                Ok(request) => request,
                Err(e) => {
                    let reply = error(ErrorCode::BadRequest, format!("not a request: {e}"));
                    let _ = write_line(&mut writer, &reply).await;
                    return;
                }
            },
            Ok(None) | Err(LineError::Io(_)) => return,
            Err(LineError::TooLong) => {
                let reply = error(ErrorCode::BadRequest, LineError::TooLong.to_string());
                let _ = write_line(&mut writer, &reply).await;
                return;
            }
        };
        let reply = match request {
            Request::Status => Reply::Status(context.status()),
            Request::Count => Reply::Count {
                unread: hub::lock(&context.hub).unread(),
            },
            Request::Wait {
                operation_id,
                timeout_ms,
            } => wait(context, operation_id, timeout_ms, shutdown).await,
            Request::Watch { kinds } => {
                watch(context, reader, writer, &kinds, shutdown).await;
                return;
            }
        };
        let end = matches!(reply, Reply::Error { .. });
        if write_line(&mut writer, &reply).await.is_err() || end {
            return;
        }
    }
}

/// Answers a wait: at once when the operation already resolved, else when it does, or
/// `TimedOut` after `timeout_ms`.
async fn wait(
    context: &Context,
    operation_id: Uuid,
    timeout_ms: u64,
    shutdown: &CancellationToken,
) -> Reply {
    let ticket = hub::lock(&context.hub).wait(operation_id, Instant::now());
    let receiver = match ticket {
        Ticket::Resolved(status) => {
            return Reply::Resolved {
                operation_id,
                status,
            };
        }
        Ticket::Pending(receiver) => receiver,
    };
    tokio::select! {
        resolved = receiver => match resolved {
            Ok(status) => Reply::Resolved { operation_id, status },
            Err(_) => Reply::TimedOut { operation_id },
        },
        () = tokio::time::sleep(Duration::from_millis(timeout_ms)) => Reply::TimedOut { operation_id },
        () = shutdown.cancelled() => stopping(),
    }
}

/// Streams events (of `kinds`, or all) until the client hangs up.
async fn watch(
    context: &Context,
    mut reader: BufReader<OwnedReadHalf>,
    mut writer: OwnedWriteHalf,
    kinds: &[String],
    shutdown: &CancellationToken,
) {
    let mut events = context.bus.subscribe();
    let wanted =
        |envelope: &Envelope| kinds.is_empty() || kinds.iter().any(|k| k == envelope.event.kind());
    let mut discard = [0u8; 4096];
    loop {
        tokio::select! {
            () = shutdown.cancelled() => {
                let _ = write_line(&mut writer, &stopping()).await;
                return;
            }
            read = reader.read(&mut discard) => match read {
                // The client hung up (anything it sends while watching is ignored).
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            },
            received = events.recv() => match received {
                Ok(DaemonEvent::Received(envelope)) if wanted(&envelope) => {
                    let reply = Reply::Event {
                        event: Box::new(Arc::unwrap_or_clone(envelope)),
                    };
                    if write_line(&mut writer, &reply).await.is_err() {
                        return;
                    }
                }
                Ok(_) => {}
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "a watch client fell behind and missed events");
                }
                Err(RecvError::Closed) => return,
            },
        }
    }
}
