//! The dispatcher role: the saga of each notification.
//!
//! On `notification.dispatched` it starts the saga (one `delivery.requested` per channel); on
//! each `delivery.succeeded` / `delivery.failed` it records the outcome, schedules a retry with
//! backoff or gives the channel up; a sweep retries what is due and fails channels that passed
//! their deadline; when every channel has an outcome it appends `notification.delivered` or
//! `notification.failed` and escalates failures. All state is in the write DB, changed under a
//! per-notification lock, so any number of dispatchers can run at once.
//!
//! It must not keep a saga's state in memory: every decision reads it under the lock, so a
//! dispatcher may die at any point.

mod escalate;
mod pending;
mod saga;

use std::time::Duration;

use notify_shared::event::Envelope;
use notify_shared::routing::DISPATCHER_QUEUE;
use secrecy::SecretString;
use tokio_util::sync::CancellationToken;

use crate::consumer::{self, Queue};
pub use saga::Saga;

/// The dispatcher role.
#[derive(Debug)]
pub struct Dispatcher {
    /// The saga logic and its write DB.
    pub saga: Saga,
    /// The broker.
    pub amqp_url: SecretString,
}

impl Dispatcher {
    /// Consumes dispatches and outcomes and sweeps for due work until `shutdown`.
    pub async fn run(self, shutdown: CancellationToken) {
        let queue = Queue {
            role: "dispatcher",
            name: DISPATCHER_QUEUE,
            concurrency: 4,
        };
        let saga = &self.saga;
        let handle = |events: Vec<Envelope>| async move {
            saga.handle_batch(&events).await.map(|()| Vec::new())
        };
        let consume = consumer::run(&self.amqp_url, queue, &shutdown, handle);
        tokio::join!(consume, self.sweep(&shutdown));
    }

    async fn sweep(&self, shutdown: &CancellationToken) {
        let every = Duration::from_millis(self.saga.config.sweep_ms);
        loop {
            tokio::select! {
                () = tokio::time::sleep(every) => {}
                () = shutdown.cancelled() => return,
            }
            if let Err(error) = self.saga.sweep().await {
                tracing::warn!(%error, "dispatcher sweep failed; trying again");
            }
        }
    }
}
