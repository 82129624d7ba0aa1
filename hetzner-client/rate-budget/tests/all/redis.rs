//! The Redis stores against a real `redis-server` started on 127.0.0.1 (skipped with a printed
//! reason when it is not installed; failing when `CI` is set).

#![allow(clippy::unwrap_used)] // tests may unwrap

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use rate_budget::redis_store::{RedisBudget, RedisConfig};
use rate_budget::{
    Budget, Gate, GateError, LocalTokenBucket, LocalWindow, RateLimitStore, Reservation,
    ServerReport, SlidingWindow, StoreError, TokenBucket,
};
use tokio::time::Instant;

const ACTIONS: Budget = Budget::named("actions");

fn budget(url: &str, prefix: &str) -> RedisBudget {
    RedisBudget::connect(RedisConfig::new(url, prefix)).unwrap()
}

async fn wait(
    store: &dyn RateLimitStore,
    budget: Budget,
    max: Option<Duration>,
) -> Result<Duration, Duration> {
    match store.reserve(budget, max).await.unwrap() {
        Reservation::Granted { wait, .. } => Ok(wait),
        Reservation::Refused { retry_after } => Err(retry_after),
    }
}

fn near(actual: Duration, expected: Duration) -> bool {
    // Real time passes between calls (Redis TIME): allow 500 ms of drift (the waits compared
    // are 100 s apart), never more wait.
    actual <= expected && expected - actual < Duration::from_millis(500)
}

/// The same script of calls gives the same answers in memory and in Redis.
async fn bucket_script(store: &dyn RateLimitStore) {
    // 5 of burst, refilled over 500 s: 100 s per token.
    for _ in 0..5 {
        assert_eq!(wait(store, Budget::DEFAULT, None).await, Ok(Duration::ZERO));
    }
    let w = wait(store, Budget::DEFAULT, None).await.unwrap();
    assert!(near(w, Duration::from_secs(100)), "{w:?}");
    let r = wait(store, Budget::DEFAULT, Some(Duration::ZERO))
        .await
        .unwrap_err();
    assert!(near(r, Duration::from_secs(200)), "{r:?}");
    // The refusal reserved nothing.
    let w = wait(store, Budget::DEFAULT, Some(Duration::from_secs(300)))
        .await
        .unwrap();
    assert!(near(w, Duration::from_secs(200)), "{w:?}");
    // Another budget is untouched; a report lowers it; a 429 empties it.
    let Reservation::Granted { ticket, .. } = store.reserve(ACTIONS, None).await.unwrap() else {
        panic!("a fresh budget grants");
    };
    let report = ServerReport {
        limit: Some(5),
        remaining: Some(2),
        reset: None,
    };
    store.observe(ACTIONS, ticket, report).await.unwrap();
    assert_eq!(wait(store, ACTIONS, None).await, Ok(Duration::ZERO));
    assert_eq!(wait(store, ACTIONS, None).await, Ok(Duration::ZERO));
    let w = wait(store, ACTIONS, None).await.unwrap();
    assert!(near(w, Duration::from_secs(100)), "{w:?}");
    // A higher report never raises the estimate.
    let higher = ServerReport {
        remaining: Some(5),
        ..ServerReport::default()
    };
    store.observe(ACTIONS, ticket, higher).await.unwrap();
    let w = wait(store, ACTIONS, None).await.unwrap();
    assert!(near(w, Duration::from_secs(200)), "{w:?}");
    store.exhausted(ACTIONS, None).await.unwrap();
    // Two tokens are still owed to queued reservations, and the refill is halved (200 s per
    // token): this one waits for three.
    let w = wait(store, ACTIONS, None).await.unwrap();
    assert!(near(w, Duration::from_secs(600)), "{w:?}");
}

#[tokio::test]
async fn token_bucket_in_redis_answers_like_the_local_one() {
    let Some(redis) = hardening_validators::redis_server() else {
        return;
    };
    let params = TokenBucket::new(5, Duration::from_secs(500));
    bucket_script(&LocalTokenBucket::new(params)).await;
    bucket_script(&budget(&redis.url(), "test:bucket").token_bucket(params)).await;
}

async fn window_script(store: &dyn RateLimitStore) {
    for _ in 0..3 {
        assert_eq!(wait(store, Budget::DEFAULT, None).await, Ok(Duration::ZERO));
    }
    let w = wait(store, Budget::DEFAULT, None).await.unwrap();
    assert!(near(w, Duration::from_secs(100)), "{w:?}");
    let r = wait(store, Budget::DEFAULT, Some(Duration::from_secs(1)))
        .await
        .unwrap_err();
    assert!(near(r, Duration::from_secs(100)), "{r:?}");
    // A 429 blocks the budget; a report of an empty budget blocks until its reset.
    store
        .exhausted(ACTIONS, Some(Duration::from_secs(300)))
        .await
        .unwrap();
    let w = wait(store, ACTIONS, None).await.unwrap();
    assert!(near(w, Duration::from_secs(300)), "{w:?}");
    let empty = ServerReport {
        remaining: Some(0),
        reset: Some(Duration::from_secs(400)),
        ..ServerReport::default()
    };
    store.observe(ACTIONS, 0, empty).await.unwrap();
    let w = wait(store, ACTIONS, None).await.unwrap();
    assert!(near(w, Duration::from_secs(400)), "{w:?}");
}

#[tokio::test]
async fn sliding_window_in_redis_answers_like_the_local_one() {
    let Some(redis) = hardening_validators::redis_server() else {
        return;
    };
    let params = SlidingWindow::new(3, Duration::from_secs(100));
    window_script(&LocalWindow::new(params)).await;
    window_script(&budget(&redis.url(), "test:window").window(params)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_on_separate_connections_share_one_bucket_exactly() {
    let Some(redis) = hardening_validators::redis_server() else {
        return;
    };
    // 20 of burst, one token per 180 s: during the test nothing refills.
    let params = TokenBucket::new(20, Duration::from_secs(3600));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let store = budget(&redis.url(), "test:replicas").token_bucket(params);
        tasks.push(tokio::spawn(async move {
            let mut waits = Vec::new();
            for _ in 0..10 {
                waits.push(wait(&store, Budget::DEFAULT, None).await.unwrap());
            }
            waits
        }));
    }
    let mut waits = Vec::new();
    for task in tasks {
        waits.extend(task.await.unwrap());
    }
    waits.sort();
    assert_eq!(waits.iter().filter(|w| w.is_zero()).count(), 20);
    // Every later reservation got its own refill slot: 180 s, 360 s, ... 60 x 180 s.
    for (k, w) in waits[20..].iter().enumerate() {
        let expected = Duration::from_secs(180) * (k as u32 + 1);
        assert!(
            near(*w, expected),
            "reservation {k}: {w:?} for {expected:?}"
        );
    }
}

#[tokio::test]
async fn prefixes_keep_accounts_apart() {
    let Some(redis) = hardening_validators::redis_server() else {
        return;
    };
    let params = TokenBucket::new(1, Duration::from_secs(3600));
    let a = budget(&redis.url(), "test:a").token_bucket(params);
    let b = budget(&redis.url(), "test:b").token_bucket(params);
    assert_eq!(wait(&a, Budget::DEFAULT, None).await, Ok(Duration::ZERO));
    assert_eq!(wait(&b, Budget::DEFAULT, None).await, Ok(Duration::ZERO));
    assert!(
        wait(&a, Budget::DEFAULT, Some(Duration::ZERO))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn redis_down_is_a_typed_error_within_the_timeout() {
    let Some(redis) = hardening_validators::redis_server() else {
        return;
    };
    let url = redis.url();
    let config = RedisConfig::new(&url, "test:down").timeout(Duration::from_millis(200));
    let store = Arc::new(
        RedisBudget::connect(config)
            .unwrap()
            .token_bucket(TokenBucket::per_hour(3600)),
    );
    assert_eq!(
        wait(&*store, Budget::DEFAULT, None).await,
        Ok(Duration::ZERO)
    );
    redis.stop();
    let gate = Gate::new(store, None);
    for _ in 0..3 {
        let started = Instant::now();
        let err = gate.acquire(Budget::DEFAULT).await.unwrap_err();
        assert!(matches!(err, GateError::Store(_)), "{err:?}");
        // Bounded: the timeout, not a stall (generous slack for a loaded machine).
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
    }
}

#[tokio::test]
async fn a_redis_that_never_answers_times_out() {
    // Accepts connections (the kernel's backlog) and never answers a byte.
    let black_hole = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("redis://{}/", black_hole.local_addr().unwrap());
    let config = RedisConfig::new(url, "test:slow").timeout(Duration::from_millis(200));
    let store = RedisBudget::connect(config)
        .unwrap()
        .window(SlidingWindow::new(10, Duration::from_secs(1)));
    let started = Instant::now();
    let err = store.reserve(Budget::DEFAULT, None).await.unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Timeout { .. } | StoreError::Unavailable { .. }
        ),
        "{err:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn configuration_errors_and_no_secret_in_debug() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        assert!(matches!(
            RedisBudget::connect(RedisConfig::new("http://example.invalid", "p")),
            Err(StoreError::Config(_))
        ));
        assert!(matches!(
            RedisBudget::connect(RedisConfig::new("redis://127.0.0.1:1/", " ")),
            Err(StoreError::Config(_))
        ));
        let config = RedisConfig::new("redis://user:hunter2-secret@127.0.0.1:1/", "p");
        assert!(!format!("{config:?}").contains("hunter2"));
        let redis = RedisBudget::connect(config).unwrap();
        assert!(!format!("{redis:?}").contains("hunter2"));
    });
}
