//! RabbitMQ: connecting, and declaring the shared topology. Only this module and the roles
//! that publish or consume know AMQP.

use lapin::options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::FieldTable;
use lapin::{Connection, ConnectionProperties, ExchangeKind};
use notify_shared::routing::{DEAD_LETTER_EXCHANGE, DEAD_LETTER_QUEUE, EVENTS_EXCHANGE};
use secrecy::{ExposeSecret, SecretString};

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
    channel
        .exchange_declare(
            EVENTS_EXCHANGE,
            ExchangeKind::Topic,
            durable,
            FieldTable::default(),
        )
        .await?;
    channel
        .exchange_declare(
            DEAD_LETTER_EXCHANGE,
            ExchangeKind::Fanout,
            durable,
            FieldTable::default(),
        )
        .await?;
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
    channel.close(200, "topology declared").await
}
