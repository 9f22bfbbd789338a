//! Scheduled sends: `deliver_at` validation, the scheduler role dispatching at the time (also
//! several at once), cancel before and after, the race of the two, and `GET /v1/sent?scheduled`.

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use notify_tests::TestEnv;
use notify_tests::api::Api;
use notify_tests::server::Server;
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

const ALL_ROLES: &str = "api,relay,projector,dispatcher,scheduler,email,webhook";

async fn server(env: &TestEnv, roles: &str) -> Server {
    env.start_server_with(
        roles,
        &[
            ("NOTIFY_SERVER_DELIVERY__SWEEP_MS", "100"),
            ("NOTIFY_SERVER_SCHEDULER_POLL_MS", "50"),
        ],
    )
    .await
}

async fn users(env: &TestEnv, server: &Server) -> (Api, Api, Api) {
    let alice = Api::new(server.url(), &env.add_user("alice", "send,inbox").await);
    let bob = Api::new(server.url(), &env.add_user("bob", "send,inbox").await);
    let carol = Api::new(server.url(), &env.add_user("carol", "send,inbox").await);
    (alice, bob, carol)
}

fn at(offset_ms: i64) -> DateTime<Utc> {
    Utc::now() + chrono::TimeDelta::milliseconds(offset_ms)
}

fn rfc3339(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Sends `body` from `api` to bob, to go out at `deliver_at`; the operation id and notification.
async fn schedule(api: &Api, body: &str, deliver_at: DateTime<Utc>) -> (String, Uuid) {
    let (status, answer) = api
        .post(
            "/v1/notifications",
            Some(&json!({"to": ["bob"], "body": body, "deliver_at": rfc3339(deliver_at)})),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::ACCEPTED,
        "scheduled send failed: {answer}"
    );
    assert_eq!(answer["status"], "scheduled", "{answer}");
    let id = answer["notifications"][0]["id"]
        .as_str()
        .and_then(|id| Uuid::try_parse(id).ok())
        .expect("notification id");
    (
        answer["operation_id"]
            .as_str()
            .expect("operation")
            .to_owned(),
        id,
    )
}

async fn sleep_until(time: DateTime<Utc>) {
    if let Ok(wait) = (time - Utc::now()).to_std() {
        tokio::time::sleep(wait).await;
    }
}

async fn inbox_ids(api: &Api) -> Vec<String> {
    let (status, page) = api.get("/v1/notifications").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page_ids(&page)
}

fn page_ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|n| n["id"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn a_scheduled_send_waits_for_its_time_then_arrives() {
    let env = TestEnv::new().await;
    let server = server(&env, ALL_ROLES).await;
    let (alice, bob, _) = users(&env, &server).await;

    let deliver_at = at(2000);
    let (operation, id) = schedule(&alice, "later", deliver_at).await;
    let scheduled = alice.wait_operation(&operation, "scheduled").await;
    assert_eq!(scheduled["kind"], "send");
    assert_eq!(
        env.count("scheduled_notifications WHERE state = 'waiting'")
            .await,
        1
    );

    sleep_until(deliver_at - chrono::TimeDelta::milliseconds(1000)).await;
    assert!(
        !inbox_ids(&bob).await.contains(&id.to_string()),
        "in the inbox before its time"
    );
    assert_eq!(
        env.count_events("notification.dispatched", Some(id)).await,
        0
    );

    bob.wait_for(
        "/v1/notifications",
        "the scheduled send in the inbox",
        |page| page_ids(page).contains(&id.to_string()),
    )
    .await;
    assert!(Utc::now() >= deliver_at, "arrived before its time");
    alice.wait_operation(&operation, "dispatched").await;
    assert_eq!(
        env.count_events("notification.dispatched", Some(id)).await,
        1
    );
    let source: String = sqlx::query_scalar(
        "SELECT document->>'source' FROM events WHERE aggregate_id = $1 AND kind = 'notification.dispatched'",
    )
    .bind(id)
    .fetch_one(&env.write)
    .await
    .expect("dispatched event");
    assert_eq!(source, "/notify-server/scheduler");
    assert_eq!(
        env.count("scheduled_notifications WHERE state = 'dispatched'")
            .await,
        1
    );
}

#[tokio::test]
async fn a_cancelled_send_never_arrives_and_only_its_sender_can_cancel() {
    let env = TestEnv::new().await;
    let server = server(&env, ALL_ROLES).await;
    let (alice, bob, carol) = users(&env, &server).await;

    let deliver_at = at(2000);
    let (operation, id) = schedule(&alice, "never", deliver_at).await;
    let path = format!("/v1/notifications/{id}/cancel");

    // Neither the recipient nor a stranger may cancel it, and neither learns it exists.
    for other in [&bob, &carol] {
        let (status, problem) = other.post(&path, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
    }
    let (status, problem) = alice
        .post(
            &format!("/v1/notifications/{}/cancel", Uuid::now_v7()),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");

    let key = Uuid::now_v7();
    let (status, first) = alice.post_with_key(&path, key, None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{first}");
    let (status, repeat) = alice.post_with_key(&path, key, None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{repeat}");
    assert_eq!(first, repeat, "a repeat gets the first answer");
    // A second cancel with a fresh key is accepted too and appends nothing; its answer names
    // the operation that did cancel it, so waiting for it ends (it stayed `accepted` before).
    let (status, again) = alice.post(&path, None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{again}");
    assert_eq!(
        env.count_events("notification.cancelled", Some(id)).await,
        1
    );
    assert_eq!(again["operation_id"], first["operation_id"], "{again}");
    assert_eq!(again["status"], "applied", "{again}");
    let cancel = first["operation_id"].as_str().expect("operation id");
    alice.wait_operation(cancel, "applied").await;

    let resolved = alice.wait_operation(&operation, "cancelled").await;
    assert_eq!(resolved["kind"], "send");
    let (_, view) = alice.get(&format!("/v1/notifications/{id}")).await;
    assert_eq!(view["status"], "cancelled", "{view}");

    sleep_until(deliver_at + chrono::TimeDelta::milliseconds(1000)).await;
    assert!(
        !inbox_ids(&bob).await.contains(&id.to_string()),
        "a cancelled send reached the inbox"
    );
    assert_eq!(
        env.count_events("notification.dispatched", Some(id)).await,
        0
    );
    assert_eq!(
        env.count("events WHERE kind = 'notification.dispatched'")
            .await,
        0
    );
    assert_eq!(
        env.count("scheduled_notifications WHERE state = 'cancelled'")
            .await,
        1
    );
}

#[tokio::test]
async fn a_dispatched_send_cannot_be_cancelled() {
    let env = TestEnv::new().await;
    let server = server(&env, ALL_ROLES).await;
    let (alice, bob, _) = users(&env, &server).await;

    let (operation, id) = schedule(&alice, "soon", at(1500)).await;
    alice.wait_operation(&operation, "dispatched").await;
    let (status, problem) = alice
        .post(&format!("/v1/notifications/{id}/cancel"), None)
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["type"], "urn:notify:problem:already-dispatched");
    let detail = problem["detail"].as_str().expect("detail");
    assert!(
        detail.starts_with("it was dispatched at ") && detail.contains("cannot be cancelled"),
        "{detail}"
    );
    assert_eq!(
        env.count_events("notification.cancelled", Some(id)).await,
        0
    );
    assert!(inbox_ids(&bob).await.contains(&id.to_string()));

    // An immediate send is not a scheduled one: nothing to cancel.
    let now = alice.send(&["bob"], "now", json!({})).await;
    let (status, problem) = alice
        .post(&format!("/v1/notifications/{}/cancel", now[0]), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
}

#[tokio::test]
async fn deliver_at_in_the_past_or_too_far_is_rejected() {
    let env = TestEnv::new().await;
    let server = env
        .start_server_with(ALL_ROLES, &[("NOTIFY_SERVER_SCHEDULE_MAX_DAYS", "30")])
        .await;
    let (alice, _, _) = users(&env, &server).await;

    for deliver_at in [at(-5 * 60_000), at(31 * 86_400_000)] {
        let (status, problem) = alice
            .post(
                "/v1/notifications",
                Some(&json!({"to": ["bob"], "body": "x", "deliver_at": rfc3339(deliver_at)})),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(problem["type"], "urn:notify:problem:validation");
        assert_eq!(problem["errors"][0]["field"], "deliver_at", "{problem}");
    }
    assert_eq!(env.count("events").await, 0);
    assert_eq!(env.count("scheduled_notifications").await, 0);

    // Within the allowed clock skew of now, or a moment that passed while a send was being
    // retried through an outage (seconds ago), it is an immediate send.
    for deliver_at in [at(200), at(-20_000)] {
        let (status, answer) = alice
            .post(
                "/v1/notifications",
                Some(&json!({"to": ["bob"], "body": "x", "deliver_at": rfc3339(deliver_at)})),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
        assert_eq!(answer["status"], "accepted");
    }
    assert_eq!(env.count("scheduled_notifications").await, 0);
    // Up to the limit is fine.
    schedule(&alice, "in 29 days", at(29 * 86_400_000)).await;
}

#[tokio::test]
async fn a_cancel_racing_the_scheduler_leaves_exactly_one_outcome() {
    let env = TestEnv::new().await;
    let server = server(&env, ALL_ROLES).await;
    let (alice, _, _) = users(&env, &server).await;

    let deliver_at = at(4000);
    let sends = (0..30).map(|i| {
        let alice = alice.clone();
        tokio::spawn(async move { schedule(&alice, &format!("race {i}"), deliver_at).await.1 })
    });
    let mut ids = Vec::new();
    for send in sends.collect::<Vec<_>>() {
        ids.push(send.await.expect("send task"));
    }
    sleep_until(deliver_at - chrono::TimeDelta::milliseconds(75)).await;
    let cancels: Vec<_> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let alice = alice.clone();
            let path = format!("/v1/notifications/{id}/cancel");
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(5 * i as u64)).await;
                alice.post(&path, None).await
            })
        })
        .collect();
    let mut answers = Vec::new();
    for cancel in cancels {
        answers.push(cancel.await.expect("cancel task"));
    }
    // Let the scheduler take whatever the cancels left.
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let (mut cancelled, mut dispatched) = (0, 0);
    for (id, (status, answer)) in ids.iter().zip(&answers) {
        let d = env.count_events("notification.dispatched", Some(*id)).await;
        let c = env.count_events("notification.cancelled", Some(*id)).await;
        assert_eq!(d + c, 1, "{id}: {d} dispatched and {c} cancelled events");
        match *status {
            StatusCode::ACCEPTED => assert_eq!(c, 1, "{id}: cancel accepted, yet {answer}"),
            StatusCode::CONFLICT => {
                assert_eq!(answer["type"], "urn:notify:problem:already-dispatched");
                assert_eq!(d, 1, "{id}");
            }
            other => panic!("{id}: cancel answered {other} {answer}"),
        }
        cancelled += c;
        dispatched += d;
    }
    eprintln!("race: {cancelled} cancelled, {dispatched} dispatched");
    assert_eq!(cancelled + dispatched, 30);
    assert_eq!(
        env.count("scheduled_notifications WHERE state = 'waiting'")
            .await,
        0
    );
}

#[tokio::test]
async fn two_schedulers_dispatch_each_notification_once() {
    let env = TestEnv::new().await;
    let server = server(&env, "api,relay,projector,dispatcher").await;
    let _one = server_scheduler(&env).await;
    let _two = server_scheduler(&env).await;
    let (alice, bob, _) = users(&env, &server).await;

    // Far enough ahead that all 20 sends are in before it, even on a loaded machine.
    let deliver_at = at(4000);
    let sends: Vec<_> = (0..20)
        .map(|i| {
            let alice = alice.clone();
            tokio::spawn(async move { schedule(&alice, &format!("n{i}"), deliver_at).await.1 })
        })
        .collect();
    let mut ids = Vec::new();
    for send in sends {
        ids.push(send.await.expect("send task"));
    }
    bob.wait_for(
        "/v1/notifications?limit=100",
        "all 20 in the inbox",
        |page| {
            let inbox = page_ids(page);
            ids.iter().all(|id| inbox.contains(&id.to_string()))
        },
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    for id in &ids {
        assert_eq!(
            env.count_events("notification.dispatched", Some(*id)).await,
            1,
            "{id}"
        );
    }
    assert_eq!(
        env.count("events WHERE kind = 'notification.dispatched'")
            .await,
        20
    );
}

async fn server_scheduler(env: &TestEnv) -> Server {
    env.start_server_with("scheduler", &[("NOTIFY_SERVER_SCHEDULER_POLL_MS", "20")])
        .await
}

#[tokio::test]
async fn sent_scheduled_lists_only_the_waiting_ones() {
    let env = TestEnv::new().await;
    let server = server(&env, ALL_ROLES).await;
    let (alice, bob, _) = users(&env, &server).await;

    let (now_operation, _) = alice.send_operation(&["bob"], "now", json!({})).await;
    let (_, waiting) = schedule(&alice, "waiting", at(3_600_000)).await;
    let (cancelled_operation, cancelled) = schedule(&alice, "cancelled", at(3_600_000)).await;
    let (status, answer) = alice
        .post(&format!("/v1/notifications/{cancelled}/cancel"), None)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    alice.wait_operation(&now_operation, "dispatched").await;
    alice
        .wait_operation(&cancelled_operation, "cancelled")
        .await;
    // Bob's own scheduled send is not alice's.
    schedule(&bob, "bob's", at(3_600_000)).await;

    let page = alice
        .wait_for("/v1/sent?scheduled=true", "only the waiting one", |page| {
            page_ids(page) == vec![waiting.to_string()]
        })
        .await;
    assert_eq!(page["items"][0]["status"], "scheduled");
    let (status, all) = alice.get("/v1/sent").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page_ids(&all).len(), 3, "{all}");
}
