//! The shared fault policy over a real socket: a scripted HTTP/1.1 server on 127.0.0.1
//! answers as a faulty proxy would (damaged 2xx bodies, redirects, bare 429s), with valid
//! bodies taken from the simulator.
#![allow(clippy::unwrap_used)]

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use api_transport::fault_server::{EventLog, FaultServer, Recorded, Reply};
use hetzner_client::resources::servers::CreateServer;
use hetzner_client::simulator::Simulator;
use hetzner_client::{
    Client, Error, ListParams, RateLimitPolicy, RequestSpec, RetryPolicy, TransportErrorKind,
};

const TOKEN: &str = "hcloud-token-very-secret";
const SECRET: &str = "callback-secret-s3kr1t";

/// A client of `server` with millisecond backoffs.
fn client(server: &FaultServer, rate_limit: RateLimitPolicy) -> Client {
    Client::builder()
        .token(TOKEN)
        .base_url(server.url("/v1"))
        .retry(
            RetryPolicy::default()
                .initial_backoff(Duration::from_millis(5))
                .max_backoff(Duration::from_millis(20))
                .progress_interval(Duration::from_millis(500)),
        )
        .rate_limit(rate_limit)
        .request_timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// The simulator's answer to `GET /servers?name=NAME` after creating NAME: a valid list body.
async fn listed(name: &str) -> Vec<u8> {
    let sim = Simulator::new();
    let client = Client::simulated(&sim).unwrap();
    client
        .servers()
        .create(&CreateServer::new(name, "cx22", "ubuntu-24.04"))
        .await
        .unwrap();
    let spec = RequestSpec::get("/servers").with_query("name", name);
    client.execute(&spec).await.unwrap().body.to_vec()
}

#[tokio::test]
async fn damaged_success_bodies_on_a_get_are_retried() {
    let body = listed("web-1").await;
    let attempt = AtomicU32::new(0);
    let server = FaultServer::start(move |_| match attempt.fetch_add(1, Ordering::SeqCst) {
        0 => Reply::new(200)
            .header("content-type", "text/html")
            .body("<html><body>Bad gateway</body></html>"),
        1 => Reply::json(200, &body[..body.len() / 2]),
        2 => Reply::json(200, "{\"servers\": [] } trailing"),
        _ => Reply::json(200, body.clone()),
    })
    .await
    .unwrap();
    let page = client(&server, RateLimitPolicy::default())
        .servers()
        .list(ListParams::default())
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].name, "web-1");
    assert_eq!(server.count("GET"), 4);
}

#[tokio::test]
async fn a_damaged_201_on_create_server_is_reconciled_by_name_without_a_second_post() {
    let body = listed("web-2").await;
    let server = FaultServer::start(move |request: &Recorded| match request.method.as_str() {
        "POST" => Reply::json(201, "{\"server\": {\"id\": 42, \"name\": \"web-"),
        _ if request.target.contains("name=web-2") => Reply::json(200, body.clone()),
        _ => Reply::json(
            404,
            "{\"error\":{\"code\":\"not_found\",\"message\":\"no\"}}",
        ),
    })
    .await
    .unwrap();
    let created = client(&server, RateLimitPolicy::default())
        .servers()
        .create(&CreateServer::new("web-2", "cx22", "ubuntu-24.04").user_data("#cloud-config\n"))
        .await
        .unwrap();
    assert!(created.reconciled);
    assert_eq!(created.server.name, "web-2");
    assert_eq!(server.count("POST"), 1, "the POST was not replayed");
}

#[tokio::test]
async fn a_damaged_post_answer_says_it_may_have_been_applied() {
    let server = FaultServer::start(|_| Reply::json(200, "<html>oops</html>"))
        .await
        .unwrap();
    let spec = RequestSpec::post("/servers/7/actions/poweron", serde_json::json!({}));
    let err = client(&server, RateLimitPolicy::default())
        .execute(&spec)
        .await
        .unwrap_err();
    let Error::Transport(transport) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(transport.kind(), TransportErrorKind::UndecodableBody);
    assert!(err.may_have_been_applied());
    assert_eq!(server.count("POST"), 1);
}

#[tokio::test]
async fn redirects_are_not_followed_and_the_body_never_leaves_for_another_host() {
    let elsewhere = FaultServer::start(|_| Reply::json(201, "{}"))
        .await
        .unwrap();
    let target = elsewhere.url("/v1/servers?token=leak");
    let api = FaultServer::start(move |request: &Recorded| {
        let status = if request.method == "POST" { 307 } else { 301 };
        Reply::new(status).header("location", &target)
    })
    .await
    .unwrap();
    let client = client(&api, RateLimitPolicy::default());
    let err = client
        .servers()
        .create(&CreateServer::new("web-3", "cx22", "ubuntu-24.04").user_data(SECRET))
        .await
        .unwrap_err();
    let Error::Transport(transport) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(transport.kind(), TransportErrorKind::Redirected);
    let origin = format!("http://{}", elsewhere.addr());
    assert_eq!(
        transport.redirect().and_then(|r| r.origin.as_deref()),
        Some(origin.as_str())
    );
    let text = format!("{err} / {transport} / {err:?}");
    assert!(text.contains(&origin), "{text}");
    for hidden in [TOKEN, SECRET, "token=leak"] {
        assert!(!text.contains(hidden), "{hidden} in {text}");
    }
    assert!(!err.may_have_been_applied());
    assert_eq!(api.count("POST"), 1, "a redirect is not retried");
    assert!(
        elsewhere.requests().is_empty(),
        "nothing went to the Location"
    );

    let err = client.servers().get(1).await.unwrap_err();
    assert!(matches!(&err, Error::Transport(t) if t.kind() == TransportErrorKind::Redirected));
    assert!(elsewhere.requests().is_empty());
}

#[tokio::test]
async fn plain_http_is_accepted_on_loopback_only() {
    let err = Client::builder()
        .token(TOKEN)
        .base_url("http://api.hetzner.cloud/v1")
        .build()
        .unwrap_err();
    assert!(matches!(&err, Error::Invalid { field, .. } if field == "base_url"));
    let server = FaultServer::start(|_| Reply::json(200, "{\"server\":null}"))
        .await
        .unwrap();
    let localhost = format!("http://localhost:{}/v1", server.addr().port());
    let client = Client::builder()
        .token(TOKEN)
        .base_url(localhost)
        .build()
        .unwrap();
    client
        .execute(&RequestSpec::get("/servers/1"))
        .await
        .unwrap();
    assert_eq!(server.requests().len(), 1);
}

/// A 429 without `Retry-After`, with the bucket headers saying one request is back in `secs`.
fn bare_429(secs: u64) -> Reply {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    Reply::json(
        429,
        "{\"error\":{\"code\":\"rate_limit_exceeded\",\"message\":\"limit of 3600 requests per hour reached\"}}",
    )
    .header("ratelimit-limit", "3600")
    .header("ratelimit-remaining", "3599")
    .header("ratelimit-reset", &(now + secs).to_string())
}

#[tokio::test]
async fn a_bare_429_waits_for_the_bucket_reporting_progress() {
    let (log, _guard) = EventLog::capture();
    let body = listed("web-4").await;
    let attempt = AtomicU32::new(0);
    let server = FaultServer::start(move |_| match attempt.fetch_add(1, Ordering::SeqCst) {
        0 => bare_429(4),
        _ => Reply::json(200, body.clone()),
    })
    .await
    .unwrap();
    let start = Instant::now();
    let page = client(&server, RateLimitPolicy::disabled())
        .servers()
        .list(ListParams::default())
        .await
        .unwrap();
    let waited = start.elapsed();
    assert_eq!(page.items.len(), 1);
    // One request is back at the reset (3 to 4 s from now, by whole seconds).
    assert!(waited >= Duration::from_millis(2900), "{waited:?}");
    assert_eq!(server.requests().len(), 2);
    let lines = log.lines();
    let log = lines.join("\n");
    let progress: Vec<&String> = lines.iter().filter(|l| l.contains("s remain")).collect();
    assert!(progress.len() >= 4, "an event every 500 ms:\n{log}");
    assert!(progress.iter().all(|l| l.contains("hetzner")), "{log}");
}

#[tokio::test]
async fn a_bare_429_with_fail_fast_returns_the_documented_wait_at_once() {
    let server = FaultServer::start(|_| bare_429(40)).await.unwrap();
    let start = Instant::now();
    let err = client(&server, RateLimitPolicy::default().fail_fast(true))
        .servers()
        .list(ListParams::default())
        .await
        .unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(5));
    let Error::RateLimited { retry_after } = err else {
        panic!("{err:?}")
    };
    // 40 s until one request is back (whole seconds: 39 to 40).
    assert!(
        (Duration::from_secs(38)..=Duration::from_secs(40)).contains(&retry_after),
        "{retry_after:?}"
    );
    assert_eq!(server.requests().len(), 1);
}
