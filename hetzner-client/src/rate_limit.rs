//! The rate gate: a client-side token bucket that paces requests before they are sent.
//!
//! Hetzner's limit is a token bucket per project: `RateLimit-Limit` requests per hour of
//! capacity, refilled at `Limit / 3600` per second, reported on every response with
//! `RateLimit-Remaining` (and `RateLimit-Reset`, when the bucket will be full again). The gate
//! keeps the same bucket locally, takes a token before each request (waiting when there is
//! none), and lowers its estimate from the headers whenever the server reports less than it
//! expected, for example because another process spends the same project's budget.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// Hetzner's documented default: 3600 requests per hour and project.
pub const DEFAULT_LIMIT: u32 = 3600;

/// The smallest share of the refill a client backs off to after repeated 429s.
const MIN_SHARE: f64 = 1.0 / 32.0;

/// Which budget a request draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Budget {
    /// Everything except action polling (or everything, when action polling is not separate).
    General,
    /// `GET /actions...` polling, when configured as a separate budget.
    Actions,
}

/// The outcome of asking the state for one request's token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// A token was taken; send now.
    Now {
        /// Sequence number of the reservation, handed back with the response's headers.
        ticket: u64,
    },
    /// A token was reserved; send after waiting this long.
    After {
        /// How long to wait.
        wait: Duration,
        /// Sequence number of the reservation.
        ticket: u64,
    },
    /// No token was taken (the caller would not wait); one is available after this long.
    Refused {
        /// When a token will be available.
        retry_after: Duration,
    },
}

/// What a response's `RateLimit-*` headers said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observation {
    /// `RateLimit-Limit`: bucket capacity (requests per hour).
    pub limit: Option<u32>,
    /// `RateLimit-Remaining`: tokens left when the server handled the request.
    pub remaining: Option<u32>,
}

/// Where the bucket lives. The default [`LocalBucket`] keeps it in memory; an implementation
/// backed by a shared store lets several replicas spend one budget.
pub trait RateLimitState: Send + Sync + fmt::Debug {
    /// Takes (or, when `may_wait`, reserves) one token of `budget` at `now`.
    fn reserve(&self, budget: Budget, now: Instant, may_wait: bool) -> Reservation;
    /// Re-syncs from the headers of the response to reservation `ticket`.
    fn observe(&self, budget: Budget, now: Instant, ticket: u64, observation: Observation);
    /// The server answered 429: the bucket is empty now.
    fn exhausted(&self, budget: Budget, now: Instant);
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    capacity: f64,
    per_second: f64,
    tokens: f64,
    updated: Instant,
    next_ticket: u64,
    /// Share of the refill this client takes (1 alone; halved on every 429, so clients that
    /// unknowingly share a project settle on splitting it; regrown while the server reports
    /// spare budget).
    share: f64,
}

impl Bucket {
    fn new(limit: u32, now: Instant) -> Self {
        let capacity = f64::from(limit.max(1));
        Self {
            capacity,
            per_second: capacity / 3600.0,
            tokens: capacity,
            updated: now,
            next_ticket: 0,
            share: 1.0,
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.per_second * self.share).min(self.capacity);
        self.updated = now;
    }

    fn wait_for_one(&self) -> Duration {
        Duration::from_secs_f64(((1.0 - self.tokens) / (self.per_second * self.share)).max(0.0))
    }
}

/// The in-memory token bucket (one per budget), behind a mutex that is never held across an
/// await.
pub struct LocalBucket {
    buckets: Mutex<[Bucket; 2]>,
}

impl fmt::Debug for LocalBucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let buckets = *self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("LocalBucket")
            .field("general_tokens", &buckets[0].tokens)
            .field("actions_tokens", &buckets[1].tokens)
            .finish()
    }
}

impl LocalBucket {
    /// A full bucket of `limit` requests per hour for each budget.
    pub fn new(limit: u32) -> Self {
        let now = Instant::now();
        Self {
            buckets: Mutex::new([Bucket::new(limit, now), Bucket::new(limit, now)]),
        }
    }

    /// Tokens currently available in `budget` (negative while requests queue for tokens).
    pub fn tokens(&self, budget: Budget) -> f64 {
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let bucket = &mut buckets[index(budget)];
        bucket.refill(Instant::now());
        bucket.tokens
    }
}

fn index(budget: Budget) -> usize {
    match budget {
        Budget::General => 0,
        Budget::Actions => 1,
    }
}

impl RateLimitState for LocalBucket {
    fn reserve(&self, budget: Budget, now: Instant, may_wait: bool) -> Reservation {
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let bucket = &mut buckets[index(budget)];
        bucket.refill(now);
        let wait = bucket.wait_for_one();
        if !wait.is_zero() && !may_wait {
            return Reservation::Refused { retry_after: wait };
        }
        bucket.tokens -= 1.0;
        let ticket = bucket.next_ticket;
        bucket.next_ticket += 1;
        if wait.is_zero() {
            Reservation::Now { ticket }
        } else {
            Reservation::After { wait, ticket }
        }
    }

    fn observe(&self, budget: Budget, now: Instant, ticket: u64, observation: Observation) {
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let bucket = &mut buckets[index(budget)];
        bucket.refill(now);
        if let Some(limit) = observation.limit.filter(|l| *l > 0) {
            let capacity = f64::from(limit);
            if (capacity - bucket.capacity).abs() > f64::EPSILON {
                bucket.capacity = capacity;
                bucket.per_second = capacity / 3600.0;
                bucket.tokens = bucket.tokens.min(capacity);
            }
        }
        if let Some(remaining) = observation.remaining {
            // The server counted every request up to this one; ours reserved after it are
            // not in its figure yet.
            let reserved_after = bucket.next_ticket.saturating_sub(ticket + 1);
            #[allow(clippy::cast_precision_loss)]
            let estimate = f64::from(remaining) - reserved_after as f64;
            if estimate >= 1.0 && bucket.share < 1.0 {
                // The server holds budget beyond what we have queued: take more of the refill.
                bucket.share = (bucket.share + 0.05).min(1.0);
            }
            bucket.tokens = bucket.tokens.min(estimate);
        }
    }

    fn exhausted(&self, budget: Budget, now: Instant) {
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let bucket = &mut buckets[index(budget)];
        bucket.refill(now);
        bucket.tokens = bucket.tokens.min(0.0);
        bucket.share = (bucket.share * 0.5).max(MIN_SHARE);
    }
}

/// How the client paces itself.
///
/// ```
/// use hetzner_client::RateLimitPolicy;
/// let policy = RateLimitPolicy::default().fail_fast(true).separate_actions_budget(true);
/// assert!(policy.is_fail_fast());
/// ```
#[derive(Clone)]
pub struct RateLimitPolicy {
    enabled: bool,
    fail_fast: bool,
    separate_actions: bool,
    limit: u32,
    state: Option<Arc<dyn RateLimitState>>,
}

impl fmt::Debug for RateLimitPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimitPolicy")
            .field("enabled", &self.enabled)
            .field("fail_fast", &self.fail_fast)
            .field("separate_actions", &self.separate_actions)
            .field("limit", &self.limit)
            .field("shared_state", &self.state.is_some())
            .finish()
    }
}

impl Default for RateLimitPolicy {
    fn default() -> Self {
        Self {
            enabled: true,
            fail_fast: false,
            separate_actions: false,
            limit: DEFAULT_LIMIT,
            state: None,
        }
    }
}

impl RateLimitPolicy {
    /// No client-side pacing at all (the server's 429s are still retried).
    pub fn disabled() -> Self {
        Self {
            enabled: false,
            ..Self::default()
        }
    }

    /// Return [`crate::Error::RateLimited`] instead of waiting when the budget is empty.
    #[must_use]
    pub fn fail_fast(mut self, yes: bool) -> Self {
        self.fail_fast = yes;
        self
    }

    /// Whether the gate fails fast instead of waiting.
    pub fn is_fail_fast(&self) -> bool {
        self.fail_fast
    }

    /// Keep a separate bucket for `GET /actions` polling (Hetzner limits action polling
    /// separately on some projects); off by default, so polling spends the general budget.
    #[must_use]
    pub fn separate_actions_budget(mut self, yes: bool) -> Self {
        self.separate_actions = yes;
        self
    }

    /// The assumed limit (requests per hour) until the first response says otherwise.
    #[must_use]
    pub fn limit(mut self, per_hour: u32) -> Self {
        self.limit = per_hour.max(1);
        self
    }

    /// Uses `state` for the bucket, so several clients or replicas share one budget.
    #[must_use]
    pub fn shared_state(mut self, state: Arc<dyn RateLimitState>) -> Self {
        self.state = Some(state);
        self
    }
}

/// The gate every request passes through before it is sent.
#[derive(Debug, Clone)]
pub(crate) struct RateGate {
    state: Option<Arc<dyn RateLimitState>>,
    fail_fast: bool,
    separate_actions: bool,
}

impl RateGate {
    pub(crate) fn new(policy: &RateLimitPolicy) -> Self {
        let state = policy.enabled.then(|| {
            policy
                .state
                .clone()
                .unwrap_or_else(|| Arc::new(LocalBucket::new(policy.limit)))
        });
        Self {
            state,
            fail_fast: policy.fail_fast,
            separate_actions: policy.separate_actions,
        }
    }

    pub(crate) fn is_enabled(&self) -> bool {
        self.state.is_some()
    }

    pub(crate) fn fails_fast(&self) -> bool {
        self.fail_fast
    }

    pub(crate) fn budget_for(&self, path: &str) -> Budget {
        if self.separate_actions && path.starts_with("/actions") {
            Budget::Actions
        } else {
            Budget::General
        }
    }

    /// Waits for a token; `Err(retry_after)` when failing fast.
    pub(crate) async fn acquire(&self, budget: Budget) -> Result<u64, Duration> {
        let Some(state) = &self.state else {
            return Ok(0);
        };
        match state.reserve(budget, Instant::now(), !self.fail_fast) {
            Reservation::Now { ticket } => Ok(ticket),
            Reservation::After { wait, ticket } => {
                tracing::debug!(?wait, "rate gate: waiting for budget");
                tokio::time::sleep(wait).await;
                Ok(ticket)
            }
            Reservation::Refused { retry_after } => Err(retry_after),
        }
    }

    pub(crate) fn observe(&self, budget: Budget, ticket: u64, observation: Observation) {
        if let Some(state) = &self.state {
            state.observe(budget, Instant::now(), ticket, observation);
        }
    }

    pub(crate) fn exhausted(&self, budget: Budget) {
        if let Some(state) = &self.state {
            state.exhausted(budget, Instant::now());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn bucket_paces_after_the_burst() {
        let bucket = LocalBucket::new(3600);
        let now = Instant::now();
        for _ in 0..3600 {
            assert!(matches!(
                bucket.reserve(Budget::General, now, true),
                Reservation::Now { .. }
            ));
        }
        match bucket.reserve(Budget::General, now, true) {
            Reservation::After { wait, .. } => assert_eq!(wait, Duration::from_secs(1)),
            other => panic!("expected a wait, got {other:?}"),
        }
        match bucket.reserve(Budget::General, now, false) {
            Reservation::Refused { retry_after } => assert_eq!(retry_after, Duration::from_secs(2)),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn headers_lower_the_estimate_but_never_raise_it() {
        let bucket = LocalBucket::new(3600);
        let now = Instant::now();
        let Reservation::Now { ticket } = bucket.reserve(Budget::General, now, true) else {
            panic!("full bucket must grant");
        };
        let observation = Observation {
            limit: Some(3600),
            remaining: Some(10),
        };
        bucket.observe(Budget::General, now, ticket, observation);
        assert!((bucket.tokens(Budget::General) - 10.0).abs() < 1e-9);
        let higher = Observation {
            limit: None,
            remaining: Some(3000),
        };
        bucket.observe(Budget::General, now, ticket, higher);
        assert!((bucket.tokens(Budget::General) - 10.0).abs() < 1e-9);
        bucket.exhausted(Budget::General, now);
        assert!(bucket.tokens(Budget::General) <= 0.0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_new_limit_changes_capacity_and_rate() {
        let bucket = LocalBucket::new(3600);
        let now = Instant::now();
        bucket.observe(
            Budget::Actions,
            now,
            0,
            Observation {
                limit: Some(7200),
                remaining: Some(0),
            },
        );
        tokio::time::advance(Duration::from_secs(1)).await;
        assert!((bucket.tokens(Budget::Actions) - 2.0).abs() < 1e-6);
    }
}
