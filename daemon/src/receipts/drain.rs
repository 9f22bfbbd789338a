//! Sends queued receipts to the api, oldest first, up to [`AT_ONCE`] at a time (a summary
//! popup queues dozens at once, and one after the other they came in tens of milliseconds
//! late): retries with backoff while the server is unreachable, failing (5xx) or busy (409);
//! drops a receipt only when the server refuses it for good (404: not this user's desktop
//! delivery; 400/422: a body it will never accept).
//!
//! On shutdown it keeps sending (and retrying) for a short grace period, then leaves the
//! rest in the file for the next start.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

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

    fn oldest(&self, n: usize) -> Vec<PendingReceipt> {
        lock(&self.queue).oldest(n).cloned().collect()
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
    let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(30));
    loop {
        let oldest = receipts.oldest(AT_ONCE);
        if oldest.is_empty() {
            tokio::select! {
                () = receipts.wake.notified() => continue,
                () = stop.cancelled() => break,
            }
        }
        let outcome = tokio::select! {
            outcome = send_some(&receipts, &api, &oldest, backoff.attempts()) => outcome,
            () = stop.cancelled() => break,
        };
        match outcome {
            Outcome::Done => backoff.reset(),
            Outcome::Retry => {
                let delay = backoff.next_delay();
                tokio::select! {
                    () = tokio::time::sleep(delay) => {}
                    () = stop.cancelled() => break,
                }
            }
        }
    }
    flush(&receipts, &api, grace).await;
}

/// Sends `some` receipts at once and completes those done; `Retry` when any is to be retried.
async fn send_some(
    receipts: &Receipts,
    api: &Api,
    some: &[PendingReceipt],
    failures: u32,
) -> Outcome {
    let outcomes =
        futures::future::join_all(some.iter().map(|receipt| send_one(api, receipt, failures)))
            .await;
    for (receipt, outcome) in some.iter().zip(&outcomes) {
        if *outcome == Outcome::Done {
            receipts.complete(receipt.delivery).await;
        }
    }
    if outcomes.contains(&Outcome::Retry) {
        Outcome::Retry
    } else {
        Outcome::Done
    }
}

/// Sends what is left, retrying briefly, until it is done or `grace` runs out.
async fn flush(receipts: &Receipts, api: &Api, grace: Duration) {
    let deadline = Instant::now() + grace;
    let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_millis(800));
    loop {
        let oldest = receipts.oldest(AT_ONCE);
        if oldest.is_empty() {
            break;
        }
        let sent = send_some(receipts, api, &oldest, backoff.attempts());
        match tokio::time::timeout_at(deadline, sent).await {
            Ok(Outcome::Done) => {}
            Ok(Outcome::Retry) => {
                let wake = Instant::now() + backoff.next_delay();
                if wake >= deadline {
                    break;
                }
                tokio::time::sleep_until(wake).await;
            }
            Err(_) => break,
        }
    }
    let left = receipts.len();
    if left > 0 {
        tracing::info!(left, "receipts kept for the next start");
    }
}
