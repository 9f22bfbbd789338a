//! notifyd against everything real: the server, RabbitMQ, and dunst on a private D-Bus session
//! under Xvfb. Popups, receipts, "Mark read", exactly-once after kill -9, reconnection, the
//! summary popup, markup, and the local socket's protections.

use std::time::Duration;

use futures::StreamExt;
use notify_tests::TestEnv;
use notify_tests::api::Api;
use notify_tests::cli::{run, stderr, stdout};
use notify_tests::daemon::DaemonHome;
use notify_tests::desktop::Desktop;
use notify_tests::proxy::Proxy;
use notify_tests::server::Server;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

async fn server(env: &TestEnv, extra: &[(&str, &str)]) -> Server {
    let mut vars = vec![("NOTIFY_SERVER_DELIVERY__SWEEP_MS", "100")];
    vars.extend_from_slice(extra);
    env.start_server_with("api,relay,projector,dispatcher", &vars)
        .await
}

/// One test's world: a server, user `alice` with her token and api client, a desktop and a
/// home for her daemon (each test starts the daemon itself). Keep `env` alive to the end.
struct Scene {
    /// Held for its `Drop`: the databases and vhost live as long as the scene.
    _env: TestEnv,
    server: Server,
    token: String,
    alice: Api,
    desktop: Desktop,
    home: DaemonHome,
}

impl Scene {
    /// Starts alice's daemon.
    async fn daemon(&self) -> notify_tests::daemon::Daemon {
        self.home
            .start(self.server.url(), &self.token, &self.desktop)
            .await
    }

    async fn new(extra: &[(&str, &str)]) -> Self {
        let env = TestEnv::new().await;
        let server = server(&env, extra).await;
        let token = env.add_user("alice", "send,inbox").await;
        let alice = Api::new(server.url(), &token);
        Self {
            _env: env,
            server,
            token,
            alice,
            desktop: Desktop::start().await,
            home: DaemonHome::new(),
        }
    }
}

/// Waits until dunst's history (after closing what is on screen) has `n` popups.
async fn popups(desktop: &Desktop, n: usize) -> Vec<notify_tests::desktop::Popup> {
    for _ in 0..200 {
        desktop.close_all().await;
        let popups = desktop.popups().await;
        if popups.len() >= n {
            return popups;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("only {:?} of {n} popups", desktop.popups().await);
}

#[tokio::test]
async fn a_send_pops_up_once_and_send_wait_returns_delivered() {
    let scene = Scene::new(&[]).await;
    let _daemon = scene.daemon().await;

    let sent = run(
        scene.home.notify(scene.server.url(), &scene.token),
        &[
            "send",
            "--wait",
            "--title",
            "Deploy",
            "--priority",
            "urgent",
            "Deploy of api finished",
        ],
    )
    .await;
    assert_eq!(
        sent.status.code(),
        Some(0),
        "delivered once the popup is shown: {}",
        stderr(&sent)
    );
    assert!(
        !stderr(&sent).contains("no daemon running"),
        "the wait went through the daemon: {}",
        stderr(&sent)
    );
    assert_eq!(scene.desktop.displayed().await, 1);
    let shown = popups(&scene.desktop, 1).await;
    assert_eq!(shown.len(), 1, "one popup: {shown:?}");
    assert_eq!(
        (shown[0].summary.as_str(), shown[0].body.as_str()),
        ("Deploy", "Deploy of api finished")
    );
    assert_eq!(shown[0].urgency, "CRITICAL");

    let count = run(
        scene.home.notify(scene.server.url(), &scene.token),
        &["-v", "count"],
    )
    .await;
    assert_eq!(stdout(&count), "1\n", "{}", stderr(&count));
    let said = stderr(&count);
    assert!(
        said.contains("connected to notifyd") && !said.contains("/v1/inbox/count"),
        "the count comes from the daemon, not the server: {said}"
    );
}

#[tokio::test]
async fn mark_read_on_the_popup_reads_it_and_reading_it_elsewhere_closes_the_popup() {
    let scene = Scene::new(&[]).await;
    let _daemon = scene.daemon().await;

    let first = scene
        .alice
        .send(&["alice"], "click me", json!({"title": "First"}))
        .await;
    scene.desktop.wait_displayed(1).await;
    scene.desktop.click().await;
    scene
        .alice
        .wait_for(
            &format!("/v1/notifications/{}", first[0]),
            "read through the popup",
            |n| n["read_at"].is_string(),
        )
        .await;

    let second = scene
        .alice
        .send(&["alice"], "read me elsewhere", json!({"title": "Second"}))
        .await;
    scene.desktop.wait_displayed(1).await;
    let read = run(
        scene.home.notify(scene.server.url(), &scene.token),
        &["read", &second[0].to_string(), "--wait"],
    )
    .await;
    assert!(read.status.success(), "{}", stderr(&read));
    for _ in 0..100 {
        if scene.desktop.displayed().await == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the popup stayed open after the notification was read elsewhere");
}

#[tokio::test]
async fn a_daemon_killed_while_holding_deliveries_shows_none_twice_after_restart() {
    let scene = Scene::new(&[]).await;
    let mut daemon = scene.daemon().await;

    let mut operations = Vec::new();
    for i in 0..4 {
        operations.push(
            scene
                .alice
                .send_operation(
                    &["alice"],
                    &format!("message {i}"),
                    json!({"title": format!("N{i}")}),
                )
                .await
                .0,
        );
    }
    daemon.wait_log("popup").await;
    daemon.kill9().await;
    let _restarted = scene.daemon().await;
    for operation in &operations {
        scene.alice.wait_operation(operation, "delivered").await;
    }
    // Every delivery was receipted (above). A popup the daemon had recorded as seen but not
    // yet shown when it was killed is lost by design (never shown twice; it stays in the
    // inbox): with one popup shown at a time, that is one at most.
    popups(&scene.desktop, 3).await;
    // Time for a fourth, or for a popup shown twice.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let shown = popups(&scene.desktop, 3).await;
    let mut titles: Vec<&str> = shown.iter().map(|p| p.summary.as_str()).collect();
    titles.sort_unstable();
    let mut distinct = titles.clone();
    distinct.dedup();
    assert_eq!(distinct, titles, "none twice: {shown:?}");
    assert!(
        titles.len() >= 3 && titles.iter().all(|t| ["N0", "N1", "N2", "N3"].contains(t)),
        "each once, but for at most one lost to the kill: {shown:?}"
    );
}

#[tokio::test]
async fn the_daemon_reconnects_after_losing_the_broker_and_shows_what_was_sent_meanwhile_once() {
    let env = TestEnv::new().await;
    let mut proxy = Proxy::start("127.0.0.1:5672").await;
    let public = format!("amqp://127.0.0.1:{}/{}", proxy.address.port(), env.name);
    let server = server(&env, &[("NOTIFY_SERVER_DEVICES__PUBLIC_URL", &public)]).await;
    let token = env.add_user("alice", "send,inbox").await;
    let alice = Api::new(server.url(), &token);
    let desktop = Desktop::start().await;
    let home = DaemonHome::new();
    let daemon = home.start(server.url(), &token, &desktop).await;

    alice
        .send(&["alice"], "before", json!({"title": "Before"}))
        .await;
    popups(&desktop, 1).await;
    proxy.cut();
    let mut operations = Vec::new();
    for i in 0..3 {
        operations.push(
            alice
                .send_operation(
                    &["alice"],
                    "meanwhile",
                    json!({"title": format!("Meanwhile {i}")}),
                )
                .await
                .0,
        );
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    proxy.restore().await;
    for operation in &operations {
        alice.wait_operation(operation, "delivered").await;
    }
    let shown = popups(&desktop, 4).await;
    assert_eq!(shown.len(), 4, "each once: {shown:?}");
    assert!(daemon.connections() >= 2, "it reconnected");
}

#[tokio::test]
async fn receipts_wait_out_an_unreachable_api_and_each_arrives_once() {
    let env = TestEnv::new().await;
    let server = server(&env, &[]).await;
    let token = env.add_user("alice", "send,inbox").await;
    let alice = Api::new(server.url(), &token);
    let desktop = Desktop::start().await;
    let home = DaemonHome::new();
    let target = server.url().trim_start_matches("http://").to_owned();
    let mut proxy = Proxy::start(&target).await;
    let daemon = home
        .start(&format!("http://{}", proxy.address), &token, &desktop)
        .await;
    let (before, _) = alice.send_operation(&["alice"], "before", json!({})).await;
    alice.wait_operation(&before, "delivered").await;

    // notifyd cannot reach the api: the popups still show, their receipts wait. More than
    // notifyd sends at once, so that it has to come back for the rest.
    proxy.cut();
    let mut sent = Vec::new();
    for i in 0..12 {
        sent.push(
            alice
                .send_operation(&["alice"], &format!("while cut {i}"), json!({}))
                .await,
        );
    }
    daemon.wait_log("cannot send a receipt yet; retrying").await;
    let (operation, _) = &sent[0];
    let (_, status) = alice.get(&format!("/v1/operations/{operation}")).await;
    assert_ne!(
        status["status"], "delivered",
        "no receipt got through: {status}"
    );

    proxy.restore().await;
    for (operation, ids) in &sent {
        alice.wait_operation(operation, "delivered").await;
        assert_eq!(
            env.count_events("delivery.succeeded", Some(ids[0])).await,
            1,
            "one receipt recorded for {operation}"
        );
    }
}

#[tokio::test]
async fn fifty_notifications_queued_while_stopped_become_one_summary_popup() {
    let scene = Scene::new(&[]).await;
    let mut daemon = scene.daemon().await;
    assert!(
        daemon.terminate().await.success(),
        "SIGTERM is a clean exit"
    );

    let mut last = String::new();
    for i in 0..50 {
        last = scene
            .alice
            .send_operation(&["alice"], &format!("queued {i}"), json!({}))
            .await
            .0;
    }
    // Wait until the dispatcher has requested the last desktop delivery, so all 50 wait in the queue.
    scene.alice.wait_operation(&last, "dispatched").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let _daemon = scene.daemon().await;
    scene.alice.wait_operation(&last, "delivered").await;
    let shown = popups(&scene.desktop, 1).await;
    assert_eq!(shown.len(), 1, "one summary popup, not a flood: {shown:?}");
    assert!(shown[0].summary.contains("50"), "{shown:?}");
}

#[tokio::test]
async fn a_live_flood_becomes_summary_popups_and_every_notification_is_receipted() {
    let scene = Scene::new(&[]).await;
    let _daemon = scene.daemon().await;
    let sends = (0..200).map(|i| {
        let alice = &scene.alice;
        async move {
            alice
                .send_operation(&["alice"], &format!("flood {i}"), json!({}))
                .await
                .0
        }
    });
    let operations: Vec<String> = futures::stream::iter(sends)
        .buffer_unordered(20)
        .collect()
        .await;
    // Delivered means the desktop receipt of each came back from the daemon.
    for operation in &operations {
        scene.alice.wait_operation(operation, "delivered").await;
    }
    let shown = popups(&scene.desktop, 1).await;
    assert!(
        shown.len() < 50,
        "a flood is summarised, not shown one by one: {} popups",
        shown.len()
    );
    assert!(
        shown
            .iter()
            .any(|p| p.summary.ends_with(" new notifications")),
        "{shown:?}"
    );
}

#[tokio::test]
async fn markup_in_a_title_or_body_shows_as_text() {
    let scene = Scene::new(&[]).await;
    let _daemon = scene.daemon().await;

    scene
        .alice
        .send(
            &["alice"],
            "<i>not italic</i> & \u{202e}reversed",
            json!({"title": "<b>not bold</b>\u{200b} & co\u{2028}ltd"}),
        )
        .await;
    let shown = popups(&scene.desktop, 1).await;
    // The summary is plain text by the specification: sent as is, shown literally, without
    // the invisible zero-width space and with the line separator as a blank.
    assert_eq!(shown[0].summary, "<b>not bold</b> & co ltd");
    // The body may hold markup, so it is escaped; the bidi override is gone.
    assert_eq!(
        shown[0].body,
        "&lt;i&gt;not italic&lt;/i&gt; &amp; reversed"
    );
}

#[tokio::test]
async fn the_socket_refuses_another_uid_and_a_wrong_protocol_clearly() {
    let scene = Scene::new(&[]).await;
    let _daemon = scene.daemon().await;

    let stream = tokio::net::UnixStream::connect(&scene.home.socket)
        .await
        .expect("connect");
    let (read, mut write) = stream.into_split();
    write
        .write_all(b"{\"type\":\"hello\",\"protocol\":999}\n")
        .await
        .expect("write");
    let mut lines = BufReader::new(read).lines();
    let line = tokio::time::timeout(Duration::from_secs(5), lines.next_line())
        .await
        .expect("an answer, not a hang")
        .expect("read");
    let reply: Value = serde_json::from_str(&line.expect("a line")).expect("JSON");
    assert_eq!(
        (reply["type"].as_str(), reply["code"].as_str()),
        (Some("error"), Some("protocol_mismatch")),
        "{reply}"
    );
    assert!(
        reply["message"].as_str().is_some_and(|m| m.contains("999")),
        "{reply}"
    );

    // Open the directory and socket to everyone: the peer uid check still refuses nobody.
    use std::os::unix::fs::PermissionsExt;
    let run_dir = scene.home.socket.parent().expect("dir").to_owned();
    for (path, mode) in [
        (
            scene
                .home
                .socket
                .parent()
                .and_then(|p| p.parent())
                .expect("home"),
            0o711,
        ),
        (run_dir.as_path(), 0o711),
        (scene.home.socket.as_path(), 0o777),
    ] {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    }
    let script = format!(
        "import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect({:?}); s.sendall(b'{{\"type\":\"hello\",\"protocol\":1}}\\n'); sys.stdout.write(s.makefile().readline())",
        scene.home.socket.display().to_string()
    );
    let output = tokio::process::Command::new("runuser")
        .args(["-u", "nobody", "--", "/usr/bin/python3", "-c", &script])
        .output()
        .await
        .expect("run as nobody");
    let answer = String::from_utf8_lossy(&output.stdout);
    assert!(
        !answer.contains("\"hello\""),
        "another uid got a hello: {answer}"
    );
    assert!(
        answer.is_empty() || answer.contains("error"),
        "refused: {answer} {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test]
async fn a_second_daemon_on_the_same_state_directory_is_refused_naming_the_first() {
    let scene = Scene::new(&[]).await;
    let first = scene.daemon().await;
    // Another shell's daemon: its own socket (another XDG_RUNTIME_DIR), the same state.
    let mut other = DaemonHome::new();
    other.state = scene.home.state.clone();
    let mut second = other.spawn(scene.server.url(), &scene.token, &scene.desktop);
    let status = tokio::time::timeout(Duration::from_secs(20), second.child.wait())
        .await
        .expect("the second daemon exits at once")
        .expect("wait");
    assert_eq!(
        status.code(),
        Some(2),
        "a configuration error, not retried by systemd"
    );
    second.wait_log("already runs").await;
    let log = second.log().join("\n");
    let first_pid = first.child.id().expect("the first runs");
    assert!(
        log.contains(&format!("pid {first_pid}"))
            && log.contains(&scene.home.socket.display().to_string()),
        "the refusal names the first daemon's pid and socket: {log}"
    );
    assert!(
        !log.contains("consuming"),
        "the second consumed before refusing: {log}"
    );
}
