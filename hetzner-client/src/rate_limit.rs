//! The rate gate: a client-side token bucket that paces requests before they are sent.
//!
//! Hetzner's limit is a token bucket per project: `RateLimit-Limit` requests per hour of
//! capacity, refilled at `Limit / 3600` per second, reported on every response with
//! `RateLimit-Remaining` (and `RateLimit-Reset`, when the bucket will be full again). The gate
//! keeps the same bucket, takes a token before each request (waiting when there is none), and
//! lowers its estimate from the headers whenever the server reports less than it expected, for
//! example because another process spends the same project's budget.
//!
//! The bucket lives behind [`RateLimitStore`] (from the `rate-budget` crate, shared with
//! cloudflare-client): in memory by default ([`LocalTokenBucket`], on tokio's clock), or, with
//! the feature `redis`, in Redis (`redis_store`), so every replica of a control plane spends
//! one project's budget:
//!
//! ```no_run
//! # #[cfg(feature = "redis")]
//! # async fn run() -> hetzner_client::Result<()> {
//! use std::sync::Arc;
//! use hetzner_client::rate_limit::redis_store::{RedisBudget, RedisConfig};
//! use hetzner_client::{Client, RateLimitPolicy};
//!
//! let policy = RateLimitPolicy::default();
//! let redis = RedisBudget::connect(RedisConfig::new("redis://127.0.0.1:6379/", "fleet:hetzner:project-42"))
//!     .map_err(hetzner_client::Error::RateBudget)?;
//! let client = Client::builder()
//!     .token(std::env::var("HCLOUD_TOKEN").unwrap_or_default())
//!     .rate_limit(policy.clone().shared_state(Arc::new(redis.token_bucket(policy.bucket()))))
//!     .build()?;
//! # let _ = client; Ok(()) }
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use rate_budget::Gate;
pub use rate_budget::{
    Budget, Clock, LocalTokenBucket, ManualClock, RateLimitStore, Reservation, ServerReport,
    StoreError, Ticket, TokenBucket, TokioClock, Unlimited,
};

/// The former name of [`RateLimitStore`], the trait the bucket lives behind.
pub use rate_budget::RateLimitStore as RateLimitState;

#[cfg(feature = "redis")]
pub use rate_budget::redis_store;

#[cfg(test)]
use crate::error::Error;

/// Hetzner's documented default: 3600 requests per hour and project.
pub const DEFAULT_LIMIT: u32 = 3600;

/// Hetzner's refill period: an empty bucket is full again after one hour.
pub const DEFAULT_REFILL_PERIOD: Duration = Duration::from_secs(3600);

/// The budget of everything except separately limited action polling.
pub const GENERAL: Budget = Budget::DEFAULT;

/// The budget of `GET /actions...` polling, when configured as separate
/// ([`RateLimitPolicy::separate_actions_budget`]).
pub const ACTIONS: Budget = Budget::named("actions");

/// How the client paces itself.
///
/// ```
/// use hetzner_client::RateLimitPolicy;
/// let policy = RateLimitPolicy::default().fail_fast(true).separate_actions_budget(true);
/// assert!(policy.is_fail_fast());
/// assert_eq!(policy.bucket().per_second(), 1.0);
/// ```
#[derive(Clone)]
pub struct RateLimitPolicy {
    enabled: bool,
    max_gate_wait: Option<Duration>,
    separate_actions: bool,
    limit: u32,
    refill_period: Duration,
    headroom: u32,
    state: Option<Arc<dyn RateLimitStore>>,
}

impl fmt::Debug for RateLimitPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimitPolicy")
            .field("enabled", &self.enabled)
            .field("max_gate_wait", &self.max_gate_wait)
            .field("separate_actions", &self.separate_actions)
            .field("limit", &self.limit)
            .field("refill_period", &self.refill_period)
            .field("headroom", &self.headroom)
            .field("shared_state", &self.state.is_some())
            .finish()
    }
}

impl Default for RateLimitPolicy {
    fn default() -> Self {
        Self {
            enabled: true,
            max_gate_wait: None,
            separate_actions: false,
            limit: DEFAULT_LIMIT,
            refill_period: DEFAULT_REFILL_PERIOD,
            headroom: 0,
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

    /// Return [`crate::Error::RateLimited`] instead of waiting longer than `max` for the
    /// gate (the same name and meaning as cloudflare-client's `ClientBuilder::max_gate_wait`).
    /// `Duration::ZERO` fails fast whenever the budget is spent. Default: wait.
    #[must_use]
    pub fn max_gate_wait(mut self, max: Duration) -> Self {
        self.max_gate_wait = Some(max);
        self
    }

    /// The longest the gate waits (`None`: as long as it takes).
    pub fn gate_wait(&self) -> Option<Duration> {
        self.max_gate_wait
    }

    /// Shorthand: `true` is `max_gate_wait(Duration::ZERO)`, `false` waits as long as it
    /// takes.
    #[must_use]
    pub fn fail_fast(mut self, yes: bool) -> Self {
        self.max_gate_wait = yes.then_some(Duration::ZERO);
        self
    }

    /// Whether the gate fails fast instead of waiting.
    pub fn is_fail_fast(&self) -> bool {
        self.max_gate_wait == Some(Duration::ZERO)
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

    /// How long an empty bucket takes to refill (default one hour, as Hetzner's does; a
    /// `RateLimit-Limit` header changes the capacity and keeps this period). Shorter periods
    /// serve scaled-down test servers such as the simulator's
    /// `Simulator::with_bucket`.
    #[must_use]
    pub fn refill_period(mut self, period: Duration) -> Self {
        self.refill_period = period.max(Duration::from_millis(1));
        self
    }

    /// Holds `tokens` of the burst back (default 0): a full server bucket wastes its refill,
    /// so a burst delayed on the way may find it short; see [`TokenBucket::with_headroom`].
    #[must_use]
    pub fn headroom(mut self, tokens: u32) -> Self {
        self.headroom = tokens;
        self
    }

    /// The bucket's numbers (limit, refill period, headroom), for building a shared store with
    /// the same numbers as the policy.
    pub fn bucket(&self) -> TokenBucket {
        TokenBucket::new(self.limit, self.refill_period).with_headroom(self.headroom)
    }

    /// Uses `state` for the bucket, so several clients or replicas share one budget (for
    /// example a `redis_store::RedisTokenBucket` with feature `redis`).
    #[must_use]
    pub fn shared_state(mut self, state: Arc<dyn RateLimitStore>) -> Self {
        self.state = Some(state);
        self
    }
}

/// The gate every request passes through before it is sent, and which budget a path
/// draws from.
#[derive(Debug, Clone)]
pub(crate) struct RateGate {
    gate: Option<Gate>,
    separate_actions: bool,
}

impl RateGate {
    pub(crate) fn new(policy: &RateLimitPolicy) -> Self {
        let gate = policy.enabled.then(|| {
            let store = policy
                .state
                .clone()
                .unwrap_or_else(|| Arc::new(LocalTokenBucket::new(policy.bucket())));
            Gate::new(store, policy.max_gate_wait)
        });
        Self {
            gate,
            separate_actions: policy.separate_actions,
        }
    }

    /// The gate the send loop paces with (`None` when pacing is disabled).
    pub(crate) fn gate(&self) -> Option<&Gate> {
        self.gate.as_ref()
    }

    pub(crate) fn budget_for(&self, path: &str) -> Budget {
        if self.separate_actions && path.starts_with("/actions") {
            ACTIONS
        } else {
            GENERAL
        }
    }

    /// Waits for a token.
    ///
    /// # Errors
    /// [`Error::RateLimited`] when failing fast, [`Error::RateBudget`] when a shared store
    /// could not be consulted (nothing may be sent then).
    #[cfg(test)]
    pub(crate) async fn acquire(&self, budget: Budget) -> Result<Ticket, Error> {
        let Some(gate) = &self.gate else {
            return Ok(0);
        };
        gate.acquire(budget).await.map_err(Error::from_gate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_names_the_bucket_it_builds() {
        let policy = RateLimitPolicy::default()
            .limit(50)
            .refill_period(Duration::from_millis(250));
        assert_eq!(policy.bucket().capacity(), 50);
        assert!((policy.bucket().per_second() - 200.0).abs() < 1e-9);
        let gate = RateGate::new(&policy.clone().separate_actions_budget(true));
        assert_eq!(gate.budget_for("/actions?id=1"), ACTIONS);
        assert_eq!(gate.budget_for("/servers"), GENERAL);
        assert!(RateGate::new(&RateLimitPolicy::disabled()).gate().is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn the_local_gate_waits_on_the_paused_clock() {
        let gate = RateGate::new(&RateLimitPolicy::default().limit(2));
        let start = tokio::time::Instant::now();
        for _ in 0..3 {
            gate.acquire(GENERAL).await.unwrap();
        }
        assert_eq!(start.elapsed(), Duration::from_secs(1800));
        let fast = RateGate::new(&RateLimitPolicy::default().limit(1).fail_fast(true));
        fast.acquire(GENERAL).await.unwrap();
        assert!(matches!(
            fast.acquire(GENERAL).await,
            Err(Error::RateLimited { retry_after }) if retry_after == Duration::from_secs(3600)
        ));
    }
}
