//! The client against a scripted daemon on a temporary socket: the hello, the classification
//! of failures into "ask the server instead" and "fix this", and each request's answer. The
//! real notifyd is exercised by the end-to-end tests.

use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::PathBuf;

use notify_shared::api::OperationStatus;
use notify_shared::local::{MAX_LINE, Request, UnsafeDir};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixListener;
use tokio::task::JoinHandle;

use super::*;
use crate::exit::Exit;

const HELLO: &str = r#"{"type":"hello","protocol":1,"version":"0.1.0"}"#;

/// A fresh directory only this user may enter, and the socket path in it.
fn socket() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("notify-daemon-{}", Uuid::now_v7().simple()));
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&dir)
        .expect("mkdir");
    dir.join("notifyd.sock")
}

fn cleanup(socket: &Path) {
    let _ = std::fs::remove_dir_all(socket.parent().expect("dir"));
}

/// A daemon that answers one connection: `hello` to the first line, then `replies` to the
/// second, then hangs up; an empty line in the script is silence instead. Returns the lines
/// it read.
fn serve(socket: &Path, hello: &'static str, replies: Vec<String>) -> JoinHandle<Vec<String>> {
    let listener = UnixListener::bind(socket).expect("bind");
    tokio::spawn(async move {
        let (stream, _) = listener.accept().await.expect("accept");
        let mut stream = BufReader::new(stream);
        let mut seen = Vec::new();
        for answer in [vec![hello.to_owned()], replies] {
            let mut line = String::new();
            if stream.read_line(&mut line).await.expect("read") == 0 {
                break;
            }
            seen.push(line.trim_end().to_owned());
            for reply in answer {
                if reply.is_empty() {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    return seen;
                }
                // The client may hang up first (on a line too long): not the test's failure.
                let line = format!("{reply}\n");
                if stream.get_mut().write_all(line.as_bytes()).await.is_err() {
                    return seen;
                }
            }
        }
        seen
    })
}

fn daemon(socket: &Path) -> Daemon {
    Daemon::at(socket, false)
}

#[tokio::test]
async fn count_after_a_hello() {
    let socket = socket();
    let server = serve(
        &socket,
        HELLO,
        vec![r#"{"type":"count","unread":3}"#.into()],
    );
    assert_eq!(daemon(&socket).count().await.expect("count"), 3);
    let seen = server.await.expect("server");
    assert_eq!(
        seen,
        [r#"{"type":"hello","protocol":1}"#, r#"{"type":"count"}"#]
    );
    cleanup(&socket);
}

#[tokio::test]
async fn another_protocol_is_an_error_to_fix_not_a_fallback() {
    for hello in [
        r#"{"type":"error","code":"protocol_mismatch","message":"notifyd 0.2.0 speaks protocol 2, the client 1"}"#,
        r#"{"type":"hello","protocol":2,"version":"0.2.0"}"#,
    ] {
        let socket = socket();
        let _server = serve(&socket, hello, vec![]);
        let error = daemon(&socket).count().await.expect_err("mismatch");
        assert!(matches!(error, DaemonError::Mismatch { .. }), "{error}");
        assert!(!error.falls_back());
        assert!(error.to_string().contains("protocol 2"), "{error}");
        let error = Error::from(error);
        assert_eq!(error.exit_code(), Exit::Usage);
        assert!(error.hint().expect("hint").contains("restart"));
        cleanup(&socket);
    }
}

#[tokio::test]
async fn no_daemon_means_asking_the_server() {
    let missing_dir = std::env::temp_dir()
        .join(format!("notify-daemon-{}", Uuid::now_v7().simple()))
        .join("notifyd.sock");
    let no_socket = socket();
    let refused = socket();
    drop(std::os::unix::net::UnixListener::bind(&refused).expect("bind"));
    for socket in [&missing_dir, &no_socket, &refused] {
        let error = daemon(socket).count().await.expect_err("no daemon");
        assert!(
            matches!(error, DaemonError::NotRunning { .. }),
            "{}: {error}",
            socket.display()
        );
        assert!(error.falls_back());
        assert!(matches!(or_fallback(Err::<u64, _>(error), false), Ok(None)));
    }
    let error = Error::from(daemon(&refused).status().await.expect_err("no daemon"));
    assert_eq!(error.exit_code(), Exit::Unreachable);
    assert_eq!(error.hint().as_deref(), Some(crate::error::START_HINT));
    cleanup(&no_socket);
    cleanup(&refused);
}

#[tokio::test]
async fn an_unsafe_directory_is_refused_before_connecting() {
    let socket = socket();
    let dir = socket.parent().expect("dir");
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let error = daemon(&socket).count().await.expect_err("unsafe");
    assert!(
        matches!(error, DaemonError::Unsafe(UnsafeDir::Mode(_, 0o755))),
        "{error}"
    );
    assert!(error.falls_back(), "the server knows the same");
    assert!(matches!(or_fallback(Err::<u64, _>(error), false), Ok(None)));
    cleanup(&socket);
}

#[tokio::test]
async fn a_hung_daemon_is_given_up_on_quickly() {
    for (hello, replies, after) in [
        ("", vec![], HANDSHAKE_TIMEOUT),
        (HELLO, vec![String::new()], ANSWER_TIMEOUT),
    ] {
        let socket = socket();
        let _server = serve(&socket, hello, replies);
        let started = std::time::Instant::now();
        let error = daemon(&socket).count().await.expect_err("hung");
        assert!(
            matches!(error, DaemonError::Hung { after: a, .. } if a == after),
            "{error}"
        );
        assert!(error.falls_back());
        assert!(started.elapsed() < after + Duration::from_millis(500));
        cleanup(&socket);
    }
}

#[tokio::test]
async fn nonsense_on_the_socket_is_an_error() {
    for (hello, replies) in [
        ("HTTP/1.1 400 Bad Request", vec![]),
        (HELLO, vec![r#"{"type":"resolved"}"#.to_owned()]),
        (HELLO, vec![r#"{"type":"count","unread":-1}"#.to_owned()]),
        (HELLO, vec![format!("\"{}\"", "x".repeat(MAX_LINE))]),
    ] {
        let socket = socket();
        let _server = serve(&socket, hello, replies);
        let error = daemon(&socket).status().await.expect_err("malformed");
        assert!(matches!(error, DaemonError::Malformed { .. }), "{error}");
        assert!(!error.falls_back());
        assert_eq!(Error::from(error).exit_code(), Exit::Failed);
        cleanup(&socket);
    }
}

#[tokio::test]
async fn a_wait_is_answered_by_its_resolution() {
    let operation = Uuid::now_v7();
    let resolved = format!(
        r#"{{"type":"resolved","operation_id":"{operation}","status":"partially_delivered"}}"#
    );
    let socket = socket();
    let server = serve(&socket, HELLO, vec![resolved]);
    let mut waiter = daemon(&socket)
        .wait(operation, Duration::from_secs(30))
        .await
        .expect("registered");
    assert_eq!(
        waiter.outcome().await.expect("outcome"),
        Outcome::Resolved(OperationStatus::PartiallyDelivered)
    );
    let seen = server.await.expect("server");
    let request: Request = serde_json::from_str(&seen[1]).expect("a request");
    assert_eq!(
        request,
        Request::Wait {
            operation_id: operation,
            timeout_ms: 30_000
        }
    );
    cleanup(&socket);
}

#[tokio::test]
async fn a_wait_times_out_or_falls_back_when_the_daemon_goes() {
    let operation = Uuid::now_v7();
    let cases = [
        (
            vec![format!(
                r#"{{"type":"timed_out","operation_id":"{operation}"}}"#
            )],
            Ok(Outcome::TimedOut),
        ),
        (vec![], Err(true)),
        (
            vec![r#"{"type":"error","code":"unavailable","message":"not registered yet"}"#.into()],
            Err(true),
        ),
        (
            vec![format!(
                r#"{{"type":"timed_out","operation_id":"{}"}}"#,
                Uuid::nil()
            )],
            Err(false),
        ),
    ];
    for (replies, expected) in cases {
        let socket = socket();
        let _server = serve(&socket, HELLO, replies);
        let mut waiter = daemon(&socket)
            .wait(operation, Duration::from_secs(1))
            .await
            .expect("registered");
        let outcome = waiter.outcome().await.map_err(|e| e.falls_back());
        assert_eq!(outcome, expected);
        cleanup(&socket);
    }
}

#[tokio::test]
async fn watch_asks_for_the_kinds_and_ends_when_the_daemon_hangs_up() {
    // Events themselves are covered end to end (tests/tests/e2e/daemon.rs) with the real daemon.
    let socket = socket();
    let server = serve(&socket, HELLO, vec![]);
    let mut events = daemon(&socket)
        .watch(vec!["notification.read".into()])
        .await
        .expect("watching");
    let error = events.next().await.expect_err("hung up");
    assert!(
        matches!(error, DaemonError::Stopped { reason: None }),
        "{error}"
    );
    assert_eq!(error.to_string(), "notifyd stopped");
    assert_eq!(Error::from(error).exit_code(), Exit::Unreachable);
    let seen = server.await.expect("server");
    assert_eq!(seen[1], r#"{"type":"watch","kinds":["notification.read"]}"#);
    cleanup(&socket);
}
