//! Nobody learns what is not theirs: a sender sees each channel's status of what it sent,
//! never where the recipient receives it; no webhook credential is ever written into an event;
//! a scheduled send is not the recipient's before its time, and a cancelled one never; an
//! `admin` token is the audit across users.

use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use notify_tests::TestEnv;
use notify_tests::api::Api;
use notify_tests::cli::{notify, run, stderr};
use notify_tests::webhook::Receiver;
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

const EMAIL: &str = "alice-private@example.com";
/// The part of alice's hook URL that is its credential.
const HOOK_SECRET_PATH: &str = "/services/T0/B0/s3cr3t-path?token=s3cr3t-query";

/// Every JSON string in `value`, for "does this answer mention X anywhere".
fn text(value: &Value) -> String {
    value.to_string()
}

#[tokio::test]
async fn a_sender_sees_channels_and_statuses_but_never_the_recipients_addresses() {
    let env = TestEnv::new().await;
    let receiver = Receiver::start(200).await;
    let server = env
        .start_server_with(
            "api,relay,projector,dispatcher,webhook",
            &[("NOTIFY_SERVER_WEBHOOK__ALLOW_PRIVATE", "true")],
        )
        .await;
    let url = server.url();
    let alice = Api::new(url, &env.add_user("alice", "send,inbox").await);
    let bob = Api::new(url, &env.add_user("bob", "send,inbox").await);
    let auditor = Api::new(url, &env.add_user("auditor", "admin").await);
    let hook = format!("{}{HOOK_SECRET_PATH}", receiver.url);
    alice
        .set_preferences(
            json!({"channels": ["email", "webhook"], "email": EMAIL, "webhook_url": hook}),
        )
        .await;

    // No e-mail worker runs: the e-mail channel stays pending, the webhook succeeds.
    let ids = bob.send(&["alice"], "hello alice", json!({})).await;
    let path = format!("/v1/notifications/{}", ids[0]);
    let mine = alice
        .wait_for(&path, "the webhook delivered", |n| {
            n["deliveries"].as_array().is_some_and(|d| {
                d.iter()
                    .any(|d| d["channel"] == "webhook" && d["status"] == "succeeded")
            })
        })
        .await;
    // The recipient sees her own addresses (a webhook's origin only).
    let addresses: Vec<&str> = mine["deliveries"]
        .as_array()
        .expect("deliveries")
        .iter()
        .filter_map(|d| d["address"].as_str())
        .collect();
    let origin = receiver.url.trim_end_matches("/hook");
    assert!(addresses.contains(&EMAIL), "{mine}");
    assert!(
        addresses.contains(&format!("{origin}/…").as_str()),
        "{mine}"
    );

    // The sender sees each channel and its status, and no address anywhere.
    let (status, view) = bob.get(&path).await;
    assert_eq!(status, StatusCode::OK);
    let deliveries = view["deliveries"].as_array().expect("deliveries");
    assert_eq!(deliveries.len(), 2, "{view}");
    for delivery in deliveries {
        assert!(delivery.get("address").is_none(), "{delivery}");
        assert!(delivery["status"].is_string(), "{delivery}");
    }
    let (_, history) = bob.get(&format!("{path}/events")).await;
    let (_, sent) = bob.get("/v1/sent").await;
    for answer in [&view, &history, &sent] {
        let text = text(answer);
        assert!(
            !text.contains(EMAIL),
            "the sender learned the e-mail: {text}"
        );
        assert!(
            !text.contains(origin),
            "the sender learned the hook: {text}"
        );
    }
    assert!(
        text(&history).contains("delivery.requested"),
        "the history still says a channel was requested: {history}"
    );
    // Nor can the sender probe for an address.
    let (status, probe) = bob.get(&format!("/v1/sent?address={EMAIL}")).await;
    assert_eq!(status, StatusCode::OK, "{probe}");
    assert_eq!(probe["items"], json!([]), "{probe}");
    // Nor read another sender's sends without admin.
    let (status, problem) = bob.get("/v1/sent?from=alice").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");

    // An admin token answers the audit question across users, addresses included.
    let (status, audit) = auditor.get(&format!("/v1/sent?address={EMAIL}")).await;
    assert_eq!(status, StatusCode::OK, "{audit}");
    let items = audit["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{audit}");
    assert_eq!(items[0]["sender"], "bob");
    assert!(text(&audit).contains(EMAIL), "{audit}");
    let (_, by_bob) = auditor.get("/v1/sent?from=bob").await;
    assert_eq!(
        by_bob["items"].as_array().map(Vec::len),
        Some(1),
        "{by_bob}"
    );
    let (_, by_alice) = auditor.get("/v1/sent?from=alice").await;
    assert_eq!(by_alice["items"], json!([]), "{by_alice}");
    // Sending to yourself shows your own addresses.
    let own = alice.send(&["alice"], "note to self", json!({})).await;
    alice
        .wait_for(
            &format!("/v1/sent?address={EMAIL}"),
            "her own send, found by her own address",
            |page| page["items"][0]["id"] == own[0].to_string(),
        )
        .await;
}

#[tokio::test]
async fn no_webhook_credential_is_written_into_an_event_and_the_hook_still_gets_it_whole() {
    let env = TestEnv::new().await;
    let receiver = Receiver::start(500).await;
    let ops_token = env.add_user("ops", "send,inbox").await;
    let server = env
        .start_server_with(
            "api,relay,projector,dispatcher,webhook",
            &[
                ("NOTIFY_SERVER_WEBHOOK__ALLOW_PRIVATE", "true"),
                ("NOTIFY_SERVER_DELIVERY__RETRY_BASE_MS", "100"),
                ("NOTIFY_SERVER_DELIVERY__MAX_ATTEMPTS", "2"),
                ("NOTIFY_SERVER_DELIVERY__SWEEP_MS", "100"),
                ("NOTIFY_SERVER_DELIVERY__ESCALATION_RECIPIENT", "ops"),
            ],
        )
        .await;
    let url = server.url();
    let alice_token = env.add_user("alice", "send,inbox").await;
    let alice = Api::new(url, &alice_token);
    let ops = Api::new(url, &ops_token);
    let hook = format!(
        "{}{HOOK_SECRET_PATH}",
        receiver.url.replace("://", "://user:pw@")
    );
    alice
        .set_preferences(json!({"channels": ["webhook"], "webhook_url": hook}))
        .await;
    let (operation, _) = alice
        .send_operation(&["alice"], "to my hook", json!({}))
        .await;
    // Every attempt fails (HTTP 500): retried, failed, escalated to ops.
    alice.wait_operation(&operation, "failed").await;
    let requests = receiver.wait_for(2).await;
    for request in &requests {
        assert_eq!(
            request.uri.to_string(),
            "/hook/services/T0/B0/s3cr3t-path?token=s3cr3t-query",
            "the worker posts to the whole URL"
        );
    }
    let (_, escalations) = ops.get("/v1/notifications").await;
    assert_eq!(escalations["items"].as_array().map(Vec::len), Some(1));

    let leaking: Vec<(String, String)> = sqlx::query_as(
        "SELECT kind, document::text FROM events
         WHERE document::text ~ '(s3cr3t|user:pw)'",
    )
    .fetch_all(&env.write)
    .await
    .expect("read events");
    assert_eq!(leaking, Vec::new(), "events that hold the credential");
    let webhook_events = env
        .count("events WHERE document::text LIKE '%127.0.0.1%'")
        .await;
    assert!(
        webhook_events >= 3,
        "preferences, requests and the escalation still name the hook's origin"
    );
    let (_, preferences) = alice.get("/v1/preferences").await;
    let origin = receiver.url.trim_end_matches("/hook");
    assert_eq!(
        preferences["webhook_url"],
        format!("{origin}/…"),
        "{preferences}"
    );

    // `notify prefs set` writes back what it read: the origin stands for the stored hook.
    let changed = run(
        notify(server.url(), &alice_token),
        &["prefs", "set", "--email", "alice@example.com"],
    )
    .await;
    assert!(changed.status.success(), "{}", stderr(&changed));
    alice
        .wait_for("/v1/preferences", "the new e-mail", |p| {
            p["email"] == "alice@example.com"
        })
        .await;
    let (operation, _) = alice
        .send_operation(
            &["alice"],
            "to my hook again",
            json!({"channels": ["webhook"]}),
        )
        .await;
    alice.wait_operation(&operation, "failed").await;
    for request in receiver.wait_for(4).await {
        assert_eq!(
            request.uri.to_string(),
            "/hook/services/T0/B0/s3cr3t-path?token=s3cr3t-query",
            "the hook is still the whole URL after a round trip"
        );
    }
}

#[tokio::test]
async fn a_scheduled_send_is_not_the_recipients_before_its_time_and_a_cancelled_one_never() {
    let env = TestEnv::new().await;
    let server = env
        .start_server_with(
            "api,relay,projector,dispatcher,scheduler",
            &[("NOTIFY_SERVER_SCHEDULER_POLL_MS", "50")],
        )
        .await;
    let url = server.url();
    let alice = Api::new(url, &env.add_user("alice", "send,inbox").await);
    let bob = Api::new(url, &env.add_user("bob", "send,inbox").await);
    let (status, device) = alice
        .post("/v1/devices", Some(&json!({"name": "laptop"})))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{device}");
    let queue = device["queue"].as_str().expect("queue");

    let schedule = |offset: chrono::TimeDelta, body: &'static str| {
        let bob = &bob;
        async move {
            let at = (Utc::now() + offset).to_rfc3339_opts(SecondsFormat::Millis, true);
            let (status, answer) = bob
                .post(
                    "/v1/notifications",
                    Some(&json!({"to": ["alice"], "body": body, "deliver_at": at})),
                )
                .await;
            assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
            answer["notifications"][0]["id"]
                .as_str()
                .and_then(|id| Uuid::try_parse(id).ok())
                .expect("notification id")
        }
    };
    let later = schedule(chrono::TimeDelta::days(5), "in five days").await;
    let cancelled = schedule(chrono::TimeDelta::days(5), "never").await;
    let (status, answer) = bob
        .post(&format!("/v1/notifications/{cancelled}/cancel"), None)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    // Once the projector has both, nothing of them reached alice's device or her api.
    bob.wait_for("/v1/sent", "both projected", |page| {
        page["items"].as_array().is_some_and(|items| {
            items.iter().any(|n| n["status"] == "cancelled")
                && items.iter().any(|n| n["status"] == "scheduled")
        })
    })
    .await;
    assert_eq!(
        env.queue_depth(queue).await,
        0,
        "the device heard of a scheduled send"
    );
    for id in [later, cancelled] {
        for path in [
            format!("/v1/notifications/{id}"),
            format!("/v1/notifications/{id}/events"),
        ] {
            let (status, answer) = alice.get(&path).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {answer}");
        }
    }
    let (_, count) = alice.get("/v1/inbox/count").await;
    assert_eq!(count["unread"], 0);

    // At its time it is hers: in the device queue and on the api.
    let soon = schedule(chrono::TimeDelta::milliseconds(1500), "now it is yours").await;
    alice
        .wait_for(&format!("/v1/notifications/{soon}"), "dispatched", |n| {
            n["body"] == "now it is yours"
        })
        .await;
    for _ in 0..100 {
        if env.queue_depth(queue).await > 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the dispatched send never reached alice's device queue");
}
