//! The simulator's raw HTTP answers have the shapes of the live API, which clients in other
//! languages decode strictly (hcloud-go decodes sizes as `int`, treats a 204 with a
//! Content-Type as a failed delete, and follows `Link` headers): integers for integral sizes,
//! bare 204s, RFC 8288 pagination links, certificates read from their PEM, root passwords
//! that exist, and no `"action": null` where the document has no nullable action.
#![allow(clippy::unwrap_used)]

use hetzner_client::simulator::{SIMULATOR_ENDPOINT, SIMULATOR_TOKEN, Simulator};
use hetzner_client::transport::{HttpRequest, HttpResponse};
use http::{HeaderMap, HeaderValue, Method};
use serde_json::{Value, json};

/// Sends one raw request to the simulator.
async fn send(sim: &Simulator, method: Method, path: &str, body: Option<Value>) -> HttpResponse {
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::AUTHORIZATION,
        HeaderValue::from_str(&format!("Bearer {SIMULATOR_TOKEN}")).unwrap(),
    );
    sim.transport()
        .send(HttpRequest {
            method,
            url: format!("{SIMULATOR_ENDPOINT}{path}").parse().unwrap(),
            headers,
            body: body.map(|b| serde_json::to_vec(&b).unwrap().into()),
        })
        .await
        .unwrap()
}

async fn json_of(sim: &Simulator, method: Method, path: &str, body: Option<Value>) -> Value {
    let response = send(sim, method.clone(), path, body).await;
    assert!(
        response.status.is_success(),
        "{method} {path}: {}",
        response.status
    );
    serde_json::from_slice(&response.body).unwrap()
}

async fn server(sim: &Simulator, name: &str) -> Value {
    json_of(
        sim,
        Method::POST,
        "/servers",
        Some(json!({ "name": name, "server_type": "cx22", "image": "ubuntu-24.04", "location": "fsn1" })),
    )
    .await
}

#[tokio::test(start_paused = true)]
async fn integral_sizes_are_integers_on_the_wire() {
    let sim = Simulator::new();
    let created = server(&sim, "web-1").await;
    let server = &created["server"];
    assert!(
        server["server_type"]["cores"].is_u64(),
        "{}",
        server["server_type"]
    );
    assert!(server["server_type"]["disk"].is_u64());
    assert!(server["server_type"]["memory"].is_number());
    assert_eq!(server["primary_disk_size"], json!(40));
    let types = json_of(&sim, Method::GET, "/server_types", None).await;
    for t in types["server_types"].as_array().unwrap() {
        assert!(t["cores"].is_u64() && t["disk"].is_u64(), "{t}");
    }
    let volume = json_of(
        &sim,
        Method::POST,
        "/volumes",
        Some(json!({ "name": "data", "size": 10, "location": "fsn1" })),
    )
    .await;
    let id = volume["volume"]["id"].as_u64().unwrap();
    let resize = format!("/volumes/{id}/actions/resize");
    json_of(&sim, Method::POST, &resize, Some(json!({ "size": 20 }))).await;
    let refused = send(&sim, Method::POST, &resize, Some(json!({ "size": 30.5 }))).await;
    assert_eq!(refused.status, 422);
    let got = json_of(&sim, Method::GET, &format!("/volumes/{id}"), None).await;
    assert_eq!(got["volume"]["size"], json!(20));
    assert!(got["volume"]["size"].is_u64());
}

#[tokio::test(start_paused = true)]
async fn a_204_has_no_body_and_no_content_type() {
    let sim = Simulator::new();
    let key = json_of(
        &sim,
        Method::POST,
        "/ssh_keys",
        Some(json!({ "name": "k", "public_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl k" })),
    )
    .await;
    let id = key["ssh_key"]["id"].as_u64().unwrap();
    let deleted = send(&sim, Method::DELETE, &format!("/ssh_keys/{id}"), None).await;
    assert_eq!(deleted.status, 204);
    assert!(deleted.body.is_empty());
    assert!(deleted.headers.get(http::header::CONTENT_TYPE).is_none());
    let listed = send(&sim, Method::GET, "/ssh_keys", None).await;
    assert_eq!(
        listed.headers.get(http::header::CONTENT_TYPE).unwrap(),
        "application/json"
    );
}

#[tokio::test(start_paused = true)]
async fn lists_carry_rfc_8288_links() {
    let sim = Simulator::with_limit(10_000);
    for i in 0..5 {
        server(&sim, &format!("web-{i}")).await;
    }
    let middle = send(
        &sim,
        Method::GET,
        "/servers?per_page=2&page=2&sort=name",
        None,
    )
    .await;
    let link = middle
        .headers
        .get(http::header::LINK)
        .unwrap()
        .to_str()
        .unwrap();
    let expect = |page: u32, rel: &str| {
        format!("<{SIMULATOR_ENDPOINT}/servers?per_page=2&sort=name&page={page}>; rel=\"{rel}\"")
    };
    assert_eq!(
        link,
        [expect(1, "prev"), expect(3, "next"), expect(3, "last")].join(", ")
    );
    let first = send(&sim, Method::GET, "/servers", None).await;
    let link = first
        .headers
        .get(http::header::LINK)
        .unwrap()
        .to_str()
        .unwrap();
    assert_eq!(
        link,
        format!("<{SIMULATOR_ENDPOINT}/servers?page=1>; rel=\"last\"")
    );
    let one = send(&sim, Method::GET, "/locations/1", None).await;
    assert!(one.headers.get(http::header::LINK).is_none());
}

#[tokio::test(start_paused = true)]
async fn uploaded_certificates_report_what_their_pem_holds() {
    let sim = Simulator::new();
    let pem = include_str!("../fixtures/example-com.crt");
    let fingerprint = include_str!("../fixtures/example-com.crt.sha256").trim();
    let key = "-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n";
    let created = json_of(
        &sim,
        Method::POST,
        "/certificates",
        Some(json!({ "name": "site", "certificate": pem, "private_key": key })),
    )
    .await;
    let cert = &created["certificate"];
    assert_eq!(
        cert["domain_names"],
        json!(["www.example.com", "example.com"])
    );
    assert_eq!(cert["fingerprint"], fingerprint);
    assert_eq!(cert["not_valid_before"], "2026-01-01T00:00:00Z");
    assert_eq!(cert["not_valid_after"], "2036-01-01T00:00:00Z");
    assert_eq!(cert["type"], "uploaded");
    let broken = send(
        &sim,
        Method::POST,
        "/certificates",
        Some(json!({ "name": "broken", "private_key": key,
                     "certificate": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n" })),
    )
    .await;
    assert_eq!(broken.status, 422);
    let error: Value = serde_json::from_slice(&broken.body).unwrap();
    assert_eq!(error["error"]["code"], "invalid_input");
    assert_eq!(
        error["error"]["details"]["fields"][0]["name"],
        "certificate"
    );
    let listed = json_of(&sim, Method::GET, "/certificates", None).await;
    assert_eq!(listed["certificates"].as_array().unwrap().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn passwords_exist_and_absent_actions_are_left_out() {
    let sim = Simulator::new();
    let created = server(&sim, "web-1").await;
    let id = created["server"]["id"].as_u64().unwrap();
    let password = created["root_password"].as_str().unwrap();
    assert_eq!(password.len(), 20);
    let rescue = json_of(
        &sim,
        Method::POST,
        &format!("/servers/{id}/actions/enable_rescue"),
        Some(json!({ "type": "linux64" })),
    )
    .await;
    let rescue_password = rescue["root_password"].as_str().unwrap();
    assert!(rescue_password.chars().all(|c| c.is_ascii_alphanumeric()));
    assert_ne!(rescue_password, password);
    let lone = json_of(
        &sim,
        Method::POST,
        "/floating_ips",
        Some(json!({ "type": "ipv4", "home_location": "fsn1" })),
    )
    .await;
    assert!(lone.get("action").is_none(), "{lone}");
    let assigned = json_of(
        &sim,
        Method::POST,
        "/floating_ips",
        Some(json!({ "type": "ipv4", "server": id })),
    )
    .await;
    assert_eq!(assigned["action"]["command"], "assign_floating_ip");
}

#[tokio::test(start_paused = true)]
async fn running_actions_report_progress_from_the_clock() {
    let sim = Simulator::new();
    sim.set_action_duration(std::time::Duration::from_secs(10));
    let created = server(&sim, "web-1").await;
    let action = created["action"]["id"].as_u64().unwrap();
    let path = format!("/actions/{action}");
    tokio::time::advance(std::time::Duration::from_secs(4)).await;
    let running = json_of(&sim, Method::GET, &path, None).await;
    assert_eq!(running["action"]["status"], "running");
    assert_eq!(running["action"]["progress"], 40);
    tokio::time::advance(std::time::Duration::from_secs(7)).await;
    let done = json_of(&sim, Method::GET, &path, None).await;
    assert_eq!(done["action"]["status"], "success");
    assert_eq!(done["action"]["progress"], 100);
    let id = created["server"]["id"].as_u64().unwrap();
    let server = json_of(&sim, Method::GET, &format!("/servers/{id}"), None).await;
    assert_eq!(server["server"]["status"], "running");
}
