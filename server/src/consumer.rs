//! A consumer of one server queue, with manual acks, that handles several events at once.
//!
//! Up to `concurrency` deliveries are handled at the same time (each handler is its own
//! write-DB transaction under the aggregate's lock, so they behave like that many consumers).
//! A delivery is acked only after its handler succeeded. While a handler fails transiently
//! (database down, deadlock) the delivery is held and the handler retried, so nothing goes back
//! to the queue and counts against its delivery limit. A handler that fails for any other
//! reason returns the delivery to the queue, until the limit dead-letters it; a message that is
//! not an event is dead-lettered at once.

use std::collections::HashSet;
use std::future::Future;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use lapin::message::Delivery;
use lapin::options::{BasicAckOptions, BasicConsumeOptions, BasicNackOptions, BasicQosOptions};
use lapin::types::FieldTable;
use notify_shared::event::Envelope;
use secrecy::SecretString;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::{broker, db};

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
    /// Deliveries handled at the same time; the broker sends twice as many ahead.
    pub concurrency: u16,
}

/// Consumes `queue` until `shutdown`, reconnecting after broker failures, calling `handle` for
/// each event. On shutdown it stops taking deliveries and lets the handlers under way finish.
pub async fn run<H, Fut>(
    amqp_url: &SecretString,
    queue: Queue,
    shutdown: &CancellationToken,
    handle: H,
) where
    H: Fn(Envelope) -> Fut,
    Fut: Future<Output = Result<(), HandleError>>,
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
    H: Fn(Envelope) -> Fut,
    Fut: Future<Output = Result<(), HandleError>>,
{
    let connection = broker::connect(amqp_url, queue.role).await?;
    broker::declare_topology(&connection).await?;
    let channel = connection.create_channel().await?;
    channel
        .basic_qos(queue.concurrency * 2, BasicQosOptions::default())
        .await?;
    let mut consumer = channel
        .basic_consume(
            queue.name,
            queue.role,
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await?;
    tracing::info!(role = queue.role, queue = queue.name, "consuming");
    let handling = Mutex::new(HashSet::new());
    let mut under_way = FuturesUnordered::new();
    loop {
        tokio::select! {
            Some(settled) = under_way.next() => settled?,
            next = consumer.next(), if under_way.len() < usize::from(queue.concurrency) => {
                let delivery =
                    next.ok_or_else(|| anyhow::anyhow!("the broker cancelled the consumer"))??;
                under_way.push(settle(queue, delivery, shutdown, handle, &handling));
            }
            () = shutdown.cancelled() => break,
        }
    }
    while let Some(settled) = under_way.next().await {
        settled?;
    }
    Ok(())
}

/// Handles one delivery and acks, holds or returns it. `handling` holds the ids of the events
/// being handled: a copy of one of them (published twice, or redelivered) waits until it is
/// done and then finds its effect recorded, rather than racing it (a worker would send twice).
async fn settle<H, Fut>(
    queue: Queue,
    delivery: Delivery,
    shutdown: &CancellationToken,
    handle: &H,
    handling: &Mutex<HashSet<Uuid>>,
) -> Result<(), lapin::Error>
where
    H: Fn(Envelope) -> Fut,
    Fut: Future<Output = Result<(), HandleError>>,
{
    let envelope = match serde_json::from_slice::<Envelope>(&delivery.data) {
        Ok(envelope) => envelope,
        Err(error) => {
            tracing::error!(role = queue.role, %error, routing_key = %delivery.routing_key, "not an event; dead-lettering it");
            return delivery
                .nack(BasicNackOptions {
                    requeue: false,
                    multiple: false,
                })
                .await;
        }
    };
    let _handling = loop {
        if let Some(guard) = Handling::start(handling, envelope.id) {
            break guard;
        }
        tokio::select! {
            () = tokio::time::sleep(COPY_WAIT) => {}
            () = shutdown.cancelled() => return Ok(()),
        }
    };
    let mut backoff = Duration::from_millis(100);
    loop {
        match handle(envelope.clone()).await {
            Ok(()) => return delivery.ack(BasicAckOptions::default()).await,
            Err(HandleError::Transient(error)) => {
                tracing::warn!(role = queue.role, event = %envelope.id, %error, retry_in = ?backoff, "holding the event");
                tokio::select! {
                    () = tokio::time::sleep(backoff) => {}
                    // Unacked, it goes back to the queue when the channel closes.
                    () = shutdown.cancelled() => return Ok(()),
                }
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
            Err(HandleError::Failed(error)) => {
                tracing::error!(role = queue.role, event = %envelope.id, %error, "event failed; returning it to the queue");
                return delivery
                    .nack(BasicNackOptions {
                        requeue: true,
                        multiple: false,
                    })
                    .await;
            }
        }
    }
}

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
