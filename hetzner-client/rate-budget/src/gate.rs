//! The gate a client calls around every request.

use std::sync::Arc;
use std::time::Duration;

use crate::error::StoreError;
use crate::progress::{PROGRESS_INTERVAL, sleep_reporting};
use crate::store::{Budget, RateLimitStore, Reservation, ServerReport, Ticket};

/// Why [`Gate::acquire`] let no request through.
#[derive(Debug, thiserror::Error)]
pub enum GateError {
    /// The budget's next slot is further away than the gate may wait (fail-fast).
    #[error("rate limit budget exhausted; a request would be allowed in {retry_after:?}")]
    RateLimited {
        /// When a slot will be available.
        retry_after: Duration,
    },
    /// The store could not answer, so no request may go.
    #[error("the rate budget could not be consulted")]
    Store(#[source] StoreError),
}

/// Paces requests through a [`RateLimitStore`]: reserve, wait, send, report back.
///
/// Cheap to clone; clones share the store.
#[derive(Debug, Clone)]
pub struct Gate {
    store: Arc<dyn RateLimitStore>,
    max_wait: Option<Duration>,
}

impl Gate {
    /// A gate over `store` that waits at most `max_wait` for a slot (`None`: as long as it
    /// takes; `Some(Duration::ZERO)`: fail fast whenever the budget is spent).
    pub fn new(store: Arc<dyn RateLimitStore>, max_wait: Option<Duration>) -> Self {
        Self { store, max_wait }
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn RateLimitStore> {
        &self.store
    }

    /// The longest the gate waits for a slot.
    pub fn max_wait(&self) -> Option<Duration> {
        self.max_wait
    }

    /// Reserves a slot of `budget` and sleeps (on tokio's clock) until it comes. A wait longer
    /// than [`PROGRESS_INTERVAL`] emits an `info` event every interval naming the seconds
    /// that remain.
    ///
    /// # Errors
    /// [`GateError::RateLimited`] when the slot is further than the gate may wait (nothing is
    /// reserved), [`GateError::Store`] when the store could not answer.
    pub async fn acquire(&self, budget: Budget) -> Result<Ticket, GateError> {
        match self.store.reserve(budget, self.max_wait).await {
            Ok(Reservation::Granted { wait, ticket }) => {
                if !wait.is_zero() {
                    tracing::trace!(%budget, wait_ms = wait.as_millis() as u64, "rate gate: waiting");
                    sleep_reporting(wait, PROGRESS_INTERVAL, |left| {
                        tracing::info!(
                            %budget,
                            remaining_secs = left.as_secs(),
                            "rate gate: the budget is spent; waiting for a slot, {}s remain",
                            left.as_secs()
                        );
                    })
                    .await;
                }
                Ok(ticket)
            }
            Ok(Reservation::Refused { retry_after }) => Err(GateError::RateLimited { retry_after }),
            Err(e) => Err(GateError::Store(e)),
        }
    }

    /// Feeds a response's report back to the store. A store that cannot be reached is logged
    /// and otherwise ignored: the response is already in hand.
    pub async fn observe(&self, budget: Budget, ticket: Ticket, report: ServerReport) {
        if report == ServerReport::default() {
            return;
        }
        if let Err(e) = self.store.observe(budget, ticket, report).await {
            tracing::warn!(%budget, error = %e, "rate gate: could not record the server's report");
        }
    }

    /// Records a 429 for `budget` (logged and otherwise ignored when the store cannot be
    /// reached; the caller's retry loop still waits).
    pub async fn exhausted(&self, budget: Budget, retry_after: Option<Duration>) {
        if let Err(e) = self.store.exhausted(budget, retry_after).await {
            tracing::warn!(%budget, error = %e, "rate gate: could not record a 429");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token_bucket::{LocalTokenBucket, TokenBucket};

    #[tokio::test(start_paused = true)]
    async fn waits_or_fails_fast() {
        let store = Arc::new(LocalTokenBucket::new(TokenBucket::new(
            2,
            Duration::from_secs(2),
        )));
        let waiting = Gate::new(store.clone(), None);
        let fast = Gate::new(store, Some(Duration::ZERO));
        let start = tokio::time::Instant::now();
        waiting.acquire(Budget::DEFAULT).await.unwrap();
        waiting.acquire(Budget::DEFAULT).await.unwrap();
        assert!(matches!(
            fast.acquire(Budget::DEFAULT).await,
            Err(GateError::RateLimited { retry_after }) if retry_after == Duration::from_secs(1)
        ));
        waiting.acquire(Budget::DEFAULT).await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_secs(1));
    }
}
