//! `GET /v1/stream`: each user hears of their own changes as they are projected, resumes after
//! a cut with no gap and no repeat, and never hears of anyone else's.

use std::collections::HashSet;
use std::process::Stdio;
use std::time::Duration;

use notify_tests::TestEnv;
use notify_tests::api::Api;
use notify_tests::server::Server;
use notify_tests::sse::{self, SseEvent};
use notify_tests::webhook::Receiver;
use reqwest::StatusCode;
use serde_json::json;
use tokio::process::Command;

const WAIT: Duration = Duration::from_secs(10);

async fn server(env: &TestEnv, extra: &[(&str, &str)]) -> Server {
    let mut settings = vec![("NOTIFY_SERVER_WEBHOOK__ALLOW_PRIVATE", "true")];
    settings.extend_from_slice(extra);
    env.start_server_with("api,relay,projector,dispatcher,webhook", &settings)
        .await
}

/// The events of `kind` about `notification`.
fn about<'a>(events: &'a [SseEvent], kind: &str, notification: &str) -> Vec<&'a SseEvent> {
    events
        .iter()
        .filter(|e| e.event == kind && e.data["notification_id"] == notification)
        .collect()
}

#[tokio::test]
async fn a_stream_tells_its_user_what_happens_and_resumes_after_a_cut_without_gap_or_repeat() {
    let env = TestEnv::new().await;
    let server = server(&env, &[]).await;
    let alice = Api::new(server.url(), &env.add_user("alice", "send,inbox").await);
    let bob = Api::new(server.url(), &env.add_user("bob", "send,inbox").await);
    let hook = Receiver::start(200).await;
    let preferences = alice
        .set_preferences(json!({"channels": ["webhook"], "webhook_url": hook.url}))
        .await;

    let mut stream = sse::open_when_ready(server.url(), alice.token()).await;
    let ready = stream.next(WAIT).await.expect("ready");
    assert_eq!(ready.event, "ready", "{ready:?}");
    assert!(!ready.id.is_empty(), "ready says where the stream starts");

    let first = bob.send(&["alice"], "one", json!({})).await[0].to_string();
    let seen = stream
        .until(WAIT, |e| {
            e.event == "notification.delivered" && e.data["notification_id"] == first
        })
        .await;
    assert_eq!(
        about(&seen, "notification.dispatched", &first).len(),
        1,
        "{seen:#?}"
    );
    let delivery = about(&seen, "delivery.succeeded", &first);
    assert_eq!(delivery.len(), 1, "{seen:#?}");
    assert_eq!(delivery[0].data["channel"], "webhook");
    // A stream starts at the newest change readable when it opened: one committed just
    // before (her preferences' resolution, while another transaction of the cluster was still
    // running) may come after `ready`. Nothing else of hers resolved.
    assert!(
        seen.iter().all(|e| e.event != "operation.resolved"
            || e.data["operation_id"] == preferences["operation_id"]),
        "alice asked for nothing else: {seen:#?}"
    );
    let (status, answer) = alice
        .post(&format!("/v1/notifications/{first}/read"), None)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    let read = stream
        .until(WAIT, |e| {
            e.event == "operation.resolved" && e.data["operation_id"] == answer["operation_id"]
        })
        .await;
    assert_eq!(
        about(&read, "notification.read", &first).len(),
        1,
        "{read:#?}"
    );
    assert_eq!(
        read.last().map(|e| e.data["status"].clone()),
        Some(json!("applied"))
    );
    let last = read.last().expect("events").id.clone();
    drop(stream);

    // While alice is away, two more arrive.
    let more: Vec<String> = [
        bob.send(&["alice"], "two", json!({})).await[0].to_string(),
        bob.send(&["alice"], "three", json!({})).await[0].to_string(),
    ]
    .into();
    for id in &more {
        alice
            .wait_for(&format!("/v1/notifications/{id}"), "delivered", |n| {
                n["status"] == "delivered"
            })
            .await;
    }
    let mut resumed = sse::open(server.url(), alice.token(), Some(&last))
        .await
        .expect("resume");
    let ready = resumed.next(WAIT).await.expect("ready");
    assert_eq!(
        (ready.event.as_str(), ready.id.as_str()),
        ("ready", last.as_str())
    );
    let mut after = Vec::new();
    while let Some(event) = resumed.next(Duration::from_secs(2)).await {
        after.push(event);
    }
    for id in &more {
        for kind in [
            "notification.dispatched",
            "delivery.succeeded",
            "notification.delivered",
        ] {
            assert_eq!(
                about(&after, kind, id).len(),
                1,
                "{kind} of {id}: {after:#?}"
            );
        }
    }
    assert!(
        after.iter().all(|e| e.data["notification_id"] != first),
        "nothing before the cut again: {after:#?}"
    );
    let ids: Vec<&str> = after.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(
        ids.iter().collect::<HashSet<_>>().len(),
        ids.len(),
        "{ids:?}"
    );
    assert!(
        ids.iter()
            .all(|id| id > &last.as_str() || id.len() > last.len()),
        "ids grow: {last} then {ids:?}"
    );

    // Bob, the sender, hears only that his sends resolved: nothing of alice's inbox.
    let mut bobs = sse::open(server.url(), bob.token(), Some("0-0"))
        .await
        .expect("bob");
    let mut his = Vec::new();
    while let Some(event) = bobs.next(Duration::from_secs(2)).await {
        his.push(event);
    }
    let resolved: Vec<&SseEvent> = his
        .iter()
        .filter(|e| e.event == "operation.resolved")
        .collect();
    assert_eq!(resolved.len(), 3, "{his:#?}");
    assert!(
        resolved.iter().all(|e| e.data["status"] == "delivered"),
        "{his:#?}"
    );
    assert!(
        his.iter()
            .all(|e| e.event == "ready" || e.event == "operation.resolved"),
        "{his:#?}"
    );
}

#[tokio::test]
async fn a_stream_takes_the_same_tokens_and_limits_as_every_route() {
    let env = TestEnv::new().await;
    let server = server(&env, &[("NOTIFY_SERVER_MAX_STREAMS_PER_USER", "2")]).await;
    let alice = env.add_user("alice", "send,inbox").await;
    let sender_only = env.new_token("alice", "send").await;

    let refused = |result: Result<sse::Sse, (StatusCode, serde_json::Value)>| match result {
        Ok(_) => panic!("the stream opened"),
        Err(refusal) => refusal,
    };
    let (status, problem) = refused(sse::open(server.url(), "nope", None).await);
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{problem}");
    let (status, problem) = refused(sse::open(server.url(), &sender_only, None).await);
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    for bad in ["yesterday", "1-2-3", "-1-5", "99999999999999999999999-1"] {
        let (status, problem) = refused(sse::open(server.url(), &alice, Some(bad)).await);
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {problem}");
        assert_eq!(problem["type"], "urn:notify:problem:bad-last-event-id");
    }

    let first = sse::open_when_ready(server.url(), &alice).await;
    let _second = sse::open(server.url(), &alice, None).await.expect("second");
    let (status, problem) = refused(sse::open(server.url(), &alice, None).await);
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{problem}");
    assert_eq!(problem["type"], "urn:notify:problem:too-many-streams");
    assert!(
        problem["detail"].as_str().unwrap_or_default().contains('2'),
        "{problem}"
    );
    // Another user's streams are theirs to count.
    let bob = env.add_user("bob", "inbox").await;
    let _bobs = sse::open(server.url(), &bob, None).await.expect("bob's");
    // Closing one makes room.
    drop(first);
    let mut again = None;
    for _ in 0..50 {
        if let Ok(stream) = sse::open(server.url(), &alice, None).await {
            again = Some(stream);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(again.is_some(), "a closed stream gives its place back");
}

#[tokio::test]
async fn an_idle_stream_hears_a_heartbeat_and_ends_when_the_server_stops() {
    let env = TestEnv::new().await;
    let mut server = env.start_server_with("api,relay,projector", &[]).await;
    let alice = env.add_user("alice", "inbox").await;
    let mut stream = sse::open_when_ready(server.url(), &alice).await;
    assert_eq!(
        stream.next(WAIT).await.map(|e| e.event),
        Some("ready".into())
    );
    assert_eq!(
        stream.next(Duration::from_secs(17)).await,
        None,
        "nothing happened"
    );
    assert!(stream.comments >= 1, "a heartbeat within 15 s");

    let pid = server.child.id().expect("running").to_string();
    Command::new("kill")
        .args(["-TERM", &pid])
        .stdout(Stdio::null())
        .status()
        .await
        .expect("kill -TERM");
    let stopped = tokio::time::timeout(Duration::from_secs(10), server.child.wait()).await;
    assert!(
        stopped.is_ok_and(|status| status.is_ok_and(|s| s.success())),
        "the server stops at once with a stream open"
    );
    assert_eq!(stream.next(WAIT).await, None, "the stream ended");
}
