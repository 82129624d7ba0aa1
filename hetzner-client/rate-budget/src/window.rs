//! The sliding window (Cloudflare's model), kept in memory.
//!
//! At most `limit` requests in any `window`, and never two closer than `1 / per_second`. The
//! store keeps a log of reserved send times: the next request may go when the request `limit`
//! places earlier is at least `window + margin` old. A server report of an empty budget, or a
//! 429, blocks every send until the server's reset.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;

use crate::clock::{Clock, TokioClock};
use crate::error::StoreError;
use crate::store::{Budget, RateLimitStore, Reservation, ServerReport, Ticket};

/// The numbers of a sliding window.
///
/// ```
/// use std::time::Duration;
/// use rate_budget::SlidingWindow;
/// // Cloudflare: 1200 per 300 s, 1 s of margin, at most 100 per second.
/// let cloudflare = SlidingWindow::new(1200, Duration::from_secs(300))
///     .margin(Duration::from_secs(1))
///     .per_second(100);
/// assert_eq!(cloudflare.limit, 1200);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlidingWindow {
    /// Requests allowed per window (0: no window limit).
    pub limit: u32,
    /// Window length.
    pub window: Duration,
    /// Extra spacing added to the window to absorb clock and latency skew.
    pub margin: Duration,
    /// Cap on requests per second (0: no cap).
    pub per_second: u32,
}

impl SlidingWindow {
    /// `limit` requests per `window`, no margin, no per-second cap.
    pub fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit,
            window,
            margin: Duration::ZERO,
            per_second: 0,
        }
    }

    /// Sets the margin added to the window.
    #[must_use]
    pub fn margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }

    /// Sets the per-second cap (0: none).
    #[must_use]
    pub fn per_second(mut self, per_second: u32) -> Self {
        self.per_second = per_second;
        self
    }

    /// The minimum spacing between two sends (zero without a per-second cap).
    pub fn spacing(&self) -> Duration {
        if self.per_second == 0 {
            Duration::ZERO
        } else {
            Duration::from_secs(1) / self.per_second
        }
    }

    /// How long a full window of sends blocks the oldest one's successor.
    pub fn span(&self) -> Duration {
        self.window + self.margin
    }
}

#[derive(Debug, Default)]
struct Log {
    slots: VecDeque<Duration>,
    blocked_until: Option<Duration>,
    next_ticket: u64,
}

impl Log {
    fn next_slot(&self, params: &SlidingWindow, now: Duration) -> Duration {
        let mut t = now;
        if let Some(b) = self.blocked_until {
            t = t.max(b);
        }
        if let Some(last) = self.slots.back() {
            t = t.max(*last + params.spacing());
        }
        let limit = params.limit as usize;
        if limit > 0 && self.slots.len() >= limit {
            let oldest_in_window = self.slots[self.slots.len() - limit];
            t = t.max(oldest_in_window + params.span());
        }
        t
    }

    fn block_until(&mut self, until: Duration) {
        self.blocked_until = Some(self.blocked_until.map_or(until, |b| b.max(until)));
    }
}

/// The in-memory sliding window: one log per [`Budget`], all with the same numbers.
pub struct LocalWindow {
    params: SlidingWindow,
    clock: Arc<dyn Clock>,
    logs: Mutex<HashMap<Budget, Log>>,
}

impl fmt::Debug for LocalWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalWindow")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

impl LocalWindow {
    /// An empty window with these numbers, on tokio's clock.
    pub fn new(params: impl Into<SlidingWindow>) -> Self {
        Self::with_clock(params, Arc::new(TokioClock::new()))
    }

    /// An empty window with these numbers, on `clock`.
    pub fn with_clock(params: impl Into<SlidingWindow>, clock: Arc<dyn Clock>) -> Self {
        Self {
            params: params.into(),
            clock,
            logs: Mutex::new(HashMap::new()),
        }
    }

    /// The numbers.
    pub fn params(&self) -> SlidingWindow {
        self.params
    }

    fn with_log<T>(&self, budget: Budget, f: impl FnOnce(&mut Log, Duration) -> T) -> T {
        let now = self.clock.now();
        let mut logs = self.logs.lock().unwrap_or_else(PoisonError::into_inner);
        f(logs.entry(budget).or_default(), now)
    }
}

#[async_trait]
impl RateLimitStore for LocalWindow {
    async fn reserve(
        &self,
        budget: Budget,
        max_wait: Option<Duration>,
    ) -> Result<Reservation, StoreError> {
        let params = self.params;
        Ok(self.with_log(budget, |log, now| {
            let slot = log.next_slot(&params, now);
            let wait = slot.saturating_sub(now);
            if max_wait.is_some_and(|max| wait > max) {
                return Reservation::Refused { retry_after: wait };
            }
            log.slots.push_back(slot);
            while log.slots.len() > (params.limit as usize).max(1) {
                log.slots.pop_front();
            }
            let ticket = log.next_ticket;
            log.next_ticket += 1;
            Reservation::Granted { wait, ticket }
        }))
    }

    async fn observe(
        &self,
        budget: Budget,
        _ticket: Ticket,
        report: ServerReport,
    ) -> Result<(), StoreError> {
        if report.remaining == Some(0)
            && let Some(reset) = report.reset
        {
            self.with_log(budget, |log, now| log.block_until(now + reset));
        }
        Ok(())
    }

    async fn exhausted(
        &self,
        budget: Budget,
        retry_after: Option<Duration>,
    ) -> Result<(), StoreError> {
        let block = retry_after.unwrap_or(self.params.span());
        self.with_log(budget, |log, now| log.block_until(now + block));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn window(limit: u32, secs: u64) -> (LocalWindow, Arc<ManualClock>) {
        let clock = Arc::new(ManualClock::default());
        let store = LocalWindow::with_clock(
            SlidingWindow::new(limit, Duration::from_secs(secs)),
            clock.clone(),
        );
        (store, clock)
    }

    async fn wait(store: &LocalWindow, max_wait: Option<Duration>) -> Result<Duration, Duration> {
        match store.reserve(Budget::DEFAULT, max_wait).await.unwrap() {
            Reservation::Granted { wait, .. } => Ok(wait),
            Reservation::Refused { retry_after } => Err(retry_after),
        }
    }

    #[tokio::test]
    async fn a_full_window_waits_for_its_oldest_send_to_expire() {
        let (store, _clock) = window(3, 10);
        for _ in 0..3 {
            assert_eq!(wait(&store, None).await, Ok(Duration::ZERO));
        }
        assert_eq!(wait(&store, None).await, Ok(Duration::from_secs(10)));
        // Fail-fast reserves nothing.
        assert_eq!(
            wait(&store, Some(Duration::from_secs(1))).await,
            Err(Duration::from_secs(10))
        );
        assert_eq!(wait(&store, None).await, Ok(Duration::from_secs(10)));
    }

    #[tokio::test]
    async fn spacing_blocks_and_reports() {
        let clock = Arc::new(ManualClock::default());
        let store = LocalWindow::with_clock(
            SlidingWindow::new(1200, Duration::from_secs(300)).per_second(4),
            clock.clone(),
        );
        assert_eq!(wait(&store, None).await, Ok(Duration::ZERO));
        assert_eq!(wait(&store, None).await, Ok(Duration::from_millis(250)));
        store
            .exhausted(Budget::DEFAULT, Some(Duration::from_secs(300)))
            .await
            .unwrap();
        assert_eq!(wait(&store, None).await, Ok(Duration::from_secs(300)));
        clock.advance(Duration::from_secs(300));
        let empty = ServerReport {
            remaining: Some(0),
            reset: Some(Duration::from_secs(42)),
            ..ServerReport::default()
        };
        store.observe(Budget::DEFAULT, 0, empty).await.unwrap();
        assert_eq!(wait(&store, None).await, Ok(Duration::from_secs(42)));
        // A report with budget left changes nothing (Cloudflare's counts are unreliable).
        let spare = ServerReport {
            remaining: Some(1199),
            reset: Some(Duration::from_secs(1)),
            ..ServerReport::default()
        };
        store.observe(Budget::DEFAULT, 0, spare).await.unwrap();
        assert_eq!(
            wait(&store, None).await,
            Ok(Duration::from_secs(42) + Duration::from_millis(250))
        );
    }

    #[tokio::test]
    async fn any_window_holds_at_most_limit() {
        let (store, _clock) = window(1200, 300);
        let mut slots = Vec::new();
        for _ in 0..5000 {
            slots.push(wait(&store, None).await.unwrap());
        }
        for (i, s) in slots.iter().enumerate() {
            let in_window = slots[..=i]
                .iter()
                .filter(|p| **p + Duration::from_secs(300) > *s)
                .count();
            assert!(in_window <= 1200, "slot {i} has {in_window} in its window");
        }
    }
}
