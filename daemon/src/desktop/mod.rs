//! The popup pipeline: turns desktop `delivery.requested` events into popups, exactly once.
//!
//! For each delivery, in this order: record its event id and delivery id as seen (fsynced)
//! → show the popup → queue its receipt (fsynced) → ack it. A redelivered or duplicated
//! event is then never shown twice. A crash between recording and showing loses that one
//! popup (the redelivery is skipped as seen); the notification is still in the inbox, and
//! its receipt is still sent. When no notification server is reachable, the ids are
//! forgotten again and the popup is retried with backoff while the delivery stays unacked
//! (so it returns to the broker if the daemon stops or the connection drops meanwhile).
//! After [`GIVE_UP`] without any notification server, deliveries are acked without a popup
//! and without a receipt (the notification stays in the inbox, and the user's other machines
//! may still show it): holding them longer would fill the prefetch window and stall every
//! other event (counts, waits) on a machine that has no desktop.
//!
//! Right after each (re)connect, and whenever popups come faster than a person reads them,
//! deliveries are collected for a short window; a burst becomes one summary popup (`burst`),
//! updated in place while the backlog or the flood keeps coming.
//! This file holds the loop and those decisions; `deliver` does the showing, and
//! `reactions` what follows a popup. None of them touches the broker connection: they only
//! ack the deliveries they are given.

pub mod burst;
mod deliver;
pub mod reactions;

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use lapin::acker::Acker;
use notify_shared::event::Envelope;
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::api::Api;
use crate::events::Bus;
use crate::hub::SharedHub;
use crate::popup::Popups;
use crate::receipts::drain::Receipts;
use crate::seen::Seen;

use self::deliver::{Health, Summary, ack};

/// How long popups are retried while no notification server answers, before deliveries are
/// acked without one.
pub const GIVE_UP: Duration = Duration::from_secs(120);

/// One desktop delivery from the broker, not yet acked.
#[derive(Debug)]
pub struct Job {
    /// The `delivery.requested` event.
    pub envelope: Arc<Envelope>,
    /// Its delivery id (what the receipt names).
    pub delivery: Uuid,
    /// Acks it on the channel it came from.
    pub acker: Acker,
    /// The broker connection it came on (see [`Live`]).
    pub generation: u64,
}

impl Job {
    /// The ids that mark it seen: the event id and the delivery id (a retried delivery is a
    /// new event with the same delivery id, and must not pop up twice either).
    fn ids(&self) -> [Uuid; 2] {
        [self.envelope.id, self.delivery]
    }
}

/// What the broker consumer sends the pipeline.
#[derive(Debug)]
pub enum Input {
    /// A consumer started on connection `generation`: start a burst window.
    Connected(u64),
    /// A desktop delivery.
    Job(Job),
}

/// The generation of the broker connection that is consuming now (0 when none); a job from
/// another generation can no longer be acked, and the broker will deliver it again.
pub type Live = Arc<AtomicU64>;

/// The pipeline and what it uses.
#[derive(Debug, Clone)]
pub struct Desktop {
    /// Daemon state: cached contents, the popup counter.
    pub hub: SharedHub,
    /// Seen ids.
    pub seen: Seen,
    /// The receipt queue.
    pub receipts: Receipts,
    /// The popup thread.
    pub popups: Popups,
    /// The api, for contents missing from the cache.
    pub api: Api,
    /// Where the shown deliveries are published (for watch clients).
    pub bus: Bus,
    /// This device's name, for receipts.
    pub device: String,
    /// The live connection generation.
    pub live: Live,
    /// How long to retry popups without a notification server ([`GIVE_UP`]).
    pub give_up_after: Duration,
}

/// Deliveries collected in a burst window.
struct Window {
    /// The connection they came on.
    generation: u64,
    /// When the window closes.
    deadline: Instant,
    /// How long it is open.
    length: Duration,
    /// The deliveries, in order.
    jobs: Vec<Job>,
    /// Their ids, to drop copies.
    ids: HashSet<Uuid>,
}

impl Window {
    fn new(generation: u64, length: Duration) -> Self {
        Self {
            generation,
            deadline: Instant::now() + length,
            length,
            jobs: Vec::new(),
            ids: HashSet::new(),
        }
    }
}

impl Desktop {
    /// Runs until `shutdown` (finishing the popup in progress) or until the consumer is gone.
    pub async fn run(
        self,
        mut inputs: mpsc::UnboundedReceiver<Input>,
        shutdown: CancellationToken,
    ) {
        let mut window: Option<Window> = None;
        let mut summary: Option<Summary> = None;
        let mut health = Health::default();
        // When the last popups shown one by one went out.
        let mut recent = VecDeque::new();
        loop {
            let deadline = window.as_ref().map(|w| w.deadline);
            let input = tokio::select! {
                biased;
                () = shutdown.cancelled() => break,
                () = sleep_until(deadline.unwrap_or_else(Instant::now)), if deadline.is_some() => {
                    if let Some(closed) = window.take() {
                        let (generation, length) = (closed.generation, closed.length);
                        summary = self
                            .close_window(closed, summary.take(), &mut health, &shutdown)
                            .await;
                        if summary.is_some() {
                            // The burst may go on: collect the next batch the same way.
                            window = Some(Window::new(generation, length));
                        }
                    }
                    continue;
                }
                input = inputs.recv() => input,
            };
            match input {
                None => break,
                Some(Input::Connected(generation)) => {
                    // Jobs of an older window can no longer be acked; the broker resends them.
                    window = Some(Window::new(generation, burst::WINDOW));
                    summary = None;
                }
                Some(Input::Job(job)) => {
                    if !self.is_live(job.generation) {
                        continue;
                    }
                    if window.is_none() && burst::flooding(&mut recent, Instant::now()) {
                        window = Some(Window::new(job.generation, burst::LIVE_WINDOW));
                    }
                    if let Some(w) = window.as_mut().filter(|w| w.generation == job.generation) {
                        if self.seen.any(&job.ids()) {
                            self.skip_duplicate(&job).await;
                        } else if job.ids().iter().any(|id| w.ids.contains(id)) {
                            // A copy of one already collected: that one makes the popup and
                            // the receipt.
                            ack(&job).await;
                        } else {
                            w.ids.extend(job.ids());
                            w.jobs.push(job);
                        }
                    } else {
                        recent.push_back(Instant::now());
                        self.deliver_one(job, &mut health, &shutdown).await;
                    }
                }
            }
        }
    }

    fn is_live(&self, generation: u64) -> bool {
        self.live.load(Ordering::SeqCst) == generation
    }

    /// Shows what a window collected: one summary for a burst (or the next batch of one in
    /// progress), else each popup. Returns the summary while the burst goes on.
    async fn close_window(
        &self,
        window: Window,
        previous: Option<Summary>,
        health: &mut Health,
        shutdown: &CancellationToken,
    ) -> Option<Summary> {
        let n = window.jobs.len();
        if n > 0 && (previous.is_some() || burst::summarise(n)) {
            return self
                .deliver_burst(window.jobs, previous, health, shutdown)
                .await;
        }
        for job in window.jobs {
            if shutdown.is_cancelled() {
                break;
            }
            self.deliver_one(job, health, shutdown).await;
        }
        None
    }
}

#[cfg(test)]
mod tests;
