//! RabbitMQ: connecting, and declaring the shared topology. Only this module and the roles
//! that publish or consume know AMQP.

use std::fmt::Display;
use std::future::Future;
use std::time::Duration;

use lapin::options::{
    ExchangeDeclareOptions, ExchangeDeleteOptions, QueueBindOptions, QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable, ShortString};
use lapin::{Channel, Connection, ConnectionProperties, ExchangeKind};
use notify_shared::routing::{
    DEAD_LETTER_EXCHANGE, DEAD_LETTER_QUEUE, DISPATCHER_QUEUE, EMAIL_QUEUE, EVENTS_EXCHANGE,
    INGEST_EXCHANGE, INGEST_QUEUE, PIPELINE_EXCHANGE, PROJECTOR_QUEUE, SERVER_QUEUES,
    WEBHOOK_QUEUE,
};
use secrecy::{ExposeSecret, SecretString};
use tokio_util::sync::CancellationToken;

/// How often a server queue delivers a message before dead-lettering it.
pub const DELIVERY_LIMIT: i64 = 5;

/// Closes `connection` when a role stops, so that its I/O loop ends before the runtime does
/// (left open, it logs errors as the runtime goes away). Failing to close changes nothing at
/// that point: the broker drops the connection with the process.
pub async fn close(connection: &Connection) {
    if let Err(error) = connection.close(200, "shutting down".into()).await {
        tracing::debug!(%error, "closing the broker connection");
    }
}

/// Connects to the broker on the current tokio runtime, named `notify-server/<role>`.
pub async fn connect(url: &SecretString, role: &str) -> lapin::Result<Connection> {
    let properties = ConnectionProperties::default()
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
        (PIPELINE_EXCHANGE, ExchangeKind::Direct),
        (INGEST_EXCHANGE, ExchangeKind::Topic),
    ] {
        channel
            .exchange_declare(exchange.into(), kind, durable, FieldTable::default())
            .await?;
    }
    channel
        .queue_declare(
            DEAD_LETTER_QUEUE.into(),
            QueueDeclareOptions {
                durable: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await?;
    channel
        .queue_bind(
            DEAD_LETTER_QUEUE.into(),
            DEAD_LETTER_EXCHANGE.into(),
            "".into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await?;
    for queue in SERVER_QUEUES {
        declare_quorum_queue(&channel, queue, PIPELINE_EXCHANGE, queue).await?;
    }
    declare_quorum_queue(&channel, INGEST_QUEUE, INGEST_EXCHANGE, "#").await?;
    remove_former_bindings(&channel).await?;
    channel.close(200, "topology declared".into()).await
}

/// What servers before [`PIPELINE_EXCHANGE`] bound the server queues to (one message per event
/// from `notify.events`), removed so that no queue gets an event twice. Unbinding what is not
/// bound, and deleting an exchange that does not exist, are no-ops.
async fn remove_former_bindings(channel: &Channel) -> lapin::Result<()> {
    const FORMER: [(&str, &[&str]); 4] = [
        (
            PROJECTOR_QUEUE,
            &[
                "#",
                "user.*.notification.*",
                "user.*.notification.requested.scheduled",
                "user.*.delivery.*",
                "user.*.inbox.*",
                "user.*.preferences.*",
                "user.*.user.*",
            ],
        ),
        (
            DISPATCHER_QUEUE,
            &[
                "user.*.notification.dispatched",
                "user.*.delivery.succeeded",
                "user.*.delivery.failed",
            ],
        ),
        (EMAIL_QUEUE, &["user.*.delivery.requested"]),
        (WEBHOOK_QUEUE, &["user.*.delivery.requested"]),
    ];
    for (queue, patterns) in FORMER {
        for pattern in patterns {
            channel
                .queue_unbind(
                    queue.into(),
                    EVENTS_EXCHANGE.into(),
                    (*pattern).into(),
                    FieldTable::default(),
                )
                .await?;
        }
    }
    // The headers exchange that routed each delivery request to its channel's worker queue.
    channel
        .exchange_delete(
            "notify.delivery-requests".into(),
            ExchangeDeleteOptions::default(),
        )
        .await
}

/// Declares a quorum queue with an explicit delivery limit, dead-lettered to `notify.dead`,
/// and binds it to `exchange` with `binding` (a server queue: [`PIPELINE_EXCHANGE`] under its
/// own name; the ingest queue: [`INGEST_EXCHANGE`], every routing key).
async fn declare_quorum_queue(
    channel: &Channel,
    name: &str,
    exchange: &str,
    binding: &str,
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
            name.into(),
            QueueDeclareOptions {
                durable: true,
                ..Default::default()
            },
            arguments,
        )
        .await?;
    channel
        .queue_bind(
            name.into(),
            exchange.into(),
            binding.into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
}

/// How long a session may take, once told to stop, to finish what it has under way.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

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
        let session = session();
        tokio::pin!(session);
        let result = tokio::select! {
            result = &mut session => result,
            // The session sees the shutdown too: it finishes what it has under way and closes
            // its connection. One that does not within the grace time is dropped.
            () = shutdown.cancelled() => match tokio::time::timeout(SHUTDOWN_GRACE, &mut session).await {
                Ok(result) => result,
                Err(_) => return,
            },
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
