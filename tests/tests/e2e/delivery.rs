//! Delivery: the dispatcher saga, preferences, e-mail over a real SMTP server, webhooks to a
//! local receiver, desktop receipts, retries, escalation and idempotent effects.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use notify_shared::UserId;
use notify_shared::event::{DeliveryOutcome, Envelope, Event};
use notify_shared::routing::routing_key;
use notify_tests::TestEnv;
use notify_tests::api::Api;
use notify_tests::rebuild::assert_rebuild_equals_live;
use notify_tests::server::Server;
use notify_tests::smtp::{SmtpServer, free_port};
use notify_tests::webhook::Receiver;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Sha256;
use uuid::Uuid;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// A server with every role: e-mail to `smtp_port`, webhooks to loopback allowed unless
/// `strict`, fast retries, and escalation to `ops` (who must exist before it starts).
async fn server(env: &TestEnv, smtp_port: u16, strict: bool) -> Server {
    env.add_user("ops", "send,inbox").await;
    let port = smtp_port.to_string();
    let allow = (!strict).to_string();
    env.start_server_with(
        "api,relay,projector,dispatcher,email,webhook",
        &[
            ("NOTIFY_SERVER_SMTP__PORT", &port),
            ("NOTIFY_SERVER_WEBHOOK__ALLOW_PRIVATE", &allow),
            ("NOTIFY_SERVER_DELIVERY__RETRY_BASE_MS", "100"),
            ("NOTIFY_SERVER_DELIVERY__MAX_ATTEMPTS", "3"),
            ("NOTIFY_SERVER_DELIVERY__SWEEP_MS", "100"),
            ("NOTIFY_SERVER_DELIVERY__ESCALATION_RECIPIENT", "ops"),
        ],
    )
    .await
}

async fn users(env: &TestEnv, server: &Server) -> (Api, Api, Api) {
    let alice = Api::new(server.url(), &env.add_user("alice", "send,inbox").await);
    let bob = Api::new(server.url(), &env.add_user("bob", "send,inbox").await);
    // [`server`] made ops already (an escalation recipient must exist before it starts).
    let made: bool = sqlx::query_scalar("SELECT EXISTS (SELECT FROM users WHERE id = 'ops')")
        .fetch_one(&env.write)
        .await
        .expect("look for ops");
    let ops_token = if made {
        env.new_token("ops", "send,inbox").await
    } else {
        env.add_user("ops", "send,inbox").await
    };
    let ops = Api::new(server.url(), &ops_token);
    (alice, bob, ops)
}

fn channel<'a>(notification: &'a Value, name: &str) -> &'a Value {
    notification["deliveries"]
        .as_array()
        .and_then(|d| d.iter().find(|d| d["channel"] == name))
        .unwrap_or_else(|| panic!("no {name} delivery in {notification}"))
}

#[tokio::test]
async fn an_email_arrives_with_the_right_headers_and_body() {
    let env = TestEnv::new().await;
    let smtp = SmtpServer::start().await;
    let server = server(&env, smtp.port, false).await;
    let (alice, bob, _) = users(&env, &server).await;
    alice
        .set_preferences(json!({"channels": ["email"], "email": "alice@example.com"}))
        .await;

    let (operation, sent) = bob
        .send_operation(
            &["alice"],
            "Deploy of api finished\nall checks green",
            json!({"title": "Deploy", "priority": "high"}),
        )
        .await;
    let resolved = bob.wait_operation(&operation, "delivered").await;
    assert_eq!(resolved["kind"], "send");

    let mails = smtp.wait_for(1).await;
    assert_eq!(mails.len(), 1, "one e-mail");
    let mail = &mails[0];
    assert_eq!(mail.header("To"), Some("alice@example.com"));
    assert_eq!(mail.header("Subject"), Some("Deploy"));
    assert!(
        mail.header("From")
            .is_some_and(|f| f.contains("notify@localhost")),
        "{:?}",
        mail.headers
    );
    assert!(
        mail.header("Message-ID")
            .is_some_and(|id| id.contains("@notify")),
        "{:?}",
        mail.headers
    );
    assert_eq!(
        mail.header("X-Notify-Notification"),
        Some(sent[0].to_string().as_str())
    );
    assert!(
        mail.body.contains("Deploy of api finished") && mail.body.contains("all checks green"),
        "{}",
        mail.body
    );
    assert!(
        mail.body.contains("bob"),
        "the footer names the sender: {}",
        mail.body
    );

    // The sender sees the channel's status; the recipient also sees where it went.
    let (_, shown) = bob.get(&format!("/v1/notifications/{}", sent[0])).await;
    assert_eq!(shown["status"], "delivered");
    let email = channel(&shown, "email");
    assert_eq!(
        (email["status"].as_str(), email["address"].as_str()),
        (Some("succeeded"), None)
    );
    let (_, hers) = alice.get(&format!("/v1/notifications/{}", sent[0])).await;
    let email = channel(&hers, "email");
    assert_eq!(
        (email["status"].as_str(), email["address"].as_str()),
        (Some("succeeded"), Some("alice@example.com"))
    );
}

#[tokio::test]
async fn a_webhook_arrives_signed_as_standard_webhooks_says() {
    let env = TestEnv::new().await;
    let receiver = Receiver::start(200).await;
    let server = server(&env, free_port(), false).await;
    let (alice, bob, _) = users(&env, &server).await;
    alice
        .set_preferences(
            json!({"channels": ["webhook"], "webhook_url": receiver.url, "webhook_secret": SECRET}),
        )
        .await;

    let (operation, sent) = bob
        .send_operation(
            &["alice"],
            "disk full",
            json!({"title": "Disk", "tags": ["ops"]}),
        )
        .await;
    bob.wait_operation(&operation, "delivered").await;
    let requests = receiver.wait_for(1).await;
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    let header = |name: &str| {
        request
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let (id, timestamp, signature) = (
        header("webhook-id"),
        header("webhook-timestamp"),
        header("webhook-signature"),
    );

    let key = STANDARD
        .decode(SECRET.trim_start_matches("whsec_"))
        .expect("base64 secret");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("hmac key");
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(&request.body);
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    assert!(
        signature.split(' ').any(|s| s == expected),
        "signature {signature:?} is not {expected:?}"
    );
    let age = chrono::Utc::now().timestamp() - timestamp.parse::<i64>().expect("unix seconds");
    assert!((0..60).contains(&age), "a fresh timestamp: {timestamp}");

    let body: Value = serde_json::from_slice(&request.body).expect("JSON body");
    assert!(
        body["text"]
            .as_str()
            .is_some_and(|t| t.contains("Disk") && t.contains("disk full")),
        "{body}"
    );
    assert_eq!(body["notification"]["id"], sent[0].to_string());
    assert_eq!(body["notification"]["sender"], "bob");
    assert_eq!(body["notification"]["tags"], json!(["ops"]));
}

#[tokio::test]
async fn failing_channels_are_retried_then_fail_and_the_failure_is_escalated() {
    let env = TestEnv::new().await;
    let receiver = Receiver::start(500).await;
    let server = server(&env, free_port(), false).await;
    let (alice, bob, ops) = users(&env, &server).await;
    alice
        .set_preferences(json!({"channels": ["email", "webhook"], "email": "alice@example.com", "webhook_url": receiver.url, "webhook_secret": SECRET}))
        .await;

    let (operation, sent) = bob
        .send_operation(
            &["alice"],
            "this will not arrive",
            json!({"title": "Doomed"}),
        )
        .await;
    bob.wait_operation(&operation, "failed").await;
    assert_eq!(
        receiver.received().len(),
        3,
        "the webhook was tried max_attempts times"
    );

    let (_, shown) = bob.get(&format!("/v1/notifications/{}", sent[0])).await;
    assert_eq!(shown["status"], "failed");
    for name in ["email", "webhook"] {
        let delivery = channel(&shown, name);
        assert_eq!(
            (delivery["status"].as_str(), delivery["attempts"].as_u64()),
            (Some("failed"), Some(3)),
            "{delivery}"
        );
    }
    let (_, history) = bob
        .get(&format!("/v1/notifications/{}/events", sent[0]))
        .await;
    let kinds: Vec<&str> = history["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "delivery.requested").count(),
        6,
        "{kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|k| **k == "delivery.failed").count(),
        6,
        "{kinds:?}"
    );
    assert!(
        kinds.ends_with(&["notification.failed", "notification.escalated"]),
        "{kinds:?}"
    );

    let page = ops
        .wait_for("/v1/notifications", "the escalation in ops' inbox", |p| {
            p["items"].as_array().is_some_and(|i| i.len() == 1)
        })
        .await;
    let escalation = &page["items"][0];
    assert_eq!(escalation["tags"], json!(["escalation"]));
    assert_eq!(escalation["priority"], "high");
    assert!(
        escalation["title"]
            .as_str()
            .is_some_and(|t| t.contains("Doomed")),
        "{escalation}"
    );
    assert!(
        escalation["body"]
            .as_str()
            .is_some_and(|b| b.contains("HTTP 500") && b.contains(&sent[0].to_string())),
        "{escalation}"
    );
    // What it says to do can be done by whom it names (not by ops, to whom it is 404).
    assert!(
        escalation["body"]
            .as_str()
            .is_some_and(|b| b.contains("(for bob or alice, or with an admin token)")),
        "{escalation}"
    );
}

#[tokio::test]
async fn a_dispatcher_whose_escalation_recipient_is_no_user_refuses_to_start() {
    let env = TestEnv::new().await;
    let started = env
        .server_command()
        .args(["serve", "--roles", "dispatcher"])
        .env("NOTIFY_SERVER_DELIVERY__ESCALATION_RECIPIENT", "nobody")
        .output();
    let output = tokio::time::timeout(std::time::Duration::from_secs(30), started)
        .await
        .expect("it stops at once instead of serving")
        .expect("run notify-server");
    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(
        said.contains("delivery.escalation_recipient is nobody, who is not a user"),
        "{said}"
    );
}

#[tokio::test]
async fn one_channel_failing_and_one_succeeding_is_partially_delivered() {
    let env = TestEnv::new().await;
    let smtp = SmtpServer::start().await;
    let receiver = Receiver::start(404).await;
    let server = server(&env, smtp.port, false).await;
    let (alice, bob, _) = users(&env, &server).await;
    alice
        .set_preferences(json!({"channels": ["email", "webhook"], "email": "alice@example.com", "webhook_url": receiver.url, "webhook_secret": SECRET}))
        .await;
    let (operation, sent) = bob
        .send_operation(&["alice"], "half of it", json!({}))
        .await;
    bob.wait_operation(&operation, "partially_delivered").await;
    assert_eq!(receiver.received().len(), 1, "a 404 is permanent: no retry");
    assert_eq!(smtp.received().len(), 1);
    // The notification says what its send says.
    let (_, shown) = alice.get(&format!("/v1/notifications/{}", sent[0])).await;
    assert_eq!(shown["status"], "partially_delivered", "{shown}");
    let (_, listed) = bob.get("/v1/sent?status=partially_delivered").await;
    assert_eq!(listed["items"][0]["id"], sent[0].to_string(), "{listed}");
    let (_, none) = bob.get("/v1/sent?status=failed").await;
    assert_eq!(none["items"], json!([]), "{none}");
}

#[tokio::test]
async fn a_desktop_receipt_completes_the_desktop_channel() {
    let env = TestEnv::new().await;
    let server = server(&env, free_port(), false).await;
    let (alice, bob, _) = users(&env, &server).await;
    let (operation, sent) = bob.send_operation(&["alice"], "pop", json!({})).await;
    let shown = bob
        .wait_for(
            &format!("/v1/notifications/{}", sent[0]),
            "the desktop delivery",
            |n| n["deliveries"].as_array().is_some_and(|d| !d.is_empty()),
        )
        .await;
    let desktop = channel(&shown, "desktop");
    assert_eq!(desktop["status"], "pending");
    let delivery = desktop["id"].as_str().expect("delivery id");
    let path = format!("/v1/deliveries/{delivery}/receipt");

    assert_eq!(
        bob.post(&path, Some(&json!({}))).await.0,
        StatusCode::NOT_FOUND,
        "only the recipient may"
    );
    let (status, answer) = alice.post(&path, Some(&json!({"device": "laptop"}))).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    bob.wait_operation(&operation, "delivered").await;
    let (_, shown) = bob.get(&format!("/v1/notifications/{}", sent[0])).await;
    assert_eq!(channel(&shown, "desktop")["detail"], "shown on laptop");

    // A second machine's receipt changes nothing.
    assert_eq!(
        alice
            .post(&path, Some(&json!({"device": "desktop"})))
            .await
            .0,
        StatusCode::ACCEPTED
    );
    let succeeded = env.count_events("delivery.succeeded", Some(sent[0])).await;
    assert_eq!(succeeded, 1);
}

#[tokio::test]
async fn a_line_break_in_a_title_is_rejected_and_nothing_is_sent() {
    let env = TestEnv::new().await;
    let smtp = SmtpServer::start().await;
    let server = server(&env, smtp.port, false).await;
    let (alice, bob, _) = users(&env, &server).await;
    alice
        .set_preferences(json!({"channels": ["email"], "email": "alice@example.com"}))
        .await;
    for title in ["Hi\r\nBcc: eve@example.com", "Hi\nthere", "Hi\rthere"] {
        let (status, problem) = bob
            .post(
                "/v1/notifications",
                Some(&json!({"to": ["alice"], "title": title, "body": "x"})),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(problem["errors"][0]["field"], "title");
    }
    let events: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE kind LIKE 'notification.%'")
            .fetch_one(&env.write)
            .await
            .expect("count");
    assert_eq!(events, 0);
    assert!(smtp.received().is_empty());
}

#[tokio::test]
async fn webhooks_to_loopback_or_metadata_addresses_are_refused_unless_allowed() {
    let env = TestEnv::new().await;
    let receiver = Receiver::start(200).await;
    let server = server(&env, free_port(), true).await;
    let (alice, bob, _) = users(&env, &server).await;
    // A literal address is refused when it is set, by the worker's own rule.
    for url in [
        receiver.url.clone(),
        "http://169.254.169.254/latest/meta-data".to_owned(),
        "http://[::1]/hook".to_owned(),
    ] {
        let (status, answer) = alice
            .put(
                "/v1/preferences",
                &json!({"channels": ["webhook"], "webhook_url": url, "webhook_secret": SECRET}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {answer}");
        let violation = &answer["errors"][0];
        assert_eq!(violation["field"], "webhook_url", "{answer}");
        assert!(
            violation["message"]
                .as_str()
                .is_some_and(|m| m.contains("private address")),
            "{answer}"
        );
    }
    assert_eq!(
        env.count_events("preferences.updated", None).await,
        0,
        "nothing was stored"
    );
    // A name is resolved at each delivery: one that leads to loopback is refused then.
    let port = receiver.url.split(':').nth(2).expect("a port");
    alice
        .set_preferences(json!({"channels": ["webhook"], "webhook_url": format!("http://localhost:{port}"), "webhook_secret": SECRET}))
        .await;
    let (operation, sent) = bob.send_operation(&["alice"], "ssrf?", json!({})).await;
    bob.wait_operation(&operation, "failed").await;
    let (_, shown) = bob.get(&format!("/v1/notifications/{}", sent[0])).await;
    let webhook = channel(&shown, "webhook");
    assert_eq!(webhook["attempts"], 1, "a refusal is permanent: {webhook}");
    assert!(
        webhook["detail"]
            .as_str()
            .is_some_and(|d| d.contains("refused")),
        "{webhook}"
    );
    assert!(
        receiver.received().is_empty(),
        "nothing reached the loopback receiver"
    );
}

#[tokio::test]
async fn a_redelivered_request_sends_no_second_email() {
    let env = TestEnv::new().await;
    let smtp = SmtpServer::start().await;
    let server = server(&env, smtp.port, false).await;
    let (alice, bob, _) = users(&env, &server).await;
    alice
        .set_preferences(json!({"channels": ["email"], "email": "alice@example.com"}))
        .await;
    let (operation, sent) = bob.send_operation(&["alice"], "once only", json!({})).await;
    bob.wait_operation(&operation, "delivered").await;
    smtp.wait_for(1).await;

    let request: Value = sqlx::query_scalar("SELECT document::jsonb FROM events WHERE aggregate_id = $1 AND kind = 'delivery.requested'")
        .bind(sent[0])
        .fetch_one(&env.write)
        .await
        .expect("the request");
    let body = serde_json::to_vec(&request).expect("json");
    env.publish_raw("user.alice.delivery.requested", &body)
        .await;
    env.publish_raw("user.alice.delivery.requested", &body)
        .await;
    // A later e-mail is the marker: once it arrived, the duplicates were handled before it.
    let (marker, _) = bob.send_operation(&["alice"], "marker", json!({})).await;
    bob.wait_operation(&marker, "delivered").await;
    let mails = smtp.wait_for(2).await;
    assert_eq!(mails.len(), 2, "the redelivered request sent nothing");
    let duplicates: i64 = sqlx::query_scalar("SELECT count(*) FROM effect_duplicates")
        .fetch_one(&env.write)
        .await
        .expect("count");
    assert_eq!(duplicates, 0);
}

#[tokio::test]
async fn two_dispatchers_at_once_produce_one_outcome_per_channel() {
    let env = TestEnv::new().await;
    let smtp = SmtpServer::start().await;
    let port = smtp.port.to_string();
    let main = env
        .start_server_with(
            "api,relay,projector,email,webhook",
            &[("NOTIFY_SERVER_SMTP__PORT", &port)],
        )
        .await;
    let _first = env.start_server("dispatcher").await;
    let _second = env.start_server("dispatcher").await;
    let alice = Api::new(main.url(), &env.add_user("alice", "send,inbox").await);
    alice
        .set_preferences(json!({"channels": ["email"], "email": "alice@example.com"}))
        .await;

    let mut operations = Vec::new();
    for i in 0..12 {
        operations.push(
            alice
                .send_operation(&["alice"], &format!("n{i}"), json!({}))
                .await
                .0,
        );
    }
    for operation in &operations {
        alice.wait_operation(operation, "delivered").await;
    }
    assert_eq!(smtp.wait_for(12).await.len(), 12);
    let per_kind: Vec<(String, i64)> = sqlx::query_as(
        "SELECT kind, count(*) FROM events WHERE kind IN ('delivery.requested', 'delivery.succeeded', 'notification.delivered') GROUP BY kind ORDER BY kind",
    )
    .fetch_all(&env.write)
    .await
    .expect("counts");
    assert_eq!(
        per_kind,
        [
            ("delivery.requested".to_owned(), 12),
            ("delivery.succeeded".to_owned(), 12),
            ("notification.delivered".to_owned(), 12)
        ]
    );
}

/// The bulk rebuild against the live projection over a history with every kind of event:
/// preferences, sends delivered, failed on one channel and escalated, a scheduled send
/// cancelled (and one left waiting), reads, an unread and read-alls.
#[tokio::test]
async fn a_bulk_rebuild_of_a_history_with_every_kind_of_event_equals_the_live_projection() {
    let env = TestEnv::new().await;
    let smtp = SmtpServer::start().await;
    let receiver = Receiver::start(404).await;
    let server = server(&env, smtp.port, false).await;
    let (alice, bob, ops) = users(&env, &server).await;
    alice
        .set_preferences(json!({"channels": ["email", "webhook"], "email": "alice@example.com", "webhook_url": receiver.url, "webhook_secret": SECRET}))
        .await;
    for (user, address) in [(&bob, "bob@example.com"), (&ops, "ops@example.com")] {
        user.set_preferences(json!({"channels": ["email"], "email": address}))
            .await;
    }
    let mut operations = Vec::new();
    let mut sent = Vec::new();
    for i in 0..3 {
        let (operation, ids) = bob
            .send_operation(&["alice", "bob"], &format!("message {i}"), json!({}))
            .await;
        operations.push(operation);
        sent.extend(ids);
    }
    for operation in &operations {
        bob.wait_operation(operation, "partially_delivered").await;
    }
    // Each of alice's notifications failed on its webhook and was escalated to ops, by e-mail:
    // nothing moves once bob's three and the three escalations are delivered.
    ops.wait_for("/v1/inbox/count", "three escalations", |c| c["unread"] == 3)
        .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while env.count_events("notification.delivered", None).await < 6 {
        assert!(
            std::time::Instant::now() < deadline,
            "escalations delivered"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(env.count_events("notification.failed", None).await, 3);

    // Two sends for tomorrow: one cancelled, one left waiting.
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    let mut scheduled = Vec::new();
    for body in ["cancelled later", "still waiting"] {
        let (operation, ids) = bob
            .send_operation(&["alice"], body, json!({"deliver_at": tomorrow}))
            .await;
        bob.wait_operation(&operation, "scheduled").await;
        scheduled.push(ids[0]);
    }
    let (status, cancel) = bob
        .post(&format!("/v1/notifications/{}/cancel", scheduled[0]), None)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{cancel}");
    // Reads, an unread, and read-alls: each command's operation is applied at once.
    let mut applied = Vec::new();
    for (api, path) in [
        (&bob, format!("/v1/notifications/{}/read", sent[1])),
        (&bob, format!("/v1/notifications/{}/read", sent[3])),
        (&bob, format!("/v1/notifications/{}/unread", sent[1])),
        (&alice, format!("/v1/notifications/{}/read", sent[0])),
        (&alice, "/v1/inbox/read-all".to_owned()),
        (&ops, "/v1/inbox/read-all".to_owned()),
    ] {
        let (status, answer) = api.post(&path, None).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{path}: {answer}");
        let operation = answer["operation_id"].as_str().expect("operation id");
        applied.push((api, operation.to_owned()));
    }
    applied.push((
        &bob,
        cancel["operation_id"]
            .as_str()
            .expect("operation id")
            .to_owned(),
    ));
    for (api, operation) in &applied {
        api.wait_operation(operation, "applied").await;
    }
    assert_rebuild_equals_live(&env, 11).await;
}

#[tokio::test]
async fn outcomes_of_a_notifications_channels_recorded_at_once_complete_it_exactly_once() {
    let env = TestEnv::new().await;
    // No workers: the test reports both channels' outcomes itself, at the same moment, and
    // the dispatcher records them concurrently. Whichever is recorded last must see the other
    // one and complete the saga.
    let server = env.start_server("api,relay,projector,dispatcher").await;
    let (alice, bob, _) = users(&env, &server).await;
    alice
        .set_preferences(json!({"channels": ["email", "webhook"], "email": "alice@example.com", "webhook_url": "https://hooks.example.com/alice"}))
        .await;
    let mut operations = Vec::new();
    for i in 0..SENDS {
        let (operation, _) = bob
            .send_operation(&["alice"], &format!("both channels #{i}"), json!({}))
            .await;
        operations.push(operation);
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let deliveries = loop {
        let rows: Vec<(Uuid, Uuid, Uuid, String)> = sqlx::query_as(
            "SELECT d.id, d.notification_id, s.operation_id, d.channel
             FROM deliveries d JOIN sagas s USING (notification_id)
             ORDER BY d.notification_id, d.channel",
        )
        .fetch_all(&env.write)
        .await
        .expect("deliveries");
        if rows.len() == 2 * SENDS {
            break rows;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} of {} deliveries started",
            rows.len(),
            2 * SENDS
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let alice_id = UserId::parse("alice").expect("valid");
    let outcomes: Vec<(String, Vec<u8>)> = deliveries
        .iter()
        .map(|(delivery_id, notification, operation, channel)| {
            let event = Event::DeliverySucceeded(DeliveryOutcome {
                delivery_id: *delivery_id,
                channel: serde_json::from_value(json!(channel)).expect("a channel"),
                attempt: 1,
                detail: "accepted".into(),
                permanent: false,
            });
            let envelope = Envelope::new(
                "/test",
                *operation,
                *notification,
                alice_id.clone(),
                // Not stored: the number only has to be new to the projector.
                10,
                event,
            );
            (
                routing_key(&alice_id, &envelope.event),
                serde_json::to_vec(&envelope).expect("JSON"),
            )
        })
        .collect();
    env.publish_many(&outcomes).await;

    for operation in &operations {
        bob.wait_operation(operation, "delivered").await;
    }
    assert_eq!(
        env.count_events("notification.delivered", None).await,
        SENDS as i64,
        "each notification completed once"
    );
}

/// Notifications of two channels each, in the concurrent-outcomes test.
const SENDS: usize = 40;
