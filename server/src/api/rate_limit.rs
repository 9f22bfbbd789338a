//! The per-user rate limit: a token bucket per user (GCRA, from `governor`) in each api
//! process, checked right after authentication, so one user's flood is answered 429 with
//! `Retry-After` and never slows anyone else.
//!
//! Each api process keeps its own buckets: with N api processes a user may make up to N times
//! the configured rate. Buckets of users who stayed quiet are dropped periodically.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use notify_shared::UserId;

use super::error::ApiError;
use crate::config::RateLimitConfig;

/// How often idle buckets are dropped.
const FORGET_EVERY: Duration = Duration::from_secs(60);

/// The buckets of one api process.
#[derive(Debug, Clone)]
pub struct RateLimit(Arc<DefaultKeyedRateLimiter<UserId>>);

impl RateLimit {
    /// The limit `config` asks for; `None` when it is turned off (`per_second = 0`).
    pub fn new(config: RateLimitConfig) -> Option<Self> {
        let per_second = NonZeroU32::new(config.per_second)?;
        let burst = NonZeroU32::new(config.burst).unwrap_or(per_second);
        let quota = Quota::per_second(per_second).allow_burst(burst);
        Some(Self(Arc::new(DefaultKeyedRateLimiter::keyed(quota))))
    }

    /// Takes one request from `user`'s bucket, or says how long to wait.
    pub fn check(&self, user: &UserId) -> Result<(), ApiError> {
        self.0.check_key(user).map_err(|not_until| {
            metrics::counter!(crate::prometheus::API_REFUSED, "reason" => "rate_limit")
                .increment(1);
            ApiError::RateLimited(not_until.wait_time_from(DefaultClock::default().now()))
        })
    }

    /// Drops the buckets of idle users every minute, until the process ends.
    pub async fn forget_idle(self) {
        let mut tick = tokio::time::interval(FORGET_EVERY);
        loop {
            tick.tick().await;
            self.0.retain_recent();
            self.0.shrink_to_fit();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_past_the_burst_waits_and_others_do_not() {
        let limit = RateLimit::new(RateLimitConfig {
            per_second: 1,
            burst: 3,
        })
        .expect("on");
        let alice = UserId::parse("alice").expect("valid");
        let bob = UserId::parse("bob").expect("valid");
        for _ in 0..3 {
            limit.check(&alice).expect("within the burst");
        }
        match limit.check(&alice) {
            Err(ApiError::RateLimited(wait)) => assert!(wait <= Duration::from_secs(1), "{wait:?}"),
            other => panic!("expected a rate limit, got {other:?}"),
        }
        limit.check(&bob).expect("bob has his own bucket");
    }

    #[test]
    fn zero_per_second_turns_it_off() {
        let off = RateLimitConfig {
            per_second: 0,
            burst: 10,
        };
        assert!(RateLimit::new(off).is_none());
    }
}
