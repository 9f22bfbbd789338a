//! Delivering what the pipeline decided: one popup, or one burst summary, each in the
//! exactly-once order (record seen → show → queue the receipt → ack), with the retries and
//! the give-up rule for a missing notification server, and the content lookup.
//!
//! This module must not decide between one popup and a summary (that is `mod.rs` and
//! `burst`), nor touch the broker beyond acking the deliveries it is given.

use std::sync::Arc;
use std::time::Duration;

use notify_shared::api::Priority;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::{Desktop, Job, burst};
use crate::backoff::Backoff;
use crate::events::DaemonEvent;
use crate::hub::{self, Content};
use crate::popup::text::{headline, render, urgency};
use crate::popup::{Popup, PopupError};
use crate::receipts::PendingReceipt;

/// Whether popups can be shown, as the last attempts found.
#[derive(Debug, Default)]
pub(super) struct Health {
    /// Since when no notification server answered; `None` while popups work.
    down_since: Option<Instant>,
    /// Whether giving up was already logged in this outage.
    gave_up_logged: bool,
}

/// Why one try to show a popup failed.
enum Failure {
    /// Recording the events as seen failed (the disk).
    Record(anyhow::Error),
    /// No notification server (or no session bus).
    Show(PopupError),
}

/// What became of showing one popup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Shown {
    /// On screen, with this id.
    Popup(u32),
    /// No notification server for too long: ack without a popup or a receipt.
    GaveUp,
    /// Shut down, or the connection is gone: leave the delivery unacked.
    Abandoned,
}

/// The summary popup of a burst in progress. While a burst goes on (a backlog larger than
/// the prefetch arrives batch by batch), each next window's deliveries update this popup in
/// place instead of adding popups.
#[derive(Debug, Clone)]
pub(super) struct Summary {
    /// The notification server's id of the summary popup.
    popup: u32,
    /// Deliveries it stands for.
    total: usize,
    /// The first few headlines.
    headlines: Vec<String>,
    /// The highest priority among them.
    priority: Priority,
}

impl Desktop {
    /// A delivery already shown: make sure its receipt is queued, and ack it.
    pub(super) async fn skip_duplicate(&self, job: &Job) {
        tracing::debug!(event = %job.envelope.id, delivery = %job.delivery, "already shown; skipping");
        if self.queue_receipts(&[job]).await {
            job.ack.ack(job.delivery).await;
        }
    }

    pub(super) async fn deliver_one(
        &self,
        job: Job,
        health: &mut Health,
        shutdown: &CancellationToken,
    ) {
        if self.seen.any(&job.ids()) {
            self.skip_duplicate(&job).await;
            return;
        }
        let Some(content) = self.content(job.envelope.subject, shutdown).await else {
            return;
        };
        let popup = Popup {
            notification: Some(job.envelope.subject),
            text: render(content.title.as_deref(), &content.body),
            urgency: urgency(content.priority),
            replaces: None,
        };
        let shown = self
            .show_once(job.ids().to_vec(), popup, job.generation, health, shutdown)
            .await;
        if shown == Shown::Abandoned {
            return;
        }
        let _ = self
            .bus
            .send(DaemonEvent::Received(Arc::clone(&job.envelope)));
        if shown == Shown::GaveUp {
            job.ack.ack(job.delivery).await;
            return;
        }
        hub::lock(&self.hub).popups_shown(1);
        if self.queue_receipts(&[&job]).await {
            job.ack.ack(job.delivery).await;
        }
    }

    /// Shows `jobs` as one summary popup (updating `previous`, the summary of the burst so
    /// far), then queues every receipt and acks every delivery.
    pub(super) async fn deliver_burst(
        &self,
        jobs: Vec<Job>,
        previous: Option<Summary>,
        health: &mut Health,
        shutdown: &CancellationToken,
    ) -> Option<Summary> {
        let jobs: Vec<Job> = jobs
            .into_iter()
            .filter(|j| self.is_live(j.generation))
            .collect();
        let generation = jobs.first()?.generation;
        let replaces = previous.as_ref().map(|s| s.popup);
        let mut summary = previous.unwrap_or(Summary {
            popup: 0,
            total: 0,
            headlines: Vec::new(),
            priority: Priority::Low,
        });
        for job in &jobs {
            let content = if summary.headlines.len() < burst::LISTED {
                Some(self.content(job.envelope.subject, shutdown).await?)
            } else {
                hub::lock(&self.hub).take_content(job.envelope.subject)
            };
            if let Some(content) = content {
                if summary.headlines.len() < burst::LISTED {
                    summary
                        .headlines
                        .push(headline(content.title.as_deref(), &content.body));
                }
                if rank(content.priority) > rank(summary.priority) {
                    summary.priority = content.priority;
                }
            }
        }
        summary.total += jobs.len();
        tracing::info!(
            count = summary.total,
            "a burst of notifications; showing one summary"
        );
        let popup = Popup {
            notification: None,
            text: burst::summary_text(summary.total, &summary.headlines),
            urgency: urgency(summary.priority),
            replaces,
        };
        let ids: Vec<Uuid> = jobs.iter().flat_map(Job::ids).collect();
        let shown = self
            .show_once(ids, popup, generation, health, shutdown)
            .await;
        if shown == Shown::Abandoned {
            return None;
        }
        for job in &jobs {
            let _ = self
                .bus
                .send(DaemonEvent::Received(Arc::clone(&job.envelope)));
        }
        let Shown::Popup(id) = shown else {
            for job in &jobs {
                job.ack.ack(job.delivery).await;
            }
            return None;
        };
        summary.popup = id;
        if replaces.is_none() {
            hub::lock(&self.hub).popups_shown(1);
        }
        let all: Vec<&Job> = jobs.iter().collect();
        if self.queue_receipts(&all).await {
            for job in &jobs {
                job.ack.ack(job.delivery).await;
            }
        }
        Some(summary)
    }

    /// Records `ids` as seen, then shows `popup` ([`Desktop::attempt`]); while no
    /// notification server answers, retries with backoff, until shown, shut down or disconnected
    /// (abandoned: the delivery stays unacked and the broker resends it), or the outage has
    /// lasted [`Desktop::give_up_after`].
    async fn show_once(
        &self,
        ids: Vec<Uuid>,
        popup: Popup,
        generation: u64,
        health: &mut Health,
        shutdown: &CancellationToken,
    ) -> Shown {
        let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(30));
        loop {
            match self.attempt(&ids, &popup).await {
                Ok(id) => {
                    if health.down_since.take().is_some() {
                        tracing::info!("a notification server answers again");
                    }
                    health.gave_up_logged = false;
                    tracing::debug!(popup = id, "popup shown");
                    return Shown::Popup(id);
                }
                Err(Failure::Record(error)) => {
                    tracing::error!(
                        error = format!("{error:#}"),
                        "cannot record shown events; not showing the popup yet"
                    );
                }
                Err(Failure::Show(error)) => {
                    let since = *health.down_since.get_or_insert_with(|| {
                        tracing::warn!(%error, "cannot show popups; retrying while the deliveries wait");
                        Instant::now()
                    });
                    if since.elapsed() >= self.give_up_after {
                        if !health.gave_up_logged {
                            health.gave_up_logged = true;
                            tracing::warn!(
                                %error,
                                "still no notification server; acking desktop deliveries without popups until one answers (the notifications stay in the inbox)"
                            );
                        }
                        return Shown::GaveUp;
                    }
                    tracing::debug!(%error, attempt = backoff.attempts(), "still cannot show a popup");
                }
            }
            let left = self
                .give_up_after
                .saturating_sub(health.down_since.map_or(Duration::ZERO, |s| s.elapsed()));
            let delay = backoff
                .next_delay()
                .min(left.max(Duration::from_millis(50)));
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                () = shutdown.cancelled() => return Shown::Abandoned,
            }
            if !self.is_live(generation) {
                return Shown::Abandoned;
            }
        }
    }

    /// One try: the bus connection first, then record `ids` (fsynced), then show. The
    /// connection is open before the record, so the popup's `Notify` leaves within
    /// microseconds of it; a crash in between loses this one popup (its redelivery is
    /// skipped as seen), and the notification is still in the inbox. A popup not shown is
    /// forgotten again.
    async fn attempt(&self, ids: &[Uuid], popup: &Popup) -> Result<u32, Failure> {
        self.popups.ready().await.map_err(Failure::Show)?;
        self.seen
            .record(ids.to_vec(), true)
            .await
            .map_err(Failure::Record)?;
        match self.popups.show(popup.clone()).await {
            Ok(id) => Ok(id),
            Err(error) => {
                if let Err(forget) = self.seen.forget(ids.to_vec()).await {
                    tracing::error!(
                        error = format!("{forget:#}"),
                        "cannot forget events of a popup not shown"
                    );
                }
                Err(Failure::Show(error))
            }
        }
    }

    /// Queues the receipts of `jobs` durably; `false` (and an error logged) when it could
    /// not, in which case the jobs must stay unacked.
    async fn queue_receipts(&self, jobs: &[&Job]) -> bool {
        let receipts = jobs
            .iter()
            .map(|job| PendingReceipt::new(job.delivery, &self.device))
            .collect();
        match self.receipts.push(receipts).await {
            Ok(()) => true,
            Err(error) => {
                tracing::error!(
                    error = format!("{error:#}"),
                    "cannot queue receipts; leaving the deliveries unacked"
                );
                false
            }
        }
    }

    /// The content of a notification: cached from its `notification.requested`, else asked
    /// of the api (a few tries: the read model may lag), else a generic text; `None` when
    /// shut down meanwhile.
    async fn content(&self, id: Uuid, shutdown: &CancellationToken) -> Option<Content> {
        if let Some(content) = hub::lock(&self.hub).take_content(id) {
            return Some(content);
        }
        let mut delay = Duration::from_millis(250);
        for _ in 0..3 {
            let fetched = tokio::select! {
                fetched = self.api.notification(id) => fetched,
                () = shutdown.cancelled() => return None,
            };
            match fetched {
                Ok(view) => return Some(Content::new(view.title, &view.body, view.priority)),
                Err(error) => {
                    tracing::debug!(%error, notification = %id, "cannot fetch a notification yet");
                }
            }
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                () = shutdown.cancelled() => return None,
            }
            delay *= 2;
        }
        tracing::warn!(notification = %id, "cannot fetch a notification's content; showing a generic popup");
        Some(Content::new(
            Some("New notification".into()),
            &format!("notify show {id}"),
            Priority::Normal,
        ))
    }
}

fn rank(priority: Priority) -> u8 {
    match priority {
        Priority::Low => 0,
        Priority::Normal => 1,
        Priority::High => 2,
        Priority::Urgent => 3,
    }
}
