//! The shared fault policy over a real socket: a scripted HTTP/1.1 server on 127.0.0.1
//! answers as a faulty proxy would (damaged 2xx bodies, redirects, bare 429s).
#![allow(clippy::unwrap_used)]

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use api_transport::fault_server::{FaultServer, Recorded, Reply};
use cloudflare_client::resources::dns::{NewDnsRecord, RecordType};
use cloudflare_client::resources::settings::{Ssl, SslMode};
use cloudflare_client::transport::retry::default_policy;
use cloudflare_client::{Client, ClientBuilder, Error, TransportErrorKind};

const TOKEN: &str = "cf-token-very-secret-4242";
const ZONE: &str = "023e105f4ecef8ad9ca31a8372d0c353";
const SSL: &str = r#"{"success":true,"errors":[],"messages":[],"result":{"id":"ssl","value":"strict","editable":true,"modified_on":"2026-01-01T00:00:00Z"}}"#;
const RECORD: &str = r#"{"id":"rec1","type":"A","name":"www.example.com","content":"192.0.2.1","ttl":1,"proxied":false}"#;

/// A builder for `server` with millisecond backoffs.
fn builder(server: &FaultServer) -> ClientBuilder {
    Client::builder()
        .token(TOKEN)
        .base_url(&server.url("/client/v4"))
        .unwrap()
        .retry(
            default_policy()
                .initial_backoff(Duration::from_millis(5))
                .max_backoff(Duration::from_millis(20)),
        )
        .request_timeout(Duration::from_secs(10))
}

fn www() -> NewDnsRecord {
    NewDnsRecord::new(RecordType::A, "www.example.com", "192.0.2.1")
}

#[tokio::test]
async fn damaged_success_bodies_on_a_get_are_retried() {
    let attempt = AtomicU32::new(0);
    let server = FaultServer::start(move |_| match attempt.fetch_add(1, Ordering::SeqCst) {
        0 => Reply::new(200)
            .header("content-type", "text/html")
            .body("<html><body>Bad gateway</body></html>"),
        1 => Reply::json(200, &SSL[..SSL.len() / 2]),
        _ => Reply::json(200, SSL),
    })
    .await
    .unwrap();
    let ssl = builder(&server)
        .build()
        .unwrap()
        .settings(ZONE)
        .get::<Ssl>()
        .await
        .unwrap();
    assert_eq!(ssl.value, SslMode::Strict);
    assert_eq!(server.count("GET"), 3);
    assert!(
        server.requests()[0]
            .header("accept")
            .is_some_and(|a| a.contains("json"))
    );
}

#[tokio::test]
async fn a_damaged_answer_to_a_dns_create_is_reconciled_without_a_second_post() {
    let server = FaultServer::start(|request: &Recorded| match request.method.as_str() {
        "POST" => Reply::json(200, r#"{"success":true,"result":{"id":"rec1","ty"#),
        _ => Reply::json(
            200,
            format!(
                r#"{{"success":true,"errors":[],"messages":[],"result":[{RECORD}],"result_info":{{"page":1,"per_page":100,"count":1,"total_count":1,"total_pages":1}}}}"#
            ),
        ),
    })
    .await
    .unwrap();
    let record = builder(&server)
        .build()
        .unwrap()
        .dns(ZONE)
        .create(&www())
        .await
        .unwrap();
    assert_eq!(record.id, "rec1");
    assert_eq!(server.count("POST"), 1, "the POST was not replayed");
    assert_eq!(
        server.count("GET"),
        1,
        "the create was reconciled by a lookup"
    );
}

#[tokio::test]
async fn a_damaged_post_answer_says_it_may_have_been_applied() {
    let server = FaultServer::start(|_| Reply::json(200, "<html>oops</html>"))
        .await
        .unwrap();
    let spec = cloudflare_client::transport::request::RequestSpec::post(
        format!("/zones/{ZONE}/purge_cache"),
        serde_json::json!({"purge_everything": true}),
    );
    let err = builder(&server)
        .build()
        .unwrap()
        .execute_json::<serde_json::Value>(&spec)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Transport(t) if t.kind() == TransportErrorKind::UndecodableBody),
        "{err:?}"
    );
    assert!(err.may_have_been_applied());
    assert_eq!(server.count("POST"), 1);
}

#[tokio::test]
async fn redirects_are_not_followed_and_the_body_never_leaves_for_another_host() {
    let elsewhere = FaultServer::start(|_| Reply::json(200, SSL)).await.unwrap();
    let target = elsewhere.url("/client/v4/zones?token=leak");
    let api = FaultServer::start(move |request: &Recorded| {
        let status = if request.method == "GET" { 302 } else { 308 };
        Reply::new(status).header("location", &target)
    })
    .await
    .unwrap();
    let client = builder(&api).build().unwrap();
    let err = client.dns(ZONE).create(&www()).await.unwrap_err();
    let Error::Transport(transport) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(transport.kind(), TransportErrorKind::Redirected);
    let origin = format!("http://{}", elsewhere.addr());
    let text = format!("{transport} / {err:?}");
    assert!(text.contains(&origin), "{text}");
    assert!(
        !text.contains(TOKEN) && !text.contains("token=leak"),
        "{text}"
    );
    assert!(!err.may_have_been_applied());
    assert_eq!(api.count("POST"), 1, "a redirect is not retried");

    let err = client.settings(ZONE).get::<Ssl>().await.unwrap_err();
    assert!(matches!(&err, Error::Transport(t) if t.kind() == TransportErrorKind::Redirected));
    assert_eq!(api.count("GET"), 1);
    assert!(
        elsewhere.requests().is_empty(),
        "nothing went to the Location"
    );
}

#[tokio::test]
async fn plain_http_is_accepted_on_loopback_only() {
    let err = Client::builder()
        .base_url("http://api.cloudflare.com/client/v4")
        .unwrap_err();
    assert!(matches!(&err, Error::Invalid { field, .. } if field == "base_url"));
    let server = FaultServer::start(|_| Reply::json(200, SSL)).await.unwrap();
    let localhost = format!("http://localhost:{}/client/v4", server.addr().port());
    let client = Client::builder()
        .token(TOKEN)
        .base_url(&localhost)
        .unwrap()
        .build()
        .unwrap();
    client.settings(ZONE).get::<Ssl>().await.unwrap();
    assert_eq!(server.requests().len(), 1);
}

const BLOCKED: &str = r#"{"success":false,"errors":[{"code":971,"message":"Please wait and consider throttling your request speed"}],"messages":[],"result":null}"#;

/// A settings read against a server that answers every request with a bare 429 (no
/// `Retry-After`), by a client `configure`d by the test: the error, after one request that
/// ended without waiting.
async fn blocked_read(configure: impl FnOnce(ClientBuilder) -> ClientBuilder) -> Error {
    let server = FaultServer::start(|_| Reply::json(429, BLOCKED))
        .await
        .unwrap();
    let start = Instant::now();
    let err = configure(builder(&server))
        .build()
        .unwrap()
        .settings(ZONE)
        .get::<Ssl>()
        .await
        .unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(5));
    assert_eq!(server.requests().len(), 1);
    err
}

#[tokio::test]
async fn a_bare_429_is_the_five_minute_block_and_fail_fast_says_so_at_once() {
    let err = blocked_read(|b| b.max_gate_wait(Duration::ZERO)).await;
    assert!(
        matches!(err, Error::RateLimited { retry_after } if retry_after == Duration::from_secs(300)),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_bare_429_longer_than_the_callers_limit_ends_the_call_with_the_refusal() {
    let err =
        blocked_read(|b| b.retry(default_policy().max_rate_limit_wait(Duration::from_secs(60))))
            .await;
    assert!(err.is_rate_limited() && err.has_code(971), "{err:?}");
}

#[tokio::test]
async fn a_429_with_retry_after_is_waited_out() {
    let attempt = AtomicU32::new(0);
    let server = FaultServer::start(move |_| match attempt.fetch_add(1, Ordering::SeqCst) {
        0 => Reply::json(429, BLOCKED).header("retry-after", "1"),
        _ => Reply::json(200, SSL),
    })
    .await
    .unwrap();
    let start = Instant::now();
    builder(&server)
        .build()
        .unwrap()
        .settings(ZONE)
        .get::<Ssl>()
        .await
        .unwrap();
    assert!(start.elapsed() >= Duration::from_secs(1));
    assert_eq!(server.requests().len(), 2);
}
