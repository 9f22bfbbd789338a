//! Delivery from the terminal: `notify prefs`, `notify send --wait` following every channel,
//! and `notify sent` filters, against the real server, SMTP server and webhook receiver.

use notify_tests::TestEnv;
use notify_tests::cli::{notify, run, stderr, stdout};
use notify_tests::smtp::SmtpServer;
use notify_tests::webhook::Receiver;
use serde_json::Value;

async fn server(env: &TestEnv, smtp: &SmtpServer) -> notify_tests::server::Server {
    let port = smtp.port.to_string();
    env.start_server_with(
        "api,relay,projector,dispatcher,email,webhook",
        &[
            ("NOTIFY_SERVER_SMTP__PORT", &port),
            ("NOTIFY_SERVER_WEBHOOK__ALLOW_PRIVATE", "true"),
            ("NOTIFY_SERVER_DELIVERY__RETRY_BASE_MS", "100"),
            ("NOTIFY_SERVER_DELIVERY__MAX_ATTEMPTS", "2"),
            ("NOTIFY_SERVER_DELIVERY__SWEEP_MS", "100"),
        ],
    )
    .await
}

#[tokio::test]
async fn choosing_email_on_a_server_whose_smtp_relay_does_not_answer_says_so() {
    let env = TestEnv::new().await;
    // A port nothing listens on: the server's relay is missing.
    let port = notify_tests::smtp::free_port().to_string();
    let server = env
        .start_server_with("api,projector", &[("NOTIFY_SERVER_SMTP__PORT", &port)])
        .await;
    let token = env.add_user("sam", "send,inbox").await;

    let set = run(
        notify(server.url(), &token),
        &[
            "prefs",
            "set",
            "--channels",
            "desktop,email",
            "--email",
            "sam@example.com",
        ],
    )
    .await;
    assert!(
        set.status.success(),
        "accepted all the same: {}",
        stderr(&set)
    );
    let relay = format!("127.0.0.1:{port}");
    assert!(
        stderr(&set).contains(&format!(
            "notify: warning: this server's SMTP relay ({relay}) does not answer"
        )),
        "{}",
        stderr(&set)
    );
    let json = run(
        notify(server.url(), &token),
        &["--json", "prefs", "set", "--email", "sam@example.org"],
    )
    .await;
    let answer: Value = serde_json::from_str(&stdout(&json)).expect("--json prefs set");
    assert!(
        answer["warnings"][0]
            .as_str()
            .is_some_and(|w| w.contains(&relay)),
        "{answer}"
    );
    // Turning e-mail off asks nothing.
    let off = run(
        notify(server.url(), &token),
        &["prefs", "set", "--channels", "desktop", "--no-email"],
    )
    .await;
    assert!(off.status.success(), "{}", stderr(&off));
    assert!(!stderr(&off).contains("warning"), "{}", stderr(&off));
}

#[tokio::test]
async fn prefs_then_send_wait_follows_the_email_to_delivered() {
    let env = TestEnv::new().await;
    let smtp = SmtpServer::start().await;
    let server = server(&env, &smtp).await;
    let token = env.add_user("alice", "send,inbox").await;

    let set = run(
        notify(server.url(), &token),
        &[
            "prefs",
            "set",
            "--channels",
            "email",
            "--email",
            "alice@example.com",
            "--wait",
        ],
    )
    .await;
    assert!(set.status.success(), "{}", stderr(&set));
    assert!(
        !stderr(&set).contains("warning"),
        "the relay answers: {}",
        stderr(&set)
    );
    let shown = run(notify(server.url(), &token), &["--json", "prefs"]).await;
    let prefs: Value = serde_json::from_str(&stdout(&shown)).expect("--json prefs");
    assert_eq!(prefs["channels"], serde_json::json!(["email"]));
    assert_eq!(prefs["email"], "alice@example.com");

    let sent = run(
        notify(server.url(), &token),
        &["send", "--wait", "--title", "Deploy", "Deploy finished"],
    )
    .await;
    assert_eq!(
        sent.status.code(),
        Some(0),
        "delivered exits 0: {}",
        stderr(&sent)
    );
    assert!(
        uuid::Uuid::try_parse(stdout(&sent).trim()).is_ok(),
        "stdout is the operation id: {}",
        stdout(&sent)
    );
    let progress = stderr(&sent);
    assert!(
        progress
            .lines()
            .any(|l| l.contains("alice") && l.contains("email") && l.contains("succeeded")),
        "{progress}"
    );
    assert_eq!(smtp.received().len(), 1);

    let listed = run(
        notify(server.url(), &token),
        &[
            "sent",
            "--channel",
            "email",
            "--address",
            "alice@example.com",
        ],
    )
    .await;
    assert!(stdout(&listed).contains("Deploy"), "{}", stdout(&listed));
    let any_case = run(
        notify(server.url(), &token),
        &["sent", "--address", "Alice@EXAMPLE.com"],
    )
    .await;
    assert!(
        stdout(&any_case).contains("Deploy"),
        "an address matches in any case: {}",
        stdout(&any_case)
    );
    let other = run(
        notify(server.url(), &token),
        &["sent", "--address", "nobody@example.com"],
    )
    .await;
    assert!(stdout(&other).is_empty(), "{}", stdout(&other));

    // `--json` prints one document with `--wait` or without: the send, where it stands.
    let keys = |output: &std::process::Output| -> (Vec<String>, Value) {
        let document: Value = serde_json::from_str(&stdout(output)).expect("--json send");
        let keys = document
            .as_object()
            .expect("an object")
            .keys()
            .cloned()
            .collect();
        (keys, document)
    };
    let (unwaited, answer) =
        keys(&run(notify(server.url(), &token), &["--json", "send", "hi"]).await);
    let waited = run(
        notify(server.url(), &token),
        &["--json", "send", "--wait", "hi again"],
    )
    .await;
    assert_eq!(waited.status.code(), Some(0), "{}", stderr(&waited));
    let (waited_keys, resolved) = keys(&waited);
    assert_eq!(unwaited, waited_keys, "{answer} against {resolved}");
    assert_eq!(answer["status"], "accepted");
    assert_eq!(answer["resolved_at"], Value::Null);
    assert_eq!(resolved["status"], "delivered");
    assert!(resolved["resolved_at"].is_string(), "{resolved}");
    assert_eq!(resolved["notifications"][0]["recipient"], "alice");
}

#[tokio::test]
async fn send_wait_exits_1_when_a_channel_fails_and_a_generated_secret_is_shown_once() {
    let env = TestEnv::new().await;
    let smtp = SmtpServer::start().await;
    let receiver = Receiver::start(500).await;
    let server = server(&env, &smtp).await;
    let token = env.add_user("bob", "send,inbox").await;

    let set = run(
        notify(server.url(), &token),
        &[
            "prefs",
            "set",
            "--channels",
            "webhook",
            "--webhook-url",
            &receiver.url,
            "--wait",
        ],
    )
    .await;
    assert!(set.status.success(), "{}", stderr(&set));
    assert!(
        stdout(&set).contains("whsec_"),
        "the generated secret is printed: {}",
        stdout(&set)
    );
    assert!(stderr(&set).contains("only this once"), "{}", stderr(&set));
    let again = run(notify(server.url(), &token), &["prefs"]).await;
    assert!(
        !stdout(&again).contains("whsec_") && stdout(&again).contains("set"),
        "{}",
        stdout(&again)
    );

    let sent = run(
        notify(server.url(), &token),
        &["send", "--wait", "will fail"],
    )
    .await;
    assert_eq!(sent.status.code(), Some(1), "{}", stderr(&sent));
    let progress = stderr(&sent);
    assert!(
        progress
            .lines()
            .any(|l| l.contains("webhook") && l.contains("failed") && l.contains("500")),
        "{progress}"
    );
    assert!(
        progress.contains("notify show"),
        "hints at the history: {progress}"
    );
    assert_eq!(receiver.received().len(), 2, "max_attempts tries");

    // The saga as a timeline: each attempt and its outcome, then the final state.
    let operation = stdout(&sent).trim().to_owned();
    let status = run(
        notify(server.url(), &token),
        &["--json", "status", &operation],
    )
    .await;
    let status: Value = serde_json::from_str(&stdout(&status)).expect("--json status");
    assert_eq!(status["status"], "failed");
    let id = status["notifications"][0]
        .as_str()
        .expect("notification id")
        .to_owned();
    let shown = run(notify(server.url(), &token), &["show", &id, "--events"]).await;
    let timeline = stdout(&shown);
    let kinds: Vec<&str> = [
        "notification.requested",
        "notification.dispatched",
        "delivery.requested",
        "delivery.failed",
        "notification.failed",
    ]
    .into_iter()
    .filter(|kind| !timeline.contains(kind))
    .collect();
    assert!(kinds.is_empty(), "missing {kinds:?} in:\n{timeline}");
    assert_eq!(timeline.matches("delivery.failed").count(), 2, "{timeline}");
    assert!(timeline.contains("HTTP 500"), "{timeline}");
}
