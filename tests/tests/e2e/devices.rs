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
    try_connect(credentials).await.expect("the account logs in")
}

async fn try_connect(credentials: &Value) -> Result<Connection, lapin::Error> {
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
    Connection::connect(&with_account, ConnectionProperties::default()).await
}

#[tokio::test]
async fn a_device_account_may_open_only_a_few_connections_and_channels() {
    let env = TestEnv::new().await;
    let server = env.start_server("api,relay").await;
    let alice = Api::new(server.url(), &env.add_user("alice", "inbox").await);
    let credentials = register(&alice, "laptop").await;
    // The defaults: 3 connections, 4 channels.
    let mut connections = Vec::new();
    for _ in 0..3 {
        connections.push(connect(&credentials).await);
    }
    let fourth = try_connect(&credentials).await;
    assert!(fourth.is_err(), "a fourth connection was let in");
    let mut channels = Vec::new();
    for _ in 0..4 {
        channels.push(connections[0].create_channel().await.expect("channel"));
    }
    let fifth = connections[1].create_channel().await;
    assert!(fifth.is_err(), "a fifth channel was let in");
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
    let first = register(&alice, "laptop").await;
    let alices = register(&alice, "laptop").await;
    let alices_queue = alices["queue"].as_str().expect("queue").to_owned();
    assert!(
        alices_queue.starts_with("notify.user.alice.laptop.") && alices_queue.len() > 30,
        "{alices_queue}: named by user, device and a part nobody can guess"
    );
    assert_eq!(
        first["queue"], alices["queue"],
        "the machine keeps its queue"
    );
    // The password is kept nowhere but on the device: registering again issues a new one,
    // and the old one no longer logs in.
    assert_eq!(alices["username"], first["username"]);
    assert_ne!(alices["password"], first["password"]);
    assert!(
        try_connect(&first).await.is_err(),
        "the re-issued password still logs in"
    );
    let stored: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'public' AND column_name ILIKE '%password%'",
    )
    .fetch_one(&env.write)
    .await
    .expect("columns");
    assert_eq!(stored, 0, "the write DB keeps a broker password");
    // Each machine has its own account.
    let desktop = register(&alice, "desktop").await;
    assert_ne!(desktop["username"], alices["username"]);
    let als = register(&al, "laptop").await;
    let als_queue = als["queue"].as_str().expect("queue").to_owned();
    let desktop_queue = desktop["queue"].as_str().expect("queue").to_owned();
    assert_ne!(als["username"], alices["username"]);

    // al's own queue works and receives al's events only.
    let connection = connect(&als).await;
    let channel = connection.create_channel().await.expect("channel");
    channel
        .basic_consume(
            als_queue.as_str().into(),
            "t".into(),
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
                    alices_queue.as_str().into(),
                    "x".into(),
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
                    als_queue.as_str().into(),
                    "notify.events".into(),
                    "user.alice.#".into(),
                    QueueBindOptions::default(),
                    FieldTable::default(),
                )
                .await
        }),
        ("declare a queue named like alice's", {
            let channel = connection.create_channel().await.expect("channel");
            channel
                .queue_declare(
                    "notify.user.alice.evil".into(),
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
                    "notify.events".into(),
                    "user.alice.notification.read".into(),
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
    // A passive declare (which RabbitMQ answers without checking permissions) of the name
    // alice's queue would have without its random part finds nothing.
    let probe = connection.create_channel().await.expect("channel");
    let guessed = probe
        .queue_declare(
            "notify.user.alice.laptop".into(),
            QueueDeclareOptions {
                passive: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await;
    assert!(
        format!("{guessed:?}").contains("NOT_FOUND"),
        "a guessed name told something: {guessed:?}"
    );
    // alice's laptop account reads its own queue only, not her desktop's.
    let laptop = connect(&alices).await;
    refused("consume alice's other device's queue", {
        let channel = laptop.create_channel().await.expect("channel");
        channel
            .basic_consume(
                desktop_queue.as_str().into(),
                "x".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await
            .map(drop)
    });

    let (status, _) = alice
        .post("/v1/devices", Some(&json!({"name": "Not A Name"})))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = alice.delete("/v1/devices/laptop").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = alice.delete("/v1/devices/laptop").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
