//! Keeps the unread count honest: fetches `GET /v1/inbox/count` at start, every minute, and
//! shortly after events that change it settle (a backlog replayed after a reconnect, an
//! `inbox.read_all`, an operation applied), so the ±1 adjustments the hub makes in between
//! are confirmed by the read model.
//!
//! A fetch that began before an event changed the count is discarded and retried later; the
//! hub decides that. This component only decides when to ask.

use std::time::Duration;

use notify_shared::event::Event;
use tokio::sync::broadcast::error::RecvError;
use tokio::time::{Instant, sleep_until};
use tokio_util::sync::CancellationToken;

use crate::api::Api;
use crate::events::{Bus, DaemonEvent};
use crate::hub::{self, SharedHub};

/// How often the count is fetched regardless.
pub const PERIOD: Duration = Duration::from_secs(60);
/// How long events must be quiet before a confirming fetch.
pub const SETTLE: Duration = Duration::from_secs(1);
/// The longest a confirming fetch is put off by a stream of events.
pub const MAX_DELAY: Duration = Duration::from_secs(5);

/// Whether `event` changes the count (or tells that the read model caught up).
fn affects_count(event: &Event) -> bool {
    matches!(
        event,
        Event::NotificationDispatched(_)
            | Event::NotificationRead(_)
            | Event::NotificationUnread(_)
            | Event::InboxReadAll(_)
            | Event::OperationResolved(_)
    )
}

/// A pending confirming fetch: when it is due, and the latest it may be put off to.
#[derive(Debug, Clone, Copy)]
struct Pending {
    due: Instant,
    latest: Instant,
}

impl Pending {
    fn push(pending: Option<Self>, now: Instant) -> Self {
        match pending {
            None => Self {
                due: now + SETTLE,
                latest: now + MAX_DELAY,
            },
            Some(p) => Self {
                due: (now + SETTLE).min(p.latest),
                latest: p.latest,
            },
        }
    }
}

/// Runs until `shutdown`.
pub async fn run(api: Api, hub: SharedHub, bus: Bus, shutdown: CancellationToken) {
    let mut events = bus.subscribe();
    let mut pending: Option<Pending> = None;
    let mut periodic = Instant::now();
    loop {
        let due = pending.map_or(periodic, |p| p.due.min(periodic));
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = sleep_until(due) => {
                pending = None;
                periodic = Instant::now() + PERIOD;
                if !fetch(&api, &hub).await {
                    pending = Some(Pending::push(None, Instant::now()));
                }
            }
            received = events.recv() => match received {
                Ok(DaemonEvent::Received(envelope)) if affects_count(&envelope.event) => {
                    pending = Some(Pending::push(pending, Instant::now()));
                }
                Ok(DaemonEvent::Connection(true)) | Err(RecvError::Lagged(_)) => {
                    pending = Some(Pending::push(pending, Instant::now()));
                }
                Ok(_) => {}
                Err(RecvError::Closed) => return,
            },
        }
    }
}

/// Fetches the count; `false` when it should be fetched again soon (stale answer). A failed
/// fetch waits for the next period.
async fn fetch(api: &Api, hub: &SharedHub) -> bool {
    let epoch = hub::lock(hub).unread_epoch();
    match api.unread_count().await {
        Ok(count) => {
            let set = hub::lock(hub).set_unread(count.unread, epoch);
            if set {
                tracing::debug!(unread = count.unread, "unread count fetched");
            }
            set
        }
        Err(error) => {
            tracing::warn!(%error, "cannot fetch the unread count");
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confirming_fetches_wait_for_quiet_but_not_forever() {
        let start = Instant::now();
        let first = Pending::push(None, start);
        assert_eq!(first.due, start + SETTLE);
        let later = Pending::push(Some(first), start + Duration::from_millis(800));
        assert_eq!(later.due, start + Duration::from_millis(1_800));
        let much_later = Pending::push(Some(later), start + Duration::from_millis(4_500));
        assert_eq!(much_later.due, start + MAX_DELAY);
    }
}
