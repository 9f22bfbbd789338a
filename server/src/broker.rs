//! RabbitMQ: connecting, and declaring the shared topology. Only this module and the roles
//! that publish or consume know AMQP.

use std::fmt::Display;
use std::future::Future;
use std::time::Duration;

use lapin::options::{
    ExchangeBindOptions, ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable, ShortString};
use lapin::{Channel, Connection, ConnectionProperties, ExchangeKind};
use notify_shared::api::Channel as DeliveryChannel;
use notify_shared::routing::{
    CHANNEL_HEADER, DEAD_LETTER_EXCHANGE, DEAD_LETTER_QUEUE, DELIVERY_REQUESTED,
    DELIVERY_REQUESTS_EXCHANGE, DISPATCHER_QUEUE, EMAIL_QUEUE, EVENTS_EXCHANGE, PROJECTOR_BINDINGS,
    PROJECTOR_FORMER_BINDING, PROJECTOR_QUEUE, WEBHOOK_QUEUE,
};
use secrecy::{ExposeSecret, SecretString};

use crate::projector::apply::name;
use tokio_util::sync::CancellationToken;

/// How often a server queue delivers a message before dead-lettering it.
pub const DELIVERY_LIMIT: i64 = 5;

/// Connects to the broker on the current tokio runtime, named `notify-server/<role>`.
pub async fn connect(url: &SecretString, role: &str) -> lapin::Result<Connection> {
    let properties = ConnectionProperties::default()
        .with_executor(tokio_executor_trait::Tokio::current())
        .with_reactor(tokio_reactor_trait::Tokio)
        .with_connection_name(format!("notify-server/{role}").into());
    Connection::connect(url.expose_secret(), properties).await
}

/// Declares the exchanges and queues every role relies on. Idempotent: declaring what exists
/// with the same arguments changes nothing.
pub async fn declare_topology(connection: &Connection) -> lapin::Result<()> {
    let channel = connection.create_channel().await?;
    let durable = ExchangeDeclareOptions {
        durable: true,
        ..Default::default()
    };
    for (exchange, kind) in [
        (EVENTS_EXCHANGE, ExchangeKind::Topic),
        (DEAD_LETTER_EXCHANGE, ExchangeKind::Fanout),
        (DELIVERY_REQUESTS_EXCHANGE, ExchangeKind::Headers),
    ] {
        channel
            .exchange_declare(exchange, kind, durable, FieldTable::default())
            .await?;
    }
    channel
        .queue_declare(
            DEAD_LETTER_QUEUE,
            QueueDeclareOptions {
                durable: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await?;
    channel
        .queue_bind(
            DEAD_LETTER_QUEUE,
            DEAD_LETTER_EXCHANGE,
            "",
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await?;
    declare_server_queue(&channel, PROJECTOR_QUEUE, &PROJECTOR_BINDINGS).await?;
    // Unbinding what is not bound is a no-op.
    channel
        .queue_unbind(
            PROJECTOR_QUEUE,
            EVENTS_EXCHANGE,
            PROJECTOR_FORMER_BINDING,
            FieldTable::default(),
        )
        .await?;
    declare_server_queue(
        &channel,
        DISPATCHER_QUEUE,
        &[
            "user.*.notification.dispatched",
            "user.*.delivery.succeeded",
            "user.*.delivery.failed",
        ],
    )
    .await?;
    declare_delivery_requests(&channel).await?;
    channel.close(200, "topology declared").await
}

/// Binds [`DELIVERY_REQUESTS_EXCHANGE`] to the delivery requests and declares the worker
/// queues behind it, each bound to its
/// channel's requests only, and removes the binding of every request to both queues that older
/// servers made.
async fn declare_delivery_requests(channel: &Channel) -> lapin::Result<()> {
    channel
        .exchange_bind(
            DELIVERY_REQUESTS_EXCHANGE,
            EVENTS_EXCHANGE,
            DELIVERY_REQUESTED,
            ExchangeBindOptions::default(),
            FieldTable::default(),
        )
        .await?;
    for (queue, wanted) in [
        (EMAIL_QUEUE, DeliveryChannel::Email),
        (WEBHOOK_QUEUE, DeliveryChannel::Webhook),
    ] {
        declare_server_queue(channel, queue, &[]).await?;
        let mut arguments = FieldTable::default();
        arguments.insert(
            ShortString::from("x-match"),
            AMQPValue::LongString("all".into()),
        );
        arguments.insert(
            ShortString::from(CHANNEL_HEADER),
            AMQPValue::LongString(name(&wanted).into()),
        );
        channel
            .queue_bind(
                queue,
                DELIVERY_REQUESTS_EXCHANGE,
                "",
                QueueBindOptions::default(),
                arguments,
            )
            .await?;
        // Unbinding what is not bound is a no-op.
        channel
            .queue_unbind(
                queue,
                EVENTS_EXCHANGE,
                DELIVERY_REQUESTED,
                FieldTable::default(),
            )
            .await?;
    }
    Ok(())
}

/// Declares a quorum queue with an explicit delivery limit, dead-lettered to `notify.dead`,
/// and binds it to `notify.events` with `patterns`.
async fn declare_server_queue(
    channel: &Channel,
    name: &str,
    patterns: &[&str],
) -> lapin::Result<()> {
    let mut arguments = FieldTable::default();
    arguments.insert(
        ShortString::from("x-queue-type"),
        AMQPValue::LongString("quorum".into()),
    );
    arguments.insert(
        ShortString::from("x-delivery-limit"),
        AMQPValue::LongLongInt(DELIVERY_LIMIT),
    );
    arguments.insert(
        ShortString::from("x-dead-letter-exchange"),
        AMQPValue::LongString(DEAD_LETTER_EXCHANGE.into()),
    );
    channel
        .queue_declare(
            name,
            QueueDeclareOptions {
                durable: true,
                ..Default::default()
            },
            arguments,
        )
        .await?;
    for pattern in patterns {
        channel
            .queue_bind(
                name,
                EVENTS_EXCHANGE,
                pattern,
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await?;
    }
    Ok(())
}

/// Runs `session` again and again until `shutdown`, waiting longer after each failure (100 ms
/// doubling to 5 s, with jitter) and logging why it ended. A session returns `Ok` only when it
/// saw `shutdown`.
pub async fn run_with_reconnect<F, Fut, E>(role: &str, shutdown: &CancellationToken, mut session: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: Display,
{
    let mut backoff = Duration::from_millis(100);
    loop {
        let result = tokio::select! {
            result = session() => result,
            () = shutdown.cancelled() => return,
        };
        let Err(error) = result else { return };
        let wait = backoff.mul_f64(1.0 + rand::random::<f64>() * 0.25);
        tracing::warn!(role, %error, retry_in = ?wait, "interrupted; reconnecting");
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = shutdown.cancelled() => return,
        }
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}
