//! The rate gate: Cloudflare allows 1200 requests per 300 s per user and blocks every call for
//! five minutes on overflow (HTTP 429, code 971). The gate paces requests *before* sending so the
//! block never happens, and waits out a block if one is reported anyway.
//!
//! The gate keeps a sliding-window log of reserved send times: the next request may go when the
//! request `limit` places earlier is at least `window + margin` old, and never closer than
//! `1 / per_second` to the previous one (the per-IP limit is 200 per second). Its state sits
//! behind [`RateLimitStore`] so several clients (or processes) can share one budget.

use std::collections::VecDeque;
use std::fmt::Debug;
use std::sync::Mutex;
use std::time::Duration;

use http::HeaderMap;
use tokio::time::Instant;

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

/// Shared state of a rate gate. Implement it over a shared store (e.g. Redis) to let several
/// replicas share one budget; [`SlidingWindow`] is the in-process implementation and [`NoGate`]
/// disables pacing.
pub trait RateLimitStore: Send + Sync + Debug {
    /// Reserve the earliest send slot at or after `now`. Returns the slot, or `Err(wait)` without
    /// reserving anything when the slot is further than `max_wait` away.
    fn reserve(&self, now: Instant, max_wait: Option<Duration>) -> Result<Instant, Duration>;
    /// Refuse every send before `until` (a 429 block reported by the API).
    fn block_until(&self, until: Instant);
}

/// In-process sliding-window log (see the module docs).
#[derive(Debug)]
pub struct SlidingWindow {
    config: RateLimitConfig,
    state: Mutex<WindowState>,
}

#[derive(Debug, Default)]
struct WindowState {
    slots: VecDeque<Instant>,
    blocked_until: Option<Instant>,
}

impl SlidingWindow {
    /// A gate with these numbers.
    pub fn new(config: RateLimitConfig) -> Self {
        Self {
            config,
            state: Mutex::new(WindowState::default()),
        }
    }

    /// The configuration.
    pub fn config(&self) -> RateLimitConfig {
        self.config
    }

    fn next_slot(&self, st: &WindowState, now: Instant) -> Instant {
        let mut t = now;
        if let Some(b) = st.blocked_until {
            t = t.max(b);
        }
        if let (Some(last), true) = (st.slots.back(), self.config.per_second > 0) {
            t = t.max(*last + Duration::from_secs(1) / self.config.per_second);
        }
        let limit = self.config.limit as usize;
        if limit > 0 && st.slots.len() >= limit {
            let oldest_in_window = st.slots[st.slots.len() - limit];
            t = t.max(oldest_in_window + self.config.window + self.config.margin);
        }
        t
    }
}

impl RateLimitStore for SlidingWindow {
    fn reserve(&self, now: Instant, max_wait: Option<Duration>) -> Result<Instant, Duration> {
        let mut st = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let slot = self.next_slot(&st, now);
        let wait = slot.saturating_duration_since(now);
        if max_wait.is_some_and(|m| wait > m) {
            return Err(wait);
        }
        st.slots.push_back(slot);
        while st.slots.len() > self.config.limit as usize {
            st.slots.pop_front();
        }
        Ok(slot)
    }

    fn block_until(&self, until: Instant) {
        let mut st = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        st.blocked_until = Some(st.blocked_until.map_or(until, |b| b.max(until)));
    }
}

/// A gate that never waits (for comparisons and for callers with their own limiter). A 429 block
/// is still not hammered: retries wait for `Retry-After` in the retry policy.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoGate;

impl RateLimitStore for NoGate {
    fn reserve(&self, now: Instant, _max_wait: Option<Duration>) -> Result<Instant, Duration> {
        Ok(now)
    }

    fn block_until(&self, _until: Instant) {}
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

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn cfg(limit: u32, window: u64) -> RateLimitConfig {
        RateLimitConfig {
            limit,
            window: Duration::from_secs(window),
            margin: Duration::ZERO,
            per_second: 0,
        }
    }

    #[test]
    fn window_full_waits_for_oldest_to_expire() {
        let gate = SlidingWindow::new(cfg(3, 10));
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(gate.reserve(t0, None).unwrap(), t0);
        }
        assert_eq!(
            gate.reserve(t0, None).unwrap(),
            t0 + Duration::from_secs(10)
        );
        // Fail-fast does not reserve.
        assert_eq!(
            gate.reserve(t0, Some(Duration::from_secs(1))),
            Err(Duration::from_secs(10))
        );
        assert_eq!(
            gate.reserve(t0, None).unwrap(),
            t0 + Duration::from_secs(10)
        );
    }

    #[test]
    fn per_second_spacing_and_block() {
        let mut c = cfg(1200, 300);
        c.per_second = 4;
        let gate = SlidingWindow::new(c);
        let t0 = Instant::now();
        assert_eq!(gate.reserve(t0, None).unwrap(), t0);
        assert_eq!(
            gate.reserve(t0, None).unwrap(),
            t0 + Duration::from_millis(250)
        );
        gate.block_until(t0 + Duration::from_secs(300));
        assert_eq!(
            gate.reserve(t0, None).unwrap(),
            t0 + Duration::from_secs(300)
        );
    }

    #[test]
    fn any_window_holds_at_most_limit() {
        let gate = SlidingWindow::new(RateLimitConfig {
            per_second: 0,
            ..RateLimitConfig::default()
        });
        let t0 = Instant::now();
        let slots: Vec<Instant> = (0..5000).map(|_| gate.reserve(t0, None).unwrap()).collect();
        for (i, s) in slots.iter().enumerate() {
            let in_window = slots[..=i]
                .iter()
                .filter(|p| **p + Duration::from_secs(300) > *s)
                .count();
            assert!(in_window <= 1200, "slot {i} has {in_window} in its window");
        }
    }

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
    }
}
