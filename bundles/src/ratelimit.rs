//! Client-side per-relay rate limit: a token bucket that never waits.
//!
//! A bundle is only worth anything before its block, so a limited request is not queued: the
//! submission is recorded as [`crate::RelayOutcome::RateLimited`] and not sent.

use crate::config::RateLimitConfig;
use std::{
    sync::Mutex,
    time::{Duration, Instant},
};

/// A token bucket holding up to `requests` tokens, refilled at `requests / window`.
#[derive(Debug)]
pub struct RateLimiter {
    capacity: f64,
    per_second: f64,
    bucket: Mutex<Bucket>,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

impl RateLimiter {
    /// A full bucket for `config` (a zero window or zero requests allows nothing).
    pub fn new(config: RateLimitConfig) -> Self {
        let capacity = f64::from(config.requests);
        let window = Duration::from_millis(config.window_ms).as_secs_f64();
        let per_second = if window > 0.0 { capacity / window } else { 0.0 };
        Self {
            capacity,
            per_second,
            bucket: Mutex::new(Bucket { tokens: capacity, last: Instant::now() }),
        }
    }

    /// Takes one token if there is one.
    pub fn try_acquire(&self) -> bool {
        self.try_acquire_at(Instant::now())
    }

    /// [`Self::try_acquire`] at a given instant (for tests).
    pub fn try_acquire_at(&self, now: Instant) -> bool {
        // A poisoned lock only means another thread panicked mid-update of two floats.
        let mut bucket = self.bucket.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let elapsed = now.saturating_duration_since(bucket.last).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.per_second).min(self.capacity);
        bucket.last = bucket.last.max(now);
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_empties_then_refills() {
        let limiter = RateLimiter::new(RateLimitConfig { requests: 3, window_ms: 3_000 });
        let t0 = Instant::now();
        assert!((0..3).all(|_| limiter.try_acquire_at(t0)));
        assert!(!limiter.try_acquire_at(t0));
        assert!(!limiter.try_acquire_at(t0 + Duration::from_millis(900)));
        assert!(limiter.try_acquire_at(t0 + Duration::from_millis(1_000)));
        assert!(!limiter.try_acquire_at(t0 + Duration::from_millis(1_100)));
        // A long idle period refills to capacity, not beyond.
        let later = t0 + Duration::from_secs(60);
        assert_eq!((0..10).filter(|_| limiter.try_acquire_at(later)).count(), 3);
    }

    #[test]
    fn zero_allows_nothing() {
        let limiter = RateLimiter::new(RateLimitConfig { requests: 0, window_ms: 1_000 });
        assert!(!limiter.try_acquire());
    }
}
