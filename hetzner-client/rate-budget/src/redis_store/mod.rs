//! Budgets shared by many processes through Redis (feature `redis`).
//!
//! Each call is one Lua script (`EVALSHA`, loaded on first use) that reads Redis `TIME`,
//! updates the budget and answers in one atomic step, so replicas on different machines agree
//! on one clock and one count without locks. The scripts implement the same algorithms as
//! [`crate::LocalTokenBucket`] and [`crate::LocalWindow`], key by key:
//!
//! - token bucket: one hash `{prefix}:{budget}:bucket`;
//! - sliding window: a sorted set of reserved send times `{prefix}:{budget}:slots` and a hash
//!   `{prefix}:{budget}:window`.
//!
//! Keys expire once idle for longer than the budget needs to recover fully.
//!
//! # When Redis is slow or down
//!
//! Every call is bounded by [`RedisConfig::timeout`] (connecting included) and then fails with
//! [`StoreError::Timeout`] or [`StoreError::Unavailable`]; the [`crate::Gate`] passes that to
//! the client, which returns it instead of sending. There is deliberately no silent local
//! fallback: a replica that cannot see the shared count cannot know what the others spent, and
//! guessing would risk a burst past the budget. Callers who prefer to keep going can catch the
//! error and retry later, or build a client with a local store of a fraction of the budget.

use std::fmt;
use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Script, ScriptInvocation};

use crate::error::StoreError;
use crate::store::{Budget, RateLimitStore, Reservation, ServerReport, Ticket};
use crate::token_bucket::TokenBucket;
use crate::window::SlidingWindow;

static TOKEN_BUCKET: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("token_bucket.lua")));
static WINDOW: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("window.lua")));

/// Where the shared budgets live.
#[derive(Clone)]
pub struct RedisConfig {
    url: String,
    prefix: String,
    timeout: Duration,
}

impl fmt::Debug for RedisConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may carry a password: never printed.
        f.debug_struct("RedisConfig")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl RedisConfig {
    /// Redis at `url` (`redis://[user:password@]host:port/db`), keys below `prefix` (name the
    /// account, e.g. `fleet:hetzner:project-42`: replicas sharing a budget use the same
    /// prefix). Timeout 500 ms.
    pub fn new(url: impl Into<String>, prefix: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            prefix: prefix.into(),
            timeout: Duration::from_millis(500),
        }
    }

    /// The most one call may take, connecting included (at least 1 ms).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// The key prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }
}

/// A connection to Redis that builds the shared stores. Cheap to clone; every store built from
/// it shares one multiplexed connection, re-established in the background after a failure.
#[derive(Clone)]
pub struct RedisBudget {
    connection: ConnectionManager,
    prefix: String,
    timeout: Duration,
}

impl fmt::Debug for RedisBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisBudget")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl RedisBudget {
    /// Prepares the connection; it is made on first use, so this does not wait for Redis (a
    /// Redis that is down shows as [`StoreError`] on the first reservation, within the
    /// timeout). Must be called inside a tokio runtime.
    ///
    /// # Errors
    /// [`StoreError::Config`] when the URL is not a Redis URL or the prefix is empty.
    pub fn connect(config: RedisConfig) -> Result<Self, StoreError> {
        if config.prefix.trim().is_empty() {
            return Err(StoreError::Config("the Redis key prefix is empty".into()));
        }
        let client = redis::Client::open(config.url.as_str())
            .map_err(|_| StoreError::Config("the Redis URL is not valid".into()))?;
        let manager = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(config.timeout))
            .set_response_timeout(Some(config.timeout))
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(10))
            .set_max_delay(config.timeout);
        let connection = ConnectionManager::new_lazy_with_config(client, manager)
            .map_err(|e| StoreError::Config(format!("the Redis connection: {:?}", e.kind())))?;
        Ok(Self {
            connection,
            prefix: config.prefix,
            timeout: config.timeout,
        })
    }

    /// A shared token bucket with these numbers (the first replica to use a budget sets them;
    /// a server's `RateLimit-Limit` updates them for all).
    pub fn token_bucket(&self, params: TokenBucket) -> RedisTokenBucket {
        RedisTokenBucket {
            redis: self.clone(),
            params,
        }
    }

    /// A shared sliding window with these numbers.
    pub fn window(&self, params: impl Into<SlidingWindow>) -> RedisWindow {
        RedisWindow {
            redis: self.clone(),
            params: params.into(),
        }
    }

    fn key(&self, budget: Budget, suffix: &str) -> String {
        format!("{}:{}:{suffix}", self.prefix, budget.name())
    }

    async fn run(&self, invocation: ScriptInvocation<'_>) -> Result<Vec<i64>, StoreError> {
        let mut connection = self.connection.clone();
        match tokio::time::timeout(self.timeout, invocation.invoke_async(&mut connection)).await {
            Err(_) => Err(StoreError::Timeout {
                after: self.timeout,
            }),
            Ok(Err(e)) => Err(StoreError::Unavailable {
                source: Box::new(e),
            }),
            Ok(Ok(reply)) => Ok(reply),
        }
    }
}

fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

fn duration(us: i64) -> Duration {
    Duration::from_micros(u64::try_from(us).unwrap_or(0))
}

fn max_wait_arg(max_wait: Option<Duration>) -> i64 {
    max_wait.map_or(-1, micros)
}

fn reservation(reply: &[i64]) -> Result<Reservation, StoreError> {
    match reply {
        [1, wait, ticket] => Ok(Reservation::Granted {
            wait: duration(*wait),
            ticket: u64::try_from(*ticket).unwrap_or(0),
        }),
        [0, wait] => Ok(Reservation::Refused {
            retry_after: duration(*wait),
        }),
        other => Err(StoreError::Protocol(format!(
            "a reservation answered {other:?}"
        ))),
    }
}

fn recorded(reply: &[i64]) -> Result<(), StoreError> {
    match reply {
        [2] => Ok(()),
        other => Err(StoreError::Protocol(format!(
            "an update answered {other:?}"
        ))),
    }
}

/// A token bucket in Redis (see [`crate::LocalTokenBucket`] for the algorithm).
#[derive(Debug, Clone)]
pub struct RedisTokenBucket {
    redis: RedisBudget,
    params: TokenBucket,
}

impl RedisTokenBucket {
    fn invocation(&self, budget: Budget, op: &str) -> ScriptInvocation<'static> {
        let mut invocation = TOKEN_BUCKET.prepare_invoke();
        invocation
            .key(self.redis.key(budget, "bucket"))
            .arg(op)
            .arg(self.params.capacity())
            .arg(micros(self.params.refill_period()).max(1))
            .arg(self.params.headroom());
        invocation
    }
}

#[async_trait]
impl RateLimitStore for RedisTokenBucket {
    async fn reserve(
        &self,
        budget: Budget,
        max_wait: Option<Duration>,
    ) -> Result<Reservation, StoreError> {
        let mut invocation = self.invocation(budget, "reserve");
        invocation.arg(max_wait_arg(max_wait));
        reservation(&self.redis.run(invocation).await?)
    }

    async fn observe(
        &self,
        budget: Budget,
        ticket: Ticket,
        report: ServerReport,
    ) -> Result<(), StoreError> {
        if report.limit.is_none() && report.remaining.is_none() {
            return Ok(());
        }
        let mut invocation = self.invocation(budget, "observe");
        invocation
            .arg(i64::try_from(ticket).unwrap_or(i64::MAX))
            .arg(report.limit.unwrap_or(0))
            .arg(
                report
                    .remaining
                    .map_or(-1, |r| i64::try_from(r).unwrap_or(i64::MAX)),
            );
        recorded(&self.redis.run(invocation).await?)
    }

    async fn exhausted(
        &self,
        budget: Budget,
        _retry_after: Option<Duration>,
    ) -> Result<(), StoreError> {
        let invocation = self.invocation(budget, "exhausted");
        recorded(&self.redis.run(invocation).await?)
    }
}

/// A sliding window in Redis (see [`crate::LocalWindow`] for the algorithm).
#[derive(Debug, Clone)]
pub struct RedisWindow {
    redis: RedisBudget,
    params: SlidingWindow,
}

impl RedisWindow {
    fn invocation(&self, budget: Budget, op: &str, arg: i64) -> ScriptInvocation<'static> {
        let mut invocation = WINDOW.prepare_invoke();
        invocation
            .key(self.redis.key(budget, "slots"))
            .key(self.redis.key(budget, "window"))
            .arg(op)
            .arg(self.params.limit)
            .arg(micros(self.params.span()))
            .arg(micros(self.params.spacing()))
            .arg(arg);
        invocation
    }

    async fn block(&self, budget: Budget, block: Duration) -> Result<(), StoreError> {
        let invocation = self.invocation(budget, "block", micros(block));
        recorded(&self.redis.run(invocation).await?)
    }
}

#[async_trait]
impl RateLimitStore for RedisWindow {
    async fn reserve(
        &self,
        budget: Budget,
        max_wait: Option<Duration>,
    ) -> Result<Reservation, StoreError> {
        let invocation = self.invocation(budget, "reserve", max_wait_arg(max_wait));
        reservation(&self.redis.run(invocation).await?)
    }

    async fn observe(
        &self,
        budget: Budget,
        _ticket: Ticket,
        report: ServerReport,
    ) -> Result<(), StoreError> {
        match (report.remaining, report.reset) {
            (Some(0), Some(reset)) => self.block(budget, reset).await,
            _ => Ok(()),
        }
    }

    async fn exhausted(
        &self,
        budget: Budget,
        retry_after: Option<Duration>,
    ) -> Result<(), StoreError> {
        self.block(budget, retry_after.unwrap_or(self.params.span()))
            .await
    }
}
