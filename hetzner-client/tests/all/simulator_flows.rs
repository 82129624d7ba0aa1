//! End-to-end flows against the simulator, under tokio's paused clock.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use futures::TryStreamExt;
use hetzner_client::models::action::ActionStatus;
use hetzner_client::models::firewall::{ApplyTo, FirewallRule, Protocol};
use hetzner_client::models::server::ServerStatus;
use hetzner_client::resources::firewalls::CreateFirewall;
use hetzner_client::resources::servers::{CreateServer, ListServers};
use hetzner_client::resources::ssh_keys::CreateSshKey;
use hetzner_client::simulator::Simulator;
use hetzner_client::{Client, Error, ErrorCode, LabelSelector, Labels, ListParams};

const KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl admin";

fn setup() -> (Simulator, Client) {
    let sim = Simulator::new();
    let client = Client::simulated(&sim).unwrap();
    (sim, client)
}

#[tokio::test(start_paused = true)]
async fn provision_a_server_with_key_firewall_labels_and_user_data() {
    let (sim, client) = setup();
    let key = client
        .ssh_keys()
        .create(&CreateSshKey::new("admin-alice-202608", KEY))
        .await
        .unwrap();
    let fw = client
        .firewalls()
        .create(&CreateFirewall::new("web").rule(FirewallRule::inbound(
            Protocol::Tcp,
            Some("443"),
            ["0.0.0.0/0", "::/0"],
        )))
        .await
        .unwrap();
    let labels = Labels::new()
        .with("managed-by", "fleet")
        .unwrap()
        .with("region", "fsn1")
        .unwrap();
    let name = hetzner_client::names::opaque_server_name("fsn1").unwrap();
    let created = client
        .servers()
        .create(
            &CreateServer::new(&name, "cx22", "ubuntu-24.04")
                .location("fsn1")
                .ssh_key(key.ssh_key.name.clone())
                .firewall(fw.firewall.id)
                .labels(labels)
                .user_data("#cloud-config\npackages: [ufw]\n"),
        )
        .await
        .unwrap();
    assert!(!created.reconciled);
    assert!(created.root_password.is_none());
    assert_eq!(created.server.status, ServerStatus::Initializing);
    let done = client.actions().wait_for(&created.actions()).await.unwrap();
    assert!(done.iter().all(|a| a.status == ActionStatus::Success));
    let server = client.servers().get(created.server.id).await.unwrap();
    assert_eq!(server.status, ServerStatus::Running);
    assert_eq!(server.public_net.firewalls[0].id, fw.firewall.id);
    assert_eq!(
        sim.user_data(server.id).as_deref(),
        Some("#cloud-config\npackages: [ufw]\n")
    );
    assert_eq!(
        client
            .servers()
            .get_by_name(&name)
            .await
            .unwrap()
            .unwrap()
            .id,
        server.id
    );
    assert!(client.servers().get_opt(999_999).await.unwrap().is_none());
    let action = client.servers().delete(server.id).await.unwrap();
    assert_eq!(action.command, "delete_server");
    assert!(sim.servers().is_empty());
}

#[tokio::test(start_paused = true)]
async fn api_errors_are_typed_with_fields_and_request_id() {
    let (sim, client) = setup();
    // bypass client-side validation to see the simulator's own invalid_input
    let spec = hetzner_client::RequestSpec::post(
        "/servers",
        serde_json::json!({"name": "ok", "server_type": "nope", "image": "ubuntu-24.04"}),
    );
    let err = client.execute(&spec).await.unwrap_err();
    let api = err.api().unwrap();
    assert_eq!(api.code, ErrorCode::InvalidInput);
    assert_eq!(api.invalid_fields()[0].name, "server_type");
    assert!(err.request_id().is_some());
    assert!(!err.is_retryable());

    client
        .servers()
        .create(&CreateServer::new("dup", "cx22", "ubuntu-24.04"))
        .await
        .unwrap();
    let err = client
        .servers()
        .create(&CreateServer::new("dup", "cx22", "ubuntu-24.04"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UniquenessError));
    assert!(err.is_uniqueness_error_on("name"));
    assert_eq!(sim.servers().len(), 1);

    let err = client.servers().get(424_242).await.unwrap_err();
    assert!(err.is_not_found());

    // client-side validation: nothing is sent
    let before = sim.requests().len();
    let err = client
        .servers()
        .create(&CreateServer::new("bad name", "cx22", "ubuntu-24.04"))
        .await
        .unwrap_err();
    assert!(matches!(&err, Error::Invalid { field, .. } if field == "name"));
    let err = client
        .servers()
        .create(&CreateServer::new("ok2", "cx22", "ubuntu-24.04").user_data("x".repeat(40_000)))
        .await
        .unwrap_err();
    assert!(matches!(&err, Error::Invalid { field, .. } if field == "user_data"));
    assert_eq!(sim.requests().len(), before);
}

#[tokio::test(start_paused = true)]
async fn bad_token_is_unauthorized_and_not_retried() {
    let sim = Simulator::new();
    let client = Client::builder()
        .token("wrong")
        .endpoint(hetzner_client::simulator::SIMULATOR_ENDPOINT)
        .transport(sim.transport())
        .build()
        .unwrap();
    let err = client
        .locations()
        .list(&ListParams::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::Unauthorized));
    assert_eq!(sim.requests().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn label_selectors_and_pagination_stream_every_page() {
    let (sim, client) = setup();
    for i in 0..120 {
        let env = if i % 3 == 0 { "staging" } else { "production" };
        let labels = Labels::new().with("env", env).unwrap();
        client
            .servers()
            .create(&CreateServer::new(format!("s{i}"), "cx22", "ubuntu-24.04").labels(labels))
            .await
            .unwrap();
    }
    sim.clear_requests();
    let filter: ListServers = ListParams::default()
        .selector(LabelSelector::new().eq("env", "production"))
        .into();
    let all: Vec<_> = client
        .servers()
        .stream(filter.clone())
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 80);
    assert!(
        all.iter()
            .all(|s| s.labels.get("env") == Some("production"))
    );
    let pages = sim.requests();
    assert_eq!(pages.len(), 2, "80 entries at 50 per page");
    assert!(
        pages
            .iter()
            .all(|r| r.query.contains(&("per_page".into(), "50".into())))
    );
    let first = client.servers().list(filter).await.unwrap();
    let meta = first.pagination.unwrap();
    assert_eq!(
        (meta.per_page, meta.next_page, meta.total_entries),
        (25, Some(2), Some(80))
    );
    let set = LabelSelector::new()
        .is_in("env", ["staging"])
        .lacks("missing");
    let staging: Vec<_> = client
        .servers()
        .stream(ListParams::default().selector(set))
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(staging.len(), 40);
    let sorted = client
        .servers()
        .list(ListParams::default().sort("name:desc"))
        .await
        .unwrap();
    assert_eq!(sorted.items[0].name, "s99");
}

#[tokio::test(start_paused = true)]
async fn firewall_lifecycle_apply_remove_set_rules_delete() {
    let (_sim, client) = setup();
    let server = client
        .servers()
        .create(&CreateServer::new("web1", "cx22", "ubuntu-24.04"))
        .await
        .unwrap()
        .server;
    let fw = client
        .firewalls()
        .create(&CreateFirewall::new("ssh"))
        .await
        .unwrap()
        .firewall;
    let actions = client
        .firewalls()
        .apply_to_resources(fw.id, &[ApplyTo::server(server.id)])
        .await
        .unwrap();
    client.actions().wait_for(&actions).await.unwrap();
    let err = client
        .firewalls()
        .apply_to_resources(fw.id, &[ApplyTo::server(server.id)])
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::FirewallAlreadyApplied));
    let rules = vec![
        FirewallRule::inbound(Protocol::Tcp, Some("48213"), ["198.51.100.0/24"]).describe("ssh"),
    ];
    client.firewalls().set_rules(fw.id, &rules).await.unwrap();
    assert_eq!(client.firewalls().get(fw.id).await.unwrap().rules, rules);
    let err = client.firewalls().delete(fw.id).await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::ResourceInUse));
    client
        .firewalls()
        .remove_from_resources(fw.id, &[ApplyTo::server(server.id)])
        .await
        .unwrap();
    client.firewalls().delete(fw.id).await.unwrap();
    assert!(
        client
            .firewalls()
            .list(&ListParams::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

#[tokio::test(start_paused = true)]
async fn failed_actions_and_deadlines_surface_as_typed_errors() {
    let (sim, client) = setup();
    let server = client
        .servers()
        .create(&CreateServer::new("img", "cx22", "ubuntu-24.04"))
        .await
        .unwrap()
        .server;
    sim.fail_next_action("create_image", "action_failed", "disk busy");
    let action = client
        .servers()
        .create_image(server.id, &Default::default())
        .await
        .unwrap()
        .action;
    match client.actions().wait_for(&[action]).await.unwrap_err() {
        Error::ActionFailed {
            code,
            message,
            command,
            ..
        } => {
            assert_eq!(
                (code.as_str(), message.as_str(), command.as_str()),
                ("action_failed", "disk busy", "create_image")
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    sim.set_action_duration(Duration::from_secs(3600));
    let action = client.servers().reboot(server.id).await.unwrap();
    let policy = hetzner_client::PollPolicy::default().timeout(Duration::from_secs(60));
    match client
        .actions()
        .wait_with(std::slice::from_ref(&action), policy)
        .await
        .unwrap_err()
    {
        Error::WaitTimeout { pending } => assert_eq!(pending, vec![action.id]),
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn wait_for_polls_in_batches_of_25() {
    let (sim, client) = setup();
    let mut actions = Vec::new();
    for i in 0..30 {
        let created = client
            .servers()
            .create(
                &CreateServer::new(format!("b{i}"), "cx22", "ubuntu-24.04")
                    .start_after_create(false),
            )
            .await
            .unwrap();
        actions.extend(created.actions());
    }
    sim.clear_requests();
    let done = client.actions().wait_for(&actions).await.unwrap();
    assert_eq!(done.len(), 30);
    let polls = sim.requests();
    assert!(polls.iter().all(|r| r.path == "/actions"));
    assert!(
        polls
            .iter()
            .all(|r| r.query.iter().filter(|(k, _)| k == "id").count() <= 25)
    );
    // 3 s actions, polled after 1 s, 1.5 s, 2.25 s: three rounds of two batches
    assert_eq!(polls.len(), 6);
}
