//! Exponential backoff with jitter, for every retry loop of the daemon (broker reconnects,
//! receipts, popups, registration).
//!
//! It only computes delays; it never sleeps and knows nothing about what is retried.

use std::time::Duration;

use rand::Rng;

/// Delays that double from `initial` up to `max`, each shortened by a random jitter of up to
/// a quarter, so that many daemons cut off by the same outage do not come back in lockstep.
#[derive(Debug, Clone)]
pub struct Backoff {
    /// The first delay, and the one after a [`Backoff::reset`].
    initial: Duration,
    /// The longest delay.
    max: Duration,
    /// The delay before jitter that the next call returns.
    next: Duration,
    /// Failures since the last reset (for logs: "attempt N").
    attempts: u32,
}

impl Backoff {
    /// A backoff from `initial` doubling to `max`.
    pub fn new(initial: Duration, max: Duration) -> Self {
        Self {
            initial,
            max,
            next: initial,
            attempts: 0,
        }
    }

    /// The delay before the next attempt; each call counts one failure.
    pub fn next_delay(&mut self) -> Duration {
        let base = self.next;
        self.next = (self.next * 2).min(self.max);
        self.attempts = self.attempts.saturating_add(1);
        let jitter_ms = u64::try_from(base.as_millis() / 4).unwrap_or(u64::MAX);
        let jitter = if jitter_ms == 0 {
            0
        } else {
            rand::rng().random_range(0..=jitter_ms)
        };
        base.saturating_sub(Duration::from_millis(jitter))
    }

    /// Failures since the last reset.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Starts over after a success.
    pub fn reset(&mut self) {
        self.next = self.initial;
        self.attempts = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_maximum_with_bounded_jitter() {
        let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(10));
        let mut bases = Vec::new();
        for _ in 0..10 {
            bases.push(backoff.next);
            let delay = backoff.next_delay();
            let base = *bases.last().expect("pushed");
            assert!(
                delay <= base && delay >= base * 3 / 4,
                "{delay:?} for {base:?}"
            );
        }
        assert_eq!(bases[0], Duration::from_millis(200));
        assert_eq!(bases[1], Duration::from_millis(400));
        assert_eq!(*bases.last().expect("ten"), Duration::from_secs(10));
        assert_eq!(backoff.attempts(), 10);
        backoff.reset();
        assert_eq!(backoff.attempts(), 0);
        assert!(backoff.next_delay() <= Duration::from_millis(200));
    }
}
