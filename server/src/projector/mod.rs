//! The projector role: the only writer of the read DB.
//!
//! Consumes `notify.projector` (a quorum queue bound to every event) with manual acks, applies
//! deliveries in batches (one read-DB transaction each, see [`apply`]), and acks only after the
//! commit. While the read DB is unavailable it keeps its deliveries and retries, so nothing is
//! returned to the queue (which would count against the delivery limit). An unparseable message
//! is rejected at once and dead-lettered; one that fails to apply is isolated from its batch and
//! returned, until the queue's delivery limit dead-letters it. After a commit it publishes
//! `operation.resolved` for each operation that reached a final state.

pub mod apply;
pub mod rebuild;
mod settle;
mod wave;

use std::time::Duration;

use futures::StreamExt;
use lapin::message::Delivery;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicNackOptions, BasicPublishOptions, BasicQosOptions,
};
use lapin::types::{FieldTable, ShortString};
use lapin::{BasicProperties, Channel, Consumer};
use notify_shared::event::{CONTENT_TYPE, Envelope, Event, OperationResolved};
use notify_shared::routing::{EVENTS_EXCHANGE, PROJECTOR_QUEUE, routing_key};
use secrecy::SecretString;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::{broker, db};
use apply::Resolved;

/// How long a batch waits for more deliveries once it has one.
const BATCH_WINDOW: Duration = Duration::from_millis(5);

/// What the projector needs.
#[derive(Debug)]
pub struct Projector {
    /// The read DB.
    pub read: PgPool,
    /// The broker.
    pub amqp_url: SecretString,
    /// Most events per transaction.
    pub batch: u16,
}

/// Why a projector session ended; it reconnects and goes on.
#[derive(Debug, thiserror::Error)]
pub enum ProjectorError {
    /// The broker failed or closed the channel.
    #[error("broker: {0}")]
    Broker(#[from] lapin::Error),
    /// The read DB could not be migrated.
    #[error("read database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The consumer was cancelled by the broker (queue deleted).
    #[error("the broker cancelled the consumer")]
    Cancelled,
}

impl Projector {
    /// Projects until `shutdown`, reconnecting with backoff after broker failures.
    pub async fn run(self, shutdown: CancellationToken) {
        broker::run_with_reconnect("projector", &shutdown, || self.session(&shutdown)).await;
    }

    async fn session(&self, shutdown: &CancellationToken) -> Result<(), ProjectorError> {
        // Before consuming: while the read DB is down this fails and the session is retried.
        db::READ_MIGRATIONS.run(&self.read).await?;
        let connection = broker::connect(&self.amqp_url, "projector").await?;
        broker::declare_topology(&connection).await?;
        let consume = connection.create_channel().await?;
        consume
            .basic_qos(self.batch * 2, BasicQosOptions::default())
            .await?;
        let mut consumer = consume
            .basic_consume(
                PROJECTOR_QUEUE,
                "projector",
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await?;
        let publish = connection.create_channel().await?;
        tracing::info!("projector connected");
        loop {
            let first = tokio::select! {
                next = consumer.next() => next,
                () = shutdown.cancelled() => return Ok(()),
            };
            let Some(first) = first else {
                return Err(ProjectorError::Cancelled);
            };
            let mut batch = vec![first?];
            self.fill(&mut consumer, &mut batch).await?;
            let resolved = self.handle(batch, shutdown).await?;
            publish_resolved(&publish, &resolved).await;
        }
    }

    /// Adds deliveries that are already waiting, up to the batch size.
    async fn fill(
        &self,
        consumer: &mut Consumer,
        batch: &mut Vec<Delivery>,
    ) -> Result<(), ProjectorError> {
        while batch.len() < usize::from(self.batch) {
            match tokio::time::timeout(BATCH_WINDOW, consumer.next()).await {
                Ok(Some(delivery)) => batch.push(delivery?),
                Ok(None) | Err(_) => break,
            }
        }
        Ok(())
    }

    /// Applies one batch and settles every delivery in it.
    async fn handle(
        &self,
        batch: Vec<Delivery>,
        shutdown: &CancellationToken,
    ) -> Result<Vec<Resolved>, ProjectorError> {
        let mut parsed = Vec::with_capacity(batch.len());
        for delivery in batch {
            match serde_json::from_slice::<Envelope>(&delivery.data) {
                Ok(envelope) => parsed.push((delivery, envelope)),
                Err(error) => {
                    tracing::error!(%error, routing_key = %delivery.routing_key, "unparseable event; dead-lettering it");
                    delivery
                        .nack(BasicNackOptions {
                            requeue: false,
                            multiple: false,
                        })
                        .await?;
                }
            }
        }
        let events: Vec<Envelope> = parsed.iter().map(|(_, e)| e.clone()).collect();
        match self.apply_retrying(&events, shutdown).await {
            Some(Ok(resolved)) => {
                for (delivery, _) in &parsed {
                    delivery.ack(BasicAckOptions::default()).await?;
                }
                Ok(resolved)
            }
            // Shutting down mid-retry: the unacked deliveries go back to the queue.
            None => Ok(Vec::new()),
            Some(Err(error)) => {
                tracing::warn!(%error, events = events.len(), "batch failed; applying its events one by one");
                self.isolate(parsed, shutdown).await
            }
        }
    }

    /// Applies each event in its own transaction; a failing one is returned to the queue.
    async fn isolate(
        &self,
        parsed: Vec<(Delivery, Envelope)>,
        shutdown: &CancellationToken,
    ) -> Result<Vec<Resolved>, ProjectorError> {
        let mut resolved = Vec::new();
        for (delivery, envelope) in parsed {
            match self
                .apply_retrying(std::slice::from_ref(&envelope), shutdown)
                .await
            {
                Some(Ok(done)) => {
                    resolved.extend(done);
                    delivery.ack(BasicAckOptions::default()).await?;
                }
                None => break,
                Some(Err(error)) => {
                    tracing::error!(%error, event = %envelope.id, "event failed to apply; returning it to the queue");
                    delivery
                        .nack(BasicNackOptions {
                            requeue: true,
                            multiple: false,
                        })
                        .await?;
                }
            }
        }
        Ok(resolved)
    }

    /// Applies `events` in one transaction, retrying transient failures (database down,
    /// deadlock) until it works or `shutdown`; `None` on shutdown.
    async fn apply_retrying(
        &self,
        events: &[Envelope],
        shutdown: &CancellationToken,
    ) -> Option<Result<Vec<Resolved>, sqlx::Error>> {
        let mut backoff = Duration::from_millis(100);
        loop {
            match apply_batch(&self.read, events).await {
                Err(error) if db::is_transient(&error) => {
                    tracing::warn!(%error, retry_in = ?backoff, "read DB unavailable; holding the batch");
                    tokio::select! {
                        () = tokio::time::sleep(backoff) => {}
                        () = shutdown.cancelled() => return None,
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
                result => return Some(result),
            }
        }
    }
}

/// Applies `events` to the read DB in one transaction.
pub async fn apply_batch(read: &PgPool, events: &[Envelope]) -> Result<Vec<Resolved>, sqlx::Error> {
    let mut tx = read.begin().await?;
    let resolved = apply::apply_all(&mut tx, events).await?;
    tx.commit().await?;
    Ok(resolved)
}

/// Tells each requester that their operation resolved. Best effort: a requester that misses
/// it still finds the state with `GET /v1/operations/{id}`.
async fn publish_resolved(channel: &Channel, resolved: &[Resolved]) {
    for done in resolved {
        // Not stored, so not a version of anything: the operation id as subject, sequence 1.
        let resolved = Event::OperationResolved(OperationResolved {
            status: done.status,
        });
        let envelope = Envelope::new(
            "/notify-server/projector",
            done.operation_id,
            done.operation_id,
            done.requester.clone(),
            1,
            resolved,
        );
        let Ok(body) = serde_json::to_vec(&envelope) else {
            continue;
        };
        let properties = BasicProperties::default()
            .with_message_id(ShortString::from(envelope.id.to_string()))
            .with_content_type(ShortString::from(CONTENT_TYPE))
            .with_type(ShortString::from("notify.operation.resolved.v1"));
        let published = channel
            .basic_publish(
                EVENTS_EXCHANGE,
                &routing_key(&envelope.userid, &envelope.event),
                BasicPublishOptions::default(),
                &body,
                properties,
            )
            .await;
        if let Err(error) = published {
            tracing::warn!(%error, operation = %done.operation_id, "could not publish operation.resolved");
        }
    }
}
