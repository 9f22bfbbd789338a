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
//! Right after each (re)connect, deliveries are collected for a short window, and a backlog
//! becomes one summary popup (`burst`); whenever popups come faster than a person reads
//! them, the flood goes into one summary popup too. The summary is updated in place while
//! the backlog or the flood keeps coming: a delivery that comes a while after its last update
//! updates it at once, one that comes sooner waits for the rest of
//! [`burst::UPDATE_EVERY`] with everything that arrives meanwhile.
//! This file holds the loop and those decisions; `deliver` does the showing, and
//! `reactions` what follows a popup. None of them touches the broker connection: they only
//! ack the deliveries they are given.

mod ack;
pub mod burst;
mod deliver;
pub mod reactions;

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

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

pub use self::ack::Ack;
use self::deliver::{Health, Summary};

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
    pub ack: Ack,
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

/// Why deliveries are being collected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Collecting {
    /// The catch-up after a (re)connect: one summary only for more than [`burst::THRESHOLD`].
    Backlog,
    /// A live flood, or more of a burst in progress: into the summary, however few.
    Burst,
}

/// Deliveries collected until a deadline.
struct Window {
    /// The connection they came on.
    generation: u64,
    /// When the window closes.
    deadline: Instant,
    /// What its deliveries become.
    collecting: Collecting,
    /// The deliveries, in order.
    jobs: Vec<Job>,
    /// Their ids, to drop copies.
    ids: HashSet<Uuid>,
}

impl Window {
    fn new(generation: u64, collecting: Collecting, deadline: Instant) -> Self {
        Self {
            generation,
            deadline,
            collecting,
            jobs: Vec::new(),
            ids: HashSet::new(),
        }
    }
}

/// A summary popup in progress, and when its last update began.
struct Burst {
    summary: Summary,
    updated: Instant,
}

impl Desktop {
    /// Runs until `shutdown` (finishing the popup in progress) or until the consumer is gone.
    pub async fn run(
        self,
        mut inputs: mpsc::UnboundedReceiver<Input>,
        shutdown: CancellationToken,
    ) {
        let mut window: Option<Window> = None;
        let mut burst: Option<Burst> = None;
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
                        burst = self
                            .close_window(closed, burst.take(), &mut health, &shutdown)
                            .await;
                    }
                    continue;
                }
                input = inputs.recv() => input,
            };
            match input {
                None => break,
                Some(Input::Connected(generation)) => {
                    // Jobs of an older window can no longer be acked; the broker resends them.
                    let deadline = Instant::now() + burst::WINDOW;
                    window = Some(Window::new(generation, Collecting::Backlog, deadline));
                    burst = None;
                }
                Some(Input::Job(job)) => {
                    if !self.is_live(job.generation) {
                        continue;
                    }
                    if window.is_none() {
                        let now = Instant::now();
                        burst = burst.filter(|b| burst::goes_on(b.updated, now));
                        if burst.is_some() || burst::flooding(&mut recent, now) {
                            // At once, unless the summary was updated a moment ago.
                            let next = burst
                                .as_ref()
                                .map_or(now, |b| b.updated + burst::UPDATE_EVERY);
                            window = Some(Window::new(
                                job.generation,
                                Collecting::Burst,
                                next.max(now),
                            ));
                        }
                    }
                    if let Some(w) = window.as_mut().filter(|w| w.generation == job.generation) {
                        if self.seen.any(&job.ids()) {
                            self.skip_duplicate(&job).await;
                        } else if job.ids().iter().any(|id| w.ids.contains(id)) {
                            // A copy of one already collected: that one makes the popup and
                            // the receipt.
                            job.ack.ack(job.delivery).await;
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

    /// Shows what a window collected: into the summary of the burst in progress, or of a new
    /// one (a flood, or a backlog larger than [`burst::THRESHOLD`]), else each popup. Returns
    /// the burst while it goes on.
    async fn close_window(
        &self,
        window: Window,
        burst: Option<Burst>,
        health: &mut Health,
        shutdown: &CancellationToken,
    ) -> Option<Burst> {
        if window.jobs.is_empty() {
            return burst;
        }
        if burst.is_some()
            || window.collecting == Collecting::Burst
            || burst::summarise(window.jobs.len())
        {
            let updated = Instant::now();
            let summary = self
                .deliver_burst(window.jobs, burst.map(|b| b.summary), health, shutdown)
                .await?;
            return Some(Burst { summary, updated });
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
