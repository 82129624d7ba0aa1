//! Two clients sharing one user's window through a real `redis-server` on 127.0.0.1 (skipped
//! with a printed reason when it is not installed; failing when `CI` is set).

#![allow(clippy::unwrap_used)] // tests may unwrap

use std::sync::Arc;
use std::time::Duration;

use cloudflare_client::simulator::Simulator;
use cloudflare_client::transport::rate_limit::RateLimitConfig;
use cloudflare_client::transport::rate_limit::redis_store::{RedisBudget, RedisConfig};
use cloudflare_client::{Client, Error, PlanTier};

fn replica(sim: &Simulator, url: &str, prefix: &str) -> Client {
    let config = RateLimitConfig {
        limit: 3,
        ..RateLimitConfig::default()
    };
    let redis =
        RedisBudget::connect(RedisConfig::new(url, prefix).timeout(Duration::from_millis(200)))
            .unwrap();
    sim.client_builder()
        .rate_limit_store(Arc::new(redis.window(config)))
        .max_gate_wait(Duration::ZERO)
        .build()
        .unwrap()
}

#[tokio::test]
async fn two_clients_spend_one_window() {
    let Some(server) = hardening_validators::redis_server() else {
        return;
    };
    let sim = Simulator::new();
    let zone = sim.add_zone("example.com", PlanTier::Free);
    let a = replica(&sim, &server.url(), "test:cf-user");
    let b = replica(&sim, &server.url(), "test:cf-user");
    a.zones().get(&zone).await.unwrap();
    b.zones().get(&zone).await.unwrap();
    a.zones().get(&zone).await.unwrap();
    // The window of 3 is spent, whichever client asks.
    let err = b.zones().get(&zone).await.unwrap_err();
    assert!(
        matches!(err, Error::RateLimited { retry_after } if retry_after > Duration::from_secs(290)),
        "{err:?}"
    );
    assert_eq!(sim.stats().requests, 3);
    // Another user (prefix) has its own window.
    replica(&sim, &server.url(), "test:cf-other")
        .zones()
        .get(&zone)
        .await
        .unwrap();

    server.stop();
    let err = a.zones().get(&zone).await.unwrap_err();
    assert!(matches!(err, Error::RateBudget(_)), "{err:?}");
    assert_eq!(sim.stats().requests, 4);
}
