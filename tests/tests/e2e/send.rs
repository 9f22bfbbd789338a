//! `notify send` through the api, the write DB and the relay to `notify.events`.

use std::collections::BTreeMap;

use notify_shared::UserId;
use notify_shared::api::SendResponse;
use notify_shared::event::Event;
use notify_tests::TestEnv;
use notify_tests::cli::{notify, run, stderr, stdout};

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
