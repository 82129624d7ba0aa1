//! The token bucket (Hetzner's model), kept in memory.
//!
//! The bucket holds up to `capacity` tokens and refills the whole capacity over
//! `refill_period` (Hetzner: 3600 per hour, so +1 per second). A reservation takes one token;
//! when none is left it is granted with the wait until its token has refilled (the bucket goes
//! negative while requests queue). A server report lowers the estimate when the server holds
//! at least one whole token less than the store's unqueued tokens, for example because a
//! process outside the store spends the same account; a 429 empties the bucket and halves the share of the refill the store takes (it is
//! regrown while the server reports spare budget), so unsynchronised clients settle on
//! splitting the account instead of starving one another.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;

use crate::clock::{Clock, TokioClock};
use crate::error::StoreError;
use crate::store::{Budget, RateLimitStore, Reservation, ServerReport, Ticket};

/// The smallest share of the refill a store backs off to after repeated 429s.
pub(crate) const MIN_SHARE: f64 = 1.0 / 32.0;
/// How much share each report of spare budget gives back.
pub(crate) const SHARE_STEP: f64 = 0.05;

/// The numbers of a token bucket.
///
/// ```
/// use std::time::Duration;
/// use rate_budget::TokenBucket;
/// let hetzner = TokenBucket::per_hour(3600);
/// assert_eq!(hetzner.per_second(), 1.0);
/// let fast = TokenBucket::new(50, Duration::from_millis(250));
/// assert_eq!(fast.per_second(), 200.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TokenBucket {
    capacity: u32,
    refill_period: Duration,
    headroom: u32,
}

impl TokenBucket {
    /// `capacity` tokens of burst, the whole capacity refilled over `refill_period` (at
    /// least one microsecond; a capacity of 0 counts as 1).
    pub fn new(capacity: u32, refill_period: Duration) -> Self {
        Self {
            capacity: capacity.max(1),
            refill_period: refill_period.max(Duration::from_micros(1)),
            headroom: 0,
        }
    }

    /// Holds `tokens` of the burst back (the bucket fills to `capacity - tokens`, at least 1).
    ///
    /// A server's bucket that is full wastes its refill, so a burst whose requests are delayed
    /// on the way (a loaded machine, new connections) can find it a token short; `n` tokens of
    /// headroom absorb delays up to `n / per_second`. Default 0.
    #[must_use]
    pub fn with_headroom(mut self, tokens: u32) -> Self {
        self.headroom = tokens;
        self
    }

    /// Tokens of burst held back.
    pub fn headroom(&self) -> u32 {
        self.headroom
    }

    /// The most tokens the bucket holds: capacity less headroom, at least 1.
    pub fn ceiling(&self) -> u32 {
        self.capacity.saturating_sub(self.headroom).max(1)
    }

    /// `limit` requests per hour (Hetzner's form: `RateLimit-Limit` per hour).
    pub fn per_hour(limit: u32) -> Self {
        Self::new(limit, Duration::from_secs(3600))
    }

    /// Burst capacity.
    pub fn capacity(&self) -> u32 {
        self.capacity
    }

    /// Time an empty bucket takes to fill.
    pub fn refill_period(&self) -> Duration {
        self.refill_period
    }

    /// Tokens refilled per second.
    pub fn per_second(&self) -> f64 {
        f64::from(self.capacity) / self.refill_period.as_secs_f64()
    }

    /// The same refill period with another capacity (a server's `RateLimit-Limit`).
    #[must_use]
    pub fn with_capacity(self, capacity: u32) -> Self {
        Self::new(capacity, self.refill_period).with_headroom(self.headroom)
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    params: TokenBucket,
    tokens: f64,
    updated: Duration,
    next_ticket: u64,
    share: f64,
}

impl Bucket {
    fn new(params: TokenBucket, now: Duration) -> Self {
        Self {
            params,
            tokens: f64::from(params.ceiling()),
            updated: now,
            next_ticket: 0,
            share: 1.0,
        }
    }

    fn refill(&mut self, now: Duration) {
        let elapsed = now.saturating_sub(self.updated).as_secs_f64();
        let ceiling = f64::from(self.params.ceiling());
        self.tokens = (self.tokens + elapsed * self.params.per_second() * self.share).min(ceiling);
        self.updated = self.updated.max(now);
    }

    fn wait_for_one(&self) -> Duration {
        let rate = self.params.per_second() * self.share;
        Duration::from_secs_f64(((1.0 - self.tokens) / rate).max(0.0))
    }
}

/// The in-memory token bucket: one bucket per [`Budget`], all with the same numbers, behind a
/// mutex that is never held across an await.
pub struct LocalTokenBucket {
    params: TokenBucket,
    clock: Arc<dyn Clock>,
    buckets: Mutex<HashMap<Budget, Bucket>>,
}

impl fmt::Debug for LocalTokenBucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let mut s = f.debug_struct("LocalTokenBucket");
        s.field("params", &self.params);
        for (budget, bucket) in buckets.iter() {
            s.field(budget.name(), &bucket.tokens);
        }
        s.finish()
    }
}

impl LocalTokenBucket {
    /// Full buckets with these numbers, on tokio's clock.
    pub fn new(params: TokenBucket) -> Self {
        Self::with_clock(params, Arc::new(TokioClock::new()))
    }

    /// Full buckets with these numbers, on `clock`.
    pub fn with_clock(params: TokenBucket, clock: Arc<dyn Clock>) -> Self {
        Self {
            params,
            clock,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Tokens currently available in `budget` (negative while requests queue for tokens).
    pub fn tokens(&self, budget: Budget) -> f64 {
        self.with_bucket(budget, |bucket| bucket.tokens)
    }

    fn with_bucket<T>(&self, budget: Budget, f: impl FnOnce(&mut Bucket) -> T) -> T {
        let now = self.clock.now();
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let bucket = buckets
            .entry(budget)
            .or_insert_with(|| Bucket::new(self.params, now));
        bucket.refill(now);
        f(bucket)
    }
}

#[async_trait]
impl RateLimitStore for LocalTokenBucket {
    async fn reserve(
        &self,
        budget: Budget,
        max_wait: Option<Duration>,
    ) -> Result<Reservation, StoreError> {
        Ok(self.with_bucket(budget, |bucket| {
            let wait = bucket.wait_for_one();
            if max_wait.is_some_and(|max| wait > max) {
                return Reservation::Refused { retry_after: wait };
            }
            bucket.tokens -= 1.0;
            let ticket = bucket.next_ticket;
            bucket.next_ticket += 1;
            Reservation::Granted { wait, ticket }
        }))
    }

    async fn observe(
        &self,
        budget: Budget,
        _ticket: Ticket,
        report: ServerReport,
    ) -> Result<(), StoreError> {
        self.with_bucket(budget, |bucket| {
            if let Some(limit) = report.limit.filter(|l| *l > 0)
                && limit != bucket.params.capacity
            {
                bucket.params = bucket.params.with_capacity(limit);
                bucket.tokens = bucket.tokens.min(f64::from(bucket.params.ceiling()));
            }
            if let Some(remaining) = report.remaining {
                // Reservations still waiting for their token cannot be in the server's figure;
                // those already sent may or may not be, so they are given the benefit of the
                // doubt (the next response catches up).
                #[allow(clippy::cast_precision_loss)]
                let estimate = remaining as f64 - queued(bucket.tokens);
                if estimate >= 1.0 && bucket.share < 1.0 {
                    // The server holds budget beyond what we have queued: take more of the refill.
                    bucket.share = (bucket.share + SHARE_STEP).min(1.0);
                }
                // The server reports whole tokens: a gap under one is the fraction it rounded
                // away (or refilled while the answer travelled), not budget spent elsewhere.
                if bucket.tokens - estimate >= 1.0 {
                    bucket.tokens = estimate;
                }
            }
        });
        Ok(())
    }

    async fn exhausted(
        &self,
        budget: Budget,
        _retry_after: Option<Duration>,
    ) -> Result<(), StoreError> {
        self.with_bucket(budget, |bucket| {
            bucket.tokens = bucket.tokens.min(0.0);
            bucket.share = (bucket.share * 0.5).max(MIN_SHARE);
        });
        Ok(())
    }
}

/// How many reservations are waiting for a token when the bucket holds `tokens`.
fn queued(tokens: f64) -> f64 {
    (-tokens).ceil().max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GENERAL: Budget = Budget::DEFAULT;
    const ACTIONS: Budget = Budget::named("actions");

    async fn reserve(bucket: &LocalTokenBucket, max_wait: Option<Duration>) -> Reservation {
        bucket.reserve(GENERAL, max_wait).await.unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn bucket_paces_after_the_burst() {
        let bucket = LocalTokenBucket::new(TokenBucket::per_hour(3600));
        for _ in 0..3600 {
            assert!(matches!(
                reserve(&bucket, None).await,
                Reservation::Granted { wait, .. } if wait.is_zero()
            ));
        }
        match reserve(&bucket, None).await {
            Reservation::Granted { wait, .. } => assert_eq!(wait, Duration::from_secs(1)),
            other => panic!("expected a wait, got {other:?}"),
        }
        match reserve(&bucket, Some(Duration::ZERO)).await {
            Reservation::Refused { retry_after } => assert_eq!(retry_after, Duration::from_secs(2)),
            other => panic!("expected a refusal, got {other:?}"),
        }
        // A refusal reserved nothing: the next waiting reservation is still 2 s away.
        match reserve(&bucket, Some(Duration::from_secs(2))).await {
            Reservation::Granted { wait, .. } => assert_eq!(wait, Duration::from_secs(2)),
            other => panic!("expected a wait, got {other:?}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn headroom_holds_back_part_of_the_burst() {
        let params = TokenBucket::new(10, Duration::from_secs(10)).with_headroom(2);
        assert_eq!(params.ceiling(), 8);
        let bucket = LocalTokenBucket::new(params);
        let mut granted = 0;
        while let Reservation::Granted { .. } = reserve(&bucket, Some(Duration::ZERO)).await {
            granted += 1;
        }
        assert_eq!(granted, 8);
        // Idle for long, it still fills to the ceiling only.
        tokio::time::advance(Duration::from_secs(60)).await;
        assert!((bucket.tokens(GENERAL) - 8.0).abs() < 1e-9);
    }

    #[tokio::test(start_paused = true)]
    async fn headers_lower_the_estimate_but_never_raise_it() {
        let bucket = LocalTokenBucket::new(TokenBucket::per_hour(3600));
        let Reservation::Granted { ticket, .. } = reserve(&bucket, None).await else {
            panic!("full bucket must grant");
        };
        let report = ServerReport {
            limit: Some(3600),
            remaining: Some(10),
            reset: None,
        };
        bucket.observe(GENERAL, ticket, report).await.unwrap();
        assert!((bucket.tokens(GENERAL) - 10.0).abs() < 1e-9);
        let higher = ServerReport {
            remaining: Some(3000),
            ..ServerReport::default()
        };
        bucket.observe(GENERAL, ticket, higher).await.unwrap();
        assert!((bucket.tokens(GENERAL) - 10.0).abs() < 1e-9);
        bucket.exhausted(GENERAL, None).await.unwrap();
        assert!(bucket.tokens(GENERAL) <= 0.0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_new_limit_changes_capacity_and_rate_of_that_budget_only() {
        let bucket = LocalTokenBucket::new(TokenBucket::per_hour(3600));
        let report = ServerReport {
            limit: Some(7200),
            remaining: Some(0),
            reset: None,
        };
        bucket.observe(ACTIONS, 0, report).await.unwrap();
        tokio::time::advance(Duration::from_secs(1)).await;
        assert!((bucket.tokens(ACTIONS) - 2.0).abs() < 1e-6);
        assert!((bucket.tokens(GENERAL) - 3600.0).abs() < 1e-6);
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_halves_the_share_and_spare_budget_regrows_it() {
        let bucket = LocalTokenBucket::new(TokenBucket::per_hour(3600));
        bucket.exhausted(GENERAL, None).await.unwrap();
        // Half the refill: the first token takes 2 s.
        match reserve(&bucket, None).await {
            Reservation::Granted { wait, .. } => assert_eq!(wait, Duration::from_secs(2)),
            other => panic!("expected a wait, got {other:?}"),
        }
        let spare = ServerReport {
            remaining: Some(100),
            ..ServerReport::default()
        };
        bucket.observe(GENERAL, 0, spare).await.unwrap();
        tokio::time::advance(Duration::from_secs(10)).await;
        // -1 + 10 s at 0.55 per second.
        assert!((bucket.tokens(GENERAL) - 4.5).abs() < 1e-6);
    }
}
