//! Replicas sharing one project's budget through a real `redis-server` on 127.0.0.1 (skipped
//! with a printed reason when it is not installed; failing when `CI` is set). Real time: the
//! simulator's bucket is scaled down to 10 requests refilled every 500 ms (one every 50 ms).
//!
//! Two buckets with the same numbers on two clocks disagree by the delay between the gate and
//! the server: a request held up on a busy machine arrives closer to the next one than the gate
//! let it go. The replicas keep [`HEADROOM`] tokens back, which absorbs up to 150 ms of such
//! jitter, as a deployment keeps some back for its network.

#![allow(clippy::unwrap_used)] // tests may unwrap

use std::sync::Arc;
use std::time::Duration;

use hetzner_client::rate_limit::redis_store::{RedisBudget, RedisConfig};
use hetzner_client::simulator::Simulator;
use hetzner_client::{Client, Error, RateLimitPolicy};

const PERIOD: Duration = Duration::from_millis(500);
const HEADROOM: u32 = 3;

fn policy() -> RateLimitPolicy {
    RateLimitPolicy::default()
        .limit(10)
        .refill_period(PERIOD)
        .headroom(HEADROOM)
}

fn replica(sim: &Simulator, redis: Option<&RedisBudget>) -> Client {
    let policy = match redis {
        Some(redis) => policy().shared_state(Arc::new(redis.token_bucket(policy().bucket()))),
        None => policy(),
    };
    sim.client_builder().rate_limit(policy).build().unwrap()
}

/// 60 GETs from 6 tasks over 3 clients; returns how many failed.
async fn load(clients: &[Client]) -> usize {
    let mut tasks = Vec::new();
    for task in 0..6 {
        let client = clients[task % clients.len()].clone();
        tasks.push(tokio::spawn(async move {
            let mut failed = 0;
            for _ in 0..10 {
                failed += usize::from(client.locations().get(1).await.is_err());
            }
            failed
        }));
    }
    let mut failed = 0;
    for task in tasks {
        failed += task.await.unwrap();
    }
    failed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_sharing_redis_never_draw_a_429() {
    let Some(server) = hardening_validators::redis_server() else {
        return;
    };
    let sim = Simulator::with_bucket(10, PERIOD);
    // Each replica its own connection to Redis, as separate processes would have.
    let clients: Vec<Client> = (0..3)
        .map(|_| {
            let redis =
                RedisBudget::connect(RedisConfig::new(server.url(), "test:project")).unwrap();
            replica(&sim, Some(&redis))
        })
        .collect();
    assert_eq!(load(&clients).await, 0);
    assert_eq!(sim.count_status(429), 0);
    assert_eq!(sim.requests().len(), 60);

    // The same load with a bucket per replica overdraws the project.
    let sim = Simulator::with_bucket(10, PERIOD);
    let clients: Vec<Client> = (0..3).map(|_| replica(&sim, None)).collect();
    assert_eq!(load(&clients).await, 0, "429s are retried");
    assert!(sim.count_status(429) > 0);
}

#[tokio::test]
async fn a_redis_that_is_down_sends_nothing() {
    let Some(server) = hardening_validators::redis_server() else {
        return;
    };
    let url = server.url();
    server.stop();
    let sim = Simulator::with_bucket(10, PERIOD);
    let config = RedisConfig::new(url, "test:down").timeout(Duration::from_millis(200));
    let client = replica(&sim, Some(&RedisBudget::connect(config).unwrap()));
    let err = client.locations().get(1).await.unwrap_err();
    assert!(matches!(err, Error::RateBudget(_)), "{err:?}");
    assert!(err.is_retryable());
    assert!(sim.requests().is_empty());
}
