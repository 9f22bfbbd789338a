//! The daemon's in-memory state: the unread count, recent operation resolutions and the waits
//! on them, the content of recent notifications (for popups), and the counters `status`
//! reports.
//!
//! Pure state behind one mutex: no I/O, no awaiting, and time is passed in, so every rule
//! here is tested without a runtime. The broker consumer applies each event here before it
//! acks it.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use notify_shared::UserId;
use notify_shared::api::{OperationStatus, Priority};
use notify_shared::event::{Envelope, Event};
use tokio::sync::oneshot;
use tokio::time::Instant;
use uuid::Uuid;

/// How long a resolution is kept for waits that arrive after it (at least ten minutes).
pub const RETAIN_RESOLUTIONS: Duration = Duration::from_secs(15 * 60);
/// Most resolutions kept, whatever their age.
pub const MAX_RESOLUTIONS: usize = 10_000;
/// Most notification contents cached for popups.
pub const MAX_CONTENTS: usize = 512;
/// Longest body cached, in bytes (a popup shows far less).
const MAX_CACHED_BODY: usize = 4 * 1024;

/// What a popup shows of a notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content {
    /// The title, if any.
    pub title: Option<String>,
    /// The message.
    pub body: String,
    /// Its priority (the popup's urgency).
    pub priority: Priority,
}

impl Content {
    /// Content with the body cut to what a cache needs.
    pub fn new(title: Option<String>, body: &str, priority: Priority) -> Self {
        let mut end = body.len().min(MAX_CACHED_BODY);
        while !body.is_char_boundary(end) {
            end -= 1;
        }
        Self {
            title,
            body: body[..end].to_owned(),
            priority,
        }
    }
}

/// The answer to a wait.
#[derive(Debug)]
pub enum Ticket {
    /// It already resolved.
    Resolved(OperationStatus),
    /// It has not; the receiver gets the status when it does.
    Pending(oneshot::Receiver<OperationStatus>),
}

/// The state.
#[derive(Debug, Default)]
pub struct Hub {
    /// Unread notifications: as last fetched from the api, adjusted by events since.
    unread: u64,
    /// Bumped by every event that changes `unread`, so that a fetch begun before the bump
    /// can tell that its answer is stale.
    unread_epoch: u64,
    /// Whether the broker consumer is running now.
    connected: bool,
    /// Popups shown since the daemon started (a burst summary counts as one).
    shown: u64,
    /// This device's name, once known.
    device: Option<String>,
    /// The user the daemon runs for, once registered.
    user: Option<UserId>,
    /// Recent resolutions: operation → (status, when it arrived).
    resolutions: HashMap<Uuid, (OperationStatus, Instant)>,
    /// The same, oldest first, for expiry; an entry whose time no longer matches the map is
    /// stale and skipped.
    resolution_order: VecDeque<(Uuid, Instant)>,
    /// Waits registered before their operation resolved.
    waiters: HashMap<Uuid, Vec<oneshot::Sender<OperationStatus>>>,
    /// Content of recent `notification.requested` events, by notification id.
    contents: HashMap<Uuid, Content>,
    /// The same ids, oldest first, for eviction.
    content_order: VecDeque<Uuid>,
}

/// The hub shared by every component.
pub type SharedHub = Arc<Mutex<Hub>>;

/// Locks the shared hub (a panic elsewhere does not make its state unusable).
pub fn lock(hub: &SharedHub) -> MutexGuard<'_, Hub> {
    hub.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Hub {
    /// A shared, empty hub.
    pub fn shared() -> SharedHub {
        Arc::new(Mutex::new(Self::default()))
    }

    /// Applies one event from the broker (already deduplicated).
    pub fn apply(&mut self, envelope: &Envelope, now: Instant) {
        match &envelope.event {
            Event::NotificationRequested(requested) => {
                let content =
                    Content::new(requested.title.clone(), &requested.body, requested.priority);
                self.cache(envelope.subject, content);
            }
            Event::NotificationCancelled(_) => {
                self.contents.remove(&envelope.subject);
            }
            Event::NotificationDispatched(_) | Event::NotificationUnread(_) => {
                self.unread = self.unread.saturating_add(1);
                self.unread_epoch += 1;
            }
            Event::NotificationRead(_) => {
                self.unread = self.unread.saturating_sub(1);
                self.unread_epoch += 1;
            }
            Event::InboxReadAll(_) => {
                self.unread = 0;
                self.unread_epoch += 1;
            }
            Event::OperationResolved(resolved) => {
                self.resolve(envelope.operationid, resolved.status, now);
            }
            _ => {}
        }
    }

    fn cache(&mut self, id: Uuid, content: Content) {
        if self.contents.insert(id, content).is_none() {
            self.content_order.push_back(id);
        }
        while self.contents.len() > MAX_CONTENTS {
            match self.content_order.pop_front() {
                Some(old) => {
                    self.contents.remove(&old);
                }
                None => break,
            }
        }
        if self.content_order.len() > 2 * MAX_CONTENTS {
            let contents = &self.contents;
            self.content_order.retain(|id| contents.contains_key(id));
        }
    }

    /// The cached content of a notification, removed from the cache.
    pub fn take_content(&mut self, id: Uuid) -> Option<Content> {
        self.contents.remove(&id)
    }

    /// The cached content of a notification, left in the cache.
    pub fn content(&self, id: Uuid) -> Option<&Content> {
        self.contents.get(&id)
    }

    /// Records a resolution and answers the waits on it.
    pub fn resolve(&mut self, operation: Uuid, status: OperationStatus, now: Instant) {
        self.expire(now);
        self.resolutions.insert(operation, (status, now));
        self.resolution_order.push_back((operation, now));
        while self.resolutions.len() > MAX_RESOLUTIONS {
            let Some((old, at)) = self.resolution_order.pop_front() else {
                break;
            };
            if self.resolutions.get(&old).is_some_and(|(_, t)| *t == at) {
                self.resolutions.remove(&old);
            }
        }
        for waiter in self.waiters.remove(&operation).unwrap_or_default() {
            // A waiter that gave up has dropped its receiver; nothing to do.
            let _ = waiter.send(status);
        }
    }

    /// Registers a wait on `operation`: resolved already, or a receiver for when it is.
    pub fn wait(&mut self, operation: Uuid, now: Instant) -> Ticket {
        self.expire(now);
        if let Some((status, _)) = self.resolutions.get(&operation) {
            return Ticket::Resolved(*status);
        }
        if self.waiters.len() > 1_000 {
            self.waiters.retain(|_, senders| {
                senders.retain(|s| !s.is_closed());
                !senders.is_empty()
            });
        }
        let (sender, receiver) = oneshot::channel();
        let senders = self.waiters.entry(operation).or_default();
        senders.retain(|s| !s.is_closed());
        senders.push(sender);
        Ticket::Pending(receiver)
    }

    fn expire(&mut self, now: Instant) {
        while let Some(&(operation, at)) = self.resolution_order.front() {
            if now.saturating_duration_since(at) < RETAIN_RESOLUTIONS {
                break;
            }
            self.resolution_order.pop_front();
            if self
                .resolutions
                .get(&operation)
                .is_some_and(|(_, t)| *t == at)
            {
                self.resolutions.remove(&operation);
            }
        }
    }

    /// The unread count.
    pub fn unread(&self) -> u64 {
        self.unread
    }

    /// The epoch to pass to [`Hub::set_unread`] after a fetch begun now.
    pub fn unread_epoch(&self) -> u64 {
        self.unread_epoch
    }

    /// Sets the count fetched from the api, unless an event changed it since the fetch began
    /// (`epoch` from [`Hub::unread_epoch`]); returns whether it was set.
    pub fn set_unread(&mut self, unread: u64, epoch: u64) -> bool {
        if epoch != self.unread_epoch {
            return false;
        }
        self.unread = unread;
        true
    }

    /// Whether the broker consumer runs.
    pub fn connected(&self) -> bool {
        self.connected
    }

    /// Records whether the broker consumer runs.
    pub fn set_connected(&mut self, connected: bool) {
        self.connected = connected;
    }

    /// Counts popups shown.
    pub fn popups_shown(&mut self, n: u64) {
        self.shown = self.shown.saturating_add(n);
    }

    /// Popups shown since start.
    pub fn shown(&self) -> u64 {
        self.shown
    }

    /// Records who the daemon runs for.
    pub fn set_identity(&mut self, device: String, user: Option<UserId>) {
        self.device = Some(device);
        self.user = user;
    }

    /// The device name, once known.
    pub fn device(&self) -> Option<&str> {
        self.device.as_deref()
    }

    /// The user, once registered.
    pub fn user(&self) -> Option<&UserId> {
        self.user.as_ref()
    }
}

#[cfg(test)]
mod tests;
