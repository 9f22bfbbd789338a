//! `--wait`: follow operations until they settle, by polling `GET /v1/operations/{id}`.
//!
//! There is no daemon yet, so this always polls (and says so once). It never prints on stdout;
//! the spinner and the notice go to stderr, and `--quiet` silences both. What counts as
//! success is decided by [`outcome`], not here.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use indicatif::ProgressBar;
use notify_shared::api::OperationStatus;
use notify_shared::views::OperationView;
use tokio::time::Instant;
use uuid::Uuid;

use crate::client::Client;
use crate::error::Error;
use crate::output::tell;
use crate::render::name;

/// The first pause between two polls of the same operation.
const FIRST_DELAY: Duration = Duration::from_millis(100);
/// The longest pause between two polls.
const MAX_DELAY: Duration = Duration::from_secs(1);
/// For this long after the wait starts, a 404 means "not in the read model yet", not "no
/// such operation": the command was accepted a moment ago and the projector may lag.
const NOT_YET_VISIBLE: Duration = Duration::from_secs(2);

/// Said once per process, the first time something waits.
const POLLING_NOTICE: &str =
    "notify: no daemon running; polling the server (notifyd makes --wait instant)";
static NOTICE_GIVEN: AtomicBool = AtomicBool::new(false);

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
    match view.status {
        OperationStatus::Failed
        | OperationStatus::Cancelled
        | OperationStatus::PartiallyDelivered => Err(Error::OperationEnded {
            id: view.id,
            status: view.status,
            notification: view.notifications.first().copied(),
        }),
        _ => Ok(()),
    }
}

/// Polls each of `ids` until it reaches `until`, for `timeout` in all, and returns their views
/// in the order of `ids`. Gives up with [`Error::TimedOut`] (exit 4).
pub async fn wait(
    client: &Client,
    ids: &[Uuid],
    until: Until,
    timeout: Duration,
    quiet: bool,
) -> Result<Vec<OperationView>, Error> {
    if !quiet && !NOTICE_GIVEN.swap(true, Ordering::Relaxed) {
        tell(POLLING_NOTICE);
    }
    let started = Instant::now();
    let deadline = started + timeout;
    let spinner = Spinner::new(!quiet);
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
    for round in 0.. {
        for (i, id) in ids.iter().enumerate() {
            if settled[i].is_some() {
                continue;
            }
            spinner.show(*id, last[i]);
            let remaining = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(remaining, client.operation(*id)).await {
                Err(_) => return Err(timed_out(&settled, &last)),
                Ok(Ok(view)) if until.reached(view.status) => settled[i] = Some(view),
                Ok(Ok(view)) => last[i] = Some(view.status),
                Ok(Err(Error::NoOperation(_))) if started.elapsed() < NOT_YET_VISIBLE => {}
                Ok(Err(error)) => return Err(error),
            }
        }
        if settled.iter().all(Option::is_some) {
            return Ok(settled.into_iter().flatten().collect());
        }
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(timed_out(&settled, &last));
        }
        tokio::time::sleep(poll_delay(round).min(remaining)).await;
    }
    unreachable!("the loop returns when done or out of time")
}

/// A spinner on stderr, only when stderr is a terminal and the user did not ask for quiet.
struct Spinner(Option<ProgressBar>);

impl Spinner {
    fn new(wanted: bool) -> Self {
        Self((wanted && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new_spinner();
            bar.enable_steady_tick(Duration::from_millis(100));
            bar
        }))
    }

    fn show(&self, id: Uuid, status: Option<OperationStatus>) {
        if let Some(bar) = &self.0 {
            bar.set_message(match status {
                Some(status) => format!("waiting for {id}: {}", name(&status)),
                None => format!("waiting for {id}"),
            });
        }
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
    }
}
