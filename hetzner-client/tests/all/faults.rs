//! Fault injection: zero duplicates and zero lost results.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use futures::TryStreamExt;
use hetzner_client::resources::firewalls::CreateFirewall;
use hetzner_client::resources::servers::CreateServer;
use hetzner_client::resources::ssh_keys::CreateSshKey;
use hetzner_client::simulator::{Fault, Simulator};
use hetzner_client::{Client, Error, ListParams, RateLimitPolicy, RetryPolicy};
use http::Method;

const KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl admin";

fn setup() -> (Simulator, Client) {
    let sim = Simulator::new();
    let client = Client::simulated(&sim).unwrap();
    (sim, client)
}

fn posts(sim: &Simulator, path: &str) -> usize {
    sim.requests()
        .iter()
        .filter(|r| r.method == Method::POST && r.path == path)
        .count()
}

#[tokio::test(start_paused = true)]
async fn dropped_connection_during_server_create_ends_with_exactly_one_server() {
    let (sim, client) = setup();
    sim.inject(Fault::DropConnection, Method::POST, "/servers", 1);
    let created = client
        .servers()
        .create(
            &CreateServer::new("rc-fsn1-0a1b2c", "cx22", "ubuntu-24.04")
                .user_data("#cloud-config\n"),
        )
        .await
        .unwrap();
    assert!(created.reconciled);
    assert_eq!(created.server.name, "rc-fsn1-0a1b2c");
    assert_eq!(sim.servers().len(), 1);
    assert_eq!(posts(&sim, "/servers"), 1, "the POST was never replayed");
    assert_eq!(
        sim.user_data(created.server.id).as_deref(),
        Some("#cloud-config\n")
    );
}

#[tokio::test(start_paused = true)]
async fn dropped_or_failed_creates_never_duplicate_firewalls_or_keys() {
    let (sim, client) = setup();
    sim.inject(Fault::DropConnection, Method::POST, "/firewalls", 1);
    let fw = client
        .firewalls()
        .create(&CreateFirewall::new("edge"))
        .await
        .unwrap();
    assert!(fw.reconciled);
    sim.inject(
        Fault::Slow(Duration::from_secs(120)),
        Method::POST,
        "/ssh_keys",
        1,
    );
    let key = client
        .ssh_keys()
        .create(&CreateSshKey::new("admin-bob-202609", KEY))
        .await
        .unwrap();
    assert!(
        key.reconciled,
        "a timed-out create is looked up, not replayed"
    );
    assert_eq!(sim.firewalls().len(), 1);
    assert_eq!(sim.ssh_keys().len(), 1);
    assert_eq!(posts(&sim, "/firewalls"), 1);
    assert_eq!(posts(&sim, "/ssh_keys"), 1);
}

#[tokio::test(start_paused = true)]
async fn a_create_that_was_not_applied_is_sent_again_once() {
    let (sim, client) = setup();
    // 500 server_error: not applied in the simulator, but the client cannot know that, so it
    // looks up the name, finds nothing, and sends the POST again.
    sim.inject(Fault::ServerError, Method::POST, "/servers", 1);
    let created = client
        .servers()
        .create(&CreateServer::new("again", "cx22", "ubuntu-24.04"))
        .await
        .unwrap();
    assert!(!created.reconciled);
    assert_eq!(posts(&sim, "/servers"), 2);
    assert_eq!(sim.servers().len(), 1);
    // a refused connection never reached the server: a plain retry
    sim.inject(Fault::Refuse, Method::POST, "/servers", 1);
    client
        .servers()
        .create(&CreateServer::new("again2", "cx22", "ubuntu-24.04"))
        .await
        .unwrap();
    assert_eq!(sim.servers().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn many_concurrent_creates_under_faults_make_each_server_exactly_once() {
    let (sim, client) = setup();
    sim.inject(Fault::DropConnection, Method::POST, "/servers", 7);
    sim.inject(Fault::ServerError, Method::GET, "/servers", 5);
    let mut tasks = Vec::new();
    for i in 0..40 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            client
                .servers()
                .create(&CreateServer::new(format!("n{i}"), "cx22", "ubuntu-24.04"))
                .await
        }));
    }
    let mut names = Vec::new();
    for t in tasks {
        names.push(t.await.unwrap().unwrap().server.name);
    }
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 40, "no lost results");
    assert_eq!(sim.servers().len(), 40, "no duplicates");
}

#[tokio::test(start_paused = true)]
async fn idempotent_reads_retry_transient_failures_and_lose_nothing() {
    let (sim, client) = setup();
    for i in 0..60 {
        client
            .servers()
            .create(&CreateServer::new(format!("r{i}"), "cx22", "ubuntu-24.04"))
            .await
            .unwrap();
    }
    sim.inject(Fault::ServerError, Method::GET, "/servers", 1);
    sim.inject(Fault::BareUnavailable, Method::GET, "/servers", 1);
    sim.inject(Fault::DropConnection, Method::GET, "/servers", 1);
    sim.inject(Fault::Conflict, Method::GET, "/servers", 1);
    let all: Vec<_> = client
        .servers()
        .stream(ListParams::default())
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 60);
}

#[tokio::test(start_paused = true)]
async fn retries_stop_after_max_attempts_with_the_last_error() {
    let sim = Simulator::new();
    let client = sim
        .client_builder()
        .retry(RetryPolicy::default().max_attempts(3))
        .build()
        .unwrap();
    sim.inject(Fault::ServerError, Method::GET, "/locations", 10);
    let err = client
        .locations()
        .list(&ListParams::default())
        .await
        .unwrap_err();
    assert_eq!(err.status().map(u16::from), Some(500));
    assert_eq!(sim.requests().len(), 3);
}

#[tokio::test(start_paused = true)]
async fn malformed_bodies_on_reads_are_interrupted_transfers_and_retried() {
    let (sim, client) = setup();
    sim.inject(Fault::MalformedBody, Method::GET, "/servers", 1);
    let page = client.servers().list(ListParams::default()).await.unwrap();
    assert!(page.items.is_empty());
    assert_eq!(
        sim.requests().len(),
        2,
        "the damaged answer was retried once"
    );

    sim.inject(Fault::MalformedBody, Method::GET, "/servers", 100);
    let err = client
        .servers()
        .list(ListParams::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Transport(t) if t.kind() == hetzner_client::TransportErrorKind::UndecodableBody),
        "{err:?}"
    );
    assert_eq!(
        sim.requests().len(),
        2 + 5,
        "five attempts, then the damage is reported"
    );
}

#[tokio::test(start_paused = true)]
async fn injected_429_is_waited_out_for_posts_too() {
    let (sim, client) = setup();
    sim.inject(Fault::RateLimited, Method::POST, "/servers", 2);
    let start = tokio::time::Instant::now();
    client
        .servers()
        .create(&CreateServer::new("limited", "cx22", "ubuntu-24.04"))
        .await
        .unwrap();
    assert!(start.elapsed() >= Duration::from_secs(1));
    assert_eq!(sim.count_status(429), 2);
    assert_eq!(sim.servers().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn fail_fast_returns_rate_limited_without_sending() {
    let sim = Simulator::with_limit(10);
    let client = sim
        .client_builder()
        .rate_limit(RateLimitPolicy::default().limit(10).fail_fast(true))
        .build()
        .unwrap();
    for _ in 0..10 {
        client.locations().get(1).await.unwrap();
    }
    let err = client.locations().get(1).await.unwrap_err();
    assert!(err.is_rate_limited());
    match err {
        Error::RateLimited { retry_after } => assert!(retry_after <= Duration::from_secs(360)),
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(
        sim.requests().len(),
        10,
        "nothing sent once the budget was gone"
    );
}

#[tokio::test(start_paused = true)]
async fn the_gate_paces_a_burst_without_any_429() {
    let sim = Simulator::with_limit(60);
    let client = sim
        .client_builder()
        .rate_limit(RateLimitPolicy::default().limit(60))
        .build()
        .unwrap();
    let start = tokio::time::Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..20 {
                client.locations().get(1).await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    // 160 requests, 60 burst, then 1 per 60 s: 100 x 60 s
    let elapsed = start.elapsed().as_secs_f64();
    assert!((elapsed - 6000.0).abs() < 61.0, "makespan {elapsed}");
    assert_eq!(sim.count_status(429), 0);
}

#[tokio::test(start_paused = true)]
async fn the_gate_resyncs_when_another_process_spends_the_budget() {
    let sim = Simulator::with_limit(100);
    let ours = sim
        .client_builder()
        .rate_limit(RateLimitPolicy::default().limit(100))
        .build()
        .unwrap();
    let theirs = sim
        .client_builder()
        .rate_limit(RateLimitPolicy::disabled())
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    for _ in 0..90 {
        theirs.locations().get(1).await.unwrap();
    }
    ours.locations().get(1).await.unwrap(); // learns remaining = 9
    for _ in 0..20 {
        ours.locations().get(1).await.unwrap();
    }
    assert_eq!(
        sim.count_status(429),
        0,
        "the header re-sync prevented every 429"
    );
}

#[tokio::test(start_paused = true)]
async fn a_delete_whose_response_was_lost_still_succeeds_once() {
    let (sim, client) = setup();
    let key = client
        .ssh_keys()
        .create(&CreateSshKey::new("gone", KEY))
        .await
        .unwrap()
        .ssh_key;
    sim.inject(Fault::DropConnection, Method::DELETE, "/ssh_keys", 1);
    client.ssh_keys().delete(key.id).await.unwrap();
    assert!(sim.ssh_keys().is_empty());
    // a plain delete of something that never existed is still not_found
    assert!(
        client
            .ssh_keys()
            .delete(key.id)
            .await
            .unwrap_err()
            .is_not_found()
    );
}

#[tokio::test(start_paused = true)]
async fn action_polling_can_spend_its_own_budget() {
    let sim = Simulator::with_limit(5);
    sim.set_action_limit(7200);
    let client = sim
        .client_builder()
        .rate_limit(
            RateLimitPolicy::default()
                .limit(5)
                .separate_actions_budget(true),
        )
        .build()
        .unwrap();
    let created = client
        .servers()
        .create(&CreateServer::new("poll", "cx22", "ubuntu-24.04"))
        .await
        .unwrap();
    for _ in 0..4 {
        client.locations().get(1).await.unwrap();
    }
    // the general budget is spent; polling goes on from the actions budget without waiting
    // for it
    let start = tokio::time::Instant::now();
    client.actions().wait_for(&created.actions()).await.unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(30),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(sim.count_status(429), 0);
    let polls = sim
        .requests()
        .iter()
        .filter(|r| r.path == "/actions")
        .count();
    assert!(polls >= 1);
}
