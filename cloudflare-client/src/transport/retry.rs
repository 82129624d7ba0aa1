//! Retry policy: the shared numbers and pure decision (`api-transport`'s [`RetryPolicy`]),
//! and how Cloudflare's answers are classified for it.

use std::time::Duration;

pub use api_transport::{Decision, Failure, RetryPolicy};
use http::StatusCode;

use crate::error::codes;

/// The Cloudflare block after an overflow: five minutes.
pub const RATE_LIMIT_BLOCK: Duration = Duration::from_secs(300);

/// The client's default retry numbers: 4 attempts, 1 s base, 30 s cap, and up to 4 waits of at
/// most 310 s for a rate-limit block (the documented block is 300 s).
///
/// ```
/// use std::time::Duration;
/// let p = cloudflare_client::transport::retry::default_policy();
/// assert_eq!(p.attempts(), 4);
/// assert_eq!(p.backoff_cap(), Duration::from_secs(30));
/// ```
pub fn default_policy() -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(4)
        .max_backoff(Duration::from_secs(30))
        .max_rate_limit_waits(4)
        .max_rate_limit_wait(Duration::from_secs(310))
}

/// How a Cloudflare error answer is seen by the retry decision. Pure.
///
/// * 429, or code 971/10100/10429 on any status: rate limited (the request was refused, safe
///   to send again), for `Retry-After`; without one the send loop waits the documented
///   5-minute block ([`RATE_LIMIT_BLOCK`]), reporting progress while it waits.
/// * 408 and 5xx: transient, and may have been applied (a `POST` is not replayed).
/// * other 4xx: permanent.
///
/// ```
/// use http::{Method, StatusCode};
/// use cloudflare_client::transport::retry::{classify, default_policy, Decision, RATE_LIMIT_BLOCK};
/// let p = default_policy();
/// let blocked = classify(StatusCode::BAD_REQUEST, &[971], Some(RATE_LIMIT_BLOCK));
/// assert_eq!(p.decide(&Method::POST, 1, &blocked, 0.5), Decision::WaitForBudget(RATE_LIMIT_BLOCK));
/// let busy = classify(StatusCode::SERVICE_UNAVAILABLE, &[], None);
/// assert_eq!(p.decide(&Method::POST, 1, &busy, 0.5), Decision::Stop);
/// ```
pub fn classify(status: StatusCode, error_codes: &[u32], retry_after: Option<Duration>) -> Failure {
    let rate_limited = status == StatusCode::TOO_MANY_REQUESTS
        || error_codes.iter().any(|x| {
            matches!(
                *x,
                codes::RATE_LIMITED | codes::RATE_LIMITED_LEGACY | codes::RATE_LIMITED_ALT
            )
        });
    if rate_limited {
        return Failure::RateLimited { retry_after };
    }
    if status.is_server_error() || status == StatusCode::REQUEST_TIMEOUT {
        return Failure::Transient {
            retry_after,
            may_have_been_applied: true,
        };
    }
    Failure::Permanent
}

#[cfg(test)]
mod tests {
    use http::Method;

    use super::*;

    fn answer(status: u16, codes: &[u32]) -> Failure {
        classify(StatusCode::from_u16(status).unwrap(), codes, None)
    }

    /// A refusal as the send loop sees it: without `Retry-After`, the documented block.
    fn refused(status: u16, codes: &[u32]) -> Failure {
        classify(
            StatusCode::from_u16(status).unwrap(),
            codes,
            Some(RATE_LIMIT_BLOCK),
        )
    }

    #[test]
    fn decisions() {
        let c = default_policy();
        let block = Decision::WaitForBudget(RATE_LIMIT_BLOCK);
        assert_eq!(
            answer(400, &[971]),
            Failure::RateLimited { retry_after: None }
        );
        assert_eq!(
            c.decide(&Method::POST, 1, &refused(429, &[971]), 0.5),
            block
        );
        assert_eq!(c.decide(&Method::GET, 1, &refused(400, &[971]), 0.5), block);
        assert!(matches!(
            c.decide(&Method::GET, 1, &answer(503, &[]), 0.5),
            Decision::Retry(_)
        ));
        assert_eq!(
            c.decide(&Method::POST, 1, &answer(503, &[]), 0.5),
            Decision::Stop
        );
        assert!(matches!(
            c.decide(&Method::PUT, 1, &answer(500, &[]), 0.5),
            Decision::Retry(_)
        ));
        assert_eq!(
            c.decide(&Method::PATCH, 1, &answer(400, &[1004]), 0.5),
            Decision::Stop
        );
        assert!(matches!(
            c.decide(&Method::POST, 1, &Failure::transport(false), 0.5),
            Decision::Retry(_)
        ));
        assert_eq!(
            c.decide(&Method::POST, 1, &Failure::transport(true), 0.5),
            Decision::Stop
        );
        assert!(matches!(
            c.decide(&Method::DELETE, 1, &Failure::transport(true), 0.5),
            Decision::Retry(_)
        ));
    }

    #[test]
    fn retry_after_is_capped_except_for_blocks() {
        let c = default_policy();
        let busy = classify(
            StatusCode::SERVICE_UNAVAILABLE,
            &[],
            Some(Duration::from_secs(999)),
        );
        assert_eq!(
            c.decide(&Method::GET, 1, &busy, 0.5),
            Decision::Retry(c.backoff_cap())
        );
        let blocked = classify(
            StatusCode::TOO_MANY_REQUESTS,
            &[],
            Some(Duration::from_secs(120)),
        );
        assert_eq!(
            c.decide(&Method::GET, 1, &blocked, 0.5),
            Decision::WaitForBudget(Duration::from_secs(120))
        );
        let too_long = classify(
            StatusCode::TOO_MANY_REQUESTS,
            &[],
            Some(Duration::from_secs(3600)),
        );
        assert_eq!(c.decide(&Method::GET, 1, &too_long, 0.5), Decision::Stop);
    }
}
