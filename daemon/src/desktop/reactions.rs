//! What happens around popups after they are shown: closing them when their notification is
//! read elsewhere (or everything is), and posting "Mark read" when the user presses it.
//!
//! Both listen and act; neither changes the daemon state (the count changes when the
//! resulting `notification.read` event arrives from the broker).

use std::time::Duration;

use notify_shared::event::Event;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::api::Api;
use crate::backoff::Backoff;
use crate::events::{Bus, DaemonEvent};
use crate::popup::{Action, Popups};

/// Attempts to post one "Mark read" before giving up.
const MARK_READ_ATTEMPTS: u32 = 6;

/// Closes popups whose notification was read, until `shutdown`.
pub async fn close_on_read(popups: Popups, bus: Bus, shutdown: CancellationToken) {
    let mut events = bus.subscribe();
    loop {
        let received = tokio::select! {
            () = shutdown.cancelled() => return,
            received = events.recv() => received,
        };
        match received {
            Ok(DaemonEvent::Received(envelope)) => match envelope.event {
                Event::NotificationRead(_) => popups.close(envelope.subject),
                Event::InboxReadAll(_) => popups.close_all(),
                _ => {}
            },
            Ok(DaemonEvent::Connection(_)) => {}
            Err(RecvError::Lagged(missed)) => {
                tracing::warn!(
                    missed,
                    "the popup closer fell behind; some popups may stay open"
                );
            }
            Err(RecvError::Closed) => return,
        }
    }
}

/// Posts the command for each action the user takes on a popup, until `shutdown`.
pub async fn act(
    api: Api,
    mut actions: mpsc::UnboundedReceiver<Action>,
    shutdown: CancellationToken,
) {
    loop {
        let action = tokio::select! {
            () = shutdown.cancelled() => return,
            action = actions.recv() => action,
        };
        match action {
            Some(Action::MarkRead(notification)) => {
                tokio::spawn(mark_read(api.clone(), notification, shutdown.clone()));
            }
            None => return,
        }
    }
}

/// Posts `POST /v1/notifications/{id}/read` with one idempotency key, retrying a while.
async fn mark_read(api: Api, notification: Uuid, shutdown: CancellationToken) {
    let key = Uuid::now_v7();
    let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(5));
    loop {
        match api.mark_read(notification, key).await {
            Ok(()) => {
                tracing::info!(%notification, "marked read from its popup");
                return;
            }
            Err(error) if error.is_retryable() && backoff.attempts() + 1 < MARK_READ_ATTEMPTS => {
                let delay = backoff.next_delay();
                tracing::debug!(%error, retry_in = ?delay, "cannot mark read yet");
                tokio::select! {
                    () = tokio::time::sleep(delay) => {}
                    () = shutdown.cancelled() => return,
                }
            }
            Err(error) => {
                tracing::warn!(%error, %notification, "cannot mark a notification read");
                return;
            }
        }
    }
}
