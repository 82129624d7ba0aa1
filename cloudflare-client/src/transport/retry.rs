//! Retry policy: a pure decision function and full-jitter exponential backoff.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use http::{Method, StatusCode};

use super::request::retry_safe;
use crate::error::{TransportErrorKind, codes};

/// How often and how long to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryConfig {
    /// Attempts in total, including the first (default 4).
    pub max_attempts: u32,
    /// First backoff step (default 1 s).
    pub initial_backoff: Duration,
    /// Cap on one backoff and on a server-sent `Retry-After` for non-429 answers (default 30 s).
    pub max_backoff: Duration,
    /// How long a 429 block may be waited out (default 310 s: the documented 5-minute block).
    /// Longer blocks end the call with a rate-limit error.
    pub max_rate_limit_wait: Duration,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(30),
            max_rate_limit_wait: Duration::from_secs(310),
        }
    }
}

/// The Cloudflare block after an overflow: five minutes.
pub const RATE_LIMIT_BLOCK: Duration = Duration::from_secs(300);

/// What happened on one attempt, as far as retrying is concerned.
#[derive(Debug, Clone, Copy)]
pub enum Outcome<'a> {
    /// The server answered with an error status / error envelope.
    Answer {
        /// HTTP status.
        status: StatusCode,
        /// Codes from `errors[]`.
        codes: &'a [u32],
        /// Parsed `Retry-After`.
        retry_after: Option<Duration>,
    },
    /// No response.
    Transport(TransportErrorKind),
}

/// The decision for one failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Do not retry.
    Stop,
    /// Retry after the usual backoff (or at least `min_wait`, from `Retry-After`).
    Backoff {
        /// Lower bound from the server, already capped.
        min_wait: Option<Duration>,
    },
    /// The API blocked us: the gate must refuse sends for this long, then retry.
    RateLimited {
        /// How long the block lasts.
        block: Duration,
    },
    /// A non-idempotent request may have reached the server: do not replay, reconcile instead.
    Ambiguous,
}

/// Decide whether to retry. Pure: no clock, no randomness.
///
/// * 429 or code 971/10100/10429: always safe (the request was refused), wait out the block.
/// * connect errors: always safe (nothing was sent).
/// * 408, 502, 503, 504, timeouts, dropped connections: retry idempotent methods; for `POST`
///   the outcome is ambiguous.
/// * 500: retry idempotent methods only; `POST` is ambiguous.
/// * other 4xx: stop.
pub fn classify(method: &Method, outcome: Outcome<'_>, config: &RetryConfig) -> Decision {
    let idempotent = retry_safe(method);
    match outcome {
        Outcome::Answer {
            status,
            codes: c,
            retry_after,
        } => {
            let rate_limited = status == StatusCode::TOO_MANY_REQUESTS
                || c.iter().any(|x| {
                    matches!(
                        *x,
                        codes::RATE_LIMITED | codes::RATE_LIMITED_LEGACY | codes::RATE_LIMITED_ALT
                    )
                });
            if rate_limited {
                return Decision::RateLimited {
                    block: retry_after.unwrap_or(RATE_LIMIT_BLOCK),
                };
            }
            let transient = status.is_server_error() || status == StatusCode::REQUEST_TIMEOUT;
            if !transient {
                return Decision::Stop;
            }
            if !idempotent {
                return Decision::Ambiguous;
            }
            Decision::Backoff {
                min_wait: retry_after.map(|d| d.min(config.max_backoff)),
            }
        }
        Outcome::Transport(TransportErrorKind::Connect) => Decision::Backoff { min_wait: None },
        Outcome::Transport(_) if idempotent => Decision::Backoff { min_wait: None },
        Outcome::Transport(_) => Decision::Ambiguous,
    }
}

/// Full-jitter backoff for retry number `retry` (0-based): `unit × min(max, initial × 2^retry)`
/// with `unit` in `[0, 1)`.
pub fn backoff(config: &RetryConfig, retry: u32, unit: f64) -> Duration {
    let factor = 2u32.checked_pow(retry).unwrap_or(u32::MAX);
    let ceiling = config
        .initial_backoff
        .checked_mul(factor)
        .unwrap_or(config.max_backoff)
        .min(config.max_backoff);
    ceiling.mul_f64(unit.clamp(0.0, 1.0))
}

/// A small lock-free pseudo-random source for jitter (SplitMix64); not for cryptography.
pub(crate) fn jitter_unit() -> f64 {
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

    fn answer(status: u16, codes: &[u32]) -> Outcome<'_> {
        Outcome::Answer {
            status: StatusCode::from_u16(status).unwrap(),
            codes,
            retry_after: None,
        }
    }

    #[test]
    fn decisions() {
        let c = RetryConfig::default();
        assert_eq!(
            classify(&Method::POST, answer(429, &[971]), &c),
            Decision::RateLimited {
                block: RATE_LIMIT_BLOCK
            }
        );
        assert_eq!(
            classify(&Method::GET, answer(400, &[971]), &c),
            Decision::RateLimited {
                block: RATE_LIMIT_BLOCK
            }
        );
        assert_eq!(
            classify(&Method::GET, answer(503, &[]), &c),
            Decision::Backoff { min_wait: None }
        );
        assert_eq!(
            classify(&Method::POST, answer(503, &[]), &c),
            Decision::Ambiguous
        );
        assert_eq!(
            classify(&Method::PUT, answer(500, &[]), &c),
            Decision::Backoff { min_wait: None }
        );
        assert_eq!(
            classify(&Method::PATCH, answer(400, &[1004]), &c),
            Decision::Stop
        );
        assert_eq!(
            classify(
                &Method::POST,
                Outcome::Transport(TransportErrorKind::Connect),
                &c
            ),
            Decision::Backoff { min_wait: None }
        );
        assert_eq!(
            classify(
                &Method::POST,
                Outcome::Transport(TransportErrorKind::Dropped),
                &c
            ),
            Decision::Ambiguous
        );
        assert_eq!(
            classify(
                &Method::DELETE,
                Outcome::Transport(TransportErrorKind::Timeout),
                &c
            ),
            Decision::Backoff { min_wait: None }
        );
    }

    #[test]
    fn retry_after_is_capped_except_for_blocks() {
        let c = RetryConfig::default();
        let o = Outcome::Answer {
            status: StatusCode::SERVICE_UNAVAILABLE,
            codes: &[],
            retry_after: Some(Duration::from_secs(999)),
        };
        assert_eq!(
            classify(&Method::GET, o, &c),
            Decision::Backoff {
                min_wait: Some(c.max_backoff)
            }
        );
        let o = Outcome::Answer {
            status: StatusCode::TOO_MANY_REQUESTS,
            codes: &[],
            retry_after: Some(Duration::from_secs(120)),
        };
        assert_eq!(
            classify(&Method::GET, o, &c),
            Decision::RateLimited {
                block: Duration::from_secs(120)
            }
        );
    }

    #[test]
    fn backoff_is_bounded_and_grows() {
        let c = RetryConfig::default();
        assert_eq!(backoff(&c, 0, 0.999_999).as_millis(), 999);
        assert_eq!(backoff(&c, 3, 0.5), Duration::from_secs(4));
        assert_eq!(backoff(&c, 40, 1.0), c.max_backoff);
        for _ in 0..1000 {
            let u = jitter_unit();
            assert!((0.0..1.0).contains(&u));
        }
    }
}
