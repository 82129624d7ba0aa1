//! The reqwest transport against wiremock (real sockets, real clock, millisecond backoffs).

#![allow(clippy::unwrap_used)] // tests may unwrap

use std::time::Duration;

use cloudflare_client::resources::dns::{NewDnsRecord, RecordType};
use cloudflare_client::resources::settings::{Ssl, SslMode};
use cloudflare_client::transport::retry::{RetryPolicy, default_policy};
use cloudflare_client::{Client, Error};
use serde_json::json;
use wiremock::matchers::{header, header_exists, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TOKEN: &str = "tok-very-secret-4242";
const ZONE: &str = "023e105f4ecef8ad9ca31a8372d0c353";

fn client(server: &MockServer) -> Client {
    Client::builder()
        .token(TOKEN)
        .base_url(&format!("{}/client/v4", server.uri()))
        .unwrap()
        .retry(
            default_policy()
                .max_attempts(3)
                .initial_backoff(Duration::from_millis(5))
                .max_backoff(Duration::from_millis(20))
                .max_rate_limit_wait(Duration::from_secs(5)),
        )
        .request_timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

fn ok(result: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_json(json!({"success": true, "errors": [], "messages": [], "result": result}))
}

fn setting(value: &str) -> serde_json::Value {
    json!({"id": "ssl", "value": value, "editable": true, "modified_on": "2026-01-01T00:00:00Z", "new_field": [1]})
}

#[tokio::test]
async fn sends_bearer_token_and_never_prints_it() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/client/v4/zones/{ZONE}/settings/ssl")))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ok(setting("strict")))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    assert_eq!(
        c.settings(ZONE).get::<Ssl>().await.unwrap().value,
        SslMode::Strict
    );
    assert!(!format!("{c:?}").contains(TOKEN));
}

#[tokio::test]
async fn settings_patch_is_a_patch_with_value_body() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path(format!("/client/v4/zones/{ZONE}/settings/ssl")))
        .and(wiremock::matchers::body_json(json!({"value": "strict"})))
        .respond_with(ok(setting("strict")))
        .expect(1)
        .mount(&server)
        .await;
    client(&server)
        .settings(ZONE)
        .patch::<Ssl>(SslMode::Strict)
        .await
        .unwrap();
}

#[tokio::test]
async fn every_error_entry_is_kept_with_wide_codes_and_ray_id() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/client/v4/zones/{ZONE}/dns_records")))
        .respond_with(ResponseTemplate::new(400).insert_header("cf-ray", "8abc-FRA").set_body_json(json!({
            "success": false,
            "errors": [
                {"code": 1004, "message": "DNS Validation Error", "source": {"pointer": "/content"}},
                {"code": 9005, "message": "Content for A record must be a valid IPv4 address."}
            ],
            "messages": [{"code": 10000, "message": "note"}], "result": null
        })))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server)
        .dns(ZONE)
        .create(&NewDnsRecord::new(
            RecordType::A,
            "www.example.com",
            "192.0.2.1",
        ))
        .await
        .unwrap_err();
    let api = err.api().unwrap();
    assert_eq!(api.errors.len(), 2);
    assert_eq!(
        api.errors[0]
            .source
            .as_ref()
            .and_then(|s| s.pointer.as_deref()),
        Some("/content")
    );
    assert_eq!(api.ray_id.as_deref(), Some("8abc-FRA"));
    assert_eq!(api.messages.len(), 1);
    let text = err.to_string();
    assert!(
        text.contains("[9005]") && text.contains("8abc-FRA") && !text.contains(TOKEN),
        "{text}"
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn success_false_on_200_is_an_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "success": false, "errors": [{"code": 81057, "message": "exists"}], "messages": [], "result": null
        })))
        .mount(&server)
        .await;
    let err = client(&server).zones().get(ZONE).await.unwrap_err();
    assert!(err.is_already_exists(), "{err}");
}

#[tokio::test]
async fn get_retries_5xx_then_succeeds() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503).set_body_string("upstream"))
        .up_to_n_times(2)
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ok(setting("full")))
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(
        client(&server)
            .settings(ZONE)
            .get::<Ssl>()
            .await
            .unwrap()
            .value,
        SslMode::Full
    );
}

#[tokio::test]
async fn post_is_not_replayed_after_a_500() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/client/v4/zones/{ZONE}/dns_records/batch")))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({
            "success": false, "errors": [{"code": 10001, "message": "internal"}], "messages": [], "result": null
        })))
        .expect(1)
        .mount(&server)
        .await;
    let batch = cloudflare_client::resources::dns::DnsBatch {
        posts: vec![NewDnsRecord::new(
            RecordType::A,
            "a.example.com",
            "192.0.2.1",
        )],
        ..Default::default()
    };
    let err = client(&server).dns(ZONE).batch(&batch).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(500));
}

#[tokio::test]
async fn dns_create_reconciles_after_a_502() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/client/v4/zones/{ZONE}/dns_records")))
        .respond_with(ResponseTemplate::new(502).set_body_string("bad gateway"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/client/v4/zones/{ZONE}/dns_records")))
        .and(query_param("type", "A"))
        .and(query_param("name", "www.example.com"))
        .and(query_param("content", "192.0.2.1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "success": true, "errors": [], "messages": [],
            "result": [{"id": "rec1", "type": "A", "name": "www.example.com", "content": "192.0.2.1", "ttl": 1, "proxied": false}],
            "result_info": {"page": 1, "per_page": 100, "count": 1, "total_count": 1, "total_pages": 1}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let rec = client(&server)
        .dns(ZONE)
        .create(&NewDnsRecord::new(
            RecordType::A,
            "www.example.com",
            "192.0.2.1",
        ))
        .await
        .unwrap();
    assert_eq!(rec.id, "rec1");
}

#[tokio::test]
async fn a_429_is_waited_out_with_retry_after() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1").set_body_json(json!({
            "success": false, "errors": [{"code": 971, "message": "Please wait and consider throttling your request speed"}],
            "messages": [], "result": null
        })))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ok(setting("strict")))
        .expect(1)
        .mount(&server)
        .await;
    let start = std::time::Instant::now();
    client(&server).settings(ZONE).get::<Ssl>().await.unwrap();
    assert!(
        start.elapsed() >= Duration::from_millis(950),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn a_block_longer_than_allowed_is_an_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "300").set_body_json(json!({
            "success": false, "errors": [{"code": 971, "message": "wait"}], "messages": [], "result": null
        })))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server).zones().get(ZONE).await.unwrap_err();
    assert!(err.is_rate_limited() && err.has_code(971), "{err}");
}

#[tokio::test]
async fn unknown_values_and_fields_parse() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/client/v4/zones/{ZONE}")))
        .respond_with(ok(json!({"id": ZONE, "name": "example.com", "status": "hibernating", "brand_new": {"x": 1},
                                "plan": {"name": "Galaxy Website", "legacy_id": "galaxy"}})))
        .mount(&server)
        .await;
    let z = client(&server).zones().get(ZONE).await.unwrap();
    assert_eq!(
        z.plan_tier(),
        cloudflare_client::PlanTier::Unknown("galaxy".into())
    );
}

#[tokio::test]
async fn ips_are_fetched_without_a_token() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/client/v4/ips"))
        .respond_with(ok(json!({"ipv4_cidrs": ["173.245.48.0/20"], "ipv6_cidrs": ["2400:cb00::/32"], "etag": "e"})))
        .expect(1)
        .mount(&server)
        .await;
    let c = Client::builder()
        .base_url(&format!("{}/client/v4", server.uri()))
        .unwrap()
        .build()
        .unwrap();
    let ips = c.ips().get().await.unwrap();
    assert_eq!(ips.all().len(), 2);
    let reqs: Vec<Request> = server.received_requests().await.unwrap();
    assert!(reqs[0].headers.get("authorization").is_none());
}

#[tokio::test]
async fn from_env_with_base_url() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(header_exists("authorization"))
        .respond_with(ok(json!([])))
        .expect(1)
        .mount(&server)
        .await;
    let base = format!("{}/client/v4", server.uri());
    let c = Client::from_env_with(|k| match k {
        "CLOUDFLARE_API_TOKEN" => Some(TOKEN.into()),
        "CLOUDFLARE_BASE_URL" => Some(base.clone()),
        _ => None,
    })
    .unwrap();
    assert!(
        c.zones()
            .get_by_name("example.com")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn connection_refused_is_a_transport_error() {
    // A port nobody listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let uri = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let c = Client::builder()
        .token(TOKEN)
        .base_url(&format!("{uri}/client/v4"))
        .unwrap()
        .retry(
            RetryPolicy::default()
                .max_attempts(2)
                .initial_backoff(Duration::from_millis(1)),
        )
        .build()
        .unwrap();
    let err = c.zones().get(ZONE).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err}");
    assert!(!err.to_string().contains(TOKEN));
}

#[tokio::test]
async fn raw_requests_over_http_return_text_and_decode_errors() {
    use cloudflare_client::transport::request::RequestSpec;
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/client/v4/zones/{ZONE}/dns_records/export")))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "text/plain")
                .set_body_string("www.example.com.\t1\tIN\tA\t192.0.2.1\n"),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/client/v4/zones/{ZONE}/dns_settings")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "success": false, "errors": [{"code": 1003, "message": "Invalid or missing zone id."}],
            "messages": [], "result": null
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/client/v4/user/tokens/verify"))
        .respond_with(ok(
            json!({"id": "ed17574386854bf78a67040be0a770b0", "status": "disabled"}),
        ))
        .mount(&server)
        .await;
    let c = client(&server);
    let zone_file = c.dns(ZONE).export().await.unwrap();
    assert!(zone_file.starts_with("www.example.com."));
    let err = c
        .execute(&RequestSpec::get(format!("/zones/{ZONE}/dns_settings")))
        .await
        .unwrap_err();
    assert!(
        err.has_code(1003),
        "a 200 saying success: false is an error: {err}"
    );
    let err = c.tokens().ensure_active().await.unwrap_err();
    assert!(matches!(err, Error::TokenInactive { .. }), "{err}");
}
