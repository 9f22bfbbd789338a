//! Runs the real `notify` binary without a server, and against a scripted HTTP server on
//! loopback for the one thing the real server cannot be made to do on cue: fail twice and then
//! answer, so that the test sees every retry carry the same idempotency key and body.
//!
//! The scripted server is not notify-server; the end-to-end tests in `tests/` use the real one.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread::JoinHandle;

/// One request as the scripted server saw it.
#[derive(Debug)]
struct Seen {
    line: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Answers one connection per scripted answer `(status, extra headers, body)`, then stops.
/// `KEY` in a body is replaced by the request's idempotency key.
fn serve(answers: Vec<(u16, &'static str, String)>) -> (String, JoinHandle<Vec<Seen>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let handle = std::thread::spawn(move || {
        let mut seen = Vec::new();
        for (status, extra, body) in answers {
            let (stream, _) = listener.accept().expect("accept");
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut line = String::new();
            reader.read_line(&mut line).expect("request line");
            let mut headers = Vec::new();
            loop {
                let mut header = String::new();
                reader.read_line(&mut header).expect("header");
                let header = header.trim_end();
                if header.is_empty() {
                    break;
                }
                let (name, value) = header.split_once(':').expect("name: value");
                headers.push((name.to_owned(), value.trim().to_owned()));
            }
            let length = headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
                .map_or(0, |(_, v)| v.parse().expect("length"));
            let mut request_body = vec![0; length];
            reader.read_exact(&mut request_body).expect("body");
            // The answer may echo the idempotency key, as notify-server does.
            let key = headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case("idempotency-key"))
                .map_or(String::new(), |(_, v)| v.clone());
            let body = body.replace("KEY", &key);
            seen.push(Seen {
                line: line.trim_end().to_owned(),
                headers,
                body: String::from_utf8(request_body).expect("utf-8"),
            });
            let kind = if status >= 400 {
                "application/problem+json"
            } else {
                "application/json"
            };
            let answer = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: {kind}\r\ncontent-length: {}\r\nconnection: close\r\n{extra}\r\n{body}",
                body.len()
            );
            (&stream).write_all(answer.as_bytes()).expect("answer");
        }
        seen
    });
    (url, handle)
}

/// A fresh directory for one test's configuration.
fn scratch() -> PathBuf {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "notify-cli-test-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// Runs `notify` with a token (unless `token` is `None`), no config file, no daemon, and
/// `stdin`.
fn notify(args: &[&str], token: Option<&str>, stdin: &str) -> Output {
    notify_at(args, token, stdin, None)
}

/// [`notify`], with the daemon's socket at `socket` (else in a directory that does not exist).
fn notify_at(args: &[&str], token: Option<&str>, stdin: &str, socket: Option<&Path>) -> Output {
    let dir = scratch();
    let config = dir.join("config.toml");
    let socket = socket.map_or_else(|| dir.join("run/notifyd.sock"), Path::to_owned);
    let mut command = Command::new(env!("CARGO_BIN_EXE_notify"));
    command
        .args(args)
        .env_remove("NOTIFY_SERVER")
        .env_remove("NOTIFY_TOKEN")
        .env("NOTIFY_CONFIG", &config)
        .env("NOTIFYD_SOCKET", &socket)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(token) = token {
        command.env("NOTIFY_TOKEN", token);
    }
    let mut child = command.spawn().expect("spawn notify");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let output = child.wait_with_output().expect("notify ran");
    let _ = std::fs::remove_dir_all(&dir);
    output
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("utf-8")
}

const ACCEPTED: &str = r#"{"operation_id":"KEY","status":"accepted","notifications":[{"id":"00000000-0000-0000-0000-000000000001","recipient":"alice"}]}"#;
const UNAVAILABLE: &str = r#"{"type":"urn:notify:problem:unavailable","title":"Service Unavailable","status":503,"detail":"the database is unavailable"}"#;

#[test]
fn version_touches_nothing() {
    let dir = scratch();
    let config = dir.join("config.toml");
    std::fs::write(&config, "not toml at all [").expect("write");
    let output = Command::new(env!("CARGO_BIN_EXE_notify"))
        .arg("--version")
        .env("NOTIFY_CONFIG", &config)
        .output()
        .expect("ran");
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(output.status.code(), Some(0));
    assert!(text(&output.stdout).starts_with("notify "));
}

#[test]
fn a_missing_token_is_a_config_error() {
    let output = notify(&["send", "hi"], None, "");
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(text(&output.stdout), "");
    let stderr = text(&output.stderr);
    assert!(
        stderr.starts_with("notify: no api token is configured\nhint: run `notify login`"),
        "{stderr}"
    );
}

#[test]
fn limits_are_checked_before_sending() {
    // Port 1 would be exit 3 if anything were sent.
    let output = notify(
        &[
            "--server",
            "http://127.0.0.1:1",
            "send",
            "--tag",
            "a b",
            "-",
        ],
        Some("t"),
        "\n",
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("\n  body: the message is empty\n"),
        "{stderr}"
    );
    assert!(stderr.contains("\n  tags: tag \"a b\""), "{stderr}");
}

#[test]
fn retries_repeat_the_same_key_and_body() {
    let problem = || UNAVAILABLE.to_owned();
    let (url, server) = serve(vec![
        (503, "retry-after: 0\r\n", problem()),
        (502, "", problem()),
        (202, "", ACCEPTED.to_owned()),
    ]);
    let output = notify(
        &["--server", &url, "send", "--to", "alice", "-"],
        Some("tok"),
        "hello\n",
    );
    let seen = server.join().expect("server");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(seen.len(), 3);
    let key = seen[0].header("idempotency-key").expect("key");
    assert_eq!(text(&output.stdout), format!("{key}\n"));
    assert!(uuid_v7(key), "{key}");
    for request in &seen {
        assert_eq!(request.line, "POST /v1/notifications HTTP/1.1");
        assert_eq!(request.header("idempotency-key"), Some(key));
        assert_eq!(request.header("authorization"), Some("Bearer tok"));
        assert_eq!(request.body, seen[0].body);
    }
    let body: serde_json::Value = serde_json::from_str(&seen[0].body).expect("json");
    assert_eq!(body["to"], serde_json::json!(["alice"]));
    assert_eq!(body["body"], "hello");
}

fn uuid_v7(key: &str) -> bool {
    uuid::Uuid::parse_str(key).is_ok_and(|u| u.get_version_num() == 7)
}

#[test]
fn config_show_without_a_server_still_succeeds() {
    let output = notify(
        &["--server", "http://127.0.0.1:1", "config", "show"],
        Some("tok"),
        "",
    );
    assert_eq!(output.status.code(), Some(0));
    assert!(text(&output.stdout).contains("\nuser         unknown\n"));
    assert!(text(&output.stderr).starts_with("notify: could not reach the server"));
}

#[test]
fn bad_query_values_are_usage_errors_and_send_nothing() {
    // Port 1 would be exit 3 if anything were sent.
    let id = "0190f3a2-7c41-7d3e-9a5b-2f1e4c8d6b10";
    let long_search = "x".repeat(201);
    let cases: [&[&str]; 17] = [
        &["list", "--limit", "0"],
        &["list", "--limit", "201"],
        &["sent", "--limit", "0"],
        &["list", "--search", &long_search],
        &["read"],
        &["read", "--all", id],
        &["unread"],
        &["show", "not-an-id"],
        &["status", id, "--timeout", "5s"],
        &["send", "--channel", "sms", "hi"],
        &["sent", "--channel", "pager"],
        &["sent", "--address", ""],
        &["prefs", "set"],
        &["prefs", "set", "--webhook-url", "ftp://h/x"],
        &["prefs", "set", "--email", "a@b.c", "--no-email"],
        &[
            "prefs",
            "set",
            "--webhook-secret-file",
            "/nonexistent/notify-secret",
        ],
        &["prefs", "set", "--channels", "desktop,email", "--no-email"],
    ];
    for args in cases {
        let mut all = vec!["--server", "http://127.0.0.1:1"];
        all.extend_from_slice(args);
        let output = notify(&all, Some("tok"), "");
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert_eq!(text(&output.stdout), "", "{args:?}");
    }
}

#[test]
fn every_new_verb_has_help_with_examples() {
    let verbs: [&[&str]; 16] = [
        &["watch"],
        &["daemon"],
        &["daemon", "run"],
        &["daemon", "status"],
        &["daemon", "install"],
        &["send"],
        &["list"],
        &["show"],
        &["read"],
        &["unread"],
        &["count"],
        &["sent"],
        &["status"],
        &["prefs"],
        &["prefs", "show"],
        &["prefs", "set"],
    ];
    for verb in verbs {
        let verb = [verb, &["--help"]].concat();
        let output = notify(&verb, None, "");
        assert_eq!(output.status.code(), Some(0), "{verb:?}");
        let help = text(&output.stdout);
        assert!(help.contains("\nExamples:\n"), "{verb:?}: {help}");
    }
}

const POLLING: &str =
    "notify: no daemon running; polling the server (notifyd makes --wait instant)";

#[test]
fn without_a_daemon_count_asks_the_server_silently() {
    let (url, server) = serve(vec![(200, "", r#"{"unread":7}"#.to_owned())]);
    let output = notify(&["--server", &url, "count"], Some("tok"), "");
    let seen = server.join().expect("server");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout), "7\n");
    assert_eq!(text(&output.stderr), "");
    assert_eq!(seen[0].line, "GET /v1/inbox/count HTTP/1.1");
}

#[test]
fn an_unsafe_socket_directory_is_not_used_and_the_server_is_asked_instead() {
    // The scratch directory is 0755: anyone may enter it. Port 1: the server is not there
    // either, so the fallback shows as "unreachable".
    let dir = scratch();
    let socket = dir.join("notifyd.sock");
    let output = notify_at(
        &["--server", "http://127.0.0.1:1", "count"],
        Some("tok"),
        "",
        Some(&socket),
    );
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(output.status.code(), Some(3));
    let stderr = text(&output.stderr);
    assert!(
        stderr.starts_with("notify: warning: refusing to use the notifyd socket: "),
        "{stderr}"
    );
    // The user chose that directory: the advice is to choose another, not to change it.
    assert!(stderr.contains("set NOTIFYD_SOCKET"), "{stderr}");
    assert!(!stderr.contains("chmod"), "{stderr}");
}

#[test]
fn watch_and_daemon_status_need_the_daemon() {
    for args in [&["watch"][..], &["daemon", "status"]] {
        let output = notify(args, None, "");
        assert_eq!(output.status.code(), Some(3), "{args:?}");
        assert_eq!(text(&output.stdout), "", "{args:?}");
        let stderr = text(&output.stderr);
        assert!(
            stderr.starts_with("notify: no daemon is running at "),
            "{stderr}"
        );
        assert!(
            stderr.ends_with(
                "\nhint: start it: notify daemon run, or systemctl --user start notifyd\n"
            ),
            "{stderr}"
        );
    }
}

#[test]
fn only_a_wait_without_daemon_says_it_polls() {
    let id = "0190f3a2-7c41-7d3e-9a5b-2f1e4c8d6b10";
    let applied = format!(
        r#"{{"id":"{id}","kind":"read","status":"applied","notifications":[],"resolved_at":null}}"#
    );
    let (url, server) = serve(vec![(200, "", applied.clone()), (200, "", applied)]);
    let waited = notify(&["--server", &url, "status", id, "--wait"], Some("tok"), "");
    let plain = notify(&["--server", &url, "status", id], Some("tok"), "");
    server.join().expect("server");
    assert_eq!(waited.status.code(), Some(0), "{}", text(&waited.stderr));
    assert_eq!(text(&waited.stderr), format!("{POLLING}\n"));
    assert!(text(&waited.stdout).starts_with("status         applied\n"));
    assert_eq!(plain.status.code(), Some(0), "{}", text(&plain.stderr));
    assert_eq!(text(&plain.stderr), "");
}
