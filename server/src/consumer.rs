//! A consumer of one server queue, with manual acks, that handles several events at once.
//!
//! A delivery is usually a batch of events (see [`pipeline`]); up to `concurrency` of its
//! events are handled at the same time (each handler is its own write-DB transaction under the
//! aggregate's lock, so they behave like that many consumers). A delivery is acked only after
//! its handlers succeeded. While a handler fails transiently (database down, deadlock) the
//! event is held and the handler retried, so nothing goes back to the queue and counts against
//! its delivery limit. An event whose handler fails for any other reason returns to the queue
//! (alone, when it came in a batch), until the limit dead-letters it; a message that is not an
//! event is dead-lettered at once.

use std::collections::HashSet;
use std::future::Future;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use lapin::Channel;
use lapin::message::Delivery;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicNackOptions, BasicQosOptions, ConfirmSelectOptions,
};
use lapin::types::FieldTable;
use notify_shared::event::Envelope;
use secrecy::SecretString;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::pipeline::{self, Item, Unpacked};
use crate::{broker, db, prometheus};

/// Why a handler did not finish.
#[derive(Debug, thiserror::Error)]
pub enum HandleError {
    /// Worth retrying as it is, soon: the delivery is held.
    #[error("{0}")]
    Transient(String),
    /// Not worth retrying now: the delivery goes back to the queue.
    #[error("{0}")]
    Failed(String),
}

/// An attempt number from a message as the write DB stores it (`integer`).
pub fn attempt_number(attempt: u32) -> Result<i32, HandleError> {
    i32::try_from(attempt).map_err(|e| HandleError::Failed(e.to_string()))
}

impl From<sqlx::Error> for HandleError {
    fn from(error: sqlx::Error) -> Self {
        if db::is_transient(&error) {
            Self::Transient(error.to_string())
        } else {
            Self::Failed(error.to_string())
        }
    }
}

/// One queue and how to consume it.
#[derive(Debug, Clone, Copy)]
pub struct Queue {
    /// The role, for logs and the connection name.
    pub role: &'static str,
    /// The queue name.
    pub name: &'static str,
    /// Events handled at the same time.
    pub concurrency: u16,
}

/// Consumes `queue` until `shutdown`, reconnecting after broker failures, handing the events
/// of each message to `handle` (a single event as a batch of one). `handle` handles a batch
/// together (in one write-DB transaction where it can) and returns the ids of the events that
/// failed on their own (they go back to the queue alone); an error fails the whole batch: a
/// transient one is retried, any other makes the consumer hand it the events one by one. On
/// shutdown it stops taking deliveries and lets the handlers under way finish.
pub async fn run<H, Fut>(
    amqp_url: &SecretString,
    queue: Queue,
    shutdown: &CancellationToken,
    handle: H,
) where
    H: Fn(Vec<Envelope>) -> Fut,
    Fut: Future<Output = Result<Vec<Uuid>, HandleError>>,
{
    broker::run_with_reconnect(queue.role, shutdown, || {
        session(amqp_url, queue, shutdown, &handle)
    })
    .await;
}

async fn session<H, Fut>(
    amqp_url: &SecretString,
    queue: Queue,
    shutdown: &CancellationToken,
    handle: &H,
) -> anyhow::Result<()>
where
    H: Fn(Vec<Envelope>) -> Fut,
    Fut: Future<Output = Result<Vec<Uuid>, HandleError>>,
{
    let connection = broker::connect(amqp_url, queue.role).await?;
    broker::declare_topology(&connection).await?;
    let channel = connection.create_channel().await?;
    // Each delivery is usually a batch: two at a time, the next one already here.
    channel
        .basic_qos(MESSAGES_AT_ONCE * 2, BasicQosOptions::default())
        .await?;
    let republish = connection.create_channel().await?;
    republish
        .confirm_select(ConfirmSelectOptions::default())
        .await?;
    let mut consumer = channel
        .basic_consume(
            queue.name.into(),
            queue.role.into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await?;
    tracing::info!(role = queue.role, queue = queue.name, "consuming");
    let handling = Mutex::new(HashSet::new());
    let context = Context {
        queue,
        shutdown,
        handle,
        handling: &handling,
        republish: &republish,
    };
    let mut under_way = FuturesUnordered::new();
    loop {
        tokio::select! {
            Some(settled) = under_way.next() => settled?,
            next = consumer.next(), if under_way.len() < usize::from(MESSAGES_AT_ONCE) => {
                let delivery =
                    next.ok_or_else(|| anyhow::anyhow!("the broker cancelled the consumer"))??;
                under_way.push(context.settle(delivery));
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

/// Messages handled at the same time (each a batch, or one event).
const MESSAGES_AT_ONCE: u16 = 2;

/// What handling a delivery needs.
struct Context<'a, H> {
    queue: Queue,
    shutdown: &'a CancellationToken,
    handle: &'a H,
    /// The ids of the events being handled: a copy of one of them (published twice, or
    /// redelivered) waits until it is done and then finds its effect recorded, rather than
    /// racing it (a worker would send twice).
    handling: &'a Mutex<HashSet<Uuid>>,
    /// A channel in confirm mode, to put a batch's failed items back alone.
    republish: &'a Channel,
}

/// How handling a batch together ended.
enum Together {
    /// Handled; these events failed on their own.
    Done(Vec<Uuid>),
    /// It failed as a whole: handle the events one by one.
    Split,
    /// Shutting down before it was done.
    Interrupted,
}

/// How handling one event ended.
#[derive(Debug, PartialEq, Eq)]
enum Handled {
    Done,
    /// It failed for good, or is not an event.
    Failed,
    /// Shutting down before it was done.
    Interrupted,
}

impl<H, Fut> Context<'_, H>
where
    H: Fn(Vec<Envelope>) -> Fut,
    Fut: Future<Output = Result<Vec<Uuid>, HandleError>>,
{
    /// Handles one delivery and acks or returns it. A single event is acked, returned to the
    /// queue when it failed, or dead-lettered when it is not an event. A batch's events are
    /// handled together, or one by one, `concurrency` at a time, when
    /// that fails; those that failed are put back alone (see [`pipeline`]), then the batch is
    /// acked.
    async fn settle(&self, delivery: Delivery) -> anyhow::Result<()> {
        let started = std::time::Instant::now();
        let queue = self.queue.name;
        let items = match pipeline::unpack(&delivery) {
            Ok(Unpacked::One(item)) => {
                self.settle_one(delivery, item).await?;
                metrics::histogram!(prometheus::CONSUMER_SECONDS, "queue" => queue)
                    .record(started.elapsed().as_secs_f64());
                return Ok(());
            }
            Ok(Unpacked::Batch(items)) => items,
            Err(error) => {
                tracing::error!(role = self.queue.role, %error, "not a batch of events; dead-lettering it");
                metrics::counter!(prometheus::CONSUMER_DEAD_LETTERED, "queue" => queue)
                    .increment(1);
                delivery.nack(DEAD_LETTER).await?;
                return Ok(());
            }
        };
        metrics::histogram!(prometheus::CONSUMER_BATCH_SIZE, "queue" => queue)
            .record(items.len() as f64);
        let handled = match self.handle_together(&items).await {
            Together::Done(failed) => items
                .into_iter()
                .map(|item| {
                    let handled = match &item.event {
                        Ok(event) if !failed.contains(&event.id) => Handled::Done,
                        _ => Handled::Failed,
                    };
                    (item, handled)
                })
                .collect(),
            Together::Interrupted => return Ok(()),
            Together::Split => self.handle_one_by_one(items).await,
        };
        if handled.iter().any(|(_, h)| *h == Handled::Interrupted) {
            // Unacked, it goes back to the queue when the channel closes.
            return Ok(());
        }
        let mut failed = 0_u64;
        for (item, _) in handled.iter().filter(|(_, h)| *h == Handled::Failed) {
            pipeline::republish(self.republish, self.queue.name, item).await?;
            failed += 1;
        }
        delivery.ack(BasicAckOptions::default()).await?;
        metrics::counter!(prometheus::CONSUMER_EVENTS, "queue" => queue)
            .increment(handled.len() as u64 - failed);
        metrics::counter!(prometheus::CONSUMER_FAILED, "queue" => queue).increment(failed);
        metrics::histogram!(prometheus::CONSUMER_SECONDS, "queue" => queue)
            .record(started.elapsed().as_secs_f64());
        Ok(())
    }

    /// Handles the events of a batch together, after any copies of them under way, and again
    /// while that fails transiently.
    async fn handle_together(&self, items: &[Item]) -> Together {
        let mut events: Vec<Envelope> = Vec::with_capacity(items.len());
        for event in items.iter().filter_map(|item| item.event.as_ref().ok()) {
            // A batch holds an event once; a copy of it would only wait for itself.
            if !events.iter().any(|e| e.id == event.id) {
                events.push(event.clone());
            }
        }
        // In id order, so two batches that share events never wait for each other.
        let mut ids: Vec<Uuid> = events.iter().map(|event| event.id).collect();
        ids.sort_unstable();
        let mut guards = Vec::with_capacity(ids.len());
        for id in ids {
            let guard = loop {
                if let Some(guard) = Handling::start(self.handling, id) {
                    break guard;
                }
                tokio::select! {
                    () = tokio::time::sleep(COPY_WAIT) => {}
                    () = self.shutdown.cancelled() => return Together::Interrupted,
                }
            };
            guards.push(guard);
        }
        let mut backoff = Duration::from_millis(100);
        loop {
            match (self.handle)(events.clone()).await {
                Ok(failed) => return Together::Done(failed),
                Err(HandleError::Transient(error)) => {
                    tracing::warn!(role = self.queue.role, events = events.len(), %error, retry_in = ?backoff, "holding the batch");
                    tokio::select! {
                        () = tokio::time::sleep(backoff) => {}
                        () = self.shutdown.cancelled() => return Together::Interrupted,
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
                Err(HandleError::Failed(error)) => {
                    tracing::warn!(role = self.queue.role, events = events.len(), %error, "batch failed; handling its events one by one");
                    return Together::Split;
                }
            }
        }
    }

    /// Handles the events of a batch one by one, `concurrency` at a time.
    async fn handle_one_by_one(&self, items: Vec<Item>) -> Vec<(Item, Handled)> {
        futures::stream::iter(items)
            .map(|item| async move {
                let handled = self.handle_item(&item).await;
                (item, handled)
            })
            .buffer_unordered(usize::from(self.queue.concurrency))
            .collect()
            .await
    }

    /// Settles a message of one event.
    async fn settle_one(&self, delivery: Delivery, item: Box<Item>) -> Result<(), lapin::Error> {
        let queue = self.queue.name;
        if item.event.is_err() {
            tracing::error!(role = self.queue.role, routing_key = %delivery.routing_key, "not an event; dead-lettering it");
            metrics::counter!(prometheus::CONSUMER_DEAD_LETTERED, "queue" => queue).increment(1);
            return delivery.nack(DEAD_LETTER).await.map(drop);
        }
        metrics::histogram!(prometheus::CONSUMER_BATCH_SIZE, "queue" => queue).record(1.0);
        match self.handle_item(&item).await {
            Handled::Done => {
                metrics::counter!(prometheus::CONSUMER_EVENTS, "queue" => queue).increment(1);
                delivery.ack(BasicAckOptions::default()).await.map(drop)
            }
            Handled::Failed => {
                metrics::counter!(prometheus::CONSUMER_FAILED, "queue" => queue).increment(1);
                delivery
                    .nack(BasicNackOptions {
                        requeue: true,
                        multiple: false,
                    })
                    .await
                    .map(drop)
            }
            Handled::Interrupted => Ok(()),
        }
    }

    /// Handles one event: after any copy of it under way, and again while it fails
    /// transiently (database down, deadlock), so nothing goes back to the queue for that.
    async fn handle_item(&self, item: &Item) -> Handled {
        let envelope = match &item.event {
            Ok(envelope) => envelope,
            Err(error) => {
                tracing::error!(role = self.queue.role, %error, "an item of a batch is not an event");
                return Handled::Failed;
            }
        };
        let _handling = loop {
            if let Some(guard) = Handling::start(self.handling, envelope.id) {
                break guard;
            }
            tokio::select! {
                () = tokio::time::sleep(COPY_WAIT) => {}
                () = self.shutdown.cancelled() => return Handled::Interrupted,
            }
        };
        let mut backoff = Duration::from_millis(100);
        loop {
            match (self.handle)(vec![envelope.clone()]).await {
                Ok(failed) if failed.is_empty() => return Handled::Done,
                Ok(_) => return Handled::Failed,
                Err(HandleError::Transient(error)) => {
                    tracing::warn!(role = self.queue.role, event = %envelope.id, %error, retry_in = ?backoff, "holding the event");
                    tokio::select! {
                        () = tokio::time::sleep(backoff) => {}
                        () = self.shutdown.cancelled() => return Handled::Interrupted,
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
                Err(HandleError::Failed(error)) => {
                    tracing::error!(role = self.queue.role, event = %envelope.id, %error, "event failed; returning it to the queue");
                    return Handled::Failed;
                }
            }
        }
    }
}

/// A nack that dead-letters the message.
const DEAD_LETTER: BasicNackOptions = BasicNackOptions {
    requeue: false,
    multiple: false,
};

/// How often a copy of an event being handled looks whether it is done.
const COPY_WAIT: Duration = Duration::from_millis(10);

/// An event id in the set of events being handled, removed when dropped (also when the
/// handler is cancelled).
struct Handling<'a> {
    set: &'a Mutex<HashSet<Uuid>>,
    id: Uuid,
}

impl<'a> Handling<'a> {
    /// `None` when the event is already being handled.
    fn start(set: &'a Mutex<HashSet<Uuid>>, id: Uuid) -> Option<Self> {
        let inserted = set
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id);
        // Not `then_some`: a guard built for nothing would remove the id when dropped.
        if inserted {
            Some(Self { set, id })
        } else {
            None
        }
    }
}

impl Drop for Handling<'_> {
    fn drop(&mut self) {
        self.set
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_of_an_event_being_handled_waits_until_it_is_done() {
        let handling = Mutex::new(HashSet::new());
        let (event, other) = (Uuid::now_v7(), Uuid::now_v7());
        let first = Handling::start(&handling, event).expect("not handled yet");
        assert!(Handling::start(&handling, event).is_none(), "a copy waits");
        assert!(Handling::start(&handling, other).is_some(), "others do not");
        drop(first);
        assert!(
            Handling::start(&handling, event).is_some(),
            "done: the copy goes"
        );
    }
}
