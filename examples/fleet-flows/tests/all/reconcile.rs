//! A find before a create never loses an entry: when the API's answer holds a server or
//! firewall that does not decode, provisioning fails instead of creating a duplicate.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use cloudflare_client::PlanTier;
use fleet_flows::provision::{ProvisionRequest, find_server, provision};
use fleet_flows::{Backends, Instance, Progress};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn page(key: &str, items: serde_json::Value) -> serde_json::Value {
    json!({
        key: items,
        "meta": {"pagination": {"page": 1, "per_page": 25, "previous_page": null,
            "next_page": null, "last_page": 1, "total_entries": 1}}
    })
}

async fn backends(hetzner: &MockServer) -> (Backends, cloudflare_client::simulator::Simulator) {
    let client = hetzner_client::Client::builder()
        .token("test-token")
        .endpoint(hetzner.uri())
        .build()
        .unwrap();
    let c = cloudflare_client::simulator::Simulator::new();
    c.add_zone("example.com", PlanTier::Free);
    let b = Backends {
        actions: fleet_flows::actions::ActionWaiter::new(client.clone()),
        hetzner: client,
        cloudflare: c.client().unwrap(),
        hetzner_sim: Some(hetzner_client::simulator::Simulator::new()),
        cloudflare_sim: Some(c.clone()),
    };
    (b, c)
}

#[tokio::test]
async fn an_undecodable_server_fails_the_find_and_nothing_is_created() {
    let mock = MockServer::start().await;
    // the existing server of the instance, in a shape this client cannot read
    Mock::given(method("GET"))
        .and(path("/servers"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(
            "servers",
            json!([{"id": "not-a-number", "name": "srv-fsn1-1", "labels": {"instance": "inst-0042"}}]),
        )))
        .mount(&mock)
        .await;
    let (b, c) = backends(&mock).await;
    let err = find_server(&b, &Instance::new("inst-0042").unwrap())
        .await
        .unwrap_err();
    let chain = fleet_flows::error::chain(&err);
    assert!(chain.contains("servers[0].id"), "{chain}");

    let req = ProvisionRequest::new("inst-0042", "acme", "example.com");
    let err = provision(&b, &req, &Progress::silent()).await.unwrap_err();
    assert!(fleet_flows::error::chain(&err).contains("servers[0]"));
    let received = mock.received_requests().await.unwrap();
    assert!(
        received.iter().all(|r| r.method.as_str() == "GET"),
        "nothing created: {received:?}"
    );
    assert_eq!(c.stats().writes, 0);
}

#[tokio::test]
async fn an_undecodable_firewall_fails_the_find_by_name() {
    let mock = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/firewalls"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(
            "firewalls",
            json!([{"id": 7, "name": "fw-inst-0042", "rules": "not a list"}]),
        )))
        .mount(&mock)
        .await;
    let (b, _) = backends(&mock).await;
    let err = b
        .hetzner
        .firewalls()
        .get_by_name("fw-inst-0042")
        .await
        .unwrap_err();
    assert!(
        matches!(err, hetzner_client::Error::Decode { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("firewalls[0]"), "{err}");
}
