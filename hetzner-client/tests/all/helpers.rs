//! Runbook helpers against the simulator: admin keys, snapshot cleanup, isolation, quarantine.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use chrono::NaiveDate;
use hetzner_client::helpers::admin_keys::AdminKey;
use hetzner_client::helpers::quarantine::QUARANTINE_FIREWALL;
use hetzner_client::models::firewall::{ApplyTo, FirewallRule, Protocol};
use hetzner_client::resources::firewalls::CreateFirewall;
use hetzner_client::resources::servers::CreateServer;
use hetzner_client::simulator::Simulator;
use hetzner_client::{Client, LabelSelector, Labels};

const KEYS: [&str; 3] = [
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl a",
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB2tuM8pWnO4V1Lx0bJkV9l3m3o2jH2dXcY7m1b0eQ4S b",
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK8s0d1Xq2rQm3Jb5n6Yp7vW8tU9oP0aL1sK2dJ3fH4G c",
];

fn setup() -> (Simulator, Client) {
    let sim = Simulator::new();
    let client = Client::simulated(&sim).unwrap();
    (sim, client)
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

#[tokio::test(start_paused = true)]
async fn admin_keys_carry_owner_and_expiry_and_expired_ones_are_found() {
    let (sim, client) = setup();
    let old = AdminKey {
        owner: "alice".into(),
        public_key: KEYS[0].into(),
        expires: date(2026, 1, 31),
    };
    let new = AdminKey {
        owner: "bob".into(),
        public_key: KEYS[1].into(),
        expires: date(2026, 12, 31),
    };
    let created = client.create_admin_key(&old).await.unwrap().ssh_key;
    assert_eq!(created.name, "admin-alice-202601");
    assert_eq!(created.labels.get("owner"), Some("alice"));
    assert_eq!(created.labels.get("role"), Some("admin"));
    client.create_admin_key(&new).await.unwrap();
    // a non-admin key is never reported
    client
        .ssh_keys()
        .create(&hetzner_client::resources::ssh_keys::CreateSshKey::new(
            "deploy", KEYS[2],
        ))
        .await
        .unwrap();
    let expired = client.expired_admin_keys(date(2026, 6, 1)).await.unwrap();
    assert_eq!(
        expired.iter().map(|k| k.name.as_str()).collect::<Vec<_>>(),
        vec!["admin-alice-202601"]
    );
    assert_eq!(
        client
            .expired_admin_keys(date(2027, 1, 1))
            .await
            .unwrap()
            .len(),
        2
    );
    // an owner that is personal data is refused before anything is sent
    let before = sim.requests().len();
    let email = AdminKey {
        owner: "alice@example.com".into(),
        public_key: KEYS[2].into(),
        expires: date(2026, 12, 31),
    };
    let err = client.create_admin_key(&email).await.unwrap_err();
    assert!(err.to_string().starts_with("invalid owner"), "{err}");
    assert_eq!(sim.requests().len(), before);
}

#[tokio::test(start_paused = true)]
async fn stale_snapshot_cleanup_deletes_only_old_matching_snapshots_and_reports_them() {
    let (sim, client) = setup();
    let ours = Labels::new().with("managed-by", "fleet").unwrap();
    let stale_a = sim.seed_snapshot("debug-a", ours.clone(), Duration::from_secs(72 * 3600));
    let stale_b = sim.seed_snapshot("debug-b", ours.clone(), Duration::from_secs(49 * 3600));
    let fresh = sim.seed_snapshot("debug-c", ours.clone(), Duration::from_secs(3600));
    let foreign = sim.seed_snapshot(
        "someone-else",
        Labels::new(),
        Duration::from_secs(500 * 3600),
    );
    let selector = LabelSelector::new().eq("managed-by", "fleet");
    let now = chrono::Utc::now();
    let dry = client
        .cleanup_stale_snapshots(&selector, Duration::from_secs(48 * 3600), now, true)
        .await
        .unwrap();
    assert_eq!(dry.deleted.len(), 2);
    assert_eq!(sim.images().len(), 3 + 4, "a dry run deletes nothing");
    let report = client
        .cleanup_stale_snapshots(&selector, Duration::from_secs(48 * 3600), now, false)
        .await
        .unwrap();
    let deleted: Vec<u64> = report.deleted.iter().map(|d| d.id).collect();
    assert_eq!(deleted, vec![stale_a, stale_b], "oldest first");
    assert!(report.deleted[0].age >= Duration::from_secs(72 * 3600 - 60));
    assert_eq!((report.kept, report.failed.len()), (1, 0));
    let left: Vec<u64> = sim.images().iter().map(|i| i.id).collect();
    assert!(left.contains(&fresh) && left.contains(&foreign));
    assert!(!left.contains(&stale_a) && !left.contains(&stale_b));
}

#[tokio::test(start_paused = true)]
async fn isolation_check_reports_networks_floating_ips_and_load_balancers() {
    let (sim, client) = setup();
    let server = client
        .servers()
        .create(&CreateServer::new("iso", "cx22", "ubuntu-24.04"))
        .await
        .unwrap()
        .server;
    assert!(
        client
            .check_isolation(server.id)
            .await
            .unwrap()
            .is_isolated()
    );
    sim.attach_private_network(server.id, 77);
    sim.assign_floating_ip(server.id, 5);
    sim.add_load_balancer_target(server.id, 9);
    let report = client.check_isolation(server.id).await.unwrap();
    assert!(!report.is_isolated());
    assert_eq!(
        (
            report.private_networks,
            report.floating_ips,
            report.load_balancers
        ),
        (vec![77], vec![5], vec![9])
    );
}

#[tokio::test(start_paused = true)]
async fn quarantine_applies_deny_all_and_detaches_direct_firewalls() {
    let (sim, client) = setup();
    let web = client
        .firewalls()
        .create(&CreateFirewall::new("web").rule(FirewallRule::inbound(
            Protocol::Tcp,
            Some("443"),
            ["0.0.0.0/0"],
        )))
        .await
        .unwrap()
        .firewall;
    let labels = Labels::new().with("env", "prod").unwrap();
    let server = client
        .servers()
        .create(
            &CreateServer::new("victim", "cx22", "ubuntu-24.04")
                .firewall(web.id)
                .labels(labels),
        )
        .await
        .unwrap()
        .server;
    let by_label =
        client
            .firewalls()
            .create(&CreateFirewall::new("prod-ssh").apply_to(
                ApplyTo::label_selector(&LabelSelector::new().eq("env", "prod")).unwrap(),
            ))
            .await
            .unwrap()
            .firewall;
    let outcome = client.quarantine(server.id).await.unwrap();
    client.actions().wait_for(&outcome.actions).await.unwrap();
    assert_eq!(outcome.removed_firewalls, vec![web.id]);
    assert_eq!(outcome.detached_by_labels, vec![by_label.id]);
    assert_eq!(outcome.held_labels, vec![("env".into(), "prod".into())]);
    assert!(outcome.is_contained());
    let now = client.servers().get(server.id).await.unwrap();
    let applied: Vec<u64> = now.public_net.firewalls.iter().map(|f| f.id).collect();
    assert_eq!(
        applied,
        vec![outcome.firewall_id],
        "only the deny-all firewall is left"
    );
    assert_eq!(now.labels.get("held.quarantine/env"), Some("prod"));
    let deny = sim
        .firewalls()
        .into_iter()
        .find(|f| f.name == QUARANTINE_FIREWALL)
        .unwrap();
    assert!(
        deny.rules.iter().all(|r| r.source_ips.is_empty()),
        "no inbound rule: all inbound dropped"
    );
    assert_eq!(deny.rules.len(), 1);
    // running it again reuses the firewall and changes nothing
    let again = client.quarantine(server.id).await.unwrap();
    assert_eq!(again.firewall_id, outcome.firewall_id);
    assert!(again.removed_firewalls.is_empty() && again.held_labels.is_empty());
    assert_eq!(
        sim.firewalls()
            .iter()
            .filter(|f| f.name == QUARANTINE_FIREWALL)
            .count(),
        1
    );
}

#[cfg(feature = "hardening-model")]
#[tokio::test(start_paused = true)]
async fn policy_rules_become_a_firewall_with_the_same_port() {
    use hardening_model::firewall::hetzner::{HetznerDirection, HetznerProtocol, HetznerRule};
    use hardening_model::values::PortRange;
    let (sim, client) = setup();
    let ssh = HetznerRule {
        direction: HetznerDirection::In,
        protocol: HetznerProtocol::Tcp,
        port: Some(PortRange::single(48213).unwrap()),
        source_ips: vec![
            "198.51.100.0/24".parse().unwrap(),
            "2001:db8::/32".parse().unwrap(),
        ],
        destination_ips: vec![],
        description: Some("ssh from the admin network".into()),
    };
    let rules = hetzner_client::policy::rules_from_policy(&[ssh]).unwrap();
    client
        .firewalls()
        .create(&CreateFirewall::new("policy").rules(rules))
        .await
        .unwrap();
    let fw = sim.firewalls().pop().unwrap();
    assert_eq!(fw.rules[0].port.as_deref(), Some("48213"));
    assert_eq!(
        fw.rules[0].source_ips,
        vec!["198.51.100.0/24", "2001:db8::/32"]
    );
}
