//! The clock the in-memory stores read.

use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A monotonic clock: time elapsed since an origin of the clock's choosing.
///
/// The in-memory stores read one, so tests can inject theirs; [`TokioClock`] (the default)
/// follows tokio's clock, which tests pause and advance. The Redis stores do not use it: they
/// read Redis `TIME`, the one clock every replica shares.
pub trait Clock: Send + Sync + Debug {
    /// Time since this clock's origin.
    fn now(&self) -> Duration;
}

/// tokio's clock (`tokio::time::Instant`), so `tokio::time::pause()` and `advance()` apply.
#[derive(Debug, Clone, Copy)]
pub struct TokioClock {
    origin: tokio::time::Instant,
}

impl TokioClock {
    /// A clock whose origin is now.
    pub fn new() -> Self {
        Self {
            origin: tokio::time::Instant::now(),
        }
    }
}

impl Default for TokioClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for TokioClock {
    fn now(&self) -> Duration {
        tokio::time::Instant::now().saturating_duration_since(self.origin)
    }
}

/// A clock that moves only when told to (for tests of code that takes a [`Clock`]).
///
/// ```
/// use std::time::Duration;
/// use rate_budget::{Clock, ManualClock};
/// let clock = ManualClock::default();
/// clock.advance(Duration::from_secs(5));
/// assert_eq!(clock.now(), Duration::from_secs(5));
/// ```
#[derive(Debug, Default)]
pub struct ManualClock {
    micros: AtomicU64,
}

impl ManualClock {
    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let micros = u64::try_from(by.as_micros()).unwrap_or(u64::MAX);
        self.micros.fetch_add(micros, Ordering::SeqCst);
    }

    /// Sets the clock to `at` since its origin (it may move backwards; the stores tolerate it).
    pub fn set(&self, at: Duration) {
        let micros = u64::try_from(at.as_micros()).unwrap_or(u64::MAX);
        self.micros.store(micros, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        Duration::from_micros(self.micros.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn follows_the_paused_clock() {
        let clock = TokioClock::new();
        assert_eq!(clock.now(), Duration::ZERO);
        tokio::time::advance(Duration::from_secs(90)).await;
        assert_eq!(clock.now(), Duration::from_secs(90));
    }
}
