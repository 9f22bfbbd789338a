//! `notify send` through the api, the write DB and the relay to `notify.events`.

use std::collections::BTreeMap;
use std::time::Duration;

use notify_shared::UserId;
use notify_shared::api::SendResponse;
use notify_shared::event::Event;
use notify_tests::TestEnv;
use notify_tests::api::Api;
use notify_tests::cli::{notify, run, stderr, stdout};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn cli_send_to_two_recipients_publishes_exactly_the_documented_cloudevents() {
    let env = TestEnv::new().await;
    let server = env.start_server("api,relay").await;
    let mut tap = env.tap().await;
    let carol = env.add_user("carol", "send").await;
    env.add_user("alice", "inbox").await;
    env.add_user("bob", "inbox").await;

    let output = run(
        notify(server.url(), &carol),
        &[
            "--json",
            "send",
            "--to",
            "alice",
            "--to",
            "bob",
            "--title",
            "Deploy",
            "--priority",
            "high",
            "--tag",
            "ci",
            "--tag",
            "api",
            "Deploy of api finished",
        ],
    )
    .await;
    assert!(output.status.success(), "send failed: {}", stderr(&output));
    let response: SendResponse =
        serde_json::from_str(&stdout(&output)).expect("--json prints the response");
    let recipients: Vec<&str> = response
        .notifications
        .iter()
        .map(|n| n.recipient.as_str())
        .collect();
    assert_eq!(recipients, ["alice", "bob"]);

    let events = tap.exactly(4).await;
    let mut by_notification: BTreeMap<_, Vec<_>> = BTreeMap::new();
    for tapped in &events {
        let e = &tapped.envelope;
        assert_eq!(
            tapped.message_id.as_deref(),
            Some(e.id.to_string().as_str()),
            "message_id is the event id"
        );
        assert_eq!(
            tapped.content_type.as_deref(),
            Some("application/cloudevents+json")
        );
        assert!(tapped.persistent, "events are published persistent");
        assert_eq!(tapped.json["specversion"], "1.0");
        assert_eq!(tapped.json["source"], "/notify-server/api");
        assert_eq!(tapped.json["datacontenttype"], "application/json");
        assert_eq!(e.id.get_version_num(), 7, "event ids are UUIDv7");
        assert_eq!(e.operationid, response.operation_id);
        assert_eq!(
            tapped.routing_key,
            format!("user.{}.{}", e.userid, e.event.kind())
        );
        assert_eq!(tapped.json["type"], format!("notify.{}.v1", e.event.kind()));
        by_notification
            .entry(e.subject)
            .or_default()
            .push(e.clone());
    }
    assert_eq!(by_notification.len(), 2, "one aggregate per recipient");
    for sent in &response.notifications {
        let mut events = by_notification
            .remove(&sent.id)
            .expect("events for each notification");
        events.sort_by_key(|e| e.sequence);
        assert!(
            events.iter().all(|e| e.userid == sent.recipient),
            "addressed to the recipient"
        );
        let [requested, dispatched] = events.as_slice() else {
            panic!("two events per notification: {events:?}")
        };
        assert_eq!((requested.sequence, dispatched.sequence), (1, 2));
        let Event::NotificationRequested(data) = &requested.event else {
            panic!("first is requested: {requested:?}")
        };
        assert_eq!(data.sender.as_str(), "carol");
        assert_eq!(data.recipient, sent.recipient);
        assert_eq!(data.title.as_deref(), Some("Deploy"));
        assert_eq!(data.body, "Deploy of api finished");
        assert_eq!(data.tags, ["ci", "api"]);
        assert_eq!(serde_json::to_value(data.priority).expect("json"), "high");
        assert!(
            matches!(dispatched.event, Event::NotificationDispatched(_)),
            "second is dispatched"
        );
    }
    assert_eq!(env.count("outbox").await, 0, "the relay emptied the outbox");
}

#[tokio::test]
async fn send_without_recipients_goes_to_the_sender_and_prints_only_the_operation_id() {
    let env = TestEnv::new().await;
    let server = env.start_server("api,relay").await;
    let mut tap = env.tap().await;
    let dave = env.add_user("dave", "send").await;

    let mut command = notify(server.url(), &dave);
    command.stdin(std::process::Stdio::piped());
    let mut child = command
        .args(["send", "--title", "From stdin", "-"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn notify");
    {
        use tokio::io::AsyncWriteExt;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(b"backup done\n")
            .await
            .expect("write stdin");
    }
    let output = child.wait_with_output().await.expect("notify finished");
    assert!(output.status.success(), "send failed: {}", stderr(&output));
    let operation = stdout(&output);
    let operation =
        uuid::Uuid::try_parse(operation.trim()).expect("stdout is just the operation id");

    let events = tap.exactly(2).await;
    for tapped in &events {
        assert_eq!(
            tapped.envelope.userid,
            UserId::parse("dave").expect("valid")
        );
        assert_eq!(tapped.envelope.operationid, operation);
        assert_eq!(
            tapped.routing_key,
            format!("user.dave.{}", tapped.envelope.event.kind())
        );
    }
    let requested = events
        .iter()
        .find_map(|t| match &t.envelope.event {
            Event::NotificationRequested(data) => Some(data.clone()),
            _ => None,
        })
        .expect("a requested event");
    assert_eq!(
        requested.body, "backup done",
        "one trailing newline is stripped"
    );
}

#[tokio::test]
async fn a_command_beyond_the_limit_in_flight_is_refused_at_once_and_changes_nothing() {
    let env = TestEnv::new().await;
    let server = env
        .start_server_with("api", &[("NOTIFY_SERVER_MAX_COMMANDS_IN_FLIGHT", "1")])
        .await;
    let token = env.add_user("erin", "send,inbox").await;
    let erin = Api::new(server.url(), &token);

    // The first send is held in flight: it waits for a lock the test holds on a table it
    // writes.
    let mut blocker = env.write.begin().await.expect("begin");
    sqlx::query("LOCK TABLE idempotency_keys IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *blocker)
        .await
        .expect("lock");
    let first = tokio::spawn({
        let erin = erin.clone();
        async move {
            erin.post(
                "/v1/notifications",
                Some(&json!({"to": ["erin"], "body": "first"})),
            )
            .await
        }
    });
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_locks
             WHERE NOT granted AND relation = 'idempotency_keys'::regclass",
        )
        .fetch_one(&env.write)
        .await
        .expect("locks");
        if waiting > 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the first send never came"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // The second is answered while the first is still held, so it did not wait behind it.
    let refused = reqwest::Client::new()
        .post(format!("{}/v1/notifications", server.url()))
        .bearer_auth(&token)
        .json(&json!({"to": ["erin"], "body": "second"}))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .expect("an answer while the first send is held");
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(refused.headers()["retry-after"], "1");
    let problem: Value = refused.json().await.expect("problem");
    assert_eq!(
        problem["type"], "urn:notify:problem:overloaded",
        "{problem}"
    );
    // Queries are not commands: they are served meanwhile.
    let (status, _) = erin.get("/v1/me").await;
    assert_eq!(status, StatusCode::OK);

    blocker.rollback().await.expect("unlock");
    let (status, answer) = first.await.expect("first send");
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    assert_eq!(env.count("events").await, 2, "only the first send's events");
    // Once the first is done there is room again.
    let (status, answer) = erin
        .post(
            "/v1/notifications",
            Some(&json!({"to": ["erin"], "body": "second"})),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
}

#[test]
fn a_server_allowed_no_commands_at_all_refuses_to_start_and_says_why() {
    let output = std::process::Command::new(notify_tests::binary("notify-server"))
        .args(["serve", "--roles", "api"])
        .env("NOTIFY_SERVER_MAX_COMMANDS_IN_FLIGHT", "0")
        .output()
        .expect("run notify-server");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("bad configuration") && stderr.contains("MAX_COMMANDS_IN_FLIGHT"),
        "{stderr}"
    );
}
