//! The daemon from the terminal: `notify watch`, `notify daemon status`, and the systemd unit
//! that `notify daemon install` writes (checked with `systemd-analyze verify`).

use std::process::Stdio;
use std::time::Duration;

use notify_tests::TestEnv;
use notify_tests::api::Api;
use notify_tests::cli::{notify, run, stderr, stdout};
use notify_tests::daemon::DaemonHome;
use notify_tests::desktop::Desktop;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

#[tokio::test]
async fn watch_streams_the_users_events_and_daemon_status_describes_the_daemon() {
    let env = TestEnv::new().await;
    let server = env
        .start_server_with("api,relay,projector,dispatcher", &[])
        .await;
    let token = env.add_user("alice", "send,inbox").await;
    let alice = Api::new(server.url(), &token);
    let desktop = Desktop::start().await;
    let home = DaemonHome::new();
    let _daemon = home.start(server.url(), &token, &desktop).await;

    let mut watch = home.notify(server.url(), &token);
    let mut watch = watch
        .args(["--json", "watch", "--kind", "notification.requested"])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("notify watch");
    let mut lines = BufReader::new(watch.stdout.take().expect("stdout")).lines();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sent = alice
        .send(&["alice"], "watch me", json!({"title": "Watched"}))
        .await;
    let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
        .await
        .expect("an event within 20 s")
        .expect("read")
        .expect("a line");
    let event: Value = serde_json::from_str(&line).expect("one CloudEvents document per line");
    assert_eq!(
        event["type"], "notify.notification.requested.v1",
        "only the kind asked for: {event}"
    );
    assert_eq!(event["subject"], sent[0].to_string());
    assert_eq!(event["data"]["title"], "Watched");
    watch.kill().await.expect("stop watching");

    let status = run(
        home.notify(server.url(), &token),
        &["--json", "daemon", "status"],
    )
    .await;
    assert!(status.status.success(), "{}", stderr(&status));
    let status: Value = serde_json::from_str(&stdout(&status)).expect("--json status");
    assert_eq!(
        (
            status["user"].as_str(),
            status["device"].as_str(),
            status["connected"].as_bool()
        ),
        (Some("alice"), Some("testbox"), Some(true)),
        "{status}"
    );
}

#[tokio::test]
async fn daemon_install_writes_a_unit_that_systemd_accepts() {
    let config = std::env::temp_dir().join(format!("notify-xdg-{}", uuid::Uuid::now_v7()));
    let mut install = notify_tests::cli::notify("http://127.0.0.1:9", "unused");
    install.env("XDG_CONFIG_HOME", &config);
    let installed = run(install, &["daemon", "install"]).await;
    assert!(installed.status.success(), "{}", stderr(&installed));
    let unit = config.join("systemd/user/notifyd.service");
    let text = std::fs::read_to_string(&unit).expect("the unit was written");
    let notifyd = notify_tests::binary("notifyd");
    assert!(
        text.contains(&format!("ExecStart={}", notifyd.display())),
        "points at the real notifyd:\n{text}"
    );
    assert!(text.contains("Type=notify"), "{text}");
    assert!(
        stdout(&installed).contains("systemctl --user")
            || stderr(&installed).contains("systemctl --user"),
        "says how to enable it"
    );

    // A user manager needs a runtime directory; this machine has no login session.
    let runtime = config.join("runtime");
    std::fs::create_dir_all(&runtime).expect("runtime dir");
    std::fs::set_permissions(
        &runtime,
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .expect("chmod");
    let verify = tokio::process::Command::new("systemd-analyze")
        .args(["verify", "--user"])
        .arg(&unit)
        .env("XDG_CONFIG_HOME", &config)
        .env("XDG_RUNTIME_DIR", &runtime)
        .output()
        .await
        .expect("systemd-analyze (scripts/services installs systemd)");
    let complaints = String::from_utf8_lossy(&verify.stderr);
    let relevant: Vec<&str> = complaints
        .lines()
        .filter(|line| line.contains("notifyd"))
        .collect();
    assert!(
        verify.status.success() && relevant.is_empty(),
        "systemd-analyze verify: {complaints}"
    );

    let again = run(
        {
            let mut c = notify_tests::cli::notify("http://127.0.0.1:9", "unused");
            c.env("XDG_CONFIG_HOME", &config);
            std::fs::write(&unit, "[Unit]\nDescription=mine\n").expect("overwrite");
            c
        },
        &["daemon", "install"],
    )
    .await;
    assert_ne!(
        again.status.code(),
        Some(0),
        "a different unit is not overwritten without --force"
    );
    std::fs::remove_dir_all(&config).expect("clean up");
}

#[tokio::test]
async fn a_wait_through_a_daemon_of_another_account_still_ends_when_the_operation_does() {
    let env = TestEnv::new().await;
    let server = env
        .start_server_with("api,relay,projector,dispatcher", &[])
        .await;
    let alice_token = env.add_user("alice", "send,inbox").await;
    let bob_token = env.add_user("bob", "send,inbox").await;
    let bob = Api::new(server.url(), &bob_token);
    let desktop = Desktop::start().await;
    let home = DaemonHome::new();
    let _alices_daemon = home.start(server.url(), &alice_token, &desktop).await;
    let sent = bob.send(&["bob"], "for bob", json!({})).await;
    bob.wait_for("/v1/inbox/count", "projected", |c| c["unread"] == 1)
        .await;

    // bob's CLI finds alice's daemon on the socket: it never hears of bob's operation.
    let started = std::time::Instant::now();
    let read = run(
        home.notify(server.url(), &bob_token),
        &["read", &sent[0].to_string(), "--wait", "--timeout", "20s"],
    )
    .await;
    assert!(read.status.success(), "{}", stderr(&read));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the server settled it, not the timeout: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_socket_in_a_shared_directory_is_refused_and_the_server_answers_instead() {
    let env = TestEnv::new().await;
    let server = env.start_server("api,relay,projector").await;
    let token = env.add_user("uma", "send,inbox").await;
    // `/tmp` is shared (mode 1777), `/` is the system's: neither is to be changed for notify.
    let shared = std::env::temp_dir().join(format!("notifyd-{}.sock", uuid::Uuid::now_v7()));
    let root = format!("/notifyd-{}.sock", uuid::Uuid::now_v7());
    for socket in [shared.to_string_lossy().into_owned(), root] {
        let mut command = notify(server.url(), &token);
        command.env("NOTIFYD_SOCKET", &socket);
        let counted = run(command, &["count"]).await;
        assert_eq!(counted.status.code(), Some(0), "{}", stderr(&counted));
        assert_eq!(stdout(&counted).trim(), "0", "the server's count");
        let said = stderr(&counted);
        assert!(
            said.contains("warning") && said.contains("NOTIFYD_SOCKET"),
            "{said}"
        );
        assert!(!said.contains("chmod"), "never advises changing it: {said}");
    }
}

#[tokio::test]
async fn a_daemon_of_another_server_is_not_asked() {
    let env = TestEnv::new().await;
    let server = env
        .start_server_with("api,relay,projector,dispatcher", &[])
        .await;
    let token = env.add_user("vera", "send,inbox").await;
    let desktop = Desktop::start().await;
    let home = DaemonHome::new();
    let _daemon = home.start(server.url(), &token, &desktop).await;

    let own = run(home.notify(server.url(), &token), &["-v", "count"]).await;
    assert_eq!(own.status.code(), Some(0), "{}", stderr(&own));
    assert!(
        stderr(&own).contains("connected to notifyd"),
        "{}",
        stderr(&own)
    );

    // Nothing listens on port 9: had the daemon answered, the count would have come back.
    let other = run(
        home.notify(server.url(), &token),
        &["-v", "--server", "http://127.0.0.1:9", "count"],
    )
    .await;
    assert_eq!(other.status.code(), Some(3), "{}", stdout(&other));
    let said = stderr(&other);
    assert!(
        said.contains(&format!(
            "notifyd serves {}, not http://127.0.0.1:9",
            server.url()
        )),
        "{said}"
    );
}
