//! The simulator keeps both sides of a firewall attachment in step, the way the API does:
//! the firewall's `applied_to` and the server's `public_net.firewalls`. Raw responses are
//! checked against the response schemas of the official OpenAPI document.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use hetzner_client::helpers::quarantine::QUARANTINE_FIREWALL;
use hetzner_client::models::firewall::{ApplyTo, FirewallRule, Protocol};
use hetzner_client::resources::firewalls::CreateFirewall;
use hetzner_client::resources::servers::CreateServer;
use hetzner_client::simulator::{SIMULATOR_ENDPOINT, SIMULATOR_TOKEN, Simulator};
use hetzner_client::transport::HttpRequest;
use hetzner_client::{Client, LabelSelector, Labels};
use http::{HeaderMap, HeaderValue, Method};
use serde_json::{Value, json};

use crate::support;
use support::{spec, to_json_schema};

fn setup() -> (Simulator, Client) {
    let sim = Simulator::new();
    let client = Client::simulated(&sim).unwrap();
    (sim, client)
}

/// The raw JSON body the simulator answers to `GET path`.
async fn raw_get(sim: &Simulator, path: &str) -> Value {
    raw(sim, Method::GET, path, None, 200).await
}

/// The raw JSON body of one request, asserting its status.
async fn raw(
    sim: &Simulator,
    method: Method,
    path: &str,
    body: Option<Value>,
    status: u16,
) -> Value {
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::AUTHORIZATION,
        HeaderValue::from_str(&format!("Bearer {SIMULATOR_TOKEN}")).unwrap(),
    );
    let response = sim
        .transport()
        .send(HttpRequest {
            method: method.clone(),
            url: format!("{SIMULATOR_ENDPOINT}{path}").parse().unwrap(),
            headers,
            body: body.map(|b| serde_json::to_vec(&b).unwrap().into()),
        })
        .await
        .unwrap();
    assert_eq!(response.status, status, "{method} {path}");
    serde_json::from_slice(&response.body).unwrap()
}

async fn web_firewall(client: &Client, name: &str) -> u64 {
    client
        .firewalls()
        .create(&CreateFirewall::new(name).rule(FirewallRule::inbound(
            Protocol::Tcp,
            Some("443"),
            ["0.0.0.0/0"],
        )))
        .await
        .unwrap()
        .firewall
        .id
}

/// `applied_to` entries of type `server` in the raw firewall response.
async fn direct_servers(sim: &Simulator, firewall: u64) -> Vec<u64> {
    let body = raw_get(sim, &format!("/firewalls/{firewall}")).await;
    body["firewall"]["applied_to"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["type"] == "server")
        .map(|a| a["server"]["id"].as_u64().unwrap())
        .collect()
}

/// `(id, status)` of the raw server response's `public_net.firewalls`.
async fn server_firewalls(sim: &Simulator, server: u64) -> Vec<(u64, String)> {
    let body = raw_get(sim, &format!("/servers/{server}")).await;
    body["server"]["public_net"]["firewalls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["id"].as_u64().unwrap(),
                f["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn a_firewall_given_at_creation_shows_on_both_sides_and_goes_with_the_server() {
    let (sim, client) = setup();
    let web = web_firewall(&client, "web").await;
    let created = client
        .servers()
        .create(&CreateServer::new("app", "cx22", "ubuntu-24.04").firewall(web))
        .await
        .unwrap();
    let id = created.server.id;
    // the firewall side: a `server` entry with the server's id and no selector
    let body = raw_get(&sim, &format!("/firewalls/{web}")).await;
    let applied = body["firewall"]["applied_to"].as_array().unwrap();
    assert_eq!(applied.len(), 1);
    assert_eq!(applied[0]["type"], "server");
    assert_eq!(applied[0]["server"], json!({ "id": id }));
    assert!(applied[0]["label_selector"].is_null());
    // the server side: pending while the create action runs, applied once it finished
    assert_eq!(
        created
            .server
            .public_net
            .firewalls
            .iter()
            .map(|f| (f.id, f.status.as_str()))
            .collect::<Vec<_>>(),
        vec![(web, "pending")]
    );
    client
        .actions()
        .wait_for(&[created.action.clone().unwrap()])
        .await
        .unwrap();
    assert_eq!(
        server_firewalls(&sim, id).await,
        vec![(web, "applied".to_owned())]
    );
    // the firewall is in use: it cannot be deleted while the server exists
    assert!(client.firewalls().delete(web).await.is_err());
    let deleted = client.servers().delete(id).await.unwrap();
    client.actions().wait_for(&[deleted]).await.unwrap();
    assert!(direct_servers(&sim, web).await.is_empty());
    client.firewalls().delete(web).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn apply_and_remove_keep_both_sides_in_step() {
    let (sim, client) = setup();
    let web = web_firewall(&client, "web").await;
    let server = client
        .servers()
        .create(&CreateServer::new("app", "cx22", "ubuntu-24.04"))
        .await
        .unwrap()
        .server
        .id;
    assert!(server_firewalls(&sim, server).await.is_empty());
    let actions = client
        .firewalls()
        .apply_to_resources(web, &[ApplyTo::server(server)])
        .await
        .unwrap();
    assert_eq!(direct_servers(&sim, web).await, vec![server]);
    assert_eq!(
        server_firewalls(&sim, server).await,
        vec![(web, "pending".to_owned())]
    );
    client.actions().wait_for(&actions).await.unwrap();
    assert_eq!(
        server_firewalls(&sim, server).await,
        vec![(web, "applied".to_owned())]
    );
    // applying twice is refused, as by the API
    assert!(
        client
            .firewalls()
            .apply_to_resources(web, &[ApplyTo::server(server)])
            .await
            .is_err()
    );
    let removed = client
        .firewalls()
        .remove_from_resources(web, &[ApplyTo::server(server)])
        .await
        .unwrap();
    assert!(
        removed[0]
            .resources
            .iter()
            .any(|r| r.id == server && r.kind == "server"),
        "the remove action names the server: {:?}",
        removed[0].resources
    );
    client.actions().wait_for(&removed).await.unwrap();
    assert!(direct_servers(&sim, web).await.is_empty());
    assert!(server_firewalls(&sim, server).await.is_empty());
}

#[tokio::test(start_paused = true)]
async fn quarantine_of_a_server_created_with_its_firewall_leaves_only_deny_all() {
    let (sim, client) = setup();
    let web = web_firewall(&client, "web").await;
    let ssh = web_firewall(&client, "ssh").await;
    let created = client
        .servers()
        .create(
            &CreateServer::new("victim", "cx22", "ubuntu-24.04")
                .firewall(web)
                .firewall(ssh),
        )
        .await
        .unwrap();
    let server = created.server.id;
    client
        .actions()
        .wait_for(&[created.action.clone().unwrap()])
        .await
        .unwrap();

    let outcome = client.quarantine(server).await.unwrap();
    let mut removed = outcome.removed_firewalls.clone();
    removed.sort_unstable();
    assert_eq!(removed, vec![web, ssh]);
    assert!(
        outcome.detached_by_labels.is_empty() && outcome.is_contained(),
        "firewalls given at creation are direct, not by selector"
    );
    client.actions().wait_for(&outcome.actions).await.unwrap();
    assert_eq!(
        server_firewalls(&sim, server).await,
        vec![(outcome.firewall_id, "applied".to_owned())]
    );
    assert!(direct_servers(&sim, web).await.is_empty());
    assert!(direct_servers(&sim, ssh).await.is_empty());
    assert_eq!(
        direct_servers(&sim, outcome.firewall_id).await,
        vec![server]
    );
    let deny = sim
        .firewalls()
        .into_iter()
        .find(|f| f.id == outcome.firewall_id)
        .unwrap();
    assert_eq!(deny.name, QUARANTINE_FIREWALL);
    assert!(deny.rules.iter().all(|r| r.source_ips.is_empty()));

    // the client has no release helper: undoing is removing the deny-all firewall and
    // applying the removed ones again, which the simulator tracks on both sides too
    let undo = client
        .firewalls()
        .remove_from_resources(outcome.firewall_id, &[ApplyTo::server(server)])
        .await
        .unwrap();
    client.actions().wait_for(&undo).await.unwrap();
    for fw in &outcome.removed_firewalls {
        let again = client
            .firewalls()
            .apply_to_resources(*fw, &[ApplyTo::server(server)])
            .await
            .unwrap();
        client.actions().wait_for(&again).await.unwrap();
    }
    let mut back: Vec<u64> = server_firewalls(&sim, server)
        .await
        .into_iter()
        .map(|(id, status)| {
            assert_eq!(status, "applied");
            id
        })
        .collect();
    back.sort_unstable();
    assert_eq!(back, {
        let mut v = vec![web, ssh];
        v.sort_unstable();
        v
    });
    assert!(direct_servers(&sim, outcome.firewall_id).await.is_empty());
    // the now unused deny-all firewall can be deleted
    client
        .firewalls()
        .delete(outcome.firewall_id)
        .await
        .unwrap();
}

#[tokio::test(start_paused = true)]
async fn label_selector_firewalls_list_the_matched_servers_and_leave_on_quarantine() {
    let (sim, client) = setup();
    let labels = Labels::new().with("env", "prod").unwrap();
    let server = client
        .servers()
        .create(&CreateServer::new("db", "cx22", "ubuntu-24.04").labels(labels))
        .await
        .unwrap()
        .server
        .id;
    let prod =
        client
            .firewalls()
            .create(&CreateFirewall::new("prod").apply_to(
                ApplyTo::label_selector(&LabelSelector::new().eq("env", "prod")).unwrap(),
            ))
            .await
            .unwrap()
            .firewall
            .id;
    assert_eq!(
        server_firewalls(&sim, server).await,
        vec![(prod, "pending".to_owned())],
        "matched by the selector, applied once the apply action finished"
    );
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(
        server_firewalls(&sim, server).await,
        vec![(prod, "applied".to_owned())]
    );
    let body = raw_get(&sim, &format!("/firewalls/{prod}")).await;
    let applied = &body["firewall"]["applied_to"][0];
    assert_eq!(applied["type"], "label_selector");
    assert_eq!(applied["label_selector"]["selector"], "env=prod");
    assert!(applied["server"].is_null());
    assert_eq!(
        applied["applied_to_resources"],
        json!([{ "type": "server", "server": { "id": server } }])
    );
    assert!(direct_servers(&sim, prod).await.is_empty());
    // the API refuses to remove a selector-applied firewall by hand, so quarantine relabels
    assert!(
        client
            .firewalls()
            .remove_from_resources(prod, &[ApplyTo::server(server)])
            .await
            .is_err()
    );
    let outcome = client.quarantine(server).await.unwrap();
    assert!(outcome.removed_firewalls.is_empty());
    assert_eq!(outcome.detached_by_labels, vec![prod]);
    assert!(outcome.still_applied.is_empty());
    client.actions().wait_for(&outcome.actions).await.unwrap();
    assert_eq!(
        server_firewalls(&sim, server).await,
        vec![(outcome.firewall_id, "applied".to_owned())]
    );
}

// ---- raw responses against the spec's response schemas ----

/// What the response schema of `method path status` finds wrong with `body`.
fn problems(spec: &Value, path: &str, method: &str, status: &str, body: &Value) -> Vec<String> {
    let schema =
        &spec["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"];
    assert!(schema.is_object(), "no schema for {method} {path} {status}");
    let schema = to_json_schema(spec, schema);
    let validator = jsonschema::validator_for(&schema).unwrap();
    validator
        .iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

fn check(spec: &Value, path: &str, method: &str, status: &str, body: &Value) {
    let errors = problems(spec, path, method, status, body);
    assert!(
        errors.is_empty(),
        "{method} {path} {status}: {errors:#?}\n{body:#}"
    );
}

#[tokio::test(start_paused = true)]
async fn server_and_firewall_responses_match_the_spec_response_schemas() {
    let spec = spec();
    let (sim, client) = setup();
    let web = web_firewall(&client, "web").await;
    let labels = Labels::new().with("env", "prod").unwrap();
    let created = client
        .servers()
        .create(
            &CreateServer::new("app", "cx22", "ubuntu-24.04")
                .firewall(web)
                .labels(labels),
        )
        .await
        .unwrap();
    let server = created.server.id;
    client
        .firewalls()
        .create(
            &CreateFirewall::new("prod").apply_to(
                ApplyTo::label_selector(&LabelSelector::new().eq("env", "prod")).unwrap(),
            ),
        )
        .await
        .unwrap();
    client
        .actions()
        .wait_for(&[created.action.clone().unwrap()])
        .await
        .unwrap();

    let one = raw_get(&sim, &format!("/servers/{server}")).await;
    check(&spec, "/servers/{id}", "get", "200", &one);
    let datacenter = &one["server"]["datacenter"];
    assert_eq!(datacenter["location"], one["server"]["location"]);
    // the check does catch a missing required field
    let mut without = one.clone();
    without["server"]
        .as_object_mut()
        .unwrap()
        .remove("datacenter");
    let found = problems(&spec, "/servers/{id}", "get", "200", &without);
    assert!(found.iter().any(|p| p.contains("datacenter")), "{found:?}");
    check(
        &spec,
        "/servers",
        "get",
        "200",
        &raw_get(&sim, "/servers").await,
    );
    check(
        &spec,
        "/firewalls/{id}",
        "get",
        "200",
        &raw_get(&sim, &format!("/firewalls/{web}")).await,
    );
    check(
        &spec,
        "/firewalls",
        "get",
        "200",
        &raw_get(&sim, "/firewalls").await,
    );
    // create responses, straight from the wire
    let firewall = raw(
        &sim,
        Method::POST,
        "/firewalls",
        Some(json!({
            "name": "raw",
            "rules": [ { "direction": "in", "protocol": "tcp", "port": "22", "source_ips": ["198.51.100.0/24"] } ],
            "apply_to": [ { "type": "server", "server": { "id": server } } ],
        })),
        201,
    )
    .await;
    check(&spec, "/firewalls", "post", "201", &firewall);
    let raw_id = firewall["firewall"]["id"].as_u64().unwrap();
    let created = raw(
        &sim,
        Method::POST,
        "/servers",
        Some(json!({
            "name": "raw",
            "server_type": "cx22",
            "image": "ubuntu-24.04",
            "firewalls": [ { "firewall": raw_id } ],
        })),
        201,
    )
    .await;
    check(&spec, "/servers", "post", "201", &created);
    assert_eq!(
        created["server"]["public_net"]["firewalls"],
        json!([{ "id": raw_id, "status": "pending" }])
    );
    check(
        &spec,
        "/server_types",
        "get",
        "200",
        &raw_get(&sim, "/server_types").await,
    );
}
