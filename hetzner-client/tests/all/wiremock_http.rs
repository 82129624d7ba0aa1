//! The reqwest transport against a real HTTP server (wiremock, real sockets, real clock).
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use futures::TryStreamExt;
use hetzner_client::resources::servers::CreateServer;
use hetzner_client::transport::TransportErrorKind;
use hetzner_client::{Client, Error, ErrorCode, ListParams, RateLimitPolicy, RetryPolicy};
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, header, header_exists, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn server_json(id: u64, name: &str) -> Value {
    json!({
        "id": id, "name": name, "status": "running", "created": "2016-01-30T23:50:00+00:00",
        "public_net": {"ipv4": {"ip": "1.2.3.4", "blocked": false, "dns_ptr": "x"}, "ipv6": null, "floating_ips": [], "firewalls": []},
        "private_net": [],
        "server_type": {"id": 1, "name": "cx22", "description": "CX22", "cores": 2, "memory": 4.0, "disk": 40,
                        "cpu_type": "shared", "architecture": "x86", "storage_type": "local", "deprecated": null,
                        "a_field_from_the_future": {"x": 1}},
        "location": {"id": 1, "name": "fsn1", "description": "Falkenstein DC Park 1", "country": "DE", "city": "Falkenstein",
                     "latitude": 50.47612, "longitude": 12.370071, "network_zone": "eu-central"},
        "image": null, "iso": null, "rescue_enabled": false, "locked": false, "backup_window": null,
        "outgoing_traffic": null, "ingoing_traffic": null, "included_traffic": 0,
        "protection": {"delete": false, "rebuild": false}, "labels": {}, "primary_disk_size": 40, "placement_group": null
    })
}

fn client(server: &MockServer, retry: RetryPolicy) -> Client {
    Client::builder()
        .token("wiremock-token")
        .endpoint(format!("{}/v1", server.uri()))
        .application("fleet-tests", Some("0.1"))
        .request_timeout(Duration::from_millis(500))
        .retry(retry)
        .build()
        .unwrap()
}

fn fast_retry() -> RetryPolicy {
    RetryPolicy::default()
        .initial_backoff(Duration::from_millis(5))
        .max_backoff(Duration::from_millis(20))
}

#[tokio::test]
async fn sends_auth_user_agent_and_json_headers() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/servers/42"))
        .and(header("authorization", "Bearer wiremock-token"))
        .and(header("accept", "application/json"))
        .and(header_exists("user-agent"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"server": server_json(42, "a")})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let s = client(&server, fast_retry())
        .servers()
        .get(42)
        .await
        .unwrap();
    assert_eq!((s.id, s.name.as_str()), (42, "a"));
    let requests = server.received_requests().await.unwrap();
    let agent = requests[0]
        .headers
        .get("user-agent")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        agent.starts_with("fleet-tests/0.1 hetzner-client/"),
        "{agent}"
    );
}

#[tokio::test]
async fn api_errors_carry_code_fields_status_and_correlation_id_without_retry() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/servers"))
        .and(header("content-type", "application/json"))
        .and(body_partial_json(json!({"name": "web-1", "image": "ubuntu-24.04"})))
        .respond_with(
            ResponseTemplate::new(422)
                .insert_header("x-correlation-id", "corr-123")
                .set_body_json(json!({"error": {"code": "invalid_input", "message": "invalid input in field 'server_type'",
                    "details": {"fields": [{"name": "server_type", "messages": ["is not available"]}]}}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server, fast_retry())
        .servers()
        .create(&CreateServer::new("web-1", "cx999", "ubuntu-24.04"))
        .await
        .unwrap_err();
    assert_eq!(err.status().map(u16::from), Some(422));
    assert_eq!(err.code(), Some(&ErrorCode::InvalidInput));
    assert_eq!(err.request_id(), Some("corr-123"));
    assert_eq!(
        err.api().unwrap().invalid_fields()[0].messages,
        vec!["is not available"]
    );
    assert!(!err.to_string().contains("wiremock-token"));
}

#[tokio::test]
async fn idempotent_get_retries_a_bare_503() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/servers/7"))
        .respond_with(ResponseTemplate::new(503).set_body_string("<html>unavailable</html>"))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/servers/7"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"server": server_json(7, "b")})),
        )
        .mount(&server)
        .await;
    let s = client(&server, fast_retry())
        .servers()
        .get(7)
        .await
        .unwrap();
    assert_eq!(s.id, 7);
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn a_post_that_failed_with_5xx_is_reconciled_by_name_not_replayed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/servers"))
        .respond_with(ResponseTemplate::new(502).set_body_json(
            json!({"error": {"code": "bad_gateway", "message": "bad gateway", "details": null}}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/servers"))
        .and(query_param("name", "rc-fsn1-abcdef"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"servers": [server_json(9, "rc-fsn1-abcdef")],
            "meta": {"pagination": {"page": 1, "per_page": 25, "previous_page": null, "next_page": null, "last_page": 1, "total_entries": 1}}})))
        .expect(1)
        .mount(&server)
        .await;
    let created = client(&server, fast_retry())
        .servers()
        .create(&CreateServer::new("rc-fsn1-abcdef", "cx22", "ubuntu-24.04"))
        .await
        .unwrap();
    assert!(created.reconciled);
    assert_eq!(created.server.id, 9);
}

#[tokio::test]
async fn streams_walk_every_page_lazily() {
    let server = MockServer::start().await;
    for page in 1..=3u64 {
        let next = if page < 3 {
            json!(page + 1)
        } else {
            Value::Null
        };
        let items: Vec<Value> = (0..if page < 3 { 50 } else { 7 })
            .map(|i| server_json(page * 100 + i, &format!("s{page}-{i}")))
            .collect();
        Mock::given(method("GET"))
            .and(path("/v1/servers"))
            .and(query_param("page", page.to_string()))
            .and(query_param("per_page", "50"))
            .and(query_param("label_selector", "env=prod"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"servers": items,
                "meta": {"pagination": {"page": page, "per_page": 50, "previous_page": null, "next_page": next, "last_page": 3, "total_entries": 107}}})))
            .expect(1)
            .mount(&server)
            .await;
    }
    let filter =
        ListParams::default().selector(hetzner_client::LabelSelector::new().eq("env", "prod"));
    let all: Vec<_> = client(&server, fast_retry())
        .servers()
        .stream(filter)
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 107);
}

#[tokio::test]
async fn rate_limit_headers_resync_the_gate_and_fail_fast_sends_nothing() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/locations/1"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("ratelimit-limit", "3600")
                .insert_header("ratelimit-remaining", "0")
                .insert_header("ratelimit-reset", "1728497085")
                .set_body_json(json!({"location": {"id": 1, "name": "fsn1"}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = Client::builder()
        .token("t")
        .endpoint(format!("{}/v1", server.uri()))
        .rate_limit(RateLimitPolicy::default().fail_fast(true))
        .build()
        .unwrap();
    client.locations().get(1).await.unwrap();
    let err = client.locations().get(1).await.unwrap_err();
    assert!(matches!(err, Error::RateLimited { .. }));
}

#[tokio::test]
async fn timeouts_and_refused_connections_are_classified() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/locations/1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_delay(Duration::from_secs(3))
                .set_body_json(json!({"location": {"id": 1, "name": "fsn1"}})),
        )
        .mount(&server)
        .await;
    let err = client(&server, RetryPolicy::none())
        .locations()
        .get(1)
        .await
        .unwrap_err();
    match &err {
        Error::Transport(t) => assert_eq!(t.kind(), TransportErrorKind::Timeout),
        other => panic!("unexpected {other:?}"),
    }
    assert!(err.may_have_been_applied() && err.is_retryable());

    let refused = Client::builder()
        .token("t")
        .endpoint("http://127.0.0.1:9/v1")
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    match refused.locations().get(1).await.unwrap_err() {
        Error::Transport(t) => {
            assert_eq!(t.kind(), TransportErrorKind::Connect);
            assert!(!t.may_have_reached_server());
        }
        other => panic!("unexpected {other:?}"),
    }
}
