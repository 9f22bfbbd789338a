//! Acking a desktop delivery on the broker channel it came from; in the pipeline's tests, a
//! stand-in that only notes it (lapin's `Acker` cannot be made outside a channel).

use lapin::options::BasicAckOptions;
use uuid::Uuid;

/// Acks one delivery, once.
#[derive(Debug, Clone)]
pub struct Ack(Inner);

#[derive(Debug, Clone)]
enum Inner {
    /// A delivery from the broker.
    Broker(lapin::Acker),
    /// A test's delivery: whether it was acked.
    #[cfg(test)]
    Noted(std::sync::Arc<std::sync::atomic::AtomicBool>),
}

impl Ack {
    /// Acks with the broker's `acker`.
    pub fn broker(acker: lapin::Acker) -> Self {
        Self(Inner::Broker(acker))
    }

    /// Acks `delivery`. When the connection is gone it cannot, and that is only logged: the
    /// broker delivers it again, and it is then skipped as seen.
    pub async fn ack(&self, delivery: Uuid) {
        match &self.0 {
            Inner::Broker(acker) => match acker.ack(BasicAckOptions::default()).await {
                Ok(true) => {}
                Ok(false) => tracing::debug!(%delivery, "cannot ack: the channel is gone"),
                Err(error) => tracing::debug!(%error, %delivery, "cannot ack"),
            },
            #[cfg(test)]
            Inner::Noted(acked) => acked.store(true, std::sync::atomic::Ordering::SeqCst),
        }
    }
}

#[cfg(test)]
impl Ack {
    /// A stand-in that notes the ack.
    pub fn noted() -> Self {
        Self(Inner::Noted(std::sync::Arc::default()))
    }

    /// Whether it was acked.
    pub fn used(&self) -> bool {
        match &self.0 {
            Inner::Noted(acked) => acked.load(std::sync::atomic::Ordering::SeqCst),
            Inner::Broker(_) => false,
        }
    }
}
