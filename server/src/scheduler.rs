//! The scheduler role: dispatches scheduled sends at their time.
//!
//! A send with a future `deliver_at` leaves one `scheduled_notifications` row per notification
//! in the write DB. Every poll the scheduler claims the due rows (`FOR UPDATE SKIP LOCKED`, by
//! the database's clock), appends `notification.dispatched` to each and marks it dispatched, in
//! one transaction; a cancel takes the same row lock and acts only on a waiting row, so exactly
//! one of the two ever happens, and any number of schedulers can run at once.

use std::time::Duration;

use chrono::{DateTime, Utc};
use notify_shared::UserId;
use notify_shared::event::{Envelope, Event, NotificationDispatched};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::store;
use crate::wake::RelayWaker;

/// The `source` of events the scheduler records.
pub const SOURCE: &str = "/notify-server/scheduler";

/// Most due notifications dispatched in one transaction.
const BATCH: i64 = 100;

/// The scheduler role.
#[derive(Debug)]
pub struct Scheduler {
    /// The write DB.
    pub pool: PgPool,
    /// How often to look for due sends.
    pub poll: Duration,
    /// Woken after every dispatch.
    pub relay: RelayWaker,
}

impl Scheduler {
    /// Dispatches due sends until `shutdown`.
    pub async fn run(self, shutdown: CancellationToken) {
        tracing::info!(poll_ms = self.poll.as_millis(), "scheduler running");
        loop {
            // A full batch means more may be due: go again at once.
            let full = match self.dispatch_due().await {
                Ok(count) => count >= BATCH as usize,
                Err(error) => {
                    tracing::warn!(%error, "scheduler poll failed; trying again");
                    false
                }
            };
            if full {
                if shutdown.is_cancelled() {
                    return;
                }
                continue;
            }
            tokio::select! {
                () = tokio::time::sleep(self.poll) => {}
                () = shutdown.cancelled() => return,
            }
        }
    }

    /// Dispatches up to one batch of due notifications; returns how many.
    pub async fn dispatch_due(&self) -> Result<usize, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        let due: Vec<(Uuid, String, Uuid, DateTime<Utc>)> = sqlx::query_as(
            "SELECT notification_id, recipient, operation_id, deliver_at
             FROM scheduled_notifications
             WHERE state = 'waiting' AND deliver_at <= now()
             ORDER BY deliver_at
             LIMIT $1
             FOR UPDATE SKIP LOCKED",
        )
        .bind(BATCH)
        .fetch_all(&mut *tx)
        .await?;
        if due.is_empty() {
            return Ok(0);
        }
        let mut envelopes = Vec::with_capacity(due.len());
        let mut ids = Vec::with_capacity(due.len());
        for (notification_id, recipient, operation_id, _) in &due {
            let Ok(recipient) = UserId::parse(recipient.clone()) else {
                tracing::error!(notification = %notification_id, %recipient, "bad recipient in a scheduled send; skipped");
                continue;
            };
            let version = store::lock_aggregate(&mut tx, *notification_id).await?;
            envelopes.push(Envelope::new(
                SOURCE,
                *operation_id,
                *notification_id,
                recipient,
                version + 1,
                Event::NotificationDispatched(NotificationDispatched {}),
            ));
            ids.push(*notification_id);
        }
        store::append(&mut tx, &envelopes).await?;
        sqlx::query(
            "UPDATE scheduled_notifications SET state = 'dispatched', changed_at = now()
             WHERE notification_id = ANY($1)",
        )
        .bind(&ids)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.relay.wake();
        for (notification_id, _, operation_id, deliver_at) in &due {
            tracing::info!(notification = %notification_id, operation = %operation_id, %deliver_at, "scheduled send dispatched");
        }
        Ok(due.len())
    }
}
