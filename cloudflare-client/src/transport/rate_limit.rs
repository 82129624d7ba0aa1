//! The rate gate: Cloudflare allows 1200 requests per 300 s per user and blocks every call for
//! five minutes on overflow (HTTP 429, code 971). The gate paces requests *before* sending so the
//! block never happens, and waits out a block if one is reported anyway.
//!
//! The gate keeps a sliding-window log of reserved send times: the next request may go when the
//! request `limit` places earlier is at least `window + margin` old, and never closer than
//! `1 / per_second` to the previous one (the per-IP limit is 200 per second). Its state sits
//! behind [`RateLimitStore`] (from the `rate-budget` crate, shared with hetzner-client): in
//! memory by default ([`SlidingWindow`], on tokio's clock), or, with the feature `redis`, in
//! Redis (`redis_store`), so several replicas share one user's budget:
//!
//! ```no_run
//! # #[cfg(feature = "redis")]
//! # async fn run() -> cloudflare_client::Result<()> {
//! use std::sync::Arc;
//! use cloudflare_client::transport::rate_limit::RateLimitConfig;
//! use cloudflare_client::transport::rate_limit::redis_store::{RedisBudget, RedisConfig};
//!
//! let redis = RedisBudget::connect(RedisConfig::new("redis://127.0.0.1:6379/", "fleet:cloudflare:ops-user"))
//!     .map_err(cloudflare_client::Error::RateBudget)?;
//! let client = cloudflare_client::Client::builder()
//!     .token(std::env::var("CLOUDFLARE_API_TOKEN").unwrap_or_default())
//!     .rate_limit_store(Arc::new(redis.window(RateLimitConfig::default())))
//!     .build()?;
//! # let _ = client; Ok(()) }
//! ```

use std::time::Duration;

use http::HeaderMap;
pub use rate_budget::{
    Budget, Clock, ManualClock, RateLimitStore, Reservation, ServerReport, StoreError, Ticket,
    TokioClock,
};

/// The in-memory sliding window: `SlidingWindow::new(RateLimitConfig)`.
pub use rate_budget::LocalWindow as SlidingWindow;

/// A gate that never waits (for comparisons and for callers with their own limiter). A 429
/// block is still not hammered: retries wait for `Retry-After` in the retry policy.
pub use rate_budget::Unlimited as NoGate;

#[cfg(feature = "redis")]
pub use rate_budget::redis_store;

/// Numbers of the gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitConfig {
    /// Requests allowed per window (Cloudflare: 1200).
    pub limit: u32,
    /// Window length (Cloudflare: 300 s).
    pub window: Duration,
    /// Extra spacing added to the window to absorb clock and latency skew (default 1 s).
    pub margin: Duration,
    /// Cap on requests per second (default 100, half the 200/s per-IP limit). 0 = no cap.
    pub per_second: u32,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            limit: 1200,
            window: Duration::from_secs(300),
            margin: Duration::from_secs(1),
            per_second: 100,
        }
    }
}

impl From<RateLimitConfig> for rate_budget::SlidingWindow {
    fn from(c: RateLimitConfig) -> Self {
        rate_budget::SlidingWindow::new(c.limit, c.window)
            .margin(c.margin)
            .per_second(c.per_second)
    }
}

/// What the response headers say about the budget, if anything. Cloudflare's headers are
/// unreliable (the `ratelimit` header often reports `r=1199;t=1` regardless of use), so the gate
/// only acts on an explicit exhaustion (`remaining == 0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HeaderBudget {
    /// Requests left, from `ratelimit: ...;r=N` or `x-ratelimit-remaining`.
    pub remaining: Option<u64>,
    /// Seconds until reset, from `ratelimit: ...;t=N`.
    pub reset: Option<Duration>,
    /// `Retry-After` in seconds.
    pub retry_after: Option<Duration>,
}

/// Parse `ratelimit`, `x-ratelimit-remaining` and `retry-after` (seconds form).
pub fn parse_headers(headers: &HeaderMap) -> HeaderBudget {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let mut out = HeaderBudget::default();
    if let Some(v) = text("ratelimit") {
        for part in v.split(';') {
            let part = part.trim();
            if let Some(r) = part.strip_prefix("r=") {
                out.remaining = r.parse().ok();
            } else if let Some(t) = part.strip_prefix("t=") {
                out.reset = t.parse().ok().map(Duration::from_secs);
            }
        }
    }
    if out.remaining.is_none() {
        out.remaining = text("x-ratelimit-remaining").and_then(|v| v.parse().ok());
    }
    out.retry_after = text("retry-after")
        .and_then(|v| v.parse::<u64>().ok())
        .map(Duration::from_secs);
    out
}

/// The report a response's headers make to the gate: an explicit exhaustion with its reset.
pub(crate) fn report(budget: &HeaderBudget) -> ServerReport {
    ServerReport {
        limit: None,
        remaining: budget.remaining,
        reset: budget.reset.or(budget.retry_after),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn headers_parse() {
        let mut h = HeaderMap::new();
        h.insert(
            "ratelimit",
            HeaderValue::from_static("\"default\";r=0;t=42"),
        );
        h.insert("retry-after", HeaderValue::from_static("120"));
        let b = parse_headers(&h);
        assert_eq!(b.remaining, Some(0));
        assert_eq!(b.reset, Some(Duration::from_secs(42)));
        assert_eq!(b.retry_after, Some(Duration::from_secs(120)));
        assert_eq!(report(&b).reset, Some(Duration::from_secs(42)));
    }

    #[tokio::test(start_paused = true)]
    async fn the_default_config_is_cloudflares_window() {
        let gate = SlidingWindow::new(RateLimitConfig::default());
        assert_eq!(gate.params().span(), Duration::from_secs(301));
        assert_eq!(gate.params().spacing(), Duration::from_millis(10));
        let Ok(Reservation::Granted { wait, .. }) = gate.reserve(Budget::DEFAULT, None).await
        else {
            panic!("an empty window grants");
        };
        assert!(wait.is_zero());
    }
}
