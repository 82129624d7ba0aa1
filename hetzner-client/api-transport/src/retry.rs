//! The retry policy: its numbers and a pure decision function.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use http::Method;

use crate::request::retry_safe;

/// What went wrong with one attempt, as the API's reader classified it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The same request may succeed later: a 5xx or 408, an API code saying so, a timeout or
    /// a lost connection.
    Transient {
        /// A wait the server asked for (`Retry-After`), if any.
        retry_after: Option<Duration>,
        /// False only when the server certainly did not act on the request (a connect error,
        /// or an API code that says nothing was applied, like Hetzner's `conflict`).
        may_have_been_applied: bool,
    },
    /// The API's rate limit refused the request; nothing was processed, so it is safe to
    /// send again for every method once the budget allows.
    RateLimited {
        /// How long the server asked to wait, if it said (or the API's documented block).
        retry_after: Option<Duration>,
    },
    /// The request will fail the same way again (4xx other than the above).
    Permanent,
}

impl Failure {
    /// A transport failure: transient, possibly applied unless the request never left.
    pub fn transport(reached_server: bool) -> Self {
        Self::Transient {
            retry_after: None,
            may_have_been_applied: reached_server,
        }
    }
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Send the same request again after this delay.
    Retry(Duration),
    /// The budget is spent: wait for the rate gate (and at least this long), then send again.
    /// Counted against `max_rate_limit_waits`, not `max_attempts`, since the request was not
    /// processed.
    WaitForBudget(Duration),
    /// Give up and return the error.
    Stop,
}

/// Retry numbers. Defaults follow Hetzner's own SDKs (hcloud-go): 5 attempts, 1 s base, x2,
/// 60 s cap, full jitter; up to 100 rate-limit waits of at most 310 s each (Cloudflare's
/// documented block is 300 s), reporting progress every 10 s while waiting.
///
/// ```
/// use std::time::Duration;
/// use api_transport::RetryPolicy;
/// let policy = RetryPolicy::default().max_attempts(3).max_backoff(Duration::from_secs(10));
/// assert_eq!(policy.attempts(), 3);
/// assert_eq!(policy.backoff(10, 1.0), Duration::from_secs(10));
/// assert_eq!(RetryPolicy::none().attempts(), 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_rate_limit_waits: u32,
    max_rate_limit_wait: Duration,
    progress_interval: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            max_rate_limit_waits: 100,
            max_rate_limit_wait: Duration::from_secs(310),
            progress_interval: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// Never retry anything, and never wait out a rate limit.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            max_rate_limit_waits: 0,
            ..Self::default()
        }
    }

    /// Attempts per request in total, including the first (at least 1).
    #[must_use]
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The configured attempt count.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// Base of the exponential backoff.
    #[must_use]
    pub fn initial_backoff(mut self, delay: Duration) -> Self {
        self.initial_backoff = delay;
        self
    }

    /// Cap of the backoff and of a `Retry-After` on a transient failure.
    #[must_use]
    pub fn max_backoff(mut self, delay: Duration) -> Self {
        self.max_backoff = delay;
        self
    }

    /// The configured backoff cap.
    pub fn backoff_cap(&self) -> Duration {
        self.max_backoff
    }

    /// How many rate-limit refusals one request may wait out.
    #[must_use]
    pub fn max_rate_limit_waits(mut self, waits: u32) -> Self {
        self.max_rate_limit_waits = waits;
        self
    }

    /// The configured number of rate-limit waits.
    pub fn rate_limit_waits(&self) -> u32 {
        self.max_rate_limit_waits
    }

    /// The longest rate-limit wait the request may sit out; a refusal asking for longer ends
    /// the call with the refusal.
    #[must_use]
    pub fn max_rate_limit_wait(mut self, wait: Duration) -> Self {
        self.max_rate_limit_wait = wait;
        self
    }

    /// The configured longest rate-limit wait.
    pub fn rate_limit_wait(&self) -> Duration {
        self.max_rate_limit_wait
    }

    /// How often a long wait (a rate-limit refusal, a backoff) reports its progress as a
    /// tracing `info` event naming how long remains (default 10 s; at least 1 ms).
    #[must_use]
    pub fn progress_interval(mut self, every: Duration) -> Self {
        self.progress_interval = every.max(Duration::from_millis(1));
        self
    }

    /// The configured progress interval.
    pub fn progress_every(&self) -> Duration {
        self.progress_interval
    }

    /// Full-jitter backoff before attempt `attempt + 1`: `jitter x min(cap, base x
    /// 2^(attempt-1))`, with `jitter` in `[0, 1]`.
    pub fn backoff(&self, attempt: u32, jitter: f64) -> Duration {
        let factor = 2u32
            .checked_pow(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX);
        let ceiling = self
            .initial_backoff
            .checked_mul(factor)
            .unwrap_or(self.max_backoff)
            .min(self.max_backoff);
        ceiling.mul_f64(jitter.clamp(0.0, 1.0))
    }

    /// Decides what to do after attempt number `attempt` (1-based) of a `method` request
    /// failed with `failure`. Pure: `jitter` in `[0, 1]` is supplied by the caller.
    ///
    /// A transient failure of a request that may have been applied is retried only when its
    /// method is safe to replay ([`crate::retry_safe`]); a create reconciles instead. A
    /// `Retry-After` is honoured, capped at the backoff cap.
    pub fn decide(
        &self,
        method: &Method,
        attempt: u32,
        failure: &Failure,
        jitter: f64,
    ) -> Decision {
        match *failure {
            Failure::RateLimited { retry_after } => match retry_after {
                Some(wait) if wait > self.max_rate_limit_wait => Decision::Stop,
                _ => Decision::WaitForBudget(retry_after.unwrap_or_default()),
            },
            Failure::Permanent => Decision::Stop,
            Failure::Transient {
                retry_after,
                may_have_been_applied,
            } => {
                if attempt >= self.max_attempts || (may_have_been_applied && !retry_safe(method)) {
                    return Decision::Stop;
                }
                Decision::Retry(
                    retry_after
                        .map(|d| d.min(self.max_backoff))
                        .unwrap_or_else(|| self.backoff(attempt, jitter)),
                )
            }
        }
    }
}

/// A uniform number in `[0, 1)` for jitter, from a small lock-free generator (SplitMix64 on
/// one atomic counter); not for cryptography.
pub fn jitter_unit() -> f64 {
    static STATE: AtomicU64 = AtomicU64::new(0x9E37_79B9_7F4A_7C15);
    let mut z = STATE
        .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
        .wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transient(applied: bool) -> Failure {
        Failure::Transient {
            retry_after: None,
            may_have_been_applied: applied,
        }
    }

    #[test]
    fn transient_failures_retry_only_when_a_replay_is_safe() {
        let p = RetryPolicy::default();
        for m in [Method::GET, Method::PUT, Method::DELETE, Method::PATCH] {
            assert!(matches!(
                p.decide(&m, 1, &transient(true), 1.0),
                Decision::Retry(_)
            ));
        }
        assert_eq!(
            p.decide(&Method::POST, 1, &transient(true), 1.0),
            Decision::Stop
        );
        assert!(matches!(
            p.decide(&Method::POST, 1, &transient(false), 1.0),
            Decision::Retry(_)
        ));
        assert_eq!(
            p.decide(&Method::GET, 1, &Failure::Permanent, 1.0),
            Decision::Stop
        );
    }

    #[test]
    fn attempts_are_bounded_and_backoff_is_capped() {
        let p = RetryPolicy::default().max_attempts(3);
        assert!(matches!(
            p.decide(&Method::GET, 2, &transient(true), 1.0),
            Decision::Retry(_)
        ));
        assert_eq!(
            p.decide(&Method::GET, 3, &transient(true), 1.0),
            Decision::Stop
        );
        assert_eq!(p.backoff(1, 1.0), Duration::from_secs(1));
        assert_eq!(p.backoff(3, 1.0), Duration::from_secs(4));
        assert_eq!(p.backoff(40, 1.0), Duration::from_secs(60));
        assert_eq!(p.backoff(3, 0.0), Duration::ZERO);
    }

    #[test]
    fn retry_after_is_honoured_but_capped_and_rate_limits_wait_up_to_their_cap() {
        let p = RetryPolicy::default().max_backoff(Duration::from_secs(30));
        let long = Failure::Transient {
            retry_after: Some(Duration::from_secs(3600)),
            may_have_been_applied: true,
        };
        assert_eq!(
            p.decide(&Method::GET, 1, &long, 0.1),
            Decision::Retry(Duration::from_secs(30))
        );
        let limited = |s| Failure::RateLimited {
            retry_after: Some(Duration::from_secs(s)),
        };
        assert_eq!(
            p.decide(&Method::POST, 9, &limited(300), 0.1),
            Decision::WaitForBudget(Duration::from_secs(300))
        );
        assert_eq!(
            p.decide(&Method::GET, 1, &limited(3600), 0.1),
            Decision::Stop
        );
        assert_eq!(
            p.decide(
                &Method::GET,
                1,
                &Failure::RateLimited { retry_after: None },
                0.1
            ),
            Decision::WaitForBudget(Duration::ZERO)
        );
    }

    #[test]
    fn jitter_stays_in_the_unit_interval() {
        for _ in 0..1000 {
            assert!((0.0..1.0).contains(&jitter_unit()));
        }
    }
}
