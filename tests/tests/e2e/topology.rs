//! The RabbitMQ topology the server declares: checked through the management API, and
//! declared again by a second server without error.

use notify_tests::TestEnv;
use serde_json::Value;

async fn management(path: &str) -> Value {
    reqwest::Client::new()
        .get(format!("http://127.0.0.1:15672/api{path}"))
        .basic_auth("notify", Some("notify"))
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
    // An older server bound the projector's queue to every event ("#"), operation.resolved
    // included; a newer server removes that binding.
    reqwest::Client::new()
        .post(format!(
            "http://127.0.0.1:15672/api/bindings/{}/e/notify.events/q/notify.projector",
            env.name
        ))
        .basic_auth("notify", Some("notify"))
        .json(&serde_json::json!({"routing_key": "#"}))
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .expect("bind as an older server did");
    // A second server declares the same topology: idempotent, no PRECONDITION_FAILED.
    let _second = env.start_server("api,relay").await;

    let exchange = management(&format!("/exchanges/{}/notify.events", env.name)).await;
    assert_eq!(
        (exchange["type"].as_str(), exchange["durable"].as_bool()),
        (Some("topic"), Some(true))
    );
    let dead = management(&format!("/exchanges/{}/notify.dead", env.name)).await;
    assert_eq!(dead["type"], "fanout");

    let expected = [
        (
            "notify.projector",
            vec![
                "user.*.delivery.*",
                "user.*.inbox.*",
                "user.*.notification.*",
                "user.*.preferences.*",
            ],
        ),
        (
            "notify.dispatcher",
            vec![
                "user.*.delivery.failed",
                "user.*.delivery.succeeded",
                "user.*.notification.dispatched",
            ],
        ),
        ("notify.worker.email", vec!["user.*.delivery.requested"]),
        ("notify.worker.webhook", vec!["user.*.delivery.requested"]),
    ];
    for (queue, patterns) in expected {
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
        let mut keys: Vec<&str> = bindings
            .as_array()
            .expect("bindings")
            .iter()
            .filter(|b| b["source"] == "notify.events")
            .map(|b| b["routing_key"].as_str().expect("key"))
            .collect();
        keys.sort_unstable();
        assert_eq!(keys, patterns, "{queue} is bound only to what it needs");
    }
}
