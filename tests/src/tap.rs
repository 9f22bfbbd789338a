//! A tap on `notify.events`: an exclusive queue bound to `#` that collects every event.

use std::time::Duration;

use futures::StreamExt;
use lapin::options::{BasicAckOptions, BasicConsumeOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::FieldTable;
use lapin::{Confirmation, Connection, ConnectionProperties, Consumer};
use notify_shared::event::Envelope;
use notify_shared::routing::{
    BATCH_CONTENT_TYPE, EVENTS_EXCHANGE, PIPELINE_EXCHANGE, SCHEDULED_SUFFIX, server_queues,
};

use crate::TestEnv;

/// One message as the broker delivered it.
#[derive(Debug, Clone)]
pub struct Tapped {
    /// The routing key it was published with.
    pub routing_key: String,
    /// The AMQP `message_id`.
    pub message_id: Option<String>,
    /// The AMQP `content_type`.
    pub content_type: Option<String>,
    /// Whether the message was persistent (delivery mode 2).
    pub persistent: bool,
    /// The body as JSON.
    pub json: serde_json::Value,
    /// The body as an envelope.
    pub envelope: Envelope,
}

/// Collects events published to the test's `notify.events`.
#[derive(Debug)]
pub struct Tap {
    _connection: Connection,
    consumer: Consumer,
}

impl TestEnv {
    /// Binds a tap to `notify.events`; the exchange must exist (a server with the relay role
    /// declares it at start).
    pub async fn tap(&self) -> Tap {
        let connection = Connection::connect(&self.amqp_url, ConnectionProperties::default())
            .await
            .expect("connect to the test vhost");
        let channel = connection.create_channel().await.expect("channel");
        let queue = channel
            .queue_declare(
                "".into(),
                QueueDeclareOptions {
                    exclusive: true,
                    ..Default::default()
                },
                FieldTable::default(),
            )
            .await
            .expect("declare tap queue");
        channel
            .queue_bind(
                queue.name().clone(),
                EVENTS_EXCHANGE.into(),
                "#".into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .expect("bind tap queue to notify.events");
        let consumer = channel
            .basic_consume(
                queue.name().clone(),
                "tap".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await
            .expect("consume tap queue");
        Tap {
            _connection: connection,
            consumer,
        }
    }
}

impl TestEnv {
    /// Publishes `body` as the relay would, bypassing it: for duplicated, reordered and poison
    /// messages (see [`TestEnv::publish_many`]).
    pub async fn publish_raw(&self, routing_key: &str, body: &[u8]) {
        self.publish_many(&[(routing_key.to_owned(), body.to_vec())])
            .await;
    }

    /// Publishes each `(routing key, body)` on one connection as the relay would, waiting for
    /// every confirm: to `notify.events` under the routing key, and alone (not in a batch) into
    /// each server queue that handles its kind (the kind from the routing key, a delivery
    /// request's channel from the body).
    pub async fn publish_many(&self, messages: &[(String, Vec<u8>)]) {
        let (connection, channel) = self.confirming_channel().await;
        let mut confirms = Vec::with_capacity(messages.len());
        for (routing_key, body) in messages {
            let kind = routing_key
                .splitn(3, '.')
                .nth(2)
                .unwrap_or_default()
                .trim_end_matches(SCHEDULED_SUFFIX);
            let channel_name = serde_json::from_slice::<serde_json::Value>(body)
                .ok()
                .and_then(|json| json["data"]["channel"].as_str().map(str::to_owned));
            let destinations = std::iter::once((EVENTS_EXCHANGE, routing_key.as_str())).chain(
                server_queues(kind, channel_name.as_deref())
                    .map(|queue| (PIPELINE_EXCHANGE, queue)),
            );
            for (exchange, key) in destinations {
                confirms.push(
                    channel
                        .basic_publish(
                            exchange.into(),
                            key.into(),
                            Default::default(),
                            body,
                            Default::default(),
                        )
                        .await
                        .expect("publish"),
                );
            }
        }
        for confirm in confirms {
            confirm.await.expect("confirmed");
        }
        connection.close(200, "done".into()).await.expect("close");
    }

    /// Publishes `documents` as one batch message into server queue `queue`, as the relay
    /// does; waits (up to 10 s) until a server has declared the queue.
    pub async fn publish_batch(&self, queue: &str, documents: &[String]) {
        let body = format!("[{}]", documents.join(","));
        let (connection, channel) = self.confirming_channel().await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let confirm = notify_server::pipeline::publish(
                &channel,
                queue,
                body.as_bytes(),
                BATCH_CONTENT_TYPE,
            )
            .await
            .expect("publish")
            .await
            .expect("confirmed");
            match confirm {
                Confirmation::Ack(None) => break,
                Confirmation::Ack(Some(_unroutable)) => {}
                refused => panic!("the broker refused the batch: {refused:?}"),
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no server declared {queue}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        connection.close(200, "done".into()).await.expect("close");
    }

    /// A connection to the test's vhost and a channel on it in confirm mode.
    async fn confirming_channel(&self) -> (Connection, lapin::Channel) {
        let connection = Connection::connect(&self.amqp_url, ConnectionProperties::default())
            .await
            .expect("connect to the test vhost");
        let channel = connection.create_channel().await.expect("channel");
        channel
            .confirm_select(Default::default())
            .await
            .expect("confirms");
        (connection, channel)
    }

    /// How many messages wait in queue `name` of the test's vhost.
    pub async fn queue_depth(&self, name: &str) -> u32 {
        let connection = Connection::connect(&self.amqp_url, ConnectionProperties::default())
            .await
            .expect("connect to the test vhost");
        let channel = connection.create_channel().await.expect("channel");
        let passive = QueueDeclareOptions {
            passive: true,
            ..Default::default()
        };
        let queue = channel
            .queue_declare(name.into(), passive, FieldTable::default())
            .await
            .expect("queue exists");
        connection.close(200, "done".into()).await.expect("close");
        queue.message_count()
    }
}

impl Tap {
    /// Waits for `n` messages (panics after 20 s), then checks that nothing more arrives for a
    /// moment, so callers can assert "exactly these".
    pub async fn exactly(&mut self, n: usize) -> Vec<Tapped> {
        let got = self.take(n).await;
        if let Ok(Some(extra)) = tokio::time::timeout(Duration::from_millis(700), self.next()).await
        {
            panic!("expected exactly {n} events, got another: {:?}", extra.json);
        }
        got
    }

    /// Waits for `n` messages; panics after 20 s.
    pub async fn take(&mut self, n: usize) -> Vec<Tapped> {
        let mut got = Vec::with_capacity(n);
        while got.len() < n {
            match tokio::time::timeout(Duration::from_secs(20), self.next()).await {
                Ok(Some(message)) => got.push(message),
                Ok(None) => panic!("tap closed after {} of {n} events", got.len()),
                Err(_) => panic!(
                    "only {} of {n} events arrived within 20 s: {got:#?}",
                    got.len()
                ),
            }
        }
        got
    }

    async fn next(&mut self) -> Option<Tapped> {
        let delivery = self.consumer.next().await?.expect("tap delivery");
        delivery
            .ack(BasicAckOptions::default())
            .await
            .expect("ack tap delivery");
        let properties = &delivery.properties;
        let json: serde_json::Value =
            serde_json::from_slice(&delivery.data).expect("event body is JSON");
        let envelope = serde_json::from_value(json.clone()).expect("event body is an Envelope");
        Some(Tapped {
            routing_key: delivery.routing_key.to_string(),
            message_id: properties.message_id().as_ref().map(|s| s.to_string()),
            content_type: properties.content_type().as_ref().map(|s| s.to_string()),
            persistent: *properties.delivery_mode() == Some(2),
            json,
            envelope,
        })
    }
}
