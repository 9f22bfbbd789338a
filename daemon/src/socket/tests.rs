//! Tests of the socket server, driven in-process on a temporary path with real
//! connections: handshake, requests, waits, watch, limits, stale sockets, unsafe directories.

use std::os::unix::fs::PermissionsExt;

use notify_shared::api::OperationStatus;
use notify_shared::event::{NotificationDispatched, NotificationRead};
use notify_shared::local::MAX_LINE;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use uuid::Uuid;

use super::*;
use crate::events::{self, DaemonEvent};
use crate::hub::{self, Hub};
use crate::paths::testing::TempDir;
use crate::receipts::drain::Receipts;
use crate::receipts::{RECEIPTS_FILE, ReceiptQueue};
use crate::testing::envelope;
use notify_shared::event::Event;
use notify_shared::local::{ErrorCode, PROTOCOL, Reply};

/// A daemon socket served in-process on a temporary path.
struct Served {
    tmp: TempDir,
    path: PathBuf,
    context: Arc<Context>,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

impl Served {
    async fn start() -> Self {
        let tmp = TempDir::new();
        let path = tmp.path().join("run/notifyd.sock");
        let receipts =
            Receipts::new(ReceiptQueue::open(&tmp.path().join(RECEIPTS_FILE)).expect("queue"));
        let context = Arc::new(Context {
            hub: Hub::shared(),
            bus: events::bus(),
            receipts,
            server: "http://127.0.0.1:8470".into(),
            started: tokio::time::Instant::now(),
        });
        let listener = bind(&path).expect("bound");
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(serve(listener, Arc::clone(&context), shutdown.clone()));
        Self {
            tmp,
            path,
            context,
            shutdown,
            task,
        }
    }

    async fn connect(&self) -> Client {
        let stream = UnixStream::connect(&self.path).await.expect("connect");
        let (read, write) = stream.into_split();
        Client {
            reader: BufReader::new(read),
            writer: write,
        }
    }

    async fn stop(self) {
        self.shutdown.cancel();
        self.task.await.expect("served");
        assert!(!self.path.exists(), "the socket file is removed");
        drop(self.tmp);
    }
}

struct Client {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
}

impl Client {
    async fn send(&mut self, line: &str) {
        self.writer.write_all(line.as_bytes()).await.expect("write");
        self.writer.write_all(b"\n").await.expect("write");
    }

    async fn line(&mut self) -> Option<String> {
        let mut line = String::new();
        let n = tokio::time::timeout(Duration::from_secs(5), self.reader.read_line(&mut line))
            .await
            .expect("an answer in time")
            .expect("read");
        (n > 0).then_some(line)
    }

    async fn reply(&mut self) -> Option<Reply> {
        let line = self.line().await?;
        Some(serde_json::from_str(&line).expect("a reply"))
    }

    /// The id of the event in the next `event` reply.
    async fn event_id(&mut self) -> Uuid {
        match self.reply().await {
            Some(Reply::Event { event }) => event.id,
            other => panic!("expected an event, got {other:?}"),
        }
    }

    async fn hello(&mut self) {
        self.send(&format!(r#"{{"type":"hello","protocol":{PROTOCOL}}}"#))
            .await;
        match self.reply().await {
            Some(Reply::Hello { protocol, .. }) => assert_eq!(protocol, PROTOCOL),
            other => panic!("expected a hello, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_protocol_mismatch_is_a_clear_error_then_close() {
    let served = Served::start().await;
    let mut client = served.connect().await;
    client.send(r#"{"type":"hello","protocol":99}"#).await;
    match client.reply().await {
        Some(Reply::Error { code, message }) => {
            assert_eq!(code, ErrorCode::ProtocolMismatch);
            assert_eq!(
                message,
                format!(
                    "notify speaks protocol 99 but notifyd speaks protocol {PROTOCOL}; upgrade the older one"
                )
            );
        }
        other => panic!("expected an error, got {other:?}"),
    }
    assert!(client.reply().await.is_none(), "closed after the error");

    let mut client = served.connect().await;
    client.send(r#"{"type":"count"}"#).await;
    assert!(matches!(
        client.reply().await,
        Some(Reply::Error {
            code: ErrorCode::BadRequest,
            ..
        })
    ));
    served.stop().await;
}

#[tokio::test]
async fn hello_then_requests() {
    let served = Served::start().await;
    {
        let mut hub = hub::lock(&served.context.hub);
        let epoch = hub.unread_epoch();
        hub.set_unread(3, epoch);
        hub.set_identity("laptop".into(), None);
    }
    let mut client = served.connect().await;
    client.hello().await;
    client.send(r#"{"type":"count"}"#).await;
    assert_eq!(client.reply().await, Some(Reply::Count { unread: 3 }));
    client.send(r#"{"type":"status"}"#).await;
    match client.reply().await {
        Some(Reply::Status(status)) => {
            assert_eq!(status.device.as_deref(), Some("laptop"));
            assert_eq!(status.server, "http://127.0.0.1:8470");
            assert!(!status.connected);
            assert_eq!(status.unread, 3);
            assert_eq!(status.pending_receipts, 0);
        }
        other => panic!("expected a status, got {other:?}"),
    }
    client.send(r#"{"type":"launch_missiles"}"#).await;
    assert!(matches!(
        client.reply().await,
        Some(Reply::Error {
            code: ErrorCode::BadRequest,
            ..
        })
    ));
    assert!(client.reply().await.is_none());
    served.stop().await;
}

#[tokio::test]
async fn waits_before_and_after_the_resolution() {
    let served = Served::start().await;
    let before = Uuid::now_v7();
    let after = Uuid::now_v7();
    hub::lock(&served.context.hub).resolve(
        after,
        OperationStatus::Delivered,
        tokio::time::Instant::now(),
    );

    let mut client = served.connect().await;
    client.hello().await;
    client
        .send(&format!(
            r#"{{"type":"wait","operation_id":"{after}","timeout_ms":60000}}"#
        ))
        .await;
    assert_eq!(
        client.reply().await,
        Some(Reply::Resolved {
            operation_id: after,
            status: OperationStatus::Delivered
        })
    );

    client
        .send(&format!(
            r#"{{"type":"wait","operation_id":"{before}","timeout_ms":60000}}"#
        ))
        .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    hub::lock(&served.context.hub).resolve(
        before,
        OperationStatus::Failed,
        tokio::time::Instant::now(),
    );
    assert_eq!(
        client.reply().await,
        Some(Reply::Resolved {
            operation_id: before,
            status: OperationStatus::Failed
        })
    );

    let never = Uuid::now_v7();
    client
        .send(&format!(
            r#"{{"type":"wait","operation_id":"{never}","timeout_ms":50}}"#
        ))
        .await;
    assert_eq!(
        client.reply().await,
        Some(Reply::TimedOut {
            operation_id: never
        })
    );
    served.stop().await;
}

#[tokio::test]
async fn watch_streams_matching_events_and_several_clients_are_served() {
    let served = Served::start().await;
    let mut watcher = served.connect().await;
    watcher.hello().await;
    watcher
        .send(r#"{"type":"watch","kinds":["notification.read"]}"#)
        .await;
    let mut everything = served.connect().await;
    everything.hello().await;
    everything.send(r#"{"type":"watch"}"#).await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    let id = Uuid::now_v7();
    let dispatched = envelope(id, Event::NotificationDispatched(NotificationDispatched {}));
    let read = envelope(id, Event::NotificationRead(NotificationRead {}));
    for event in [&dispatched, &read] {
        let _ = served
            .context
            .bus
            .send(DaemonEvent::Received(Arc::new(event.clone())));
    }
    assert_eq!(watcher.event_id().await, read.id);
    assert_eq!(everything.event_id().await, dispatched.id);
    assert_eq!(everything.event_id().await, read.id);
    // Meanwhile another client is answered.
    let mut other = served.connect().await;
    other.hello().await;
    other.send(r#"{"type":"count"}"#).await;
    assert_eq!(other.reply().await, Some(Reply::Count { unread: 0 }));
    served.stop().await;
}

#[tokio::test]
async fn a_line_that_is_too_long_is_refused() {
    let served = Served::start().await;
    let mut client = served.connect().await;
    client.hello().await;
    let long = format!(r#"{{"type":"count","pad":"{}"}}"#, "x".repeat(MAX_LINE));
    client.send(&long).await;
    match client.reply().await {
        Some(Reply::Error { code, message }) => {
            assert_eq!(code, ErrorCode::BadRequest);
            assert!(message.contains("longer than"), "{message}");
        }
        other => panic!("expected an error, got {other:?}"),
    }
    served.stop().await;
}

#[tokio::test]
async fn stale_sockets_are_replaced_and_live_ones_kept() {
    let served = Served::start().await;
    let error = bind(&served.path)
        .expect_err("a daemon answers there")
        .to_string();
    assert!(error.contains("already listening"), "{error}");
    let path = served.path.clone();
    let tmp_path = served.tmp.path().to_owned();
    served.shutdown.cancel();
    served.task.await.expect("served");

    // A socket file nobody answers on.
    let stale = std::os::unix::net::UnixListener::bind(&path).expect("bind");
    drop(stale);
    assert!(path.exists());
    let listener = bind(&path).expect("replaced");
    let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    drop(listener);
    drop(served.tmp);
    assert!(!tmp_path.exists());
}

#[tokio::test]
async fn unsafe_directories_are_refused() {
    let tmp = TempDir::new();
    let dir = tmp.path().join("open");
    std::fs::create_dir(&dir).expect("mkdir");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let error = bind(&dir.join("notifyd.sock"))
        .expect_err("unsafe")
        .to_string();
    assert!(error.contains("chmod 700"), "{error}");
    let file = tmp.path().join("file");
    std::fs::write(&file, b"x").expect("write");
    let error = bind(&file).expect_err("not a socket").to_string();
    assert!(error.contains("not a socket"), "{error}");
}
