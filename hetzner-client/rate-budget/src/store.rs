//! The store trait and the values it exchanges.

use std::fmt::{self, Debug};
use std::time::Duration;

use async_trait::async_trait;

use crate::error::StoreError;

/// Which budget of an account a request draws from. Most APIs have one ([`Budget::DEFAULT`]);
/// Hetzner limits action polling separately on some projects, so its client may use a second.
///
/// A shared store keys its state by the budget's name below its own key prefix.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Budget(&'static str);

impl Budget {
    /// The account's one general budget (`"general"`).
    pub const DEFAULT: Self = Self("general");

    /// A budget with this name (ASCII letters, digits, `-` and `_` keep Redis keys readable).
    pub const fn named(name: &'static str) -> Self {
        Self(name)
    }

    /// The budget's name.
    pub const fn name(self) -> &'static str {
        self.0
    }
}

impl Debug for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl fmt::Display for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// Sequence number of a reservation, handed back with the response's report so the store
/// knows which reservations the server had not yet counted.
pub type Ticket = u64;

/// The outcome of asking a store for one request's slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// A slot was reserved: send after `wait` (zero: now).
    Granted {
        /// How long to wait before sending.
        wait: Duration,
        /// The reservation's sequence number.
        ticket: Ticket,
    },
    /// Nothing was reserved: the earliest slot is further away than the caller would wait.
    Refused {
        /// When a slot will be available.
        retry_after: Duration,
    },
}

/// What a response said about the budget (from headers such as `RateLimit-Remaining`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ServerReport {
    /// The budget's capacity, when the server names it (Hetzner `RateLimit-Limit`).
    pub limit: Option<u32>,
    /// Requests left when the server handled the request.
    pub remaining: Option<u64>,
    /// Time until the budget resets (Cloudflare `ratelimit: ...;t=N`, or `Retry-After`).
    pub reset: Option<Duration>,
}

/// Where a rate budget lives.
///
/// The in-memory stores ([`crate::LocalTokenBucket`], [`crate::LocalWindow`]) serve one
/// process; the Redis stores (feature `redis`) let many replicas spend one budget. Every
/// method is async and takes no clock reading: each store reads its own clock (tokio's, or
/// Redis `TIME`) and answers in durations.
#[async_trait]
pub trait RateLimitStore: Send + Sync + Debug {
    /// Reserves the earliest slot of `budget`, or refuses without reserving anything when it
    /// is more than `max_wait` away (`None`: wait as long as it takes).
    async fn reserve(
        &self,
        budget: Budget,
        max_wait: Option<Duration>,
    ) -> Result<Reservation, StoreError>;

    /// Re-syncs from the report of the response to reservation `ticket` (estimates are only
    /// ever lowered by a report, never raised).
    async fn observe(
        &self,
        budget: Budget,
        ticket: Ticket,
        report: ServerReport,
    ) -> Result<(), StoreError>;

    /// The server refused a request for the budget (HTTP 429), asking to wait `retry_after`
    /// when it said so: the budget is spent now.
    async fn exhausted(
        &self,
        budget: Budget,
        retry_after: Option<Duration>,
    ) -> Result<(), StoreError>;
}

/// A store that never waits (for comparisons, and for callers with their own limiter). The
/// server's 429s are still honoured by the clients' retry loops.
#[derive(Debug, Default, Clone, Copy)]
pub struct Unlimited;

#[async_trait]
impl RateLimitStore for Unlimited {
    async fn reserve(
        &self,
        _budget: Budget,
        _max_wait: Option<Duration>,
    ) -> Result<Reservation, StoreError> {
        Ok(Reservation::Granted {
            wait: Duration::ZERO,
            ticket: 0,
        })
    }

    async fn observe(
        &self,
        _budget: Budget,
        _ticket: Ticket,
        _report: ServerReport,
    ) -> Result<(), StoreError> {
        Ok(())
    }

    async fn exhausted(
        &self,
        _budget: Budget,
        _retry_after: Option<Duration>,
    ) -> Result<(), StoreError> {
        Ok(())
    }
}
