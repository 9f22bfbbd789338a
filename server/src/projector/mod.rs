//! The projector role: the only writer of the read DB.
//!
//! Consumes `notify.projector` (a quorum queue that gets every stored event, in the relay's
//! batches, see [`crate::pipeline`]) with manual acks, applies deliveries in batches (one read-DB
//! transaction each, see [`apply`]), and acks only after the commit. While the read DB is unavailable it keeps its deliveries and retries, so nothing is
//! returned to the queue (which would count against the delivery limit). An unparseable message
//! is rejected at once and dead-lettered; one that fails to apply is isolated from its batch and
//! returned, until the queue's delivery limit dead-letters it. After a commit it publishes
//! `operation.resolved` for each operation that reached a final state.

pub mod apply;
pub mod rebuild;
pub(crate) mod resolved;
mod settle;
mod statistics;
mod stream;
mod wave;

use std::time::Duration;

use futures::StreamExt;
use lapin::message::Delivery;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicNackOptions, BasicPublishOptions, BasicQosOptions,
    ConfirmSelectOptions,
};
use lapin::types::{FieldTable, ShortString};
use lapin::{BasicProperties, Channel, Consumer};
use notify_shared::event::{CONTENT_TYPE, Envelope, Event, OperationResolved};
use notify_shared::routing::{EVENTS_EXCHANGE, PROJECTOR_QUEUE, routing_key};
use secrecy::SecretString;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::pipeline::{self, Item, Unpacked};
use crate::{broker, db, failpoint, prometheus};
use resolved::Resolved;
use statistics::Statistics;

/// Deliveries the broker sends ahead: most are batches of up to the relay's batch size.
const PREFETCH: u16 = 64;

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
    /// An event of a batch could not be put back into the queue.
    #[error("{0}")]
    Republish(#[from] pipeline::RepublishError),
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
            .basic_qos(PREFETCH, BasicQosOptions::default())
            .await?;
        let mut consumer = consume
            .basic_consume(
                PROJECTOR_QUEUE.into(),
                "projector".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await?;
        let publish = connection.create_channel().await?;
        let republish = connection.create_channel().await?;
        republish
            .confirm_select(ConfirmSelectOptions::default())
            .await?;
        tracing::info!("projector connected");
        let mut statistics = Statistics::default();
        loop {
            let first = tokio::select! {
                next = consumer.next() => next,
                () = shutdown.cancelled() => {
                    broker::close(&connection).await;
                    return Ok(());
                }
            };
            let Some(first) = first else {
                return Err(ProjectorError::Cancelled);
            };
            let started = std::time::Instant::now();
            let mut batch = Batch::default();
            batch.add(first?).await?;
            self.fill(&mut consumer, &mut batch).await?;
            let events = batch.events();
            metrics::histogram!(prometheus::CONSUMER_BATCH_SIZE, "queue" => PROJECTOR_QUEUE)
                .record(events as f64);
            let resolved = self.handle(batch, &republish, shutdown).await?;
            metrics::histogram!(prometheus::CONSUMER_SECONDS, "queue" => PROJECTOR_QUEUE)
                .record(started.elapsed().as_secs_f64());
            publish_resolved(&publish, &resolved).await;
            if let Err(error) = statistics.applied(&self.read, events).await {
                tracing::warn!(%error, "could not analyze the read tables");
            }
        }
    }

    /// Adds deliveries that are already waiting, up to the batch size in events.
    async fn fill(&self, consumer: &mut Consumer, batch: &mut Batch) -> Result<(), ProjectorError> {
        while batch.events() < usize::from(self.batch) {
            match tokio::time::timeout(BATCH_WINDOW, consumer.next()).await {
                Ok(Some(delivery)) => batch.add(delivery?).await?,
                Ok(None) | Err(_) => break,
            }
        }
        Ok(())
    }

    /// Applies one batch and settles every delivery in it.
    async fn handle(
        &self,
        batch: Batch,
        republish: &Channel,
        shutdown: &CancellationToken,
    ) -> Result<Vec<Resolved>, ProjectorError> {
        let events: Vec<Envelope> = batch
            .messages
            .iter()
            .flat_map(|message| message.items.iter())
            .filter_map(|item| item.event.as_ref().ok().cloned())
            .collect();
        match self.apply_retrying(&events, shutdown).await {
            Some(Ok(resolved)) => {
                applied(&events);
                for message in batch.messages {
                    let unparsed = message.items.iter().filter(|item| item.event.is_err());
                    for item in unparsed {
                        tracing::error!(event = %String::from_utf8_lossy(&item.raw), "an item of a batch is not an event; putting it back alone to be dead-lettered");
                        pipeline::republish(republish, PROJECTOR_QUEUE, item).await?;
                    }
                    message.delivery.ack(BasicAckOptions::default()).await?;
                }
                Ok(resolved)
            }
            // Shutting down mid-retry: the unacked deliveries go back to the queue.
            None => Ok(Vec::new()),
            Some(Err(error)) => {
                tracing::warn!(%error, events = events.len(), "batch failed; applying its events one by one");
                self.isolate(batch, republish, shutdown).await
            }
        }
    }

    /// Applies each event in its own transaction; a failing one is returned to the queue
    /// (alone, when it came in a batch).
    async fn isolate(
        &self,
        batch: Batch,
        republish: &Channel,
        shutdown: &CancellationToken,
    ) -> Result<Vec<Resolved>, ProjectorError> {
        let mut resolved = Vec::new();
        for message in batch.messages {
            let mut failed = Vec::new();
            for item in &message.items {
                let Ok(envelope) = &item.event else {
                    failed.push(item);
                    continue;
                };
                match self
                    .apply_retrying(std::slice::from_ref(envelope), shutdown)
                    .await
                {
                    Some(Ok(done)) => {
                        applied(std::slice::from_ref(envelope));
                        resolved.extend(done);
                    }
                    None => return Ok(resolved),
                    Some(Err(error)) => {
                        tracing::error!(%error, event = %envelope.id, "event failed to apply; returning it to the queue");
                        metrics::counter!(prometheus::CONSUMER_FAILED, "queue" => PROJECTOR_QUEUE)
                            .increment(1);
                        failed.push(item);
                    }
                }
            }
            if !message.batch && !failed.is_empty() {
                message
                    .delivery
                    .nack(BasicNackOptions {
                        requeue: true,
                        multiple: false,
                    })
                    .await?;
                continue;
            }
            for item in failed {
                pipeline::republish(republish, PROJECTOR_QUEUE, item).await?;
            }
            message.delivery.ack(BasicAckOptions::default()).await?;
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

/// Counts `events` as projected, with how long after their time.
fn applied(events: &[Envelope]) {
    metrics::counter!(prometheus::CONSUMER_EVENTS, "queue" => PROJECTOR_QUEUE)
        .increment(events.len() as u64);
    let now = chrono::Utc::now();
    let lag = metrics::histogram!(prometheus::PROJECTOR_LAG_SECONDS);
    for event in events {
        lag.record((now - event.time).as_seconds_f64().max(0.0));
    }
}

/// The deliveries of one read-DB transaction, with their events.
#[derive(Default)]
struct Batch {
    messages: Vec<Message>,
}

/// A delivery and its events.
struct Message {
    delivery: Delivery,
    /// Whether it is a batch (a failed event is put back alone) or one event.
    batch: bool,
    items: Vec<Item>,
}

impl Batch {
    /// Adds `delivery`; one that is not an event (or not a batch of events) is dead-lettered.
    async fn add(&mut self, delivery: Delivery) -> Result<(), lapin::Error> {
        let (batch, items) = match pipeline::unpack(&delivery) {
            Ok(Unpacked::One(item)) if item.event.is_ok() => (false, vec![*item]),
            Ok(Unpacked::Batch(items)) => (true, items),
            Ok(Unpacked::One(_)) | Err(_) => {
                tracing::error!(routing_key = %delivery.routing_key, "unparseable event; dead-lettering it");
                return delivery
                    .nack(BasicNackOptions {
                        requeue: false,
                        multiple: false,
                    })
                    .await
                    .map(drop);
            }
        };
        self.messages.push(Message {
            delivery,
            batch,
            items,
        });
        Ok(())
    }

    /// Events in the batch.
    fn events(&self) -> usize {
        self.messages
            .iter()
            .map(|message| message.items.len())
            .sum()
    }
}

/// Applies `events` to the read DB in one transaction.
async fn apply_batch(read: &PgPool, events: &[Envelope]) -> Result<Vec<Resolved>, sqlx::Error> {
    let mut tx = read.begin().await?;
    rebuild::hold(&mut tx).await?;
    let resolved = apply::apply_all(&mut tx, events).await?;
    failpoint::hit("projector.batch_commit");
    tx.commit().await?;
    Ok(resolved)
}

/// Tells each requester that their operation resolved. Best effort: a requester that misses
/// it still finds the state with `GET /v1/operations/{id}`.
pub(crate) async fn publish_resolved(channel: &Channel, resolved: &[Resolved]) {
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
                EVENTS_EXCHANGE.into(),
                routing_key(&envelope.userid, &envelope.event).into(),
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
