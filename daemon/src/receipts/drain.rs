//! Sends queued receipts to the api, oldest first, up to [`AT_ONCE`] at a time, each as soon
//! as it is queued and a place is free (a summary popup queues dozens at once; one after
//! the other they came in tens of milliseconds late, and a group that waited for its slowest
//! held every receipt queued behind it): retries with backoff while the server is
//! unreachable, failing (5xx) or busy (409); drops a receipt only when the server refuses it
//! for good (404: not this user's desktop delivery; 400/422: a body it will never accept).
//!
//! On shutdown it keeps sending (and retrying) for a short grace period, then leaves the
//! rest in the file for the next start.

use std::collections::HashSet;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use reqwest::StatusCode;
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{PendingReceipt, ReceiptQueue};
use crate::api::Api;
use crate::backoff::Backoff;

/// The receipt queue shared by the popup pipeline (which pushes) and the drain (which pops).
#[derive(Debug, Clone)]
pub struct Receipts {
    /// The queue; its methods do blocking file I/O, so they run on the blocking pool.
    queue: Arc<Mutex<ReceiptQueue>>,
    /// Wakes the drain when something was pushed.
    wake: Arc<Notify>,
    /// The queue's length, readable without waiting for a write in progress.
    pending: Arc<AtomicUsize>,
}

impl Receipts {
    /// Shares `queue`.
    pub fn new(queue: ReceiptQueue) -> Self {
        let pending = Arc::new(AtomicUsize::new(queue.len()));
        Self {
            queue: Arc::new(Mutex::new(queue)),
            wake: Arc::new(Notify::new()),
            pending,
        }
    }

    /// Queues `receipts` durably, then wakes the drain.
    pub async fn push(&self, receipts: Vec<PendingReceipt>) -> anyhow::Result<()> {
        let queue = Arc::clone(&self.queue);
        let pending = Arc::clone(&self.pending);
        tokio::task::spawn_blocking(move || {
            let mut queue = lock(&queue);
            let pushed = queue.push(receipts);
            pending.store(queue.len(), Ordering::SeqCst);
            pushed
        })
        .await??;
        self.wake.notify_one();
        Ok(())
    }

    /// Receipts not yet accepted by the server.
    pub fn len(&self) -> usize {
        self.pending.load(Ordering::SeqCst)
    }

    /// Whether none are pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The oldest `n` pending receipts that are not `sending`.
    fn next_to_send(&self, sending: &HashSet<uuid::Uuid>, n: usize) -> Vec<PendingReceipt> {
        lock(&self.queue)
            .oldest(usize::MAX)
            .filter(|r| !sending.contains(&r.delivery))
            .take(n)
            .cloned()
            .collect()
    }

    async fn complete(&self, delivery: uuid::Uuid) {
        let queue = Arc::clone(&self.queue);
        let pending = Arc::clone(&self.pending);
        let done = tokio::task::spawn_blocking(move || {
            let mut queue = lock(&queue);
            let completed = queue.complete(delivery);
            pending.store(queue.len(), Ordering::SeqCst);
            completed
        })
        .await;
        if let Err(error) = done.map_err(anyhow::Error::from).and_then(|r| r) {
            tracing::warn!(%error, %delivery, "cannot record a sent receipt; it will be sent again");
        }
    }
}

fn lock(queue: &Mutex<ReceiptQueue>) -> std::sync::MutexGuard<'_, ReceiptQueue> {
    queue
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Receipts sent at the same time.
const AT_ONCE: usize = 8;

/// What became of one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// The server has it (or refused it for good): next one.
    Done,
    /// Try again later.
    Retry,
}

async fn send_one(api: &Api, receipt: &PendingReceipt, failures: u32) -> Outcome {
    match api
        .receipt(receipt.delivery, receipt.key, &receipt.device)
        .await
    {
        Ok(()) => {
            if failures > 0 {
                tracing::info!("receipts are accepted again");
            }
            tracing::debug!(delivery = %receipt.delivery, "receipt sent");
            Outcome::Done
        }
        Err(error)
            if matches!(
                error.status(),
                Some(
                    StatusCode::NOT_FOUND
                        | StatusCode::UNPROCESSABLE_ENTITY
                        | StatusCode::BAD_REQUEST
                )
            ) =>
        {
            tracing::warn!(delivery = %receipt.delivery, %error, "the server refused a receipt; dropping it");
            Outcome::Done
        }
        Err(error) => {
            if failures == 0 {
                tracing::warn!(delivery = %receipt.delivery, %error, "cannot send a receipt yet; retrying");
            } else {
                tracing::debug!(delivery = %receipt.delivery, %error, attempt = failures, "still cannot send a receipt");
            }
            Outcome::Retry
        }
    }
}

/// Sends receipts until `stop`, then for up to `grace` more.
pub async fn run(receipts: Receipts, api: Api, stop: CancellationToken, grace: Duration) {
    let backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(30));
    send(&receipts, &api, backoff, stop.cancelled(), false).await;
    // What is left, retrying briefly, until it is done or `grace` runs out.
    let backoff = Backoff::new(Duration::from_millis(100), Duration::from_millis(800));
    send(&receipts, &api, backoff, tokio::time::sleep(grace), true).await;
    let left = receipts.len();
    if left > 0 {
        tracing::info!(left, "receipts kept for the next start");
    }
}

/// Sends pending receipts, up to [`AT_ONCE`] at a time, starting each as soon as a place is
/// free, until `until` resolves (the requests in flight are dropped; their receipts stay
/// queued) or, when `while_pending`, until none is left. A receipt to be retried pauses all
/// new sends for the backoff's delay; one accepted resets it.
async fn send(
    receipts: &Receipts,
    api: &Api,
    mut backoff: Backoff,
    until: impl Future<Output = ()>,
    while_pending: bool,
) {
    let mut in_flight = FuturesUnordered::new();
    let mut sending = HashSet::new();
    let mut paused_until: Option<Instant> = None;
    tokio::pin!(until);
    loop {
        if paused_until.is_none_or(|t| Instant::now() >= t) {
            paused_until = None;
            let free = AT_ONCE - in_flight.len();
            for receipt in receipts.next_to_send(&sending, free) {
                sending.insert(receipt.delivery);
                let failures = backoff.attempts();
                in_flight.push(async move {
                    let outcome = send_one(api, &receipt, failures).await;
                    (receipt, outcome)
                });
            }
        }
        if while_pending && in_flight.is_empty() && receipts.is_empty() {
            break;
        }
        tokio::select! {
            Some((receipt, outcome)) = in_flight.next(), if !in_flight.is_empty() => {
                sending.remove(&receipt.delivery);
                match outcome {
                    Outcome::Done => {
                        receipts.complete(receipt.delivery).await;
                        backoff.reset();
                    }
                    Outcome::Retry => {
                        paused_until.get_or_insert_with(|| Instant::now() + backoff.next_delay());
                    }
                }
            }
            () = receipts.wake.notified() => {}
            () = tokio::time::sleep_until(paused_until.unwrap_or_else(Instant::now)), if paused_until.is_some() => {}
            () = &mut until => break,
        }
    }
}
