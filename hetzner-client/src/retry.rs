//! Retry policy: a pure decision function plus its numbers.

use std::time::Duration;

use http::Method;

/// What went wrong with one attempt, as the retry decision sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure<'a> {
    /// The server answered with an error status.
    Status {
        /// HTTP status.
        status: u16,
        /// The API's `error.code`, when the body had one.
        code: Option<&'a str>,
        /// The `Retry-After` header in seconds, when present.
        retry_after: Option<Duration>,
    },
    /// The request failed in transport.
    Transport {
        /// False only when the request certainly never reached the server.
        reached_server: bool,
    },
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Send the same request again after this delay.
    Retry(Duration),
    /// The project's budget is spent: wait for the rate gate (and at least this long), then
    /// send again. Not counted against `max_attempts`, since the request was not processed.
    WaitForBudget(Duration),
    /// Give up and return the error.
    Stop,
}

/// Retry numbers. Defaults follow Hetzner's own SDKs: 5 attempts, 1 s base, x2, 60 s cap,
/// full jitter.
///
/// ```
/// use std::time::Duration;
/// use hetzner_client::RetryPolicy;
/// let policy = RetryPolicy::default().max_attempts(3).max_backoff(Duration::from_secs(10));
/// assert_eq!(policy.backoff(10, 1.0), Duration::from_secs(10));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_rate_limit_waits: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            max_rate_limit_waits: 100,
        }
    }
}

impl RetryPolicy {
    /// Never retry anything.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            max_rate_limit_waits: 0,
            ..Self::default()
        }
    }

    /// Attempts per request in total (at least 1).
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

    /// Cap of the backoff and of any `Retry-After`.
    #[must_use]
    pub fn max_backoff(mut self, delay: Duration) -> Self {
        self.max_backoff = delay;
        self
    }

    /// How many 429 `rate_limit_exceeded` answers one request may wait out.
    #[must_use]
    pub fn max_rate_limit_waits(mut self, waits: u32) -> Self {
        self.max_rate_limit_waits = waits;
        self
    }

    /// The configured number of rate-limit waits.
    pub fn rate_limit_waits(&self) -> u32 {
        self.max_rate_limit_waits
    }

    /// Full-jitter backoff before attempt `attempt + 1`: `jitter x min(cap, base x 2^(attempt-1))`,
    /// with `jitter` in `[0, 1]`.
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
    /// A request that may have been applied (POST after a timeout, lost connection or 5xx) is
    /// never replayed here; creates reconcile by name instead.
    ///
    /// ```
    /// use http::Method;
    /// use hetzner_client::retry::{Decision, Failure, RetryPolicy};
    /// let p = RetryPolicy::default();
    /// let lost = Failure::Transport { reached_server: true };
    /// assert!(matches!(p.decide(&Method::GET, 1, &lost, 0.5), Decision::Retry(_)));
    /// assert_eq!(p.decide(&Method::POST, 1, &lost, 0.5), Decision::Stop);
    /// ```
    pub fn decide(
        &self,
        method: &Method,
        attempt: u32,
        failure: &Failure<'_>,
        jitter: f64,
    ) -> Decision {
        let idempotent = matches!(
            *method,
            Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
        );
        let backoff = self.backoff(attempt, jitter);
        let out_of_attempts = attempt >= self.max_attempts;
        match *failure {
            Failure::Status {
                status,
                code,
                retry_after,
            } => {
                let honoured = retry_after.map(|d| d.min(self.max_backoff));
                if code == Some("rate_limit_exceeded") || (status == 429 && code.is_none()) {
                    // Not processed: safe to send again for every method.
                    return Decision::WaitForBudget(honoured.unwrap_or_default());
                }
                if out_of_attempts {
                    return Decision::Stop;
                }
                // `conflict`: the resource changed during the request and nothing was applied.
                if code == Some("conflict") {
                    return Decision::Retry(honoured.unwrap_or(backoff));
                }
                let transient = status == 408
                    || status >= 500
                    || matches!(code, Some("bad_gateway" | "timeout"));
                if transient && idempotent {
                    Decision::Retry(honoured.unwrap_or(backoff))
                } else {
                    Decision::Stop
                }
            }
            Failure::Transport { reached_server } => {
                if out_of_attempts || (reached_server && !idempotent) {
                    Decision::Stop
                } else {
                    Decision::Retry(backoff)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(status: u16, code: Option<&str>) -> Failure<'_> {
        Failure::Status {
            status,
            code,
            retry_after: None,
        }
    }

    #[test]
    fn idempotent_requests_retry_transient_failures() {
        let p = RetryPolicy::default();
        for f in [
            status(500, Some("server_error")),
            status(502, None),
            status(504, Some("timeout")),
            status(408, None),
            Failure::Transport {
                reached_server: true,
            },
        ] {
            assert!(
                matches!(p.decide(&Method::GET, 1, &f, 1.0), Decision::Retry(_)),
                "{f:?}"
            );
            assert!(matches!(
                p.decide(&Method::DELETE, 1, &f, 1.0),
                Decision::Retry(_)
            ));
        }
    }

    #[test]
    fn posts_are_not_replayed_when_they_may_have_landed() {
        let p = RetryPolicy::default();
        assert_eq!(
            p.decide(&Method::POST, 1, &status(503, None), 1.0),
            Decision::Stop
        );
        assert_eq!(
            p.decide(
                &Method::POST,
                1,
                &Failure::Transport {
                    reached_server: true
                },
                1.0
            ),
            Decision::Stop
        );
        // never reached the server, or explicitly not applied: safe
        assert!(matches!(
            p.decide(
                &Method::POST,
                1,
                &Failure::Transport {
                    reached_server: false
                },
                1.0
            ),
            Decision::Retry(_)
        ));
        assert!(matches!(
            p.decide(&Method::POST, 1, &status(409, Some("conflict")), 1.0),
            Decision::Retry(_)
        ));
        assert!(matches!(
            p.decide(
                &Method::POST,
                9,
                &status(429, Some("rate_limit_exceeded")),
                1.0
            ),
            Decision::WaitForBudget(_)
        ));
    }

    #[test]
    fn permanent_errors_stop() {
        let p = RetryPolicy::default();
        for f in [
            status(404, Some("not_found")),
            status(422, Some("invalid_input")),
            status(409, Some("uniqueness_error")),
            status(401, Some("unauthorized")),
        ] {
            assert_eq!(p.decide(&Method::GET, 1, &f, 1.0), Decision::Stop, "{f:?}");
        }
    }

    #[test]
    fn attempts_are_bounded_and_backoff_is_capped() {
        let p = RetryPolicy::default().max_attempts(3);
        let f = status(503, None);
        assert!(matches!(
            p.decide(&Method::GET, 2, &f, 1.0),
            Decision::Retry(_)
        ));
        assert_eq!(p.decide(&Method::GET, 3, &f, 1.0), Decision::Stop);
        assert_eq!(p.backoff(1, 1.0), Duration::from_secs(1));
        assert_eq!(p.backoff(3, 1.0), Duration::from_secs(4));
        assert_eq!(p.backoff(40, 1.0), Duration::from_secs(60));
        assert_eq!(p.backoff(3, 0.0), Duration::ZERO);
    }

    #[test]
    fn retry_after_is_honoured_but_capped() {
        let p = RetryPolicy::default().max_backoff(Duration::from_secs(30));
        let f = Failure::Status {
            status: 503,
            code: None,
            retry_after: Some(Duration::from_secs(3600)),
        };
        assert_eq!(
            p.decide(&Method::GET, 1, &f, 0.1),
            Decision::Retry(Duration::from_secs(30))
        );
        let short = Failure::Status {
            status: 503,
            code: None,
            retry_after: Some(Duration::from_secs(2)),
        };
        assert_eq!(
            p.decide(&Method::GET, 1, &short, 0.0),
            Decision::Retry(Duration::from_secs(2))
        );
    }
}
