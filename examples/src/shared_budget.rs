//! `bench-shared-budget`: several control-plane replicas, each with its own Hetzner client,
//! spending one project's budget, against the simulator served over loopback HTTP.
//!
//! Each replica is a separate [`Client`] (its own connection pool and its own Redis
//! connection) running [`TASKS_PER_REPLICA`] tasks. Shared, the replicas' gates keep the bucket
//! in Redis (one Lua script per call, on Redis `TIME`); unshared, each keeps its own in-memory
//! bucket, as replicas without a shared store do. The simulator's bucket is scaled down so the
//! run takes seconds of real time instead of hours: [`CAPACITY`] requests, all refilled every
//! [`REFILL_PERIOD`] (Hetzner's shape, scaled: 20 of burst and 200 per second instead of 3600
//! and 1 per second), and the clients are told the same numbers.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hetzner_client::rate_limit::redis_store::{RedisBudget, RedisConfig};
use hetzner_client::simulator::{SIMULATOR_TOKEN, Simulator};
use hetzner_client::{Client, RateLimitPolicy};

use crate::error::{Error, Result};
use crate::loopback;

/// The scaled bucket's capacity (Hetzner's: 3600).
pub const CAPACITY: u32 = 20;
/// The scaled bucket's refill period (Hetzner's: one hour): 200 tokens per second.
pub const REFILL_PERIOD: Duration = Duration::from_millis(100);
/// Tokens of burst the clients hold back (10 ms at 200 per second): the simulator's full
/// bucket wastes refill, so a burst delayed on a loaded machine could otherwise meet a 429.
pub const HEADROOM: u32 = 2;
/// Tasks each replica runs.
pub const TASKS_PER_REPLICA: usize = 4;

/// One measured run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Run {
    /// Replicas (separate clients).
    pub replicas: usize,
    /// Requests sent in all.
    pub requests: usize,
    /// Wall time from the first request to the last answer.
    pub makespan: Duration,
    /// 429s the simulator answered.
    pub http_429: usize,
    /// Requests that failed.
    pub errors: usize,
}

impl Run {
    /// Makespan over the theoretical minimum: the burst goes at once, the rest at the refill
    /// rate.
    pub fn ratio(&self) -> f64 {
        let per_second = f64::from(CAPACITY) / REFILL_PERIOD.as_secs_f64();
        let paced = self.requests.saturating_sub(CAPACITY as usize) as f64;
        self.makespan.as_secs_f64() / (paced / per_second).max(1e-9)
    }

    /// The figures on one line.
    pub fn line(&self, label: &str) -> String {
        format!(
            "{label}: replicas={} requests={} makespan={:.3}s makespan_ratio={:.4} http_429={} errors={}",
            self.replicas,
            self.requests,
            self.makespan.as_secs_f64(),
            self.ratio(),
            self.http_429,
            self.errors
        )
    }
}

/// The policy every replica uses: the simulator's scaled numbers.
pub fn policy() -> RateLimitPolicy {
    RateLimitPolicy::default()
        .limit(CAPACITY)
        .refill_period(REFILL_PERIOD)
        .headroom(HEADROOM)
}

/// How the replicas keep their budget.
#[derive(Debug, Clone)]
pub enum Sharing {
    /// One bucket in Redis at this URL, under this key prefix.
    Redis {
        /// `redis://host:port/`.
        url: String,
        /// The key prefix naming the project (fresh per run).
        prefix: String,
    },
    /// Each replica its own in-memory bucket.
    Unshared,
}

fn replica(endpoint: &str, sharing: &Sharing) -> Result<Client> {
    let policy = policy();
    let policy = match sharing {
        Sharing::Redis { url, prefix } => {
            let redis = RedisBudget::connect(RedisConfig::new(url.as_str(), prefix.as_str()))
                .map_err(hetzner_client::Error::RateBudget)?;
            let store = Arc::new(redis.token_bucket(policy.bucket()));
            policy.shared_state(store)
        }
        Sharing::Unshared => policy,
    };
    Ok(Client::builder()
        .token(SIMULATOR_TOKEN)
        .endpoint(endpoint)
        .rate_limit(policy)
        .build()?)
}

/// `requests` GETs split evenly over `replicas` separate clients against a fresh simulator
/// project with the scaled bucket, served over loopback HTTP.
///
/// # Errors
/// The loopback server or a client could not start.
pub async fn run(replicas: usize, requests: usize, sharing: Sharing) -> Result<Run> {
    let sim = Simulator::with_bucket(CAPACITY, REFILL_PERIOD);
    let server = loopback::serve(&sim)
        .await
        .map_err(|e| Error::State(format!("could not start the loopback server: {e}")))?;
    let endpoint = server.endpoint();
    let clients = (0..replicas.max(1))
        .map(|_| replica(&endpoint, &sharing))
        .collect::<Result<Vec<_>>>()?;
    let tasks = clients.len() * TASKS_PER_REPLICA;
    let start = Instant::now();
    let mut handles = Vec::with_capacity(tasks);
    for task in 0..tasks {
        let client = clients[task % clients.len()].clone();
        let share = requests / tasks + usize::from(task < requests % tasks);
        handles.push(tokio::spawn(async move {
            let mut errors = 0;
            for _ in 0..share {
                errors += usize::from(client.locations().get(1).await.is_err());
            }
            errors
        }));
    }
    let mut errors = 0;
    for handle in handles {
        errors += handle.await.unwrap_or(1);
    }
    let makespan = start.elapsed();
    server.stop();
    Ok(Run {
        replicas: clients.len(),
        requests,
        makespan,
        http_429: sim.count_status(429),
        errors,
    })
}
