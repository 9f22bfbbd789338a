//! The RabbitMQ topology the server declares: checked through the management API, and
//! declared again by a second server without error.

use std::time::Duration;

use notify_tests::TestEnv;
use notify_tests::api::Api;
use notify_tests::services;
use serde_json::{Value, json};

async fn management(path: &str) -> Value {
    services::management(reqwest::Method::GET, path)
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .expect("management API")
        .json()
        .await
        .expect("JSON")
}

#[tokio::test]
async fn server_queues_are_quorum_queues_with_a_delivery_limit_and_dead_lettering() {
    let env = TestEnv::new().await;
    let _first = env.start_server("api,relay").await;
    // Older servers bound the server queues to `notify.events` (the projector's to every event,
    // "#") and fed the workers through a headers exchange; a newer server removes all of it.
    for (queue, key) in [
        ("notify.projector", "#"),
        ("notify.projector", "user.*.notification.*"),
        ("notify.dispatcher", "user.*.delivery.failed"),
        ("notify.worker.email", "user.*.delivery.requested"),
    ] {
        services::management(
            reqwest::Method::POST,
            &format!("/bindings/{}/e/notify.events/q/{queue}", env.name),
        )
        .json(&json!({"routing_key": key}))
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .expect("bind as an older server did");
    }
    services::management(
        reqwest::Method::PUT,
        &format!("/exchanges/{}/notify.delivery-requests", env.name),
    )
    .json(&json!({"type": "headers", "durable": true}))
    .send()
    .await
    .and_then(|r| r.error_for_status())
    .expect("declare as an older server did");
    // A second server declares the same topology: idempotent, no PRECONDITION_FAILED.
    let _second = env.start_server("api,relay").await;

    let exchange = management(&format!("/exchanges/{}/notify.events", env.name)).await;
    assert_eq!(
        (exchange["type"].as_str(), exchange["durable"].as_bool()),
        (Some("topic"), Some(true))
    );
    let dead = management(&format!("/exchanges/{}/notify.dead", env.name)).await;
    assert_eq!(dead["type"], "fanout");
    let pipeline = management(&format!("/exchanges/{}/notify.pipeline", env.name)).await;
    assert_eq!(
        (pipeline["type"].as_str(), pipeline["durable"].as_bool()),
        (Some("direct"), Some(true))
    );
    let gone = services::management(
        reqwest::Method::GET,
        &format!("/exchanges/{}/notify.delivery-requests", env.name),
    )
    .send()
    .await
    .expect("management API");
    assert_eq!(gone.status(), 404, "the headers exchange is removed");

    let ingest = management(&format!("/exchanges/{}/notify.ingest", env.name)).await;
    assert_eq!(
        (ingest["type"].as_str(), ingest["durable"].as_bool()),
        (Some("topic"), Some(true))
    );
    for (queue, source, key) in [
        ("notify.projector", "notify.pipeline", "notify.projector"),
        ("notify.dispatcher", "notify.pipeline", "notify.dispatcher"),
        (
            "notify.worker.email",
            "notify.pipeline",
            "notify.worker.email",
        ),
        (
            "notify.worker.webhook",
            "notify.pipeline",
            "notify.worker.webhook",
        ),
        ("notify.ingest", "notify.ingest", "#"),
    ] {
        let info = management(&format!("/queues/{}/{queue}", env.name)).await;
        let arguments = &info["arguments"];
        assert_eq!(arguments["x-queue-type"], "quorum", "{queue}: {arguments}");
        assert_eq!(arguments["x-delivery-limit"], 5, "{queue}: {arguments}");
        assert_eq!(
            arguments["x-dead-letter-exchange"], "notify.dead",
            "{queue}: {arguments}"
        );
        assert_eq!(info["durable"], true, "{queue}");
        let bindings = management(&format!("/queues/{}/{queue}/bindings", env.name)).await;
        let bound: Vec<(&str, &str)> = bindings
            .as_array()
            .expect("bindings")
            .iter()
            .filter(|b| b["source"] != "")
            .map(|b| {
                let source = b["source"].as_str().expect("source");
                (source, b["routing_key"].as_str().expect("key"))
            })
            .collect();
        assert_eq!(
            bound,
            [(source, key)],
            "{queue} is fed by its own exchange only (the relay's batches, or other services' \
             events), never by notify.events"
        );
    }
}

#[tokio::test]
async fn each_worker_queue_receives_only_its_channels_delivery_requests() {
    let env = TestEnv::new().await;
    // No workers: the requests stay in their queues to be counted.
    let server = env.start_server("api,relay,projector,dispatcher").await;
    let alice = Api::new(server.url(), &env.add_user("alice", "send,inbox").await);
    alice
        .set_preferences(json!({
            "channels": ["desktop", "email", "webhook"],
            "email": "alice@example.com",
            "webhook_url": "https://hooks.example.com/alice",
        }))
        .await;
    let mut tap = env.tap().await;
    alice
        .send(&["alice"], "one request per channel", json!({}))
        .await;
    let mut requested = Vec::new();
    while requested.len() < 3 {
        let event = tap.take(1).await.remove(0);
        if event.routing_key == "user.alice.delivery.requested" {
            requested.push(event.json["data"]["channel"].clone());
        }
    }
    requested.sort_by_key(|channel| channel.to_string());
    assert_eq!(
        requested,
        [json!("desktop"), json!("email"), json!("webhook")]
    );

    // The relay deletes outbox rows once the broker confirmed them, and a quorum queue
    // confirms what it committed: with the outbox empty, the worker queues hold what was
    // routed to them.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while env.count("outbox").await > 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the outbox was not relayed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for queue in ["notify.worker.email", "notify.worker.webhook"] {
        assert_eq!(
            env.queue_depth(queue).await,
            1,
            "{queue} holds its own channel's request only"
        );
    }
}
