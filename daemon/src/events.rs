//! The one event enum the daemon's components talk over, on a broadcast channel.
//!
//! The broker consumer and the popup pipeline publish; watch clients, the popup closer, the
//! count refresher and sd-notify status listen. A listener that falls behind misses events
//! (and is told so by the channel); nothing here may block a publisher.

use std::sync::Arc;

use notify_shared::event::Envelope;
use tokio::sync::broadcast;

/// How many events a slow listener may fall behind before it misses some.
pub const CAPACITY: usize = 1024;

/// Something that happened in the daemon.
#[derive(Debug, Clone)]
pub enum DaemonEvent {
    /// An event from the broker, once (duplicates are dropped before this).
    Received(Arc<Envelope>),
    /// The broker consumer started (`true`) or stopped (`false`).
    Connection(bool),
}

/// The sending side; cloned by every publisher, subscribed to by every listener.
pub type Bus = broadcast::Sender<DaemonEvent>;

/// A new bus.
pub fn bus() -> Bus {
    broadcast::channel(CAPACITY).0
}
