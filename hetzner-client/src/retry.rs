//! Retry policy: the shared numbers and pure decision (`api-transport`'s [`RetryPolicy`]),
//! and how Hetzner's answers are classified for it.

use std::time::Duration;

pub use api_transport::{Decision, Failure, RetryPolicy};
use http::StatusCode;

/// How a Hetzner error answer is seen by the retry decision. Pure.
///
/// - `rate_limit_exceeded`, or a 429 without an error code: rate limited (nothing was
///   processed, safe to send again for every method once the budget allows).
/// - `conflict`: the resource changed during the request and nothing was applied: transient,
///   safe to replay for every method.
/// - 408, 5xx, `bad_gateway`, `timeout`: transient, and may have been applied (a POST is
///   then not replayed; creates reconcile by name).
/// - anything else: permanent.
///
/// ```
/// use http::{Method, StatusCode};
/// use hetzner_client::retry::{classify, Decision, RetryPolicy};
/// let p = RetryPolicy::default();
/// let busy = classify(StatusCode::SERVICE_UNAVAILABLE, None, None);
/// assert!(matches!(p.decide(&Method::GET, 1, &busy, 0.5), Decision::Retry(_)));
/// assert_eq!(p.decide(&Method::POST, 1, &busy, 0.5), Decision::Stop);
/// ```
pub fn classify(status: StatusCode, code: Option<&str>, retry_after: Option<Duration>) -> Failure {
    if code == Some("rate_limit_exceeded")
        || (status == StatusCode::TOO_MANY_REQUESTS && code.is_none())
    {
        return Failure::RateLimited { retry_after };
    }
    if code == Some("conflict") {
        return Failure::Transient {
            retry_after,
            may_have_been_applied: false,
        };
    }
    if status == StatusCode::REQUEST_TIMEOUT
        || status.is_server_error()
        || matches!(code, Some("bad_gateway" | "timeout"))
    {
        return Failure::Transient {
            retry_after,
            may_have_been_applied: true,
        };
    }
    Failure::Permanent
}

/// How long to wait after a rate-limit refusal without `Retry-After`, by Hetzner's documented
/// rule: the project's bucket regains one request every `3600 / RateLimit-Limit` seconds (one
/// per second at the default 3600 per hour), and `RateLimit-Reset` is the UNIX time at which it
/// is full again. The next request may go when one request is back:
/// `(RateLimit-Reset - now) / (RateLimit-Limit - RateLimit-Remaining)`, never less than one
/// refill step and never more than an hour. Without the headers: one refill step. Pure: `now`
/// is the time since the UNIX epoch.
///
/// ```
/// use std::time::Duration;
/// use hetzner_client::retry::rate_limit_wait;
/// let now = Duration::from_secs(1_700_000_000);
/// // An empty bucket of 3600 that is full again in an hour: one second per request.
/// assert_eq!(rate_limit_wait(Some(3600), Some(0), Some(1_700_003_600), now), Duration::from_secs(1));
/// // A project limited to 720 per hour refills one request every 5 s.
/// assert_eq!(rate_limit_wait(Some(720), None, None, now), Duration::from_secs(5));
/// assert_eq!(rate_limit_wait(None, None, None, now), Duration::from_secs(1));
/// ```
pub fn rate_limit_wait(
    limit: Option<u64>,
    remaining: Option<u64>,
    reset: Option<u64>,
    now: Duration,
) -> Duration {
    const HOUR: Duration = Duration::from_secs(3600);
    let limit = limit.filter(|l| *l > 0).unwrap_or(3600);
    let step = HOUR.div_f64(limit as f64);
    let until_full = reset.map_or(Duration::ZERO, |reset| {
        Duration::from_secs(reset).saturating_sub(now)
    });
    if until_full.is_zero() {
        return step;
    }
    let missing = limit.saturating_sub(remaining.unwrap_or(0)).max(1);
    until_full.div_f64(missing as f64).min(HOUR)
}

#[cfg(test)]
mod tests {
    use http::Method;

    use super::*;

    fn status(status: u16, code: Option<&str>) -> Failure {
        classify(StatusCode::from_u16(status).unwrap(), code, None)
    }

    #[test]
    fn idempotent_requests_retry_transient_failures() {
        let p = RetryPolicy::default();
        for f in [
            status(500, Some("server_error")),
            status(502, None),
            status(504, Some("timeout")),
            status(408, None),
            Failure::transport(true),
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
            p.decide(&Method::POST, 1, &Failure::transport(true), 1.0),
            Decision::Stop
        );
        // never reached the server, or explicitly not applied: safe
        assert!(matches!(
            p.decide(&Method::POST, 1, &Failure::transport(false), 1.0),
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
    fn the_documented_wait_follows_the_bucket_headers() {
        let now = Duration::from_secs(1_000_000);
        // Another process left 10 requests to refill over 40 s: 4 s per request.
        assert_eq!(
            rate_limit_wait(Some(3600), Some(3590), Some(1_000_040), now),
            Duration::from_secs(4)
        );
        // A reset in the past (clocks that disagree): one refill step.
        assert_eq!(
            rate_limit_wait(Some(3600), Some(0), Some(999_000), now),
            Duration::from_secs(1)
        );
        // A small bucket that is full again within a second: a tenth of it per request.
        assert_eq!(
            rate_limit_wait(Some(10), Some(0), Some(1_000_001), now),
            Duration::from_millis(100)
        );
        // Never more than an hour, whatever the headers say.
        assert_eq!(
            rate_limit_wait(Some(3600), Some(3599), Some(9_000_000), now),
            Duration::from_secs(3600)
        );
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
    fn retry_after_is_honoured_but_capped() {
        let p = RetryPolicy::default().max_backoff(Duration::from_secs(30));
        let f = classify(
            StatusCode::SERVICE_UNAVAILABLE,
            None,
            Some(Duration::from_secs(3600)),
        );
        assert_eq!(
            p.decide(&Method::GET, 1, &f, 0.1),
            Decision::Retry(Duration::from_secs(30))
        );
        let short = classify(
            StatusCode::SERVICE_UNAVAILABLE,
            None,
            Some(Duration::from_secs(2)),
        );
        assert_eq!(
            p.decide(&Method::GET, 1, &short, 0.0),
            Decision::Retry(Duration::from_secs(2))
        );
    }
}
