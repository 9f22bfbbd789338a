//! `--wait` without a daemon: follow operations until they settle, by polling
//! `GET /v1/operations/{id}`.
//!
//! [`crate::wait`] asks notifyd first and comes here only when there is none (then
//! [`polling_notice`] says so once). Nothing here prints on stdout; the spinner, the notice
//! and progress lines go to stderr, and `--quiet` silences them all. What counts as success is
//! decided by [`outcome`], not here. [`Waiting`] is one wait's clock, spinner and polling;
//! [`wait`] uses it for plain operations, `follow` for a send whose deliveries it reports.

use std::fmt::Display;
use std::future::Future;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use indicatif::ProgressBar;
use notify_shared::api::OperationStatus;
use notify_shared::views::OperationView;
use notify_shared::wire_name::WireName;
use tokio::time::Instant;
use uuid::Uuid;

use crate::client::Client;
use crate::error::Error;
use crate::output::tell;

/// The first pause between two polls of the same operation.
const FIRST_DELAY: Duration = Duration::from_millis(100);
/// The longest pause between two polls.
const MAX_DELAY: Duration = Duration::from_secs(1);
/// For this long after the wait starts, a 404 means "not in the read model yet", not "no
/// such operation": the command was accepted a moment ago and the projector may lag.
const NOT_YET_VISIBLE: Duration = Duration::from_secs(2);

/// Said once per process, the first time something polls for want of a daemon.
const POLLING_NOTICE: &str =
    "notify: no daemon running; polling the server (notifyd makes --wait instant)";
static NOTICE_GIVEN: AtomicBool = AtomicBool::new(false);

/// Says once per process, unless `quiet`, that waiting polls because no daemon runs.
pub fn polling_notice(quiet: bool) {
    if !quiet && !NOTICE_GIVEN.swap(true, Ordering::Relaxed) {
        tell(POLLING_NOTICE);
    }
}

/// Where waiting stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    /// A final state only (read, unread, read-all).
    Final,
    /// A final state, or `scheduled`: a scheduled send may be hours away (status).
    FinalOrScheduled,
}

impl Until {
    /// Whether `status` ends the wait.
    pub fn reached(self, status: OperationStatus) -> bool {
        status.is_final()
            || (self == Self::FinalOrScheduled && status == OperationStatus::Scheduled)
    }
}

/// The pause after poll number `round` (from 0): 100 ms, growing by half each time, to 1 s.
pub fn poll_delay(round: u32) -> Duration {
    let mut delay = FIRST_DELAY;
    for _ in 0..round.min(8) {
        delay = delay * 3 / 2;
    }
    delay.min(MAX_DELAY)
}

/// Whether a settled operation succeeded: a failed, cancelled or partially delivered one is an
/// error (exit 1); anything else, including states that are not final, is not.
pub fn outcome(view: &OperationView) -> Result<(), Error> {
    outcome_at(view, view.notifications.first().copied())
}

/// [`outcome`], with the hint pointing at `notification` (one whose history tells what went
/// wrong) rather than at the operation's first.
pub fn outcome_at(view: &OperationView, notification: Option<Uuid>) -> Result<(), Error> {
    match view.status {
        OperationStatus::Failed
        | OperationStatus::Cancelled
        | OperationStatus::PartiallyDelivered => Err(Error::OperationEnded {
            id: view.id,
            status: view.status,
            notification,
        }),
        _ => Ok(()),
    }
}

/// `waiting for ID`, or `waiting for ID: dispatched`, for the spinner.
pub fn waiting_for(id: Uuid, status: Option<OperationStatus>) -> String {
    match status {
        Some(status) => format!("waiting for {id}: {}", status.as_str()),
        None => format!("waiting for {id}"),
    }
}

/// Polls each of `ids` until it reaches `until`, for `timeout` in all, and returns their views
/// in the order of `ids`. Gives up with [`Error::TimedOut`] (exit 4). The caller says why it
/// polls ([`polling_notice`]).
pub async fn wait(
    client: &Client,
    ids: &[Uuid],
    until: Until,
    timeout: Duration,
    quiet: bool,
) -> Result<Vec<OperationView>, Error> {
    let mut waiting = Waiting::start(timeout, quiet);
    let mut settled: Vec<Option<OperationView>> = vec![None; ids.len()];
    let mut last: Vec<Option<OperationStatus>> = vec![None; ids.len()];
    let timed_out = |settled: &[Option<OperationView>], last: &[Option<OperationStatus>]| {
        let pending: Vec<usize> = (0..ids.len()).filter(|i| settled[*i].is_none()).collect();
        let first = pending.first().copied().unwrap_or(0);
        Error::TimedOut {
            operation: ids[first],
            last: last[first],
            after: timeout,
            others: pending.len().saturating_sub(1),
        }
    };
    loop {
        for (i, id) in ids.iter().enumerate() {
            if settled[i].is_some() {
                continue;
            }
            waiting.show(waiting_for(*id, last[i]));
            match waiting.poll(client, *id).await? {
                Polled::OutOfTime => return Err(timed_out(&settled, &last)),
                Polled::NotYetVisible => {}
                Polled::Seen(view) if until.reached(view.status) => settled[i] = Some(view),
                Polled::Seen(view) => last[i] = Some(view.status),
            }
        }
        if settled.iter().all(Option::is_some) {
            return Ok(settled.into_iter().flatten().collect());
        }
        if !waiting.pause().await {
            return Err(timed_out(&settled, &last));
        }
    }
}

/// What one poll of an operation found.
#[derive(Debug)]
pub enum Polled {
    /// Its current view.
    Seen(OperationView),
    /// A 404 just after it was accepted: the read model has not caught up yet.
    NotYetVisible,
    /// The time ran out before the server answered.
    OutOfTime,
}

/// One wait: its deadline, its spinner, and the growing pause between rounds of polls.
#[derive(Debug)]
pub struct Waiting {
    started: Instant,
    deadline: Instant,
    spinner: Spinner,
    round: u32,
}

impl Waiting {
    /// Starts the clock and the spinner.
    pub fn start(timeout: Duration, quiet: bool) -> Self {
        let started = Instant::now();
        Self {
            started,
            deadline: started + timeout,
            spinner: Spinner::new(!quiet),
            round: 0,
        }
    }

    /// `GET /v1/operations/{id}` once, within the time left.
    pub async fn poll(&self, client: &Client, id: Uuid) -> Result<Polled, Error> {
        match self.within(client.operation(id)).await {
            None => Ok(Polled::OutOfTime),
            Some(Ok(view)) => Ok(Polled::Seen(view)),
            Some(Err(Error::NoOperation(_))) if self.started.elapsed() < NOT_YET_VISIBLE => {
                Ok(Polled::NotYetVisible)
            }
            Some(Err(error)) => Err(error),
        }
    }

    /// `request`'s answer, or `None` if the time runs out first.
    pub async fn within<T>(&self, request: impl Future<Output = T>) -> Option<T> {
        let remaining = self.deadline.saturating_duration_since(Instant::now());
        tokio::time::timeout(remaining, request).await.ok()
    }

    /// Sleeps until the next round of polls; `false` (at once) when the time is up.
    pub async fn pause(&mut self) -> bool {
        let remaining = self.deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return false;
        }
        tokio::time::sleep(poll_delay(self.round).min(remaining)).await;
        self.round = self.round.saturating_add(1);
        true
    }

    /// Sets the spinner's message.
    pub fn show(&self, message: String) {
        if let Some(bar) = &self.spinner.0 {
            bar.set_message(message);
        }
    }

    /// Prints one line on stderr, above the spinner when there is one.
    pub fn tell(&self, line: impl Display) {
        match &self.spinner.0 {
            Some(bar) => bar.suspend(|| tell(line)),
            None => tell(line),
        }
    }
}

/// A spinner on stderr, only when stderr is a terminal and the user did not ask for quiet.
#[derive(Debug)]
struct Spinner(Option<ProgressBar>);

impl Spinner {
    fn new(wanted: bool) -> Self {
        Self((wanted && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new_spinner();
            bar.enable_steady_tick(Duration::from_millis(100));
            bar
        }))
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn polling_slows_from_100ms_to_1s() {
        let delays: Vec<u128> = (0..9).map(|r| poll_delay(r).as_millis()).collect();
        assert_eq!(delays, [100, 150, 225, 337, 506, 759, 1000, 1000, 1000]);
        assert_eq!(poll_delay(u32::MAX), ms(1000));
    }

    #[test]
    fn scheduled_ends_only_a_status_wait() {
        use OperationStatus::*;
        for status in [Accepted, Dispatched] {
            assert!(!Until::Final.reached(status));
            assert!(!Until::FinalOrScheduled.reached(status));
        }
        assert!(!Until::Final.reached(Scheduled));
        assert!(Until::FinalOrScheduled.reached(Scheduled));
        for status in [Delivered, PartiallyDelivered, Failed, Cancelled, Applied] {
            assert!(Until::Final.reached(status));
        }
    }

    #[test]
    fn only_failures_are_errors() {
        use OperationStatus::*;
        let view = |status| OperationView {
            id: Uuid::nil(),
            kind: None,
            status,
            notifications: vec![Uuid::max()],
            resolved_at: None,
        };
        for status in [Accepted, Scheduled, Dispatched, Delivered, Applied] {
            assert!(outcome(&view(status)).is_ok(), "{status:?}");
        }
        for status in [PartiallyDelivered, Failed, Cancelled] {
            let error = outcome(&view(status)).expect_err("fails");
            assert_eq!(error.exit_code(), crate::Exit::Failed);
            assert!(matches!(
                error,
                Error::OperationEnded { notification: Some(n), .. } if n == Uuid::max()
            ));
        }
        let error = outcome_at(&view(Failed), Some(Uuid::nil())).expect_err("fails");
        assert!(matches!(
            error,
            Error::OperationEnded { notification: Some(n), .. } if n.is_nil()
        ));
    }

    #[test]
    fn the_spinner_says_what_it_waits_for() {
        assert_eq!(
            waiting_for(Uuid::nil(), Some(OperationStatus::Dispatched)),
            "waiting for 00000000-0000-0000-0000-000000000000: dispatched"
        );
        assert_eq!(
            waiting_for(Uuid::nil(), None),
            "waiting for 00000000-0000-0000-0000-000000000000"
        );
    }
}
