//! One client-side rate budget for API clients, kept in memory or shared through Redis.
//!
//! An API that limits requests per account (Hetzner Cloud: a token bucket of 3600 requests per
//! project, +1 per second; Cloudflare: 1200 requests per 300 s per user) is best paced *before*
//! sending. This crate holds that pacing once, for every client:
//!
//! - [`RateLimitStore`]: the async, clock-agnostic trait a budget lives behind. It hands out
//!   [`Reservation`]s (send now, send after a wait, or refused), re-syncs from what the server
//!   reported ([`ServerReport`]) and records a server-side refusal ([`RateLimitStore::exhausted`]).
//!   Waits are durations, never instants, so a store may read any clock it likes.
//! - Two algorithms, each in memory and (feature `redis`) in Redis:
//!   [`TokenBucket`] / [`LocalTokenBucket`] (Hetzner's model) and [`SlidingWindow`] /
//!   [`LocalWindow`] (Cloudflare's model). The in-memory stores read an injectable [`Clock`]
//!   (tokio's by default, so paused-clock tests take no real time); the Redis stores run one Lua
//!   script per call that reads Redis `TIME`, so every replica agrees on one clock.
//! - [`Gate`]: what a client calls around each request: [`Gate::acquire`] waits (or fails fast)
//!   for a slot, [`Gate::observe`] feeds the response back, [`Gate::exhausted`] records a 429.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() -> Result<(), rate_budget::GateError> {
//! use std::sync::Arc;
//! use std::time::Duration;
//! use rate_budget::{Budget, Gate, LocalTokenBucket, TokenBucket};
//!
//! // 10 requests of burst, refilled at 10 per second.
//! let store = Arc::new(LocalTokenBucket::new(TokenBucket::new(10, Duration::from_secs(1))));
//! let gate = Gate::new(store, None);
//! let started = tokio::time::Instant::now();
//! for _ in 0..20 {
//!     gate.acquire(Budget::DEFAULT).await?;
//! }
//! // The burst went at once; the other ten waited for the refill.
//! assert_eq!(started.elapsed(), Duration::from_secs(1));
//! # Ok(()) }
//! ```
//!
//! # Sharing one budget between replicas
//!
//! With the `redis` feature, `redis_store::RedisBudget` connects once and builds stores that
//! every replica points at the same key:
//!
//! ```no_run
//! # #[cfg(feature = "redis")]
//! # async fn run() -> Result<(), rate_budget::StoreError> {
//! use std::sync::Arc;
//! use rate_budget::TokenBucket;
//! use rate_budget::redis_store::{RedisBudget, RedisConfig};
//!
//! let redis = RedisBudget::connect(RedisConfig::new("redis://127.0.0.1:6379/", "fleet:hetzner:project-42"))?;
//! let store = Arc::new(redis.token_bucket(TokenBucket::per_hour(3600)));
//! # let _ = store; Ok(()) }
//! ```
//!
//! When Redis is slow or down, every call ends within `redis_store::RedisConfig::timeout`
//! with [`StoreError`]: no request is sent on a budget nobody can vouch for, so an outage never
//! turns into a burst past the budget.
#![forbid(unsafe_code)]
#![warn(clippy::print_stdout, clippy::print_stderr)]

mod clock;
mod error;
mod gate;
mod progress;
mod store;
mod token_bucket;
mod window;

#[cfg(feature = "redis")]
pub mod redis_store;

pub use clock::{Clock, ManualClock, TokioClock};
pub use error::StoreError;
pub use gate::{Gate, GateError};
pub use progress::{PROGRESS_INTERVAL, sleep_reporting};
pub use store::{Budget, RateLimitStore, Reservation, ServerReport, Ticket, Unlimited};
pub use token_bucket::{LocalTokenBucket, TokenBucket};
pub use window::{LocalWindow, SlidingWindow};
