//! Devices: registration creates a broker account that can read only its own user's device
//! queues, checked against the real broker.

use lapin::options::{
    BasicConsumeOptions, BasicPublishOptions, QueueBindOptions, QueueDeclareOptions,
};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Connection, ConnectionProperties};
use notify_tests::TestEnv;
use notify_tests::api::Api;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn register(api: &Api, name: &str) -> Value {
    let (status, credentials) = api.post("/v1/devices", Some(&json!({"name": name}))).await;
    assert_eq!(status, StatusCode::CREATED, "{credentials}");
    credentials
}

async fn connect(credentials: &Value) -> Connection {
    let url = credentials["broker_url"].as_str().expect("broker url");
    let with_account = url.replacen(
        "amqp://",
        &format!(
            "amqp://{}:{}@",
            credentials["username"].as_str().expect("user"),
            credentials["password"].as_str().expect("password")
        ),
        1,
    );
    Connection::connect(&with_account, ConnectionProperties::default())
        .await
        .expect("the account logs in")
}

fn refused<T: std::fmt::Debug>(what: &str, result: Result<T, lapin::Error>) {
    match result {
        Err(error) => assert!(
            format!("{error:?}").contains("ACCESS"),
            "{what}: refused with {error:?}"
        ),
        Ok(ok) => panic!("{what}: allowed ({ok:?})"),
    }
}

#[tokio::test]
async fn a_users_broker_account_reaches_only_its_own_device_queues() {
    let env = TestEnv::new().await;
    let server = env.start_server("api,relay,projector").await;
    let alice = Api::new(server.url(), &env.add_user("alice", "send,inbox").await);
    let al = Api::new(server.url(), &env.add_user("al", "send,inbox").await);
    let alices = register(&alice, "laptop").await;
    assert_eq!(alices["queue"], "notify.user.alice.laptop");
    assert_eq!(
        register(&alice, "laptop").await,
        alices,
        "registering again answers the same"
    );
    let als = register(&al, "laptop").await;
    assert_ne!(als["username"], alices["username"]);

    // al's own queue works and receives al's events only.
    let connection = connect(&als).await;
    let channel = connection.create_channel().await.expect("channel");
    channel
        .basic_consume(
            "notify.user.al.laptop",
            "t",
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .expect("al consumes his own queue");

    let attempts: Vec<(&str, Result<(), lapin::Error>)> = vec![
        ("consume alice's queue", {
            let channel = connection.create_channel().await.expect("channel");
            channel
                .basic_consume(
                    "notify.user.alice.laptop",
                    "x",
                    BasicConsumeOptions::default(),
                    FieldTable::default(),
                )
                .await
                .map(drop)
        }),
        ("bind his queue to alice's events", {
            let channel = connection.create_channel().await.expect("channel");
            channel
                .queue_bind(
                    "notify.user.al.laptop",
                    "notify.events",
                    "user.alice.#",
                    QueueBindOptions::default(),
                    FieldTable::default(),
                )
                .await
        }),
        ("declare a queue named like alice's", {
            let channel = connection.create_channel().await.expect("channel");
            channel
                .queue_declare(
                    "notify.user.alice.evil",
                    QueueDeclareOptions {
                        durable: true,
                        ..Default::default()
                    },
                    FieldTable::default(),
                )
                .await
                .map(drop)
        }),
        ("publish an event for alice", {
            let channel = connection.create_channel().await.expect("channel");
            channel
                .confirm_select(Default::default())
                .await
                .expect("confirms");
            match channel
                .basic_publish(
                    "notify.events",
                    "user.alice.notification.read",
                    BasicPublishOptions::default(),
                    b"{}",
                    BasicProperties::default(),
                )
                .await
            {
                Ok(confirm) => confirm.await.map(drop),
                Err(error) => Err(error),
            }
        }),
    ];
    for (what, result) in attempts {
        refused(what, result);
    }

    let (status, _) = alice
        .post("/v1/devices", Some(&json!({"name": "Not A Name"})))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = alice.delete("/v1/devices/laptop").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = alice.delete("/v1/devices/laptop").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
