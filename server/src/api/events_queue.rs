//! The ingest role: consumes the queue of the ingest exchange, where other services publish
//! their domain events (CloudEvents, structured or binary AMQP mode), and makes the send each
//! one's rule describes ([`ingest`]), as `POST /v1/events` does.
//!
//! The service is the first word of the routing key: the broker lets each service's account
//! publish only under its own name (`notify-server services add`). A message is acked once its
//! send is stored (or was stored before: a copy). One that can never make a send (not a
//! CloudEvent, no rule, a failing template, an unknown recipient) is dead-lettered at once with
//! the reason in its `notify-reason` and `notify-detail` headers, then acked, so the queue keeps
//! flowing. One that fails for a passing reason (the write DB away, the same event in flight)
//! is held and retried here, never returned to count against the delivery limit.
//!
//! It must not send anything without a rule, nor lose a message: it is acked only after its
//! send or its dead letter is confirmed.

use std::time::Duration;

use futures::stream::{FuturesUnordered, StreamExt};
use lapin::message::Delivery;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicNackOptions, BasicPublishOptions, BasicQosOptions,
    ConfirmSelectOptions,
};
use lapin::types::{AMQPValue, FieldTable, ShortString};
use lapin::{BasicProperties, Channel};
use notify_shared::UserId;
use notify_shared::routing::{
    DEAD_LETTER_DETAIL_HEADER, DEAD_LETTER_EXCHANGE, DEAD_LETTER_REASON_HEADER, INGEST_QUEUE,
    ingest_service,
};
use secrecy::SecretString;
use tokio_util::sync::CancellationToken;

use super::AppState;
use super::error::ApiError;
use super::events::{count, ingest};
use crate::broker;
use crate::ingest::cloudevent::{DomainEvent, STRUCTURED};

/// The role's name, for logs and the connection name.
const ROLE: &str = "ingest";
/// Events handled at the same time (their sends share the api's group commit).
const AT_ONCE: u16 = 32;
/// The prefixes of the AMQP binding's attribute properties in binary mode: `cloudEvents:` as
/// the binding says, `cloudEvents_` as JMS-friendly clients write it.
const PROPERTY_PREFIXES: [&str; 2] = ["cloudEvents:", "cloudEvents_"];

/// Consumes the ingest queue until `shutdown`, reconnecting after broker failures.
pub async fn run(state: AppState, amqp_url: SecretString, shutdown: CancellationToken) {
    broker::run_with_reconnect(ROLE, &shutdown, || session(&state, &amqp_url, &shutdown)).await;
}

async fn session(
    state: &AppState,
    amqp_url: &SecretString,
    shutdown: &CancellationToken,
) -> anyhow::Result<()> {
    let connection = broker::connect(amqp_url, ROLE).await?;
    broker::declare_topology(&connection).await?;
    let channel = connection.create_channel().await?;
    channel
        .basic_qos(AT_ONCE * 2, BasicQosOptions::default())
        .await?;
    let dead = connection.create_channel().await?;
    dead.confirm_select(ConfirmSelectOptions::default()).await?;
    let mut consumer = channel
        .basic_consume(
            INGEST_QUEUE.into(),
            ROLE.into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await?;
    tracing::info!(role = ROLE, queue = INGEST_QUEUE, "consuming");
    let mut under_way = FuturesUnordered::new();
    loop {
        tokio::select! {
            Some(settled) = under_way.next() => settled?,
            next = consumer.next(), if under_way.len() < usize::from(AT_ONCE) => {
                let delivery =
                    next.ok_or_else(|| anyhow::anyhow!("the broker cancelled the consumer"))??;
                under_way.push(settle(state, &dead, shutdown, delivery));
            }
            () = shutdown.cancelled() => break,
        }
    }
    while let Some(settled) = under_way.next().await {
        settled?;
    }
    broker::close(&connection).await;
    Ok(())
}

/// Makes the send of one message and acks it, dead-letters it, or (shutting down while a
/// passing failure holds it) returns it.
async fn settle(
    state: &AppState,
    dead: &Channel,
    shutdown: &CancellationToken,
    delivery: Delivery,
) -> anyhow::Result<()> {
    let mut backoff = Duration::from_millis(100);
    let outcome = loop {
        let outcome = match read(&delivery) {
            Ok((service, event)) => ingest(state, &service, &event).await,
            Err(refused) => Err(refused),
        };
        match outcome {
            Err(error) if error.is_transient() => {
                tracing::warn!(role = ROLE, %error, retry_in = ?backoff, "holding a domain event");
                tokio::select! {
                    () = tokio::time::sleep(backoff) => {}
                    () = shutdown.cancelled() => {
                        let requeue = BasicNackOptions { requeue: true, ..Default::default() };
                        delivery.nack(requeue).await?;
                        return Ok(());
                    }
                }
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
            outcome => break outcome,
        }
    };
    count("amqp", &outcome);
    if let Err(refused) = outcome {
        let problem = refused.problem();
        tracing::info!(role = ROLE, reason = problem.slug(), %problem, "dead-lettering a domain event");
        dead_letter(dead, &delivery, problem.slug(), &problem.to_string()).await?;
    }
    delivery.ack(BasicAckOptions::default()).await?;
    Ok(())
}

/// The service that published `delivery` and its event.
fn read(delivery: &Delivery) -> Result<(UserId, DomainEvent), ApiError> {
    let service = ingest_service(delivery.routing_key.as_str()).ok_or(ApiError::BadRequest {
        slug: "bad-routing-key",
        detail: "publish under your service's name as the routing key".into(),
    })?;
    let properties = &delivery.properties;
    let content_type = properties.content_type().as_ref().map(ShortString::as_str);
    let structured =
        content_type.is_some_and(|t| t.trim().to_ascii_lowercase().starts_with(STRUCTURED));
    let event = if structured {
        DomainEvent::structured(&delivery.data)?
    } else {
        let attribute = |name: &str| {
            let headers = properties.headers().as_ref()?;
            PROPERTY_PREFIXES
                .iter()
                .find_map(|prefix| text(headers.inner().get(format!("{prefix}{name}").as_str())?))
        };
        DomainEvent::binary(attribute, content_type, &delivery.data)?
    };
    Ok((service, event))
}

/// An AMQP header's value as text.
fn text(value: &AMQPValue) -> Option<String> {
    match value {
        AMQPValue::LongString(text) => Some(text.to_string()),
        AMQPValue::ShortString(text) => Some(text.as_str().to_owned()),
        _ => None,
    }
}

/// Publishes `delivery` as it came to the dead-letter exchange, with the reason (a problem
/// type) and its detail in headers, and waits for the broker's confirm.
async fn dead_letter(
    dead: &Channel,
    delivery: &Delivery,
    reason: &str,
    detail: &str,
) -> anyhow::Result<()> {
    let mut headers = delivery.properties.headers().clone().unwrap_or_default();
    headers.insert(
        DEAD_LETTER_REASON_HEADER.into(),
        AMQPValue::LongString(reason.into()),
    );
    headers.insert(
        DEAD_LETTER_DETAIL_HEADER.into(),
        AMQPValue::LongString(detail.into()),
    );
    let properties: BasicProperties = delivery.properties.clone().with_headers(headers);
    dead.basic_publish(
        DEAD_LETTER_EXCHANGE.into(),
        INGEST_QUEUE.into(),
        BasicPublishOptions::default(),
        &delivery.data,
        properties,
    )
    .await?
    .await?;
    Ok(())
}
