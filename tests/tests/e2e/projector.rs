//! The projector: exactly-once effects, ordering, poison messages, read-DB outages, rebuilds,
//! and `operation.resolved`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::Timelike;
use notify_shared::UserId;
use notify_shared::event::{
    Envelope, Event, NotificationDelivered, NotificationDispatched, NotificationRequested,
};
use notify_shared::routing::routing_key;
use notify_tests::TestEnv;
use notify_tests::api::Api;
use notify_tests::proxy::Proxy;
use notify_tests::rebuild::assert_rebuild_equals_live;
use notify_tests::services::READ_SERVER;
use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

fn requested(recipient: &str, body: &str) -> Event {
    Event::NotificationRequested(NotificationRequested {
        sender: UserId::parse("bob").expect("valid"),
        recipient: UserId::parse(recipient).expect("valid"),
        title: None,
        body: body.into(),
        priority: Default::default(),
        tags: vec![],
        channels: vec![],
        thread: None,
        deliver_at: None,
        cause: None,
    })
}

async fn publish(env: &TestEnv, envelope: &Envelope) {
    let body = serde_json::to_vec(envelope).expect("json");
    env.publish_raw(&routing_key(&envelope.userid, &envelope.event), &body)
        .await;
}

#[tokio::test]
async fn duplicated_and_reordered_events_change_nothing() {
    let env = TestEnv::new().await;
    let server = env.start_server("api,projector").await;
    let alice = Api::new(server.url(), &env.add_user("alice", "inbox").await);
    let user = UserId::parse("alice").expect("valid");
    let (operation, notification) = (Uuid::now_v7(), Uuid::now_v7());
    let first = Envelope::new(
        "/test",
        operation,
        notification,
        user.clone(),
        1,
        requested("alice", "hello"),
    );
    let second = Envelope::new(
        "/test",
        operation,
        notification,
        user,
        2,
        Event::NotificationDispatched(NotificationDispatched {}),
    );

    // The dispatch arrives before the request it follows, then both arrive again.
    publish(&env, &second).await;
    publish(&env, &first).await;
    alice
        .wait_for("/v1/inbox/count", "the notification projected", |c| {
            c["unread"] == 1
        })
        .await;
    publish(&env, &first).await;
    publish(&env, &second).await;
    publish(&env, &first).await;

    // A marker event published after the duplicates: once it is applied, they were too. It is
    // alice's own send to carol, never dispatched: alice sees it as its sender.
    let mut marker_request = requested("carol", "marker");
    if let Event::NotificationRequested(request) = &mut marker_request {
        request.sender = UserId::parse("alice").expect("valid");
    }
    let marker = Envelope::new(
        "/test",
        Uuid::now_v7(),
        Uuid::now_v7(),
        UserId::parse("carol").expect("valid"),
        1,
        marker_request,
    );
    publish(&env, &marker).await;
    alice
        .wait_for(
            &format!("/v1/notifications/{}", marker.subject),
            "the marker projected",
            |n| n["body"] == "marker",
        )
        .await;
    // The marker is carol's (and never dispatched), so it is not in alice's inbox list.
    let (_, page) = alice.get("/v1/notifications").await;
    assert_eq!(
        page["items"].as_array().map(Vec::len),
        Some(1),
        "one notification, once: {page}"
    );
    assert_eq!(page["items"][0]["status"], "dispatched");
    let (_, history) = alice
        .get(&format!("/v1/notifications/{notification}/events"))
        .await;
    assert_eq!(
        history["events"].as_array().map(Vec::len),
        Some(2),
        "two events in the history: {history}"
    );
    assert_eq!(alice.get("/v1/inbox/count").await.1["unread"], 1);
}

#[tokio::test]
async fn a_poison_message_is_dead_lettered_and_the_projector_keeps_going() {
    let env = TestEnv::new().await;
    let server = env.start_server("api,relay,projector").await;
    let alice = Api::new(server.url(), &env.add_user("alice", "send,inbox").await);

    env.publish_raw(
        "user.alice.notification.requested",
        b"{ this is not an event",
    )
    .await;
    for _ in 0..200 {
        if env.queue_depth("notify.dead").await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        env.queue_depth("notify.dead").await,
        1,
        "the poison message waits in notify.dead"
    );

    alice.send(&["alice"], "still flowing", json!({})).await;
    alice
        .wait_for("/v1/inbox/count", "the next notification projected", |c| {
            c["unread"] == 1
        })
        .await;
    assert_eq!(
        env.queue_depth("notify.projector").await,
        0,
        "nothing is stuck in the projector's queue"
    );
}

#[tokio::test]
async fn with_the_read_db_down_queries_are_503_sends_are_accepted_and_the_projector_catches_up() {
    let env = TestEnv::new().await;
    let mut proxy = Proxy::start(READ_SERVER).await;
    let proxied = env
        .read_url
        .replace(READ_SERVER, &proxy.address.to_string());
    let server = env
        .start_server_with(
            "api,relay,projector",
            &[("NOTIFY_SERVER_READ_DB", &proxied)],
        )
        .await;
    let alice = Api::new(server.url(), &env.add_user("alice", "send,inbox").await);
    alice.send(&["alice"], "before", json!({})).await;
    alice
        .wait_for("/v1/inbox/count", "projected through the proxy", |c| {
            c["unread"] == 1
        })
        .await;

    proxy.cut();
    let (status, problem) = alice.get("/v1/notifications").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{problem}");
    assert_eq!(problem["type"], "urn:notify:problem:read-unavailable");
    assert_eq!(
        alice.get("/v1/inbox/count").await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );
    for i in 0..3 {
        alice
            .send(&["alice"], &format!("during {i}"), json!({}))
            .await;
    }

    proxy.restore().await;
    alice
        .wait_for("/v1/inbox/count", "caught up after the outage", |c| {
            c["unread"] == 4
        })
        .await;
    let (_, page) = alice.get("/v1/notifications").await;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(4));
}

#[tokio::test]
async fn a_rebuilt_read_model_equals_the_live_projection() {
    let env = TestEnv::new().await;
    let server = env.start_server("api,relay,projector").await;
    let alice = Api::new(server.url(), &env.add_user("alice", "send,inbox").await);
    let bob = Api::new(server.url(), &env.add_user("bob", "send,inbox").await);
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.extend(
            bob.send(
                &["alice", "bob"],
                &format!("message {i}"),
                json!({"tags": ["t"]}),
            )
            .await,
        );
    }
    alice
        .wait_for("/v1/inbox/count", "5 unread", |c| c["unread"] == 5)
        .await;
    let mut operations = Vec::new();
    for path in [
        format!("/v1/notifications/{}/read", ids[0]),
        format!("/v1/notifications/{}/read", ids[2]),
        format!("/v1/notifications/{}/unread", ids[2]),
    ] {
        operations.push(
            alice.post(&path, None).await.1["operation_id"]
                .as_str()
                .expect("id")
                .to_owned(),
        );
    }
    operations.push(
        bob.post("/v1/inbox/read-all", None).await.1["operation_id"]
            .as_str()
            .expect("id")
            .to_owned(),
    );
    for (i, operation) in operations.iter().enumerate() {
        let api = if i < 3 { &alice } else { &bob };
        api.wait_operation(operation, "applied").await;
    }

    assert_rebuild_equals_live(&env, 10).await;
}

#[tokio::test]
async fn a_send_to_several_recipients_is_dispatched_when_all_its_notifications_are() {
    let env = TestEnv::new().await;
    let server = env.start_server("api,relay,projector").await;
    let bob = Api::new(server.url(), &env.add_user("bob", "send,inbox").await);
    for user in ["alice", "carol"] {
        env.add_user(user, "inbox").await;
    }
    // The three requests and three dispatches reach the projector together: each kind is
    // applied to the three notifications in one statement.
    let (operation, sent) = bob
        .send_operation(&["alice", "bob", "carol"], "to all", json!({}))
        .await;
    assert_eq!(sent.len(), 3);
    let done = bob.wait_operation(&operation, "dispatched").await;
    assert_eq!(
        done["notifications"].as_array().map(Vec::len),
        Some(3),
        "{done}"
    );
}

#[tokio::test]
async fn the_requester_is_told_when_an_operation_resolves() {
    let env = TestEnv::new().await;
    let server = env.start_server("api,relay,projector").await;
    let mut tap = env.tap().await;
    let alice = Api::new(server.url(), &env.add_user("alice", "send,inbox").await);
    let sent = alice.send(&["alice"], "hi", json!({})).await;
    tap.take(2).await;
    let (_, accepted) = alice
        .post(&format!("/v1/notifications/{}/read", sent[0]), None)
        .await;
    let operation = accepted["operation_id"].as_str().expect("id").to_owned();

    let events = tap.take(2).await;
    let resolved = events
        .iter()
        .find(|t| t.routing_key == "user.alice.operation.resolved")
        .unwrap_or_else(|| panic!("no operation.resolved among {events:#?}"));
    assert_eq!(resolved.envelope.operationid.to_string(), operation);
    assert_eq!(resolved.json["data"]["status"], "applied");
    assert_eq!(resolved.json["type"], "notify.operation.resolved.v1");
}

#[tokio::test]
async fn a_send_is_resolved_at_its_last_final_event_whatever_the_order_they_arrive_in() {
    let env = TestEnv::new().await;
    let server = env.start_server("api,projector").await;
    let bob = Api::new(server.url(), &env.add_user("bob", "send,inbox").await);
    let operation = Uuid::now_v7();
    let start = chrono::Utc::now().with_nanosecond(0).expect("valid");
    let (early, late) = (
        start + chrono::Duration::seconds(5),
        start + chrono::Duration::seconds(9),
    );
    let envelope = |notification, recipient: &str, version, event| {
        Envelope::new(
            "/test",
            operation,
            notification,
            UserId::parse(recipient).expect("valid"),
            version,
            event,
        )
    };
    let (first, second) = (Uuid::now_v7(), Uuid::now_v7());
    for (notification, recipient) in [(first, "alice"), (second, "carol")] {
        publish(
            &env,
            &envelope(notification, recipient, 1, requested(recipient, "hi")),
        )
        .await;
        let dispatched = Event::NotificationDispatched(NotificationDispatched {});
        publish(&env, &envelope(notification, recipient, 2, dispatched)).await;
    }
    bob.wait_operation(&operation.to_string(), "dispatched")
        .await;

    // The later delivery arrives first, alone; the earlier one then settles the send.
    let mut delivered = envelope(
        first,
        "alice",
        3,
        Event::NotificationDelivered(NotificationDelivered {}),
    );
    delivered.time = late;
    publish(&env, &delivered).await;
    bob.wait_for(
        &format!("/v1/notifications/{first}"),
        "the first notification delivered",
        |n| n["status"] == "delivered",
    )
    .await;
    let mut delivered = envelope(
        second,
        "carol",
        3,
        Event::NotificationDelivered(NotificationDelivered {}),
    );
    delivered.time = early;
    publish(&env, &delivered).await;

    let done = bob
        .wait_operation(&operation.to_string(), "delivered")
        .await;
    let resolved_at: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(done["resolved_at"].clone()).expect("a time");
    assert_eq!(
        resolved_at, late,
        "the latest final event, not the last applied: {done}"
    );
}

/// Runs `rebuild-read-model` with `failpoints` armed; whether it succeeded, and what it said.
async fn rebuild(env: &TestEnv, failpoints: &str) -> (bool, String) {
    let output = env
        .server_command()
        .env("NOTIFY_FAILPOINTS", failpoints)
        .arg("rebuild-read-model")
        .output()
        .await
        .expect("run rebuild-read-model");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The read DB's schemas that a rebuild makes for itself.
async fn rebuild_schemas(read: &sqlx::PgPool) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT nspname::text FROM pg_namespace WHERE nspname IN ('notify_rebuild', 'notify_replaced')",
    )
    .fetch_all(read)
    .await
    .expect("schemas")
}

/// The read model is rebuilt while the api serves it and sends go on: a rebuild stopped before
/// its switch changes nothing; a complete one is read from its switch on, with what the live
/// projector applied during the rebuild and nothing twice.
#[tokio::test]
async fn the_read_model_is_rebuilt_while_it_serves_and_sends_go_on() {
    let env = TestEnv::new().await;
    let server = env.start_server("api,relay,projector").await;
    let alice = Api::new(server.url(), &env.add_user("alice", "inbox").await);
    let bob = Api::new(server.url(), &env.add_user("bob", "send").await);
    let mut first = Vec::new();
    for i in 0..20 {
        first = bob
            .send(&["alice"], &format!("before {i}"), json!({}))
            .await;
    }
    alice
        .wait_for("/v1/inbox/count", "20 unread", |c| c["unread"] == 20)
        .await;
    // Enough history that the rebuild takes a moment (other users', straight into the store).
    let stored = notify_tests::rebuild::store_history(&env.write, 4_000, 100).await;
    // A change that only the live model has (to the last one before): a rebuild undoes it, so
    // it shows which model the api reads.
    let read = sqlx::PgPool::connect(&env.read_url).await.expect("read DB");
    sqlx::query("UPDATE notifications SET title = 'only in the old model' WHERE id = $1")
        .bind(first[0])
        .execute(&read)
        .await
        .expect("alter the live model");
    let path = format!("/v1/notifications/{}", first[0]);
    let title_of_the_last = async |api: &Api| {
        let (status, notification) = api.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{notification}");
        notification["title"].clone()
    };

    let (succeeded, said) = rebuild(&env, "rebuild.before_switch").await;
    assert!(!succeeded, "the failpoint stops it: {said}");
    assert_eq!(title_of_the_last(&alice).await, "only in the old model");
    assert_eq!(
        rebuild_schemas(&read).await,
        ["notify_rebuild"],
        "left behind"
    );

    // Sends go on during the rebuild, and alice's inbox is read all along.
    let stop = Arc::new(AtomicBool::new(false));
    let sender = tokio::spawn({
        let (bob, stop) = (bob.clone(), Arc::clone(&stop));
        async move {
            let mut sent = 0;
            while !stop.load(Ordering::Relaxed) {
                bob.send(&["alice"], &format!("during {sent}"), json!({}))
                    .await;
                sent += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            sent
        }
    });
    let reader = tokio::spawn({
        let (alice, stop) = (alice.clone(), Arc::clone(&stop));
        async move {
            let mut answers = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let (status, count) = alice.get("/v1/inbox/count").await;
                answers.push((status, count["unread"].as_i64().unwrap_or(-1)));
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            answers
        }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (succeeded, said) = rebuild(&env, "").await;
    stop.store(true, Ordering::Relaxed);
    let during = sender.await.expect("sender");
    let answers = reader.await.expect("reader");
    assert!(succeeded, "{said}");
    let caught_up: u64 = said
        .split("caught up ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no catch-up count in: {said}"));
    assert!(
        caught_up > 0,
        "the projector applied sends during the rebuild, and they were caught up: {said}"
    );
    assert!(answers.len() > 10, "the inbox was read during the rebuild");
    for (status, unread) in &answers {
        assert_eq!(*status, StatusCode::OK, "the inbox was served throughout");
        assert!(*unread >= 20, "never emptied: {unread} unread");
    }
    let total = 20 + during;
    alice
        .wait_for("/v1/inbox/count", "every send", |c| c["unread"] == total)
        .await;
    assert_eq!(
        title_of_the_last(&alice).await,
        serde_json::Value::Null,
        "the api reads the rebuilt model"
    );
    assert!(
        rebuild_schemas(&read).await.is_empty(),
        "nothing left behind"
    );
    read.close().await;
    // Nothing lost or doubled: the model equals a rebuild from scratch, table by table.
    assert_rebuild_equals_live(
        &env,
        usize::try_from(total).expect("count") + (stored - 200) / 5,
    )
    .await;
}

/// An operation that the rebuilt model resolves and the live one had not (its event was not
/// projected yet) is told to its requester once by the rebuild: the projector that gets the
/// event later finds it applied and says nothing.
#[tokio::test]
async fn a_rebuild_tells_the_requester_of_an_operation_only_it_resolved() {
    let env = TestEnv::new().await;
    let server = env.start_server("api,relay,projector").await;
    let bob = Api::new(server.url(), &env.add_user("bob", "send").await);
    let alice_token = env.add_user("alice", "inbox").await;
    let sent = bob.send(&["alice"], "read me", json!({})).await;
    Api::new(server.url(), &alice_token)
        .wait_for("/v1/inbox/count", "one unread", |c| c["unread"] == 1)
        .await;
    drop(server);
    // No projector: the read is stored and relayed, not projected.
    let server = env.start_server("api,relay").await;
    let alice = Api::new(server.url(), &alice_token);
    let mut tap = env.tap().await;
    let (status, accepted) = alice
        .post(&format!("/v1/notifications/{}/read", sent[0]), None)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
    let operation = accepted["operation_id"].as_str().expect("id").to_owned();
    tap.exactly(1).await; // notification.read

    let (succeeded, said) = rebuild(&env, "").await;
    assert!(succeeded, "{said}");
    let _projector = env.start_server("projector").await;
    let told = tap.exactly(1).await;
    assert_eq!(told[0].routing_key, "user.alice.operation.resolved");
    assert_eq!(told[0].envelope.operationid.to_string(), operation);
    assert_eq!(told[0].json["data"]["status"], "applied");
    alice.wait_operation(&operation, "applied").await;
}

/// Interrupted (SIGINT, as Ctrl-C), a rebuild removes what it built and changes nothing.
#[tokio::test]
async fn an_interrupted_rebuild_removes_what_it_built() {
    use tokio::io::{AsyncBufReadExt, BufReader};

    let env = TestEnv::new().await;
    let server = env.start_server("api,relay,projector").await;
    let alice = Api::new(server.url(), &env.add_user("alice", "inbox").await);
    let bob = Api::new(server.url(), &env.add_user("bob", "send").await);
    bob.send(&["alice"], "kept", json!({})).await;
    alice
        .wait_for("/v1/inbox/count", "one unread", |c| c["unread"] == 1)
        .await;
    // Long enough to be interrupted while it folds.
    notify_tests::rebuild::store_history(&env.write, 10_000, 100).await;

    let mut child = env
        .server_command()
        .arg("rebuild-read-model")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start rebuild-read-model");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let mut said = Vec::new();
    while let Some(line) = lines.next_line().await.expect("read stderr") {
        let folding = line.contains("folding");
        said.push(line);
        if folding {
            break;
        }
    }
    let pid = child.id().expect("running").to_string();
    let killed = tokio::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .await
        .expect("kill");
    assert!(killed.success());
    while let Some(line) = lines.next_line().await.expect("read stderr") {
        said.push(line);
    }
    let status = child.wait().await.expect("rebuild exits");
    let said = said.join("\n");
    assert!(!status.success(), "{said}");
    assert!(
        said.contains(
            "interrupted: the read model is unchanged, and the partial rebuild was removed"
        ),
        "{said}"
    );
    let read = sqlx::PgPool::connect(&env.read_url).await.expect("read DB");
    assert!(
        rebuild_schemas(&read).await.is_empty(),
        "nothing left behind"
    );
    let (status, count) = alice.get("/v1/inbox/count").await;
    assert_eq!(
        (status, count["unread"].clone()),
        (StatusCode::OK, json!(1))
    );
}
